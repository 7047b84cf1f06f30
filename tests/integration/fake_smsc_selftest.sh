#!/bin/sh
# fake_smsc_selftest.sh: checks the fake SMPP 3.4 SMSC (tests/fake_smsc.c)
# that the SMPP integration tests and benchmarks drive the gateway against,
# with a small SMPP client of its own (python3, struct and socket only), so
# the fake is checked without the gateway's codec. Speaks TAP. Needs
# FAKE_SMSC (the built binary), python3 and curl; touches only 127.0.0.1 and
# a temporary folder; every wait is bounded.
set -u

: "${FAKE_SMSC:?FAKE_SMSC must name the built fake_smsc binary}"

T=$(mktemp -d "${TMPDIR:-/tmp}/fake-smsc-test.XXXXXX")
tap_n=0
tap_failed=0
FS_PID=

cleanup() {
	if [ -n "$FS_PID" ]; then
		kill -9 "$FS_PID" 2>/dev/null
		wait "$FS_PID" 2>/dev/null
	fi
	if [ "$tap_failed" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "# test folder kept: $T"
	fi
}
trap cleanup EXIT

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
}

# The client's checks, numbered from its first argument.
CLIENT_TESTS=47
echo "1..$((CLIENT_TESTS + 3))"

"$FAKE_SMSC" --port-file "$T/port" --control-port-file "$T/ctl" \
    --log "$T/smsc.jsonl" --system-id council --password s3cret \
    2>>"$T/stderr" &
FS_PID=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
PORT=$(cat "$T/port" 2>/dev/null)
CTL=$(cat "$T/ctl" 2>/dev/null)
if [ -n "$PORT" ] && [ "$PORT" -gt 0 ] 2>/dev/null &&
    [ -n "$CTL" ] && [ "$CTL" -gt 0 ] 2>/dev/null; then
	ok "starts and writes its two port files"
else
	not_ok "starts and writes its two port files"
	exit 1
fi

cat >"$T/client.py" <<'PY'
import json, socket, struct, sys, time, urllib.request, urllib.error

port, ctl, log_path, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
failed = 0

def tap(ok, desc, detail=None):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, desc))
    if not ok:
        failed += 1
        if detail is not None:
            for l in str(detail)[:2000].splitlines():
                print("#   " + l)
    sys.stdout.flush()

