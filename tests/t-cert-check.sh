#!/bin/sh
# cert-check: every reason a payload or a document is refused, each by its
# own case; valid payloads offline, with a receipt and with a ledger; QR
# codes read back by zbarimg from PNG and PDF; a document attested on one
# node, checked on another after an import, and offline with its receipt.
. "${top_srcdir:-.}/tests/lib.sh"

# skip DESCRIPTION REASON: a test point that could not run here.
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
have() { command -v "$1" >/dev/null 2>&1; }

if ! have python3; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi

# Under AddressSanitizer: the font caches that fontconfig and pango keep to the end (qr-render).
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-fonts.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

SIGN=$top_builddir/tests/payload-sign
A=$T/a
B=$T/b
C=$T/c
new_ledger "$A" test.example/node-a
new_ledger "$B" test.example/node-b
new_ledger "$C" other.example/node-c
# A and B trust each other; nobody trusts C.
cp "$A/trust/self" "$B/trust/node-a"
cp "$B/trust/self" "$A/trust/node-b"

# field VERDICT-FILE NAME: one member of the first verdict, as JSON.
field() {
	python3 -c 'import json, sys; print(json.dumps(json.loads(open(sys.argv[1]).readline())[sys.argv[2]]))' "$1" "$2"
}
# verdict NAME WANT: the last command's first verdict has NAME equal to WANT (JSON).
verdict() {
	_got=$(field "$T/last.out" "$1") || return 1
	[ "$_got" = "$2" ] || { echo "# $1 is $_got, wanted $2" >&2; return 1; }
}
# reason_is DESCRIPTION CODE COMMAND...: the command exits 1 with one verdict of that reason.
reason_is() {
	_desc=$1
	_code=$2
	shift 2
	check_exit 1 "$_desc: exit 1" "$@"
	check "... reason \"$_code\", valid false" sh -c "
		test \"\$(wc -l <'$T/last.out')\" -eq 1 &&
		test \"\$(python3 -c 'import json,sys; v=json.loads(open(sys.argv[1]).read()); print(v[\"reason\"], v[\"valid\"])' '$T/last.out')\" = '$_code False'"
}
# receipt LEDGER INDEX: the receipt of entry INDEX of the ledger's own log.
receipt() { chain-proof -L "$1" receipt --index "$2"; }

