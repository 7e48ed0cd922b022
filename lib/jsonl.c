#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "util.h"

void jsonl_init(struct jsonl_reader *r, FILE *fp, const char *name)
{
	memset(r, 0, sizeof *r);
	r->fp = fp;
	r->name = name;
	r->cap = 4096;
	r->buf = xmalloc(r->cap);
}

void jsonl_free(struct jsonl_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Read one line without its newline into r->buf; -1 at EOF, -2 on error, -3 if too long. */
static long read_line(struct jsonl_reader *r)
{
	size_t len = 0;
	int c;
	bool too_long = false;
	for (;;) {
		c = getc(r->fp);
		if (c == EOF) {
			if (ferror(r->fp))
				return -2;
			if (len == 0 && !too_long)
				return -1;
			break;
		}
		if (c == '\n')
			break;
		if (len >= CHOBO_MAX_LINE) {
			too_long = true;
			continue; /* consume the rest of the line */
		}
		if (len + 1 >= r->cap) {
			r->cap *= 2;
			r->buf = xrealloc(r->buf, r->cap);
		}
		r->buf[len++] = (char)c;
	}
	r->line++;
	if (too_long)
		return -3;
	r->buf[len] = '\0';
	return (long)len;
}

enum jsonl_status jsonl_next(struct jsonl_reader *r, json_t **out, char *err, size_t errlen)
{
	*out = NULL;
	for (;;) {
		long n = read_line(r);
		if (n == -1)
			return JSONL_EOF;
		if (n == -2)
			return JSONL_IOERR;
		if (n == -3) {
			snprintf(err, errlen, "line longer than %d bytes", CHOBO_MAX_LINE);
			return JSONL_BAD;
		}
		size_t len = (size_t)n;
		if (strspn(r->buf, " \t\r") == len)
			continue;
		if (!utf8_valid((const uint8_t *)r->buf, len)) {
			snprintf(err, errlen, "line is not valid UTF-8");
			return JSONL_BAD;
		}
		json_error_t jerr;
		*out = json_loadb(r->buf, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!*out) {
			snprintf(err, errlen, "invalid JSON at column %d: %s", jerr.column, jerr.text);
			return JSONL_BAD;
		}
		return JSONL_OK;
	}
}

bool jsonl_print(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (!s)
		chobo_die(EX_OSERR, "out of memory");
	bool ok = fputs(s, stdout) >= 0 && putchar('\n') != EOF;
	free(s);
	return ok;
}
