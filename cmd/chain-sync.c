/*
 * chain-sync: replicate with peer nodes over OpenSSH.
 *
 * Client: for every peer, ask which logs it holds, fetch what we lack as an
 * incremental bundle, import it (verified, all or nothing, forks kept as
 * evidence), cosign the newest checkpoints with this node's witness key and
 * hand the cosignatures back (sync_protocol.h, over ssh_transport.h).
 *
 * Restore (--restore): this node's own log, lost or damaged, is fetched
 * back from the peer holding the longest copy, with the newest checkpoint
 * any peer holds as the floor below which it signs nothing (restore.h);
 * then the peers are synced as usual.
 *
 * Server (--serve, an authorized_keys forced command): the verbs in
 * SSH_ORIGINAL_COMMAND are chobo-heads, chobo-export ORIGIN SIZE and
 * chobo-cosign; nothing else is run, and nothing can append.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>

#include "cli.h"
#include "codec.h"
#include "jsonl.h"
#include "ledger.h"
#include "progress.h"
#include "ssh_transport.h"
#include "sync_protocol.h"
#include "util.h"

static const char usage[] =
	"usage: chain-sync [-q] [-L DIR] [--peer NAME] [--wait] [--restore]\n"
	"       chain-sync --serve [-L DIR]      (as an ssh forced command)\n"
	"Replicate every log with the peers in chobo.conf; print one JSON line per peer.\n"
	"--restore first fetches this node's own log back from the peers (from NAME with --peer).\n"
	"Environment: CHOBO_LEDGER, CHOBO_SSH, CHOBO_SYNC_TIMEOUT, CHOBO_NOW, CHOBO_LOCK_WAIT,\n"
	"CHOBO_LIMIT_SYNC_STREAM_ENTRIES, CHOBO_LIMIT_SYNC_STREAM_WAIT_MS, SSH_ORIGINAL_COMMAND,\n"
	"TMPDIR.\n"
	"Exit status: 0 success, 2 a fork (evidence kept), 64 usage, 65 bad data, 66 no input,\n"
	"69 unavailable, 73 cannot create, 75 busy, 77 no permission, 78 configuration;\n"
	"other codes as in chobo(7).  See chain-sync(1).\n";

/* Overlapping runs from cron must not collide: one sync at a time per ledger. */
static int sync_lock(const char *dir, bool wait)
{
	char *path = path_join(dir, "sync.lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0) {
		chobo_warn_errno("%s/sync.lock", dir);
		return -1;
	}
	if (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -2;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"peer", required_argument, NULL, 'p'},
		{"wait", no_argument, NULL, 'w'},
		{"serve", no_argument, NULL, 'S'},
		{"restore", no_argument, NULL, 'R'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir(), *only = NULL;
	bool wait = false, serving = false, restore = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'p': only = optarg; break;
		case 'w': wait = true; break;
		case 'S': serving = true; break;
		case 'R': restore = true; break;
		}
	}
	if (optind != argc || (serving && restore))
		cli_usage_error(usage);
	struct chobo_error e;
	if (serving)
		cli_exit(cli_report(sync_serve(dir, getenv("SSH_ORIGINAL_COMMAND"), stdin, stdout, &e), &e));

	/* The configuration, read with the ledger open only for a moment (as a reader). */
	struct ledger l;
	int rc = cli_report(ledger_open_read(&l, dir, &e), &e);
	if (rc != 0)
		cli_exit(rc);
	size_t npeers = l.conf.npeers;
	struct peer *peers = xcalloc(npeers ? npeers : 1, sizeof *peers);
	for (size_t i = 0; i < npeers; i++) {
		peers[i].name = xstrdup(l.conf.peers[i].name);
		peers[i].destination = xstrdup(l.conf.peers[i].destination);
	}
	char *own = xstrdup(l.conf.origin);
	if ((rc = cli_report(ledger_close(&l, &e), &e)) != 0)
		cli_exit(rc);
	/* Loaded once, with the ledger unlocked: an encrypted key takes a while to open. */
	struct note_signer witness;
	if ((rc = cli_report(ledger_witness_key(dir, &witness, &e), &e)) != 0)
		cli_exit(rc);
	struct trust trust;
	if ((rc = cli_report(ledger_trust(dir, NULL, &trust, &e), &e)) != 0)
		cli_exit(rc);

	bool known = !only;
	for (size_t i = 0; i < npeers; i++)
		known |= only && strcmp(only, peers[i].name) == 0;
	if (!known)
		chobo_die(EX_USAGE, "no peer named %s in %s/chobo.conf", only, dir);
	int lockfd = sync_lock(dir, wait);
	if (lockfd == -2)
		chobo_die(EX_TEMPFAIL, "%s: another chain-sync is running (use --wait to wait for it)", dir);
	if (lockfd < 0)
		cli_exit(EX_CANTCREAT);

	bool any_fork = false, any_error = false;
	size_t synced = 0;   /* peers synced without an error */
	struct sync_node node = {dir, own, &trust, &witness};
	struct ssh_transport t;
	struct sync_restore rres = {0};
	int restore_rc = 0;
	ssh_transport_open(&t);
	if (restore) {
		restore_rc = sync_restore_own(&node, &t, peers, npeers, only, &rres, &e);
		if (restore_rc != 0)
			chobo_warn("%s", e.msg);
		size_t k;
		json_t *event;
		json_array_foreach(rres.forks, k, event)
			jsonl_print(json_incref(event));
		any_fork |= json_array_size(rres.forks) > 0;
	}
	for (size_t i = 0; i < npeers && restore_rc == 0; i++) {
		/* A restore syncs with every peer: each must be heard before the node appends again. */
		if (only && !restore && strcmp(only, peers[i].name) != 0)
			continue;
		struct sync_result res;
		struct progress p;
		char what[256];
		snprintf(what, sizeof what, "syncing with %s (%s)", peers[i].name, peers[i].destination);
		progress_start(&p, what, 0);
		progress_wait(&p, what);
		rc = sync_peer(&node, &t, &peers[i], &res, &e);
		progress_end(&p, 0);
		ssh_hang_up(&t, peers[i].destination);
		any_fork |= json_array_size(res.forks) > 0;
		any_error |= rc != 0;
		synced += rc == 0;
		size_t k;
		json_t *event;
		json_array_foreach(res.forks, k, event)
			jsonl_print(json_incref(event));
		json_t *line = json_pack("{s:s, s:b, s:O, s:I, s:I}", "peer", peers[i].name, "ok", rc == 0,
					 "logs", res.logs, "cosigned", (json_int_t)res.cosigned,
					 "cosignatures_accepted", (json_int_t)res.accepted);
		if (rc != 0) {
			/* A reason cut to fit may end inside a character: JSON strings are UTF-8. */
			size_t n = strlen(e.msg);
			while (n > 0 && !utf8_valid((const uint8_t *)e.msg, n))
				e.msg[--n] = '\0';
			json_object_set_new(line, "error", json_string(e.msg));
			chobo_info("%s: %s", peers[i].name, e.msg);
		}
		sync_result_free(&res);
		if (!chobo_quiet || rc != 0)
			jsonl_print(line);
		else
			json_decref(line);
	}
	if (restore) {
		/* Complete only when every peer answered and was synced, and the log holds the floor. */
		bool complete = restore_rc == 0 && !any_error && rres.heard == npeers;
		if (restore_rc == 0 && (restore_rc = sync_restore_end(&node, complete, &rres, &e)) != 0)
			chobo_warn("%s", e.msg);
		json_t *line = json_pack("{s:s, s:s*, s:I, s:I, s:b, s:O, s:O*}", "restore", own,
					 "from", rres.from, "size", (json_int_t)rres.size,
					 "floor", (json_int_t)rres.floor, "complete", rres.complete,
					 "peers", rres.peers, "logs", rres.logs);
		if (restore_rc != 0)
			json_object_set_new(line, "error", json_string(e.msg));
		jsonl_print(line);
		if (restore_rc == 0 && !rres.complete) {
			/* A peer that answered but could not be synced (its line says why) keeps it open too. */
			chobo_warn("the restore is not complete (this node's log holds %llu of %llu entries; %zu of "
				   "%zu peers answered, %zu synced without an error): appending stays refused",
				   (unsigned long long)rres.size, (unsigned long long)rres.floor, rres.heard, npeers,
				   synced);
			any_error = true;
		}
		sync_restore_free(&rres);
	}
	close(lockfd);
	note_signer_clear(&witness);
	ssh_transport_close(&t);
	for (size_t i = 0; i < npeers; i++) {
		free(peers[i].name);
		free(peers[i].destination);
	}
	free(peers);
	free(own);
	trust_free(&trust);
	cli_exit(any_fork ? EXIT_FORK : restore_rc != 0 ? restore_rc : any_error ? EX_UNAVAILABLE : 0);
}
