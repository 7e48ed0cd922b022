#!/bin/sh
# chain-verify on a ledger left unclean: a writer killed mid-batch, and a
# copy whose files come from different moments.  The audit reads the
# committed state (recovered in a private copy) and changes nothing.
. "${top_srcdir:-.}/tests/lib.sh"
# Recovery that fails on purpose leaves one allocation inside libdb (tests/lsan-bdb.supp).
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-bdb.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

# files DIR: a digest of every file (name and content) under DIR.
files() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

L=$T/ledger
new_ledger "$L"
notes 50 a | chain-append -q -L "$L" >/dev/null
cp -a "$L" "$T/s1"                       # a clean state, size 50
notes 3000 b >"$T/big"

# A writer killed with SIGKILL while it holds the ledger (db/open is there).
chain-append -q -L "$L" <"$T/big" >/dev/null &
pid=$!
i=0
while [ ! -e "$L/db/open" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 500 ]; do
	sleep 0.01
	i=$((i + 1))
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -e "$L/db/open" ] || : >"$L/db/open"   # finished first: leave it unclean by hand

before=$(files "$L")
TMPDIR=$T/tmp
mkdir "$TMPDIR"
export TMPDIR
check_exit 0 "a ledger left unclean by a killed writer is audited, not refused" chain-verify "$L"
cp "$T/last.out" "$T/report"
check "... the report says ok and unclean" python3 -c "
import json
r = json.load(open('$T/report'))
assert r['ok'] is True and r['unclean'] is True, r
assert r['entries'] in (50, 3050), r
"
check "... the diagnostic says it was audited as last committed" grep -q "audited as last committed" "$T/last.err"
after=$(files "$L")
check "... every file of the ledger is byte-identical afterwards (db/open too)" test "$before" = "$after"
check "... and the private copy is gone" test -z "$(ls -A "$TMPDIR")"

# The committed state's verdict: what a recovery of a copy holds.
cp -a "$L" "$T/recovered"
chain-log -L "$T/recovered" -q | wc -l | tr -d ' ' >"$T/n"
check "the audit counted the entries a recovery finds" python3 -c "
import json
assert json.load(open('$T/report'))['entries'] == int(open('$T/n').read()), open('$T/n').read()
"

# An unprivileged user audits a root-owned copy left unclean: the private
# copy goes to its own TMPDIR, and the copy it may only read is unchanged.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	chmod 755 "$T"
	cp -a "$L" "$T/rootcopy"
	chmod -R a+rX "$T/rootcopy/db" "$T/rootcopy/trust" "$T/rootcopy/chobo.conf"
	chmod 755 "$T/rootcopy"
	mkdir "$T/nobody-tmp"
	chown 65534:65534 "$T/nobody-tmp"
	before=$(files "$T/rootcopy")
	check_exit 0 "an unprivileged user audits a root-owned copy left unclean" \
		env TMPDIR="$T/nobody-tmp" setpriv --reuid=65534 --regid=65534 --clear-groups chain-verify "$T/rootcopy"
	check "... as last committed" grep -q '"unclean":true' "$T/last.out"
	check "... and the copy is byte-identical afterwards" test "$before" = "$(files "$T/rootcopy")"
	check "... and its private copy is gone" test -z "$(ls -A "$T/nobody-tmp")"
else
	ok "# SKIP an unprivileged audit needs root and setpriv"
fi

# Damage in an unclean ledger is still found.
cp -a "$T/s1" "$T/bad"
: >"$T/bad/db/open"
rm "$T/bad/db/entries.db"
check_exit 66 "an unclean copy without a table is incomplete (66), not invalid" chain-verify "$T/bad"

# A copy whose log is older than a database file beside it: files from different moments.
cp -a "$T/s1" "$T/mixed"
notes 2000 c | chain-append -q -L "$T/s1" >/dev/null
cp "$T/s1/db/entries.db" "$T/mixed/db/entries.db"
: >"$T/mixed/db/open"
before=$(files "$T/mixed")
check_exit 66 "a copy whose files come from different moments: 66, not a finding" chain-verify "$T/mixed"
check "... the message says so" grep -q "come from different moments" "$T/last.err"
check "... and no report claims it invalid" test ! -s "$T/last.out"
check "... the copy is unchanged" test "$before" = "$(files "$T/mixed")"
check "... and no private copy is left" test -z "$(ls -A "$TMPDIR")"

# A copy whose log file and other tables are newer than entries.db: recovery
# succeeds, and the tables disagree on the log's size.
cp "$T/s1/db/entries.db" "$T/s1-entries.db"
notes 2000 d | chain-append -q -L "$T/s1" >/dev/null
cp -a "$T/s1" "$T/older-entries"
cp "$T/s1-entries.db" "$T/older-entries/db/entries.db"
: >"$T/older-entries/db/open"
check_exit 66 "an unclean copy whose tables disagree on a log's size: 66, not a finding" chain-verify "$T/older-entries"
check "... the message says its files come from different moments" grep -q "tables disagree.*come from different moments" "$T/last.err"
check "... and no report claims it invalid" test ! -s "$T/last.out"
rm "$T/older-entries/db/open"
check_exit 1 "the same copy closed cleanly is found invalid (the tables were changed)" chain-verify "$T/older-entries"
done_testing
