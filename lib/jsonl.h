/* JSON Lines input with bounded line length and line numbers; JSON output. */
#ifndef CHOBO_JSONL_H
#define CHOBO_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

struct jsonl_reader {
	FILE *fp;
	const char *name;   /* for diagnostics: a file name or "stdin" */
	unsigned long line; /* number of the line last read */
	char *buf;
	size_t cap;
};

enum jsonl_status { JSONL_OK, JSONL_EOF, JSONL_BAD, JSONL_IOERR };

/* Start reading fp; name is used in messages. */
void jsonl_init(struct jsonl_reader *r, FILE *fp, const char *name);
/*
 * Read the next non-blank line as a JSON value into *out (caller decrefs).
 * JSONL_BAD: the line is too long, not UTF-8 or not JSON; err says why and
 * r->line says where.  JSONL_IOERR: reading failed (errno set).
 */
enum jsonl_status jsonl_next(struct jsonl_reader *r, json_t **out, char *err, size_t errlen);
/* Free the reader's buffer (does not close fp). */
void jsonl_free(struct jsonl_reader *r);

/* Print one JSON value as a compact line on stdout and free it; false on write error. */
bool jsonl_print(json_t *v);

#endif
