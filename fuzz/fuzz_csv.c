/*
 * libFuzzer harness: the CSV reader (lib/csv.c).
 *
 * The input is the text of a CSV file.  Every record it yields must be
 * within the bounds, and every field UTF-8 without NUL; a reader must end
 * with CSV_END or CSV_BAD, never loop.  Written back field by field
 * (lib/view.c view_text_csv_field, which guards formulas with an
 * apostrophe), every record reads back the same.  Every field read as an
 * option's or a cell's value for an integer, unsigned or boolean field
 * (lib/records.c records_text_value) is refused with a reason or gives a
 * value that prints back as the same text (a number) or is one of the
 * spellings the header lists (a boolean).  A field read as a header
 * cell's suggested spelling (records_header_spelling) is no longer than
 * the cell, UTF-8, without capitals or blanks at its ends, and empty when
 * the cell is written so already.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "entry.h"
#include "records.h"
#include "util.h"
#include "view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write r's record as CSV after a record "x" (so that no byte order mark starts it) and read it back. */
static void round_trip(const struct csv_reader *r, size_t bytes)
{
	if (r->nfields == 1 && r->field[0][0] == '\0')
		return;   /* an empty line, which a reader skips */
	if (bytes + 2 * r->nfields + 16 > CSV_MAX_RECORD)
		return;   /* the apostrophes written could take it past the bound */
	struct view_text t = {0};
	view_text_str(&t, "x\r\n");
	for (size_t i = 0; i < r->nfields; i++) {
		if (i)
			view_text_str(&t, ",");
		view_text_csv_field(&t, r->field[i], strlen(r->field[i]));
	}
	view_text_str(&t, "\r\n");
	struct csv_reader back;
	char err[256];
	csv_init(&back, t.p, t.len);
	if (csv_next(&back, err, sizeof err) != CSV_RECORD || csv_next(&back, err, sizeof err) != CSV_RECORD ||
	    back.nfields != r->nfields)
		abort();
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(back.field[i], r->field[i]) != 0)
			abort();
	if (csv_next(&back, err, sizeof err) != CSV_END)
		abort();
	csv_free(&back);
	view_text_free(&t);
}

/* Field text read as each typed kind: a value that says the same, or a reason. */
static void typed_values(const char *text)
{
	static const struct field_spec kinds[] = {
		{"signed", FIELD_INT, true, 0, false},
		{"unsigned", FIELD_UINT, true, 0, false},
		{"flag", FIELD_BOOL, true, 0, false},
	};
	static const char *const spellings[] = {"true", "TRUE", "yes", "はい", "1", "false", "FALSE", "no",
						"いいえ", "0", NULL};
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		char err[256] = "", back[32];
		json_t *v = records_text_value(&kinds[k], kinds[k].name, text, err, sizeof err);
		if (!v) {
			if (!strstr(err, kinds[k].name))
				abort();   /* a reason that names the field */
			continue;
		}
		if (kinds[k].kind == FIELD_BOOL) {
			bool known = false;
			for (size_t i = 0; spellings[i]; i++)
				known = known || (strcmp(text, spellings[i]) == 0 && json_is_true(v) == (i < 5));
			if (!json_is_boolean(v) || !known)
				abort();
		} else {
			snprintf(back, sizeof back, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			if (!json_is_integer(v) || strcmp(back, text) != 0 ||
			    (kinds[k].kind == FIELD_UINT && json_integer_value(v) < 0))
				abort();
		}
		json_decref(v);
	}
}

/* A header cell's suggested spelling keeps within its bounds and says something new, or nothing. */
static void header_spelling(const char *cell)
{
	char out[80];
	records_header_spelling(cell, out, sizeof out);
	size_t n = strlen(out);
	if (n > strlen(cell) || (n > 0 && strcmp(out, cell) == 0) || strpbrk(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		abort();
	/* Cut at 79 bytes, a suggestion may end in a blank or inside a character; whole, it may not. */
	if (strlen(cell) < sizeof out &&
	    ((n > 0 && (out[0] == ' ' || out[0] == '\t' || out[n - 1] == ' ' || out[n - 1] == '\t')) ||
	     !utf8_valid((const uint8_t *)out, n)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r;
	char err[256];
	enum csv_status s;
	size_t records = 0;
	csv_init(&r, (const char *)data, size);
	while ((s = csv_next(&r, err, sizeof err)) == CSV_RECORD) {
		if (r.nfields == 0 || r.nfields > CSV_MAX_FIELDS)
			abort();
		size_t bytes = 0;
		for (size_t i = 0; i < r.nfields; i++) {
			size_t n = strlen(r.field[i]);
			if (!utf8_valid((const uint8_t *)r.field[i], n))
				abort();
			bytes += n;
			typed_values(r.field[i]);
			header_spelling(r.field[i]);
		}
		if (bytes > CSV_MAX_RECORD)
			abort();
		round_trip(&r, bytes);
		/* Each record consumes at least one byte: the input bounds the records. */
		if (++records > size)
			abort();
	}
	if (s == CSV_BAD && err[0] == '\0')
		abort();
	csv_free(&r);
	return 0;
}
