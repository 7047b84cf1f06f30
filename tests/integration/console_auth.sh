#!/bin/sh
# Users, console sessions, CSRF, roles and the audit log: `baraza user`
# keeps scrypt hashes and never shows one; a sign-in sets an HttpOnly,
# SameSite=Strict cookie that /api/v1/ takes; a write with the cookie needs
# the session's X-CSRF-Token; a viewer sees numbers masked and is refused
# writes; five failed sign-ins for a name or from an address answer 429,
# the right password too; signing out ends the session on the server;
# every write and sign-in is in the audit log, never a password; the
# bearer token works as before. Addresses: curl binds 127.0.0.2 and
# 127.0.0.3 to sign in from elsewhere.
. "$SRCDIR/tests/integration/lib.sh"
plan 121

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
currency = KES
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = test-signing-key
rate = 1000/s"

PW_ADMIN='admin password 1'
PW_STAFF='staff password 2'
PW_VIEW='viewer password 3'
user() { "$BARAZA" -c "$T/baraza.conf" user "$@"; }

# --- baraza user ---
printf '%s\n' "$PW_ADMIN" | user add amina --role admin >"$T/out" 2>&1
is "user add reads the password from stdin" "$?" "0"
like "and says so" "$(cat "$T/out")" '^added amina \(admin\)$'
printf '%s\n' "$PW_STAFF" | user add wanjiru --role staff >/dev/null 2>&1
is "a staff member" "$?" "0"
printf '%s' "$PW_VIEW" | user add otieno --role viewer >/dev/null 2>&1
is "a viewer (a last line without a newline)" "$?" "0"
printf 'short\n' | user add baraka --role staff >"$T/out" 2>&1
is "a short password is refused" "$?" "1"
like "with the reason" "$(cat "$T/out")" 'at least 10 characters'
printf '%s\n' "$PW_STAFF" | user add baraka --role root >/dev/null 2>&1
is "an unknown role is bad usage" "$?" "2"
printf '%s\n' "$PW_STAFF" | user add Baraka --role staff >/dev/null 2>&1
is "a name with capitals is bad usage" "$?" "2"
user add >/dev/null 2>&1
is "no name is bad usage" "$?" "2"
printf '%s\n' "$PW_STAFF" | user add amina --role staff >"$T/out" 2>&1
is "a taken name fails" "$?" "1"
like "it says why" "$(cat "$T/out")" 'exists'
user remove nobody >/dev/null 2>&1
is "removing no one fails" "$?" "1"
out=$(user list 2>&1)
is "user list exits 0" "$?" "0"
like "it lists names and roles" "$out" 'amina +admin +never'
like "staff too" "$out" 'wanjiru +staff +never'
check "it shows no hash" sh -c "! printf '%s' '$out' | grep -q 'scrypt'"
is "the store keeps scrypt hashes" "$(sql "select count(*) from users where hash like 'scrypt\$32768\$8\$1\$%'")" "3"
is "never a password" "$(sql "select count(*) from users where hash like '%password%'")" "0"
printf 'another password\n' | user passwd otieno >/dev/null 2>&1
is "user passwd" "$?" "0"
PW_VIEW='another password'

start_server || { echo "Bail out! the gateway did not start"; exit 1; }
auth="Authorization: Bearer test-token"

# signin NAME PASSWORD [FROM [NEXT]]: POST /console/login from address
# FROM (default 127.0.0.1); prints the status; headers in $T/h.
signin() {
	curl -s -m 10 -D "$T/h" -o "$T/body" -w '%{http_code}' \
	    --interface "${3:-127.0.0.1}" \
	    --data-urlencode "name=$1" --data-urlencode "password=$2" \
	    ${4:+--data-urlencode "next=$4"} \
	    "http://127.0.0.1:$PORT/console/login" 2>/dev/null
}
header() { tr -d '\r' <"$T/h" | sed -n "s/^$1: //Ip" | head -n 1; }
cookie_of() { header Set-Cookie | sed -n 's/^baraza_session=\([^;]*\);.*/\1/p'; }

