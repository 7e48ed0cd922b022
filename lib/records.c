/* Records from JSON Lines or CSV text; see records.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "entry.h"
#include "json_scan.h"
#include "records.h"
#include "util.h"

/*
 * text with the full-width forms of ASCII (an IME's) as ASCII into out, of
 * cap bytes: true when it had one and nothing else beyond ASCII, so that
 * out is what to write instead.
 */
static bool ascii_of_fullwidth(const char *text, char *out, size_t cap)
{
	size_t n = 0;
	bool wide = false;
	for (const char *p = text; *p; n++) {
		char c = utf8_fullwidth_ascii(p);
		if (n + 1 >= cap || (!c && (unsigned char)*p >= 0x80))
			return false;
		out[n] = c ? c : *p;
		p += c ? 3 : 1;
		wide = wide || c;
	}
	out[n] = '\0';
	return wide;
}

json_t *records_text_value(const struct field_spec *f, const char *member, const char *text, char *err,
			   size_t errlen)
{
	const char *name = f ? f->name : member;
	if (f && (f->kind == FIELD_INT || f->kind == FIELD_UINT)) {
		bool negative = f->kind == FIELD_INT && text[0] == '-';
		uint64_t v;
		if (!parse_u64(text + negative, &v) || (negative && v == 0)) {
			char ascii[48];
			uint64_t w;
			int at = snprintf(err, errlen, "%s: expected a whole number in digits (%s), not \"%.*s\"", name,
					  f->kind == FIELD_INT ? "'-' before a negative one; no '+', separator, leading zero "
								 "or -0"
							       : "no sign, separator or leading zero",
					  (int)utf8_cut(text, 40), text);
			/* Full-width digits look like digits: say what to write, when that is a number. */
			if (at > 0 && (size_t)at < errlen && ascii_of_fullwidth(text, ascii, sizeof ascii) &&
			    parse_u64(ascii + (f->kind == FIELD_INT && ascii[0] == '-'), &w))
				snprintf(err + at, errlen - (size_t)at, ": it is in full-width digits; write \"%s\"", ascii);
			return NULL;
		}
		if (v > (uint64_t)INT64_MAX) {
			snprintf(err, errlen, "%s: \"%.*s\" is out of range (a %s number)", name,
				 (int)utf8_cut(text, 40), text, negative ? "too small" : "too large");
			return NULL;
		}
		return json_integer(negative ? -(json_int_t)v : (json_int_t)v);
	}
	if (f && f->kind == FIELD_BOOL) {
		/* As Excel writes them, and as staff type them. */
		static const char *const yes[] = {"true", "TRUE", "yes", "はい", "1", NULL};
		static const char *const no[] = {"false", "FALSE", "no", "いいえ", "0", NULL};
		for (size_t i = 0; yes[i]; i++) {
			if (strcmp(text, yes[i]) == 0)
				return json_true();
			if (strcmp(text, no[i]) == 0)
				return json_false();
		}
		snprintf(err, errlen, "%s: expected true or false, not \"%.*s\"", name, (int)utf8_cut(text, 40), text);
		return NULL;
	}
	json_t *v = json_string(text);
	if (!v)
		snprintf(err, errlen, "%s: not UTF-8 text", name);
	return v;
}

void records_add(struct records *l, json_t *o, const char *name, unsigned long line)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->rec = xrealloc(l->rec, l->cap * sizeof *l->rec);
	}
	l->rec[l->n].o = o;
	l->rec[l->n].json = NULL;
	l->rec[l->n].json_len = 0;
	if (line)
		snprintf(l->rec[l->n].where, sizeof l->rec[l->n].where, "%s:%lu", name, line);
	else
		snprintf(l->rec[l->n].where, sizeof l->rec[l->n].where, "%s", name);
	l->n++;
}

void records_free(struct records *l)
{
	for (size_t i = 0; i < l->n; i++) {
		json_decref(l->rec[i].o);
		free(l->rec[i].json);
	}
	free(l->rec);
	memset(l, 0, sizeof *l);
}

