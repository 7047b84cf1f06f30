#!/bin/sh
# baraza test: the .flowtest files shipped with the example flows pass (in
# any time zone, never touching the configured database), and the failing
# cases say so as the contract words it: FILE:LINE: expected ..., got ...
# and exit 1, syntax errors as FILE:LINE:COL: error:, --junit writes XML
# with the counts, --coverage names a step no test reached, and baraza
# check notes a flow that no test starts without changing its status.
. "$SRCDIR/tests/integration/lib.sh"
plan 53

ex="$SRCDIR/flows/examples"
tests_shipped=$(cat "$ex"/tests/*.flowtest | grep -c '^test "')

# The config of the demo: the example flows and an Africa's Talking
# channel (a report's status SMS needs a channel to be queued on).
conf() { # FILE FLOWS [DATABASE]
	cat >"$1" <<CONF
[gateway]
database = ${3:-baraza.db}
flows = $2
languages = en sw
country_code = 254
default_channel = at

[channel at]
type = africastalking
username = sandbox
api_key = at-key
api_url = http://127.0.0.1:9
webhook_secret = $HOOK_SECRET
CONF
}
conf "$T/baraza.conf" "$ex"

# --- the shipped tests, found by default (the tests folder of the flows) ---
out=$(cd "$T" && "$BARAZA" -c "$T/baraza.conf" test 2>"$T/err")
is "the example flows' tests pass (exit 0)" "$?" 0
is "the last line counts them" "$(printf '%s\n' "$out" | tail -n 1)" \
    "$tests_shipped passed, 0 failed"
is "nothing but the count on stdout" "$(printf '%s\n' "$out" | wc -l)" 1
is "nothing on stderr" "$(cat "$T/err")" ""
check "the configured database is never created" test ! -e "$T/baraza.db"
for tz in UTC0 XST-14 YST+11; do
	out=$(TZ=$tz "$BARAZA" -c "$T/baraza.conf" test 2>&1)
	is "they pass in the time zone $tz too" "$(printf '%s\n' "$out" | tail -n 1)" \
	    "$tests_shipped passed, 0 failed"
done
conf "$T/nodb.conf" "$ex" "/nonexistent/folder/baraza.db"
"$BARAZA" -c "$T/nodb.conf" test >/dev/null 2>&1
is "a database that cannot be opened does not matter" "$?" 0
out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
is "check passes on the example flows" "$?" 0
is "and has no note: every example flow is tested" \
    "$(printf '%s\n' "$out" | grep -c 'note:')" 0

# --- flows of our own: a fetch, a step no test reaches, an untested flow ---
mkdir -p "$T/site/flows" "$T/site/tests"
cat >"$T/site/flows/water.flow" <<'FLOW'
flow water "Water balance"
  on keyword WATER
  fetch acct from "https://billing.example.org/balance/{rest}"
    missing "No such account."
    failed "The billing service is down." -> down
  end "Balance: {acct.balance}"

  step down
  say "Try again later."

flow lonely
  on keyword LONELY
  say "Nobody tests me."
FLOW
cat >"$T/site/tests/water.flowtest" <<'TEST'
# The fetch answered by stubs: the file's, then one of the test's.
at 2026-12-01T08:00
phone 0700000001
stub /^https:\/\/billing\.example\.org\/balance\/1234567$/ 200 "{\"balance\": 12.5}"

test "a fetch, stubbed"
  sms "WATER 1234567"
  reply "Balance: 12.5"

test "the test's stub wins"
  stub /balance/ 404 "{}"
  sms "WATER 1234567"
  reply "No such account."
TEST
conf "$T/site/baraza.conf" flows
out=$("$BARAZA" -c "$T/site/baraza.conf" test --coverage 2>&1)
is "the tests beside the flows folder are found, stubs answer (exit 0)" "$?" 0
like "coverage counts the steps of a flow" "$out" \
    'coverage: flow water \(.*water\.flow\): 2 of 4 steps reached'
like "coverage names a step no test reached, with its place" "$out" \
    "  $T/site/flows/water.flow:9:3: say not reached"
like "and a flow no test ran" "$out" \
    'coverage: flow lonely \(.*\): 0 of 1 step reached'
is "the count is still the last line" "$(printf '%s\n' "$out" | tail -n 1)" \
    "2 passed, 0 failed"
"$BARAZA" -c "$T/site/baraza.conf" check >"$T/out" 2>&1
is "check still exits 0 with an untested flow" "$?" 0
like "check notes the untested flow at its place" "$(cat "$T/out")" \
    "^$T/site/flows/water\\.flow:11:1: note: flow 'lonely' has no test \\(no \\.flowtest file in $T/site/tests starts it\\)\$"
is "only that one" "$(grep -c 'note:' "$T/out")" 1
like "the warning count is unchanged" "$(cat "$T/out")" \
    'ok, 2 flows in 1 file, 0 warnings'

# --- a flow that never runs: a note; a flow only jumped to runs ---
mkdir -p "$T/spare/flows"
cat >"$T/spare/flows/a.flow" <<'FLOW'
flow a
  on keyword A
  goto flow b

flow b
  end "b"

flow spare
  say "Nothing starts me."
  goto flow later

flow later
  end "later"
FLOW
conf "$T/spare/baraza.conf" flows
"$BARAZA" -c "$T/spare/baraza.conf" check >"$T/out" 2>&1
is "check exits 0 with a flow that never runs" "$?" 0
like "a flow with no trigger that nothing jumps to is noted" "$(cat "$T/out")" \
    "^$T/spare/flows/a\\.flow:8:1: note: flow 'spare' never runs \\(it has no trigger, and no flow that runs jumps to it\\)\$"
like "so is the flow only it jumps to" "$(cat "$T/out")" \
    "^$T/spare/flows/a\\.flow:12:1: note: flow 'later' never runs"
is "a flow jumped to from a triggered flow is not" \
    "$(grep -c "never runs" "$T/out")" 2
like "notes change no count" "$(cat "$T/out")" \
    'ok, 4 flows in 1 file, 0 warnings'

# --- failing tests ---
mkdir -p "$T/fail"
cat >"$T/fail/wrong.flowtest" <<'TEST'
table bills from "../bills.csv" key account
phone 0700000001

test "balance in one SMS"
  sms "BAL 1234567"
  reply "Amina Odhiambo, account 1234567: balance KES 99.00, due 2026-12-15."

test "the menu"
  dial *384#
  send "1"
  screen "END Enter your water account number:"

test "still passes"
  sms "HELP"
  reply /^County services/
TEST
cp "$SRCDIR/examples/bills.csv" "$T/bills.csv"
out=$("$BARAZA" -c "$T/baraza.conf" test "$T/fail/wrong.flowtest" 2>&1)
is "a wrong reply exits 1" "$?" 1
is "the exact line, with the whole reply" \
    "$(printf '%s\n' "$out" | sed -n 1p)" \
    "$T/fail/wrong.flowtest:6: expected \"Amina Odhiambo, account 1234567: balance KES 99.00, due 2026-12-15.\", got \"Amina Odhiambo, account 1234567: balance KES 1250.00, due 2026-12-15.\""
is "a wrong USSD screen shows the screen with its prefix" \
    "$(printf '%s\n' "$out" | sed -n 2p)" \
    "$T/fail/wrong.flowtest:11: expected \"END Enter your water account number:\", got \"CON Enter your water account number:\""
is "then the count" "$(printf '%s\n' "$out" | sed -n 3p)" "1 passed, 2 failed"

cat >"$T/site/tests/zz_fail.flowtest" <<'TEST'
phone 0700000001

test "a fetch with no stub"
  sms "WATER 7654321"
  reply "Balance: 1"

test "a message that was not sent"
  sent 0700000001 "Anything"

test "a reply checked twice"
  sms "LONELY"
  reply "Nobody tests me."
  reply "Nobody tests me."
TEST
cat >"$T/site/tests/zz_syntax.flowtest" <<'TEST'
test "a"
  frob "x"
  sms "unterminated
TEST
out=$("$BARAZA" -c "$T/site/baraza.conf" test --junit "$T/junit.xml" 2>&1)
is "failures exit 1" "$?" 1
like "a fetch with no stub fails the test, naming the URL" "$out" \
    "zz_fail\\.flowtest:4: expected a stub for the fetch of \"https://billing\\.example\\.org/balance/7654321\", got none"
like "sent with nothing queued" "$out" \
    "zz_fail\\.flowtest:8: expected a message to \\+254700000001 \"Anything\", got none"
like "a reply already checked" "$out" \
    "zz_fail\\.flowtest:13: expected \"Nobody tests me\\.\", got no reply"
like "a syntax error is FILE:LINE:COL: error:" "$out" \
    "zz_syntax\\.flowtest:2:3: error: unknown statement 'frob'"
like "every syntax error of the file" "$out" \
    "zz_syntax\\.flowtest:3:7: error: unterminated string"
is "the file counts as one failed test" "$(printf '%s\n' "$out" | tail -n 1)" \
    "2 passed, 4 failed"
if command -v python3 >/dev/null 2>&1; then
	counts=$(python3 - "$T/junit.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall("./testsuite/testcase")
failed = [c for c in cases if c.find("failure") is not None]
print(root.tag, root.get("tests"), root.get("failures"),
      len(root.findall("testsuite")), len(cases), len(failed))
PY
)
	is "--junit writes valid XML with the counts" "$counts" \
	    "testsuites 6 4 3 6 4"
else
	ok "--junit XML not parsed (# SKIP python3 is missing)"
fi
like "--junit: one testcase per test, named" "$(cat "$T/junit.xml")" \
    '<testcase classname="[^"]*water\.flowtest" name="a fetch, stubbed"/>'
like "--junit: a failure carries the line" "$(cat "$T/junit.xml")" \
    '<failure message="[^"]*zz_fail\.flowtest:13: expected &quot;Nobody tests me\.&quot;, got no reply">'

# --- translation lines, as in the flow language: the contact's language ---
mkdir -p "$T/tr"
cat >"$T/tr/tr.flowtest" <<'TEST'
phone 0700000001
test "a translated reply and screen"
  lang sw
  sms "BILI"
  reply "Enter your water account number:"
    sw "Weka nambari ya akaunti yako ya maji:"
  sms "12"
  reply "Account numbers have 6 to 10 digits. Try again:\nEnter your water account number:"
    sw "Nambari ya akaunti ina tarakimu 6 hadi 10. Jaribu tena:\nWeka nambari ya akaunti yako ya maji:"
  phone 0700000002
  lang en
  dial *384*1#
  screen "CON Enter your water account number:"
    sw "CON Weka nambari ya akaunti yako ya maji:"
TEST
out=$("$BARAZA" -c "$T/baraza.conf" test "$T/tr/tr.flowtest" 2>&1)
is "a test picks each TEXT by the contact's language" "$out" "1 passed, 0 failed"
cat >"$T/tr/wrong.flowtest" <<'TEST'
phone 0700000001
lang sw
test "the Swahili text is the one compared"
  sms "BILI"
  reply "Enter your water account number:"
    sw "Weka nambari ya akaunti:"
TEST
out=$("$BARAZA" -c "$T/baraza.conf" test "$T/tr/wrong.flowtest" 2>&1)
like "a wrong translation fails, with the translated text" "$out" \
    'wrong\.flowtest:5: expected "Weka nambari ya akaunti:", got "Weka nambari ya akaunti yako ya maji:"'
printf 'phone 0700000001\ntest "t"\n  dial *384#\n    sw "x"\n' >"$T/tr/bad.flowtest"
out=$("$BARAZA" -c "$T/baraza.conf" test "$T/tr/bad.flowtest" 2>&1)
like "a translation under a statement without a TEXT is a syntax error" "$out" \
    'bad\.flowtest:4:5: error: a translation line .sw "\.\.\.". goes right under a statement with a TEXT'

# --- bad usage or config: exit 2 ---
"$BARAZA" -c "$T/baraza.conf" test "$T/nonexistent.flowtest" >/dev/null 2>"$T/err"
is "a path that does not exist exits 2" "$?" 2
"$BARAZA" -c "$T/baraza.conf" test --frob >/dev/null 2>&1
is "an unknown option exits 2" "$?" 2
mkdir -p "$T/empty"
"$BARAZA" -c "$T/baraza.conf" test "$T/empty" >/dev/null 2>&1
is "a folder with no .flowtest file exits 2" "$?" 2

# --- flows with errors: every test fails, the count is still the last line ---
echo 'flow broken' >"$T/site/flows/zz.flow"
echo '  goto nowhere' >>"$T/site/flows/zz.flow"
"$BARAZA" -c "$T/site/baraza.conf" test --junit "$T/broken.xml" >"$T/out" 2>"$T/err"
is "flows with errors fail the run (exit 1)" "$?" 1
like "their finding is printed as the checker prints it" "$(cat "$T/out")" \
    "^$T/site/flows/zz\\.flow:2:8: error: unknown step 'nowhere'"
like "each test says why it failed" "$(cat "$T/out")" \
    "^$T/site/tests/water\\.flowtest:6: expected the flows to load, got 1 error\$"
is "every test failed, the count last" "$(tail -n 1 "$T/out")" \
    "0 passed, $(grep -c 'expected the flows to load' "$T/out") failed"
like "stderr points at baraza check" "$(cat "$T/err")" 'see baraza check'
like "the JUnit file holds the failures" "$(cat "$T/broken.xml")" 'expected the flows to load'

# --- the tests folder beside flows wins over one inside it (interfaces.md) ---
mkdir -p "$T/both/flows/tests" "$T/both/tests"
printf 'flow a\n  on keyword A\n  say "a"\n' >"$T/both/flows/a.flow"
printf 'test "beside"\n  sms "A"\n  reply "a"\n' >"$T/both/tests/beside.flowtest"
printf 'test "inside"\n  sms "A"\n  reply "no"\n' >"$T/both/flows/tests/inside.flowtest"
conf "$T/both/baraza.conf" flows
"$BARAZA" -c "$T/both/baraza.conf" test >"$T/out" 2>&1
is "the folder beside flows runs, not the one inside" "$?:$(tail -n 1 "$T/out")" "0:1 passed, 0 failed"
rm -r "$T/both/tests"
"$BARAZA" -c "$T/both/baraza.conf" test >"$T/out" 2>&1
like "without it, the one inside" "$(tail -n 1 "$T/out")" '^0 passed, 1 failed$'
done_testing
