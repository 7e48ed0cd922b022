/*
 * chain-import: verify a bundle completely, then store the logs it extends,
 * all or nothing.  A validly signed checkpoint that contradicts what the
 * ledger holds is a fork: both checkpoints are kept as evidence and nothing
 * else is stored.  This node's own log in a bundle must be a prefix of the
 * one held; with --restore it is taken (restore.h).
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
#include "restore.h"
#include "util.h"

static const char usage[] =
	"usage: chain-import [-q] [-L DIR] [--restore] [BUNDLE | -]\n"
	"Verify a bundle and store the logs it extends; this node's own log must be a\n"
	"prefix of the one held, or with --restore is taken from the bundle.\n"
	"Environment: CHOBO_LEDGER, CHOBO_LOCK_WAIT, CHOBO_LIMIT_IMPORT_BULK_BYTES, TMPDIR.\n"
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

/*
 * This node's log was taken from the bundle: its newest checkpoint there is
 * a floor; the restore ends here only for a node without peers (a node with
 * peers checks with them first: chain-sync --restore).  Prints one line.
 */
static int restored(struct ledger *l, const struct import_result *res, struct chobo_error *err)
{
	int rc = restore_start(l->dir, err);
	if (rc == 0 && res->own_note)
		rc = restore_raise(l->dir, res->own_note, strlen(res->own_note), res->own_size, err);
	bool done;
	uint64_t size, floor;
	if (rc == 0)
		rc = restore_finish(l, l->conf.npeers == 0, &done, &size, &floor, err);
	if (rc != 0)
		return chobo_fail_context(err, rc, "the bundle was imported, but the restore could not be recorded");
	if (!done)
		chobo_info("this node's log holds %llu entries; appending stays refused until chain-sync --restore "
			   "has heard every peer", (unsigned long long)size);
	jsonl_print(json_pack("{s:s, s:I, s:I, s:b}", "restore", l->conf.origin, "size", (json_int_t)size,
			      "floor", (json_int_t)floor, "complete", done));
	return 0;
}

/* A bundle holds more of this node's log than the ledger: nothing may be signed until it is restored. */
static void own_ahead(struct ledger *l, const struct import_result *res)
{
	struct chobo_error e;
	if (res->own_note && restore_raise(l->dir, res->own_note, strlen(res->own_note), res->own_size, &e) != 0)
		chobo_warn("%s", e.msg);
	else
		chobo_warn("appending is refused until this node's log is restored");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"restore", no_argument, NULL, 'R'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	bool restore = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
		else if (opt == 'R')
			restore = true;
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
	import_expect(&in, 1, 0, false);
	if ((rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e)) != 0)
		cli_exit(rc);
	rc = import_bundle(&l, &trust, in, restore ? IMPORT_OWN_TAKE : IMPORT_OWN_CHECK, &res, &e);
	if (rc == 0 && restore)
		rc = restored(&l, &res, &e);
	else if (rc == EX_DATAERR && res.own_ahead)
		own_ahead(&l, &res);
	/* What was committed stays committed: the summary is printed, the close reported. */
	struct chobo_error close_err;
	crc = cli_report(ledger_close(&l, &close_err), &close_err);
	/* A bundle the system failed to read was not refused for what it holds: a read error (74). */
	bool unread = rc == EX_DATAERR && !res.own_ahead && ferror(in);
	fclose(in);
	trust_free(&trust);
	if (rc == EXIT_FORK) {
		chobo_warn("%s, nothing was imported", e.msg);
		jsonl_print(import_fork_event(&res, NULL));
	} else if (rc == EX_DATAERR) {
		chobo_warn("%s: %s; nothing was imported", path, e.msg);
		if (unread)
			rc = EX_IOERR;
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