static bool parse_csv(struct records *l, const char *text, size_t len, const char *name,
		      const struct records_csv *csv, char *err, size_t errlen)
{
	struct csv_reader r;
	char why[256];
	char *member[CSV_MAX_FIELDS];   /* the header's members, copied */
	size_t ncols = 0;
	enum csv_status s;
	bool ok = true;
	csv_init(&r, text, len);
	while (ok && (s = csv_next(&r, why, sizeof why)) == CSV_RECORD) {
		size_t empty = 0;
		while (empty < r.nfields && !r.field[empty][0])
			empty++;
		if (empty == r.nfields)
			continue;   /* a row of empty cells (",,,," that a spreadsheet leaves) is a blank line */
		if (ncols == 0 && r.nfields == 1 && strpbrk(r.field[0], ";\t")) {
			/* A spreadsheet set to another list separator saves ';' (or a tab) between the columns. */
			snprintf(err, errlen, "%s:%lu: the header is one column holding %s: CSV here is separated by "
				 "commas (in a spreadsheet, save as \"CSV UTF-8 (comma delimited)\")", name, r.line,
				 strchr(r.field[0], ';') ? "semicolons" : "tabs");
			ok = false;
			break;
		}
		if (ncols == 0) {
			for (size_t i = 0; i < r.nfields; i++) {
				const char *m = csv && csv->column ? csv->column(csv->ctx, i + 1, r.field[i], why, sizeof why)
								   : r.field[i];
				if (!m) {
					snprintf(err, errlen, "%s:%lu: %s", name, r.line, why);
					ok = false;
					break;
				}
				/*
				 * A member named twice would keep one of its cells and drop the other
				 * unseen, as JSON refuses (duplicate member names); the empty
				 * columns a spreadsheet leaves at the right may repeat.
				 */
				for (size_t j = 0; ok && m[0] && j < ncols; j++)
					if (strcmp(member[j], m) == 0) {
						snprintf(err, errlen, "%s:%lu: columns %zu and %zu are both %.*s", name,
							 r.line, j + 1, i + 1, (int)utf8_cut(m, 64), m);
						ok = false;
					}
				if (!ok)
					break;
				member[ncols++] = xstrdup(m);
			}
			continue;
		}
		if (r.nfields != ncols) {
			snprintf(err, errlen, "%s:%lu: %zu fields, but the header has %zu", name, r.line, r.nfields, ncols);
			ok = false;
			break;
		}
		json_t *o = json_object();
		if (!o)
			xalloc_failed();
		for (size_t i = 0; ok && i < ncols; i++) {
			if (!r.field[i][0])
				continue;   /* an empty cell: the member is not given */
			if (!member[i][0]) {
				/* A column the header leaves unnamed holds nothing a record could be given. */
				snprintf(err, errlen, "%s:%lu: column %zu has no name in the header, but this row gives it \"%.*s\"",
					 name, r.line, i + 1, (int)utf8_cut(r.field[i], 40), r.field[i]);
				ok = false;
				break;
			}
			json_t *v = csv && csv->value ? csv->value(csv->ctx, member[i], r.field[i], why, sizeof why)
						      : json_string(r.field[i]);
			if (!v) {
				snprintf(err, errlen, "%s:%lu: %s", name, r.line,
					 csv && csv->value ? why : "not UTF-8 text");
				ok = false;
			} else if (json_object_set_new(o, member[i], v) != 0) {
				xalloc_failed();
			}
		}
		if (ok)
			records_add(l, o, name, r.line);
		else
			json_decref(o);
	}
	if (ok && s == CSV_BAD) {
		snprintf(err, errlen, "%s:%lu: %s", name, r.line, why);
		ok = false;
	}
	for (size_t i = 0; i < ncols; i++)
		free(member[i]);
	csv_free(&r);
	return ok;
}

