#!/bin/sh
# chain-verify: reports, trust, --against, rollback and fork, read-only audits.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
notes 3 a | chain-append -q -L "$L" >/dev/null
cp -a "$L" "$T/fork"                     # same keys, same first three entries
cp -a "$L" "$T/old3"                     # the ledger as it was at size 3
chain-proof -L "$L" checkpoint --raw >"$T/cp3"
notes 4 b | chain-append -q -L "$L" >/dev/null
chain-proof -L "$L" checkpoint --raw >"$T/cp7"
notes 4 other | chain-append -q -L "$T/fork" >/dev/null
chain-proof -L "$T/fork" checkpoint --raw >"$T/fork7"

check "a valid ledger: exit 0 and a JSON report" sh -c "chain-verify '$L' >'$T/report'"
check "the report counts logs, entries and checkpoints" python3 -c "
import json
r = json.load(open('$T/report'))
assert r['ok'] is True and r['logs'] == 1 and r['entries'] == 7 and r['checkpoints'] == 3, r
assert 'problem' not in r
"
check "--against an older checkpoint the auditor kept" chain-verify --against "$T/cp3" "$L"
check "--against the current checkpoint" chain-verify --against "$T/cp7" "$L"
check_exit 1 "--against a checkpoint of a forked history: invalid" chain-verify --against "$T/fork7" "$L"
check "... and the report says why" grep -q '"ok":false.*not consistent with the checkpoint' "$T/last.out"
check_exit 1 "a ledger rolled back behind a kept checkpoint: invalid" chain-verify --against "$T/cp7" "$T/old3"
check "... and the report says the ledger does not reach it" grep -q 'does not reach the checkpoint' "$T/last.out"
check_exit 1 "the fork's ledger against our kept checkpoint of size 7: invalid" chain-verify --against "$T/cp7" "$T/fork"
: >"$T/empty.cp"
check_exit 65 "--against an empty file (a failed chain-proof checkpoint --raw >FILE)" chain-verify --against "$T/empty.cp" "$L"
check "... named as empty" grep -q "the file is empty, not a signed checkpoint" "$T/last.err"

echo "$(cat "$L/keys/witness.pub")" >"$T/witness-only"
check_exit 1 "trusting only the witness key: no trusted log signature, invalid" chain-verify --trust "$T/witness-only" "$L"
new_ledger "$T/stranger"
check_exit 1 "trusting another node's key (same origin name): invalid" chain-verify --trust "$T/stranger/keys/node.pub" "$L"
check "--trust with the right key file" chain-verify --trust "$L/keys/node.pub" "$L"
check_exit 66 "--trust with a missing file is an error, not a verdict" chain-verify --trust "$T/none" "$L"
printf 'garbage\n' >"$T/garbage"
check_exit 78 "--trust with a malformed key is a configuration error" chain-verify --trust "$T/garbage" "$L"
check_exit 66 "a missing ledger is an error, not a verdict" chain-verify "$T/nowhere"

for i in $(seq 70); do cat "$T/stranger/keys/node.pub"; done >"$T/many"
cat "$L/keys/node.pub" >>"$T/many"
check "a trust file with more than 64 keys" chain-verify --trust "$T/many" "$L"
check "-L names the ledger like the other programs" chain-verify -L "$L"

cp -a "$L" "$T/damaged"
dd if=/dev/zero of="$T/damaged/db/entries.db" bs=512 count=8 conv=notrunc 2>/dev/null
check_exit 1 "a database file that cannot be opened is reported as invalid" chain-verify "$T/damaged"
check "... with a JSON report that names the damage" grep -q '"ok":false.*damaged database' "$T/last.out"

cp -a "$L" "$T/truncated"
: >"$T/truncated/db/checkpoints.db"
check_exit 1 "a truncated database file is a finding" chain-verify "$T/truncated"
check "... named in the report" grep -q '"ok":false.*checkpoints.db' "$T/last.out"

# A bad page in a table read after the logs (fork evidence, with --index the
# indexes, with --views the views) is damage too: status 1 and a report,
# never status 74 as if the audit could not be done.
flip_last_page() {
	python3 -c "
import sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
d[len(d) - 100] ^= 0x5a
open(p, 'wb').write(d)
" "$1"
}
for table in forks views keys; do
	cp -a "$L" "$T/bad-$table"
	flip_last_page "$T/bad-$table/db/$table.db"
