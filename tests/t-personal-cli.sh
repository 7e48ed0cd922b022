#!/bin/sh
# The personal-data guard of chobo(7) through the programs: chain-append
# refuses a batch with a body that looks like personal data (exit 65, the
# input line and the reason named, nothing appended); look-alikes pass; and
# chain-verify reports such an entry when it got into a ledger behind
# chain-append's back, in the store and in a bundle exported from it.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
notes 3 first | chain-append -q -L "$L" >/dev/null
before=$(snapshot "$L")

# refused BODY REASON [TYPE]: a batch of a good note, then an entry with BODY,
# then another good note, is refused with 65; the diagnostic names line 2 and
# REASON and leaves the matched text out; the ledger is unchanged.
refused() {
	{
		echo '{"type":"note","body":{"text":"good line"}}'
		printf '{"type":"%s","body":%s}\n' "${3:-note}" "$1"
		echo '{"type":"note","body":{"text":"after"}}'
	} >"$T/in.jsonl"
	chain-append -L "$L" "$T/in.jsonl" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 65 ] && grep -qF "in.jsonl:2: $2; nothing was appended" "$T/err" &&
	   ! grep -qE 'taro|1234|5678|4567|9018|0143' "$T/err" && [ ! -s "$T/out" ] &&
	   [ "$(snapshot "$L")" = "$before" ]; then
		ok "refused, nothing appended: $2: $1"
	else
		not_ok "refused, nothing appended: $2: $1 (exit $rc)"
		sed 's/^/# /' "$T/err"
	fi
}

MAIL="body.text: looks like a mail address"
PHONE="body.text: looks like a phone number"
POSTAL="body.text: looks like a postal code with an address"
MYNUM="body.text: looks like a resident number (My Number)"

refused '{"text":"連絡は taro@example.jp まで"}' "$MAIL"
refused '{"text":"ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"}' "$MAIL"
refused '{"text":"TEL 03-1234-5678"}' "$PHONE"
refused '{"text":"携帯 090-1234-5678"}' "$PHONE"
refused '{"text":"フリーダイヤル 0120-123-456"}' "$PHONE"
refused '{"text":"0312345678"}' "$PHONE"
refused '{"text":"０３ー１２３４ー５６７８"}' "$PHONE"
refused '{"text":"\u0030\u0039\u0030-1234-5678"}' "$PHONE"
refused '{"text":"+81 3 1234 5678"}' "$PHONE"
refused '{"text":"+1-202-555-0143"}' "$PHONE"
refused '{"text":"〒123-4567"}' "$POSTAL"
refused '{"text":"100-0001 東京都千代田区"}' "$POSTAL"
refused '{"text":"個人番号 123456789018"}' "$MYNUM"
refused '{"text":"1234-5678-9018"}' "$MYNUM"
refused '{"text":"x","email":"a"}' "body.email: the field name looks like personal data (email)"
refused '{"text":"x","contact_name":"a"}' "body.contact_name: the field name looks like personal data (name)"
refused '{"text":"x","shelterAddress":"a"}' "body.shelterAddress: the field name looks like personal data (address)"
refused '{"text":"x","extra":{"list":["ok","taro@example.jp"]}}' "body.extra.list[1]: looks like a mail address"
refused '{"sha256":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","issuer":"taro@example.jp","issued":"2026-04-01T00:00:00Z","kind":"permit"}' \
	"body.issuer: looks like a mail address" doc.attest

echo '{"type":"note","body":{"text":"TEL 03-1234-5678"}}' | chain-append -L "$L" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 65 ] && grep -qF "chain-append: stdin:1: $PHONE; nothing was appended" "$T/err"; then
	ok "on stdin too: exit 65, stdin:1 and the reason"
else
	not_ok "on stdin too (exit $rc)"
	sed 's/^/# /' "$T/err"
fi

