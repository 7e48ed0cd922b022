#!/bin/sh
# Times that can be trusted: chain-verify checks each entry's time against
# the trusted witnesses' cosignatures of the checkpoints that include it
# (no later than a cosignature, within the 300 s tolerance), in a ledger and
# in a bundle.  cosign-at makes the cosignatures at chosen times.
. "${top_srcdir:-.}/tests/lib.sh"

COSIGN=$top_builddir/tests/cosign-at
L=$T/ledger
new_ledger "$L"
T0=2026-01-01T00:00:00Z
notes 3 a >"$T/a"
notes 1 b >"$T/b"
notes 1 c >"$T/c"
CHOBO_NOW=$T0 chain-append -q -L "$L" "$T/a" >/dev/null
check "cosigned at the time of the entries" "$COSIGN" "$L" "$T0"
check_exit 0 "... verifies" chain-verify "$L"
CHOBO_NOW=2026-01-01T00:04:59Z chain-append -q -L "$L" "$T/b" >/dev/null
check "an entry 299 s later than the cosignature of the checkpoint that includes it" "$COSIGN" "$L" "$T0"
check_exit 0 "... is within the tolerance: valid" chain-verify "$L"
cp -a "$L" "$T/within"
CHOBO_NOW=2026-01-01T00:05:01Z chain-append -q -L "$L" "$T/c" >/dev/null
check "an entry 301 s later than the cosignature of the checkpoint that includes it" "$COSIGN" "$L" "$T0"
check_exit 1 "... is beyond it: invalid" chain-verify "$L"
check "... the report names the entry and the witness" python3 -c "
import json
r = json.load(open('$T/last.out'))
p = r['problem']
assert r['ok'] is False and p['where'] == 'time' and p['index'] == 4, r
assert 'test.example/node-1/witness' in p['reason'] and '2026-01-01T00:05:01Z' in p['reason'], p
assert '300 s tolerance' in p['reason'], p
"
check_exit 1 "... and the bundle of it, verified with the node's keys, is invalid too" \
	sh -c "chain-export -L '$L' -o '$T/bundle' && chain-verify --trust '$L/trust/self' '$T/bundle'"
check "... for the same reason" grep -q '"where":"time"' "$T/last.out"
check_exit 0 "a cosignature by a key the auditor does not trust proves nothing either way" \
	chain-verify --trust "$L/keys/node.pub" "$L"
check_exit 0 "the ledger before that entry verifies" chain-verify "$T/within"
done_testing
