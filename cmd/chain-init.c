/*
 * chain-init: create a ledger directory with its keys and first checkpoint,
 * or (--restore KEYS) around the keys of a node that lost its ledger.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli.h"
#include "jsonl.h"
#include "ledger.h"
#include "util.h"

static const char usage[] =
	"usage: chain-init [-q] --origin ORIGIN [--witness NAME] [--encrypt] [--testing] [-L DIR | DIR]\n"
	"       chain-init [-q] --restore KEYS [-L DIR | DIR]\n"
	"Create a ledger in DIR (default: $CHOBO_LEDGER, else ./ledger) and print its keys;\n"
	"with --restore, around the node.key and witness.key saved in the directory KEYS,\n"
	"restoring this node's log (chain-sync --restore) before it may append.\n"
	"--testing makes a ledger for tests, whose clock CHOBO_NOW may set.\n"
	"Environment: CHOBO_LEDGER, CHOBO_PASSPHRASE_FILE, CHOBO_PASSPHRASE_FD.\n"
	"Exit status: 0 success, 64 usage, 66 no input, 70 internal error, 71 system error,\n"
	"73 cannot create, 74 I/O error, 77 no permission, 78 configuration.  See chain-init(1).\n";

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"origin", required_argument, NULL, 'o'},
		{"witness", required_argument, NULL, 'w'},
		{"encrypt", no_argument, NULL, 'e'},
		{"restore", required_argument, NULL, 'R'},
		{"testing", no_argument, NULL, 't'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *origin = NULL, *witness = NULL, *dir = NULL, *keys = NULL;
	bool encrypt = false, testing = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:o:w:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
		else if (opt == 'o')
			origin = optarg;
		else if (opt == 'w')
			witness = optarg;
		else if (opt == 'e')
			encrypt = true;
		else if (opt == 't')
			testing = true;
		else if (opt == 'R')
			keys = optarg;
	}
	/* The keys name the origin and the witness; encrypted ones stay as they are. */
	if ((!origin == !keys) || (keys && (witness || encrypt || testing)) || argc - optind > (dir ? 0 : 1))
		cli_usage_error(usage);
	if (!dir)
		dir = optind < argc ? argv[optind] : ledger_default_dir();
	char *witness_default = NULL;
	struct note_verifier log_pub, witness_pub;
	struct chobo_error e;
	if (keys) {
		int rc = cli_report(ledger_recreate(dir, keys, &log_pub, &witness_pub, &e), &e);
		if (rc != 0)
			cli_exit(rc);
		origin = log_pub.name;
		chobo_info("%s: restoring %s: it appends nothing until chain-sync --restore (or chain-import "
			   "--restore) has brought its log back", dir, origin);
	} else if (!witness) {
		size_t n = strlen(origin) + 16;
		witness_default = xmalloc(n);
		snprintf(witness_default, n, "%s/witness", origin);
		witness = witness_default;
	}
	int rc = keys ? 0
		 : cli_report(ledger_create(dir, origin, witness, encrypt, testing, &log_pub, &witness_pub, &e), &e);
	free(witness_default);
	if (rc != 0)
		cli_exit(rc);
	char *lv = note_vkey_format(&log_pub), *wv = note_vkey_format(&witness_pub);
	json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "ledger", dir, "origin", origin,
				"log_key", lv, "witness_key", wv);
	if (out && keys && json_object_set_new(out, "restoring", json_true()) != 0)
		cli_exit(EX_SOFTWARE);
	free(lv);
	free(wv);
	if (!out || !jsonl_print(out) || fflush(stdout) != 0 || ferror(stdout)) {
		chobo_warn_errno("write error on standard output");
		chobo_warn("the ledger was created in %s all the same; its public keys are in %s/keys/node.pub "
			   "and %s/keys/witness.pub", dir, dir, dir);
		exit(EX_IOERR);
	}
	cli_exit(0);
}