DOC=$T/shomei.txt
printf 'り災証明書 第 2025-0412 号\n八王子市\n' >"$DOC"
SHA=$(sha256sum "$DOC" | cut -c1-64)
printf 'another document\n' >"$T/other.txt"
OTHER_SHA=$(sha256sum "$T/other.txt" | cut -c1-64)
# member FILE NAME: a member of the JSON object on the first line of FILE.
member() { python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"; }
attest() {
	CHOBO_NOW=2025-04-12T09:00:00Z cert-attest -L "$A" --kind risai-shomei --issuer city.hachioji.tokyo.jp \
		--expires 2031-03-31T23:59:59Z "$1"
}
# A's log: 0 the document's attestation, 1 a note, 2 another document's attestation (then revoked).
attest "$DOC" >"$T/attest.out"
notes 1 | CHOBO_NOW=2025-04-12T09:00:00Z chain-append -L "$A" >/dev/null
attest "$T/other.txt" >"$T/attest-other.out"
CHOBO_NOW=2025-06-01T00:00:00Z cert-revoke -L "$A" --reason withdrawn "$(member "$T/attest-other.out" leaf_hash)" >/dev/null
TRUST_A=$A/trust/self

# The payload cert-attest printed, and others that say what each case needs.
P=$(member "$T/attest.out" payload)

# ------------------------------------------------------------------ valid
check_exit 0 "offline: cert-attest's payload, signed by a trusted key, within its days, is valid" cert-check --trust "$TRUST_A" "$P"
check "... one verdict" test "$(wc -l <"$T/last.out")" -eq 1
check "... the issuer, kind, index and fields" sh -c "
	python3 -c '
import json, sys
v = json.loads(open(sys.argv[1]).read())
assert v[\"valid\"] is True and v[\"reason\"] == \"valid\" and v[\"input\"] == sys.argv[2], v
assert v[\"issuer\"] == \"test.example/node-a\" and v[\"kind\"] == \"doc.attest\" and v[\"index\"] == 0, v
assert v[\"not_before\"] is None and v[\"not_after\"] == \"2031-03-31T14:59:59Z\", v   # the last JST day that ends by the expiry
assert v[\"fields\"] == {\"sha256\": sys.argv[3]}, v
assert v[\"recorded\"] is None and v[\"revoked\"] is None, v
assert \"expires\" in v and v[\"expires\"] is None, v   # every member, null when not known
' '$T/last.out' '$P' '$SHA'"
receipt "$A" 0 >"$T/r0.json"
check_exit 0 "with --receipt: valid" cert-check --trust "$TRUST_A" --receipt "$T/r0.json" "$P"
check "... recorded true" verdict recorded true
check_exit 0 "with -L: valid" cert-check -L "$A" "$P"
recorded_not_revoked() { verdict recorded true && verdict revoked false; }
check "... recorded true, revoked false" recorded_not_revoked
check_exit 0 "-L finds the trust in DIR/trust; \$CHOBO_LEDGER's when there is no -L" \
	sh -c "CHOBO_LEDGER='$A' cert-check '$P'"
check_exit 0 "--quorum 0 is no requirement" cert-check -L "$A" --quorum 0 "$P"
check_exit 64 "--quorum without -L or --receipt is a usage error, not a pass" cert-check --trust "$TRUST_A" --quorum 1 "$P"
check_exit 0 "offline, the payload names no start: valid before the entry was recorded" \
	cert-check --trust "$TRUST_A" --at 2025-04-12T08:00:00Z "$P"
reason_is "... but with -L the entry's time says not yet" not-yet-valid cert-check -L "$A" --at 2025-04-12T08:00:00Z "$P"
reason_is "... and so does the receipt" not-yet-valid \
	cert-check --trust "$TRUST_A" --receipt "$T/r0.json" --at 2025-04-12T08:00:00Z "$P"

# Lines on stdin, as a scanner types them: blanks, CR, empty lines.
printf '\n  %s \r\n\r\n\t%s\r\n\n' "$P" "$P" >"$T/scanned"
check_exit 0 "stdin: two payloads among blanks, CRs and empty lines: exit 0" sh -c "cert-check --trust '$TRUST_A' <'$T/scanned'"
check "... two verdicts, both valid, the input trimmed" sh -c "
	test \"\$(wc -l <'$T/last.out')\" -eq 2 && test \"\$(grep -cF '\"input\":\"$P\",\"valid\":true' '$T/last.out')\" -eq 2"
printf '\357\273\277%s\r\n' "$P" >"$T/notepad"
check_exit 0 "stdin: payloads saved by Notepad, a byte order mark first: exit 0" sh -c "cert-check --trust '$TRUST_A' <'$T/notepad'"
check "... the payload valid, without the mark" grep -qF "\"input\":\"$P\",\"valid\":true" "$T/last.out"
printf '%s\n\357\273\277%s\n' "$P" "$P" >"$T/joined"
check_exit 1 "a byte order mark on a later line (files joined with cat) is a bad line, not a payload" sh -c "cert-check --trust '$TRUST_A' <'$T/joined'"
check "... named" grep -q "stdin, line 2: the line starts with a byte order mark" "$T/last.out"
check_exit 0 "-q: exit status only" cert-check -q --trust "$TRUST_A" "$P"
check "... nothing printed" test ! -s "$T/last.out"

# ---------------------------------------------------------------- invalid
# One base45 character changed (the zlib stream's checksum no longer holds).
BAD45=$(python3 -c '
import sys
p = sys.argv[1]
i = 40
c = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
print(p[:i] + c[(c.index(p[i]) + 1) % len(c)] + p[i + 1:])' "$P")
reason_is "one base45 character changed" bad-format cert-check --trust "$TRUST_A" "$BAD45"

# One bit flipped in the signed body, then compressed and encoded again as a forger would.
FLIPPED=$(python3 - "$P" <<'PY'
import sys, zlib
A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
def b45decode(s):
    out = bytearray()
    for i in range(0, len(s), 3):
        chunk = [A.index(c) for c in s[i:i + 3]]
        n = sum(v * 45 ** k for k, v in enumerate(chunk))
        out += n.to_bytes(2 if len(chunk) == 3 else 1, "big")
    return bytes(out)
def b45encode(b):
    out = ""
    for i in range(0, len(b), 2):
        pair = b[i:i + 2]
        n = int.from_bytes(pair, "big")
        digits = 3 if len(pair) == 2 else 2
        for _ in range(digits):
            out += A[n % 45]
            n //= 45
    return out
p = sys.argv[1]
content = bytearray(zlib.decompress(b45decode(p[5:])))
i = content.index(b"sha256=") + 10    # inside the digest's hex: still a well-formed body
content[i] ^= 0x01
print("CHB1:" + b45encode(zlib.compress(bytes(content), 9)))
PY
)
reason_is "one bit flipped inside the compressed content, re-encoded" bad-signature cert-check --trust "$TRUST_A" "$FLIPPED"
check "... the issuer is named" verdict issuer '"test.example/node-a"'

P_C=$("$SIGN" "$C" doc.attest 0 - - sha256="$SHA")
reason_is "signed by a key that is not trusted" unknown-issuer cert-check --trust "$TRUST_A" "$P_C"

P_OLD=$("$SIGN" "$A" doc.attest 0 2020-01-01 2020-12-31 sha256="$SHA")
reason_is "expired (valid through 2020-12-31)" expired cert-check --trust "$TRUST_A" "$P_OLD"
P_LATER=$("$SIGN" "$A" doc.attest 0 2099-01-01 - sha256="$SHA")
reason_is "not yet valid (from 2099-01-01)" not-yet-valid cert-check --trust "$TRUST_A" "$P_LATER"
check_exit 0 "... but valid --at 2099-06-01T00:00:00Z" cert-check --trust "$TRUST_A" --at 2099-06-01T00:00:00Z "$P_LATER"
check_exit 0 "the expired one is valid --at a time within its days" cert-check --trust "$TRUST_A" --at 2020-06-01T12:00:00+09:00 "$P_OLD"
# The days are days in Japan: from 00:00 JST of the first to 24:00 JST of the last.
check_exit 0 "valid at 23:59:59 JST on its last day" cert-check --trust "$TRUST_A" --at 2020-12-31T23:59:59+09:00 "$P_OLD"
check "... whose last second is 14:59:59Z" verdict not_after '"2020-12-31T14:59:59Z"'
reason_is "expired at 00:00 JST the day after" expired cert-check --trust "$TRUST_A" --at 2021-01-01T00:00:00+09:00 "$P_OLD"
check "... the message names the JST day, and today's in Japan beside the time" sh -c "grep -q 'valid until 2020-12-31 (JST); it is 2021-01-01 in Japan (2020-12-31T15:00:00Z)' '$T/last.out'"
check_exit 0 "valid at 00:00 JST on its first day" cert-check --trust "$TRUST_A" --at 2020-01-01T00:00:00+09:00 "$P_OLD"
reason_is "not yet valid a second before" not-yet-valid cert-check --trust "$TRUST_A" --at 2019-12-31T23:59:59+09:00 "$P_OLD"
check "... the message names the JST day" sh -c "grep -q 'valid from 2020-01-01 (JST)' '$T/last.out'"
# A volunteer certificate printed before the days were JST days ends a day short of its fiscal year
# (its last day was the last UTC day that ends by March 31, 24:00 JST): it is judged by its year.
P_VOL_OLD=$("$SIGN" "$A" volunteer.certificate 0 2026-04-01 2027-03-30 volunteer=p-00000000000000000000000000000001 fy=2026)
check_exit 0 "an earlier volunteer certificate for FY2026 is valid at noon JST on March 31" \
	cert-check --trust "$TRUST_A" --at 2027-03-31T12:00:00+09:00 "$P_VOL_OLD"
check "... its validity is the fiscal year's" verdict not_after '"2027-03-31T14:59:59Z"'
reason_is "... and expired on April 1 (JST)" expired cert-check --trust "$TRUST_A" --at 2027-04-01T00:00:00+09:00 "$P_VOL_OLD"
P_VOL_SHORT=$("$SIGN" "$A" volunteer.certificate 0 2026-04-01 2026-09-30 volunteer=p-00000000000000000000000000000001 fy=2026)
reason_is "a volunteer certificate that says it ends earlier is not widened" expired \
	cert-check --trust "$TRUST_A" --at 2026-10-01T12:00:00+09:00 "$P_VOL_SHORT"

P_REV=$("$SIGN" "$A" doc.attest 2 - - sha256="$OTHER_SHA")
reason_is "revoked (with -L)" revoked cert-check -L "$A" "$P_REV"
check "... the revocation: A's own, with its reason and time" sh -c "
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))[\"revoked\"]
assert r[\"log\"] == \"test.example/node-a\" and r[\"reason\"] == \"withdrawn\" and r[\"time\"] == \"2025-06-01T00:00:00Z\", r
' '$T/last.out'"
check_exit 0 "--at before the revocation: valid" cert-check -L "$A" --at 2025-05-01T00:00:00Z "$P_REV"
reason_is "--at after the revocation: revoked" revoked cert-check -L "$A" --at 2025-07-01T00:00:00Z "$P_REV"
check_exit 0 "offline, nothing says it is revoked: valid" cert-check --trust "$TRUST_A" "$P_REV"

P_BEYOND=$("$SIGN" "$A" doc.attest 99 - - sha256="$SHA")
reason_is "not recorded: an index beyond the log" not-recorded cert-check -L "$A" "$P_BEYOND"
check "... recorded false" verdict recorded false
P_B=$("$SIGN" "$B" doc.attest 0 - - sha256="$SHA")
reason_is "not recorded: another node's ledger, which does not hold its log" not-recorded cert-check -L "$A" "$P_B"

P_DIFF=$("$SIGN" "$A" doc.attest 0 - - sha256="$OTHER_SHA")
reason_is "entry differs: a field that is not the entry's" entry-differs cert-check -L "$A" "$P_DIFF"
check "... recorded true" verdict recorded true
P_KIND=$("$SIGN" "$A" doc.attest 1 - - sha256="$SHA")
reason_is "entry differs: the entry is of another type" entry-differs cert-check --trust "$TRUST_A" --receipt "$(receipt "$A" 1 >"$T/r1.json"; echo "$T/r1.json")" "$P_KIND"

# A receipt whose proof does not verify: one hash changed.
python3 - "$T/r0.json" >"$T/r0-bad.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
h = r["hashes"][0]
r["hashes"][0] = ("0" if h[0] != "0" else "1") + h[1:]
print(json.dumps(r, ensure_ascii=False))
PY
reason_is "a receipt that does not verify" bad-receipt cert-check --trust "$TRUST_A" --receipt "$T/r0-bad.json" "$P"
printf '{"log":"test.example/node-a"}\n' >"$T/r-malformed.json"
reason_is "a receipt that is not one" bad-receipt cert-check --trust "$TRUST_A" --receipt "$T/r-malformed.json" "$P"
reason_is "no witness cosigned: --quorum 1 is not met" not-cosigned cert-check -L "$A" --quorum 1 "$P"

# Several inputs: one invalid makes the exit 1, and each has its verdict.
check_exit 1 "a valid and an invalid payload: exit 1" cert-check --trust "$TRUST_A" "$P" "$P_C"
check "... two verdicts, the first valid" sh -c "test \"\$(wc -l <'$T/last.out')\" -eq 2 && head -1 '$T/last.out' | grep -q '\"valid\":true' && tail -1 '$T/last.out' | grep -q '\"reason\":\"unknown-issuer\"'"
check_exit 1 "an empty argument is a bad-format input" cert-check --trust "$TRUST_A" ""

# ------------------------------------------------------------- errors
check_exit 64 "--at that is not a time: EX_USAGE" cert-check --trust "$TRUST_A" --at yesterday "$P"
check_exit 64 "an unknown option: EX_USAGE" cert-check --frobnicate "$P"
check_exit 64 "--document with payloads: EX_USAGE" cert-check -L "$A" --document "$DOC" "$P"
check_exit 64 "--document without -L or --receipt: EX_USAGE" cert-check --trust "$TRUST_A" --document "$DOC"
check_exit 66 "a trust file that does not exist: EX_NOINPUT" cert-check --trust "$T/none" "$P"
check_exit 66 "-L of a directory that is not a ledger: EX_NOINPUT" cert-check --trust "$TRUST_A" -L "$T/none" "$P"
check_exit 66 "--document of a file that does not exist: EX_NOINPUT" cert-check -L "$A" --document "$T/none"
check_exit 66 "--receipt of a file that does not exist: EX_NOINPUT" cert-check --trust "$TRUST_A" --receipt "$T/none" "$P"
printf 'not a verifier key\n' >"$T/bad.keys"
check_exit 78 "a trust file with a line that is not a verifier key: EX_CONFIG, as cert-check(1) says" cert-check --trust "$T/bad.keys" "$P"
check "... the message names the file and its line" grep -q 'bad.keys:1: verifier key is not name+id+key' "$T/last.err"
check "cert-check(1) lists status 78" sh -c "grep -A1 '^\\.It 78' '$top_srcdir/man/cert-check.1' | grep -q 'not a verifier key'"
check_exit 0 "--help" cert-check --help
check "... shows the usage" grep -q '^usage: cert-check' "$T/last.out"
check_exit 0 "--version" cert-check --version

# ----------------------------------------------------------- real readers
SHELTER='避難所 八王子第一小学校'
ITEM='り災証明書 第 2025-0412 号'
tools=yes
missing=
for t in qr-render zbarimg pdftoppm pdftotext pdffonts; do
	have "$t" || { tools=no; missing="$missing $t"; }
done
# Every payload kind that chobo issues.
for kind in doc.attest; do
	case $kind in
	doc.attest) kp=$P ;;
	esac
	if [ "$tools" = no ]; then
		for i in 1 2 3 4 5 6; do skip "$kind: through a QR code and back" "missing:$missing"; done
		continue
	fi
	check_exit 0 "$kind: qr-render --format png" qr-render --format png --text "$SHELTER" -o "$T/$kind.png" "$kp"
	check_exit 0 "... zbarimg reads it, and cert-check finds it valid" \
		sh -c "zbarimg --nodbus --raw -q '$T/$kind.png' | cert-check --trust '$TRUST_A'"
	check_exit 0 "$kind: qr-render --format pdf, with Japanese text" \
		qr-render --format pdf --text "$SHELTER" --text "$ITEM" -o "$T/$kind.pdf" "$kp"
	check_exit 0 "... pdftoppm at 150 dpi, zbarimg, cert-check -L: valid" \
		sh -c "pdftoppm -r 150 -png '$T/$kind.pdf' '$T/$kind-page' && zbarimg --nodbus --raw -q '$T/$kind-page-1.png' | cert-check -L '$A'"
	check "... pdftotext shows the Japanese lines" \
		sh -c "pdftotext -enc UTF-8 '$T/$kind.pdf' - >'$T/$kind.txt' && grep -qx '$SHELTER' '$T/$kind.txt' && grep -qx '$ITEM' '$T/$kind.txt'"
	check "... pdffonts: every font embedded" \
		sh -c "pdffonts '$T/$kind.pdf' | awk 'NR > 2 { n++; if (\$(NF-4) != \"yes\") bad++ } END { exit !(n > 0 && !bad) }'"
done

# ------------------------------------------------------------ documents
chain-export -L "$A" -o "$T/a.bundle" >/dev/null 2>&1
check_exit 0 "node B imports node A's log" chain-import -L "$B" "$T/a.bundle"
check_exit 0 "on B: cert-check -L B --document: valid" cert-check -L "$B" --document "$DOC"
check "... the issuer, kind, log, index, time and expiry of A's attestation" sh -c "
	python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v[\"valid\"] is True and v[\"sha256\"] == sys.argv[2] and v[\"input\"] == sys.argv[3], v
assert v[\"issuer\"] == \"city.hachioji.tokyo.jp\" and v[\"kind\"] == \"risai-shomei\", v
assert v[\"log\"] == \"test.example/node-a\" and v[\"index\"] == 0 and v[\"time\"] == \"2025-04-12T09:00:00Z\", v
assert v[\"expires\"] == \"2031-03-31T23:59:59Z\" and v[\"recorded\"] is True and v[\"revoked\"] is False, v
' '$T/last.out' '$SHA' '$DOC'"
check_exit 0 "... and the payload too, on B" cert-check -L "$B" "$P"
reason_is "on B, the other document, revoked by A: revoked" revoked \
	cert-check -L "$B" --document "$T/other.txt"
reason_is "after its expiry: expired" expired cert-check -L "$B" --at 2032-01-01T00:00:00Z --document "$DOC"

receipt "$A" 0 >"$T/doc.receipt"
cp "$TRUST_A" "$T/a-keys"
rm -rf "$A" "$B"
check "the ledger copies are gone" test ! -e "$A" -a ! -e "$B"
check_exit 0 "offline: --document with its receipt and A's keys: valid" \
	cert-check --trust "$T/a-keys" --document "$DOC" --receipt "$T/doc.receipt"
check "... recorded, revocations unknown offline" sh -c "grep -q '\"recorded\":true,\"revoked\":null' '$T/last.out'"
cp "$DOC" "$T/changed.txt"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[0] ^= 0x20; open(sys.argv[1], "wb").write(b)' "$T/changed.txt"
reason_is "one byte of the document changed: invalid" entry-differs \
	cert-check --trust "$T/a-keys" --document "$T/changed.txt" --receipt "$T/doc.receipt"
reason_is "... and with a key that is not A's: unknown-issuer" unknown-issuer \
	cert-check --trust "$C/trust/self" --document "$DOC" --receipt "$T/doc.receipt"

# An expiry at midnight (JST): the payload's last day is the one before, never the expiry's own.
new_ledger "$T/M" test.example/node-m
printf 'midnight\n' >"$T/midnight.txt"
CHOBO_NOW=2025-04-12T09:00:00Z cert-attest -L "$T/M" --kind risai-shomei --expires 2031-03-31T00:00:00+09:00 \
	"$T/midnight.txt" >"$T/midnight.out"
PM=$(member "$T/midnight.out" payload)
check_exit 0 "an attestation expiring at midnight is valid the day before" \
	cert-check --trust "$T/M/trust/self" --at 2031-03-30T23:00:00+09:00 "$PM"
reason_is "... and offline already expired on the expiry's own day" expired \
	cert-check --trust "$T/M/trust/self" --at 2031-03-31T12:00:00+09:00 "$PM"
# An expiry at 09:00 JST (00:00Z): the day it falls in is not whole, so the payload ends the day before.
CHOBO_NOW=2025-04-12T09:00:00Z cert-attest -L "$T/M" --kind risai-shomei --expires 2031-03-31T00:00:00Z \
	"$T/midnight.txt" >"$T/nine.out"
reason_is "an attestation expiring at 09:00 JST is expired offline at 08:00 JST that day" expired \
	cert-check --trust "$T/M/trust/self" --at 2031-03-31T08:00:00+09:00 "$(member "$T/nine.out" payload)"

done_testing
