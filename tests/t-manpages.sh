#!/bin/sh
# Man pages and --help match the programs: every program has a page with an
# EXIT STATUS; --help names the page's environment variables and exit
# codes; the codes a program gives for the errors every program shares (a
# usage error, a missing ledger, a busy one, a bad chobo.conf, standard
# output on /dev/full) are those its page documents; mandoc finds no error or warning
# in any page.
. "${top_srcdir:-.}/tests/lib.sh"
# qr-render draws text: fontconfig keeps its caches (tests/lsan-fonts.supp).
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-fonts.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

MAN=$top_srcdir/man
python3 "$top_srcdir/tests/manpage-sections.py" "$MAN" >"$T/man.json" || { echo "Bail out! cannot parse the man pages"; exit 99; }
progs=$(cd "$top_srcdir/cmd" && ls *.c | sed 's/\.c$//')

# man_get PROG FIELD: codes / env (space-separated), chobo7 / has_exit (true or false).
man_get() {
	python3 -c "
import json, sys
m = json.load(open('$T/man.json')).get('$1')
v = m and m['$2']
print(' '.join(map(str, v)) if isinstance(v, list) else ('true' if v else 'false'))"
}

for p in $progs; do
	if [ ! -f "$MAN/$p.1" ]; then
		not_ok "$p has a man page"
		continue
	fi
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
		grep -q "^\.Sh $s\$" "$MAN/$p.1" || { not_ok "$p(1) has a $s section"; continue 2; }
	done
	"$p" --help >"$T/help" 2>&1
	rc=$?
	missing=
	for v in $(man_get "$p" env); do grep -q "$v" "$T/help" || missing="$missing $v"; done
	[ "$rc" -eq 0 ] && [ -z "$missing" ] && ok "$p --help names the environment of $p(1)" ||
		not_ok "$p --help names the environment of $p(1) (exit $rc; missing:$missing)"
	missing=
	exitline=$(sed -n '/^Exit status:/,$p' "$T/help")
	for c in $(man_get "$p" codes); do
		echo "$exitline" | grep -Eq "(^|^Exit status:| )$c " || missing="$missing $c"
	done
	if [ "$(man_get "$p" chobo7)" = true ]; then
		echo "$exitline" | grep -q "chobo(7)" || missing="$missing chobo(7)"
	fi
	[ -n "$exitline" ] && [ -z "$missing" ] && ok "$p --help names the exit codes of $p(1)" ||
		not_ok "$p --help names the exit codes of $p(1) (missing:$missing)"
	if grep -q '^\.Fl L Ar dir' "$MAN/$p.1" || grep -q '^\.Op Fl L Ar dir' "$MAN/$p.1"; then
		man_get "$p" env | grep -q CHOBO_LEDGER && ok "$p(1), a ledger program, documents CHOBO_LEDGER" ||
			not_ok "$p(1), a ledger program, documents CHOBO_LEDGER"
	fi
done

