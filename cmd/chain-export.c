/* chain-export: write a bundle of logs' entries and signed checkpoints. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "checkpoint.h"
#include "cli.h"
#include "ledger.h"
#include "util.h"

static const char usage[] =
	"usage: chain-export [-q] [-L DIR] [--log ORIGIN] [--since SIZE | --since CHECKPOINT]\n"
	"                    [-o FILE]\n"
	"Write a bundle (all logs, or one; full, or since a size or a checkpoint you hold).\n";

struct selection {
	const char *log;
	bool has_since;
	uint64_t since;
	const struct checkpoint *held;  /* the requester's checkpoint, to check before exporting */
};

struct log_item {
	uint32_t id;
	char *origin;
};

struct log_list {
	struct log_item *v;
	size_t n;
	const char *only;
};

static int collect(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct log_list *ls = ctx;
	(void)size;
	if (ls->only && strcmp(ls->only, origin) != 0)
		return 0;
	ls->v = xrealloc(ls->v, (ls->n + 1) * sizeof *ls->v);
	ls->v[ls->n++] = (struct log_item){id, xstrdup(origin)};
	return 0;
}

/* Write one log's section from the checkpoint at or below since; 0 or an exit code. */
static int export_log(struct ledger *l, struct bundle_writer *w, const struct log_item *log,
		      const struct selection *sel)
{
	struct store *st = l->store;
	uint64_t start;
	const char *note;
	size_t len;
	if (store_checkpoint_floor(st, log->id, sel->has_since ? sel->since : 0, &start, &note, &len) != STORE_OK) {
		chobo_warn("%s: no checkpoint to start from: %s", log->origin, store_error(st));
		return EX_DATAERR;
	}
	/* The note lives in the store's buffer until the next read: keep a copy. */
	uint8_t *cp = xmalloc(8 + len);
	put_be64(cp, start);
	memcpy(cp + 8, note, len);
	struct ledger_reader lr;
	struct merkle_stack stack;
	uint8_t buf[8 + 64 * 32];
	ledger_reader_init(&lr, l, log->id);
	if (merkle_stack_load(&stack, &lr.r, start) != 0) {
		chobo_warn("%s: %s", log->origin, store_error(st));
		free(cp);
		return EX_IOERR;
	}
	if (sel->held) {
		uint8_t root[32];
		merkle_stack_root(&stack, root);
		if (start != sel->held->size || memcmp(root, sel->held->root, 32) != 0) {
			chobo_warn("%s: the checkpoint of size %llu given is not consistent with this ledger",
				   log->origin, (unsigned long long)sel->held->size);
			free(cp);
			return EX_DATAERR;
		}
	}
	bool ok = bundle_put(w, BUNDLE_LOG, log->origin, strlen(log->origin)) &&
		  bundle_put(w, BUNDLE_STACK, buf, bundle_stack_encode(&stack, buf)) &&
		  bundle_put(w, BUNDLE_CHECKPOINT, cp, 8 + len);
	free(cp);

	struct store_cursor *entries = store_cursor_open(st, STORE_ENTRIES, log->id);
	struct store_cursor *checkpoints = store_cursor_open(st, STORE_CHECKPOINTS, log->id);
	int rc = 0;
	if (!entries || !checkpoints) {
		rc = EX_IOERR;
		goto out;
	}
	store_cursor_seek(entries, start);
	store_cursor_seek(checkpoints, start + 1);
	uint64_t next_cp = 0, index;
	const void *cdata = NULL, *edata;
	size_t clen = 0, elen;
	int cs = store_cursor_next(checkpoints, &next_cp, &cdata, &clen);
	uint64_t expect = start;
	while (ok && cs == STORE_OK) {
		/* Entries up to the next checkpoint, then the checkpoint itself. */
		while (expect < next_cp) {
			int es = store_cursor_next(entries, &index, &edata, &elen);
			if (es != STORE_OK || index != expect) {
				chobo_warn("%s: entry %llu is missing; run chain-verify", log->origin,
					   (unsigned long long)expect);
				rc = EX_DATAERR;
				goto out;
			}
			if (!(ok = bundle_put(w, BUNDLE_ENTRY, edata, elen)))
				break;
			expect++;
		}
		uint8_t *rec = xmalloc(8 + clen);
		put_be64(rec, next_cp);
		memcpy(rec + 8, cdata, clen);
		ok = ok && bundle_put(w, BUNDLE_CHECKPOINT, rec, 8 + clen);
		free(rec);
		cs = store_cursor_next(checkpoints, &next_cp, &cdata, &clen);
	}
	if (cs == STORE_ERROR)
		rc = EX_IOERR;
	if (!ok)
		rc = EX_IOERR;
out:
	if (rc == EX_IOERR)
		chobo_warn("%s: export failed: %s", log->origin, store_error(st));
	store_cursor_close(entries);
	store_cursor_close(checkpoints);
	return rc;
}

