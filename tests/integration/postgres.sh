#!/bin/sh
# PostgreSQL (issue 16), against a real throwaway server (scripts/pg-tmp):
# `baraza migrate` on PostgreSQL and SQLite (what it applies, then nothing;
# two at once), `baraza copy-store` SQLite -> PostgreSQL -> SQLite and
# PostgreSQL -> PostgreSQL with every row, id and sequence kept, refusals
# (a store that is not empty, a row PostgreSQL cannot take: nothing
# written), passwords never shown, and `serve` on PostgreSQL: it starts
# and answers /healthz from the database.
. "$SRCDIR/tests/integration/lib.sh"

plan 48

PGDIR=
pg_cleanup() {
	[ -n "$PGDIR" ] && "$SRCDIR/scripts/pg-tmp" stop "$PGDIR"
	cleanup
}
trap pg_cleanup EXIT

if ! out=$("$SRCDIR/scripts/pg-tmp" start 2>&1); then
	echo "Bail out! no PostgreSQL server: $out"
	exit 1
fi
# shellcheck disable=SC2086
set -- $out
PGDIR=$1
URI=$2
BASE=${URI%/baraza}

# psql_val DB SQL: one value from PostgreSQL database DB.
psql_val() {
	psql "$BASE/$1" -X -q -t -A -c "$2"
}
newdb() {
	psql "$URI" -X -q -c "CREATE DATABASE $1"
}

cd "$T" || exit 1
printf '[gateway]\ndatabase = %s\nadmin_token = t\n' "$URI" >pg.conf
printf '[gateway]\ndatabase = a.db\nadmin_token = t\n' >sq.conf

# migrate on PostgreSQL: what it applies, then nothing.
out=$("$BARAZA" -c pg.conf migrate 2>/dev/null)
like "migrate applies PostgreSQL's first migration" "$out" "applied 1: "
like "and the one after it" "$out" "applied 2: several nodes"
like "and says from what to what" "$out" \
	"baraza: migrated from schema version 0 to 8$"
out=$("$BARAZA" -c pg.conf migrate 2>/dev/null)
is "a second migrate changes nothing" "$(echo "$out" | tail -n 1)" \
	"$URI: up to date, schema version 8"
is "the version is kept in baraza_schema" \
	"$(psql_val baraza 'SELECT version FROM baraza_schema')" 8

# Migration 5 links the USSD steps stored before to their number's contact
# (an SMS without one, or a number without a contact, stays unlinked).
psql "$URI" -X -q -c "INSERT INTO contacts (phone, created, updated) VALUES ('+254700000009', 1, 1)" \
	-c "INSERT INTO messages (direction, channel, kind, phone, text, state, created, updated) VALUES
	    ('in', 'at', 'ussd', '+254700000009', '1', 'handled', 1, 1),
	    ('in', 'at', 'ussd', '+254700000008', '1', 'handled', 1, 1),
	    ('in', 'at', 'sms', '+254700000009', 'HI', 'handled', 1, 1)" \
	-c "DROP TABLE sms_parts" \
	-c "DROP INDEX sessions_purge" \
	-c "ALTER TABLE sessions DROP COLUMN purge_after" \
	-c "CREATE INDEX sessions_expires ON sessions(expires)" \
	-c "INSERT INTO sessions (key, contact_id, flow, state, expires) SELECT 'at:s9', id, 'menu', '{}', 77 FROM contacts WHERE phone = '+254700000009'" \
	-c "DROP INDEX messages_created" \
	-c "CREATE INDEX messages_dir_created ON messages(direction, created)" \
	-c "UPDATE baraza_schema SET version = 4"
out=$("$BARAZA" -c pg.conf migrate 2>/dev/null)
like "migrate applies the fifth" "$out" "applied 5: USSD steps linked"
# Migration 6: messages by creation time, then direction, in place of
# (direction, created).
like "and the sixth" "$out" "applied 6: messages by creation time"
is "messages_created replaces messages_dir_created" \
	"$(psql_val baraza "SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE indexname LIKE 'messages_%created'")" \
	"messages_created"
is "on (created, direction)" \
	"$(psql_val baraza "SELECT indexdef LIKE '%(created, direction)' FROM pg_indexes WHERE indexname = 'messages_created'")" t