# Every page is well formed: mandoc finds no error in it (an unclosed list swallows what follows),
# nor a warning (sections out of their conventional order, a SEE ALSO list out of order).
for page in "$MAN"/*.[157]; do
	if ! command -v mandoc >/dev/null 2>&1; then
		tap_n=$((tap_n + 1))
		echo "ok $tap_n - $(basename "$page") has no mandoc error or warning # SKIP mandoc is not installed"
	elif mandoc -Tlint -W warning "$page" >"$T/lint" 2>&1; then
		ok "$(basename "$page") has no mandoc error or warning"
	else
		not_ok "$(basename "$page") has no mandoc error or warning"
		sed 's/^/# /' "$T/lint" | head -5
	fi
done

# Every page that another page refers to exists (stale references go).
stale=
for r in $(grep -ho '^\.Xr [a-z0-9._-]* [0-9]' "$MAN"/*.[157] | awk '{ print $2 "." $3 }' | sort -u); do
	case $r in chain-*|cert-*|supply-*|ecopt-*|qr-*|chobo*) [ -f "$MAN/$r" ] || stale="$stale $r" ;; esac
done
[ -z "$stale" ] && ok "every chobo page referred to exists" || not_ok "references to pages that do not exist:$stale"

# documented PROG CODE: the code is in PROG(1)'s EXIT STATUS, or the page defers to chobo(7) which has it.
chobo7_codes=$(awk '/^\.Sh EXIT STATUS/ { f = 1; next } /^\.Sh/ { f = 0 } f && /^\.It [0-9]/ { print $2 }' "$MAN/chobo.7")
documented() {
	for c in $(man_get "$1" codes); do [ "$c" = "$2" ] && return 0; done
	[ "$(man_get "$1" chobo7)" = true ] && echo "$chobo7_codes" | grep -qx "$2"
}

# expect CODE WHAT PROG ARGS...: PROG exits CODE, and its page documents CODE.
expect() {
	want=$1
	what=$2
	prog=$3
	shift 3
	"$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	if [ "$got" -eq "$want" ] && documented "$prog" "$got"; then
		ok "$prog: $what exits $want, as $prog(1) says"
	elif [ "$got" -eq "$want" ]; then
		not_ok "$prog: $what exits $want, which $prog(1) does not document"
	else
		not_ok "$prog: $what exits $got, not $want"
		sed 's/^/# /' "$T/err" | head -3
	fi
}

for p in $progs; do
	expect 64 "an unknown option" "$p" "$p" --no-such-option
done

# A ledger, a bundle of another node's log, a file to attest, a busy copy and a badly configured copy.
L=$T/ledger
new_ledger "$L"
notes 2 a >"$T/notes"
chain-append -q -L "$L" "$T/notes" >/dev/null
new_ledger "$T/other" test.example/other
chain-append -q -L "$T/other" "$T/notes" >/dev/null
chain-export -L "$T/other" -o "$T/bundle"
cat "$T/other/keys/node.pub" >>"$L/trust/peers"
echo document >"$T/doc"
cp -a "$L" "$T/badconf"
echo "no.such.setting = 1" >>"$T/badconf/chobo.conf"
cp -a "$L" "$T/busy"
flock "$T/busy/db/lock" sh -c "i=0; while [ ! -e '$T/release' ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i + 1)); done" &
holder=$!
i=0
while CHOBO_LOCK_WAIT=0 chain-log -q -L "$T/busy" >/dev/null 2>&1 && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done

# The same command of each program on a ledger DIR (the word DIR is replaced).
commands() {
	cat <<END
cert-attest -L DIR --kind permit $T/doc
cert-revoke -L DIR --reason error 0000000000000000000000000000000000000000000000000000000000000000
chain-append -L DIR $T/notes
chain-export -L DIR
chain-import -L DIR $T/bundle
chain-log -L DIR
chain-private list -L DIR
chain-proof checkpoint -L DIR
chain-verify DIR
chain-view -L DIR core.attestations
ecopt-redeem -L DIR balance
supply-events -L DIR --dry-run
supply-label -L DIR --format svg 0000
supply-match -L DIR
supply-post -L DIR site --code S-001 --name shelter
supply-status -L DIR
volunteer-issue -L DIR balance
END
}
commands >"$T/commands"
while read -r prog args; do
	expect 66 "a directory that is not a ledger" "$prog" "$prog" $(echo "$args" | sed "s|DIR|$T/none|")
	expect 78 "a chobo.conf with an unknown setting" "$prog" "$prog" $(echo "$args" | sed "s|DIR|$T/badconf|")
	expect 75 "a busy ledger (CHOBO_LOCK_WAIT=0)" "$prog" env CHOBO_LOCK_WAIT=0 "$prog" $(echo "$args" | sed "s|DIR|$T/busy|")
done <"$T/commands"
: >"$T/release"
wait "$holder"

# full PROG ARGS...: standard output on /dev/full exits 74, documented.
full() {
	prog=$1
	"$@" >/dev/full 2>"$T/err" </dev/null
	got=$?
	if [ "$got" -eq 74 ] && documented "$prog" 74; then
		ok "$prog: standard output on /dev/full exits 74, as $prog(1) says"
	else
		not_ok "$prog: standard output on /dev/full exits $got (74 documented: $(documented "$prog" 74 && echo yes || echo no))"
	fi
}
full chain-log -L "$L"
full chain-proof checkpoint -L "$L"
full chain-export -L "$L"
full chain-verify "$L"
full chain-view -L "$L" --list
full chain-key show -L "$L"
full qr-render --format svg HELLO
full supply-status -L "$L" --csv

# A long option shown with one dash (mdoc drops a dash after Ar or Pq) would be typed as shown.
for page in "$MAN"/*.1; do
	name=$(basename "$page")
	if MANWIDTH=200 man -l "$page" 2>/dev/null | col -b | python3 -c '
import re, sys
text = sys.stdin.read()
longs = set(re.findall(r"--([a-z][a-z-]+)", text))
bad = sorted(set(w for w in re.findall(r"(?<![-\w])-([a-z][a-z-]+)", text) if w in longs))
print(" ".join(bad))
sys.exit(1 if bad else 0)' >"$T/dash.out"; then
		ok "$name: every long option it shows has two dashes"
	else
		not_ok "$name: long options shown with one dash: $(cat "$T/dash.out")"
	fi
done

# Every service setting the code declares is in chobo(7)'s table of settings.
for key in $(awk '/setting_spec settings\[\] = \{/ { on = 1; next } on && /^};/ { on = 0 }
	on && match($0, /^\t\{"[a-z]+\.[a-z_]+"/) { print substr($0, RSTART + 3, RLENGTH - 4) }' \
	"$top_srcdir"/lib/*.c "$top_srcdir"/lib/*/*.c); do
	if MANWIDTH=200 man -l "$MAN/chobo.7" 2>/dev/null | col -bx | sed -n '/^ *Settings$/,/^[A-Z]/p' |
		grep -q "^[[:space:]]*$key[[:space:]]"; then
		ok "chobo(7) lists the setting $key"
	else
		not_ok "chobo(7) lists the setting $key"
	fi
done
done_testing