# Look-alikes: dates, times, codes, hashes, quantities, versions (chobo(7) lists them).
cat >"$T/alike.jsonl" <<'EOF'
{"type":"note","body":{"text":"2026-12-01 09:30-17:00 給水 (2026-12-01T09:30:00+09:00)"}}
{"type":"note","body":{"text":"W-0012 毛布 300枚, W-0312345678 x 12,000, 0.0312345678 kg"}}
{"type":"note","body":{"text":"sha256 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"}}
{"type":"note","body":{"text":"JIS 13101, 131016, JP-13, JAN 4901234567894, libdb 5.3.28, v2.10.0"}}
{"type":"note","body":{"text":"202612011230 1767225600 123-4567 chobo@node-1 @chobo"}}
{"type":"doc.attest","body":{"sha256":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","issuer":"city.example","issued":"2026-04-01T00:00:00+09:00","kind":"permit"}}
EOF
check_exit 0 "look-alikes of personal data are appended" chain-append -L "$L" "$T/alike.jsonl"
check "... all six" test "$(wc -l <"$T/last.out")" -eq 6
check_exit 0 "the ledger verifies" chain-verify "$L"
check "... with its 9 entries" grep -q '"entries":9,' "$T/last.out"

# Behind chain-append's back: a stored note is rewritten through Berkeley DB
# (same length, so only hashes and the guard can tell) to hold a phone number.
if ! command -v python3 >/dev/null 2>&1 || ! command -v db5.3_dump >/dev/null 2>&1 ||
   ! command -v db5.3_load >/dev/null 2>&1; then
	for i in 1 2 3 4 5 6; do
		echo "ok $((tap_n + i)) # SKIP python3, db5.3_dump and db5.3_load are needed"
	done
	tap_n=$((tap_n + 6))
	done_testing
	exit
fi

B=$T/behind
new_ledger "$B"
printf '%s\n' '{"type":"note","body":{"text":"before"}}' '{"type":"note","body":{"text":"call 03=1234=5678"}}' \
	'{"type":"note","body":{"text":"after"}}' | chain-append -q -L "$B" >/dev/null
cp -a "$B" "$T/pristine"
db5.3_dump -f "$T/entries.dump" "$T/pristine/db/entries.db"
python3 - "$T/entries.dump" "$T/edited.dump" <<'EOF'
import sys
old, new = b'03=1234=5678'.hex(), b'03-1234-5678'.hex()
text = open(sys.argv[1]).read()
assert text.count(old) == 1, 'the note was not found in the dump'
open(sys.argv[2], 'w').write(text.replace(old, new))
EOF
rm -f "$T/load.db"
if db5.3_load -f "$T/edited.dump" "$T/load.db"; then
	cp "$T/load.db" "$B/db/entries.db"
	rm -f "$B/db/open"
	ok "a stored note rewritten to hold a phone number"
else
	not_ok "could not load the edited dump"
fi
chain-log -L "$B" >"$T/log" 2>&1
check "chain-log shows the rewritten note" grep -q '03-1234-5678' "$T/log"
check_exit 1 "chain-verify finds the ledger invalid" chain-verify "$B"
check "... and names the entry and the reason" \
	grep -q '"ok":false.*"where":"entry".*body.text: looks like a phone number' "$T/last.out"
cp "$T/last.out" "$T/store.report"
check "... without repeating the number" sh -c "! grep -q 5678 '$T/store.report'"

# The same entry in a bundle (chain-export copies entries as stored).
chain-export -q -L "$B" -o "$T/behind.bundle" 2>"$T/export.err"
chain-verify --trust "$B/keys/node.pub" "$T/behind.bundle" >"$T/bundle.out" 2>"$T/bundle.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '"ok":false.*body.text: looks like a phone number' "$T/bundle.out"; then
	ok "chain-verify of a bundle with the entry: invalid, and the reason"
else
	not_ok "chain-verify of a bundle with the entry (exit $rc)"
	sed 's/^/# /' "$T/export.err" "$T/bundle.err" "$T/bundle.out" | head -10
fi

done_testing
