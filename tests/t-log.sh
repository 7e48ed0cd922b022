#!/bin/sh
# chain-log: exact bytes, filters, and output larger than one locked chunk.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
sum=$(printf x | sha256sum | cut -c1-64)
notes 3 morning | CHOBO_NOW=2026-11-01T08:00:00Z chain-append -q -L "$L" >/dev/null
echo "{\"type\":\"doc.attest\",\"body\":{\"sha256\":\"$sum\",\"issuer\":\"c\",\"issued\":\"2026-11-01T00:00:00Z\",\"kind\":\"k\"}}" |
	CHOBO_NOW=2026-11-02T08:00:00Z chain-append -q -L "$L" >/dev/null
notes 2 evening | CHOBO_NOW=2026-11-03T20:00:00Z chain-append -q -L "$L" >"$T/receipts"

chain-log -L "$L" >"$T/all"
check "all six entries, in index order" python3 -c "
import json
idx = [json.loads(l)['index'] for l in open('$T/all')]
assert idx == list(range(6)), idx
"
check "bytes are exactly those hashed" python3 -c "
import hashlib, json
lines = open('$T/all', 'rb').read().split(b'\n')[:-1]
for r in map(json.loads, open('$T/receipts')):
    assert hashlib.sha256(b'\0' + lines[r['leaf_index']]).hexdigest() == r['leaf_hash']
"
count() { wc -l <"$T/.out" | tr -d ' '; }
check "--type doc.attest" sh -c "chain-log -L '$L' --type doc.attest | grep -c . | grep -qx 1"
check "--type with a trailing dot matches a family" sh -c "chain-log -L '$L' --type doc. | grep -c . | grep -qx 1"
check "--type note" sh -c "chain-log -L '$L' --type note | grep -c . | grep -qx 5"
check "--from 2 --to 3 (inclusive)" sh -c "chain-log -L '$L' --from 2 --to 3 | grep -o '\"index\":[0-9]*' | tr '\n' ' ' | grep -qx '\"index\":2 \"index\":3 '"
check "--since (inclusive)" sh -c "chain-log -L '$L' --since 2026-11-02T08:00:00Z | grep -c . | grep -qx 3"
check "--until (exclusive)" sh -c "chain-log -L '$L' --until 2026-11-02T08:00:00Z | grep -c . | grep -qx 3"
check "--since with a time-zone offset" sh -c "chain-log -L '$L' --since 2026-11-03T00:00:00+09:00 | grep -c . | grep -qx 2"
check "--log names the node's log" sh -c "chain-log -L '$L' --log test.example/node-1 | grep -c . | grep -qx 6"
check_exit 66 "an unknown --log is an error" chain-log -L "$L" --log nosuch.example/x
check_exit 64 "a malformed time is a usage error" chain-log -L "$L" --since yesterday
check_exit 64 "a malformed index is a usage error" chain-log -L "$L" --from -1

# More than one 4 MiB chunk: the lock is released and taken again between chunks.
python3 -c "
for i in range(20000):
    print('{\"type\":\"note\",\"body\":{\"text\":\"%05d %s\"}}' % (i, 'x' * 250))
" | chain-append -q -L "$L" >/dev/null
check "output across several locked chunks is complete and ordered" python3 -c "
import json, subprocess
out = subprocess.run(['chain-log', '-L', '$L'], capture_output=True, check=True).stdout
idx = [json.loads(l)['index'] for l in out.split(b'\n')[:-1]]
assert idx == list(range(20006)), len(idx)
"
check "a reader closing the pipe early does not hang or break the ledger" sh -c "chain-log -L '$L' | head -1 >/dev/null; chain-verify '$L' >/dev/null"

# A reader of a ledger closed cleanly reads its committed files as they are:
# it writes nothing, not even into the transaction log.
before=$(cd "$L/db" && sha256sum $(ls | grep -v '^lock$'))
check "chain-log, chain-proof checkpoint and inclusion read it" sh -c "chain-log -L '$L' >/dev/null &&
	chain-proof -L '$L' checkpoint >/dev/null && chain-proof -L '$L' inclusion --index 5 >/dev/null"
after=$(cd "$L/db" && sha256sum $(ls | grep -v '^lock$'))
check "chain-log and chain-proof change no file of a clean ledger's db/" test "$before" = "$after"
done_testing
