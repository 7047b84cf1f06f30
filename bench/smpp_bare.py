#!/usr/bin/env python3
"""bench/smpp_bare.py: the floor for bench/smpp. A minimal SMPP 3.4 client
of ours doing only what sending takes: bind_transceiver, then N submit_sm
(GSM-7, one segment each, registered_delivery 1) keeping WINDOW of them
awaiting their submit_sm_resp, answering enquire_link, until every resp is
in. No store, no queue, no retries. Prints "N SECONDS" on stdout.

    smpp_bare.py HOST PORT SYSTEM_ID PASSWORD N WINDOW
"""
import socket
import struct
import sys
import time


def pdu(cmd, status, seq, body=b""):
    return struct.pack(">IIII", 16 + len(body), cmd, status, seq) + body


def cstr(s):
    return s.encode() + b"\0"


def main():
    host, port, sysid, pw, n, window = sys.argv[1:7]
    port, n, window = int(port), int(n), int(window)
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = cstr(sysid) + cstr(pw) + cstr("") + bytes([0x34, 0, 0]) + cstr("")
    s.sendall(pdu(0x09, 0, 1, body))
    buf = b""
    bound = False
    sent = done = 0
    seq = 2
    t0 = None
    deadline = time.time() + 300
    while done < n and time.time() < deadline:
        if bound and sent < n and sent - done < window:
            out = []
            while sent < n and sent - done < window:
                text = ("Dispatch %d" % sent).encode()
                b = (cstr("") + bytes([0, 0]) + cstr("40404") + bytes([1, 1])
                     + cstr("2547%08d" % sent) + bytes([0, 0, 0]) + cstr("")
                     + cstr("") + bytes([1, 0, 0, 0, len(text)]) + text)
                out.append(pdu(0x04, 0, seq, b))
                seq += 1
                sent += 1
            s.sendall(b"".join(out))
        data = s.recv(65536)
        if not data:
            break
        buf += data
        while len(buf) >= 16:
            length, cmd, status, q = struct.unpack(">IIII", buf[:16])
            if len(buf) < length:
                break
            buf = buf[length:]
            if cmd == 0x80000009:
                if status != 0:
                    sys.exit("bind refused: 0x%08x" % status)
                bound = True
                t0 = time.time()
            elif cmd == 0x80000004:
                done += 1
            elif cmd == 0x15:
                s.sendall(pdu(0x80000015, 0, q))
            elif cmd == 0x05:
                s.sendall(pdu(0x80000005, 0, q, b"\0"))
    t1 = time.time()
    s.sendall(pdu(0x06, 0, seq))
    s.close()
    print(done, "%.3f" % (t1 - (t0 or t1)))


if __name__ == "__main__":
    main()
