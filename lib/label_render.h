/*
 * Labels: a QR code with a few lines of UTF-8 text (Japanese, in IPAex
 * Gothic), drawn as PNG, SVG, PDF or terminal text.
 *
 * Layouts, all with the 4-module quiet zone around the code:
 *  - PNG and SVG: one label 50 mm wide, the code on top and the text under
 *    it.  The PNG is meant for a 300 dpi label printer: every module is the
 *    same whole number of pixels (at least 4), so nothing is resampled.  The
 *    SVG is the same drawing in points, text as glyph outlines.
 *  - PDF, A6: one label per A6 page, the code on top, the text under it.
 *  - PDF, card: one label per ID-1 card page (85.6 x 54 mm, a registration
 *    card's size), the code on the left and its text beside it, small.
 *  - PDF, A4 sheet: 8 labels per page (2 columns of 4, 95 x 69.25 mm inside
 *    a 10 mm margin), the code on the left of each and its text beside it,
 *    with cut marks; more labels go on more pages.
 *    PDF fonts are embedded as subsets (cairo does that).
 *  - Terminal: UTF-8 half blocks, two module rows per text row, in explicit
 *    black on white (SGR 256-colour 16 on 231) so that the code is dark on
 *    light whatever the terminal's theme; the text lines follow, uncoloured.
 *
 * Text that does not fit a fixed layout's box is cut with an ellipsis;
 * a line too long for the text's width wraps, unless the label keeps it
 * whole (an ID), then it is set smaller.  A card's text has no ligatures,
 * so that pdftotext gives back every letter.  Lines are checked with
 * label_text_valid() before anything is drawn.
 * Writers write to a stdio stream and do not close it.
 */
#ifndef CHOBO_LABEL_RENDER_H
#define CHOBO_LABEL_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "qr_code.h"
#include "util.h"

/* Bounds on a label's text: lines, and bytes in one line. */
#define LABEL_MAX_LINES 8
#define LABEL_MAX_LINE_BYTES 256
/* Labels on one A4 page. */
#define LABEL_SHEET_PER_PAGE 8
/* The font family, from Debian's fonts-ipaexfont-gothic. */
#define LABEL_FONT "IPAexGothic"

/* One label: its code and its text lines (nlines <= LABEL_MAX_LINES). */
struct label {
	const struct qr_code *code;
	const char *const *lines;
	size_t nlines;
	/* Bit i set: line i, an ID to be read back whole, is never wrapped but set smaller where it does not fit. */
	unsigned whole_lines;
};

/* True when line is valid UTF-8 of at most LABEL_MAX_LINE_BYTES bytes with no control character; else why in err. */
bool label_text_valid(const char *line, char *err, size_t errlen);

/* Write one label as a PNG image; 0, or EX_DATAERR (bad text), EX_UNAVAILABLE (no IPAex font), EX_IOERR. */
int label_write_png(FILE *out, const struct label *label, struct chobo_error *err);
/* Write one label as an SVG image; returns as label_write_png(). */
int label_write_svg(FILE *out, const struct label *label, struct chobo_error *err);
/* Write n >= 1 labels as a PDF, one per A6 page; returns as label_write_png(). */
int label_write_pdf_a6(FILE *out, const struct label *labels, size_t n, struct chobo_error *err);
/* Write n >= 1 labels as a PDF of ID-1 cards (85.6 x 54 mm), the code left, the text beside it without ligatures; as label_write_png(). */
int label_write_pdf_card(FILE *out, const struct label *labels, size_t n, struct chobo_error *err);
/* Write n >= 1 labels as a PDF of A4 sheets with cut marks, 8 a page; returns as label_write_png(). */
int label_write_pdf_sheet(FILE *out, const struct label *labels, size_t n, struct chobo_error *err);
/* Write one label as terminal text (UTF-8 half blocks, explicit colours); 0, EX_DATAERR or EX_IOERR. */
int label_write_term(FILE *out, const struct label *label, struct chobo_error *err);

/* The output formats of the programs that draw labels, by their --format names. */
enum label_format { LABEL_TERM, LABEL_PNG, LABEL_SVG, LABEL_PDF };
/* The format named s (term, png, svg, pdf) into *f; false when s names none. */
bool label_format_parse(const char *s, enum label_format *f);
/* --label SIZE (sheet_option false: a6) or --sheet SIZE (true: a4) into *sheet; false for another size. */
bool label_layout_parse(bool sheet_option, const char *size, bool *sheet);
/* The --format name of f. */
const char *label_format_name(enum label_format f);
/*
 * Write n labels in format f (png, svg and term take n == 1; pdf takes
 * A6 pages, or A4 sheets when sheet); returns as label_write_png().
 */
int label_write(FILE *out, enum label_format f, bool sheet, const struct label *labels, size_t n,
		struct chobo_error *err);

#endif
