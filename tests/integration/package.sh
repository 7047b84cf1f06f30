#!/bin/sh
# The Debian package (debian/, scripts/package): built from this tree into a
# temporary folder, unpacked with dpkg -x (never installed), and checked:
# the program runs, the man pages, the console's files where the program
# looks for them, the example config in /etc/baraza (a conffile) that
# passes `baraza check` once copied to baraza.conf, the systemd unit that
# waits for that config, a postinst that makes the baraza user and
# /var/lib/baraza (run with stand-ins for adduser, chown and systemd's
# helpers), and lintian without errors. Takes a minute or two (a full
# build); skipped where dpkg-buildpackage is not installed.
set -u
if ! command -v dpkg-buildpackage >/dev/null 2>&1; then
	echo "1..0 # SKIP dpkg-buildpackage is not installed (Debian package dpkg-dev)"
	exit 0
fi
. "$SRCDIR/tests/integration/lib.sh"

plan 17

version=$(sed -n 's/^AC_INIT(\[baraza\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")

# 1-3: the build, its version, lintian.
if "$SRCDIR/scripts/package" "$T/dist" >"$T/package.log" 2>&1; then
	ok "scripts/package builds the package"
else
	not_ok "scripts/package builds the package"
	tail -n 30 "$T/package.log" | sed 's/^/#   /'
fi
deb=$(ls "$T"/dist/baraza_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || deb=$T/dist/missing.deb
is "the package's version is configure.ac's" "$(dpkg-deb -f "$deb" Version 2>&1)" "$version"
errors=$(grep '^E:' "$T/dist/lintian.txt" 2>&1)
if [ -f "$T/dist/lintian.txt" ] && [ -z "$errors" ]; then
	ok "lintian reports no errors"
else
	not_ok "lintian reports no errors"
	printf '%s\n' "$errors" | head -20 | sed 's/^/#   /'
fi

root=$T/root
dpkg -x "$deb" "$root" 2>/dev/null
dpkg -c "$deb" >"$T/contents" 2>&1
dpkg -I "$deb" conffiles >"$T/conffiles" 2>&1
dpkg-deb -e "$deb" "$T/control" 2>/dev/null

# 4-5: the program and its man pages.
like "/usr/bin/baraza runs \`version\`" "$("$root/usr/bin/baraza" version 2>&1)" "^baraza $version"
man=
for m in man1/baraza.1.gz man5/baraza.conf.5.gz man5/baraza-flows.5.gz; do
	gzip -t "$root/usr/share/man/$m" 2>/dev/null || man="$man $m"
done
is "the man pages are in /usr/share/man" "$man" ""

# 6-7: every console file, as in web/console, with its gzip copy, in the
# folder the program looks in without any console_dir.
console=$root/usr/share/baraza/console
bad=
for f in $(cd "$SRCDIR/web/console" && find . -type f | sort); do
	if ! cmp -s "$SRCDIR/web/console/$f" "$console/$f" ||
	    ! gzip -dc "$console/$f.gz" 2>/dev/null | cmp -s - "$SRCDIR/web/console/$f"; then
		bad="$bad $f"
	fi
done
[ -f "$console/index.html" ] || bad="$bad index.html"
is "the console's files and their gzip copies are in /usr/share/baraza/console" "$bad" ""
check "the program looks for the console in /usr/share/baraza/console" \
    grep -aq '/usr/share/baraza/console' "$root/usr/bin/baraza"

# 8-10: the example config, a conffile, ready for the package's folders.
ex=$root/etc/baraza/baraza.conf.example
like "/etc/baraza/baraza.conf.example names the database in /var/lib/baraza" \
    "$(grep '^database' "$ex" 2>&1)" '^database = /var/lib/baraza/baraza\.db$'
is "the conffiles are the example config" "$(cat "$T/conffiles")" "/etc/baraza/baraza.conf.example"
if [ -f "$ex" ] && [ ! -e "$root/etc/baraza/baraza.conf" ]; then
	cp "$ex" "$root/etc/baraza/baraza.conf"
	out=$("$root/usr/bin/baraza" -c "$root/etc/baraza/baraza.conf" check 2>&1)
	like "no baraza.conf shipped; the example copied to it is refused until its secrets are set" \
	    "$out" "baraza\\.conf:[0-9]+: error: admin_token: still the example's placeholder"
	sed -i 's/change-me/s3cr3t-ok/g' "$root/etc/baraza/baraza.conf"
	out=$("$root/usr/bin/baraza" -c "$root/etc/baraza/baraza.conf" check 2>&1)
	like "with its secrets set, it passes check" "$out" "ok, 0 flows"
else
	not_ok "no baraza.conf shipped; the example copied to it is refused until its secrets are set"
	not_ok "with its secrets set, it passes check"
fi

# 11-12: the unit runs /usr/bin/baraza as baraza, and only once configured.
unit=$(ls "$root"/lib/systemd/system/baraza.service "$root"/usr/lib/systemd/system/baraza.service 2>/dev/null | head -n 1)
[ -n "$unit" ] || unit=$root/missing.service
like "the unit runs /usr/bin/baraza as the baraza user" \
    "$(grep -E '^(ExecStart|User)=' "$unit" 2>&1 | sort | tr '\n' ' ')" \
    '^ExecStart=/usr/bin/baraza -c /etc/baraza/baraza.conf serve User=baraza $'
like "the unit waits for /etc/baraza/baraza.conf; /var/lib/baraza 0700" \
    "$(grep -E '^(ConditionPathExists|StateDirectoryMode)=' "$unit" 2>&1 | sort | tr '\n' ' ')" \
    '^ConditionPathExists=/etc/baraza/baraza.conf StateDirectoryMode=0700 $'

# 13-15: the postinst, run with stand-ins that record their arguments: on a
# first install it makes the user, gives it /var/lib/baraza (0700) and
# enables the unit; on an upgrade (the user exists) it makes no user.
stubs=$T/stubs
mkdir -p "$stubs"
for cmd in adduser chown chmod dpkg-statoverride deb-systemd-helper deb-systemd-invoke systemctl getent; do
	cat >"$stubs/$cmd" <<STUB
#!/bin/sh
echo "$cmd \$*" >>"$T/calls"
case "$cmd \$*" in
"getent passwd baraza") [ -f "$T/user-exists" ] ;;
"dpkg-statoverride --list "*) exit 1 ;;
esac
STUB
	chmod +x "$stubs/$cmd"
