/* CSV records (RFC 4180), strictly: a quote is either a whole field's or doubled inside one. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"

/* Whether the n bytes at s are a decimal number as a spreadsheet reads one: a sign, digits, a point and digits. */
static bool plain_number(const char *s, size_t n)
{
	size_t i = 0, digits = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (digits && i < n && s[i] == '.') {
		size_t before = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == before)
			return false;
	}
	return digits && i == n;
}

bool csv_formula_guarded(const char *s, size_t n)
{
	while (n > 0 && s[0] == '\'')
		s++, n--;
	return n > 0 && memchr("=+-@\t\r", s[0], 6) != NULL && !plain_number(s, n);
}

void csv_init(struct csv_reader *r, const char *text, size_t len)
{
	memset(r, 0, sizeof *r);
	r->text = text;
	r->len = len;
	r->next_line = 1;
	r->pos = utf8_bom_length(text, len);
}

void csv_free(struct csv_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* At pos: the end of a record (CRLF, LF or the end of the text)?  Moves past it. */
static bool record_end(struct csv_reader *r)
{
	if (r->pos == r->len)
		return true;
	if (r->text[r->pos] == '\n') {
		r->pos++;
		r->next_line++;
		return true;
	}
	if (r->text[r->pos] == '\r' && r->pos + 1 < r->len && r->text[r->pos + 1] == '\n') {
		r->pos += 2;
		r->next_line++;
		return true;
	}
	return false;
}

enum csv_status csv_next(struct csv_reader *r, char *err, size_t errlen)
{
	/* Blank lines between records are skipped. */
	while (r->pos < r->len && (r->text[r->pos] == '\n' || r->text[r->pos] == '\r') && record_end(r))
		;
	r->line = r->next_line;
	r->nfields = 0;
	if (r->pos == r->len)
		return CSV_END;
	if (!r->buf)
		r->buf = xmalloc(CSV_MAX_RECORD + CSV_MAX_FIELDS);
	size_t used = 0;
	for (;;) {
		if (r->nfields == CSV_MAX_FIELDS) {
			snprintf(err, errlen, "more than %d fields in a record", CSV_MAX_FIELDS);
			return CSV_BAD;
		}
		size_t start = used;
		const char *t = r->text;
		if (r->pos < r->len && t[r->pos] == '"') {
			for (r->pos++;; r->pos++) {
				if (r->pos == r->len) {
					snprintf(err, errlen, "a quoted field does not end");
					return CSV_BAD;
				}
				if (t[r->pos] == '"') {
					if (r->pos + 1 < r->len && t[r->pos + 1] == '"')
						r->pos++;
					else
						break;
				} else if (t[r->pos] == '\n') {
					r->next_line++;
				}
				if (used >= CSV_MAX_RECORD) {
					snprintf(err, errlen, "a record longer than %d bytes", CSV_MAX_RECORD);
					return CSV_BAD;
				}
				r->buf[used++] = t[r->pos];
			}
			r->pos++;
		} else {
			for (; r->pos < r->len && t[r->pos] != ',' && t[r->pos] != '\n' && t[r->pos] != '\r'; r->pos++) {
				if (t[r->pos] == '"') {
					snprintf(err, errlen, "a quote inside an unquoted field (quote the whole field)");
					return CSV_BAD;
				}
				if (used >= CSV_MAX_RECORD) {
					snprintf(err, errlen, "a record longer than %d bytes", CSV_MAX_RECORD);
					return CSV_BAD;
				}
				r->buf[used++] = t[r->pos];
			}
		}
		if (memchr(r->buf + start, '\0', used - start)) {
			/* Not an encoding to convert: a binary file, or UTF-16 (which iconv -f UTF-16 converts). */
			snprintf(err, errlen, "field %zu holds a NUL byte (not a text file, or UTF-16)", r->nfields + 1);
			return CSV_BAD;
		}
		if (!utf8_valid((const uint8_t *)r->buf + start, used - start)) {
			snprintf(err, errlen, "field %zu is not UTF-8 text (convert Shift_JIS with iconv -f CP932)",
				 r->nfields + 1);
			return CSV_BAD;
		}
		if (used - start > 1 && r->buf[start] == '\'' &&
		    csv_formula_guarded(r->buf + start + 1, used - start - 1))
			start++;   /* the apostrophe the writer put before a formula's first character */
		r->buf[used++] = '\0';
		r->field[r->nfields++] = r->buf + start;
		if (r->pos < r->len && t[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (record_end(r))
			return CSV_RECORD;
		snprintf(err, errlen, t[r->pos] == '\r' ? "a carriage return without a line feed"
							 : "text after a closing quote");
		return CSV_BAD;
	}
}
