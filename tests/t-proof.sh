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
