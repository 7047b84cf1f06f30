#!/bin/sh
# The shape of the code, read from the built objects with nm: an object
# "calls" another when it uses a symbol the other defines. (1) Calls go down
# the layers only: lib <- flows, providers, modem, smpp <- gateway <- council <-
# cli (and flows, providers, modem and smpp do not call each other). (2) No two
# files call each other, directly or around a circle. (3) Only the store
# (gateway/store*.o) calls SQLite.
set -u
: "${BUILDDIR:?BUILDDIR must name the build folder}"
cd "$BUILDDIR" || exit 1
T=$(mktemp -d "${TMPDIR:-/tmp}/baraza-layers.XXXXXX")
trap 'rm -rf "$T"' EXIT
command -v nm >/dev/null 2>&1 || { echo "1..0 # SKIP nm is missing"; exit 0; }
echo "1..3"
objs=$(MAKEFLAGS= make -s --no-print-directory print-objects)
# One line per symbol: "D OBJ SYM" for a definition, "U OBJ SYM" for a use.
for o in $objs; do
	nm "$o" | awk -v o="$o" '
		NF == 2 && $1 == "U" { print "U", o, $2 }
		NF == 3 && $2 ~ /^[TDBRC]$/ { print "D", o, $3 }'
done >"$T/syms.txt"
awk '
function layer(o) { sub(/\/.*/, "", o); return o }
BEGIN {
	rank["lib"] = 0; rank["flows"] = 1; rank["providers"] = 1; rank["modem"] = 1; rank["smpp"] = 1
	rank["gateway"] = 2; rank["council"] = 3; rank["cli"] = 4
}
$1 == "D" && !($3 in def) { def[$3] = $2; next }
$1 == "U" { use[++nu] = $2 " " $3 }
END {
	for (i = 1; i <= nu; i++) {
		split(use[i], u, " ")
		if (u[2] ~ /^sqlite3_/ && u[1] !~ /^gateway\/store/)
			sql[u[1]] = u[2]
		if (!(u[2] in def) || def[u[2]] == u[1]) continue
		a = u[1]; b = def[u[2]]
		if (!((a, b) in edge)) { edge[a, b] = u[2]; node[a]; node[b] }
	}
	bad = ""
	for (k in edge) {
		split(k, e, SUBSEP); la = layer(e[1]); lb = layer(e[2])
		if (rank[lb] > rank[la] || (rank[lb] == rank[la] && la != lb))
			bad = bad "#   " e[1] " -> " e[2] " (" edge[k] ")\n"
	}
	printf "%s 1 - calls go down the layers\n%s", bad == "" ? "ok" : "not ok", bad
	# Transitive closure (Floyd-Warshall on about a hundred objects).
	for (k in edge) { split(k, e, SUBSEP); r[e[1], e[2]] = 1 }
	for (m in node) for (a in node) if ((a, m) in r) for (b in node) if ((m, b) in r) r[a, b] = 1
	circ = ""
	for (k in edge) {
		split(k, e, SUBSEP)
		if ((e[2], e[1]) in r) circ = circ "#   " e[1] " -> " e[2] " (" edge[k] ") and back\n"
	}
	printf "%s 2 - no circle of calls between files\n%s", circ == "" ? "ok" : "not ok", circ
	s = ""
	for (o in sql) s = s "#   " o " calls " sql[o] "\n"
	printf "%s 3 - only the store calls SQLite\n%s", s == "" ? "ok" : "not ok", s
	exit (bad != "" || circ != "" || s != "")
}' "$T/syms.txt"
