#!/bin/sh
# chain-proof: every proof checked by an independent RFC 9162 verifier.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
# Batches of 1, 2, 3 and 7 entries: checkpoints at sizes 1, 3, 6 and 13.
for n in 1 2 3 7; do notes $n "batch$n" | chain-append -q -L "$L" >/dev/null; done
chain-log -L "$L" >"$T/log"

i=0
: >"$T/incl"
while [ $i -lt 13 ]; do chain-proof -L "$L" inclusion --index $i >>"$T/incl" || break; i=$((i + 1)); done
check "inclusion proofs for all 13 entries verify independently" sh -c "python3 '$top_srcdir/tests/verify_proof.py' inclusion '$T/log' <'$T/incl' | grep -qx 13"
: >"$T/incl-old"
for i in 0 1 2; do chain-proof -L "$L" inclusion --index $i --size 3 >>"$T/incl-old"; done
check "inclusion proofs against an older checkpoint (--size 3) verify" sh -c "python3 '$top_srcdir/tests/verify_proof.py' inclusion '$T/log' <'$T/incl-old' | grep -qx 3"
leaf=$(sed -n 5p "$T/incl" | python3 -c "import json,sys; print(json.load(sys.stdin)['leaf_hash'])")
check "--leaf with a full leaf hash finds the entry" sh -c "chain-proof -L '$L' inclusion --leaf $leaf | grep -q '\"leaf_index\":4,'"
short=$(echo "$leaf" | cut -c1-12)
check "--leaf with an unambiguous prefix finds the entry" sh -c "chain-proof -L '$L' inclusion --leaf $short | grep -q '\"leaf_index\":4,'"
check_exit 66 "--leaf with an unknown hash" chain-proof -L "$L" inclusion --leaf 0000000000000000
check_exit 64 "--leaf shorter than 4 digits" chain-proof -L "$L" inclusion --leaf abc
check_exit 66 "an index beyond the tree" chain-proof -L "$L" inclusion --index 13
check_exit 66 "a size with no stored checkpoint" chain-proof -L "$L" inclusion --index 0 --size 4

# Receipts: the inclusion proof with the log's origin and the entry's stored bytes.
: >"$T/rcpt"
i=0
while [ $i -lt 13 ]; do chain-proof -L "$L" receipt --index $i >>"$T/rcpt" || break; i=$((i + 1)); done
check "receipts for all 13 entries verify independently, entries byte for byte" sh -c "python3 '$top_srcdir/tests/verify_proof.py' receipt '$T/log' <'$T/rcpt' | grep -qx 13"
check "a receipt is the inclusion proof with log first and entry last" python3 -c "
import json
r = [json.loads(l) for l in open('$T/rcpt')]
p = [json.loads(l) for l in open('$T/incl')]
for a, b in zip(r, p):
    assert list(a) == ['log'] + list(b) + ['entry'], list(a)
    assert a['log'] == 'test.example/node-1'
    assert all(a[k] == b[k] for k in b)
"
chain-log -L "$L" --from 4 --to 4 | tr -d '\n' >"$T/entry4"
check "the receipt's entry is what chain-log prints, byte for byte" python3 -c "
import json
r = json.loads(open('$T/rcpt').readlines()[4])
assert r['entry'].encode('utf-8') == open('$T/entry4', 'rb').read()
"
chain-proof -L "$L" receipt --leaf "$short" >"$T/rcpt-leaf"
check "receipt --leaf gives the receipt of --index" sh -c "sed -n 5p '$T/rcpt' | cmp -s - '$T/rcpt-leaf'"
chain-proof -L "$L" receipt --index 2 --size 3 >"$T/rcpt-old"
check "a receipt against an older checkpoint (--size 3) verifies" sh -c "python3 '$top_srcdir/tests/verify_proof.py' receipt '$T/log' <'$T/rcpt-old' | grep -qx 1"
sed 's/batch7 3/batch7 4/' "$T/rcpt" >"$T/rcpt-bad"
check "a receipt whose entry was changed fails the verifier" sh -c "! python3 '$top_srcdir/tests/verify_proof.py' receipt '$T/log' <'$T/rcpt-bad' 2>/dev/null"
check_exit 66 "a receipt for an index beyond the tree" chain-proof -L "$L" receipt --index 13
check_exit 66 "a receipt for an unknown leaf hash" chain-proof -L "$L" receipt --leaf 0000000000000000
check_exit 66 "a receipt in a log the ledger does not hold" chain-proof -L "$L" receipt --log test.example/none --index 0
check_exit 64 "a receipt needs --index or --leaf" chain-proof -L "$L" receipt
L2=$T/ledger2
new_ledger "$L2" test.example/node-2
printf '%s\n' '{"type":"note","body":{"text":"\u00e9t\u00e9 \\ \"q\" / 避難所 ✓"}}' | chain-append -q -L "$L2" >/dev/null
chain-log -L "$L2" >"$T/log2"
chain-proof -L "$L2" receipt --index 0 >"$T/rcpt2"
check "a receipt keeps an entry's escapes and UTF-8 exactly" sh -c "python3 '$top_srcdir/tests/verify_proof.py' receipt '$T/log2' <'$T/rcpt2' | grep -qx 1"

: >"$T/cons"
for old in 1 2 3 4 5 6 7 8 9 10 11 12 13; do chain-proof -L "$L" consistency $old >>"$T/cons"; done
for old in 1 2 3; do chain-proof -L "$L" consistency $old 6 >>"$T/cons"; done
check "consistency proofs from every size verify independently" sh -c "python3 '$top_srcdir/tests/verify_proof.py' consistency '$T/log' <'$T/cons' | grep -qx 16"
check_exit 64 "consistency from size 0 is refused" chain-proof -L "$L" consistency 0
check_exit 64 "consistency with OLD > NEW is refused" chain-proof -L "$L" consistency 7 6

chain-proof -L "$L" checkpoint >"$T/cp.json"
chain-proof -L "$L" checkpoint --raw >"$T/cp.raw"
check "checkpoint: JSON and --raw carry the same signed note" python3 -c "
import json
j = json.load(open('$T/cp.json'))
assert j['checkpoint'] == open('$T/cp.raw').read()
assert j['tree_size'] == 13 and j['log'] == 'test.example/node-1'
"
check "the raw checkpoint is a C2SP note: origin, size, root, blank line, signature" python3 -c "
import base64
lines = open('$T/cp.raw', 'rb').read().split(b'\n')
assert lines[0] == b'test.example/node-1' and lines[1] == b'13'
assert len(base64.b64decode(lines[2], validate=True)) == 32
assert lines[3] == b'' and lines[4].startswith('\u2014 test.example/node-1 '.encode())
assert lines[5:] == [b'']
"
check "a stored older checkpoint by --size" sh -c "chain-proof -L '$L' checkpoint --size 6 --raw | sed -n 2p | grep -qx 6"
check_exit 64 "an unknown verb" chain-proof -L "$L" frobnicate
done_testing
