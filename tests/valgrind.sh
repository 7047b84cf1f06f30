#!/bin/sh
# tests/valgrind.sh: runs the real baraza under valgrind for the integration
# tests (scripts/test --valgrind sets BARAZA_WRAP to this file). Any invalid
# read or write, or a definite leak, makes the process exit 99, which the
# tests see as an unclean stop.
exec valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --log-file="${TMPDIR:-/tmp}/baraza-valgrind.%p.log" \
    "$BARAZA_REAL" "$@"
