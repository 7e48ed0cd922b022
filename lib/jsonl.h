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
	char *buf;          /* input read ahead; lines are handed out in place */
	size_t cap, pos, end;
	bool eof;
	bool edited;        /* input a person may have saved from an editor (jsonl_init_edited) */
};

enum jsonl_status { JSONL_OK, JSONL_EOF, JSONL_BAD, JSONL_IOERR };

/* Start reading fp; name is used in messages. */
void jsonl_init(struct jsonl_reader *r, FILE *fp, const char *name);
/*
 * As jsonl_init, for a file a person may have written in an editor or saved
 * from a spreadsheet: a UTF-8 byte order mark before the first line (Excel,
 * Notepad) is skipped, and a line starting with one later is JSONL_BAD
 * naming it (files joined with cat).  Program-to-program streams use
 * jsonl_init, which takes the mark for what it is, bad JSON.
 */
void jsonl_init_edited(struct jsonl_reader *r, FILE *fp, const char *name);
/*
 * Read the next non-blank line, checked for length (not for UTF-8: the JSON
 * parser does that), into *line (NUL-terminated, owned by the reader, valid
 * until the next call) and *len.
 */
enum jsonl_status jsonl_next_line(struct jsonl_reader *r, const char **line, size_t *len,
				  char *err, size_t errlen);
/*
 * Read the next non-blank line as a JSON value into *out (caller decrefs).
 * JSONL_BAD: the line is too long, not UTF-8 or not JSON; err says why and
 * r->line says where.  JSONL_IOERR: reading failed (errno set).
 */
enum jsonl_status jsonl_next(struct jsonl_reader *r, json_t **out, char *err, size_t errlen);
/* The bytes read ahead from fp and not handed out yet: fp's position less these is where the next line starts. */
size_t jsonl_pending(const struct jsonl_reader *r);
/* Free the reader's buffer (does not close fp). */
void jsonl_free(struct jsonl_reader *r);

/*
 * Call read on each of files ("-" is stdin), or on stdin when nfiles is 0,
 * until one returns non-zero (passed back); a file that cannot be opened is
 * reported, ending with "; " undone (such as "nothing was stored"), as EX_NOINPUT.
 */
int jsonl_read_inputs(char *const *files, int nfiles, const char *undone,
		      int (*read)(void *ctx, FILE *fp, const char *name), void *ctx);

/* Write one JSON value as a compact line on out and free it; false on write error. */
bool jsonl_write(FILE *out, json_t *v);
/* jsonl_write on stdout. */
bool jsonl_print(json_t *v);

#endif
