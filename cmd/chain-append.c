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
#include "util.h"

static const char usage[] =
	"usage: chain-append [-q] [-L DIR] [FILE...]\n"
	"Append {\"type\":...,\"body\":{...}} lines from FILEs or stdin as one batch; print receipts.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 3 stored without receipts (do not retry), 64 usage, 65 bad data,\n"
	"66 no input, 71 system error, 74 I/O error, 75 busy, 77 no permission, 78 configuration.\n"
	"See chain-append(1).\n";

/* Read and validate every line of one input into the batch; 0 or an exit code. */
static int read_input(FILE *fp, const char *name, struct batch *b)
{
	struct jsonl_reader r;
	struct json_doc doc = {0};
	char err[256];
	const char *line;
	size_t len;
	enum jsonl_status s;
	int rc = 0;
	jsonl_init(&r, fp, name);
	while ((s = jsonl_next_line(&r, &line, &len, err, sizeof err)) == JSONL_OK) {
		if (!batch_add_line(b, line, len, &doc, err, sizeof err)) {
			s = JSONL_BAD;
			break;
		}
	}
	json_doc_free(&doc);
	if (s == JSONL_BAD) {
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
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	int opt, rc = 0;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
	}

	int64_t now;
	if (!chobo_now(&now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");

	struct batch batch = {0};
	if (optind == argc) {
		rc = read_input(stdin, "stdin", &batch);
	} else {
		for (int i = optind; i < argc && rc == 0; i++) {
			FILE *fp = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");
			if (!fp) {
				chobo_warn_errno("%s; nothing was appended", argv[i]);
				rc = EX_NOINPUT;
				break;
			}
			rc = read_input(fp, fp == stdin ? "stdin" : argv[i], &batch);
			if (fp != stdin)
				fclose(fp);
		}
	}
	if (rc != 0)
		cli_exit(rc);
	if (batch.n == 0) {
		chobo_info("no entries in the input; nothing was appended");
		cli_exit(0);
	}

	struct ledger l;
	struct note_signer key;
	struct receipt *receipts = xcalloc(batch.n, sizeof *receipts);
	uint64_t tree_size = 0;
	char time[21];
	store_expect_bytes(batch.used + batch.n * 128);
	struct chobo_error e;
	if ((rc = cli_report(ledger_open_append(&l, dir, &key, &e), &e)) != 0)
		cli_exit(rc);
	rc = cli_report(ledger_append(&l, &batch, &key, NULL, receipts, &tree_size, time, &e), &e);
	note_signer_clear(&key);
	int crc = cli_report(ledger_close(&l, &e), &e);
	if (rc == 0 && crc != 0)
		chobo_warn("the batch was committed; the receipts follow");

	/*
	 * Receipts only after the commit returned: every one printed is durable.
	 * A script that retries on failure must not append the batch twice, so a
	 * batch stored without its receipts has an exit code of its own.
	 */
	bool reported = true;
	for (size_t i = 0; rc == 0 && reported && i < batch.n; i++)
		reported = receipt_print(stdout, &receipts[i], batch.items[i].type->name, time, tree_size);
	if (rc == 0 && (!reported || fflush(stdout) != 0 || ferror(stdout))) {
		chobo_warn_errno("the batch of %zu entries was stored (tree size %llu), but its receipts could "
				 "not be written; do not append it again", batch.n, (unsigned long long)tree_size);
		rc = EXIT_STORED_UNREPORTED;
	}
	free(receipts);
	batch_free(&batch);
	cli_exit(rc);
}