def http(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (ctl, path), data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")

def stats():
    return http("GET", "/_stats")[1]

def log_lines():
    with open(log_path) as f:
        return [json.loads(l) for l in f if l.strip()]

def wait_log(pred, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        hits = [l for l in log_lines() if pred(l)]
        if hits:
            return hits
        time.sleep(0.05)
    return []

def wait_stats(pred, timeout=5.0):
    end = time.time() + timeout
    s = None
    while time.time() < end:
        s = stats()
        if pred(s):
            return True, s
        time.sleep(0.05)
    return False, s

def cstr(s):
    return s.encode() + b"\0"

def pdu(cmd, seq, body=b"", status=0):
    return struct.pack(">IIII", 16 + len(body), cmd, status, seq) + body

def tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value

BIND_RX, BIND_TX, BIND_TRX = 1, 2, 9
SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 4, 5, 6, 0x15
GENERIC_NACK, RESP = 0x80000000, 0x80000000

class Esme:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self.seq = 0
    def next_seq(self):
        self.seq += 1
        return self.seq
    def send(self, data):
        self.sock.sendall(data)
    def read(self):
        """(cmd, status, seq, body), or None at EOF or after 5 s."""
        try:
            while len(self.buf) < 4 or len(self.buf) < struct.unpack(">I", self.buf[:4])[0]:
                d = self.sock.recv(65536)
                if not d:
                    return None
                self.buf += d
        except (socket.timeout, ConnectionError):
            return None
        length, cmd, status, seq = struct.unpack(">IIII", self.buf[:16])
        body, self.buf = self.buf[16:length], self.buf[length:]
        return cmd, status, seq, body
    def eof(self):
        """True when the fake closed the connection (within 5 s)."""
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
        except socket.timeout:
            return False
        except ConnectionError:
            return True
    def bind(self, cmd=BIND_TRX, system_id="council", password="s3cret"):
        seq = self.next_seq()
        body = cstr(system_id) + cstr(password) + cstr("") + bytes([0x34, 0, 0]) + cstr("")
        self.send(pdu(cmd, seq, body))
        return self.read()
    def submit(self, text_bytes, dc=0, esm=0, regdel=1, src="40404", dst="254700000001", tlvs=b"", seq=None):
        seq = seq or self.next_seq()
        body = (cstr("") + bytes([5, 0]) + cstr(src) + bytes([1, 1]) + cstr(dst) +
                bytes([esm, 0, 0]) + cstr("") + cstr("") + bytes([regdel, 0, dc, 0, len(text_bytes)]) +
                text_bytes + tlvs)
        self.send(pdu(SUBMIT_SM, seq, body))
        return seq
    def close(self):
        self.sock.close()

def parse_deliver(body):
    """The fields of a deliver_sm body (SMPP 3.4, 4.6.1)."""
    f, i = {}, 0
    def c():
        nonlocal i
        j = body.index(b"\0", i)
        s = body[i:j].decode("latin-1")
        i = j + 1
        return s
    def b():
        nonlocal i
        i += 1
        return body[i - 1]
    f["service_type"] = c()
    f["source_ton"], f["source_npi"] = b(), b()
    f["source_addr"] = c()
    f["dest_ton"], f["dest_npi"] = b(), b()
    f["destination_addr"] = c()
    f["esm_class"], f["protocol_id"], f["priority"] = b(), b(), b()
    f["schedule"], f["validity"] = c(), c()
    f["registered_delivery"], f["replace"], f["data_coding"], f["default_id"] = b(), b(), b(), b()
    sm_len = b()
    f["short_message"] = body[i:i + sm_len]
    i += sm_len
    f["tlvs"] = {}
    while i + 4 <= len(body):
        tag, l = struct.unpack(">HH", body[i:i + 4])
        f["tlvs"][tag] = body[i + 4:i + 4 + l]
        i += 4 + l
    f["rest"] = len(body) - i
    return f

def gsm(s):
    return s.encode("ascii")

# Bind: a wrong password and a wrong system_id are refused.
e = Esme()
r = e.bind(password="nope")
tap(r is not None and r[0] == BIND_TRX | RESP and r[1] == 0x0E, "bind: a wrong password gets ESME_RINVPASWD", r)
r = e.bind(system_id="other")
tap(r is not None and r[1] == 0x0F, "bind: a wrong system_id gets ESME_RINVSYSID", r)
seq = e.submit(gsm("early"))
r = e.read()
tap(r is not None and r[0] == SUBMIT_SM | RESP and r[1] == 0x04 and r[2] == seq,
    "submit_sm before a bind gets ESME_RINVBNDSTS", r)
r = e.bind()
tap(r is not None and r[0] == BIND_TRX | RESP and r[1] == 0 and r[3] == cstr("fakesmsc"),
    "bind_transceiver: resp OK with system_id fakesmsc", r)
r = e.bind()
tap(r is not None and r[1] == 0x05, "a second bind gets ESME_RALYBND", r)
seq = e.next_seq()
e.send(pdu(ENQUIRE_LINK, seq))
r = e.read()
tap(r == (ENQUIRE_LINK | RESP, 0, seq, b""), "enquire_link gets enquire_link_resp", r)

# submit_sm, GSM-7 unpacked: resp with an id and one log line.
seq = e.submit(gsm("Habari {yako}").replace(b"{", b"\x1b\x28").replace(b"}", b"\x1b\x29"))
r = e.read()
mid = r[3].rstrip(b"\0").decode() if r else ""
tap(r is not None and r[0] == SUBMIT_SM | RESP and r[1] == 0 and r[2] == seq and mid.isdigit(),
    "submit_sm: resp OK with a decimal message id", r)
hits = wait_log(lambda l: l.get("event") == "submit_sm" and l.get("seq") == seq)
l = hits[0] if hits else {}
tap(l.get("text") == "Habari {yako}" and l.get("id") == mid and l.get("source_addr") == "40404" and
    l.get("source_ton") == 5 and l.get("destination_addr") == "254700000001" and l.get("dest_ton") == 1 and
    l.get("data_coding") == 0 and l.get("registered_delivery") == 1 and l.get("status") == 0 and
    l.get("short_message", "").startswith("4861626172"),
    "submit_sm: logged with addresses, GSM-7 text (extension table) and id", l)

# UCS-2 with an emoji: UTF-16BE with a surrogate pair.
text = "Karibu \u00e9 \U0001F600"
seq = e.submit(text.encode("utf-16-be"), dc=8)
r = e.read()
hits = wait_log(lambda l: l.get("event") == "submit_sm" and l.get("seq") == seq)
tap(r is not None and r[1] == 0 and hits and hits[0].get("text") == text,
    "UCS-2: the surrogate pair decodes to the emoji", hits)

# Three parts by UDH (8-bit reference) are joined.
long_text = "".join(chr(ord("a") + i % 26) for i in range(400))
chunks = [long_text[0:153], long_text[153:306], long_text[306:]]
for k, ch in enumerate(chunks):
    e.submit(bytes([5, 0, 3, 0x2A, 3, k + 1]) + gsm(ch), esm=0x40)
resps = [e.read() for _ in chunks]
hits = wait_log(lambda l: l.get("event") == "joined" and l.get("ref") == 0x2A)
parts = [l for l in log_lines() if l.get("event") == "submit_sm" and l.get("udh", {}).get("ref") == 0x2A]
tap(all(x is not None and x[1] == 0 for x in resps) and len(parts) == 3 and
    [p["udh"]["part"] for p in parts] == [1, 2, 3] and parts[0]["udh"]["total"] == 3 and
    parts[1]["text"] == chunks[1],
    "UDH parts: each logged with ref, total, part and its own text", parts)
tap(len(hits) == 1 and hits[0].get("joined") == long_text and hits[0].get("parts") == 3 and
    hits[0].get("to") == "254700000001", "UDH parts: joined once all are in", hits)

# Two parts by SAR, UCS-2, an emoji split between them.
u = "Habari \U0001F44B rafiki".encode("utf-16-be")
cut = 16  # inside the surrogate pair
for k, part in enumerate([u[:cut], u[cut:]]):
    e.submit(part, dc=8, tlvs=tlv(0x020C, struct.pack(">H", 777)) + tlv(0x020E, b"\x02") + tlv(0x020F, bytes([k + 1])))
resps = [e.read(), e.read()]
hits = wait_log(lambda l: l.get("event") == "joined" and l.get("ref") == 777)
sar = [l.get("sar") for l in log_lines() if l.get("event") == "submit_sm" and l.get("sar")]
tap(sar[-2:] == [{"ref": 777, "total": 2, "part": 1}, {"ref": 777, "total": 2, "part": 2}],
    "SAR: the TLVs are logged", sar)
tap(len(hits) == 1 and hits[0].get("joined") == "Habari \U0001F44B rafiki" and hits[0].get("via") == "sar",
    "SAR: joined before decoding, so a split surrogate pair survives", hits)

# message_payload.
seq = e.submit(b"", tlvs=tlv(0x0424, gsm("payload text")))
r = e.read()
hits = wait_log(lambda l: l.get("event") == "submit_sm" and l.get("seq") == seq)
tap(r is not None and r[1] == 0 and hits and hits[0].get("message_payload_text") == "payload text" and
    hits[0].get("message_payload") == gsm("payload text").hex(), "message_payload: logged as hex and text", hits)

# Throttling, queue full and a chosen error, each for a count.
st, body = http("POST", "/_control", {"mode": "throttle", "count": 2})
statuses = []
for _ in range(3):
    e.submit(gsm("t"))
    statuses.append(e.read()[1])
tap(st == 200 and statuses == [0x58, 0x58, 0], "throttle count 2: ESME_RTHROTTLED twice, then OK", statuses)
http("POST", "/_control", {"mode": "msgqful", "count": 1})
e.submit(gsm("q"))
r1 = e.read()
http("POST", "/_control", {"mode": "fail", "count": 1, "status": 0x0B})
e.submit(gsm("f"))
r2 = e.read()
tap(r1[1] == 0x14 and r1[3] == b"" and r2[1] == 0x0B, "msgqful and fail: their status, no message id", (r1, r2))
st, body = http("POST", "/_control", {"mode": "sometimes"})
tap(st == 400 and "error" in body, "control: an unknown mode gets 400", body)
s = stats()
tap(s["submit_resp"].get("0x00000058") == 2 and s["submit_resp"].get("0x00000014") == 1 and
    s["submit_resp"].get("0x0000000B") == 1 and s["mode"] == "ok", "stats: submit_resp counted by status", s)

# MO by /_mo: a deliver_sm; its resp is counted.
st, body = http("POST", "/_mo", {"from": "+254700000009", "to": "40404", "text": "Ripoti maji", "coding": "gsm"})
r = e.read()
d = parse_deliver(r[3]) if r else {}
tap(st == 200 and r is not None and r[0] == DELIVER_SM and body.get("seqs") == [r[2]] and
    d["source_addr"] == "254700000009" and d["source_ton"] == 1 and d["destination_addr"] == "40404" and
    d["short_message"] == gsm("Ripoti maji") and d["data_coding"] == 0 and d["esm_class"] == 0 and d["rest"] == 0,
    "MO: /_mo sends a deliver_sm (international source, GSM-7)", (st, body, d))
ok1, s1 = wait_stats(lambda s: s["deliver_sm_unacked"] == 1)
tap(ok1 and s1["unacked_seqs"] == [r[2]] and s1["mo_sent"] == 1, "MO: unacknowledged until its resp", s1)
e.send(pdu(DELIVER_SM | RESP, r[2], b"\0"))
ok2, s2 = wait_stats(lambda s: s["deliver_sm_unacked"] == 0)
tap(ok2 and s2["deliver_sm_resp"] == {"0x00000000": 1}, "MO: deliver_sm_resp counted by status", s2)

# A long UCS-2 MO in UDH parts, emoji kept whole.
mo = "Habari \U0001F30D " * 25
st, body = http("POST", "/_mo", {"from": "+254700000009", "to": "40404", "text": mo, "coding": "ucs2", "parts": "udh"})
got, refs = b"", set()
for _ in body.get("seqs", []):
    r = e.read()
    d = parse_deliver(r[3])
    sm = d["short_message"]
    refs.add((sm[3], sm[4]))
    got += sm[6:]
    e.send(pdu(DELIVER_SM | RESP, r[2], b"\0"))
tap(st == 200 and body.get("parts", 0) >= 3 and len(refs) == 1 and d["esm_class"] == 0x40 and
    d["data_coding"] == 8 and got.decode("utf-16-be") == mo,
    "MO: a long UCS-2 text goes in UDH parts that join back", (st, body))
st, body = http("POST", "/_mo", {"from": "+2547", "to": "40404", "text": "x" * 200, "parts": "sar"})
segs = []
for _ in body.get("seqs", []):
    r = e.read()
    d = parse_deliver(r[3])
    segs.append((d["tlvs"].get(0x020E), d["tlvs"].get(0x020F), d["short_message"]))
    e.send(pdu(DELIVER_SM | RESP, r[2], b"\0", status=0x64))
tap(st == 200 and len(segs) == 2 and segs[0][:2] == (b"\x02", b"\x01") and segs[1][:2] == (b"\x02", b"\x02") and
    segs[0][2] + segs[1][2] == b"x" * 200, "MO: SAR parts carry the three TLVs", segs)
ok3, s3 = wait_stats(lambda s: s["deliver_sm_resp"].get("0x00000064") == 2)
tap(ok3, "MO: an error deliver_sm_resp is counted under its status", s3)
st, body = http("POST", "/_mo", {"from": "1", "to": "2", "text": "\u4f60\u597d", "coding": "gsm"})
tap(st == 400, "MO: GSM text outside GSM 03.38 gets 400", body)

# A receipt by /_receipt for the id answered above.
st, body = http("POST", "/_receipt", {"id": mid, "stat": "DELIVRD"})
r = e.read()
d = parse_deliver(r[3]) if r else {}
txt = d.get("short_message", b"").decode("latin-1")
tap(st == 200 and d.get("esm_class") == 4 and d.get("source_addr") == "254700000001" and
    d.get("destination_addr") == "40404" and txt.startswith("id:%s sub:001 dlvrd:001 submit date:" % mid) and
    " stat:DELIVRD err:000 text:Habari" in txt, "receipt: esm_class 0x04 and the id: text", txt)
tap(d.get("tlvs", {}).get(0x001E) == cstr(mid) and d.get("tlvs", {}).get(0x0427) == b"\x02",
    "receipt: receipted_message_id and message_state DELIVERED", d.get("tlvs"))
e.send(pdu(DELIVER_SM | RESP, r[2], b"\0"))
st, body = http("POST", "/_receipt", {"id": "99999999"})
tap(st == 404, "receipt: an unknown id gets 404", body)

# Automatic receipts after the resp, and only when asked for.
http("POST", "/_auto_receipts", {"on": True, "stat": "UNDELIV", "err": "001"})
seq = e.submit(gsm("auto"), regdel=1)
r1, r2 = e.read(), e.read()
txt = parse_deliver(r2[3])["short_message"].decode() if r2 and r2[0] == DELIVER_SM else ""
tap(r1 is not None and r1[0] == SUBMIT_SM | RESP and r1[2] == seq and
    txt.startswith("id:%s sub:001 dlvrd:000" % r1[3].rstrip(b"\0").decode()) and "stat:UNDELIV err:001" in txt,
    "auto receipts: the resp, then the receipt", (r1, txt))
e.send(pdu(DELIVER_SM | RESP, r2[2], b"\0"))
seq = e.submit(gsm("none"), regdel=0)
e.send(pdu(ENQUIRE_LINK, 900))
r1, r2 = e.read(), e.read()
tap(r1[0] == SUBMIT_SM | RESP and r2 == (ENQUIRE_LINK | RESP, 0, 900, b""),
    "auto receipts: none when registered_delivery is 0", (r1, r2))
http("POST", "/_auto_receipts", {"on": False})

# resp_delay_ms holds the resp; other PDUs are answered meanwhile.
http("POST", "/_control", {"resp_delay_ms": 400})
seq = e.submit(gsm("slow"))
e.send(pdu(ENQUIRE_LINK, 901))
r1, r2 = e.read(), e.read()
http("POST", "/_control", {"resp_delay_ms": 0})
tap(r1 == (ENQUIRE_LINK | RESP, 0, 901, b"") and r2 is not None and r2[0] == SUBMIT_SM | RESP and r2[2] == seq,
    "resp_delay_ms: submit_sm_resp comes after the later enquire_link_resp", (r1, r2))

# Hex ids.
http("POST", "/_control", {"id_format": "hex"})
e.submit(gsm("hex"))
r = e.read()
hid = r[3].rstrip(b"\0").decode()
http("POST", "/_control", {"id_format": "dec"})
st, body = http("POST", "/_receipt", {"id": hid, "tlvs": False})
r2 = e.read()
d = parse_deliver(r2[3])
tap(len(hid) == 8 and all(ch in "0123456789ABCDEF" for ch in hid) and st == 200 and
    d["short_message"].startswith(("id:" + hid).encode()) and d["tlvs"] == {},
    "hex ids: 8 hex digits, and a receipt without TLVs", (hid, d))
e.send(pdu(DELIVER_SM | RESP, r2[2], b"\0"))

# Unknown command_id and a generic_nack from the ESME.
e.send(pdu(0x00000123, 902))
r = e.read()
tap(r == (GENERIC_NACK, 0x03, 902, b""), "an unknown command_id gets generic_nack ESME_RINVCMDID", r)
e.send(pdu(GENERIC_NACK, 903, status=0x03))
hits = wait_log(lambda l: l.get("event") == "generic_nack" and l.get("seq") == 903)
tap(len(hits) == 1 and hits[0]["status"] == 3, "a generic_nack received is logged", hits)
# A body libsmpp34 cannot decode (sm_length beyond the PDU).
bad = (cstr("") + bytes([1, 1]) + cstr("1") + bytes([1, 1]) + cstr("2") + bytes([0, 0, 0]) +
       cstr("") + cstr("") + bytes([0, 0, 0, 0, 200]) + b"abc")
e.send(pdu(SUBMIT_SM, 904, bad))
r = e.read()
hits = wait_log(lambda l: l.get("event") == "decode_error" and l.get("seq") == 904)
tap(r is not None and r[0] == GENERIC_NACK and r[1] == 0x08 and r[2] == 904 and hits,
    "a body libsmpp34 cannot decode gets generic_nack ESME_RSYSERR and is logged", (r, hits))

# A receiver cannot submit; with no receiver bound /_mo gets 409.
rx = Esme()
r = rx.bind(cmd=BIND_RX)
rx.submit(gsm("x"))
r2 = rx.read()
tap(r[0] == BIND_RX | RESP and r[1] == 0 and r2[1] == 0x04, "a receiver bind: submit_sm gets ESME_RINVBNDSTS", (r, r2))
tx = Esme()
r = tx.bind(cmd=BIND_TX)

# /_drop closes every ESME connection; the SMSC keeps listening.
st, body = http("POST", "/_drop")
tap(st == 200 and body == {"dropped": 3} and e.eof() and rx.eof() and tx.eof(),
    "/_drop closes every connection", body)
st, body = http("POST", "/_mo", {"from": "1", "to": "2", "text": "x"})
tap(st == 409, "/_mo without a bound receiver gets 409", body)
e = Esme()
r = e.bind()
tap(r is not None and r[1] == 0, "after /_drop a new bind succeeds", r)

# /_down refuses new connections until turned off.
http("POST", "/_down", {"on": True})
d1 = Esme()
tap(d1.eof() and e.bind()[1] == 0x05, "/_down: a new connection is closed at once, the open one stays", None)
http("POST", "/_down", {"on": False})
d2 = Esme()
r = d2.bind(cmd=BIND_TX)
tap(r is not None and r[1] == 0, "/_down off: connections are accepted again", r)

# A command_length out of bounds closes the connection.
d2.send(struct.pack(">IIII", 70000, SUBMIT_SM, 0, 1))
tap(d2.eof() and wait_log(lambda l: l.get("event") == "bad_length" and l.get("command_length") == 70000),
    "command_length over 64 KiB: logged, connection closed", None)
d3 = Esme()
d3.send(struct.pack(">IIII", 8, ENQUIRE_LINK, 0, 1))
tap(d3.eof(), "command_length under 16: connection closed", None)

# At most 64 connections.
many = [Esme() for _ in range(63)]  # with e: 64
extra = Esme()
tap(extra.eof() and stats()["connections"] == 64, "the 65th connection is closed at accept", stats()["connections"])
for m in many:
    m.close()

# unbind: unbind_resp, then the fake closes.
seq = e.next_seq()
e.send(pdu(UNBIND, seq))
r = e.read()
tap(r == (UNBIND | RESP, 0, seq, b"") and e.eof(), "unbind: unbind_resp, then close", r)

s = stats()
tap(s["binds"]["transceiver"] == 2 and s["binds"]["receiver"] == 1 and s["bind_failures"] == 4 and
    s["joined"] == 2 and s["receipts_sent"] == 2 + 1 and s["mo_sent"] == 3 and s["unbinds"] == 1 and
    s["generic_nacks_received"] == 1 and s["generic_nacks_sent"] == 2 and s["decode_errors"] == 1 and
    s["bad_length"] == 2 and s["deliver_sm_unacked"] == 0, "stats: the counters add up", s)
st, s = http("POST", "/_reset")
tap(st == 200 and s["submits"] == 0 and s["submit_resp"] == {} and s["binds"]["transceiver"] == 0 and
    s["deliver_sm_resp"] == {}, "/_reset zeroes the counters", s)
sys.exit(1 if failed else 0)
PY

python3 "$T/client.py" "$PORT" "$CTL" "$T/smsc.jsonl" "$tap_n"
rc=$?
tap_n=$((tap_n + CLIENT_TESTS))
[ $rc -eq 0 ] || tap_failed=$((tap_failed + 1))
if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then
	ok "the SMPP client ran to its end"
else
	not_ok "the SMPP client ran to its end (exit $rc)"
fi

# SIGTERM: a clean exit.
kill -TERM "$FS_PID"
i=0
while kill -0 "$FS_PID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
wait "$FS_PID"
rc=$?
FS_PID=
if [ $rc -eq 0 ]; then
	ok "SIGTERM: exits with status 0"
else
	not_ok "SIGTERM: exits with status 0 (got $rc)"
fi

[ "$tap_failed" -eq 0 ]
