#!/bin/sh
# baraza check, import and simulate from the command line.
. "$SRCDIR/tests/integration/lib.sh"
plan 35

write_config "languages = en sw"
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
"$BARAZA" -c "$T/baraza.conf" check >"$T/out" 2>&1
is "the example flows check clean" "$?" 0
like "check says ok" "$(cat "$T/out")" 'ok, [0-9]+ flows'

# Errors in two files and a config error: every finding, gcc-style, exit 1.
cat >"$T/flows/zz_bad.flow" <<'FLOW'
flow bad
  on keyword BAL
  ask x "Number?"
    check /[0-9+/ "Digits"
  goto nowhere
  fr "Bonjour"
FLOW
cat >"$T/flows/zz_warn.flow" <<'FLOW'
flow warn
  on keyword WARN
  say "Hello {stranger}"
FLOW
echo "colour = blue" >>"$T/baraza.conf"
"$BARAZA" -c "$T/baraza.conf" check >"$T/out" 2>&1
is "check exits 1 on errors" "$?" 1
out=$(cat "$T/out")
like "a config error with file and line" "$out" 'baraza.conf:[0-9]+: error: .*colour'
like "a duplicate keyword across flows" "$out" 'zz_bad.flow:2:[0-9]+: error: .*BAL'
like "a bad regex with PCRE2's message" "$out" 'zz_bad.flow:4:[0-9]+: error: .*(missing terminating|regex)'
like "an unknown target" "$out" 'zz_bad.flow:5:[0-9]+: error: .*nowhere'
like "a translation in an undeclared language" "$out" 'zz_bad.flow:6:[0-9]+: error: .*fr'
like "a warning for a variable never assigned" "$out" 'zz_warn.flow:3:[0-9]+: warning: .*stranger'

# Only warnings: exit 0.
sed -i '/^colour/d' "$T/baraza.conf"
rm "$T/flows/zz_bad.flow"
"$BARAZA" -c "$T/baraza.conf" check >"$T/out" 2>&1
is "warnings alone exit 0" "$?" 0

# import: a good table, then a bad row that changes nothing.
"$BARAZA" -c "$T/baraza.conf" import bills "$SRCDIR/examples/bills.csv" --key account >"$T/out" 2>&1
is "import exits 0" "$?" 0
like "import counts the rows" "$(cat "$T/out")" '10 rows'
printf 'account,name,balance,due_date\n1,"A, B",3,4\n2,C,5\n' >"$T/bad.csv"
"$BARAZA" -c "$T/baraza.conf" import bills "$T/bad.csv" --key account >"$T/out" 2>&1
is "a bad row exits 1" "$?" 1
like "the bad row is named by its line" "$(cat "$T/out")" 'line 3'
out=$(printf 'BAL 1234567\n' | "$BARAZA" -c "$T/baraza.conf" simulate --sms --phone +254700000001)
like "the old table still answers through simulate" "$out" 'balance KES 1250.00'
out=$(printf '12\n1234567\n' | "$BARAZA" -c "$T/baraza.conf" simulate --ussd '*384*1#' --phone +254700000002)
is "simulate --ussd prints each screen as the provider gets it" "$out" "CON Enter your water account number:
CON Account numbers have 6 to 10 digits. Try again:
Enter your water account number:
END Amina Odhiambo, account 1234567: balance KES 1250.00, due 2026-12-15."
"$BARAZA" -c "$T/baraza.conf" import bills "$T/nonexistent.csv" --key account 2>"$T/out"
is "a missing file exits 1" "$?" 1

# Usage errors: exit 2, every line of ours and of getopt's says "baraza:".
"$BARAZA" -c "$T/baraza.conf" send 0711 x --bogus 2>"$T/out"
is "an unknown option is a usage error" "$?" 2
like "getopt's message starts with baraza:" "$(head -n 1 "$T/out")" \
	"^baraza: unrecognized option '--bogus'$"
"$BARAZA" -c "$T/baraza.conf" send notanumber hello 2>"$T/out"
is "a phone number that is not one is bad usage too" "$?" 2
like "and says so" "$(cat "$T/out")" "^baraza: notanumber: not a phone number$"
"$BARAZA" -c "$T/baraza.conf" send 0711000000 hello --channel nope 2>/dev/null
is "so is a channel the config does not name" "$?" 2
"$BARAZA" -c "$T/baraza.conf" send 0711000000 "$(printf 'bad \377 text')" 2>"$T/out"
is "a text that is not UTF-8 is bad usage, and nothing is queued" "$?:$(cat "$T/out"):$(sql "select count(*) from messages where text like 'bad %'")" \
	"2:baraza: the text is not valid UTF-8:0"
"$BARAZA" -c "$T/baraza.conf" report 1 --note "$(printf '\377')" 2>"$T/out"
is "so is a note that is not UTF-8" "$?:$(cat "$T/out")" "2:baraza: the note is not valid UTF-8"
"$BARAZA" -c "$T/baraza.conf" import Bills "$T/nonexistent.csv" --key account 2>"$T/out"
is "a table name that is not one says what one is" "$?:$(cat "$T/out")" \
	"2:baraza: Bills: a table name is lowercase letters, digits and _, not starting with a digit, at most 64 bytes"
"$BARAZA" -x stats 2>"$T/out"
like "so does the global options'" "$(head -n 1 "$T/out")" \
	"^baraza: invalid option -- 'x'$"
printf '' | "$BARAZA" -c "$T/baraza.conf" simulate --ussd '*384#' --sms \
	>/dev/null 2>"$T/out"
is "simulate takes --ussd or --sms, not both" "$?" 2
like "and says so" "$(head -n 1 "$T/out")" "^baraza: simulate: --ussd and --sms"
"$BARAZA" -c "$T/baraza.conf" broadcast x --topic 2>"$T/out"
like "a missing option argument says baraza: too" "$(head -n 1 "$T/out")" \
	"^baraza: option '--topic' requires an argument$"
# A flow that fails at every message (a resident can make one do so) logs
# its failure once a minute, with the repeats counted in the next line.
cat >"$T/flows/fails.flow" <<'FLOW'
flow fails
  on keyword FAILME
  lookup row in nosuchtable where account = "{rest}"
  say "never {row.x}"
FLOW
printf 'FAILME 1\nFAILME 2\nFAILME 3\n' |
    "$BARAZA" -c "$T/baraza.conf" simulate --sms --phone +254700000003 >"$T/out" 2>"$T/err"
is "three failures of one flow: three error_texts" "$(grep -c 'something went wrong' "$T/out")" 3
is "and one log line" "$(grep -c 'ERROR dialog: flow failed flow=fails' "$T/err")" 1
rm -f "$T/flows/fails.flow"
# A FIFO named like a flow or a flow test is refused at once, not waited on
# (it stopped check, and a reload with the gateway in it).
mkfifo "$T/flows/pipe.flow"
timeout 20 "$BARAZA" -c "$T/baraza.conf" check >"$T/out" 2>&1
is "check with a FIFO among the flows ends, with an error" "$?" 1
like "naming it" "$(cat "$T/out")" 'pipe\.flow.*not a regular file'
rm -f "$T/flows/pipe.flow"
mkdir -p "$T/tests"
mkfifo "$T/tests/pipe.flowtest"
timeout 20 "$BARAZA" -c "$T/baraza.conf" test "$T/tests" >"$T/out" 2>&1
is "test with a FIFO among the tests ends, with a failure" "$?" 1
like "naming it" "$(cat "$T/out")" 'pipe\.flowtest.*not a regular file'
done_testing