r=$(http GET /)
is "/ is a redirect" "$(cat "$T/status")" "303"
r=$(curl -s -m 10 -D - -o /dev/null "http://127.0.0.1:$PORT/" | tr -d '\r' | sed -n 's/^Location: //Ip')
is "to the console" "$r" "/console/"

# --- signing in ---
is "a wrong password is a redirect" "$(signin wanjiru 'nope nope nope')" "303"
is "back to the form, failed" "$(header Location)" "/console/login?failed=1"
is "with no cookie" "$(header Set-Cookie)" ""
is "the right password is a redirect" "$(signin wanjiru "$PW_STAFF")" "303"
like "named See Other" "$(head -n 1 "$T/h" | tr -d '\r')" '^HTTP/1.1 303 See Other$'
is "to the console" "$(header Location)" "/console/"
setc=$(header Set-Cookie)
like "the cookie is HttpOnly" "$setc" '; HttpOnly'
like "and SameSite=Strict" "$setc" '; SameSite=Strict'
like "for every path" "$setc" '; Path=/;'
check "not Secure over plain http" sh -c "! printf '%s' '$setc' | grep -q Secure"
STAFF=$(cookie_of)
like "its value is 32 random bytes" "$STAFF" '^[A-Za-z0-9_-]{43}$'
is "the store keeps its SHA-256" "$(sql "select count(*) from web_sessions where $(sql_hex id) = '$(printf '%s' "$STAFF" | openssl dgst -sha256 | awk '{ print $NF }')'")" "1"
sql_dump "$T/dump.sql"
check "never the cookie itself" sh -c "! grep -q -- '$STAFF' '$T/dump.sql'"
signin wanjiru "$PW_STAFF" 127.0.0.1 /console/reports?status=open >/dev/null
is "next takes the user back" "$(header Location)" "/console/reports?status=open"
signin wanjiru "$PW_STAFF" 127.0.0.1 https://evil.example/ >/dev/null
is "next elsewhere is ignored" "$(header Location)" "/console/"
signin wanjiru "$PW_STAFF" 127.0.0.1 //evil.example/ >/dev/null
is "next to another host is ignored" "$(header Location)" "/console/"
signin wanjiru 'not it at all' 127.0.0.1 '/console/reports?status=open&q=x' >/dev/null
is "a failure keeps next, encoded" "$(header Location)" "/console/login?failed=1&next=%2Fconsole%2Freports%3Fstatus%3Dopen%26q%3Dx"
r=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Origin: https://evil.example' \
    --data-urlencode name=wanjiru --data-urlencode "password=$PW_STAFF" \
    "http://127.0.0.1:$PORT/console/login")
is "a sign-in posted from another site is refused" "$r" "403"

