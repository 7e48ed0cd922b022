#!/bin/sh
# A short job closes without a checkpoint and leaves db/unsynced (this boot
# and mount): its table files are consistent in the page cache, and readers
# on this machine read them as they are.  After a restart, simulated here by
# the table files as the last checkpoint left them on disk, the log as its
# commits synced it and the mark naming another boot, the next open recovers
# every entry whose receipt was printed, and an audit reads them from a
# recovered private copy.  A copy from another machine is treated alike.
. "${top_srcdir:-.}/tests/lib.sh"
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-bdb.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

files() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }
# other_boot DIR: DIR's db/unsynced as the machine's next boot finds it.
other_boot() {
	sed 's/boot [0-9a-f-]*/boot 00000000-0000-0000-0000-000000000000/' "$1/db/unsynced" >"$1/db/mark" &&
		mv "$1/db/mark" "$1/db/unsynced"
}
# cut DIR: a copy of the ledger as a power cut leaves it: the tables as synced at the last checkpoint.
cut() { cp -a "$L" "$1" && cp "$T/disk/"*.db "$1/db/"; }
no_marks() { test ! -e "$1/db/open" && test ! -e "$1/db/unsynced"; }

L=$T/ledger
new_ledger "$L"
echo '{"type":"note","body":{"text":"zero"}}' | chain-append -q -L "$L" >/dev/null || exit 1
if test ! -e "$L/db/unsynced"; then
	# Without a unique mount id (Linux before 6.8) every close checkpoints.
	echo "1..0 # SKIP the kernel gives no unique mount id: every close checkpoints"
	exit 0
fi
rm -rf "$L"
new_ledger "$L"
check "a new ledger is checkpointed: neither db/open nor db/unsynced" no_marks "$L"
# disk/: the tables as the last checkpoint synced them (what a power cut leaves at worst).
mkdir "$T/disk" && cp "$L"/db/*.db "$T/disk/"
: >"$T/receipts"
i=0 since=0
while [ $i -lt 20 ] || [ $since -lt 10 ]; do
	[ $i -lt 200 ] || break
	echo "{\"type\":\"note\",\"body\":{\"text\":\"one $i\"}}" | chain-append -q -L "$L" >>"$T/receipts" || break
	i=$((i + 1)) since=$((since + 1))
	if no_marks "$L"; then
		cp "$L"/db/*.db "$T/disk/"   # a checkpoint: the log before it may be gone
		since=0
	fi
done
n=$i
check "$n one-entry appends print $n receipts" test "$(wc -l <"$T/receipts")" -eq "$n"
check "... and leave db/unsynced, not db/open" sh -c "test -e '$L/db/unsynced' && test ! -e '$L/db/open'"
check "... naming this boot" grep -q "boot $(cat /proc/sys/kernel/random/boot_id)," "$L/db/unsynced"
check "... the last $since of them since the last checkpoint" test "$since" -ge 10
check_exit 0 "chain-verify reads the ledger as it is" chain-verify "$L"
check "... with every entry, without a recovery" sh -c "grep -q '\"entries\":$n,' '$T/last.out' && ! grep -q 'not closed cleanly' '$T/last.err'"
content=$(snapshot "$L")
check "readers see the $n entries" test "$(chain-log -L "$L" | wc -l)" -eq "$n"

cp -a "$L" "$T/copy"
check_exit 0 "a copy on this file system, taken while no process used the ledger, verifies as it is" chain-verify "$T/copy"
check "... without a recovery" sh -c "! grep -q 'not closed cleanly' '$T/last.err'"

# Another user who may read the tables (not the mark, unless its mode allows) reads them as they are.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	chmod 755 "$T"
	cp -a "$L" "$T/shared"
	chmod 755 "$T/shared" "$T/shared/db"
	chmod a+r "$T/shared"/db/*.db "$T/shared"/db/log.* "$T/shared/chobo.conf"
	chmod -R a+rX "$T/shared/trust"
	mkdir "$T/nobody-tmp" && chown 65534:65534 "$T/nobody-tmp"
	check_exit 0 "a user who may read the tables audits the ledger" \
		env TMPDIR="$T/nobody-tmp" setpriv --reuid=65534 --regid=65534 --clear-groups chain-verify "$T/shared"
	check "... as it is (db/unsynced is readable), without a recovery" sh -c "! grep -q '\"unclean\":true' '$T/last.out'"
else
	ok "# SKIP another user's audit needs root and setpriv"
	ok "# SKIP another user's audit needs root and setpriv"
fi

cut "$T/cut"
other_boot "$T/cut"
before=$(files "$T/cut")
check_exit 0 "after a power cut, an audit reads the ledger as last committed" chain-verify "$T/cut"
check "... with every entry whose receipt was printed" grep -q "\"entries\":$n," "$T/last.out"
check "... from a recovered private copy" grep -q "not closed cleanly" "$T/last.err"
check "... changing nothing" test "$before" = "$(files "$T/cut")"
check "the next open recovers every entry" test "$(snapshot "$T/cut")" = "$content"
check "... and closes with a checkpoint" no_marks "$T/cut"
check "... and it verifies" chain-verify "$T/cut"
echo '{"type":"note","body":{"text":"after"}}' | chain-append -q -L "$T/cut" >"$T/r21"
check "... and takes the next entry at $n" grep -q "\"leaf_index\":$n," "$T/r21"

cut "$T/cut-open"
mv "$T/cut-open/db/unsynced" "$T/cut-open/db/open"
check "a power cut that left the mark as db/open: recovered alike" test "$(snapshot "$T/cut-open")" = "$content"

cut "$T/cut-empty"
: >"$T/cut-empty/db/unsynced"
check "a mark that the power cut left empty: recovered alike" test "$(snapshot "$T/cut-empty")" = "$content"

cp -a "$L" "$T/cut-some"
cp "$T/disk/entries.db" "$T/disk/leaves.db" "$T/disk/logs.db" "$T/cut-some/db/"
other_boot "$T/cut-some"
check "some tables written out before the cut, some not: recovered alike" test "$(snapshot "$T/cut-some")" = "$content"
check "... and it verifies" chain-verify "$T/cut-some"

cp -a "$L" "$T/elsewhere"
other_boot "$T/elsewhere"
check "a copy from another machine (another boot) is recovered too" test "$(snapshot "$T/elsewhere")" = "$content"

check "the ledger itself is unchanged by all this" test "$(snapshot "$L")" = "$content"

notes 12000 batch | chain-append -q -L "$L" >/dev/null
check "a batch of more than 1 MiB closes with a checkpoint" no_marks "$L"
# Every later open reads the whole last log file: the batch's 2 MiB one is
# padded out and the checkpoint begins a small file.
last_log_small() {
	set -- "$1"/db/log.*
	eval "last=\${$#}"
	[ "$(wc -c <"$last")" -le 1048576 ]
}
check "... which begins a small log file" last_log_small "$L"
i=0
while [ $i -lt 5 ]; do
	echo '{"type":"note","body":{"text":"more"}}' | chain-append -q -L "$L" >/dev/null || break
	i=$((i + 1))
done
check "... and the next short jobs leave db/unsynced again" test -e "$L/db/unsynced"
check "... and the ledger verifies" chain-verify "$L"
done_testing
