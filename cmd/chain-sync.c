/*
 * chain-sync: replicate with peer nodes over OpenSSH.
 *
 * Client: for every peer, ask which logs it holds, fetch what we lack as an
 * incremental bundle, import it (verified, all or nothing, forks kept as
 * evidence), cosign the newest checkpoints with this node's witness key and
 * hand the cosignatures back.  The ledger is locked only while it is read or
 * written, never while a peer is talking.
 *
 * Server (--serve, an authorized_keys forced command): the verbs in
 * SSH_ORIGINAL_COMMAND are chobo-heads, chobo-export ORIGIN SIZE and
 * chobo-cosign; nothing else is run, and nothing can append.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bundle.h"
#include "checkpoint.h"
#include "cli.h"
#include "jsonl.h"
#include "hash_reader.h"
#include "ledger.h"
#include "cosign.h"
#include "export.h"
#include "import.h"
#include "sync_protocol.h"
#include "util.h"

extern char **environ;

static const char usage[] =
	"usage: chain-sync [-q] [-L DIR] [--peer NAME] [--wait]\n"
	"       chain-sync --serve [-L DIR]      (as an ssh forced command)\n"
	"Replicate every log with the peers in chobo.conf; print one JSON line per peer.\n";

/* Bounds on what a peer may send besides bundles: heads (notes included) and cosign answers. */
#define MAX_HEADS_OUTPUT (16u << 20)
#define DEFAULT_SYNC_TIMEOUT 600

/* ---------------------------------------------------------------- serving */

struct heads {
	json_t *out;
	struct store *st;
};

/* One heads line per log: origin, newest checkpoint size and root. */
static int collect_head(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct heads *h = ctx;
	const char *note;
	size_t len;
	struct note_parts parts;
	struct checkpoint cp;
	const char *why;
	char hex[65];
	if (store_checkpoint_latest(h->st, id, &size, &note, &len) != STORE_OK ||
	    !note_split(note, len, &parts, &why) ||
	    !checkpoint_parse_text(parts.text, parts.text_len, &cp, &why))
		return 0;
	hex32(hex, cp.root);
	/* The note travels too: its cosignatures are what a peer at the same size may lack. */
	json_array_append_new(h->out, json_pack("{s:s, s:I, s:s, s:s%}", "log", origin, "size",
						(json_int_t)size, "root", hex, "checkpoint", note, len));
	return 0;
}

static int serve_heads(const char *dir)
{
	struct ledger l;
	struct chobo_error e;
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		return rc;
	struct heads h = {json_array(), l.store};
	rc = store_log_each(l.store, collect_head, &h) == STORE_OK ? 0 : EX_IOERR;
	int crc = cli_report(ledger_close(&l, &e), &e);
	size_t i;
	json_t *v;
	json_array_foreach(h.out, i, v)
		if (rc == 0 && !jsonl_print(json_incref(v)))
			rc = EX_IOERR;
	json_decref(h.out);
	return rc ? rc : crc;
}

static int serve_export(const char *dir, const char *origin, uint64_t since)
{
	struct selection sel = {.log = origin, .has_since = true, .since = since};
	struct chobo_error e;
	return cli_report(export_bundle_spooled(dir, &sel, stdout, &e), &e);
}

/* Cosignatures handed over by a peer: {"log","size","cosignature"} lines on stdin. */
static int serve_cosign(const char *dir)
{
	struct jsonl_reader r;
	json_t *obj, *todo = json_array();
	char err[256];
	enum jsonl_status s = JSONL_OK;
	int rc = 0;
	jsonl_init(&r, stdin, "stdin");
	while (json_array_size(todo) < 10000 && (s = jsonl_next(&r, &obj, err, sizeof err)) == JSONL_OK)
		json_array_append_new(todo, obj);
	jsonl_free(&r);
	if (s == JSONL_BAD) {
		chobo_warn("stdin:%lu: %s", r.line, err);
		json_decref(todo);
		return EX_DATAERR;
	}
	struct trust trust;
	struct ledger l;
	struct chobo_error e;
	if ((rc = cli_report(ledger_trust(dir, NULL, &trust, &e), &e)) != 0 || (rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e)) != 0) {
		json_decref(todo);
		return rc;
	}
	json_t *results = json_array();
	if (store_begin(l.store) != STORE_OK)
		rc = EX_IOERR;
	size_t i;
	json_t *v;
	json_array_foreach(todo, i, v) {
		const char *origin = json_string_value(json_object_get(v, "log"));
		const char *line = json_string_value(json_object_get(v, "cosignature"));
		json_t *size = json_object_get(v, "size");
		uint32_t id;
		uint64_t held;
		bool added = false;
		int arc = chobo_fail(&e, EX_DATAERR, "malformed request");
		if (rc == 0 && origin && line && json_is_integer(size) && json_integer_value(size) >= 0 &&
		    store_log_find(l.store, origin, &id, &held) == STORE_OK)
			arc = cosignature_add(&l, &trust, id, (uint64_t)json_integer_value(size), line,
					      strlen(line), &added, &e);
		json_array_append_new(results, arc != 0
			? json_pack("{s:s?, s:b, s:s}", "log", origin, "ok", 0, "error", e.msg)
			: json_pack("{s:s, s:b, s:b}", "log", origin, "ok", 1, "new", added));
	}
	if (rc == 0 && store_commit(l.store) != STORE_OK)
		rc = EX_IOERR;
	int crc = cli_report(ledger_close(&l, &e), &e);
	trust_free(&trust);
	json_array_foreach(results, i, v)
		if (rc == 0)
			jsonl_print(json_incref(v));
	json_decref(results);
	json_decref(todo);
	return rc ? rc : crc;
}

