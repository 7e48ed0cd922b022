/* supply-events: print the relief supply events not yet printed, and keep the cursor that says so. */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "ledger.h"
#include "supply/events.h"
#include "util.h"
#include "view.h"

static const char usage[] =
	"usage: supply-events [-q] [-L DIR] [--since-start] [--dry-run] [--horizon DAYS]\n"
	"Print as JSON Lines the supply events (offer, request, unfilled, shipped, received,\n"
	"discrepancy, lost) that this node has not printed before, and move the cursor past them;\n"
	"--since-start prints every event; --dry-run leaves the cursor as it is.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, SENDMAIL, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 65 bad data, 74 I/O error, 75 busy; other codes as in chobo(7).\n"
	"See supply-events(1).\n";

/* The cursor and its lock, under the ledger's private/ directory (supply-events(1), FILES). */
#define CURSOR_FILE "private/supply-events.cursor"
#define LOCK_FILE "private/supply-events.lock"

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"since-start", no_argument, NULL, 's'},
		{"dry-run", no_argument, NULL, 'n'},
		{"horizon", required_argument, NULL, 'H'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	bool since_start = false, dry_run = false;
	uint64_t days = 90;
	int64_t now;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:nhVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 's': since_start = true; break;
		case 'n': dry_run = true; break;
		case 'H': days = cli_u64("--horizon", optarg); break;
		}
	}
	if (optind != argc)
		cli_usage_error(usage);
	if (days < 1 || days > 3650)
		chobo_die(EX_USAGE, "--horizon: from 1 to 3650 days");
	if (!chobo_now(&now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");
	struct supply_feed f = {CURSOR_FILE, LOCK_FILE, "supply-events", since_start, dry_run, now,
				(int64_t)days * 86400, supply_events_read};
	struct chobo_error e = {0};
	int rc = cli_report(supply_feed_run(dir, &f, stdout, &e), &e);
	cli_exit(rc);
}