# Migration 7: expired sessions found by the expiry they began with.
like "and the seventh" "$out" "applied 7: expired sessions found by the expiry they began with"
# Migration 8: the parts of long SMS, until joined.
like "and the eighth" "$out" "applied 8: the parts of long SMS"
is "sms_parts has its index by joined and received" \
	"$(psql_val baraza "SELECT indexdef LIKE '%(joined, received)' FROM pg_indexes WHERE indexname = 'sms_parts_joined'")" t
is "a session's purge_after is its expires, sessions_expires is gone" \
	"$(psql_val baraza "SELECT purge_after, (SELECT count(*) FROM pg_indexes WHERE indexname = 'sessions_expires') FROM sessions WHERE key = 'at:s9'")" \
	"77|0"
is "a USSD step is linked to its number's contact, no other message" \
	"$(psql_val baraza "SELECT string_agg(kind || ':' || phone || ':' || (contact_id IS NOT NULL)::text, ' ' ORDER BY id) FROM messages")" \
	"ussd:+254700000009:true ussd:+254700000008:false sms:+254700000009:false"
psql "$URI" -X -q -c "DELETE FROM messages" -c "DELETE FROM sessions" -c "DELETE FROM contacts"

# Two nodes starting at once on a new database migrate it once.
newdb twice
printf '[gateway]\ndatabase = %s/twice\nadmin_token = t\n' "$BASE" >tw.conf
"$BARAZA" -c tw.conf migrate >tw1.out 2>&1 &
p1=$!
"$BARAZA" -c tw.conf migrate >tw2.out 2>&1
rc2=$?
wait $p1
rc1=$?
is "two migrates at once both succeed" "$rc1 $rc2" "0 0"
is "and exactly one applied the migration" \
	"$(cat tw1.out tw2.out | grep -c 'applied 1:')" 1

# migrate on SQLite.
out=$("$BARAZA" -c sq.conf migrate 2>/dev/null)
like "SQLite: every migration applied to a new file" "$out" \
	"migrated from schema version 0 to [0-9]+$"
like "each one said" "$out" "applied 1: the first schema"
out=$("$BARAZA" -c sq.conf migrate 2>/dev/null)
like "SQLite: a second migrate changes nothing" "$out" \
	"up to date, schema version [0-9]+$"

# A store with a row or two in every table, and enough messages to cross
# the copy's batches of 1,000.
sqlite3 a.db <"$SRCDIR/tests/data/store_fill.sql"
sqlite3 a.db "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1
  FROM n WHERE i < 3499) INSERT INTO messages (id, direction, channel,
  contact_id, phone, text, state, provider_id, created, updated)
  SELECT i, 'out', 'at', 1, '+254700000001', 'Balance ' || i, 'sent',
  'p' || i, 1764806400000 + i, 1764806400000 + i FROM n"
msgs=$(sqlite3 a.db "SELECT count(*) FROM messages")

out=$("$BARAZA" copy-store a.db "$URI" 2>cp1.err)
is "copy-store SQLite -> PostgreSQL succeeds" "$?" 0
like "it prints each table's rows" "$out" "messages +$msgs rows"
is "every message is in PostgreSQL" \
	"$(psql_val baraza 'SELECT count(*) FROM messages')" "$msgs"
is "ids, texts and bytes kept" \
	"$(psql_val baraza "SELECT b.text || '|' || encode(i.request_hash, 'hex') || '|' || c.fields FROM broadcasts b, idempotency i, contacts c WHERE b.id = 3 AND c.id = 1")" \
	'Boil water in ward 4 😀|00ff10e2|{"account":"1234567","name":"Amina ✓"}'
is "sequences past the last id kept (reports 50, events 20)" \
	"$(psql_val baraza "SELECT (SELECT last_value FROM reports_id_seq) || ' ' || (SELECT last_value FROM events_id_seq)")" \
	"50 20"

is "copy-store's stderr holds no INFO lines (baraza.conf.5: warnings only)" "$(cat cp1.err)" ""
"$BARAZA" copy-store "$URI" b.db >/dev/null 2>cp2.err
is "copy-store PostgreSQL -> SQLite succeeds" "$?" 0
is "nor the new SQLite file's migrations" "$(cat cp2.err)" ""
sqlite3 a.db .dump | sort >a.dump
sqlite3 b.db .dump | sort >b.dump
check "the round trip gives the same rows, sequences included" \
	cmp -s a.dump b.dump
is "the next report number follows the last one given" \
	"$(sqlite3 b.db "INSERT INTO reports (flow, created, updated) VALUES ('r', 1, 1) RETURNING id")" \
	51

