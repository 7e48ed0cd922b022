#!/bin/sh
# qr-render: codes read back exactly from PNG, SVG, PDF and terminal output; text, fonts, limits.
. "${top_srcdir:-.}/tests/lib.sh"

# skip DESCRIPTION REASON: a test point that could not run here.
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }

# payload N [SEED]: N characters of the QR alphanumeric alphabet, starting CHB1: (when N >= 5).
payload() {
	python3 - "$1" "${2:-1}" <<'PY'
import random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
r = random.Random(seed)
head = "CHB1:"[:n]
print(head + "".join(r.choice(alphabet) for _ in range(n - len(head))))
PY
}

# decodes IMAGE PAYLOAD: zbarimg finds exactly one code in IMAGE, and it is PAYLOAD.
decodes() {
	_got=$(zbarimg --nodbus --raw -q "$1") || return 1
	[ "$_got" = "$2" ] || { printf '# decoded: %s\n# wanted:  %s\n' "$_got" "$2" >&2; return 1; }
}

# png_modules PNG MODULES: check that the code in a PNG of qr-render has
# square modules of a whole number of pixels, pure black and white, and a
# 4-module quiet zone above and left of it; print the pixels per module.
png_modules() {
	python3 - "$1" "$2" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
modules = int(sys.argv[2]) + 8
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and colour in (2, 6), "8-bit RGB expected"
        bpp = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
for y in range(height):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append([line[x * bpp] for x in range(width)])
    prev = line
y0 = next(y for y, r in enumerate(rows) if 0 in r)
x0 = rows[y0].index(0)
run = next(i for i, v in enumerate(rows[y0][x0:] + [255]) if v != 0)
m = run // 7
side = modules * m
assert run == 7 * m and y0 == 4 * m and x0 >= 4 * m, "finder at %d,%d, %d wide" % (x0, y0, run)
code = [r[x0 - 4 * m:x0 - 4 * m + side] for r in rows[:side]]
assert all(v in (0, 255) for r in code for v in r), "grey pixels in the code"
for y in range(0, side, m):
    for x in range(0, side, m):
        cell = {code[y + j][x + i] for j in range(m) for i in range(m)}
        assert len(cell) == 1, "module at %d,%d is not one colour" % (x // m, y // m)
print(m)
PY
}

have() { command -v "$1" >/dev/null 2>&1; }

# Under AddressSanitizer: the font caches that fontconfig and pango keep to the end.
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-fonts.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

SHELTER='避難所 八王子第一小学校'
ITEM='毛布 20枚'
tools=yes
for t in zbarimg pdftoppm pdftotext pdffonts pdfinfo python3; do
	have "$t" || { tools=no; missing="${missing:-} $t"; }
done
if [ "$tools" = no ]; then
	echo "1..0 # SKIP missing:$missing (scripts/install-deps installs them)"
	exit 0
fi

# Lengths from 1 character to the most that version 12-Q holds in alphanumeric mode
# (296), each with the version it needs; one starts and one ends with a space.
for spec in 1:1 16:1 17:2 47:3 125:7 221:10 296:12; do
	n=${spec%:*}
	v=${spec#*:}
	p=$(payload "$n" "$n")
	case $n in
	47) p=" ${p#?}" ;;
	125) p="${p%?} " ;;
	esac
	check_exit 0 "$n characters: PNG written" qr-render --format png --text "$SHELTER" --text "$ITEM" -o "$T/$n.png" "$p"
	check "... version $v, reported as JSON" test "$(cat "$T/last.out")" = "{\"version\":$v,\"modules\":$((17 + 4 * v)),\"ecc\":\"Q\",\"length\":$n}"
	check "... the PNG decodes to the payload" decodes "$T/$n.png" "$p"
	m=$((591 / (25 + 4 * v)))
	[ "$m" -ge 4 ] || m=4
	check "... its modules are $m x $m pixels, its quiet zone 4 modules" test "$(png_modules "$T/$n.png" $((17 + 4 * v)))" = "$m"
	check_exit 0 "... SVG written" qr-render --format svg --text "$SHELTER" -o "$T/$n.svg" "$p"
	if have rsvg-convert; then
		check "... the SVG, rendered by rsvg-convert, decodes to the payload" \
			sh -c "rsvg-convert -d 150 -p 150 -o '$T/$n.svg.png' '$T/$n.svg' && zbarimg --nodbus --raw -q '$T/$n.svg.png' >'$T/$n.svg.txt'"
		check "... exactly" test "$(cat "$T/$n.svg.txt")" = "$p"
	else
		skip "... the SVG decodes to the payload" "rsvg-convert is not installed"
		skip "... exactly" "rsvg-convert is not installed"
	fi
	check_exit 0 "... A6 PDF written" qr-render --format pdf --text "$SHELTER" --text "$ITEM" -o "$T/$n.pdf" "$p"
	check "... the PDF at 150 dpi decodes to the payload" \
		sh -c "pdftoppm -r 150 -png '$T/$n.pdf' '$T/$n-page' && zbarimg --nodbus --raw -q '$T/$n-page-1.png' >'$T/$n.pdf.txt'"
	check "... exactly" test "$(cat "$T/$n.pdf.txt")" = "$p"
	check_exit 0 "... terminal text written" qr-render --format term --text "$SHELTER" "$p"
	cp "$T/last.out" "$T/$n.term"
	check "... read back as a dark-theme terminal shows it, it decodes to the payload" \
		sh -c "python3 '$top_srcdir/tests/term_to_pbm.py' dark <'$T/$n.term' >'$T/$n-dark.pbm'"
	check "... exactly" decodes "$T/$n-dark.pbm" "$p"
	check "... a light-theme terminal shows the same pixels" \
		sh -c "python3 '$top_srcdir/tests/term_to_pbm.py' light <'$T/$n.term' | cmp -s - '$T/$n-dark.pbm'"
