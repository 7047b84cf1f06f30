#!/bin/sh
# USSD resume (issue 14; docs/flows.md "USSD resume"): a USSD session cut
# off without END (the network dropped it: the next request comes with a
# new session id) is offered again to the same phone dialling the same code
# within ussd_resume of its last step: resume_text, then 1 shows the step's
# screen again and the session goes on, 2 starts over, anything else is
# invalid_choice_text and the menu again. Checked on an africastalking
# channel (cumulative text: the answers after the menu count from the new
# session) and on the generic http channel (signed). Not offered: after the
# window (the cut session's last step moved back in the store, not waited
# for), to another phone, on another channel, after END, or with
# ussd_resume = 0.
. "$SRCDIR/tests/integration/lib.sh"
plan 40

A=+254700000011
B=+254700000022
W=+254700000033
write_config "default_channel = at
[channel at]
type = africastalking
username = sandbox
api_key = at-key
sender = 40404
api_url = http://127.0.0.1:9/
webhook_secret = $HOOK_SECRET
[channel web]
type = http
api_url = http://127.0.0.1:9/send
signing_key = $SIGNING_KEY"
cat >"$T/flows/signup.flow" <<'FLOW'
flow signup "Sign up"
  on ussd *500#

  ask name "Your name?"
  ask town "Your town?"
  ask age "Your age?"
  end "Thanks {name} of {town}, {age}."
FLOW
"$BARAZA" -c "$T/baraza.conf" check >"$T/check.out" 2>&1 || {
	sed 's/^/# /' "$T/check.out"
	echo "Bail out! the config does not check"
	exit 1
}
start_server || exit 1

NL='
'
MENU="1. Continue where you left off${NL}2. Start again"

at_ussd() { # SESSION PHONE TEXT
	http POST "/hooks/at/ussd?secret=$HOOK_SECRET" -d sessionId="$1" \
	    -d serviceCode='*500#' -d phoneNumber="$2" -d networkCode=63902 \
	    --data-urlencode "text=$3"
}

# --- Africa's Talking: cut mid-way, 1 continues ---
is "A dials" "$(at_ussd s1 "$A" "")" "200 CON Your name?"
is "A answers the first question" "$(at_ussd s1 "$A" "Amina")" "200 CON Your town?"
# The network drops s1; A dials again: a new session id.
is "A dials again: the resume menu" "$(at_ussd s2 "$A" "")" "200 CON $MENU"
is "the cut session's row moved to the new session" \
    "$(sql "select group_concat(key || ':' || menu) from sessions")" "ussd:at:s2:1"
is "1: the step it was on, shown again" "$(at_ussd s2 "$A" "1")" "200 CON Your town?"
is "the answers count from the new session" "$(at_ussd s2 "$A" "1*Nairobi")" "200 CON Your age?"
is "and the session finishes with what it had" "$(at_ussd s2 "$A" "1*Nairobi*30")" \
    "200 END Thanks Amina of Nairobi, 30."
is "no session is left" "$(sql "select count(*) from sessions")" "0"

# --- A session that ended with END is not resumable ---
is "after END a new dial starts afresh" "$(at_ussd s3 "$A" "")" "200 CON Your name?"

# --- 2 starts over; anything else repeats the menu ---
is "A answers" "$(at_ussd s3 "$A" "Baraka")" "200 CON Your town?"
is "cut again: the menu" "$(at_ussd s4 "$A" "")" "200 CON $MENU"
is "a wrong choice: invalid_choice_text and the menu" "$(at_ussd s4 "$A" "9")" \
    "200 CON Please reply with one of the numbers shown.${NL}$MENU"
is "2: the flow starts over" "$(at_ussd s4 "$A" "9*2")" "200 CON Your name?"
is "the new run goes on" "$(at_ussd s4 "$A" "9*2*Chao")" "200 CON Your town?"
is "the cut session is gone" "$(sql "select group_concat(key || ':' || menu) from sessions")" "ussd:at:s4:0"

# --- Another phone, another channel: nothing to resume ---
is "another phone dialling the code starts afresh" "$(at_ussd s5 "$B" "")" "200 CON Your name?"
web_ussd() { # SESSION PHONE INPUT
	hook_json /hooks/web/ussd "$(printf '{"session":"%s","from":"%s","code":"*500#","input":"%s"}' "$1" "$2" "$3")"
}
field() { # "STATUS JSON" KEY
	printf '%s' "$1" | cut -d' ' -f2- | jq -c ".$2"
}
r=$(web_ussd wx "$A" "")
is "the same phone on another channel starts afresh" "$(field "$r" text) $(field "$r" end)" '"Your name?" false'

