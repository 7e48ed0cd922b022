/* chain-export: write a bundle of logs' entries and signed checkpoints. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "export.h"
#include "ledger.h"
#include "util.h"

static const char usage[] =
	"usage: chain-export [-q] [-L DIR] [--log ORIGIN] [--since SIZE | --since CHECKPOINT]\n"
	"                    [-o FILE]\n"
	"Write a bundle (all logs, or one; full, or since a size or a checkpoint you hold).\n"
	"Environment: CHOBO_LEDGER, CHOBO_LOCK_WAIT, TMPDIR.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 66 no input, 73 cannot create,\n"
	"74 I/O error, 75 busy, 78 configuration.  See chain-export(1).\n";

/* The requester's checkpoint, verified with the ledger's trusted keys; 0 or an exit code with err. */
static int load_held(const char *path, const char *dir, struct checkpoint *cp, struct chobo_error *err)
{
	struct trust trust;
	int rc = ledger_trust(dir, NULL, &trust, err);
	if (rc == 0) {
		rc = checkpoint_read_file(path, trust.keys, trust.n, cp, err);
		trust_free(&trust);
	}
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
			struct chobo_error e;
			if ((rc = cli_report(load_held(since, dir, &held, &e), &e)) != 0)
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

	struct chobo_error e;
	struct replacement file;
	if (output) {
		/* A bundle inside a ledger would be copied, synced or backed up as if it were part of it. */
		char *inside = ledger_enclosing(output);
		if (inside)
			chobo_die(EX_CANTCREAT, "%s: inside the ledger directory %s; write the bundle elsewhere",
				  output, inside);
		if ((rc = cli_report(replace_open(&file, output, 0644, &e), &e)) != 0)
			cli_exit(rc);
	}
	/* Written beside FILE and renamed over it when complete: a failed export leaves FILE as it was. */
	rc = cli_report(export_bundle_spooled(dir, &sel, output ? file.fp : stdout, &e), &e);
	if (output && rc == 0)
		rc = cli_report(replace_commit(&file, &e), &e);
	else if (output)
		replace_abort(&file);
	cli_exit(rc);
}