done

p=$(payload 296 7)
check "the terminal rendering has the quiet zone: 4 blank columns, 2 blank rows of half blocks" \
	sh -c "qr-render '$p' | sed -n '1,2p' | grep -c '^.\\[38;5;16;48;5;231m  *.\\[0m\$' | grep -qx 2"
check "... and the text lines follow the code, uncoloured" sh -c "qr-render --text '$SHELTER' --text '$ITEM' '$p' | tail -2 | tr '\\n' '|' | grep -qx '$SHELTER|$ITEM|'"
# Why explicit colours: the same blocks in the theme's own colours (SGR 0),
# or in reverse video, are inverted in one of the two themes.
qr-render "$p" >"$T/c.term"
python3 "$top_srcdir/tests/term_to_pbm.py" dark <"$T/c.term" >"$T/c.pbm"
sed '3,$ y/01/10/' "$T/c.pbm" >"$T/c-inverse.pbm"
check "blocks in a dark theme's own colours would be inverted" \
	sh -c "sed 's/38;5;16;48;5;231/0/' '$T/c.term' | python3 '$top_srcdir/tests/term_to_pbm.py' dark | cmp -s - '$T/c-inverse.pbm'"
check "... and reverse video in a light theme too" \
	sh -c "sed 's/38;5;16;48;5;231/7/' '$T/c.term' | python3 '$top_srcdir/tests/term_to_pbm.py' light | cmp -s - '$T/c-inverse.pbm'"

# The PDF's text and fonts.
check "pdftotext shows the Japanese lines" sh -c "pdftotext -enc UTF-8 '$T/296.pdf' - | grep -qx '$SHELTER' && pdftotext -enc UTF-8 '$T/296.pdf' - | grep -qx '$ITEM'"
pdffonts "$T/296.pdf" >"$T/fonts" 2>&1
check "pdffonts: the fonts are IPAex Gothic, embedded and subset" \
	awk 'NR > 2 { n++; if ($1 !~ /^[A-Z][A-Z][A-Z][A-Z][A-Z][A-Z]\+IPAexGothic$/ || $(NF-4) != "yes" || $(NF-3) != "yes") bad++ }
	     END { exit !(n > 0 && !bad) }' "$T/fonts"

# An A4 sheet of 8 labels, each its own code; a ninth goes on a second page.
set --
for i in 1 2 3 4 5 6 7 8; do set -- "$@" "$(payload $((30 * i)) "$i")"; done
printf '%s\n' "$@" | sort >"$T/sheet.want"
check_exit 0 "an A4 sheet of 8 labels" qr-render --format pdf --sheet a4 --text "$SHELTER" --text "$ITEM" -o "$T/sheet.pdf" "$@"
check "... one JSON line per payload" test "$(wc -l <"$T/last.out")" -eq 8
check "... one page" sh -c "pdfinfo '$T/sheet.pdf' | grep -q '^Pages: *1\$'"
check "... at 150 dpi, zbarimg reads 8 codes: the 8 payloads" \
	sh -c "pdftoppm -r 150 -png '$T/sheet.pdf' '$T/sheet' && zbarimg --nodbus --raw -q '$T/sheet-1.png' | sort | cmp -s - '$T/sheet.want'"
check "... every label's text is there" test "$(pdftotext -enc UTF-8 "$T/sheet.pdf" - | grep -c "$ITEM")" -eq 8
check_exit 0 "nine labels (--copies 9) take two A4 pages" qr-render --format pdf --sheet a4 --copies 9 -o "$T/nine.pdf" "$1"
check "... two pages" sh -c "pdfinfo '$T/nine.pdf' | grep -q '^Pages: *2\$'"
check "... the second holds the ninth" sh -c "pdftoppm -r 150 -f 2 -png '$T/nine.pdf' '$T/nine' && test \"\$(zbarimg --nodbus --raw -q '$T/nine-2.png')\" = '$1'"
check_exit 0 "two A6 labels take two pages" qr-render --format pdf --label a6 -o "$T/two.pdf" "$1" "$2"
check "... two pages" sh -c "pdfinfo '$T/two.pdf' | grep -q '^Pages: *2\$'"