static int load_held(const char *path, const char *dir, struct checkpoint *cp)
{
	struct trust trust;
	size_t len;
	const char *why;
	char *note = read_file(path, CHOBO_MAX_NOTE, &len);
	if (!note) {
		chobo_warn_errno("%s", path);
		return EX_NOINPUT;
	}
	int rc = ledger_trust(dir, NULL, &trust);
	if (rc == 0 && !checkpoint_verify(note, len, trust.keys, trust.n, cp, NULL, &why)) {
		chobo_warn("%s: %s", path, why);
		rc = EX_DATAERR;
	}
	trust_free(&trust);
	free(note);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"log", required_argument, NULL, 'l'},
		{"since", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct selection sel = {0};
	const char *dir = ledger_default_dir(), *since = NULL, *output = NULL;
	struct checkpoint held;
	int opt, rc;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:o:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'l': sel.log = optarg; break;
		case 's': since = optarg; break;
		case 'o': output = optarg; break;
		}
	}
	if (optind != argc)
		cli_usage_error(usage);
	if (since) {
		uint64_t n;
		sel.has_since = true;
		if (parse_u64(since, &n)) {
			if (!sel.log)
				chobo_die(EX_USAGE, "--since SIZE needs --log ORIGIN");
			sel.since = n;
		} else {
			if ((rc = load_held(since, dir, &held)) != 0)
				cli_exit(rc);
			if (sel.log && strcmp(sel.log, held.origin) != 0)
				chobo_die(EX_USAGE, "--since %s is a checkpoint of %s, not %s", since,
					  held.origin, sel.log);
			sel.log = held.origin;
			sel.since = held.size;
			sel.held = &held;
		}
	}
	if (!output && isatty(1))
		chobo_die(EX_USAGE, "a bundle is binary: not writing it to a terminal (use -o FILE or redirect)");

	/* Written to a scratch file under the lock, copied out after: a slow reader must not hold up writers. */
	FILE *tmp = tmpfile();
	if (!tmp)
		chobo_die(EX_CANTCREAT, "cannot create a temporary file");
	struct ledger l;
	struct log_list logs = {.only = sel.log};
	if ((rc = ledger_open(&l, dir, STORE_NORMAL)) != 0)
		cli_exit(rc);
	if (store_log_each(l.store, collect, &logs) != STORE_OK) {
		chobo_warn("%s", store_error(l.store));
		rc = EX_IOERR;
	} else if (sel.log && logs.n == 0) {
		chobo_warn("%s: no log named %s", dir, sel.log);
		rc = EX_NOINPUT;
	}
	struct bundle_writer *w = rc == 0 ? bundle_writer_open(tmp) : NULL;
	for (size_t i = 0; rc == 0 && i < logs.n; i++)
		rc = export_log(&l, w, &logs.v[i], &sel);
	if (w && !bundle_writer_close(w) && rc == 0) {
		chobo_warn_errno("temporary file");
		rc = EX_IOERR;
	}
	int crc = ledger_close(&l);
	if (rc == 0)
		rc = crc;
	for (size_t i = 0; i < logs.n; i++)
		free(logs.v[i].origin);
	free(logs.v);

	if (rc == 0) {
		FILE *out = output ? fopen(output, "wb") : stdout;
		char buf[1 << 16];
		size_t n;
		if (!out) {
			chobo_warn_errno("%s", output);
			rc = EX_CANTCREAT;
		} else {
			rewind(tmp);
			while ((n = fread(buf, 1, sizeof buf, tmp)) > 0)
				if (fwrite(buf, 1, n, out) != n)
					break;
			if (ferror(tmp) || fflush(out) != 0 || ferror(out)) {
				chobo_warn_errno("%s", output ? output : "standard output");
				rc = EX_IOERR;
			}
			if (output && fclose(out) != 0 && rc == 0)
				rc = EX_IOERR;
		}
	}
	fclose(tmp);
	cli_exit(rc);
}
