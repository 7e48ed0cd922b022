#!/bin/sh
# cert-attest and cert-revoke: documents attested in one batch, their signed
# QR payloads (decoded with payload_decode, drawn by qr-render and read back
# by zbarimg), the attestation found by chain-view and proven by a receipt;
# revocations by the issuing node only, once, with a known reason, in
# core.revocations on this node and, after an export and import, on another.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to read the JSON output"
	exit 0
fi

A=$T/A
B=$T/B
OA=test.example/node-a
OB=test.example/node-b
new_ledger "$A" "$OA"
new_ledger "$B" "$OB"
cat "$B/keys/node.pub" >>"$A/trust/peers"
cat "$A/keys/node.pub" >>"$B/trust/peers"
CHOBO_NOW=2026-03-01T09:00:00+09:00
export CHOBO_NOW

PEEK=$top_builddir/tests/payload-peek

# field FILE LINE NAME: member NAME of the JSON object on line LINE of FILE.
field() {
	python3 -c "import json, sys; print(json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2]) - 1])[sys.argv[3]])" "$@"
}

# verified DIR: the ledger, its entry indexes and its views check out.
verified() {
	check_exit 0 "$1: chain-verify --views --index passes" chain-verify --views --index "$2"
}

printf 'り災証明書 2026-0412\n' >"$T/risai.txt"
printf '%%PDF-1.4 not really\n' >"$T/permit.pdf"
SHA1=$(sha256sum <"$T/risai.txt" | cut -c1-64)
SHA2=$(sha256sum <"$T/permit.pdf" | cut -c1-64)

# --- attestation ------------------------------------------------------------
check_exit 0 "cert-attest of two files" \
	cert-attest -L "$A" --kind risai-shomei --expires 2031-11-30T12:00:00+09:00 "$T/risai.txt" "$T/permit.pdf"
cp "$T/last.out" "$T/att"
check "one line per file, with its SHA-256 and leaf index, in one batch" python3 -c "
import json, sys
a = [json.loads(l) for l in open('$T/att')]
assert [x['file'] for x in a] == ['$T/risai.txt', '$T/permit.pdf'], a
assert [x['sha256'] for x in a] == ['$SHA1', '$SHA2'], a
assert [x['leaf_index'] for x in a] == [0, 1], a
assert sorted(a[0]) == ['file', 'leaf_hash', 'leaf_index', 'payload', 'sha256'], a[0]
"
LEAF1=$(field "$T/att" 1 leaf_hash)
LEAF2=$(field "$T/att" 2 leaf_hash)
P1=$(field "$T/att" 1 payload)
P2=$(field "$T/att" 2 payload)
chain-log -L "$A" >"$T/log-a"
check "the entries are doc.attest bodies: sha256, the node as issuer, issued now, kind, expires" python3 -c "
import json
e = [json.loads(l) for l in open('$T/log-a')]
assert [x['type'] for x in e] == ['doc.attest'] * 2
assert e[0]['body'] == {'sha256': '$SHA1', 'issuer': '$OA', 'issued': '2026-03-01T00:00:00Z',
                        'kind': 'risai-shomei', 'expires': '2031-11-30T12:00:00+09:00'}, e[0]
assert e[1]['body']['sha256'] == '$SHA2'
"
check "the leaf hashes are the entries'" sh -c "chain-proof -L '$A' inclusion --index 1 | grep -q '\"leaf_hash\":\"$LEAF2\"'"

# payload_decode, with the issuer's key trusted (A's trust/self) and not (B's).
check "the first payload decodes and verifies: issuer, kind, index, validity, sha256" sh -c "
	'$PEEK' '$A/trust/self' '$P1' >'$T/p1' && python3 -c \"
