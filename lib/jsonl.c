#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonl.h"
#include "util.h"

/* Read-ahead buffer: room for the longest line, its newline and a terminating NUL. */
#define READ_AHEAD (1u << 20)

void jsonl_init(struct jsonl_reader *r, FILE *fp, const char *name)
{
	memset(r, 0, sizeof *r);
	r->fp = fp;
	r->name = name;
	r->cap = READ_AHEAD + CHOBO_MAX_LINE + 2;
	r->buf = xmalloc(r->cap);
}

void jsonl_init_edited(struct jsonl_reader *r, FILE *fp, const char *name)
{
	jsonl_init(r, fp, name);
	r->edited = true;
}

size_t jsonl_pending(const struct jsonl_reader *r)
{
	return r->end - r->pos;
}

void jsonl_free(struct jsonl_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Move unread input to the front and read more; false on a read error. */
static bool refill(struct jsonl_reader *r)
{
	memmove(r->buf, r->buf + r->pos, r->end - r->pos);
	r->end -= r->pos;
	r->pos = 0;
	size_t room = r->cap - 1 - r->end;
	size_t n = fread(r->buf + r->end, 1, room, r->fp);
	r->end += n;
	if (n < room) {
		if (ferror(r->fp))
			return false;
		r->eof = true;
	}
	return true;
}

/* Find the next line in place; -1 at EOF, -2 on error, -3 if too long, else its length. */
static long read_line(struct jsonl_reader *r, char **line)
{
	bool too_long = false;
	for (;;) {
		char *start = r->buf + r->pos;
		char *nl = memchr(start, '\n', r->end - r->pos);
		if (nl || (r->eof && r->pos < r->end)) {
			size_t len = nl ? (size_t)(nl - start) : r->end - r->pos;
			r->pos += len + (nl ? 1 : 0);
			r->line++;
			if (too_long || len > CHOBO_MAX_LINE)
				return -3;
			start[len] = '\0';
			*line = start;
			return (long)len;
		}
		if (r->eof)
			return too_long ? (r->line++, -3) : -1;
		if (r->end - r->pos > CHOBO_MAX_LINE) {
			/* Drop the overlong line's head and keep looking for its end. */
			too_long = true;
			r->pos = r->end;
		}
		if (!refill(r))
			return -2;
	}
}

enum jsonl_status jsonl_next_line(struct jsonl_reader *r, const char **line, size_t *len,
				  char *err, size_t errlen)
{
	for (;;) {
		char *buf;
		long n = read_line(r, &buf);
		if (n == -1)
			return JSONL_EOF;
		if (n == -2)
			return JSONL_IOERR;
		if (n == -3) {
			snprintf(err, errlen, "line longer than %d bytes", CHOBO_MAX_LINE);
			return JSONL_BAD;
		}
		if (r->edited) {
			size_t bom = r->line == 1 ? utf8_bom_length(buf, (size_t)n) : 0;
			buf += bom;
			n -= (long)bom;
			if (utf8_bom_length(buf, (size_t)n) > 0) {
				snprintf(err, errlen, "the line starts with a byte order mark (as Excel's \"CSV UTF-8\" and "
					 "Notepad write); one is skipped only at the start of a file (were files joined "
					 "with cat?)");
				return JSONL_BAD;
			}
		}
		if (strspn(buf, " \t\r") == (size_t)n)
			continue;
		*line = buf;
		*len = (size_t)n;
		return JSONL_OK;
	}
}

enum jsonl_status jsonl_next(struct jsonl_reader *r, json_t **out, char *err, size_t errlen)
{
	const char *line;
	size_t len;
	json_error_t jerr;
	*out = NULL;
	enum jsonl_status s = jsonl_next_line(r, &line, &len, err, errlen);
	if (s != JSONL_OK)
		return s;
	*out = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out) {
		snprintf(err, errlen, "invalid JSON at column %d: %s", jerr.column, jerr.text);
		return JSONL_BAD;
	}
	return JSONL_OK;
}

bool jsonl_write(FILE *out, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (!s)
		chobo_die(EX_OSERR, "out of memory");
	bool ok = fputs(s, out) >= 0 && putc('\n', out) != EOF;
	free(s);
	return ok;
}

bool jsonl_print(json_t *v)
{
	return jsonl_write(stdout, v);
}

int jsonl_read_inputs(char *const *files, int nfiles, const char *undone,
		      int (*read)(void *ctx, FILE *fp, const char *name), void *ctx)
{
	if (nfiles == 0)
		return read(ctx, stdin, "stdin");
	int rc = 0;
	for (int i = 0; i < nfiles && rc == 0; i++) {
		FILE *fp = strcmp(files[i], "-") == 0 ? stdin : fopen(files[i], "r");
		if (!fp) {
			/* The reason goes with the file it is about, before what it undid. */
			chobo_warn("%s: %s; %s", files[i], strerror(errno), undone);
			return EX_NOINPUT;
		}
		/* fopen opens a directory for reading; its first read would be an I/O error (74), not "no input". */
		struct stat sb;
		if (fp != stdin && fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
			chobo_warn("%s: is a directory, not a file of records; %s", files[i], undone);
			fclose(fp);
			return EX_NOINPUT;
		}
		rc = read(ctx, fp, fp == stdin ? "stdin" : files[i]);
		if (fp != stdin)
			fclose(fp);
	}
	return rc;
}