# --- After the window: s4 waits at "Your town?"; its last step moves back
# past ussd_resume (2m by default), as if the phone dialled 130 s later. ---
sql "update sessions set last_step = last_step - 130000 where key = 'ussd:at:s4'"
is "after the window a new dial starts afresh" "$(at_ussd s6 "$A" "")" "200 CON Your name?"
is "and the old session is left to expire" "$(sql "select count(*) from sessions where key = 'ussd:at:s4'")" "1"
# Just inside the window it would have been offered.
is "s6 answers" "$(at_ussd s6 "$A" "Dede")" "200 CON Your town?"
sql "update sessions set last_step = last_step - 110000 where key = 'ussd:at:s6'"
is "110 s later: still within the window" "$(at_ussd s7 "$A" "")" "200 CON $MENU"
is "and it continues" "$(at_ussd s7 "$A" "1")" "200 CON Your town?"

# --- The generic http channel, signed ---
r=$(web_ussd w1 "$W" "")
is "web: W dials" "$(field "$r" text) $(field "$r" end)" '"Your name?" false'
r=$(web_ussd w1 "$W" "Wanjiru")
is "web: W answers" "$(field "$r" text) $(field "$r" end)" '"Your town?" false'
r=$(web_ussd w2 "$W" "")
is "web: cut, a new session: the resume menu" "$(field "$r" text) $(field "$r" end)" \
    '"1. Continue where you left off\n2. Start again" false'
r=$(web_ussd w2 "$W" "1")
is "web: 1 shows the step again" "$(field "$r" text) $(field "$r" end)" '"Your town?" false'
r=$(web_ussd w2 "$W" "Kisumu")
is "web: it goes on" "$(field "$r" text) $(field "$r" end)" '"Your age?" false'
r=$(web_ussd w2 "$W" "40")
is "web: and finishes" "$(field "$r" text) $(field "$r" end)" '"Thanks Wanjiru of Kisumu, 40." true'
r=$(web_ussd w3 "$W" "")
is "web: after END nothing to resume" "$(field "$r" text) $(field "$r" end)" '"Your name?" false'
r=$(web_ussd w3 "$W" "Zawadi")
r=$(web_ussd w4 "$W" "")
is "web: cut again: the menu" "$(field "$r" text)" '"1. Continue where you left off\n2. Start again"'
r=$(web_ussd w4 "$W" "2")
is "web: 2 starts over" "$(field "$r" text) $(field "$r" end)" '"Your name?" false'

# --- Counted in /metrics ---
r=$(http GET /metrics)
like "metrics: menus offered" "$r" 'baraza_ussd_resumes_total\{result="offered"\} 5'
like "metrics: continued" "$r" 'baraza_ussd_resumes_total\{result="continued"\} 3'
like "metrics: restarted" "$r" 'baraza_ussd_resumes_total\{result="restarted"\} 2'
like "the log tells it" "$(grep -c 'USSD resume offered channel=at flow=signup' "$T/serve.log")" '^3$'

# --- A contact's conversation holds what was keyed in, not only the screens ---
cid=$(sql "select id from contacts where phone = '$A'")
is "every USSD step is stored with its contact" \
    "$(sql "select count(*), count(contact_id), sum(case when contact_id = $cid then 1 else 0 end) from messages where direction = 'in' and kind = 'ussd' and phone = '$A'")" "17|17|17"
r=$(http GET "/api/v1/messages?contact=$cid&limit=200" -H "Authorization: Bearer test-token")
is "the conversation shows A's answers beside the screens" \
    "$(printf '%s' "$r" | python3 -c 'import json, sys; j = json.loads(sys.stdin.read().split(" ", 1)[1]); print(" ".join(sorted(set(i["direction"] + ":" + (i["text"] or "-") for i in j["items"] if i["direction"] == "in"))))')" \
    'in:- in:1 in:2 in:30 in:9 in:Amina in:Baraka in:Chao in:Dede in:Nairobi'
check "the gateway stops cleanly" stop_server

# --- ussd_resume = 0: never offered ---
sed -i 's/^default_channel = at$/default_channel = at\nussd_resume = 0/' "$T/baraza.conf"
start_server || exit 1
at_ussd t1 "$A" "" >/dev/null
at_ussd t1 "$A" "Ekai" >/dev/null
is "off: a cut session is not offered" "$(at_ussd t2 "$A" "")" "200 CON Your name?"
check "the gateway stops cleanly again" stop_server
done_testing
