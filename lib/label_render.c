/* Labels drawn with cairo and pango (PNG, SVG, PDF), and as terminal half blocks. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <pango/pangocairo.h>

#include "label_render.h"

#define MM (72.0 / 25.4)            /* points per millimetre */
#define A6_W (105 * MM)
#define A6_H (148 * MM)
#define A4_W (210 * MM)
#define A4_H (297 * MM)

/* The single label of PNG and SVG, in pixels of a 300 dpi printer. */
#define DPI 300.0
#define PX_PER_MM (DPI / 25.4)
#define SINGLE_WIDTH_MM 50.0
#define SINGLE_MIN_MODULE_PX 4      /* 0.34 mm at 300 dpi: smaller is hard to print and to read */
#define SINGLE_TEXT_PT 9.0
#define SINGLE_PAD_MM 2.0

/* The A4 sheet: 2 columns of 4 labels inside a margin where the cut marks go. */
#define SHEET_COLS 2
#define SHEET_ROWS (LABEL_SHEET_PER_PAGE / SHEET_COLS)
#define SHEET_MARGIN (10 * MM)
#define SHEET_PAD (4 * MM)
#define SHEET_TEXT_PT 10.0
#define A6_MARGIN (10 * MM)
#define A6_TEXT_PT 14.0
/* A card of ID-1 size (ISO/IEC 7810, 85.6 x 54 mm), as a registration card is. */
#define CARD_W (85.6 * MM)
#define CARD_H (54 * MM)
#define CARD_TEXT_PT 6.5

bool label_text_valid(const char *line, char *err, size_t errlen)
{
	size_t len = strlen(line);
	if (len > LABEL_MAX_LINE_BYTES) {
		snprintf(err, errlen, "a text line of %zu bytes is longer than %d", len, LABEL_MAX_LINE_BYTES);
		return false;
	}
	if (!utf8_valid((const uint8_t *)line, len)) {
		snprintf(err, errlen, "a text line is not valid UTF-8");
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "a text line has control character 0x%02x at byte %zu", c, i);
			return false;
		}
	}
	return true;
}

/* Refuse what no layout can draw: a missing code, too many lines, bad text. */
static int check_labels(const struct label *labels, size_t n, struct chobo_error *err)
{
	if (n == 0)
		return chobo_fail(err, EX_USAGE, "no label to draw");
	for (size_t i = 0; i < n; i++) {
		const struct label *l = &labels[i];
		if (!l->code || !l->code->dark)
			return chobo_fail(err, EX_SOFTWARE, "label %zu has no QR code", i + 1);
		if (l->nlines > LABEL_MAX_LINES)
			return chobo_fail(err, EX_DATAERR, "label %zu has %zu text lines; at most %d",
				i + 1, l->nlines, LABEL_MAX_LINES);
		for (size_t j = 0; j < l->nlines; j++) {
			char why[160];
			if (!label_text_valid(l->lines[j], why, sizeof why))
				return chobo_fail(err, EX_DATAERR, "label %zu, line %zu: %s", i + 1, j + 1, why);
		}
	}
	return 0;
}

/*
 * fontconfig substitutes another font for a missing one without a word; a
 * label printed in a font without the kanji would show empty boxes.  So the
 * family that a request for LABEL_FONT actually gets is checked by name.
 */
static int font_check(struct chobo_error *err)
{
	PangoFontMap *map = pango_cairo_font_map_get_default();  /* owned by pango */
	PangoContext *ctx = pango_font_map_create_context(map);
	PangoFontDescription *want = pango_font_description_from_string(LABEL_FONT " 10");
	PangoFont *font = pango_font_map_load_font(map, ctx, want);
	bool found = false;
	if (font) {
		PangoFontDescription *got = pango_font_describe(font);
		const char *family = pango_font_description_get_family(got);
		found = family && strcasecmp(family, LABEL_FONT) == 0;
		pango_font_description_free(got);
		g_object_unref(font);
	}
	pango_font_description_free(want);
	g_object_unref(ctx);
	if (!found)
		return chobo_fail(err, EX_UNAVAILABLE, "font %s is not installed (Debian: fonts-ipaexfont-gothic)",
			LABEL_FONT);
	return 0;
}