/* SSH_ORIGINAL_COMMAND is the client's words joined by spaces: split it, never hand it to a shell. */
static int serve(const char *dir)
{
	const char *cmd = getenv("SSH_ORIGINAL_COMMAND");
	char origin[NOTE_MAX_NAME + 1];
	uint64_t since;
	switch (sync_parse_command(cmd, origin, &since)) {
	case SYNC_HEADS:
		return serve_heads(dir);
	case SYNC_EXPORT:
		return serve_export(dir, origin, since);
	case SYNC_COSIGN:
		return serve_cosign(dir);
	case SYNC_REFUSED:
		break;
	}
	if (!cmd)
		chobo_warn("serving: no command (this key may only run the sync verbs)");
	else
		chobo_warn("serving: \"%.64s\" is not allowed (only chobo-heads, chobo-export ORIGIN SIZE, "
			   "chobo-cosign)", cmd);
	return EX_NOPERM;
}

/* ---------------------------------------------------------------- client */

/*
 * Run the configured ssh with destination and verb, stdin from in (or
 * /dev/null), stdout into out; wait at most timeout seconds.  0, or a reason.
 */
/* A private directory for this run's ssh control sockets (NULL: no connection sharing). */
static char *control_dir;

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *run_ssh_with(const char *destination, const char *const *options,
				const char *const *verb, FILE *in, FILE *out, unsigned timeout,
				uint64_t max_output)
{
	const char *ssh = getenv("CHOBO_SSH");
	char *cmd = xstrdup(ssh && *ssh ? ssh : "ssh");
	char *argv[64];
	int argc = 0;
	for (char *w = strtok(cmd, " \t"); w && argc < 48; w = strtok(NULL, " \t"))
		argv[argc++] = w;
	argv[argc++] = "-o";
	argv[argc++] = "BatchMode=yes";
	/* One connection per peer and run: later calls ride on the first (see control_close). */
	char control[PATH_MAX + 32];
	if (control_dir && !strstr(ssh ? ssh : "", "ControlPath")) {
		snprintf(control, sizeof control, "ControlPath=%s/%%C", control_dir);
		argv[argc++] = "-o";
		argv[argc++] = "ControlMaster=auto";
		argv[argc++] = "-o";
		argv[argc++] = "ControlPersist=60";
		argv[argc++] = "-o";
		argv[argc++] = control;
	}
	argv[argc++] = "-o";
	argv[argc++] = "ServerAliveInterval=15";
	for (int i = 0; options && options[i] && argc < 58; i++)
		argv[argc++] = (char *)options[i];
	argv[argc++] = "--";
	argv[argc++] = (char *)destination;
	for (int i = 0; verb[i] && argc < 63; i++)
		argv[argc++] = (char *)verb[i];
	argv[argc] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	int devnull = in ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
	posix_spawn_file_actions_adddup2(&fa, in ? fileno(in) : devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, fileno(out), 1);
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (devnull >= 0)
		close(devnull);
	free(cmd);
	if (err != 0)
		return "cannot run ssh";
	int status = 0;
	struct timespec tick = {0, 2 * 1000 * 1000};   /* short: every call waits for its answer */
	double deadline = monotonic() + timeout;
	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR)
			return "lost the ssh process";
		/* A peer that talks too long or too much is cut off. */
		struct stat sb;
		bool too_much = fstat(fileno(out), &sb) == 0 && (uint64_t)sb.st_size > max_output;
		if (too_much || monotonic() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return too_much ? "the peer sent more than the limit" : "timed out";
		}
		nanosleep(&tick, NULL);
	}
	if (!WIFEXITED(status))
		return "ssh was killed";
	switch (WEXITSTATUS(status)) {
	case 0: return NULL;
	case 255: return "ssh failed (unreachable, or the key was refused)";
	case EX_NOPERM: return "the peer refused the request";
	default: return "the peer's chain-sync failed";
	}
}

