#!/bin/sh
# Documented bounds (chobo(7) LIMITS), each refused with a clear message and nothing changed.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
notes 3 base | chain-append -q -L "$L" >/dev/null
before=$(snapshot "$L")

# Entries: one line may hold at most 64 KiB.
python3 -c "print('{\"type\":\"note\",\"body\":{\"text\":\"' + 'x' * 65600 + '\"}}')" >"$T/long"
check_exit 65 "a line over 64 KiB is refused" chain-append -L "$L" "$T/long"
check "... with the bound in the message" grep -q "longer than 65536 bytes" "$T/last.err"

# Batches: at most 1,000,000 entries.
awk 'BEGIN { for (i = 0; i <= 1000000; i++) print "{\"type\":\"note\",\"body\":{\"text\":\"x\"}}" }' >"$T/big"
check_exit 65 "a batch of 1,000,001 entries is refused" chain-append -L "$L" "$T/big"
check "... naming the line and the bound" grep -q ":1000001: batch larger than 1000000 entries" "$T/last.err"
rm -f "$T/big"
check "... and nothing was appended" test "$(snapshot "$L")" = "$before"

# The byte bounds (512 MiB of bodies per batch, 8 GiB per bundle) are too large
# to feed a test, so they are lowered here the way a site may lower them.
notes 50 bytes >"$T/fifty"
check_exit 65 "a batch over its byte bound is refused" env CHOBO_LIMIT_BATCH_BYTES=300 chain-append -L "$L" "$T/fifty"
check "... naming the line and the bound" grep -q ":[0-9]*: batch larger than 1000000 entries or 300 bytes" "$T/last.err"
check "... and nothing was appended" test "$(snapshot "$L")" = "$before"
check "a bound cannot be raised" sh -c "CHOBO_LIMIT_BATCH_ENTRIES=2000000 chain-append -q -L '$T/none' /dev/null 2>&1 | grep -q 'may only be lowered'; true"

# JSON nesting: at most 32 levels.
python3 -c "print('{\"type\":\"note\",\"body\":{\"text\":\"x\",\"deep\":' + '[' * 40 + ']' * 40 + '}}')" >"$T/deep"
check_exit 65 "nesting deeper than 32 levels is refused" chain-append -L "$L" "$T/deep"
check "... as too deep" grep -q "nested too deeply" "$T/last.err"

# Bundles: a record may hold at most 1 MiB, a checkpoint note at most 64 KiB.
new_ledger "$T/peer" test.example/peer
cat "$T/peer/keys/node.pub" >>"$L/trust/peer"
python3 - "$T/peer" "$T" <<'END'
import hashlib, struct, sys, zlib
peer, tmp = sys.argv[1], sys.argv[2]
def bundle(records):
    body = b''.join(bytes([t]) + struct.pack('>I', len(p)) + p for t, p in records)
    end = struct.pack('>Q', len(records)) + hashlib.sha256(body).digest()
    body += b'Z' + struct.pack('>I', len(end)) + end
    return b'chobo-bundle/1\n' + zlib.compress(body)
origin = b'test.example/peer'
empty = struct.pack('>Q', 0)
open(tmp + '/huge-record.bundle', 'wb').write(bundle([(ord('L'), origin), (ord('S'), empty), (ord('E'), b'x' * (1 << 20 + 1))]))
note = b'test.example/peer\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n' + b'x' * 70000 + b'\n\n'
open(tmp + '/huge-note.bundle', 'wb').write(bundle([(ord('L'), origin), (ord('S'), empty), (ord('C'), empty + note)]))
END
check_exit 65 "a bundle record over 1 MiB is refused" chain-import -L "$L" "$T/huge-record.bundle"
check "... as too large" grep -q "larger than 1 MiB" "$T/last.err"
check_exit 65 "a checkpoint note over 64 KiB is refused" chain-import -L "$L" "$T/huge-note.bundle"
check "... as too large" grep -q "note too large" "$T/last.err"
check "... and nothing was imported" test "$(snapshot "$L")" = "$before"

chain-export -L "$T/peer" -o "$T/peer.bundle"
check_exit 65 "a bundle over its byte bound is refused" env CHOBO_LIMIT_BUNDLE_BYTES=100 chain-import -L "$L" "$T/peer.bundle"
check "... as too large" grep -q "larger than the limit" "$T/last.err"
check_exit 65 "... also when it comes on standard input" sh -c "CHOBO_LIMIT_BUNDLE_BYTES=100 chain-import -L '$L' <'$T/peer.bundle'"
check "... and nothing was imported" test "$(snapshot "$L")" = "$before"
check "the same bundle within the bound is imported" chain-import -q -L "$L" "$T/peer.bundle"

# Proofs: at most 64 hashes, whatever the tree; a tree of 2^k+1 leaves needs k+1.
check "an inclusion proof never exceeds the bound" sh -c "chain-proof -L '$L' inclusion --index 0 | python3 -c 'import json,sys; assert len(json.load(sys.stdin)[\"hashes\"]) <= 64'"
done_testing
