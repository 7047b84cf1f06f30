#!/bin/sh
# Campaigns keyed to dates, end to end: a bills table imported, runs at
# given times with `baraza campaigns --run --now` (the clock is moved, never
# waited for) while `baraza serve` sends to the fake provider: nothing at
# 08:59, each reminder once at 09:00 (in the contact's language), not again
# after a second run, a restart or a re-import with the same dates, an
# opted-out contact skipped, a changed date's new message; the list and the
# dry run; the service in serve running a campaign due now; and a bad
# config line reported by check at its line.
#
# The dates are weeks after today, so the gateway's own runs (on the real
# clock) never fall on them, whatever the day the test runs.
. "$SRCDIR/tests/integration/lib.sh"
plan 43

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
B() { "$BARAZA" -c "$T/baraza.conf" "$@"; }

d1=$(date -d "+20 days" +%F)       # due date of three rows
d2=$(date -d "+21 days" +%F)       # of another
d3=$(date -d "+25 days" +%F)       # the first row's date, changed
r1=$(date -d "$d1 -3 days" +%F)    # their reminders' days
r3=$(date -d "$d3 -3 days" +%F)

campaign_section() {
	cat <<SECTION
[campaign bill_due]
table = bills
phone = phone
date = due_date
send = -3d 09:00, 0d 08:00
text = "Dear {name}, your water bill of KES {balance} is due on {due_date}."
    sw "Ndugu {name}, bili yako ya maji ya KES {balance} inadaiwa {due_date}."
SECTION
}
write_config "languages = en sw
default_channel = at
$(at_channel)
rate = 1000/s
cost_per_segment = 0.80
$(campaign_section)"

out=$(B check 2>&1)
is "a config with a campaign checks clean" "$?" "0"

cat >"$T/bills.csv" <<CSV
account,phone,name,balance,due_date
1001,0700000001,Amina,1250.00,$d1
1002,0700000002,Joseph,0.00,$d1
1003,0700000003,Opted,10.00,$d1
1004,0700000004,Grace,3480.50,$d2
CSV
B import bills "$T/bills.csv" --key account >/dev/null
is "the bills table is imported" "$?" "0"
sql "INSERT INTO contacts (phone, opted_out, created, updated)
 VALUES ('+254700000003', 1, 0, 0);
 INSERT INTO contacts (phone, language, created, updated)
 VALUES ('+254700000002', 'sw', 0, 0);"

start_server || exit 1

# --- the list and the dry run ---
out=$(B campaigns --now "${r1}T08:00")
is "baraza campaigns exits 0" "$?" "0"
like "it lists the campaign, its table and the next send" "$out" \
    "^bill_due +bills +$r1 09:00 [+-][0-9]{4} +3 +0\$"

out=$(B campaigns --dry-run bill_due --now "${r1}T08:00")
is "the dry run exits 0" "$?" "0"
like "it shows who gets what and when" "$out" \
    "$r1 09:00 [+-][0-9]{4}	\\+254700000001	Dear Amina, your water bill of KES 1250.00 is due on $d1\\."
like "in the contact's language" "$out" \
    "$r1 09:00 [+-][0-9]{4}	\\+254700000002	Ndugu Joseph, bili yako ya maji ya KES 0.00 inadaiwa $d1\\."
like "the opted-out contact is shown skipped" "$out" \
    "	\\+254700000003	\\(skipped: opted out\\)"
like "the next day's reminder is in the seven days" "$out" \
    "$(date -d "$d2 -3 days" +%F) 09:00 [+-][0-9]{4}	\\+254700000004	Dear Grace"
like "the due day's 08:00 message is too" "$out" \
    "$d1 08:00 [+-][0-9]{4}	\\+254700000001	Dear Amina"
like "it sums up" "$out" "bill_due: would queue 6 \\(6 segments\\), skipped 2 opted out, 0 bad"
like "with what they would cost" "$out" "^channel at: 6 segments, cost 4\\.80\$"
like "and queues nothing" "$out" "dry run: nothing queued"
is "no message is stored" "$(sql "select count(*) from messages")" "0"
B campaigns --dry-run nope >/dev/null 2>&1
is "a dry run of an unknown campaign fails" "$?" "1"
B campaigns --run --now tomorrow >/dev/null 2>&1
is "a bad --now is a usage error" "$?" "2"
# A config without campaigns lists none, and a cron job's --run is no failure.
sed '/^\[campaign /,$d' "$T/baraza.conf" >"$T/none.conf"
out=$("$BARAZA" -c "$T/none.conf" campaigns --run 2>&1)
is "without campaigns, --run exits 0" "$?" 0
like "and says there are none" "$out" "^no campaigns: the config has no \[campaign NAME\] section"

# --- 08:59: nothing; 09:00: each once ---
out=$(B campaigns --run --now "${r1}T08:59")
like "at 08:59 nothing is queued" "$out" "^bill_due: queued 0 "
out=$(B campaigns --run --now "${r1}T09:00")
like "at 09:00 the reminders are queued, the opted-out one skipped" "$out" \
    "^bill_due: queued 2 \\(2 segments\\), skipped 1 opted out, 0 bad"