static const char *run_ssh(const char *destination, const char *const *verb, FILE *in, FILE *out,
			   unsigned timeout, uint64_t max_output)
{
	return run_ssh_with(destination, NULL, verb, in, out, timeout, max_output);
}

struct peer_state {
	const struct peer *peer;
	json_t *logs;          /* summaries of the imports */
	json_t *heads;         /* what the peer holds */
	const char *error;
	char error_buf[800];
	bool fork;
	size_t cosigned, accepted;
};

static unsigned sync_timeout(void)
{
	const char *t = getenv("CHOBO_SYNC_TIMEOUT");
	uint64_t v;
	return t && parse_u64(t, &v) && v > 0 && v < 86400 ? (unsigned)v : DEFAULT_SYNC_TIMEOUT;
}

static bool trusted_log(const struct trust *trust, const char *origin)
{
	for (size_t k = 0; k < trust->n; k++)
		if (trust->keys[k].type == NOTE_TYPE_ED25519 && strcmp(trust->keys[k].name, origin) == 0)
			return true;
	return false;
}

/*
 * Our held size of a log (0 when we hold none) and our tree's root at size
 * at (or at our held size if that is smaller); 0 or an exit code.
 */
static int held_state(const char *dir, const char *origin, uint64_t at, uint64_t *size, char hex[65])
{
	struct ledger l;
	struct chobo_error e;
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		return rc;
	uint32_t id;
	uint8_t root[32];
	struct ledger_reader lr;
	*size = 0;
	merkle_empty_root(root);
	if (store_log_find(l.store, origin, &id, size) == STORE_OK) {
		ledger_reader_init(&lr, &l, id);
		if (merkle_root(&lr.r, at < *size ? at : *size, root) != 0)
			rc = EX_IOERR;
	}
	hex32(hex, root);
	int crc = cli_report(ledger_close(&l, &e), &e);
	return rc ? rc : crc;
}

static void fetch_log(const char *dir, const struct trust *trust, struct peer_state *ps,
		      const char *origin, unsigned timeout)
{
	json_t *h = NULL;
	size_t i;
	json_array_foreach(ps->heads, i, h)
		if (strcmp(json_string_value(json_object_get(h, "log")), origin) == 0)
			break;
	uint64_t theirs = (uint64_t)json_integer_value(json_object_get(h, "size"));
	const char *root = json_string_value(json_object_get(h, "root"));
	uint64_t held;
	char ours[65], since[24];
	if (held_state(dir, origin, theirs, &held, ours) != 0) {
		ps->error = "cannot read the local ledger";
		return;
	}
	/*
	 * Where the peer's tree is no larger than ours it must be ours: if its
	 * claimed root differs, fetch its signed checkpoint, which import checks
	 * (a fork keeps the evidence).  A larger tree is fetched from our size on.
	 */
	if (theirs <= held && root && strcmp(root, ours) == 0)
		return;
	if (theirs < held)
		held = theirs;
	snprintf(since, sizeof since, "%llu", (unsigned long long)held);
	const char *verb[] = {"chobo-export", origin, since, NULL};
	FILE *bundle = tmpfile();
	if (!bundle) {
		ps->error = "cannot create a temporary file";
		return;
	}
	const char *why = run_ssh(ps->peer->destination, verb, NULL, bundle, timeout,
				  chobo_limit("BUNDLE_BYTES", BUNDLE_MAX_BYTES));
	if (why) {
		snprintf(ps->error_buf, sizeof ps->error_buf, "export of %s: %s", origin, why);
		ps->error = ps->error_buf;
		fclose(bundle);
		return;
	}
	rewind(bundle);
	struct ledger l;
	struct chobo_error e;
	struct import_result res;
	memset(&res, 0, sizeof res);
	int rc = import_precheck(trust, bundle, &e);
	if (rc == 0) {
		if (cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e) != 0) {
			ps->error = "cannot open the local ledger";
			fclose(bundle);
			return;
		}
		rc = import_bundle(&l, trust, bundle, &res, &e);
		struct chobo_error ce;
		cli_report(ledger_close(&l, &ce), &ce);
	}
	fclose(bundle);
	if (rc == 0) {
		size_t k;
		json_t *v;
		json_array_foreach(res.summary, k, v)
			json_array_append(ps->logs, v);
	} else if (rc == EXIT_FORK) {
		ps->fork = true;
		jsonl_print(json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "event", "fork", "peer", ps->peer->name,
				      "log", res.fork_log, "size", (json_int_t)res.fork_size,
				      "ours", res.fork_ours, "theirs", res.fork_theirs));
		snprintf(ps->error_buf, sizeof ps->error_buf, "fork of %s at size %llu: evidence kept",
			 res.fork_log, (unsigned long long)res.fork_size);
		ps->error = ps->error_buf;
	} else {
		snprintf(ps->error_buf, sizeof ps->error_buf, "bundle of %s refused: %.600s", origin,
			 e.msg);
		ps->error = ps->error_buf;
	}
	import_result_free(&res);
}