import json
p = json.load(open('$T/p1'))
assert p['problem'] == 0 and p['issuer'] == '$OA' and p['kind'] == 'doc.attest' and p['index'] == 0, p
assert p['not_before'] is None and p['not_after'] == 1953730799, p    # 2031-11-29T14:59:59Z: the last JST day that ends by the expiry, 03:00Z on the 30th
assert p['fields'] == {'sha256': '$SHA1'}, p
\""
check "the second payload names entry 1 and the second file" sh -c "
	'$PEEK' '$A/trust/self' '$P2' | grep -q '\"index\":1,.*\"fields\":{\"sha256\":\"$SHA2\"}'"
check_exit 1 "a payload is refused by a verifier that does not trust the issuer" "$PEEK" "$B/trust/self" "$P1"
check "... as an unknown issuer" grep -q '"problem":2' "$T/last.out"
check "the payloads fit a QR code of version 12 at level Q, in alphanumeric mode" python3 -c "
import re
for p in ['$P1', '$P2']:
    assert len(p) <= 296, len(p)
    assert re.fullmatch(r'CHB1:[0-9A-Z \$%*+./:-]+', p), p
"
if command -v zbarimg >/dev/null 2>&1; then
	# fontconfig keeps its caches to the end (see t-render.sh)
	LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-fonts.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export LSAN_OPTIONS
	check "qr-render --format png draws the payload and zbarimg reads it back" sh -c "
		qr-render --format png -o '$T/p1.png' '$P1' >/dev/null &&
		test \"\$(zbarimg --nodbus --raw -q '$T/p1.png')\" = '$P1'"
else
	skip "qr-render --format png draws the payload and zbarimg reads it back" "no zbarimg"
fi

check_exit 0 "chain-view core.attestations SHA finds the attestation" chain-view -L "$A" core.attestations "$SHA1"
check "... with its log, index, leaf hash, issuer, kind and times" test "$(cat "$T/last.out")" = \
	"[{\"log\":\"$OA\",\"index\":0,\"leaf_hash\":\"$LEAF1\",\"issuer\":\"$OA\",\"kind\":\"risai-shomei\",\"issued\":\"2026-03-01T00:00:00Z\",\"expires\":\"2031-11-30T03:00:00Z\"}]"
chain-proof -L "$A" receipt --leaf "$LEAF1" >"$T/rcpt1"
check "the attestation's receipt verifies independently" \
	sh -c "python3 '$top_srcdir/tests/verify_proof.py' receipt '$T/log-a' <'$T/rcpt1' | grep -qx 1"

check_exit 0 "--issuer names the issuer in the entry" cert-attest -L "$A" --kind permit --issuer "Hachioji City" "$T/permit.pdf"
cp "$T/last.out" "$T/att3"
check "... the body's issuer, while the payload's is still the node" sh -c "
	chain-log -L '$A' --from 2 --to 2 | grep -q '\"issuer\":\"Hachioji City\"' &&
	'$PEEK' '$A/trust/self' '$(field "$T/att3" 1 payload)' | grep -q '\"issuer\":\"$OA\"'"
check "a document attested twice has both attestations in the view" sh -c "
	chain-view -L '$A' core.attestations '$SHA2' | python3 -c 'import json, sys; assert [a[\"index\"] for a in json.load(sys.stdin)] == [1, 2]'"
LEAF3=$(field "$T/att3" 1 leaf_hash)
verified "after the attestations" "$A"

before=$(snapshot "$A")
check_exit 66 "a file that does not exist is refused" cert-attest -L "$A" --kind x "$T/risai.txt" "$T/none"
check "... naming it, and nothing was appended" sh -c "grep -q 'none: No such file' '$T/last.err' && test '$(snapshot "$A")' = '$before'"
check_exit 66 "a directory is refused" cert-attest -L "$A" --kind x "$T"
if [ "$(id -u)" -ne 0 ]; then
	cp "$T/permit.pdf" "$T/secret.pdf"
	chmod 000 "$T/secret.pdf"
	check_exit 66 "a file without read permission is refused" cert-attest -L "$A" --kind x "$T/permit.pdf" "$T/secret.pdf"
else
	skip "a file without read permission is refused" "root reads every file"