# The payload "-": read from standard input, all of it less one trailing newline.
p=$(payload 200 11)
printf '%s\n' "$p" >"$T/stdin.txt"
check_exit 0 "a payload - is read from standard input" sh -c "qr-render --format png -o '$T/stdin.png' - <'$T/stdin.txt'"
check "... the PNG decodes to it, without the newline" decodes "$T/stdin.png" "$p"
check "... its length is reported as 200" grep -q '"length":200' "$T/last.out"
check_exit 0 "... a payload without a newline, ending in a space, is kept whole" \
	sh -c "printf 'CHB1:X ' | qr-render --format png -o '$T/stdin-space.png' -"
check "... length 7" grep -q '"length":7' "$T/last.out"
check "... it decodes" decodes "$T/stdin-space.png" "CHB1:X "
check_exit 0 "... the one-character payload - is drawn from standard input" \
	sh -c "printf '%s\\n' - | qr-render --format png -o '$T/dash.png' -"
check "... and decodes to -" decodes "$T/dash.png" "-"
check_exit 0 "... - among other payloads takes its place in a PDF" \
	sh -c "qr-render --format pdf -o '$T/mixed.pdf' 'CHB1:A' - 'CHB1:C' <'$T/stdin.txt'"
check "... the second page holds the payload from standard input" \
	sh -c "pdftoppm -r 150 -f 2 -l 2 -png '$T/mixed.pdf' '$T/mixed' && test \"\$(zbarimg --nodbus --raw -q '$T/mixed-2.png')\" = '$p'"
check_exit 65 "an empty standard input is refused" sh -c "qr-render --format png -o '$T/empty.png' - </dev/null"
check "... saying so" grep -q 'standard input is empty' "$T/last.err"
check "... and no file is left" test ! -e "$T/empty.png"
check_exit 65 "a NUL byte on standard input is refused" sh -c "printf 'CHB1:A\\000B' | qr-render -"
check "... naming its offset" grep -q 'standard input holds a NUL byte at offset 6' "$T/last.err"
check_exit 65 "only one newline is removed" sh -c "printf 'CHB1:A\\n\\n' | qr-render -"
check_exit 65 "more than 8192 bytes on standard input are refused" \
	sh -c "head -c 9000 /dev/zero | tr '\\000' A | qr-render -"
check "... saying how many it takes" grep -q 'more than 8192 bytes' "$T/last.err"
check_exit 64 "- given twice is a usage error" sh -c "qr-render --format pdf -o '$T/twice.pdf' - - <'$T/stdin.txt'"
check "... and no file is left" test ! -e "$T/twice.pdf"

# Refusals: nothing is written.
long=$(payload 297 3)
check_exit 65 "297 characters do not fit version 12-Q: refused with EX_DATAERR" qr-render --format png -o "$T/long.png" "$long"
check "... saying which version they need and the maximum" grep -q 'needs QR version 13 at level Q; the maximum is 12' "$T/last.err"
check "... and no file is left" test ! -e "$T/long.png"
check_exit 0 "--max-version 13 allows it" qr-render --format png --max-version 13 -o "$T/long.png" "$long"
check "... version 13, and it decodes" sh -c "grep -q '\"version\":13' '$T/last.out' && test \"\$(zbarimg --nodbus --raw -q '$T/long.png')\" = '$long'"
check_exit 65 "a lower-case letter is refused" qr-render "CHB1:abc"
check "... naming it and its offset" grep -q "character 'a' at offset 5 is not in the QR alphanumeric alphabet" "$T/last.err"
check_exit 65 "a non-ASCII payload is refused" qr-render "CHB1:É"
check_exit 65 "an empty payload is refused" qr-render ""
check_exit 65 "2421 characters fit no version at all" qr-render --max-version 40 "$(payload 2421 4)"
check_exit 65 "a text line that is not UTF-8 is refused" qr-render --text "$(printf 'bad \377')" "CHB1:X"
check_exit 65 "a text line with a control character is refused" qr-render --text "$(printf 'tab\there')" "CHB1:X"
check_exit 64 "--max-version 41 is a usage error" qr-render --max-version 41 "CHB1:X"
check_exit 64 "two payloads in one PNG are a usage error" qr-render --format png -o "$T/two.png" "CHB1:X" "CHB1:Y"
check "... and no file is left" test ! -e "$T/two.png"
check_exit 64 "an unknown format" qr-render --format gif "CHB1:X"

# Only the programs that draw link the drawing libraries.
if have readelf; then
	check "qr-render links libqrencode, cairo and pango" \
		sh -c "readelf -d '$top_builddir/qr-render' | grep NEEDED | grep -q libqrencode && readelf -d '$top_builddir/qr-render' | grep NEEDED | grep -q libpangocairo"
	check "no chain-* program does" \
		sh -c "for f in '$top_builddir'/chain-*; do readelf -d \"\$f\" | grep NEEDED | grep -E 'qrencode|cairo|pango' && exit 1; done; exit 0"
else
	skip "qr-render links libqrencode, cairo and pango" "readelf is not installed"
	skip "no chain-* program does" "readelf is not installed"
fi
done_testing
