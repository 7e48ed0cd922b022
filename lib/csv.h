/*
 * CSV input (RFC 4180) for the staff who keep tables in spreadsheets:
 * records from a text held in memory, fields separated by commas, quoted
 * with '"' (a quote inside doubled), records ended by CRLF or LF.  A UTF-8
 * byte order mark at the start is skipped (Excel writes one); blank lines
 * are skipped.  Every field must be UTF-8 without NUL.  Bounded: at most
 * CSV_MAX_FIELDS fields and CSV_MAX_RECORD bytes a record.
 *
 * Text that a spreadsheet would run as a formula is written after an
 * apostrophe (csv_formula_guarded), and read back without it, so that what
 * chobo writes it reads back as it was.
 */
#ifndef CHOBO_CSV_H
#define CHOBO_CSV_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_MAX_FIELDS 256
#define CSV_MAX_RECORD (64 * 1024)

struct csv_reader {
	const char *text;
	size_t len, pos;
	unsigned long line;          /* the line the last record started on (1-based) */
	unsigned long next_line;     /* the line at pos */
	char *buf;                   /* the last record's fields, unquoted, each NUL-terminated */
	const char *field[CSV_MAX_FIELDS];
	size_t nfields;
};

enum csv_status { CSV_RECORD, CSV_END, CSV_BAD };

/*
 * Whether the n bytes at s are written after an apostrophe: they begin as a
 * spreadsheet formula does (= + - @, a tab or a carriage return) and are not
 * a plain decimal number such as -12 or +3.5, or they are an apostrophe
 * before such text (so that reading back, which drops the one apostrophe
 * before guarded text, gives every text back as it was).
 */
bool csv_formula_guarded(const char *s, size_t n);

/* Start reading text (len bytes, which the reader does not copy). */
void csv_init(struct csv_reader *r, const char *text, size_t len);
/*
 * The next record into r->field[0..r->nfields) (valid until the next call):
 * CSV_RECORD, CSV_END after the last one, or CSV_BAD with the reason in err
 * and r->line saying where.  A field that is an apostrophe before text
 * csv_formula_guarded would guard is given without that apostrophe.
 */
enum csv_status csv_next(struct csv_reader *r, char *err, size_t errlen);
/* Free the reader's buffer. */
void csv_free(struct csv_reader *r);

#endif
