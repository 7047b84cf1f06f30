#!/bin/sh
# The house formatting (.clang-format at the root) holds for every C file:
# one TAP line per folder. Skipped where clang-format is not installed.
set -u
: "${SRCDIR:?SRCDIR must name the source tree}"
if ! command -v clang-format >/dev/null 2>&1; then
	echo "1..0 # SKIP clang-format is not installed"
	exit 0
fi
cd "$SRCDIR" || exit 1
dirs="lib flows providers modem gateway council cli tests bench"
echo "1..$(echo $dirs | wc -w)"
n=0
rc=0
for d in $dirs; do
	n=$((n + 1))
	out=$(find "$d" -name '*.[ch]' | sort | xargs clang-format --dry-run -Werror 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - $d is clang-formatted"
	else
		echo "not ok $n - $d is clang-formatted (make format fixes it)"
		printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
		rc=1
	fi
done
exit $rc
