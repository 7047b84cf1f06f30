#!/bin/sh
# A USSD session belongs to the phone that opened it ("Closed by default"):
# another phone's step for its session id is answered 200 with END and the
# config's error_text (the generic http channel: "end": true), leaves the
# owner's session row as it was, and the owner's next step goes on. Checked
# on an africastalking channel (form webhook, cumulative text) and on the
# generic http channel (JSON, signed X-Baraza-Signature: t=UNIX,sha256=HEX).
. "$SRCDIR/tests/integration/lib.sh"
plan 39

A=+254700000011
B=+254700000022
write_config "default_channel = at
error_text = \"Not your session.\"
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
signing_key = web-key"
cat >"$T/flows/signup.flow" <<'FLOW'
flow signup "Sign up"
  on ussd *500#

  ask name "Your name?"
  ask town "Your town?"
  end "Thanks {name} of {town}."
FLOW
# Numbers are masked in logs below debug level.
sed -i 's/^log_level = debug$/log_level = info/' "$T/baraza.conf"
"$BARAZA" -c "$T/baraza.conf" check >"$T/check.out" 2>&1 || {
	sed 's/^/# /' "$T/check.out"
	echo "Bail out! the config does not check"
	exit 1
}
start_server || exit 1

session_row() {
	sql "select contact_id || '|' || flow || '|' || state || '|' || expires from sessions where key = '$1'"
}

# --- Africa's Talking: cumulative text, ?secret= ---
at_ussd() { # SESSION PHONE TEXT
	http POST "/hooks/at/ussd?secret=$HOOK_SECRET" -d sessionId="$1" \
	    -d serviceCode='*500#' -d phoneNumber="$2" -d networkCode=63902 \
	    --data-urlencode "text=$3"
}
like "A dials: the first question" "$(at_ussd sA "$A" "")" '^200 CON Your name\?'
# The network repeats a request whose answer it lost: the same screen, and
# nothing runs (the repeated dial is not an empty answer to "Your name?").
steps=$(sql "select count(*) from messages where kind = 'ussd'")
like "the dial repeated: the same first question" "$(at_ussd sA "$A" "")" '^200 CON Your name\?'
like "A answers: the second question" "$(at_ussd sA "$A" "Amina")" '^200 CON Your town\?'
like "the answer repeated: the same second question" "$(at_ussd sA "$A" "Amina")" '^200 CON Your town\?'
is "the repeats stored nothing" "$(sql "select count(*) from messages where kind = 'ussd'")" "$((steps + 2))"
is "each repeat is logged" "$(grep -c 'a USSD request repeated, answered again channel=at' "$T/serve.log")" "2"
before=$(session_row 'ussd:at:sA')
like "A's session is stored" "$before" "^[0-9]+\|signup\|"
is "B's step in A's session: 200 END error_text" "$(at_ussd sA "$B" "Amina*Evil")" "200 END Not your session."
is "B's dial of A's session id: 200 END error_text" "$(at_ussd sA "$B" "")" "200 END Not your session."
is "A's session row is as it was" "$(session_row 'ussd:at:sA')" "$before"
is "the session is still A's contact" \
    "$(sql "select c.phone from sessions s join contacts c on c.id = s.contact_id where s.key = 'ussd:at:sA'")" "$A"
is "A goes on where it was" "$(at_ussd sA "$A" "Amina*Nairobi")" "200 END Thanks Amina of Nairobi."
is "A's session is over" "$(sql "select count(*) from sessions where key = 'ussd:at:sA'")" "0"
is "B was answered with error_text (stored)" \
    "$(sql "select count(*) from messages where direction = 'out' and kind = 'ussd' and phone = '$B' and text = 'Not your session.'")" "2"
like "the refusal is logged" "$(grep -c 'USSD step from another phone refused channel=at' "$T/serve.log")" '^2$'
is "the log masks B's number" "$(grep 'another phone' "$T/serve.log" | grep -c -e "$B" -e '700000022')" "0"

