#!/bin/sh
# Box labels read back by real readers: supply-label as PNG (zbarimg), SVG
# (rsvg-convert, zbarimg), A6 PDF and an A4 sheet of several boxes
# (pdftoppm -r 150, zbarimg), terminal; the decoded text piped to
# supply-post receive records the arrival; pdftotext shows the Japanese
# text, pdffonts embedded fonts.  Refused, nothing recorded: a label with
# one base45 character changed, one signed by a key not trusted, a second
# scan of the same box.  Scanner input with CR line ends.
. "${top_srcdir:-.}/tests/lib.sh"

for tool in zbarimg pdftoppm pdftotext pdffonts rsvg-convert; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed"
		exit 0
	fi
done

# The font libraries keep caches for the process's life: not leaks of ours.
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-fonts.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

A=$T/hachioji
OA=tama.example/hachioji
new_ledger "$A" "$OA"
NOW=2025-06-06T09:00:00Z
export CHOBO_NOW=$NOW
post() {
	supply-post -q -L "$A" "$@" >"$T/post.out" || return 1
	python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["leaf_hash"])' "$T/post.out"
}
count() { chain-log -L "$A" | wc -l; }
received() { supply-status -L "$A" --site S-001 --item water-2l |
	python3 -c 'import json, sys; r = [json.loads(l) for l in sys.stdin]; print(r[0]["received"] if r else "none")'; }
zbar() { zbarimg --nodbus --raw -q "$@"; }

supply-post -q -L "$A" item "$top_srcdir/data/supply-items.jsonl" >/dev/null
post site --code S-001 --name 八王子市立第一小学校 --municipality 八王子市 --role shelter --open true >/dev/null
O=$(post offer --item water-2l --quantity 100 --unit 本 --firm 株式会社多摩水 --expiry 2026-03-31)
R=$(post request --offer "$O" --quantity 100 --site S-001 --ref R-0001)
B1=$(post ship --request "$R" --box 1 --quantity 24 --expiry 2026-03-31)
B2=$(post ship --request "$R" --box 2 --quantity 24 --expiry 2026-03-31)
B3=$(post ship --request "$R" --box 3 --quantity 24 --expiry 2026-03-31)
B4=$(post ship --request "$R" --box 4 --quantity 28)

plan 48

# PNG: one label, read back and received.
check "supply-label --format png" supply-label -L "$A" --format png -o "$T/b1.png" "$B1"
zbar "$T/b1.png" >"$T/b1.txt"
check "zbarimg reads a CHB1 payload from the PNG" grep -q '^CHB1:' "$T/b1.txt"
check "the payload is at most 296 characters" test "$(head -1 "$T/b1.txt" | tr -d '\n' | wc -c)" -le 296
before=$(count)
check "the decoded text piped to supply-post receive records the arrival" \
	sh -c "supply-post -q -L '$A' receive <'$T/b1.txt' >'$T/r1.out'"
check "... one receipt of box 1, with the label's quantity" python3 -c "
import json, sys
r = [json.loads(l) for l in open('$T/r1.out')]
assert len(r) == 1 and r[0]['type'] == 'supply.receipt', r" 
check "... supply-status shows 24 received" test "$(received)" = 24
check "... the receipt names the shipment" sh -c "chain-log -L '$A' --type supply.receipt | grep -q '\"shipment\":\"$B1\"'"

# A second scan of the same box.
before=$(count)
check_exit 65 "a second scan of the same box is refused" sh -c "supply-post -L '$A' receive <'$T/b1.txt' 2>'$T/err'"
check "... with a clear message" grep -q 'second receipt of box 1' "$T/err"
check "... and nothing was recorded" test "$(count)" -eq "$before"

# A product's JAN code scanned first, then a label: each line is still a scan.
printf '4901234567894\r\n%s\r\n' "$(head -1 "$T/b1.txt")" >"$T/jan.txt"
before=$(count)
check_exit 1 "a JAN code scanned before a label is refused as the first refusal" \
	sh -c "supply-post -L '$A' receive <'$T/jan.txt' 2>'$T/err'"