/* Check labels and the font before anything is drawn: 0 or an exit code. */
static int ready_to_draw(const struct label *labels, size_t n, struct chobo_error *err)
{
	int rc = check_labels(labels, n, err);
	return rc != 0 ? rc : font_check(err);
}

/* cairo's output goes to a stdio stream; a short write fails the surface. */
struct sink {
	FILE *f;
	bool failed;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct sink *s = closure;
	if (fwrite(data, 1, len, s->f) != len) {
		s->failed = true;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

/* The verdict on a finished surface: 0, or EX_IOERR when writing failed, EX_SOFTWARE for any other cairo error. */
static int surface_result(cairo_surface_t *s, const struct sink *sink, const char *what,
	struct chobo_error *err)
{
	cairo_surface_finish(s);
	cairo_status_t st = cairo_surface_status(s);
	if (sink->failed)
		return chobo_fail_errno(err, EX_IOERR, "writing the %s", what);
	if (st != CAIRO_STATUS_SUCCESS)
		return chobo_fail(err, st == CAIRO_STATUS_WRITE_ERROR ? EX_IOERR : EX_SOFTWARE,
			"drawing the %s: %s", what, cairo_status_to_string(st));
	return 0;
}

/*
 * Draw the symbol with its top-left quiet-zone corner at (x, y), each module
 * m user units wide: the quiet zone in white, then every horizontal run of
 * dark modules as one rectangle, all filled at once (no seams between
 * neighbouring modules).
 */
static void draw_code(cairo_t *cr, const struct qr_code *qr, double x, double y, double m)
{
	int side = qr->width + 2 * QR_QUIET_ZONE;
	cairo_save(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, side * m, side * m);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
	x += QR_QUIET_ZONE * m;
	y += QR_QUIET_ZONE * m;
	for (int row = 0; row < qr->width; row++) {
		for (int col = 0; col < qr->width;) {
			if (!qr_code_dark(qr, col, row)) {
				col++;
				continue;
			}
			int start = col;
			while (col < qr->width && qr_code_dark(qr, col, row))
				col++;
			cairo_rectangle(cr, x + start * m, y + row * m, (col - start) * m, m);
		}
	}
	cairo_fill(cr);
	cairo_restore(cr);
}

/* OpenType features that turn ligatures off: a glyph for two letters comes out of pdftotext as one character, or none. */
#define NO_LIGATURES "liga=0, clig=0"

/* Turn ligatures off for text[start, end) of attrs. */
static void attrs_no_ligatures(PangoAttrList *attrs, guint start, guint end)
{
	PangoAttribute *a = pango_attr_font_features_new(NO_LIGATURES);
	a->start_index = start;
	a->end_index = end;
	pango_attr_list_insert(attrs, a);
}

/*
 * The size, at most size, at which the n bytes at text fit width on one
 * line in LABEL_FONT, measured in ctx (without ligatures when plain).
 */
static double fitting_size(PangoContext *ctx, const char *text, int n, double size, double width, bool plain)
{
	PangoLayout *m = pango_layout_new(ctx);
	PangoFontDescription *font = pango_font_description_from_string(LABEL_FONT);
	pango_layout_set_text(m, text, n);
	if (plain) {
		PangoAttrList *attrs = pango_attr_list_new();
		attrs_no_ligatures(attrs, 0, PANGO_ATTR_INDEX_TO_TEXT_END);
		pango_layout_set_attributes(m, attrs);
		pango_attr_list_unref(attrs);
	}
	/* Unhinted widths scale with the size, so one step nearly always does; the 1% covers rounding. */
	for (int i = 0; i < 8; i++) {
		int w;
		pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
		pango_layout_set_font_description(m, font);
		pango_layout_get_size(m, &w, NULL);
		if (w <= width * PANGO_SCALE)
			break;
		size *= width * PANGO_SCALE / w * 0.99;
	}
	pango_font_description_free(font);
	g_object_unref(m);
	return size;
}

/*
 * The label's lines as one pango layout in LABEL_FONT, size user units
 * high, wrapped at width; with max_height > 0, lines past it are dropped
 * and the last one kept ends in an ellipsis.  A line of l->whole_lines is
 * not wrapped: where it does not fit width, it is set smaller.  With
 * plain, no ligatures.  Metrics are not hinted, so a layout measures the
 * same at every scale.
 */
static PangoLayout *text_layout(cairo_t *cr, const struct label *l, double size, double width,
	double max_height, bool plain)
{
	PangoLayout *layout = pango_cairo_create_layout(cr);
	cairo_font_options_t *opts = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(opts, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(pango_layout_get_context(layout), opts);
	cairo_font_options_destroy(opts);
	/*
	 * Pango rounds glyph positions to whole user units (points in a PDF),
	 * so a line's width would not scale with its size, and a line set
	 * smaller to fit (whole_lines) would come out narrower than measured.
	 */
	if (l->whole_lines)
		pango_context_set_round_glyph_positions(pango_layout_get_context(layout), FALSE);
	pango_layout_context_changed(layout);

	PangoFontDescription *font = pango_font_description_from_string(LABEL_FONT);
	pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
	pango_layout_set_font_description(layout, font);
	pango_font_description_free(font);
	pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	if (max_height > 0) {
		pango_layout_set_height(layout, (int)(max_height * PANGO_SCALE));
		pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
	}

	size_t total = 1;
	for (size_t i = 0; i < l->nlines; i++)
		total += strlen(l->lines[i]) + 1;
	char *text = xmalloc(total), *p = text;
	PangoAttrList *attrs = pango_attr_list_new();
	if (plain)
		attrs_no_ligatures(attrs, 0, PANGO_ATTR_INDEX_TO_TEXT_END);
	for (size_t i = 0; i < l->nlines; i++) {
		size_t n = strlen(l->lines[i]);
		if (l->whole_lines & (1u << i)) {
			double fit = fitting_size(pango_layout_get_context(layout), l->lines[i], (int)n, size, width, plain);
			if (fit < size) {
				PangoAttribute *a = pango_attr_size_new_absolute((int)(fit * PANGO_SCALE));
				a->start_index = (guint)(p - text);
				a->end_index = (guint)(p - text + n);
				pango_attr_list_insert(attrs, a);
			}
		}
		memcpy(p, l->lines[i], n);
		p += n;
		if (i + 1 < l->nlines)
			*p++ = '\n';
	}
	*p = '\0';
	pango_layout_set_text(layout, text, -1);
	pango_layout_set_attributes(layout, attrs);
	pango_attr_list_unref(attrs);
	free(text);
	return layout;
}

/* Draw layout with its top-left corner at (x, y) in black. */
static void draw_text(cairo_t *cr, PangoLayout *layout, double x, double y)
{
	cairo_save(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, layout);
	cairo_restore(cr);
}

/* ---------------------------------------------------------------- PNG and SVG */

/* Where the single label's parts go, in 300 dpi pixels. */
struct single_layout {
	int width, height;      /* the whole image */
	int module;             /* pixels per module */
	int code_x;             /* left edge of the code's quiet zone (its top is 0) */
	int code_side;
	double pad, text_size, text_width;
};

/* Check a single label and lay it out, measuring its text on a scratch surface. */
static int single_layout(const struct label *l, struct single_layout *lay, struct chobo_error *err)
{
	int rc = ready_to_draw(l, 1, err);
	if (rc != 0)
		return rc;
	int modules = l->code->width + 2 * QR_QUIET_ZONE;
	int label_px = (int)(SINGLE_WIDTH_MM * PX_PER_MM + 0.5);
	lay->module = label_px / modules;
	if (lay->module < SINGLE_MIN_MODULE_PX)
		lay->module = SINGLE_MIN_MODULE_PX;
	lay->code_side = lay->module * modules;
	lay->width = lay->code_side > label_px ? lay->code_side : label_px;
	lay->code_x = (lay->width - lay->code_side) / 2;
	lay->pad = SINGLE_PAD_MM * PX_PER_MM;
	lay->text_size = SINGLE_TEXT_PT / 72.0 * DPI;
	lay->text_width = lay->width - 2 * lay->pad;
	lay->height = lay->code_side;
	if (l->nlines == 0)
		return 0;

	cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
	cairo_t *cr = cairo_create(scratch);
	PangoLayout *layout = text_layout(cr, l, lay->text_size, lay->text_width, 0, false);
	int w, h;
	pango_layout_get_pixel_size(layout, &w, &h);
	g_object_unref(layout);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_destroy(scratch);
	if (st != CAIRO_STATUS_SUCCESS)
		return chobo_fail(err, EX_SOFTWARE, "measuring the label's text: %s", cairo_status_to_string(st));
	lay->height += h + (int)(lay->pad + 0.5);
	return 0;
}

/* Draw a single label on cr, whose user units are 300 dpi pixels. */
static void draw_single(cairo_t *cr, const struct label *l, const struct single_layout *lay)
{
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	draw_code(cr, l->code, lay->code_x, 0, lay->module);
	if (l->nlines == 0)
		return;
	PangoLayout *layout = text_layout(cr, l, lay->text_size, lay->text_width, 0, false);
	draw_text(cr, layout, lay->pad, lay->code_side);
	g_object_unref(layout);
}

int label_write_png(FILE *out, const struct label *label, struct chobo_error *err)
{
	struct single_layout lay;
	int rc;
	if ((rc = single_layout(label, &lay, err)) != 0)
		return rc;
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, lay.width, lay.height);
	cairo_t *cr = cairo_create(s);
	draw_single(cr, label, &lay);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	struct sink sink = {out, false};
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_write_to_png_stream(s, sink_write, &sink);
	if (st == CAIRO_STATUS_SUCCESS)
		rc = surface_result(s, &sink, "PNG image", err);
	else if (sink.failed)
		rc = chobo_fail_errno(err, EX_IOERR, "writing the PNG image");
	else
		rc = chobo_fail(err, EX_SOFTWARE, "drawing the PNG image: %s", cairo_status_to_string(st));
	cairo_surface_destroy(s);
	return rc;
}

int label_write_svg(FILE *out, const struct label *label, struct chobo_error *err)
{
	struct single_layout lay;
	int rc;
	if ((rc = single_layout(label, &lay, err)) != 0)
		return rc;
	const double pt_per_px = 72.0 / DPI;
	struct sink sink = {out, false};
	cairo_surface_t *s = cairo_svg_surface_create_for_stream(sink_write, &sink,
		lay.width * pt_per_px, lay.height * pt_per_px);
	cairo_t *cr = cairo_create(s);
	cairo_scale(cr, pt_per_px, pt_per_px);
	draw_single(cr, label, &lay);
	cairo_destroy(cr);
	rc = surface_result(s, &sink, "SVG image", err);
	cairo_surface_destroy(s);
	return rc;
}

/* ---------------------------------------------------------------- PDF */

/* One A6 page: the code across the page's width inside the margin, the text under it. */
static void draw_a6(cairo_t *cr, const struct label *l)
{
	double side = A6_W - 2 * A6_MARGIN;
	double m = side / (l->code->width + 2 * QR_QUIET_ZONE);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	draw_code(cr, l->code, A6_MARGIN, A6_MARGIN, m);
	if (l->nlines == 0)
		return;
	double top = A6_MARGIN + side;
	PangoLayout *layout = text_layout(cr, l, A6_TEXT_PT, side, A6_H - A6_MARGIN - top, false);
	draw_text(cr, layout, A6_MARGIN, top);
	g_object_unref(layout);
}

/*
 * One label in the box at (x, y): the code on the left, the text (pt
 * points, without ligatures when plain) beside it, top-aligned with the symbol.
 */
static void draw_beside(cairo_t *cr, const struct label *l, double x, double y, double w, double h, double pt,
			bool plain)
{
	double side = h - 2 * SHEET_PAD;
	if (side > 0.55 * w)
		side = 0.55 * w;
	double m = side / (l->code->width + 2 * QR_QUIET_ZONE);
	draw_code(cr, l->code, x + SHEET_PAD, y + SHEET_PAD, m);
	if (l->nlines == 0)
		return;
	double tx = x + SHEET_PAD + side + 2 * MM;
	double ty = y + SHEET_PAD + QR_QUIET_ZONE * m;
	double tw = x + w - SHEET_PAD - tx;
	PangoLayout *layout = text_layout(cr, l, pt, tw, y + h - SHEET_PAD - ty, plain);
	draw_text(cr, layout, tx, ty);
	g_object_unref(layout);
}

/* One label in the sheet's cell at (x, y). */
static void draw_cell(cairo_t *cr, const struct label *l, double x, double y, double w, double h)
{
	draw_beside(cr, l, x, y, w, h, SHEET_TEXT_PT, false);
}

/*
 * Cut marks on the cell grid: ticks in the margin at every grid line, and a
 * small cross at every inner corner.  Nothing is drawn across a cell, so no
 * mark can touch a code's quiet zone.
 */
static void draw_cut_marks(cairo_t *cr, double cw, double ch)
{
	const double gap = 2 * MM, edge = 3 * MM, arm = 2.5 * MM;
	cairo_save(cr);
	cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
	cairo_set_line_width(cr, 0.3);
	for (int i = 0; i <= SHEET_COLS; i++) {
		double x = SHEET_MARGIN + i * cw;
		cairo_move_to(cr, x, edge);
		cairo_line_to(cr, x, SHEET_MARGIN - gap);
		cairo_move_to(cr, x, A4_H - SHEET_MARGIN + gap);
		cairo_line_to(cr, x, A4_H - edge);
	}
	for (int j = 0; j <= SHEET_ROWS; j++) {
		double y = SHEET_MARGIN + j * ch;
		cairo_move_to(cr, edge, y);
		cairo_line_to(cr, SHEET_MARGIN - gap, y);
		cairo_move_to(cr, A4_W - SHEET_MARGIN + gap, y);
		cairo_line_to(cr, A4_W - edge, y);
	}
	for (int i = 1; i < SHEET_COLS; i++) {
		for (int j = 1; j < SHEET_ROWS; j++) {
			double x = SHEET_MARGIN + i * cw, y = SHEET_MARGIN + j * ch;
			cairo_move_to(cr, x - arm, y);
			cairo_line_to(cr, x + arm, y);
			cairo_move_to(cr, x, y - arm);
			cairo_line_to(cr, x, y + arm);
		}
	}
	cairo_stroke(cr);
	cairo_restore(cr);
}

/* Start a PDF of pages w x h points on out. */
static cairo_surface_t *pdf_surface(struct sink *sink, double w, double h)
{
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(sink_write, sink, w, h);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "chobo");
	return s;
}

int label_write_pdf_a6(FILE *out, const struct label *labels, size_t n, struct chobo_error *err)
{
	int rc;
	if ((rc = ready_to_draw(labels, n, err)) != 0)
		return rc;
	struct sink sink = {out, false};
	cairo_surface_t *s = pdf_surface(&sink, A6_W, A6_H);
	cairo_t *cr = cairo_create(s);
	for (size_t i = 0; i < n && cairo_status(cr) == CAIRO_STATUS_SUCCESS; i++) {
		draw_a6(cr, &labels[i]);
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	rc = surface_result(s, &sink, "PDF", err);
	cairo_surface_destroy(s);
	return rc;
}

int label_write_pdf_card(FILE *out, const struct label *labels, size_t n, struct chobo_error *err)
{
	int rc;
	if ((rc = ready_to_draw(labels, n, err)) != 0)
		return rc;
	struct sink sink = {out, false};
	cairo_surface_t *s = pdf_surface(&sink, CARD_W, CARD_H);
	cairo_t *cr = cairo_create(s);
	for (size_t i = 0; i < n && cairo_status(cr) == CAIRO_STATUS_SUCCESS; i++) {
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
		/*
		 * A card's text is read back (pdftotext, an ID copied from the PDF),
		 * so no ligatures.  Other labels keep them: IPAexGothic's compose a
		 * kana and a combining semi-voiced mark (か゚) that a name may hold.
		 */
		draw_beside(cr, &labels[i], 0, 0, CARD_W, CARD_H, CARD_TEXT_PT, true);
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	rc = surface_result(s, &sink, "PDF", err);
	cairo_surface_destroy(s);
	return rc;
}

int label_write_pdf_sheet(FILE *out, const struct label *labels, size_t n, struct chobo_error *err)
{
	int rc;
	if ((rc = ready_to_draw(labels, n, err)) != 0)
		return rc;
	const double cw = (A4_W - 2 * SHEET_MARGIN) / SHEET_COLS;
	const double ch = (A4_H - 2 * SHEET_MARGIN) / SHEET_ROWS;
	struct sink sink = {out, false};
	cairo_surface_t *s = pdf_surface(&sink, A4_W, A4_H);
	cairo_t *cr = cairo_create(s);
	for (size_t i = 0; i < n && cairo_status(cr) == CAIRO_STATUS_SUCCESS; i++) {
		size_t cell = i % LABEL_SHEET_PER_PAGE;
		if (cell == 0) {
			cairo_set_source_rgb(cr, 1, 1, 1);
			cairo_paint(cr);
			draw_cut_marks(cr, cw, ch);
		}
		double x = SHEET_MARGIN + (double)(cell % SHEET_COLS) * cw;
		double y = SHEET_MARGIN + (double)(cell / SHEET_COLS) * ch;
		draw_cell(cr, &labels[i], x, y, cw, ch);
		if (cell == LABEL_SHEET_PER_PAGE - 1 || i + 1 == n)
			cairo_show_page(cr);
	}
	cairo_destroy(cr);
	rc = surface_result(s, &sink, "PDF", err);
	cairo_surface_destroy(s);
	return rc;
}

/* ---------------------------------------------------------------- terminal */

/*
 * Black on white from the 256-colour cube (16 and 231), which terminal
 * themes leave alone, unlike the 16 base colours they remap.  Blocks in the
 * theme's own colours would come out light on dark in a dark theme, and
 * reverse video light on dark in a light one; zbarimg reads neither such
 * inverted code (short of -Stest-inverted), and phone readers differ.
 * Each row ends with a reset, so the white never runs on to the end of the
 * terminal's line.
 */
#define TERM_ON "\033[38;5;16;48;5;231m"
#define TERM_OFF "\033[0m"

int label_write_term(FILE *out, const struct label *label, struct chobo_error *err)
{
	static const char *const cell[4] = {
		" ",             /* both light */
		"\xe2\x96\x80",  /* U+2580 upper half block: top dark */
		"\xe2\x96\x84",  /* U+2584 lower half block: bottom dark */
		"\xe2\x96\x88",  /* U+2588 full block: both dark */
	};
	int rc;
	if ((rc = check_labels(label, 1, err)) != 0)
		return rc;
	const struct qr_code *qr = label->code;
	const int lo = -QR_QUIET_ZONE, hi = qr->width + QR_QUIET_ZONE;
	for (int y = lo; y < hi; y += 2) {
		fputs(TERM_ON, out);
		for (int x = lo; x < hi; x++)
			fputs(cell[qr_code_dark(qr, x, y) | qr_code_dark(qr, x, y + 1) << 1], out);
		fputs(TERM_OFF "\n", out);
	}
	for (size_t i = 0; i < label->nlines; i++)
		fprintf(out, "%s\n", label->lines[i]);
	if (ferror(out))
		return chobo_fail_errno(err, EX_IOERR, "writing the terminal rendering");
	return 0;
}

static const char *const format_names[] = {"term", "png", "svg", "pdf"};

bool label_format_parse(const char *s, enum label_format *f)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, format_names[i]) == 0) {
			*f = (enum label_format)i;
			return true;
		}
	return false;
}

const char *label_format_name(enum label_format f)
{
	return format_names[f];
}

int label_write(FILE *out, enum label_format f, bool sheet, const struct label *labels, size_t n,
		struct chobo_error *err)
{
	if (f != LABEL_PDF && n != 1)
		return chobo_fail(err, EX_USAGE, "--format %s draws one label", format_names[f]);
	switch (f) {
	case LABEL_TERM: return label_write_term(out, labels, err);
	case LABEL_PNG: return label_write_png(out, labels, err);
	case LABEL_SVG: return label_write_svg(out, labels, err);
	case LABEL_PDF: break;
	}
	return sheet ? label_write_pdf_sheet(out, labels, n, err) : label_write_pdf_a6(out, labels, n, err);
}

bool label_layout_parse(bool sheet_option, const char *size, bool *sheet)
{
	if (strcmp(size, sheet_option ? "a4" : "a6") != 0)
		return false;
	*sheet = sheet_option;
	return true;
}