static bool parse_jsonl(struct records *l, const char *text, size_t len, const char *name, char *err,
			size_t errlen)
{
	unsigned long line = 0;
	size_t pos = utf8_bom_length(text, len);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
		const char *p = text + pos;
		line++;
		pos = nl ? end + 1 : len;
		if (n > CHOBO_MAX_LINE) {
			snprintf(err, errlen, "%s:%lu: a line longer than %d bytes", name, line, CHOBO_MAX_LINE);
			return false;
		}
		size_t blank = 0;
		while (blank < n && (p[blank] == ' ' || p[blank] == '\t' || p[blank] == '\r'))
			blank++;
		if (blank == n)
			continue;
		json_error_t je;
		json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(o)) {
			/* Said as every program says it (json_scan's words); jansson's own where json_scan finds none. */
			char why[160];
			struct json_doc doc = {0};
			bool scanned = o || json_scan(&doc, p, n, why, sizeof why);
			json_doc_free(&doc);
			/* What only jansson refuses is a number it cannot hold (too big integer, real number overflow). */
			if (!o && scanned)
				snprintf(why, sizeof why, "invalid JSON at byte %d: %.100s", je.position, je.text);
			snprintf(err, errlen, "%s:%lu: %s", name, line, o ? "expected a JSON object" : why);
			json_decref(o);
			return false;
		}
		records_add(l, o, name, line);
		struct record *rec = &l->rec[l->n - 1];
		rec->json = xmalloc(n + 1);
		memcpy(rec->json, p, n);
		rec->json[n] = '\0';
		rec->json_len = n;
	}
	return true;
}

bool records_parse(struct records *l, const char *text, size_t len, const char *name, enum records_format f,
		   const struct records_csv *csv, char *err, size_t errlen)
{
	if (f == RECORDS_DETECT) {
		size_t p = utf8_bom_length(text, len);
		while (p < len && strchr(" \t\r\n", text[p]))
			p++;
		/* A JSON array would read as a CSV header without rows: nothing, without a word. */
		if (p < len && text[p] == '[') {
			snprintf(err, errlen, "%s:1: a JSON array: give JSON Lines, one object per line (jq -c '.[]' converts)",
				 name);
			return false;
		}
		f = p < len && text[p] != '{' ? RECORDS_CSV : RECORDS_JSONL;
	}
	return f == RECORDS_CSV ? parse_csv(l, text, len, name, csv, err, errlen)
				: parse_jsonl(l, text, len, name, err, errlen);
}