# PostgreSQL -> PostgreSQL, then back: the same again.
newdb copy2
"$BARAZA" copy-store "$URI" "$BASE/copy2" >/dev/null 2>&1
is "copy-store PostgreSQL -> PostgreSQL succeeds" "$?" 0
"$BARAZA" copy-store "$BASE/copy2" c.db >/dev/null 2>&1
sqlite3 c.db .dump | sort >c.dump
check "and its copy holds the same rows" cmp -s a.dump c.dump

# Refusals.
out=$("$BARAZA" copy-store a.db "$URI" 2>&1)
is "a store that is not empty is refused" "$?" 1
like "and says so" "$out" "is not empty \(table contacts holds rows\)"
is "and keeps its rows" "$(psql_val baraza 'SELECT count(*) FROM messages')" \
	"$msgs"

cp a.db bad.db
sqlite3 bad.db "UPDATE messages SET created = 'noon' WHERE id = 3499"
newdb bad
out=$("$BARAZA" copy-store bad.db "$BASE/bad" 2>&1)
like "a row PostgreSQL cannot take fails the copy with its reason" "$out" \
	"invalid input syntax for type bigint: \"noon\""
is "and nothing of it is written" \
	"$(psql_val bad 'SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM messages)')" \
	0

out=$("$BARAZA" copy-store a.db \
	"postgresql://baraza:pg-s3cret@127.0.0.1:1/x?password=pg-s3cret" 2>&1)
rc=$?
is "an unreachable server fails the copy" "$rc" 1
check "without showing the password" \
	sh -c '! printf "%s" "$1" | grep -q s3cret' _ "$out"

out=$("$BARAZA" copy-store onlyone 2>&1)
is "copy-store needs FROM and TO" "$?" 2

# A misspelt FROM is not created and copied as an empty store.
out=$("$BARAZA" copy-store nothere.db fresh.db 2>&1)
is "a FROM that does not exist is refused" "$?" 1
check "and neither file is made" sh -c '[ ! -e nothere.db ] && [ ! -e fresh.db ]'
newdb empty
out=$("$BARAZA" copy-store "$BASE/empty" fresh.db 2>&1)
like "a PostgreSQL FROM without a store is refused" "$out" "holds no baraza store"
is "and is left without one" \
	"$(psql_val empty "SELECT count(*) FROM pg_tables WHERE tablename = 'baraza_schema'")" 0

# database_password_file: a role that needs its password (scram) gets it
# from the file, and a wrong one is refused without being shown.
psql "$URI" -X -q -c "CREATE ROLE pwuser LOGIN PASSWORD 'pw-s3cret-1'" \
	-c "CREATE DATABASE pwdb OWNER pwuser"
{
	echo "host all pwuser 127.0.0.1/32 scram-sha-256"
	cat "$PGDIR/data/pg_hba.conf"
} >"$T/hba" && cat "$T/hba" >"$PGDIR/data/pg_hba.conf"
psql_val baraza "SELECT pg_reload_conf()" >/dev/null
hostport=${BASE#postgresql://baraza@}
printf 'pw-s3cret-1\n' >pw
printf '[gateway]\ndatabase = postgresql://pwuser@%s/pwdb\ndatabase_password_file = pw\nadmin_token = t\n' \
	"$hostport" >pw.conf
"$BARAZA" -c pw.conf migrate >/dev/null 2>&1
is "the password comes from database_password_file" "$?" 0
printf 'wrong-password\n' >pw
out=$("$BARAZA" -c pw.conf migrate 2>&1)
like "a wrong one is refused by the server" "$out" \
	'password authentication failed for user "pwuser"'
check "and never shown" sh -c '! printf "%s" "$1" | grep -q wrong-password' _ "$out"

# serve on PostgreSQL: it starts, answers /healthz from the database and
# takes no lock file (other nodes share the database).
mkdir -p flows
printf '[gateway]\nlisten = 127.0.0.1:0\ndatabase = %s\nadmin_token = pg-test-token\nflows = flows\n' "$URI" >serve.conf
"$BARAZA" -c serve.conf serve 2>serve.log &
spid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*listening addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' serve.log | tail -n 1)
	[ -n "$port" ] && break
	sleep 0.1
done
is "serve on PostgreSQL answers /healthz" "$(curl -s -m 5 "http://127.0.0.1:$port/healthz")" "ok"
kill "$spid"
wait "$spid"
is "and stops cleanly" "$?" 0

done_testing
