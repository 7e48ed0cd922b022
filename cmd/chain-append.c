/* chain-append: validate JSON Lines entries and append them in one batch. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "jsonl.h"
#include "append.h"
#include "ledger.h"
#include "store.h"
#include "util.h"

static const char usage[] =
	"usage: chain-append [-qn] [-L DIR] [FILE...]\n"
	"Append {\"type\":...,\"body\":{...}} lines from FILEs or stdin as one batch; print receipts.\n"
	"-n, --dry-run: judge the batch by every rule as an append would, and append nothing.\n"
	"A batch over 65,536 entries or 16 MiB is streamed: the ledger stays locked while it is read.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT, CHOBO_LIMIT_APPEND_BULK_ENTRIES.\n"
	"Exit status: 0 success, 3 stored without receipts (do not retry), 64 usage, 65 bad data,\n"
	"66 no input, 71 system error, 74 I/O error, 75 busy, 77 no permission, 78 configuration.\n"
	"See chain-append(1).\n";

/*
 * One append, streamed: input lines are validated into a chunk, and a full
 * chunk is written into the open transaction.  The ledger is opened when
 * the first chunk is full or the input ends, so that a batch of one chunk
 * (most of them) is read and checked whole before the ledger is locked.
 */
struct run {
	const char *dir;
	struct batch chunk;
	struct json_doc doc;
	bool opened;
	struct ledger l;
	struct note_signer key;
	struct append_stream *s;
};

/* Write the chunk (opening the ledger first if it is not open yet); 0 or an exit code, reported. */
static int write_chunk(struct run *r, bool last)
{
	struct chobo_error e;
	int rc;
	if (!r->opened) {
		/* A batch of one chunk is known whole; a longer one gets the cache of a large batch. */
		store_expect_bytes(last ? r->chunk.used + r->chunk.n * 128 : CHOBO_MAX_BATCH_BYTES);
		store_cache_limit(APPEND_STREAM_CACHE);
		if ((rc = cli_report(ledger_open_append(&r->l, r->dir, &r->key, &e), &e)) != 0)
			return rc;
		r->opened = true;
		if ((rc = cli_report(append_stream_begin(&r->l, &r->key, NULL, last ? r->chunk.n : 0, &r->s, &e), &e)) != 0)
			return rc;
	}
	if ((rc = cli_report(append_stream_write(r->s, &r->chunk, &e), &e)) != 0)
		return rc;
	batch_next_chunk(&r->chunk);
	return 0;
}

/* Read and validate every line of one input, writing full chunks; 0 or an exit code. */
static int read_input(void *ctx, FILE *fp, const char *name)
{
	struct run *run = ctx;
	struct jsonl_reader r;
	char err[256];
	const char *line;
	size_t len;
	enum jsonl_status s;
	int rc = 0;
	jsonl_init_edited(&r, fp, name);
	while (rc == 0 && (s = jsonl_next_line(&r, &line, &len, err, sizeof err)) == JSONL_OK) {
		if (!batch_add_line(&run->chunk, line, len, &run->doc, err, sizeof err)) {
			s = JSONL_BAD;
			break;
		}
		if (batch_chunk_full(&run->chunk))
			rc = write_chunk(run, false);
	}
	if (rc != 0) {
		/* reported */
	} else if (s == JSONL_BAD) {
		chobo_warn("%s:%lu: %s; nothing was appended", name, r.line, err);
		rc = EX_DATAERR;
	} else if (s == JSONL_IOERR) {
		chobo_warn_errno("%s: read error; nothing was appended", name);
		rc = EX_IOERR;
	}
	jsonl_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"dry-run", no_argument, NULL, 'n'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct run r = {.dir = ledger_default_dir()};
	int opt, rc = 0;
	bool dry_run = false;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:nhVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			r.dir = optarg;
		else if (opt == 'n')
			dry_run = true;
	}

	int64_t now;
	if (!chobo_now(&now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");

	rc = jsonl_read_inputs(argv + optind, argc - optind, "nothing was appended", read_input, &r);
	json_doc_free(&r.doc);
	if (rc == 0 && r.chunk.base + r.chunk.n == 0) {
		chobo_info("no entries in the input; nothing was appended");
		batch_free(&r.chunk);
		cli_exit(0);
	}
	size_t total = r.chunk.base + r.chunk.n;
	if (rc == 0 && r.chunk.n > 0)
		rc = write_chunk(&r, true);
	struct chobo_error e;
	if (rc == 0 && !dry_run)
		rc = cli_report(append_stream_commit(r.s, &e), &e);
	batch_free(&r.chunk);
	if (rc != 0 || dry_run) {
		/* Not committed: aborted before the ledger closes. */
		append_stream_free(r.s);
		if (r.opened) {
			note_signer_clear(&r.key);
			int crc = cli_report(ledger_close(&r.l, &e), &e);
			if (rc == 0)
				rc = crc;
		}
		if (rc == 0)
			cli_dry_run_passed(total);
		cli_exit(rc);
	}
	size_t n = append_stream_count(r.s);
	uint64_t tree_size = append_stream_tree_size(r.s);
	const char *time = append_stream_time(r.s);
	note_signer_clear(&r.key);
	int crc = cli_report(ledger_close(&r.l, &e), &e);
	if (crc != 0)
		chobo_warn("the batch was committed; the receipts follow");

	/*
	 * Receipts only after the commit returned: every one printed is durable.
	 * A script that retries on failure must not append the batch twice, so a
	 * batch stored without its receipts has an exit code of its own.
	 */
	bool reported = true;
	for (size_t i = 0; reported && i < n; i++) {
		struct receipt rec;
		const struct entry_type *type;
		append_stream_receipt(r.s, i, &rec, &type);
		reported = receipt_print(stdout, &rec, type->name, time, tree_size);
	}
	if (!reported || fflush(stdout) != 0 || ferror(stdout)) {
		chobo_warn_errno("the batch of %zu entries was stored (tree size %llu), but its receipts could "
				 "not be written; do not append it again", n, (unsigned long long)tree_size);
		rc = EXIT_STORED_UNREPORTED;
	}
	append_stream_free(r.s);
	cli_exit(rc);
}