check "... as not a label" grep -q 'stdin:1: not a label' "$T/err"
check "... and the label after it is still taken as a scan" grep -q 'second receipt of box 1' "$T/err"
check "... named by its line, each CR LF ending one line" grep -q 'stdin:2: a second receipt of box 1' "$T/err"
check "... and nothing was recorded" test "$(count)" -eq "$before"

# What a scanner may add: a blank before, a tab after, and Caps Lock's lower case.
check_exit 65 "a label scanned with a blank before it and a tab after it is read as the label" \
	sh -c "printf '\r\n %s\t\r\n' \"\$(head -1 '$T/b1.txt')\" | supply-post -L '$A' receive 2>'$T/err'"
check "... (a second receipt of box 1, on line 2)" grep -q 'stdin:2: a second receipt of box 1' "$T/err"
check_exit 65 "a label typed in lower case is read as the label" \
	sh -c "head -1 '$T/b1.txt' | tr A-Z a-z | supply-post -L '$A' receive 2>'$T/err'"
check "... (a second receipt of box 1)" grep -q 'stdin:1: a second receipt of box 1' "$T/err"
check_exit 65 "receipt records piped in with CR LF" \
	sh -c "printf 'shipment,quantity\r\n%s,24\r\n' '$B1' | supply-post -L '$A' receive 2>'$T/err'"
check "... are named by their lines as an editor counts them" grep -q 'is stdin:2$' "$T/err"
check_exit 65 "... and so after a blank line" \
	sh -c "printf '\r\nshipment,quantity\r\n%s,24\r\n' '$B1' | supply-post -L '$A' receive 2>'$T/err'"
check "... which counts" grep -q 'is stdin:3$' "$T/err"

