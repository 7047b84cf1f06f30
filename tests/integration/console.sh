#!/bin/sh
# The staff console in headless Chromium (docs/console.md): runs the node
# tests of tests/console (playwright-core driving Debian's chromium, and
# axe-core) against the real gateway and the fake provider, and turns their
# results into this test's TAP lines. Screenshots (360 px wide) and the page
# weights go to $BUILDDIR/tests/console-out. Skipped only when node or
# chromium is missing (scripts/deps installs both, and the npm packages).
. "$SRCDIR/tests/integration/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "1..0 # SKIP node or npm is missing: run scripts/deps"
	exit 0
fi
if [ ! -x "$CHROMIUM" ]; then
	echo "1..0 # SKIP $CHROMIUM is missing: run scripts/deps (Debian's chromium)"
	exit 0
fi
dir=$SRCDIR/tests/console

# The pinned packages, installed from the lock file when missing or older
# than it (as scripts/deps does).
if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
	if ! npm ci --prefix "$dir" --no-audit --no-fund >"$T/npm.log" 2>&1; then
		plan 1
		not_ok "npm ci in tests/console (run scripts/deps)"
		sed 's/^/#   /' "$T/npm.log" | tail -20
		exit 1
	fi
fi

CONSOLE_OUT=${CONSOLE_OUT:-${BUILDDIR:-$T}/tests/console-out}
export CONSOLE_OUT FAKE_PROVIDER BUILDDIR
mkdir -p "$CONSOLE_OUT"

# Each file's top-level tests become our own numbered lines; what they
# print comes along as comments.
for f in unit console; do
	CHROMIUM=$CHROMIUM timeout 900 node --test --test-reporter=tap \
	    --test-concurrency=1 "$dir/$f.test.mjs" >"$T/$f.tap" 2>&1
	rc=$?
	n_before=$tap_n
	while IFS= read -r line; do
		case $line in
		"ok "*)
			d=${line#ok }
			d=${d#* - }
			ok "$f: $d"
			;;
		"not ok "*)
			d=${line#not ok }
			d=${d#* - }
			not_ok "$f: $d"
			;;
		"# "*) echo "$line" ;;
		esac
	done <"$T/$f.tap"
	if [ $rc -ne 0 ] || [ $tap_n -eq "$n_before" ]; then
		[ $tap_n -eq "$n_before" ] && not_ok "$f: node --test ran nothing (exit $rc)"
		echo "# $f.test.mjs failed; its output:"
		sed 's/^/#   /' "$T/$f.tap" | tail -200
	fi
done
echo "# screenshots: $CONSOLE_OUT"
plan "$tap_n"
done_testing
