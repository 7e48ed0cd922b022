#!/bin/sh
# Standard output on /dev/full: every program that prints exits non-zero
# with a message, and leaves nothing half-done.
. "${top_srcdir:-.}/tests/lib.sh"

if [ ! -w /dev/full ]; then
	echo "1..0 # SKIP no /dev/full"
	exit 0
fi
L=$T/ledger
new_ledger "$L"
notes 5 a | chain-append -q -L "$L" >/dev/null

# full DESCRIPTION COMMAND...: fails (74) on /dev/full, saying so once.
full() {
	desc=$1
	shift
	"$@" >/dev/full 2>"$T/full.err"
	got=$?
	if [ "$got" -eq 74 ] && [ "$(grep -c "No space left on device" "$T/full.err")" -eq 1 ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $got)"
		sed 's/^/# /' "$T/full.err" | head -5
	fi
}

full "chain-log" chain-log -L "$L"
full "chain-verify" chain-verify "$L"
full "chain-proof checkpoint" chain-proof -L "$L" checkpoint
full "chain-export to standard output" chain-export -L "$L"
full "chain-view --list" chain-view -L "$L" --list
full "chain-view --list --csv" chain-view -L "$L" --list --csv
full "chain-key --help" chain-key --help
echo "eco.certification_start = 2023-04-01" >>"$L/chobo.conf"
full "jcredit-export" jcredit-export -L "$L" --fy 2023
full "jcredit-export --csv" jcredit-export -L "$L" --fy 2023 --csv
for p in chain-init chain-append chain-log chain-verify chain-export chain-import chain-proof \
	 chain-sync chain-view chain-private cert-attest cert-check cert-revoke qr-render \
	 supply-post supply-match supply-label supply-status supply-events ecopt-grant ecopt-redeem; do
	"$p" --help >/dev/full 2>"$T/full.err"
	got=$?
	if [ "$got" -ne 0 ] && [ -s "$T/full.err" ]; then ok "$p --help"; else not_ok "$p --help (exit $got)"; fi
done

full "chain-init" chain-init --origin test.example/node-2 "$T/new"
check "... says the ledger was created all the same, and where its keys are" \
	grep -q "created in $T/new all the same.*keys/node.pub" "$T/full.err"
check "... and the ledger is whole" chain-verify "$T/new"

size=$(chain-verify "$L" | python3 -c 'import json, sys; print(json.load(sys.stdin)["entries"])')
notes 3 b | chain-append -L "$L" >/dev/full 2>"$T/full.err"
check "chain-append: the batch stored, receipts not written: exit 3" test $? -eq 3
check "... saying not to append it again" grep -q "do not append it again" "$T/full.err"
check "... and the batch is there once" test "$(chain-verify "$L" | python3 -c 'import json, sys; print(json.load(sys.stdin)["entries"])')" = $((size + 3))

# The programs that append: stored, then standard output lost, is exit 3 with what stands named;
# nothing appended (every record a duplicate) is 74.
stored() {
	desc=$1
	shift
	"$@" >/dev/full 2>"$T/full.err"
	got=$?
	if [ "$got" -eq 3 ] && grep -q "standard output could not be written: No space left on device; .* recorded" "$T/full.err"; then
		ok "$desc: exit 3, naming what is recorded"
	else
		not_ok "$desc (exit $got)"
		sed 's/^/# /' "$T/full.err" | head -5
	fi
}
size=$(chain-verify "$L" | python3 -c 'import json, sys; print(json.load(sys.stdin)["entries"])')
echo permit >"$T/permit.txt"
stored "cert-attest" cert-attest -L "$L" --kind permit "$T/permit.txt"
check "... naming the entry" grep -q "1 entry is recorded, entry $size of " "$T/full.err"
# The attestation's leaf hash, from its stored line (RFC 6962: SHA-256 of 0x00 and the entry).
leaf=$(chain-log -L "$L" --from $size | python3 -c 'import sys, hashlib; l = sys.stdin.buffer.readline().rstrip(b"\n"); print(hashlib.sha256(b"\0" + l).hexdigest())')
stored "cert-revoke" cert-revoke -L "$L" --reason superseded "$leaf"
check "... saying the same command again appends nothing" grep -q "the same command again prints them as revoked before, appending nothing" "$T/full.err"
cert-revoke -L "$L" --reason superseded "$leaf" >/dev/full 2>"$T/full.err"
check "... which it does: again, nothing appended, exit 74" sh -c "test $? -eq 74 && grep -q 'nothing was appended' '$T/full.err'"
stored "supply-post" supply-post -L "$L" site --code S-1 --name 避難所 --municipality 八王子市 --role shelter --open true
done_testing