/* Cosign every log the peer holds at our newest size, and hand the cosignatures over. */
/* Add the trusted cosignatures of a peer's copy of a checkpoint we hold (same text) to ours. */
static void merge_cosignatures(struct ledger *l, const struct trust *trust, uint32_t id, uint64_t size,
			       const json_t *note)
{
	const char *text = json_string_value(note), *why;
	struct note_parts parts;
	if (!text || !note_split(text, json_string_length(note), &parts, &why))
		return;
	struct chobo_error e;
	cosignatures_merge(l, trust, id, size, text, json_string_length(note), NULL, &e);
}

static void cosign_and_send(const char *dir, const char *own, const struct trust *trust,
			    const struct note_signer *witness, struct peer_state *ps, unsigned timeout)
{
	struct ledger l;
	struct chobo_error e;
	int64_t now;
	if (!chobo_now(&now) || now < 0) {
		ps->error = "CHOBO_NOW is not an RFC 3339 time: no cosignatures made";
		return;
	}
	if (cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e) != 0) {
		ps->error = "cannot open the local ledger to cosign";
		return;
	}
	FILE *req = tmpfile();
	size_t i;
	json_t *h;
	if (req && store_begin(l.store) == STORE_OK) {
		json_array_foreach(ps->heads, i, h) {
			const char *origin = json_string_value(json_object_get(h, "log"));
			uint64_t theirs = (uint64_t)json_integer_value(json_object_get(h, "size"));
			uint32_t id;
			uint64_t held, size;
			if (!origin || store_log_find(l.store, origin, &id, &held) != STORE_OK || held != theirs)
				continue;
			/* The same checkpoint at the peer: keep the witnesses' cosignatures it carries. */
			merge_cosignatures(&l, trust, id, held, json_object_get(h, "checkpoint"));
			/* A node does not witness its own log. */
			if (strcmp(origin, own) == 0)
				continue;
			/* The peer's copy already carries our cosignature: nothing to hand over. */
			const char *peer_note = json_string_value(json_object_get(h, "checkpoint"));
			size_t have;
			if (peer_note && note_find_signature(peer_note, strlen(peer_note), &witness->pub, &have))
				continue;
			char *line;
			if (cli_report(cosign_latest(&l, id, witness, (uint64_t)now, &line, &size, &e), &e) != 0 ||
			    size != theirs) {
				free(line);
				continue;
			}
			json_t *o = json_pack("{s:s, s:I, s:s}", "log", origin, "size", (json_int_t)size,
					      "cosignature", line);
			char *text = json_dumps(o, JSON_COMPACT);
			fprintf(req, "%s\n", text);
			free(text);
			json_decref(o);
			free(line);
			ps->cosigned++;
		}
		if (store_commit(l.store) != STORE_OK)
			ps->error = "cannot store our cosignatures";
	}
	cli_report(ledger_close(&l, &e), &e);
	if (!req)
		return;
	if (ps->cosigned > 0 && !ps->error) {
		FILE *out = tmpfile();
		const char *verb[] = {"chobo-cosign", NULL};
		rewind(req);
		const char *why = out ? run_ssh(ps->peer->destination, verb, req, out, timeout,
					       MAX_HEADS_OUTPUT) : "no temporary file";
		if (why) {
			snprintf(ps->error_buf, sizeof ps->error_buf, "handing over cosignatures: %s", why);
			ps->error = ps->error_buf;
		} else {
			char line[1024];
			rewind(out);
			while (fgets(line, sizeof line, out))
				if (strstr(line, "\"ok\":true"))
					ps->accepted++;
		}
		if (out)
			fclose(out);
	}
	fclose(req);
}

