#!/usr/bin/env python3
"""Turn qr-render's terminal output back into pixels, as a terminal would show it.

usage: term_to_pbm.py dark|light <term.txt >image.pbm

Reads the half-block rows (lines with SGR escapes), keeps track of the
foreground and background colours they set (256-colour indexes, reset,
reverse video), paints each cell's upper and lower half in the colour a
terminal with the given theme would use, and writes a plain PBM
(1 = black) with 4x4 pixels per module for zbarimg.
"""
import re
import sys

SCALE = 4
BLACK, WHITE = 0, 1
# The theme's default colours (foreground, background) and the two indexes qr-render uses.
THEMES = {"dark": (WHITE, BLACK), "light": (BLACK, WHITE)}
INDEXED = {16: BLACK, 231: WHITE}
HALVES = {" ": (False, False), "\u2580": (True, False), "\u2584": (False, True), "\u2588": (True, True)}
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def rows(text, theme):
    default_fg, default_bg = THEMES[theme]
    for line in text.splitlines():
        if "\x1b[" not in line:
            continue
        fg, bg, reverse = default_fg, default_bg, False
        top, bottom = [], []
        pos = 0
        for m in list(SGR.finditer(line)) + [None]:
            chunk = line[pos:m.start() if m else len(line)]
            for ch in chunk:
                if ch not in HALVES:
                    sys.exit("term_to_pbm: unexpected character %r in a code row" % ch)
                f, b = (bg, fg) if reverse else (fg, bg)
                up, down = HALVES[ch]
                top.append(f if up else b)
                bottom.append(f if down else b)
            if m is None:
                break
            pos = m.end()
            params = [int(p) for p in m.group(1).split(";") if p] or [0]
            i = 0
            while i < len(params):
                p = params[i]
                if p == 0:
                    fg, bg, reverse = default_fg, default_bg, False
                elif p == 7:
                    reverse = True
                elif p == 27:
                    reverse = False
                elif p in (38, 48) and params[i + 1:i + 2] == [5]:
                    colour = INDEXED.get(params[i + 2])
                    if colour is None:
                        sys.exit("term_to_pbm: colour %d is neither black nor white" % params[i + 2])
                    if p == 38:
                        fg = colour
                    else:
                        bg = colour
                    i += 2
                i += 1
        yield top
        yield bottom


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in THEMES:
        sys.exit(__doc__.strip().splitlines()[2])
    image = list(rows(sys.stdin.read(), sys.argv[1]))
    if not image or len({len(r) for r in image}) != 1:
        sys.exit("term_to_pbm: no code rows, or rows of different widths")
    width = len(image[0]) * SCALE
    out = ["P1", "%d %d" % (width, len(image) * SCALE)]
    for r in image:
        line = " ".join("0" if px == WHITE else "1" for px in r for _ in range(SCALE))
        out.extend([line] * SCALE)
    sys.stdout.write("\n".join(out) + "\n")


main()
