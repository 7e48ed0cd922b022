/* supply-events: print the relief supply events not yet printed, and keep the cursor that says so. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli.h"
#include "ledger.h"
#include "supply/events.h"
#include "util.h"
#include "view.h"

static const char usage[] =
	"usage: supply-events [-q] [-L DIR] [--since-start] [--dry-run] [--horizon DAYS]\n"
	"Print as JSON Lines the supply events (offer, request, unfilled, shipped, received,\n"
	"discrepancy) that this node has not printed before, and move the cursor past them;\n"
	"--since-start prints every event; --dry-run leaves the cursor as it is.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, SENDMAIL, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 65 bad data, 74 I/O error, 75 busy; other codes as in chobo(7).\n"
	"See supply-events(1).\n";

/* The cursor and its lock, under the ledger's private/ directory (supply-events(1), FILES). */
#define CURSOR_FILE "private/supply-events.cursor"
#define LOCK_FILE "private/supply-events.lock"

/* One run at a time: two runs reading the same cursor would print the same events twice. */
static int lock_cursor(const char *dir, int *fd)
{
	char *path = path_join(dir, LOCK_FILE);
	int rc = 0;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		chobo_warn_errno("%s", path);
		rc = errno == ENOENT ? EX_NOINPUT : EX_CANTCREAT;
	} else if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		chobo_warn("%s: busy: another supply-events is running", dir);
		rc = EX_TEMPFAIL;
	}
	free(path);
	return rc;
}

/* Read the cursor: 0 with *have set, or an exit code. */
static int read_cursor(const char *path, struct supply_cursor *c, bool *have)
{
	size_t len;
	char why[256];
	*have = false;
	errno = 0;
	char *text = read_file(path, SUPPLY_CURSOR_MAX, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		chobo_warn_errno("%s", path);
		return EX_IOERR;
	}
	bool ok = supply_cursor_parse(text, len, c, why, sizeof why);
	free(text);
	if (!ok) {
		chobo_warn("%s: %s (remove it, or run with --since-start)", path, why);
		return EX_DATAERR;
	}
	*have = true;
	return 0;
}

static int read_events(const char *dir, struct supply_events *ev)
{
	struct ledger l;
	struct chobo_error e;
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		return rc;
	rc = supply_events_read(&l, ev, &e);
	return cli_report(ledger_close_after(&l, rc, &e), &e);
}

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
	int64_t horizon = (int64_t)days * 86400;

	int lockfd = -1;
	struct supply_cursor c = {0};
	struct supply_events ev = {0};
	bool have = false, *fresh = NULL;
	char *path = path_join(dir, CURSOR_FILE);
	int rc = lock_cursor(dir, &lockfd);
	if (rc == 0 && !since_start)
		rc = read_cursor(path, &c, &have);
	if (rc == 0)
		rc = read_events(dir, &ev);
	if (rc == 0) {
		fresh = xcalloc(ev.n ? ev.n : 1, sizeof *fresh);
		supply_cursor_select(have ? &c : NULL, &ev, now, horizon, fresh);
		struct view_text t = {0};
		for (size_t i = 0; i < ev.n; i++)
			if (fresh[i]) {
				view_text_str(&t, ev.v[i].line);
				view_text_str(&t, "\n");
			}
		/* The cursor moves only past what was written. */
		if (t.len > 0 && (!write_all(1, t.p, t.len) || fflush(stdout) != 0)) {
			chobo_warn_errno("write error on standard output");
			rc = EX_IOERR;
		}
		view_text_free(&t);
	}
	if (rc == 0 && !dry_run) {
		struct view_text t = {0};
		supply_cursor_advance(&c, &ev, fresh, now, horizon);
		supply_cursor_format(&c, &t);
		if (!write_file_atomic(path, t.p, t.len, 0600)) {
			chobo_warn_errno("%s", path);
			rc = EX_CANTCREAT;
		}
		view_text_free(&t);
	}
	free(fresh);
	free(path);
	supply_events_free(&ev);
	supply_cursor_free(&c);
	if (lockfd >= 0)
		close(lockfd);
	cli_exit(rc);
}