ck="Cookie: baraza_session=$STAFF"
r=$(http GET /api/v1/me -H "$ck")
like "/api/v1/me with the cookie" "$r" '^200 .*"name":"wanjiru"'
like "its role" "$r" '"role":"staff"'
like "the languages" "$r" '"languages":\["en"\]'
like "the currency" "$r" '"currency":"KES"'
like "the time zone's offset" "$r" '"tz_offset_minutes":-?[0-9]+'
CSRF=$(printf '%s' "$r" | sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p')
like "its CSRF token" "$CSRF" '^[A-Za-z0-9_-]{43}$'
r=$(http GET /api/v1/me)
like "without credentials: 401" "$r" '^401 .*sign in or send the bearer token'

# --- CSRF ---
msg='{"to":"0700000001","text":"Water is back on."}'
r=$(http POST /api/v1/messages -H "$ck" -d "$msg")
like "a write with the cookie alone is 403" "$r" '^403 .*missing or wrong CSRF token'
r=$(http POST /api/v1/messages -H "$ck" -H "X-CSRF-Token: x$CSRF" -d "$msg")
like "with a wrong token 403" "$r" '^403 '
is "nothing was queued" "$(sql "select count(*) from messages")" "0"
r=$(http POST /api/v1/messages -H "$ck" -H "X-CSRF-Token: $CSRF" -d "$msg")
like "with the session's token it is queued" "$r" '^202 \{"id":[0-9]+\}$'
MID=$(printf '%s' "$r" | sed 's/.*"id":\([0-9]*\).*/\1/')

# --- a viewer ---
is "the viewer signs in" "$(signin otieno "$PW_VIEW")" "303"
VIEW=$(cookie_of)
vck="Cookie: baraza_session=$VIEW"
VCSRF=$(http GET /api/v1/me -H "$vck" | sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p')
r=$(http GET "/api/v1/messages/$MID" -H "$vck")
like "a viewer reads a message" "$r" '^200 '
like "with the number masked" "$r" '"to":"\+254\*{7}01"'
check "never whole" sh -c "! printf '%s' '$r' | grep -q 254700000001"
r=$(http GET "/api/v1/messages/$MID" -H "$ck")
like "staff see it whole" "$r" '"to":"\+254700000001"'
# A number typed into a text: masked for a viewer as the log masks it.
r=$(http POST /api/v1/messages -H "$ck" -H "X-CSRF-Token: $CSRF" \
    -d '{"to":"0700000001","text":"Call 0722 333 444 about account 1234567."}')
r=$(http GET "/api/v1/messages?phone=0700000001" -H "$vck")
like "a viewer sees a number in a text masked" "$r" '"text":"Call 07\*\* \*\*\* \*44 about account 12\*\*\*67\."'
check "never whole" sh -c "! printf '%s' '$r' | grep -q '0722 333 444'"
r=$(http GET "/api/v1/messages?phone=0700000001" -H "$ck")
like "staff see the text whole" "$r" '"text":"Call 0722 333 444 about account 1234567\."'
# A search matches the whole text: with digits, a viewer could tell a
# masked number one digit at a time (an audit did). Words only.
r=$(http GET "/api/v1/messages?text=0722%20333%204" -H "$vck")
like "a viewer's text search with digits is refused" "$r" '^403 .*a viewer.s search holds no digits'
r=$(http GET "/api/v1/messages?text=about%20account" -H "$vck")
like "words without digits are searched" "$r" '^200 .*about account 12\*\*\*67'
r=$(http GET "/api/v1/messages?text=0722%20333%204" -H "$ck")
like "staff search digits" "$r" '^200 .*0722 333 444'
r=$(http GET "/api/v1/reports?q=%D9%A0%D9%A7" -H "$vck")
like "nor a report search's (any script's digits)" "$r" '^403 .*q..: a viewer.s search holds no digits'
r=$(http GET "/api/v1/reports.csv?q=0798" -H "$vck")
like "nor the export's" "$r" '^403 '
r=$(http GET "/api/v1/messages?phone=0722333444" -H "$vck")
like "a whole number still finds its messages" "$r" '^200 '
r=$(http POST /api/v1/messages -H "$vck" -H "X-CSRF-Token: $VCSRF" -d "$msg")
like "a viewer is refused a write" "$r" '^403 \{"error":"your role \(viewer\) cannot do this"\}$'
# A report read whole (GET /api/v1/reports/ID): its free text masked too.
sql "insert into reports (category, location, details, created, updated) values ('leak', 'Kilimani near 0798765432', 'Call +254 798 765 433', 1, 1)"
rid=$(sql "select max(id) from reports")
r=$(http GET "/api/v1/reports/$rid" -H "$vck")
like "a viewer reads a report" "$r" '^200 '
check "with no number whole in it" sh -c "! printf '%s' '$r' | grep -Eq '0798765432|798 765 433'"
like "masked as in the log" "$r" '"location":"Kilimani near 07\*+32"'
r=$(http PATCH /api/v1/reports/1 -H "$vck" -H "X-CSRF-Token: $VCSRF" -d '{"status":"closed"}')
like "and a report's triage" "$r" '^403 .*your role \(viewer\)'
r=$(http PUT '/api/v1/tables/wards?key=id' -H "$ck" -H "X-CSRF-Token: $CSRF" --data-binary 'id,name')
like "staff are refused a table" "$r" '^403 .*your role \(staff\)'
r=$(http GET /api/v1/users -H "$ck")
like "and the users" "$r" '^403 '
r=$(http GET /api/v1/audit -H "$vck")
like "a viewer is refused the audit log" "$r" '^403 '

# --- the bearer token, as before ---
r=$(http GET /api/v1/me -H "$auth")
like "the token is an admin" "$r" '^200 .*"name":"token","role":"admin"'
r=$(http POST /api/v1/messages -H "$auth" -d '{"to":"0700000002","text":"By token."}')
like "it writes without a CSRF token" "$r" '^202 '
r=$(http GET /api/v1/messages/1 -H "Authorization: Bearer nope")
like "a wrong token is 401" "$r" '^401 '
r=$(http GET /api/v1/messages/1 -H "Authorization: Bearer nope" -H "$ck")
like "also beside a good cookie" "$r" '^401 '

# --- users through the API ---
r=$(http GET /api/v1/users -H "$auth")
like "the users" "$r" '^200 \{"users":\[\{"name":"amina","role":"admin"'
check "without hashes" sh -c "! printf '%s' '$r' | grep -q scrypt"
r=$(http POST /api/v1/users -H "$auth" -d '{"name":"baraka","role":"staff","password":"short"}')
like "a short password is 400" "$r" '^400 .*at least 10'
r=$(http POST /api/v1/users -H "$auth" -d '{"name":"baraka","role":"staff","password":"baraka password"}')
like "an admin adds a user" "$r" '^201 \{"name":"baraka","role":"staff"'
r=$(http POST /api/v1/users -H "$auth" -d '{"name":"baraka","role":"staff","password":"baraka password"}')
like "twice is 409" "$r" '^409 '
is "the new user signs in" "$(signin baraka 'baraka password')" "303"
BARAKA=$(cookie_of)
r=$(http PATCH /api/v1/users/baraka -H "$auth" -d '{"role":"viewer"}')
like "a role changes" "$r" '^200 .*"role":"viewer"'
r=$(http GET /api/v1/me -H "Cookie: baraza_session=$BARAKA")
like "at once for the session" "$r" '"role":"viewer"'
r=$(http PATCH /api/v1/users/baraka -H "$auth" -d '{"password":"a brand new one"}')
like "a password is reset" "$r" '^200 '
r=$(http GET /api/v1/me -H "Cookie: baraza_session=$BARAKA")
like "which ends the user's sessions" "$r" '^401 '
r=$(http DELETE /api/v1/users/amina -H "$auth")
like "the last admin stays" "$r" '^409 '
r=$(http DELETE /api/v1/users/baraka -H "$auth")
like "a user is removed" "$r" '^200 '
r=$(http DELETE /api/v1/users/baraka -H "$auth")
like "then gone" "$r" '^404 '

# --- signing out ---
r=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "$ck" -d x=1 \
    "http://127.0.0.1:$PORT/console/logout")
is "signing out without the CSRF token is refused" "$r" "403"
r=$(http GET /api/v1/me -H "$ck")
like "the session lives on" "$r" '^200 '
r=$(curl -s -m 10 -D "$T/h" -o /dev/null -w '%{http_code}' -H "$ck" \
    --data-urlencode "csrf=$CSRF" "http://127.0.0.1:$PORT/console/logout")
is "signing out is a redirect" "$r" "303"
is "to the sign-in page" "$(header Location)" "/console/login"
like "clearing the cookie" "$(header Set-Cookie)" '^baraza_session=; Path=/; Max-Age=0'
r=$(http GET /api/v1/me -H "$ck")
like "the old cookie no longer works" "$r" '^401 '

# A name typed that is someone's number: masked in the log and the audit.
signin 0798765597 'wrong guess' 127.0.0.9 >/dev/null

# --- the audit log ---
r=$(http GET '/api/v1/audit?limit=200' -H "$auth")
like "the audit log" "$r" '^200 \{"items":\[\{"id":[0-9]+,"time":"[0-9T:-]+Z"'
like "has the sign-ins" "$r" '"user":"wanjiru","action":"session.signin","object":"user/wanjiru"'
like "the failures" "$r" '"action":"session.signin_failed"'
like "the staff member's message" "$r" "\"user\":\"wanjiru\",\"action\":\"message.send\",\"object\":\"message/$MID\""
like "the token's" "$r" '"user":"token","action":"message.send"'
like "the users' changes" "$r" '"user":"token","action":"user.remove","object":"user/baraka"'
like "the command line's" "$r" '"user":"-","action":"user.add","object":"user/amina"'
like "the sign-out" "$r" '"action":"session.signout"'
sql "select * from audit" >"$T/audit.txt"
check "never a password in it" sh -c "! grep -q -e 'admin password' -e 'staff password' -e 'wrong guess' -e 'nope nope' -e 'brand new' '$T/audit.txt'"
check "nor in the log" sh -c "! grep -q -e 'admin password' -e 'staff password' -e 'wrong guess' -e 'nope nope' -e 'brand new' '$T/serve.log'"
like "a failed sign-in under a number is audited masked" "$r" '"user":"07\*+97","action":"session.signin_failed","object":"user/07\*+97"'
check "that number is in neither the audit nor the log" sh -c "! grep -q 0798765597 '$T/audit.txt' '$T/serve.log'"
r=$(http GET '/api/v1/audit?limit=2' -H "$auth")
next=$(printf '%s' "$r" | sed -n 's/.*"next":"\([0-9]*\)".*/\1/p')
like "pages have a cursor" "$next" '^[0-9]+$'
r2=$(http GET "/api/v1/audit?limit=2&cursor=$next" -H "$auth")
like "the next page is older" "$r2" "^200 \{\"items\":\[\{\"id\":$((next - 1)),"

# --- throttling: five failures for a name or from an address ---
for i in 1 2 3 4 5; do signin amina "wrong guess $i" 127.0.0.2 >/dev/null; done
is "after five failures the right password is 429" "$(signin amina "$PW_ADMIN" 127.0.0.3)" "429"
like "with Retry-After" "$(header Retry-After)" '^[0-9]+$'
check "a wait of ten minutes at most" [ "$(header Retry-After)" -le 600 ]
like "a page saying to wait" "$(cat "$T/body")" 'Wait [0-9]+ minute'
is "and no cookie" "$(header Set-Cookie)" ""
is "the address is locked too" "$(signin wanjiru "$PW_STAFF" 127.0.0.2)" "429"
is "others sign in from elsewhere" "$(signin wanjiru "$PW_STAFF" 127.0.0.1)" "303"
signin amina "$PW_ADMIN" 127.0.0.4 >/dev/null
signin amina "$PW_ADMIN" 127.0.0.5 >/dev/null
r=$(http GET '/api/v1/audit?limit=200' -H "$auth")
like "a lock is in the audit log" "$r" \
    '"user":"amina","action":"session.signin_locked","object":"user/amina","detail":"address=127\.0\.0\.3 locked=name for=[0-9]+s"'
is "once per lock, not per refused attempt" \
    "$(printf '%s' "$r" | grep -o '"action":"session.signin_locked","object":"user/amina"' | wc -l)" 1

# --- a right password between failures does not wipe them ---
for i in 1 2 3 4; do signin otieno "wrong guess $i" "127.0.1.$i" >/dev/null; done
is "four failures, then the right password signs in" \
    "$(signin otieno "$PW_VIEW" 127.0.1.5)" "303"
signin otieno "wrong guess 5" 127.0.1.6 >/dev/null
is "a fifth failure in the ten minutes locks the name all the same" \
    "$(signin otieno "$PW_VIEW" 127.0.1.7)" "429"

stop_server
is "the gateway stops cleanly" "$?" "0"
done_testing
