#!/bin/sh
# A full file system: the append (a small one, and a bulk one) fails with "no space left" and a hint,
# nothing committed is lost, the transaction log files stay few, and once
# space is freed the next command works without a manual step.  Runs as
# root in a private mount namespace, on a small tmpfs.
if [ -z "${CHOBO_DISKFULL_NS:-}" ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
	   ! unshare -m true 2>/dev/null; then
		echo "1..0 # SKIP needs root and unshare -m (a private mount namespace)"
		exit 0
	fi
	CHOBO_DISKFULL_NS=1 exec unshare -m sh "$0" "$@"
fi
. "${top_srcdir:-.}/tests/lib.sh"
# Recovery that fails on purpose leaves one allocation inside libdb (tests/lsan-bdb.supp).
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-bdb.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

# A private copy of an unclean ledger is recovered outside the full file system.
TMPDIR=$T/tmp
mkdir "$TMPDIR"
export TMPDIR
FS=$T/fs
mkdir "$FS"
if ! mount -t tmpfs -o size=24m tmpfs "$FS" 2>/dev/null; then
	echo "1..0 # SKIP cannot mount a tmpfs here"
	exit 0
fi
trap 'umount "$FS" 2>/dev/null; rm -rf "$T"' EXIT
L=$FS/ledger
new_ledger "$L"
notes 100 first >"$T/first"
check "a first batch on the small file system" sh -c "chain-append -q -L '$L' <'$T/first' >/dev/null"
chain-log -L "$L" >"$T/before"

# entries NAME: the report's entry count of chain-verify on the ledger.
entries() {
	chain-verify "$L" 2>/dev/null | python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["entries"] if r["ok"] else "invalid")'
}

avail=$(df -k "$FS" | awk 'NR == 2 { print $4 }')
dd if=/dev/zero of="$FS/filler" bs=1k count=$((avail - 300)) 2>/dev/null
notes 3000 full >"$T/full"
check_exit 74 "an append on a full file system fails (EX_IOERR)" chain-append -q -L "$L" <"$T/full"
check "... saying there is no space left" grep -q "no space left" "$T/last.err"
check "... and what to do" grep -q "free some space there and run the command again" "$T/last.err"
check "... and that nothing was appended" grep -q "nothing was appended" "$T/last.err"
check "... no receipt was printed" test ! -s "$T/last.out"
check "the committed entries are all there, and no part of the batch" test "$(entries)" = 100
check_exit 74 "while it stays full, the next append fails the same way" chain-append -q -L "$L" <"$T/full"
check "... with the hint" grep -q "no space left" "$T/last.err"

rm "$FS/filler"
check "once space is freed, the append works without a manual step" sh -c "chain-append -q -L '$L' <'$T/full' >/dev/null"
check "... every entry is there" test "$(entries)" = 3100
chain-log -L "$L" | head -n 100 >"$T/after"
check "... and the first 100 are unchanged" cmp -s "$T/before" "$T/after"

# A batch of 4,096 entries or more is a bulk transaction: its new pages go
# to the table files at its commit, not through the log.  With ever more
# free space the batch fails while the log or the tables grow, or at the
# commit while those pages are written, until it fits: every failure is
# clean (nothing of it committed, the ledger verifies), and then it appends.
notes 5000 bulk >"$T/bulk"
free=300 failed= at_commit=0 rc=74
while [ "$rc" -eq 74 ] && [ $free -le 8000 ]; do
	avail=$(df -k "$FS" | awk 'NR == 2 { print $4 }')
	dd if=/dev/zero of="$FS/filler" bs=1k count=$((avail - free)) 2>/dev/null
	chain-append -q -L "$L" <"$T/bulk" >"$T/bulk.out" 2>"$T/bulk.err"
	rc=$?
	rm "$FS/filler"
	if [ $rc -eq 74 ]; then
		grep -q "commit: No space left" "$T/bulk.err" && at_commit=$((at_commit + 1))
		grep -q "nothing was appended" "$T/bulk.err" && [ ! -s "$T/bulk.out" ] &&
			[ "$(entries)" = 3100 ] || failed="$failed $free"
	fi
	free=$((free + 100))
done
check "a bulk batch of 5000 on a full file system fails with 74, cleanly, until it fits (bad at KiB free:${failed:- none})" \
	test -z "$failed" -a "$rc" -eq 0 -a $free -gt 400
check "... some of those failures were at the commit, writing the bulk pages ($at_commit)" test $at_commit -gt 0
check "... once it fits, the batch appends with its 5000 receipts" test "$(wc -l <"$T/bulk.out")" = 5000
check "... and every entry is there" test "$(entries)" = 8100

# The transaction log files are removed at each command's checkpoint.
i=0
while [ $i -lt 10 ]; do
	notes 2000 "round $i" | chain-append -q -L "$L" >/dev/null || break
	i=$((i + 1))
done
check "10 more batches append" test $i -eq 10
n=$(ls "$L/db" | grep -c '^log\.')
check "the old transaction log files were removed ($n left)" test "$n" -le 2
check "... and the ledger verifies" test "$(entries)" = 28100
done_testing