check "the provider gets both" wait_for 10 sh -c \
    "[ \$(grep -c 'is due on $d1\\|inadaiwa $d1' '$T/fake.log') -ge 2 ]"
like "Amina's in English" "$(grep '+254700000001' "$T/fake.log")" \
    "Dear Amina, your water bill of KES 1250.00 is due on $d1\\."
like "Joseph's in Swahili" "$(grep '+254700000002' "$T/fake.log")" \
    "Ndugu Joseph, bili yako ya maji ya KES 0.00 inadaiwa $d1\\."
is "the opted-out contact gets none" "$(fake_count '+254700000003')" "0"
out=$(B campaigns --run --now "${r1}T09:00")
like "a second run at 09:00 queues nothing" "$out" "^bill_due: queued 0 "
out=$(B campaigns --now "${r1}T09:00")
like "the list counts them sent and names the next" "$out" \
    "^bill_due +bills +$(date -d "$d2 -3 days" +%F) 09:00 [+-][0-9]{4} +1 +2\$"

# --- a restart, then a re-import with the same dates ---
stop_server
is "serve stops cleanly" "$?" "0"
start_server || exit 1
sleep 2 # the service's first run comes a second after the start
B import bills "$T/bills.csv" --key account >/dev/null
out=$(B campaigns --run --now "${r1}T09:05")
like "after a restart and a re-import nothing is queued again" "$out" \
    "^bill_due: queued 0 "
sleep 1
is "the provider got Amina's once" "$(fake_count '+254700000001')" "1"
is "and Joseph's once" "$(fake_count '+254700000002')" "1"
is "one mark per message" "$(sql "select count(*) from campaign_sent")" "2"

# --- a changed date gets the new date's message ---
sed "s/^1001,\\(.*\\),$d1\$/1001,\\1,$d3/" "$T/bills.csv" >"$T/bills2.csv"
B import bills "$T/bills2.csv" --key account >/dev/null
out=$(B campaigns --run --now "${r3}T09:00")
like "the changed row's reminder is queued" "$out" "^bill_due: queued 1 "
check "and sent" wait_for 10 grep -q "is due on $d3" "$T/fake.log"
is "Amina has both reminders now" "$(fake_count '+254700000001')" "2"

# --- the service in serve runs a campaign due now ---
stop_server
# In UTC from here: in the hour a clock change repeats, a campaign due at
# this minute by the wall clock was due at its first occurrence, an hour
# ago (campaigns.md), and nothing would be due now.
TZ=UTC0
export TZ
# Never across midnight: the row is dated today and due this minute.
s=$(date +%s)
left=$(( $(date -d "tomorrow 00:00" +%s) - s ))
[ "$left" -lt 30 ] && sleep $((left + 2))
today=$(date +%F)
hhmm=$(date +%H:%M)
before=$(date -d "-2 minutes" +%FT%H:%M)
cat >>"$T/baraza.conf" <<CONF
[campaign now_due]
table = today_tbl
phone = tel
date = day
send = 0d $hhmm
text = "Hello {who}, the meeting is today."
CONF
printf 'id,tel,who,day\n1,0700000009,Zawadi,%s\n' "$today" >"$T/today.csv"
B import today_tbl "$T/today.csv" --key id >/dev/null
# A run two minutes ago (nothing due then) is where serve's window starts.
out=$(B campaigns --run --now "$before")
like "two minutes ago nothing was due" "$out" "now_due: queued 0 "
start_server || exit 1
check "serve's first run sends the campaign due now" wait_for 10 \
    grep -q 'Hello Zawadi, the meeting is today.' "$T/fake.log"
check "and logs it" grep -q 'campaign: queued campaign=now_due count=1' \
    "$T/serve.log"
sleep 1
is "once" "$(fake_count 'Hello Zawadi')" "1"
stop_server
is "serve with campaigns stops cleanly" "$?" "0"

# --- a bad line is reported by check with its line ---
cp "$T/baraza.conf" "$T/bad.conf"
cat >>"$T/bad.conf" <<'CONF'
[campaign broken]
table = bills
phone = phone
date = due_date
send = -3 09:00
text = "Hi {name}"
    fr "Bonjour {name}"
CONF
n=$(wc -l <"$T/bad.conf")
err=$("$BARAZA" -c "$T/bad.conf" check 2>&1 >/dev/null)
is "check fails on a bad campaign" "$?" "1"
like "the bad send entry is reported at its line" "$err" \
    "bad.conf:$((n - 2)): error: send: '-3 09:00': expected OFFSETd HH:MM"
like "the translation into a language not configured at its line" "$err" \
    "bad.conf:$n: error: translation: language 'fr' is not in languages \\(en sw\\)"
"$BARAZA" -c "$T/bad.conf" campaigns >/dev/null 2>&1
is "a command refuses the bad config (2)" "$?" "2"

done_testing