done
: >"$T/calls"
PATH=$stubs:$PATH sh "$T/control/postinst" configure "" >/dev/null 2>&1
first=$(cat "$T/calls")
like "postinst configure adds the baraza system user" "$first" \
    'adduser --system --group .*--home /var/lib/baraza .*baraza'
like "postinst gives /var/lib/baraza to baraza, mode 0700, and enables the unit" \
    "$(printf '%s\n' "$first" | grep -E '^(chown|chmod) .*/var/lib/baraza$|helper enable' | tr '\n' ' ')" \
    "chown baraza:baraza /var/lib/baraza chmod 0700 /var/lib/baraza deb-systemd-helper enable baraza.service "
: >"$T/calls"
touch "$T/user-exists"
PATH=$stubs:$PATH sh "$T/control/postinst" configure "$version" >/dev/null 2>&1
is "postinst on an upgrade adds no user" "$(grep -c '^adduser' "$T/calls")" "0"

# 16: what the package holds for the postinst: the folders, and adduser.
like "the package holds /var/lib/baraza and /etc/baraza/flows, depends on adduser" \
    "$(grep -cE ' \./var/lib/baraza/$| \./etc/baraza/flows/$' "$T/contents") $(dpkg-deb -f "$deb" Depends 2>&1)" \
    '^2 adduser, '

done_testing