fi
check_exit 64 "--kind is required" cert-attest -L "$A" "$T/risai.txt"
check_exit 64 "a malformed --expires is refused" cert-attest -L "$A" --kind x --expires tomorrow "$T/risai.txt"
check_exit 64 "a --kind that is not UTF-8 is refused" cert-attest -L "$A" --kind "$(printf 'k\377')" "$T/risai.txt"
check "nothing was appended by the refused attestations" test "$(snapshot "$A")" = "$before"

# --- revocation -------------------------------------------------------------
check_exit 0 "cert-revoke of the first attestation" cert-revoke -L "$A" --reason superseded "$LEAF1"
cp "$T/last.out" "$T/rev"
REV1=$(field "$T/rev" 1 leaf_hash)
check "... prints its receipt: index, leaf hash, ref, reason, time" python3 -c "
import json
r = json.loads(open('$T/rev').read())
assert list(r) == ['leaf_index', 'leaf_hash', 'ref', 'reason', 'time'], r
assert r['leaf_index'] == 3 and r['ref'] == '$LEAF1' and r['reason'] == 'superseded', r
assert r['time'] == '2026-03-01T00:00:00Z', r
"
check "... and appends a revoke entry" sh -c "
	chain-log -L '$A' --from 3 --to 3 | grep -q '\"type\":\"revoke\",\"body\":{\"ref\":\"$LEAF1\",\"reason\":\"superseded\"}'"
check_exit 0 "chain-view core.revocations finds the revocation" chain-view -L "$A" core.revocations "$LEAF1"
cp "$T/last.out" "$T/revview-a"
check "... its log, index, leaf hash, time and reason" test "$(cat "$T/revview-a")" = \
	"[{\"log\":\"$OA\",\"index\":3,\"leaf_hash\":\"$REV1\",\"time\":\"2026-03-01T00:00:00Z\",\"reason\":\"superseded\"}]"
check_exit 66 "an entry that is not revoked has no revocations" chain-view -L "$A" core.revocations "$LEAF2"
verified "after a revocation" "$A"

before=$(snapshot "$A")
check_exit 65 "a second revocation of the same entry for another reason is refused" \
	cert-revoke -L "$A" --reason withdrawn "$LEAF1"
check "... as already revoked, naming the reason that stands" grep -q "already revoked, as superseded, by entry 3" "$T/last.err"
check_exit 0 "the same revocation again (a revocation run again) exits 0" cert-revoke -L "$A" --reason superseded "$LEAF1"
check "... reporting a duplicate of the revoke that counts" grep -q "^{\"result\":\"duplicate\",\"leaf_index\":3,\"leaf_hash\":\"$REV1\"" "$T/last.out"
check "... and nothing was appended" test "$(snapshot "$A")" = "$before"
check_exit 65 "chain-append of a second revoke is refused by the rule" sh -c \
	"printf '{\"type\":\"revoke\",\"body\":{\"ref\":\"%s\",\"reason\":\"superseded\"}}\\n' '$LEAF1' | chain-append -q -L '$A'"
check "... as already revoked" grep -q "already revoked" "$T/last.err"
check_exit 65 "two revocations of one entry in one batch are refused" cert-revoke -L "$A" --reason error "$LEAF2" "$LEAF2"
check_exit 65 "a revocation of a revocation is refused" cert-revoke -L "$A" --reason error "$REV1"
check_exit 65 "a revocation of an unknown leaf hash is refused" \
	cert-revoke -L "$A" --reason error 0000000000000000000000000000000000000000000000000000000000000000
check_exit 64 "a bad reason is refused" cert-revoke -L "$A" --reason expired "$LEAF2"
check "... naming the reasons" grep -q "superseded, withdrawn, error or key-compromise" "$T/last.err"
check_exit 64 "a HASH that is not a leaf hash is refused" cert-revoke -L "$A" --reason error "${LEAF2%??}"
check_exit 64 "a reason that is not UTF-8 is refused" cert-revoke -L "$A" --reason "$(printf 'error\377')" "$LEAF2"
check_exit 64 "--reason is required" cert-revoke -L "$A" "$LEAF2"
check "nothing was appended by the refused revocations" test "$(snapshot "$A")" = "$before"

