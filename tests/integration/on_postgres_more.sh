#!/bin/sh
# The second half of the integration suite on PostgreSQL (on_postgres.sh
# names both halves): the crash and outage drills, the channels, SMPP, the
# console's API and sign-in, a Gammu modem.
: "${SRCDIR:?SRCDIR must name the source tree}"
ON_PG_PART=2 exec sh "$SRCDIR/tests/integration/on_postgres.sh"
