#!/bin/sh
# `baraza check` warns about a `lookup` whose table the store does not hold
# yet, names the `baraza import` command that fixes it, and never creates
# or migrates the database itself.
. "$SRCDIR/tests/integration/lib.sh"

plan 12
write_config ""
cat >"$T/flows/bal.flow" <<'FLOW'
flow bal
  on keyword BAL
  lookup bill in bills where account = "{rest}"
    missing "No such account"
  say "Balance {bill.balance}"
FLOW
printf 'account,name,balance\n1234567,Amina,1250.00\n' >"$T/bills.csv"

out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
is "check exits 0: a missing table is a warning" "$?" 0
like "it names the lookup's place and the command to run" "$out" \
    "$T/flows/bal\\.flow:3:3: warning: lookup table 'bills' is not in the store yet \\(no database yet\\); import it: baraza import bills FILE\\.csv --key COLUMN"
like "and counts it" "$out" 'ok, 1 flow in 1 file, 1 warning'
check "check creates no database" [ ! -e "$T/baraza.db" ]

"$BARAZA" -c "$T/baraza.conf" import other "$T/bills.csv" --key account >/dev/null 2>&1
is "another table imported" "$?" 0
out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
like "the warning stays while bills is missing, naming the database" "$out" \
    "warning: lookup table 'bills' is not in the store yet \\($T/baraza\\.db\\)"

"$BARAZA" -c "$T/baraza.conf" import bills "$T/bills.csv" --key account >/dev/null 2>&1
is "bills imported" "$?" 0
out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
like "then check is clean" "$out" 'ok, 1 flow in 1 file, 0 warnings'
version=$(sqlite3 "$T/baraza.db" 'pragma user_version')
sqlite3 "$T/baraza.db" 'pragma user_version = 1'
"$BARAZA" -c "$T/baraza.conf" check >/dev/null 2>&1
is "check does not migrate the database" "$(sqlite3 "$T/baraza.db" 'pragma user_version')" 1
sqlite3 "$T/baraza.db" "pragma user_version = $version"
# A database a newer baraza migrated: serve would refuse it, so check does.
sqlite3 "$T/baraza.db" 'pragma user_version = 999'
out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
is "a database newer than this baraza fails check" "$?" 1
like "saying so" "$out" "baraza\.db: error: database schema version 999 is newer than this baraza understands"
sqlite3 "$T/baraza.db" "pragma user_version = $version"
printf 'not a database' >"$T/broken.db"
sed -i "s|^database = .*|database = $T/broken.db|" "$T/baraza.conf"
out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
like "an unreadable database is a note, not a crash" "$out" "broken\\.db: note: tables not checked: "
done_testing