# A step this process has not seen (a restart; with PostgreSQL, another
# node): the session is live, so the last part of the text is the input.
like "C dials" "$(at_ussd sC "$A" "")" '^200 CON Your name\?'
like "C answers" "$(at_ussd sC "$A" "Juma")" '^200 CON Your town\?'
stop_server
start_server || exit 1
is "after a restart the next step is read right" "$(at_ussd sC "$A" "Juma*Kisumu")" "200 END Thanks Juma of Kisumu."
# The text of the step before, and its answer, are kept in the database
# (on both stores), so an answer holding a '*' is read whole even by a
# process that did not see the step before.
like "D dials" "$(at_ussd sD "$A" "")" '^200 CON Your name\?'
stop_server
start_server || exit 1
is "an answer with a * after a restart is read whole" \
    "$(at_ussd sD "$A" "Juma*Jr")" "200 CON Your town?"
is "and the step after it too" \
    "$(at_ussd sD "$A" "Juma*Jr*Kisumu")" "200 END Thanks Juma*Jr of Kisumu."

# The network retries a request whose answer was lost with the gateway
# (kill -9 after the step's commit): the same screen, and nothing runs
# again: neither the answer taken as the next one, nor an ended session's
# path dialled again as a new session (which ran the flow a second time).
like "E dials" "$(at_ussd sE "$A" "")" '^200 CON Your name\?'
like "E answers" "$(at_ussd sE "$A" "Wanjiku")" '^200 CON Your town\?'
steps=$(sql "select count(*) from messages where kind = 'ussd'")
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
start_server || exit 1
is "the answer retried after a kill: the same screen" "$(at_ussd sE "$A" "Wanjiku")" "200 CON Your town?"
is "the last answer ends the session" "$(at_ussd sE "$A" "Wanjiku*Nakuru")" "200 END Thanks Wanjiku of Nakuru."
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
start_server || exit 1
is "the last answer retried after a kill: the same end" "$(at_ussd sE "$A" "Wanjiku*Nakuru")" "200 END Thanks Wanjiku of Nakuru."
is "the retries stored nothing and ran nothing" "$(sql "select count(*) from messages where kind = 'ussd'")" "$((steps + 2))"
is "no session was started again" "$(sql "select count(*) from sessions where key = 'ussd:at:sE'")" "0"
is "the retries are logged as such" "$(grep -c 'a USSD request repeated, answered again channel=at' "$T/serve.log")" "1"

# --- The generic http channel: JSON, signed ---
web_ussd() { # SESSION PHONE INPUT
	body=$(printf '{"session":"%s","from":"%s","code":"*500#","input":"%s"}' "$1" "$2" "$3")
	t=$(date +%s)
	sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac web-key | awk '{print $NF}')
	http POST /hooks/web/ussd -H 'Content-Type: application/json' \
	    -H "X-Baraza-Signature: t=$t,sha256=$sig" -d "$body"
}
field() { # JSON KEY
	printf '%s' "$1" | cut -d' ' -f2- | jq -c ".$2"
}
r=$(web_ussd wA "$A" "")
like "web: A dials: the first question" "$r" '^200 '
is "web: the first question, not the end" "$(field "$r" text) $(field "$r" end)" '"Your name?" false'
r=$(web_ussd wA "$A" "Baraka")
is "web: A answers: the second question" "$(field "$r" text) $(field "$r" end)" '"Your town?" false'
before=$(session_row 'ussd:web:wA')
r=$(web_ussd wA "$B" "Mallory")
like "web: B's step in A's session is 200" "$r" '^200 '
is "web: B gets error_text and end true" "$(field "$r" text) $(field "$r" end)" '"Not your session." true'
is "web: A's session row is as it was" "$(session_row 'ussd:web:wA')" "$before"
r=$(web_ussd wA "$A" "Mombasa")
is "web: A goes on where it was" "$(field "$r" text) $(field "$r" end)" '"Thanks Baraka of Mombasa." true'
# B may open its own session with another id as usual.
r=$(web_ussd wB "$B" "")
is "web: B's own session works" "$(field "$r" text) $(field "$r" end)" '"Your name?" false'

check "the gateway stops cleanly" stop_server
done_testing