done
# Berkeley DB panics on such a page, and a panicked environment's close frees
# not its regions (tests/lsan-bdb.supp, for these three audits only).
bdb_leaks="suppressions=$top_srcdir/tests/lsan-bdb.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
check_exit 1 "a bad page in forks.db is reported as invalid" env LSAN_OPTIONS="$bdb_leaks" chain-verify "$T/bad-forks"
check "... with a JSON report that names the damage" grep -q '"ok":false.*damaged database.*forks.db' "$T/last.out"
check "... and no complaint about closing the store" sh -c "! grep -q 'closing the store' '$T/last.err'"
check_exit 1 "a bad page in views.db, with --views: invalid" env LSAN_OPTIONS="$bdb_leaks" chain-verify --views "$T/bad-views"
check "... with a JSON report that names the damage" grep -q '"ok":false.*damaged database.*views.db' "$T/last.out"
check_exit 1 "a bad page in keys.db, with --index: invalid" env LSAN_OPTIONS="$bdb_leaks" chain-verify --index "$T/bad-keys"
check "... with a JSON report that names the damage" grep -q '"ok":false.*damaged database.*keys.db' "$T/last.out"
cp -a "$L" "$T/bad-entries"
python3 -c "
import sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
d[len(d) // 2] ^= 0x5a
open(p, 'wb').write(d)
" "$T/bad-entries/db/entries.db"
check_exit 1 "a bad page inside entries.db, read during the audit: invalid" env LSAN_OPTIONS="$bdb_leaks" chain-verify "$T/bad-entries"
check "... named a damaged database too, not a storage error" grep -q '"ok":false.*"reason":"damaged database: .*entries.db' "$T/last.out"

# Could not audit: an error with its code and the file's name, never a verdict.
# no_verdict CODE FILE DESCRIPTION COMMAND...: exit CODE, FILE named on stderr, no report.
no_verdict() {
	nv_code=$1 nv_file=$2 nv_desc=$3
	shift 3
	check_exit "$nv_code" "$nv_desc" "$@"
	check "... naming $nv_file" grep -qF "$nv_file" "$T/last.err"
	check "... without a report" test ! -s "$T/last.out"
}
cp -a "$L" "$T/incomplete"
rm "$T/incomplete/db/hashes.db"
no_verdict 66 "$T/incomplete/db/hashes.db" "a copy missing a table is an error (EX_NOINPUT)" \
	chain-verify "$T/incomplete"
mkdir "$T/nonutf8" && cp -a "$L" "$T/nonutf8/$(printf 'l\377')"
no_verdict 64 "not UTF-8" "a path that is not UTF-8 is an error (EX_USAGE)" \
	chain-verify "$T/nonutf8/$(printf 'l\377')"
( flock 9; sleep 30 ) 9<"$L/db/lock" &
holder=$!
sleep 1
no_verdict 75 "$L" "a busy ledger is an error (EX_TEMPFAIL)" env CHOBO_LOCK_WAIT=0 chain-verify "$L"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# An unprivileged user auditing a copy it may not read.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	chmod 755 "$T"
	cp -a "$L" "$T/private-copy"
	chmod -R a+rX "$T/private-copy/db" "$T/private-copy/trust" "$T/private-copy/chobo.conf"
	chmod 755 "$T/private-copy"
	check "an unprivileged user audits a readable root-owned copy" as_nobody chain-verify "$T/private-copy"
	chmod 600 "$T/private-copy/db/entries.db"
	no_verdict 77 "$T/private-copy/db/entries.db" "a database file it may not read is an error (EX_NOPERM)" \
		as_nobody chain-verify "$T/private-copy"
	chmod 644 "$T/private-copy/db/entries.db"
	chmod 700 "$T/private-copy/db"
	no_verdict 77 "$T/private-copy/db" "a db/ it may not read is an error (EX_NOPERM)" \
		as_nobody chain-verify "$T/private-copy"
	chmod 755 "$T/private-copy/db"
	chmod 600 "$T/private-copy/chobo.conf"
	no_verdict 66 "$T/private-copy/chobo.conf" "a chobo.conf it may not read is an error" \
		as_nobody chain-verify "$T/private-copy"
	chmod 644 "$T/private-copy/chobo.conf"
else
	ok "# SKIP an unprivileged audit needs root and setpriv"
fi

check "--index checks the leaf-hash index too" chain-verify --index "$L"
cp -a "$L" "$T/badindex"
db5.3_dump "$L/db/leaves.db" | awk '/^HEADER=END/ { data = 1; print; next }
	data && /^ / && ++n == 2 { sub(/.$/, substr($0, length($0)) == "0" ? "1" : "0") } { print }' >"$T/leaves.dump"
rm "$T/badindex/db/leaves.db"
db5.3_load -f "$T/leaves.dump" "$T/badindex/db/leaves.db"
check_exit 1 "a rewritten leaf-hash index is caught by --index" chain-verify --index "$T/badindex"
check "... which names it" grep -q '"where":"index"' "$T/last.out"

cp -a "$L" "$T/copy"
before=$(cd "$T/copy" && find . -type f | sort | xargs sha256sum)
check "a copy verifies" chain-verify "$T/copy"
after=$(cd "$T/copy" && find . -type f | sort | xargs sha256sum)
check "verifying changes no file of the copy" test "$before" = "$after"
chmod -R a-w "$T/copy"
check "a read-only copy verifies" chain-verify "$T/copy"
chmod -R u+w "$T/copy"

: >"$L/db/open"
check_exit 0 "a ledger left unclean is audited as last committed (t-unclean)" chain-verify "$L"
check "... and the message says so" grep -q "not closed cleanly" "$T/last.err"
check "any other command recovers it" chain-log -L "$L" -q
check "after recovery it verifies, clean" sh -c "chain-verify '$L' | grep -v unclean"
check "-q silences the diagnostic but not the report" sh -c "chain-verify -q --trust '$T/witness-only' '$L' 2>'$T/q.err' | grep -q '\"ok\":false'; test ! -s '$T/q.err'"

# An audit in slices: the lock is released every 1024 entries (CHOBO_AUDIT_SLICE_MS=0)
# while appends go on; the audit covers the log as it was when it began.
S=$T/sliced
new_ledger "$S"
notes 5000 s | chain-append -q -L "$S" >/dev/null
CHOBO_AUDIT_SLICE_MS=0 chain-verify "$S" >"$T/sliced.json" 2>"$T/sliced.err" &
audit=$!
for i in 1 2 3 4 5 6 7 8 9 10; do notes 1 "during $i" | chain-append -q -L "$S" >/dev/null || break; done
wait "$audit"
check "an audit released and took the lock again between slices while appends went on: valid" \
	python3 -c "
import json
r = json.load(open('$T/sliced.json'))
assert r['ok'] is True and 5000 <= r['entries'] <= 5010, r
"
check "... and afterwards the whole log verifies, in slices" sh -c "CHOBO_AUDIT_SLICE_MS=0 chain-verify '$S' | grep -q '\"entries\":5010,'"
check "... and in one piece" sh -c "chain-verify --index '$S' | grep -q '\"entries\":5010,'"
done_testing
