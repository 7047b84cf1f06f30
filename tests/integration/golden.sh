#!/bin/sh
# Golden transcripts: each tests/data/golden/NAME.in is fed to
# `baraza simulate NAME.args` (the example flows, a fresh database with
# examples/bills.csv), and the output must equal NAME.out. After a deliberate
# change of the flows or the engine, GOLDEN_UPDATE=1 rewrites the .out files;
# read the diff before committing it.
#
# A transcript whose output holds a date from the clock (a report's "last
# updated") pins the clock with `--now` in local time; the date it shows is
# then the same on any day and in any time zone.
. "$SRCDIR/tests/integration/lib.sh"
dir="$SRCDIR/tests/data/golden"
plan "$(ls "$dir"/*.args | wc -l)"

for args in "$dir"/*.args; do
	name=$(basename "$args" .args)
	w="$T/$name"
	mkdir -p "$w/flows"
	cp "$SRCDIR"/flows/examples/*.flow "$w/flows/"
	cat >"$w/baraza.conf" <<CONF
[gateway]
database = baraza.db
flows = flows
languages = en sw
country_code = 254
CONF
	"$BARAZA" -c "$w/baraza.conf" import bills "$SRCDIR/examples/bills.csv" --key account >/dev/null 2>&1
	# shellcheck disable=SC2046
	"$BARAZA" -c "$w/baraza.conf" simulate $(cat "$args") <"$dir/$name.in" >"$w/out" 2>"$w/err"
	if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
		cp "$w/out" "$dir/$name.out"
	fi
	if cmp -s "$w/out" "$dir/$name.out"; then
		ok "$name"
	else
		not_ok "$name"
		diff -u "$dir/$name.out" "$w/out" | sed 's/^/#   /' | head -40
		sed 's/^/#   stderr: /' "$w/err" | head -5
	fi
done
done_testing
