/*
 * chain-import: verify a bundle completely, then store the logs it extends,
 * all or nothing.  A validly signed checkpoint that contradicts what the
 * ledger holds is a fork: both checkpoints are kept as evidence and nothing
 * else is stored.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli.h"
#include "import.h"
#include "jsonl.h"
#include "ledger.h"
#include "util.h"

static const char usage[] =
	"usage: chain-import [-q] [-L DIR] [BUNDLE | -]\n"
	"Verify a bundle and store the logs it extends (never this node's own log).\n"
	"Environment: CHOBO_LEDGER, CHOBO_LOCK_WAIT, TMPDIR.\n"
	"Exit status: 0 success, 2 a fork (evidence kept), 64 usage, 65 bad data, 66 no input,\n"
	"73 cannot create, 74 I/O error, 75 busy, 78 configuration.  See chain-import(1).\n";

/* Copy the input to a scratch file, so that the ledger is not locked while a slow sender sends. */
static FILE *spool(FILE *in)
{
	FILE *tmp;
	struct chobo_error e;
	int rc = scratch_file(&tmp, &e);
	if (rc != 0)
		chobo_die(rc, "%s", e.msg);
	switch (copy_stream(in, tmp, chobo_limit("BUNDLE_BYTES", BUNDLE_MAX_BYTES))) {
	case 1: chobo_die(EX_IOERR, "read error; nothing was imported");
	case 2: chobo_die(EX_IOERR, "cannot write a temporary file");
	case 3: chobo_die(EX_DATAERR, "bundle larger than the limit; nothing was imported");
	}
	rewind(tmp);
	return tmp;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
	}
	if (argc - optind > 1)
		cli_usage_error(usage);
	const char *path = optind < argc ? argv[optind] : "-";
	FILE *in = strcmp(path, "-") == 0 ? spool(stdin) : fopen(path, "rb");
	if (!in)
		chobo_die(EX_NOINPUT, "%s: %s", path, strerror(errno));

	struct trust trust;
	struct ledger l;
	struct import_result res;
	struct chobo_error e;
	int rc = cli_report(ledger_trust(dir, NULL, &trust, &e), &e);
	if (rc != 0)
		cli_exit(rc);
	int crc = 0;
	memset(&res, 0, sizeof res);
	if ((rc = import_precheck(&trust, in, &e)) == 0) {
		if ((rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e)) != 0)
			cli_exit(rc);
		rc = import_bundle(&l, &trust, in, &res, &e);
		/* What was committed stays committed: the summary is printed, the close reported. */
		struct chobo_error close_err;
		crc = cli_report(ledger_close(&l, &close_err), &close_err);
	}
	fclose(in);
	trust_free(&trust);
	if (rc == EXIT_FORK) {
		chobo_warn("%s, nothing was imported", e.msg);
		jsonl_print(json_pack("{s:s, s:s, s:I, s:s, s:s}", "event", "fork", "log", res.fork_log,
				      "size", (json_int_t)res.fork_size, "ours", res.fork_ours,
				      "theirs", res.fork_theirs));
	} else if (rc == EX_DATAERR) {
		chobo_warn("%s: %s; nothing was imported", path, e.msg);
	} else if (rc == 0) {
		size_t i;
		json_t *v;
		json_array_foreach(res.summary, i, v)
			jsonl_print(json_incref(v));
		rc = crc;
	} else {
		cli_report(rc, &e);
	}
	import_result_free(&res);
	cli_exit(rc);
}