# Another log's entry: B attests, A imports B's log, and A may not revoke B's entry.
check_exit 0 "B attests a document" cert-attest -L "$B" --kind risai-shomei "$T/risai.txt"
LEAFB=$(field "$T/last.out" 1 leaf_hash)
check_exit 0 "A imports B's bundle" sh -c "chain-export -L '$B' | chain-import -L '$A'"
before=$(snapshot "$A")
check_exit 65 "cert-revoke of an entry of another log is refused" cert-revoke -L "$A" --reason withdrawn "$LEAFB"
check "... saying that only the issuing node revokes, and nothing was appended" sh -c "
	grep -q 'is not an entry of this node.s log $OA: only the issuing node revokes' '$T/last.err' &&
	test '$(snapshot "$A")' = '$before'"
printf '{"type":"revoke","body":{"ref":"%s","reason":"withdrawn"}}\n' "$LEAFB" >"$T/foreign.jsonl"
check_exit 65 "chain-append of the same revoke is refused too" chain-append -L "$A" "$T/foreign.jsonl"
check "... and nothing was appended" test "$(snapshot "$A")" = "$before"
# cert-revoke revokes what payloads name: a note (or a reading, a movement) is refused, since no
# service would undo it; chain-append may revoke a note, which its readers read, but not a
# reading or a movement (chobo-ledger(5)).
NOTE=$(echo '{"type":"note","body":{"text":"a note"}}' | chain-append -L "$A" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leaf_hash"])')
before=$(snapshot "$A")
check_exit 65 "cert-revoke of a note is refused" cert-revoke -L "$A" --reason error "$LEAF2" "$NOTE"
check "... naming it and what cert-revoke revokes, and nothing was appended" sh -c "
	grep -q '$NOTE: entry [0-9]* of $OA is a note, which no payload names: cert-revoke revokes attestations' '$T/last.err' &&
	test '$(snapshot "$A")' = '$before'"
check_exit 0 "A revokes its own entries in one batch" cert-revoke -L "$A" --reason key-compromise "$LEAF2" "$LEAF3"
check "... one receipt each" test "$(wc -l <"$T/last.out")" -eq 2
verified "after the import and the refusals" "$A"

# Revocations travel with the log: B imports A's bundle and its view shows them.
check_exit 0 "B imports A's bundle" sh -c "chain-export -L '$A' --log '$OA' | chain-import -L '$B'"
check_exit 0 "B's core.revocations has A's revocation" chain-view -L "$B" core.revocations "$LEAF1"
check "... byte for byte as A's" cmp -s "$T/last.out" "$T/revview-a"
check "B's view lists every revocation A made" sh -c "
	chain-view -L '$B' core.revocations | python3 -c 'import json, sys; assert sorted(json.loads(l)[\"key\"] for l in sys.stdin) == sorted([\"$LEAF1\", \"$LEAF2\", \"$LEAF3\"])'"
check_exit 0 "B finds A's attestation by the document, beside its own" chain-view -L "$B" core.attestations "$SHA1"
check "... both" sh -c "python3 -c 'import json, sys; assert sorted(a[\"log\"] for a in json.load(sys.stdin)) == [\"$OA\", \"$OB\"]' <'$T/last.out'"
chain-log -L "$B" --log "$OA" >"$T/log-a-on-b"
chain-proof -L "$A" receipt --leaf "$LEAF1" >"$T/rcpt1-now"
chain-proof -L "$B" receipt --log "$OA" --leaf "$LEAF1" >"$T/rcpt1-b"
check "B gives the receipt of A's attestation that A gives" cmp -s "$T/rcpt1-now" "$T/rcpt1-b"
check "... and it verifies independently" \
	sh -c "python3 '$top_srcdir/tests/verify_proof.py' receipt '$T/log-a-on-b' <'$T/rcpt1-b' | grep -qx 1"
verified "after importing the revocations" "$B"
done_testing
