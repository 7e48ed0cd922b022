/*
 * Records for the programs that post many at once (supply-post,
 * ecopt-grant): JSON objects read from JSON Lines or CSV text, each with
 * where it came from ("file:line") for the messages.  A CSV file's header
 * row names the columns; each later row becomes one object of its non-empty
 * cells.  A JSON line is kept as text too: jansson keeps a number only as a
 * double, and a quantity is judged on the digits as written.
 */
#ifndef CHOBO_RECORDS_H
#define CHOBO_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#include "util.h"

/* One record: an object (owned by the list), where it came from, and its JSON line (NULL for a CSV row). */
struct record {
	json_t *o;
	char where[320];
	char *json;       /* the line as read, NUL-terminated (owned by the list) */
	size_t json_len;
};

struct records {
	struct record *rec;
	size_t n, cap;
};

enum records_format {
	RECORDS_DETECT,   /* JSON Lines when the first character (after a BOM and white space) is '{', refused when '[' (an array), else CSV */
	RECORDS_CSV,
	RECORDS_JSONL,
};

/* How CSV columns become members; a NULL hook takes the header name as is, and the cell as a JSON string. */
struct records_csv {
	/* The member that column i (1-based) called name fills, valid while the text is read; NULL with err. */
	const char *(*column)(void *ctx, size_t i, const char *name, char *err, size_t errlen);
	/* A cell of the column filling member as a JSON value; NULL with err. */
	json_t *(*value)(void *ctx, const char *member, const char *cell, char *err, size_t errlen);
	void *ctx;
};

struct field_spec;

/*
 * The JSON value that text (an option's value, a CSV cell) gives field f of
 * an entry type: an integer for an integer field (decimal digits without
 * leading zero, and a '-' first for a signed one, not "-0"), true or false for a
 * boolean (true, TRUE, yes, はい, 1 or false, FALSE, no, いいえ, 0), else
 * (and for a NULL f) a string, for the schema to judge.  NULL with a
 * reason that names the field (or member, for a NULL f) in err.
 */
json_t *records_text_value(const struct field_spec *f, const char *member, const char *text, char *err,
			   size_t errlen);

/* Append o (taking it) to l, from name and line (0: name alone), with no JSON text. */
void records_add(struct records *l, json_t *o, const char *name, unsigned long line);
/* Decref every record's object, free their JSON texts and l's array. */
void records_free(struct records *l);

/*
 * Parse text (len bytes, read from name) in format f and append its records
 * to l; csv may be NULL.  Blank lines are skipped (in CSV, rows whose cells
 * are all empty too, as spreadsheets leave them); a JSON line is at most
 * CHOBO_MAX_LINE bytes and must be an object without duplicate members; a
 * CSV header names no member twice (empty names aside), and a row must have
 * as many fields as the header, and leaves empty the cells of a column
 * without a name.  False with
 * "name:line: reason" in err; the records before the bad one stay in l.
 */
bool records_parse(struct records *l, const char *text, size_t len, const char *name, enum records_format f,
		   const struct records_csv *csv, char *err, size_t errlen);

/* All of fp in a new buffer (not NUL-terminated), at most the batch size; NULL with errno (EFBIG past it). */
char *records_read_all(FILE *fp, size_t *len);

/*
 * A CSV header cell as a field name would be written: without the blanks
 * around it (records_end_blank's, U+3000 too), ASCII letters in lower case
 * ("Site " -> "site"), into out (cap
 * bytes), for a refusal to suggest; "" when that changes nothing.
 */
void records_header_spelling(const char *cell, char *out, size_t cap);

/* names (NULL-ended) into out (cap bytes) as "a, b and c". */
void records_name_list(char *out, size_t cap, const char *const *names);

/*
 * For a records_csv column hook: CSV header cell name, of column i, names
 * no field of what ("a reading"), said in err with the spelling to write
 * when records_header_spelling makes it one of fields (NULL-ended), else
 * with fields listed; returns NULL, what the hook returns.
 */
const char *records_column_unknown(const char *what, const char *const *fields, size_t i, const char *name,
				   char *err, size_t errlen);
/* The same for a JSON record's member name: "WHAT has no field ..." in err, without a column. */
void records_field_unknown(const char *what, const char *const *fields, const char *name, char *err, size_t errlen);

/*
 * The blank (a space, a tab, or U+3000, the ideographic space) that text s
 * starts or ends with, named for a refusal ("a space before it", "an
 * ideographic space (U+3000) after it"), and s without the blanks at
 * either end in fix (cap bytes, cut to fit); NULL, fix untouched, when it
 * has none.
 */
const char *records_end_blank(const char *s, char *fix, size_t cap);
/* True unless text s of member name has such a blank; false with "NAME: \"S\" has BLANK: write \"FIX\"" in why. */
bool records_value_unblank(const char *name, const char *s, char *why, size_t whylen);

/*
 * A copied row: the record before record i of l that gave key too, or NULL
 * when i is the first to give it.  seen (a JSON object the caller makes
 * and frees) remembers the first record of each key.
 */
const struct record *records_earlier_with(const struct records *l, json_t *seen, const char *key, size_t i);

/*
 * In a reason about the record that a program's --FIELD options made, each
 * "body.NAME" becomes "--NAME" (underscores written as dashes), so that it
 * names what the user typed.
 */
void records_name_options(char *why, size_t cap);

/*
 * When err is about a batch entry (err->batch_entry, chobo_fail_entry), put
 * before it where the record that made that entry came from: entry N
 * (1-based) was made by l's record of[N - 1] (of NULL: by record N - 1), of
 * having nof items.
 */
void records_name_entry(const struct records *l, const size_t *of, size_t nof, struct chobo_error *err);

#endif