# A label with one base45 character changed.
P1=$(head -1 "$T/b1.txt")
FORGED=$(printf '%s' "$P1" | python3 -c '
import sys
s = sys.stdin.read(); i = len(s) // 2
a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
print(s[:i] + a[(a.index(s[i]) + 1) % 45] + s[i + 1:])')
before=$(count)
check_exit 1 "a label with one base45 character changed is refused" \
	sh -c "supply-post -L '$A' receive --payload '$FORGED' 2>'$T/err'"
check "... as not verifying" grep -Eq 'forged|not a label' "$T/err"
check "... and nothing was recorded" test "$(count)" -eq "$before"

# A label signed by a key that A does not trust: a copy of A with another key of the same name.
new_ledger "$T/imposter" "$OA"
cp -R "$A" "$T/copy"
cp "$T/imposter/keys/node.key" "$T/copy/keys/node.key"
check "the copy with another key signs a label of box 2" \
	supply-label -L "$T/copy" --format png -o "$T/b2-untrusted.png" "$B2"
before=$(count)
check_exit 1 "a label signed by an untrusted key is refused" \
	sh -c "zbarimg --nodbus --raw -q '$T/b2-untrusted.png' | supply-post -L '$A' receive 2>'$T/err'"
check "... as not trusted" grep -q 'not trusted' "$T/err"
check "... and nothing was recorded" test "$(count)" -eq "$before"

# SVG, through rsvg-convert; received short with --qty.
check "supply-label --format svg" supply-label -L "$A" --format svg -o "$T/b2.svg" "$B2"
rsvg-convert -o "$T/b2.png" "$T/b2.svg"
check "rsvg-convert and zbarimg read the SVG, received short with --qty 20" \
	sh -c "zbarimg --nodbus --raw -q '$T/b2.png' | supply-post -q -L '$A' receive --qty 20 >/dev/null"
check "... a short discrepancy recorded" sh -c "chain-log -L '$A' --type supply.receipt | grep -q '\"discrepancy\":\"short\"'"
check "... supply-status shows 44 received" test "$(received)" = 44

# A6 PDF: pdftoppm at 150 dpi, the Japanese text and embedded fonts.
check "supply-label --format pdf --label a6" supply-label -L "$A" --format pdf --label a6 -o "$T/b3.pdf" "$B3"
pdftoppm -r 150 -png "$T/b3.pdf" "$T/b3"
check "zbarimg reads the A6 PDF rendered at 150 dpi" sh -c "zbarimg --nodbus --raw -q '$T'/b3*.png | grep -q '^CHB1:'"
pdftotext "$T/b3.pdf" "$T/b3.txt"
check "pdftotext shows the site's name, item name and unit" sh -c \
	"grep -q 八王子市立第一小学校 '$T/b3.txt' && grep -q '飲料水' '$T/b3.txt' && grep -q '24 本' '$T/b3.txt'"
check "pdffonts: every font embedded" sh -c "pdffonts '$T/b3.pdf' | awk 'NR > 2 { n++; if (\$(NF-4) != \"yes\") bad = 1 } END { exit !(n > 0 && !bad) }'"

# An A4 sheet of every box of the request; boxes 3 and 4 scanned with CR line ends.
check "supply-label --request --sheet a4: every box on one sheet" \
	supply-label -L "$A" --sheet a4 -o "$T/sheet.pdf" --request "$R"
pdftoppm -r 150 -png "$T/sheet.pdf" "$T/sheet"
zbarimg --nodbus --raw -q "$T"/sheet*.png | sort >"$T/sheet.txt"
check "zbarimg reads four labels from the sheet" test "$(grep -c '^CHB1:' "$T/sheet.txt")" -eq 4
check "--request ref:R-0001 names the same request by the reference it was posted with: the same labels" sh -c \
	"supply-label -L '$A' --sheet a4 -o '$T/sheet-ref.pdf' --request ref:R-0001 &&
	 pdftotext '$T/sheet.pdf' '$T/sheet.pdf.txt' && pdftotext '$T/sheet-ref.pdf' '$T/sheet-ref.txt' &&
	 cmp -s '$T/sheet.pdf.txt' '$T/sheet-ref.txt' && [ \$(grep -c '数量 24 本' '$T/sheet-ref.txt') -eq 3 ]"
check_exit 65 "--request ref: of a reference no request of this log has is refused" \
	supply-label -L "$A" --sheet a4 -o "$T/none.pdf" --request ref:R-9999
check "... saying so, once" test "$(grep -c "ref:R-9999: no need, offer or request of this node.s log has the reference R-9999" "$T/last.err")" -eq 1
supply-label -L "$A" --format png -o "$T/b4.png" "$B4"
printf '%s\r%s\r' "$(zbar "$T"/b3*.png)" "$(zbar "$T/b4.png")" >"$T/cr.txt"
check "scanner input with CR line ends records boxes 3 and 4" \
	sh -c "supply-post -q -L '$A' receive <'$T/cr.txt' >'$T/cr.out'"
check "... two receipts" test "$(wc -l <"$T/cr.out")" -eq 2
check "... supply-status shows 96 received" test "$(received)" = 96
check "supply-label --format term draws half blocks" sh -c "supply-label -L '$A' '$B4' | grep -q '▀\\|▄\\|█'"
supply-label -L "$A" --format term -o "$T/b4.term" "$B4"
python3 "$top_srcdir/tests/term_to_pbm.py" dark <"$T/b4.term" >"$T/b4-term.pbm"
zbar "$T/b4-term.pbm" >"$T/b4-term.txt"
zbar "$T/b4.png" >"$T/b4-png.txt"
check "zbarimg reads the terminal label, as a dark terminal shows it, with the PNG's payload" \
	sh -c "grep -q '^CHB1:' '$T/b4-term.txt' && cmp -s '$T/b4-term.txt' '$T/b4-png.txt'"
