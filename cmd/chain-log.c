/* chain-log: print stored entries, exactly as stored, one per line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli.h"
#include "ledger.h"
#include "log_list.h"
#include "util.h"

static const char usage[] =
	"usage: chain-log [-q] [-L DIR] [--log ORIGIN] [--type TYPE] [--from N] [--to N]\n"
	"                 [--since TIME] [--until TIME]\n"
	"Print entries (JSON Lines, exactly as stored) of every log or of one.\n"
	"Environment: CHOBO_LEDGER, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 66 no input, 71 system error,\n"
	"74 I/O error, 75 busy, 78 configuration.  See chain-log(1).\n";

/* Output is gathered under the lock in chunks of about this size, then written unlocked. */
#define CHUNK_BYTES (4u << 20)

struct filter {
	const char *log, *type;
	uint64_t from, to;
	bool has_since, has_until;
	int64_t since, until;
};

static bool type_matches(const char *pattern, const char *type)
{
	size_t n = strlen(pattern);
	if (n > 0 && pattern[n - 1] == '.')
		return strncmp(pattern, type, n) == 0;
	return strcmp(pattern, type) == 0;
}

static bool wanted(const struct filter *f, const void *data, size_t len)
{
	if (!f->type && !f->has_since && !f->has_until)
		return true;
	json_t *root = json_loadb(data, len, 0, NULL);
	const char *type = json_string_value(json_object_get(root, "type"));
	const char *time = json_string_value(json_object_get(root, "time"));
	int64_t t = 0;
	bool ok = root && type && time && time_parse(time, &t) &&
		  (!f->type || type_matches(f->type, type)) &&
		  (!f->has_since || t >= f->since) && (!f->has_until || t < f->until);
	json_decref(root);
	return ok;
}

/*
 * Append matching entries of one log to out, up to CHUNK_BYTES, from *next
 * on; *next becomes where to go on, or UINT64_MAX at the log's end.  0 or
 * an exit code.
 */
static int read_chunk(struct ledger *l, const struct log_info *log, uint64_t *next, const struct filter *f,
		      char **out, size_t *used, size_t *cap)
{
	struct store_cursor *c = store_cursor_open(l->store, STORE_ENTRIES, log->id);
	if (!c) {
		chobo_warn("%s", store_error(l->store));
		return EX_IOERR;
	}
	store_cursor_seek(c, *next);
	uint64_t index;
	const void *data;
	size_t len;
	int rc = STORE_OK;
	while (*used < CHUNK_BYTES && (rc = store_cursor_next(c, &index, &data, &len)) == STORE_OK) {
		if (index > f->to || index >= log->size) {
			*next = UINT64_MAX;
			break;
		}
		*next = index + 1;
		if (!wanted(f, data, len))
			continue;
		if (*used + len + 1 > *cap) {
			*cap = (*used + len + 1) * 2;
			*out = xrealloc(*out, *cap);
		}
		memcpy(*out + *used, data, len);
		(*out)[*used + len] = '\n';
		*used += len + 1;
	}
	if (rc == STORE_NOTFOUND)
		*next = UINT64_MAX;
	store_cursor_close(c);
	if (rc == STORE_ERROR) {
		chobo_warn("%s", store_error(l->store));
		return EX_IOERR;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"log", required_argument, NULL, 'l'},
		{"type", required_argument, NULL, 't'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 'T'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct filter f = {.to = UINT64_MAX};
	const char *dir = ledger_default_dir();
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'l': f.log = optarg; break;
		case 't': f.type = optarg; break;
		case 'f': f.from = cli_u64("--from", optarg); break;
		case 'T': f.to = cli_u64("--to", optarg); break;
		case 's':
		case 'u':
			if (!time_parse(optarg, opt == 's' ? &f.since : &f.until))
				chobo_die(EX_USAGE, "%s: not an RFC 3339 time", optarg);
			*(opt == 's' ? &f.has_since : &f.has_until) = true;
			break;
		}
	}
	if (optind != argc)
		cli_usage_error(usage);

	struct log_list logs = {0};
	uint64_t *next = NULL;   /* per log: the next index to read */
	char *out = NULL;
	size_t used = 0, cap = 0;
	int rc = 0;
	bool first = true;
	size_t cur = 0;
	while (rc == 0) {
		struct ledger l;
		struct chobo_error e;
		if ((rc = cli_report(ledger_open_read(&l, dir, &e), &e)) != 0)
			break;
		if (first) {
			rc = cli_report(log_list_read(&l, f.log, &logs, &e), &e);
			next = xcalloc(logs.n ? logs.n : 1, sizeof *next);
			for (size_t i = 0; i < logs.n; i++)
				next[i] = f.from;
			first = false;
		}
		while (rc == 0 && cur < logs.n && used < CHUNK_BYTES) {
			rc = read_chunk(&l, &logs.v[cur], &next[cur], &f, &out, &used, &cap);
			if (next[cur] == UINT64_MAX)
				cur++;
		}
		int crc = cli_report(ledger_close(&l, &e), &e);
		if (rc == 0)
			rc = crc;
		/* Written with the ledger unlocked: a slow reader must not hold up writers. */
		if (used > 0 && !write_all(1, out, used)) {
			chobo_warn_errno("write error on standard output");
			rc = EX_IOERR;
		}
		used = 0;
		if (cur >= logs.n)
			break;
	}
	log_list_free(&logs);
	free(next);
	free(out);
	cli_exit(rc);
}