static void sync_peer(const char *dir, const char *own, const struct trust *trust,
		      const struct note_signer *witness, struct peer_state *ps)
{
	unsigned timeout = sync_timeout();
	FILE *out = tmpfile();
	const char *verb[] = {"chobo-heads", NULL};
	const char *why = out ? run_ssh(ps->peer->destination, verb, NULL, out, timeout, MAX_HEADS_OUTPUT)
			      : "no temporary file";
	if (why) {
		snprintf(ps->error_buf, sizeof ps->error_buf, "heads: %s", why);
		ps->error = ps->error_buf;
		if (out)
			fclose(out);
		return;
	}
	rewind(out);
	struct jsonl_reader r;
	json_t *obj;
	char err[256];
	jsonl_init(&r, out, "heads");
	enum jsonl_status hs = JSONL_OK;
	while (json_array_size(ps->heads) < 10000 && (hs = jsonl_next(&r, &obj, err, sizeof err)) == JSONL_OK) {
		const char *origin = json_string_value(json_object_get(obj, "log"));
		json_t *size = json_object_get(obj, "size");
		if (origin && checkpoint_origin_valid(origin) && json_is_integer(size) &&
		    json_integer_value(size) >= 0)
			json_array_append(ps->heads, obj);
		json_decref(obj);
	}
	jsonl_free(&r);
	fclose(out);
	if (hs == JSONL_BAD || hs == JSONL_IOERR) {
		snprintf(ps->error_buf, sizeof ps->error_buf, "heads line %lu: %s", r.line,
			 hs == JSONL_BAD ? err : "read error");
		ps->error = ps->error_buf;
		return;
	}
	size_t i;
	json_t *h;
	json_array_foreach(ps->heads, i, h) {
		const char *origin = json_string_value(json_object_get(h, "log"));
		/* Only this node writes its log; logs nobody here can verify are not taken. */
		if (strcmp(origin, own) == 0 || !trusted_log(trust, origin))
			continue;
		fetch_log(dir, trust, ps, origin, timeout);
		if (ps->error && !ps->fork)
			return;
	}
	if (!ps->fork)
		cosign_and_send(dir, own, trust, witness, ps, timeout);
}

/* End the shared connection to a peer, if one was made. */
static void control_close(const char *destination)
{
	static const char *const options[] = {"-q", "-O", "exit", NULL};
	static const char *const none[] = {NULL};
	FILE *out = tmpfile();
	if (control_dir && out)
		run_ssh_with(destination, options, none, NULL, out, 10, 1u << 20);
	if (out)
		fclose(out);
}

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
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir(), *only = NULL;
	bool wait = false, serving = false;
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
		}
	}
	if (optind != argc)
		cli_usage_error(usage);
	if (serving)
		cli_exit(serve(dir));

	/* The configuration, read with the ledger open only for a moment. */
	struct ledger l;
	struct chobo_error e;
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		cli_exit(rc);
	size_t npeers = l.conf.npeers;
	struct peer *peers = xcalloc(npeers ? npeers : 1, sizeof *peers);
	for (size_t i = 0; i < npeers; i++) {
		peers[i].name = xstrdup(l.conf.peers[i].name);
		peers[i].destination = xstrdup(l.conf.peers[i].destination);
	}
	char *own = xstrdup(l.conf.origin);
	cli_report(ledger_close(&l, &e), &e);
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
	char control_template[] = "/tmp/chobo-sync.XXXXXX";
	control_dir = mkdtemp(control_template);
	for (size_t i = 0; i < npeers; i++) {
		if (only && strcmp(only, peers[i].name) != 0)
			continue;
		struct peer_state ps = {.peer = &peers[i], .logs = json_array(), .heads = json_array()};
		sync_peer(dir, own, &trust, &witness, &ps);
		control_close(peers[i].destination);
		any_fork |= ps.fork;
		any_error |= ps.error != NULL;
		json_t *line = json_pack("{s:s, s:b, s:o, s:I, s:I}", "peer", peers[i].name, "ok", !ps.error,
					 "logs", ps.logs, "cosigned", (json_int_t)ps.cosigned,
					 "cosignatures_accepted", (json_int_t)ps.accepted);
		if (ps.error) {
			json_object_set_new(line, "error", json_string(ps.error));
			chobo_info("%s: %s", peers[i].name, ps.error);
		}
		json_decref(ps.heads);
		if (!chobo_quiet || ps.error)
			jsonl_print(line);
		else
			json_decref(line);
	}
	close(lockfd);
	note_signer_clear(&witness);
	if (control_dir)
		rmdir(control_dir);
	for (size_t i = 0; i < npeers; i++) {
		free(peers[i].name);
		free(peers[i].destination);
	}
	free(peers);
	free(own);
	trust_free(&trust);
	cli_exit(any_fork ? EXIT_FORK : any_error ? EX_UNAVAILABLE : 0);
}