char *records_read_all(FILE *fp, size_t *len)
{
	size_t cap = 1 << 16, n = 0, max = (size_t)chobo_limit("BATCH_BYTES", CHOBO_MAX_BATCH_BYTES);
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n > max) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	if (ferror(fp)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

void records_name_options(char *why, size_t cap)
{
	char out[sizeof ((struct chobo_error *)0)->msg];
	size_t n = 0;
	for (const char *p = why; *p && n + 3 < sizeof out;) {
		if (strncmp(p, "body.", 5) == 0 && ((p[5] >= 'a' && p[5] <= 'z') || p[5] == '_')) {
			out[n++] = '-';
			out[n++] = '-';
			for (p += 5; ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') && n + 1 < sizeof out;
			     p++)
				out[n++] = *p == '_' ? '-' : *p;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	snprintf(why, cap, "%s", out);
}

void records_name_entry(const struct records *l, const size_t *of, size_t nof, struct chobo_error *err)
{
	uint64_t entry = err->batch_entry;
	size_t rec;
	if (entry < 1)
		return;
	if (of)
		rec = entry <= nof ? of[entry - 1] : l->n;
	else
		rec = entry - 1;
	if (rec >= l->n)
		return;
	(void)chobo_fail_context(err, 0, "%s", l->rec[rec].where);
}

const struct record *records_earlier_with(const struct records *l, json_t *seen, const char *key, size_t i)
{
	json_t *earlier = json_object_get(seen, key);
	if (earlier)
		return &l->rec[json_integer_value(earlier)];
	/* Unchecked: a key cut at a byte count need not be UTF-8, and is only compared. */
	if (json_object_set_new_nocheck(seen, key, json_integer((json_int_t)i)) != 0)
		xalloc_failed();
	return NULL;
}

bool records_value_unblank(const char *name, const char *s, char *why, size_t whylen)
{
	char fix[256];
	const char *blank = records_end_blank(s, fix, sizeof fix);
	if (blank)
		snprintf(why, whylen, "%s: \"%.*s\" has %s: write \"%s\"", name, (int)utf8_cut(s, 200), s, blank, fix);
	return !blank;
}

void records_header_spelling(const char *cell, char *out, size_t cap)
{
	char bare[256];   /* a field name is short: a longer cell is suggested cut */
	const char *p = records_end_blank(cell, bare, sizeof bare) ? bare : cell;   /* U+3000 too */
	size_t n = strlen(p), k = 0;
	if (cap == 0)
		return;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		out[k++] = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a') : p[i];
	out[k] = '\0';
	if (strcmp(out, cell) == 0)
		out[0] = '\0';   /* written as a field name already: nothing to suggest */
}

void records_name_list(char *out, size_t cap, const char *const *names)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t k = 0; names[k] && n < cap; k++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", k == 0 ? "" : names[k + 1] ? ", " : " and ", names[k]);
}

/* That what has no field name: where ("column 3: " or ""), then the spelling to write or the fields. */
static void field_unknown(const char *where, const char *what, const char *const *fields, const char *name,
			  char *err, size_t errlen)
{
	char list[512], spelt[80];
	records_header_spelling(name, spelt, sizeof spelt);
	/* "Member" or "member " (a spreadsheet's capital, a blank it kept): say the name to write. */
	for (size_t k = 0; spelt[0] && fields[k]; k++)
		if (strcmp(fields[k], spelt) == 0) {
			snprintf(err, errlen, "%s%s has no field \"%.*s\": write \"%s\" (field names are in lower case, "
				 "without blanks)", where, what, (int)utf8_cut(name, 64), name, spelt);
			return;
		}
	records_name_list(list, sizeof list, fields);
	/* Cut on a character: the reason goes into JSON result lines, which must stay UTF-8. */
	snprintf(err, errlen, "%s%s has no field \"%.*s\" (its fields: %s)", where, what, (int)utf8_cut(name, 64), name,
		 list);
}

const char *records_column_unknown(const char *what, const char *const *fields, size_t i, const char *name,
				   char *err, size_t errlen)
{
	char where[32];
	snprintf(where, sizeof where, "column %zu: ", i);
	field_unknown(where, what, fields, name, err, errlen);
	return NULL;
}

void records_field_unknown(const char *what, const char *const *fields, const char *name, char *err, size_t errlen)
{
	field_unknown("", what, fields, name, err, errlen);
}

/* Which blank (0 a space, 1 a tab, 2 U+3000) the n bytes at p start with (or end with, at_end), its bytes in *len; -1 for none. */
static int blank_kind(const char *p, size_t n, bool at_end, size_t *len)
{
	static const char *const blanks[] = {" ", "\t", "\xE3\x80\x80"};
	for (int k = 0; k < 3; k++) {
		*len = strlen(blanks[k]);
		if (n >= *len && memcmp(at_end ? p + n - *len : p, blanks[k], *len) == 0)
			return k;
	}
	return -1;
}

const char *records_end_blank(const char *s, char *fix, size_t cap)
{
	static const char *const named[3][2] = {
		{"a space before it", "a space after it"},
		{"a tab before it", "a tab after it"},
		{"an ideographic space (U+3000) before it", "an ideographic space (U+3000) after it"},
	};
	size_t n = strlen(s), len;
	int kind, first = -1, after = 0;
	while ((kind = blank_kind(s, n, false, &len)) >= 0) {
		if (first < 0)
			first = kind;
		s += len;
		n -= len;
	}
	while ((kind = blank_kind(s, n, true, &len)) >= 0) {
		if (first < 0)
			first = kind, after = 1;
		n -= len;
	}
	if (first < 0)
		return NULL;
	if (cap > 0) {
		if (n > cap - 1)   /* cut on a character: the message stays UTF-8 */
			n = utf8_cut(s, cap - 1);
		memcpy(fix, s, n);
		fix[n] = '\0';
	}
	return named[first][after];
}
