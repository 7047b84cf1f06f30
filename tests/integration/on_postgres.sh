#!/bin/sh
# The integration suite on PostgreSQL (issue 16, "the behaviour, the
# commands and the API are the same"): the scripts below run again, each on
# a database of its own (lib.sh with BARAZA_ON_PG=1) on one throwaway server
# (scripts/pg-tmp). Every check of theirs is a check here, named after its
# script; a script that dies without saying why is one failed check.
set -u
: "${SRCDIR:?SRCDIR must name the source tree}"

# Every script whose checks ask the store through lib.sh's sql, sql_is,
# sql_dump and sql_script (the others read the SQLite file itself: backups,
# the WAL, the full disk, the check of tables; or start no store of theirs).
# Two halves, so that make check -j runs them side by side: this script runs
# the first, on_postgres_more.sh (ON_PG_PART=2) the second, ON_PG_PART=all
# both; ON_PG_SCRIPTS names others.
part1="serve.sh idempotency.sh reports.sh
	report_feedback.sh events.sh campaigns.sh broadcast.sh flood.sh
	guard.sh regex_limit.sh reload.sh open311_write.sh open311_scrub.sh
	security_hooks.sh security_ussd.sh ussd_resume.sh fetch_url.sh
	golden.sh flowtests.sh cli_flows.sh modem_fallback.sh spend.sh
	metrics.sh channel_log.sh"
part2="crash.sh drill_mixed_crash.sh drill_outage.sh channels.sh smpp.sh
	console_api.sh console_auth.sh channels_ib_vg.sh inbound_once.sh
	modem_gateway.sh"
case ${ON_PG_PART:-1} in
2) scripts=$part2 ;;
all) scripts="$part1 $part2" ;;
*) scripts=$part1 ;;
esac
scripts=${ON_PG_SCRIPTS:-$scripts}

if ! out=$("$SRCDIR/scripts/pg-tmp" start 2>&1); then
	echo "1..0 # SKIP no PostgreSQL here: $out"
	exit 0
fi
set -- $out
dir=$1
server=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/baraza-onpg.XXXXXX")
trap '"$SRCDIR/scripts/pg-tmp" stop "$dir"; rm -rf "$tmp"' EXIT

n=0
for s in $scripts; do
	BARAZA_ON_PG=1 BARAZA_TEST_PG=$server \
	    sh "$SRCDIR/tests/integration/$s" >"$tmp/out" 2>&1
	rc=$?
	seen=0
	bad=0
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*)
			n=$((n + 1))
			seen=$((seen + 1))
			case $line in "not ok "*) bad=1 ;; esac
			# "ok 3 - text" -> "ok N - script: text"
			printf '%s\n' "$line" | sed -E \
			    "s/^(not ok|ok) [0-9]+( - )?/\\1 $n - $s: /"
			;;
		"#"*) printf '%s\n' "$line" ;;
		"Bail out!"*) printf '# %s: %s\n' "$s" "$line" ;;
		esac
	done <"$tmp/out"
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		n=$((n + 1))
		echo "not ok $n - $s: exited with status $rc after $seen checks"
		tail -n 20 "$tmp/out" | sed 's/^/#   /'
	fi
done
echo "1..$n"
