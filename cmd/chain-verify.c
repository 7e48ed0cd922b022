/*
 * chain-verify: audit a ledger without changing it.  Every log is streamed
 * once, side by side with its stored hashes and checkpoints, so memory stays
 * O(log n) whatever the ledger's size.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <jansson.h>

#include "audit.h"
#include "bundle.h"
#include "checkpoint.h"
#include "cli.h"
#include "entry_index.h"
#include "fork_evidence.h"
#include "jsonl.h"
#include "ledger.h"
#include "log_list.h"
#include "log_tip.h"
#include "restore.h"
#include "service.h"
#include "view.h"
#include "util.h"

static const char usage[] =
	"usage: chain-verify [-q] [--trust FILE] [--against CHECKPOINT] [--quorum K] [--index]\n"
	"                    [--views] [--accept-forks] [-L DIR | DIR | BUNDLE | FORK-EVIDENCE]\n"
	"Audit a ledger (default: $CHOBO_LEDGER, else ./ledger) or a bundle, or check fork evidence\n"
	"(chain-proof fork); print one JSON report.\n"
	"Exit 0 when valid, 1 when invalid, 2 when the ledger holds proven fork evidence (unless\n"
	"--accept-forks) or the evidence proves a fork, other codes for errors.\n"
	"Environment: CHOBO_LEDGER, CHOBO_LOCK_WAIT, CHOBO_AUDIT_SLICE_MS.\n"
	"Exit status: 0 success, 1 invalid, 2 a fork proven, 64 usage, 65 bad data, 66 no input,\n"
	"71 system error, 74 I/O error, 75 busy, 77 no permission, 78 configuration.\n"
	"See chain-verify(1).\n";

/*
 * An audit lets writers in as it goes: an append-only log's audited prefix
 * stays audited, so every AUDIT_SLICE_MS the audit closes the ledger (which
 * releases its lock), waits AUDIT_YIELD_US for a writer that was waiting to
 * take the lock, and opens the ledger again where it was.  Each log is
 * audited up to the size it had when the audit began; what was appended
 * since is for the next audit.  With --index the whole audit holds the lock
 * (the index is compared with the entries counted, at one moment).
 */
#define AUDIT_SLICE_MS 80
#define AUDIT_YIELD_US 1000

/* The slice length: AUDIT_SLICE_MS, or CHOBO_AUDIT_SLICE_MS (0: reopen every 1024 entries; for tests). */
static uint64_t slice_ms(void)
{
	const char *env = getenv("CHOBO_AUDIT_SLICE_MS");
	uint64_t v;
	if (env && parse_u64(env, &v) && v <= 60000)
		return v;
	return AUDIT_SLICE_MS;
}

struct reopen {
	struct ledger *l;
	const char *dir;
	bool enabled;
	uint64_t opened_ms, slice_ms;
	int failed;                /* the exit code of an open between slices that failed, with err */
	struct chobo_error err;
};

/* The three cursors over one log, each record below the audited size, and the next hash and checkpoint. */
struct cursors {
	struct store_cursor *entries, *hashes, *checkpoints;
	uint64_t limit;                  /* the log's size when the audit began */
	bool has_hash, has_checkpoint, hash_past, checkpoint_past;
	uint64_t hash_key, checkpoint_key;
	const void *hash_data, *checkpoint_data;
	size_t hash_len, checkpoint_len;
};

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * How a failed read of the store is named in the report: a table's content
 * that is bad (a page whose checksum fails) is a damaged database, as
 * chain-verify(1) says; anything else a storage error.
 */
static const char *store_failure(const struct store *st)
{
	return store_damaged(st) ? "damaged database" : "storage error";
}

/*
 * The next record of c if its key is below below; *past is set when there is
 * a record but its key is not (written during the audit, or damage); 0 or 1.
 */
static int advance(struct store *st, struct store_cursor *c, bool *has, bool *past, uint64_t *key,
		   const void **data, size_t *len, uint64_t below, struct audit *a, const char *origin)
{
	int rc = store_cursor_next(c, key, data, len);
	*has = rc == STORE_OK && *key < below;
	*past = rc == STORE_OK && *key >= below;
	if (rc == STORE_ERROR)
		return audit_problem(a, origin, "log", 0, "%s: %s", store_failure(st), store_error(st));
	return 0;
}

static void cursors_close(struct cursors *c)
{
	store_cursor_close(c->entries);
	store_cursor_close(c->hashes);
	store_cursor_close(c->checkpoints);
	c->entries = c->hashes = c->checkpoints = NULL;
}

/*
 * Open the cursors of log id at entry from, and read the next hash and
 * checkpoint again when there was one (from their keys; records past the
 * last ones read cannot appear below the audited size); 0 or 1 after
 * audit_problem.
 */
static int cursors_open(struct cursors *c, struct store *st, uint32_t id, uint64_t from, bool first,
			struct audit *a, const char *origin)
{
	c->entries = store_cursor_open(st, STORE_ENTRIES, id);
	c->hashes = store_cursor_open(st, STORE_HASHES, id);
	c->checkpoints = store_cursor_open(st, STORE_CHECKPOINTS, id);
	if (!c->entries || !c->hashes || !c->checkpoints)
		return audit_problem(a, origin, "log", 0, "%s: %s", store_failure(st), store_error(st));
	store_cursor_seek(c->entries, from);
	int rc = 0;
	if (first || c->has_hash) {
		store_cursor_seek(c->hashes, first ? 0 : c->hash_key);
		rc = advance(st, c->hashes, &c->has_hash, &c->hash_past, &c->hash_key, &c->hash_data, &c->hash_len,
			     c->limit, a, origin);
	}
	if (rc == 0 && (first || c->has_checkpoint)) {
		store_cursor_seek(c->checkpoints, first ? 0 : c->checkpoint_key);
		rc = advance(st, c->checkpoints, &c->has_checkpoint, &c->checkpoint_past, &c->checkpoint_key, &c->checkpoint_data,
			     &c->checkpoint_len, c->limit + 1, a, origin);
	}
	return rc;
}

/* Close the ledger, let a waiting writer in, and open it again with the cursors where they were. */
static int slice_end(struct reopen *r, struct cursors *c, uint32_t id, uint64_t at, struct audit *a,
		     const char *origin)
{
	struct chobo_error e;
	cursors_close(c);
	int rc = ledger_close(r->l, &e);
	if (rc == 0) {
		struct timespec pause = {0, AUDIT_YIELD_US * 1000L};
		nanosleep(&pause, NULL);
		/* A ledger left unclean meanwhile is audited from a private copy: make it once. */
		char *db = path_join(r->dir, "db");
		if (store_needs_recovery(db))
			r->enabled = false;
		free(db);
		rc = ledger_open(r->l, r->dir, STORE_AUDIT, &e);
	}
	if (rc != 0) {
		/* Not a finding: the audit could not go on (busy for CHOBO_LOCK_WAIT, a file gone...). */
		r->failed = rc;
		r->err = e;
		return rc;
	}
	r->opened_ms = now_ms();
	return cursors_open(c, r->l->store, id, at, false, a, origin);
}

/*
 * The log's tip record (log_tip.h), which an append starts from instead of
 * the stored hashes: when it is for the audited size it must hold the edge
 * of the tree recomputed (stack) and the last entry's time.  One for a
 * smaller size was left as a program that predates it appended (the next
 * append writes it again) and is not read; one for a larger size is
 * written only as the log grows (grew).  0 or 1 after audit_problem.
 */
static int verify_tip(struct audit *a, struct store *st, uint32_t id, const char *origin,
		      const struct merkle_stack *stack, bool grew)
{
	const void *data;
	size_t len;
	struct log_tip tip;
	int s = store_tip_get(st, id, &data, &len);
	if (s == STORE_NOTFOUND)
		return 0;
	if (s == STORE_ERROR)
		return audit_problem(a, origin, "log", stack->size, "%s: %s", store_failure(st), store_error(st));
	if (!log_tip_decode(data, len, &tip))
		return audit_problem(a, origin, "hashes", stack->size, "the log's tip record is malformed");
	if (tip.stack.size > stack->size)
		return grew ? 0 : audit_tables_disagree(a, origin, "hashes", tip.stack.size,
							"the log's tip record is for %llu entries, the log has %llu",
							(unsigned long long)tip.stack.size,
							(unsigned long long)stack->size);
	if (tip.stack.size < stack->size)
		return 0;
	/* The last entry's time, when the audit read it (audit_entry_time, at the last checkpoint). */
	bool time_known = stack->size == 0 || (a->time_next == stack->size && strcmp(a->time_log, origin) == 0);
	int64_t last = stack->size == 0 ? INT64_MIN : a->time_last;
	if (tip.stack.depth != stack->depth ||
	    memcmp(tip.stack.hash, stack->hash, (size_t)stack->depth * 32) != 0 ||
	    (time_known && tip.last_time != last))
		return audit_problem(a, origin, "hashes", stack->size,
				     "the log's tip record differs from the recomputed tree or the last entry's time");
	return 0;
}

static int verify_log(struct audit *a, struct reopen *r, uint32_t id, const char *origin,
		      uint64_t log_size)
{
	struct merkle_stack stack;
	uint8_t formed[64][32];
	struct cursors c = {.limit = log_size};
	struct audit_checker *checker = audit_checker_start(a, origin);
	int rc = cursors_open(&c, r->l->store, id, 0, true, a, origin);
	if (rc)
		goto out;
	merkle_stack_init(&stack);
	if (!c.has_checkpoint || c.checkpoint_key != 0) {
		rc = audit_problem(a, origin, "checkpoint", 0, "the empty tree's checkpoint is missing");
		goto out;
	}
	const void *last_entry = NULL;   /* the last entry read (the entries cursor keeps it until its next read) */
	size_t last_len = 0;
	for (;;) {
		struct store *st = r->l->store;
		/* Every checkpoint at the current size must sign the current root. */
		if (last_entry && c.has_checkpoint && c.checkpoint_key == stack.size)
			audit_entry_time(a, origin, stack.size - 1, last_entry, last_len);
		while (c.has_checkpoint && c.checkpoint_key == stack.size) {
			if ((rc = audit_checkpoint(a, origin, stack.size, c.checkpoint_data,
						   c.checkpoint_len, &stack)) ||
			    (rc = advance(st, c.checkpoints, &c.has_checkpoint, &c.checkpoint_past, &c.checkpoint_key,
					  &c.checkpoint_data, &c.checkpoint_len, c.limit + 1, a, origin)))
				goto out;
		}
		if ((rc = audit_against(a, origin, &stack)))
			goto out;
		if (stack.size == c.limit)
			break;
		if (r->enabled && (stack.size & 1023) == 0 && now_ms() - r->opened_ms >= r->slice_ms) {
			if ((rc = slice_end(r, &c, id, stack.size, a, origin)))
				goto out;
			st = r->l->store;
		}

		uint64_t index;
		const void *data;
		size_t len;
		int s = store_cursor_next(c.entries, &index, &data, &len);
		if (s == STORE_ERROR) {
			rc = audit_problem(a, origin, "entry", stack.size, "%s: %s", store_failure(st), store_error(st));
			goto out;
		}
		if (s == STORE_NOTFOUND) {
			rc = audit_tables_disagree(a, origin, "log", stack.size, "the log records %llu entries but holds %llu",
					   (unsigned long long)log_size, (unsigned long long)stack.size);
			goto out;
		}
		if (index != stack.size) {
			rc = audit_tables_disagree(a, origin, "entry", stack.size, "entry %llu is missing",
					   (unsigned long long)stack.size);
			goto out;
		}
		if (len > CHOBO_MAX_ENTRY) {
			rc = audit_problem(a, origin, "entry", index, "entry is larger than %d bytes",
					   CHOBO_MAX_ENTRY);
			goto out;
		}
		audit_checker_add(checker, index, data, len);
		if (audit_checker_failed(checker)) {
			rc = 1;
			goto out;
		}
		if (a->check_index) {
			uint8_t leaf[32], found[32];
			uint32_t found_log;
			uint64_t found_index;
			bool ambiguous;
			merkle_leaf_hash(leaf, data, len);
			if (store_leaf_find(st, leaf, 256, found, &found_log, &found_index, &ambiguous) != STORE_OK ||
			    found_log != id || found_index != index) {
				rc = audit_problem(a, origin, "index", index,
						   "the leaf-hash index does not lead to this entry");
				goto out;
			}
		}
		unsigned n = audit_entry_push(a, data, len, &stack, formed);
		last_entry = data;
		last_len = len;
		if (n > 0) {
			if (!c.has_hash || c.hash_key != index) {
				rc = audit_tables_disagree(a, origin, "hashes", index, "stored interior hashes are missing");
				goto out;
			}
			/* Which changed, an entry or a hash, the next checkpoint tells. */
			if (!a->hash_differs && (c.hash_len != (size_t)n * 32 ||
						 memcmp(c.hash_data, formed, (size_t)n * 32) != 0)) {
				a->hash_differs = true;
				a->hash_differs_at = index;
			}
			if ((rc = advance(st, c.hashes, &c.has_hash, &c.hash_past, &c.hash_key, &c.hash_data,
					  &c.hash_len, c.limit, a, origin)))
				goto out;
		} else if (c.has_hash && c.hash_key <= index) {
			rc = audit_tables_disagree(a, origin, "hashes", c.hash_key, "unexpected stored hash record");
			goto out;
		}
	}
	struct store *st = r->l->store;
	/*
	 * An entry past the size the log records is not covered by its
	 * checkpoints, unless it was appended during the audit: then the log
	 * records a larger size now.
	 */
	uint64_t index, now_size;
	uint32_t now_id;
	const void *data;
	size_t len;
	int s = store_cursor_next(c.entries, &index, &data, &len);
	bool grew = store_log_find(st, origin, &now_id, &now_size) == STORE_OK && now_size > log_size;
	if (s == STORE_ERROR) {
		rc = audit_problem(a, origin, "entry", stack.size, "%s: %s", store_failure(st), store_error(st));
	} else if (c.checkpoint_past && !grew) {
		rc = audit_tables_disagree(a, origin, "checkpoint", c.checkpoint_key,
			     "checkpoint of size %llu but the log has only %llu entries",
			     (unsigned long long)c.checkpoint_key, (unsigned long long)stack.size);
	} else if ((c.has_hash || c.hash_past) && !grew) {
		rc = audit_tables_disagree(a, origin, "hashes", c.hash_key, "stored hash beyond the last entry");
	} else if (s == STORE_OK && !grew) {
		rc = audit_tables_disagree(a, origin, "log", stack.size, "the log records %llu entries but holds more",
			     (unsigned long long)log_size);
	} else if (a->hash_differs) {
		rc = audit_problem(a, origin, "hashes", a->hash_differs_at,
			     "stored interior hashes differ from the recomputed tree");
	} else {
		uint64_t last;
		const char *note;
		size_t nlen;
		if (store_checkpoint_floor(st, id, c.limit, &last, &note, &nlen) != STORE_OK || last != stack.size)
			rc = audit_problem(a, origin, "log", stack.size,
				     "entries after the last signed checkpoint");
		else
			rc = audit_quorum(a, origin, last, note, nlen);
		if (rc == 0)
			rc = verify_tip(a, st, id, origin, &stack, grew);
	}
out:
	audit_checker_finish(checker);
	if (a->p.found)
		rc = 1;
	cursors_close(&c);
	return rc;
}


struct forks {
	json_t *list;
	const struct log_list *logs;
	const struct trust *trust;
	size_t proven;
};

static int collect_fork(void *ctx, uint32_t log, const char *ours, size_t olen, const char *theirs,
			size_t tlen, const char *proof, size_t plen)
{
	struct forks *f = ctx;
	const char *origin = log_list_origin(f->logs, log);
	char signed_by[NOTE_MAX_NAME + 1], why[256];
	if (!origin)
		origin = "";
	json_t *o = fork_evidence_json(origin, ours, olen, theirs, tlen, proof, plen);
	/* Evidence counts when it proves itself: two sizes need the proof that shows them inconsistent. */
	bool proven = fork_evidence_check(ours, olen, theirs, tlen, proof, plen, f->trust->keys, f->trust->n,
					  signed_by, why, sizeof why);
	json_object_set_new(o, "proven", json_boolean(proven));
	if (!proven)
		json_object_set_new(o, "reason", json_string(why));
	f->proven += proven;
	json_array_append_new(f->list, o);
	return 0;
}

/* --views: rebuild every view from the logs and compare it with the stored one. */
static bool check_views;
static uint64_t views_checked;

/* Fork evidence this ledger holds: pairs of signed checkpoints of other logs (JSON array). */
static json_t *fork_evidence;
static size_t forks_proven;
/* A restore of this node's own log under way (restore.h): {"size","floor"}, or NULL. */
static json_t *restoring;

/* The ledger was left unclean and is audited as last committed, from a recovered private copy. */
static bool recovered;

/*
 * A step of the audit failed with rc and message msg.  A table whose
 * content is damaged (a page whose checksum fails) is a finding, as
 * chobo(7) says of status 1: 0 with the problem in a->p; anything else
 * means the audit could not be done: rc, reported.
 */
static int audit_failed(struct audit *a, const struct ledger *l, int rc, const char *msg)
{
	if (store_damaged(l->store)) {
		audit_problem(a, "", "ledger", 0, "damaged database: %s", msg);
		return 0;
	}
	chobo_warn("%s", msg);
	return rc;
}

/* audit_failed for a call of the store itself, whose error names the table but not the ledger. */
static int audit_failed_store(struct audit *a, const struct ledger *l)
{
	struct chobo_error e;
	snprintf(e.msg, sizeof e.msg, "%s: %s", l->dir, store_error(l->store));
	return audit_failed(a, l, EX_IOERR, e.msg);
}

/* Audit a ledger directory; 0, or an exit code for an error (findings go to a->p). */
static int verify_ledger(struct audit *a, const char *dir, const struct trust *trust)
{
	struct ledger l;
	struct log_list logs = {0};
	struct chobo_error e;
	int rc = ledger_open(&l, dir, STORE_AUDIT, &e);
	if (rc == EX_DATAERR) {
		/*
		 * A database file whose content is bad is a finding.  A file that is
		 * missing, may not be read or cannot be read is not: the audit could
		 * not be made, and the code says why (ledger_open).
		 */
		audit_problem(a, "", "ledger", 0, "damaged database: %s", e.msg);
		return 0;
	}
	if (rc != 0)
		return cli_report(rc, &e);
	if ((recovered = store_recovered_copy(l.store)))
		chobo_info("%s: not closed cleanly (a process was killed, the copy was taken while one "
			   "wrote, or the tables were left unsynced before a restart or on another machine "
			   "or file system): audited as last committed, recovered in a private copy; the "
			   "ledger is unchanged", dir);
	rc = cli_report(log_list_read(&l, NULL, &logs, &e), &e);
	char *dbdir = path_join(dir, "db");
	/* An unclean ledger is audited from a private copy (store.h): made once, not at every slice. */
	bool sliced = l.lockfd >= 0 && !a->check_index && !store_needs_recovery(dbdir);
	free(dbdir);
	struct reopen r = {.l = &l, .dir = dir, .enabled = sliced,
			   .opened_ms = now_ms(), .slice_ms = slice_ms()};
	for (size_t i = 0; rc == 0 && i < logs.n && !a->p.found && l.store; i++) {
		a->logs++;
		verify_log(a, &r, logs.v[i].id, logs.v[i].origin, logs.v[i].size);
	}
	if (!l.store) {   /* it could not be opened again between slices */
		log_list_free(&logs);
		return cli_report(r.failed, &r.err);
	}
	uint64_t indexed;
	if (rc == 0 && !a->p.found && a->check_index) {
		if (store_leaf_count(l.store, &indexed) != STORE_OK) {
			rc = audit_failed_store(a, &l);
		} else if (indexed != a->entries) {
			audit_problem(a, "", "index", indexed,
				      "the leaf-hash index holds %llu records for %llu entries",
				      (unsigned long long)indexed, (unsigned long long)a->entries);
		}
	}
	/* The entry indexes by type and key, rebuilt from the entries. */
	if (rc == 0 && !a->p.found && a->check_index) {
		int irc = entry_index_check(l.store, &e);
		if (irc == EXIT_INVALID)
			audit_problem(a, "", "index", 0, "%s", e.msg);
		else if (irc != 0)
			rc = audit_failed(a, &l, irc, e.msg);
	}
	/* Every service's views, rebuilt from the logs. */
	for (const struct service *const *s = service_list(); rc == 0 && check_views && *s; s++)
		for (const struct view_spec *const *v = (*s)->views; rc == 0 && v && *v && !a->p.found; v++) {
			int vrc = view_check(&l, *v, &e);
			if (vrc == EXIT_INVALID)
				audit_problem(a, "", "view", 0, "%s", e.msg);
			else if (vrc != 0)
				rc = audit_failed(a, &l, vrc, e.msg);
			else
				views_checked++;
		}
	struct forks f = {json_array(), &logs, trust, 0};
	/* A store that found damage already (and so panicked) cannot be read further. */
	if (rc == 0 && !store_damaged(l.store) && store_fork_each(l.store, collect_fork, &f) != STORE_OK)
		rc = audit_failed_store(a, &l);
	fork_evidence = f.list;
	forks_proven = f.proven;
	struct restore_floor floor = {0};
	if (rc == 0 && (rc = cli_report(restore_floor_read(dir, &floor, &e), &e)) == 0 && floor.restoring) {
		uint64_t held = 0;
		for (size_t i = 0; i < logs.n; i++)
			if (strcmp(logs.v[i].origin, l.conf.origin) == 0)
				held = logs.v[i].size;
		restoring = json_pack("{s:I, s:I}", "size", (json_int_t)held, "floor", (json_int_t)floor.size);
	}
	restore_floor_free(&floor);
	int crc = cli_report(ledger_close(&l, &e), &e);
	log_list_free(&logs);
	return rc ? rc : crc;
}

/* Audit a bundle read from fp; 0, or an exit code for an error (findings go to a->p). */
static int verify_bundle(struct audit *a, FILE *fp, const char *path, bool *complete)
{
	const char *why;
	struct bundle_reader *r = bundle_reader_open(fp, &why);
	if (!r)
		audit_problem(a, "", "bundle", 0, "%s", why);
	else
		audit_bundle(a, r, complete);
	bundle_reader_close(r);
	/* A read that the system failed is no finding about the bundle: the audit could not be done. */
	if (ferror(fp))
		chobo_die(EX_IOERR, "%s: the bundle could not be read (read error); nothing was judged", path);
	return 0;
}

/* Check a fork evidence file (chain-proof fork) read from fp: exit 2 when it proves a fork, 1 when not. */
static int verify_fork_file(const char *path, FILE *fp, const struct trust *trust)
{
	char *text = xmalloc(4 * CHOBO_MAX_NOTE + 1);
	size_t len = fread(text, 1, 4 * CHOBO_MAX_NOTE + 1, fp);
	char origin[NOTE_MAX_NAME + 1], why[256];
	if (ferror(fp))
		chobo_die(EX_IOERR, "%s: read error", path);
	bool proven = len <= 4 * CHOBO_MAX_NOTE &&
		      fork_evidence_file_check(text, len, trust->keys, trust->n, origin, why, sizeof why);
	if (len > 4 * CHOBO_MAX_NOTE)
		snprintf(why, sizeof why, "larger than fork evidence can be");
	free(text);
	json_t *report = json_pack("{s:s, s:b}", "fork_evidence", path, "proven", proven);
	if (proven)
		json_object_set_new(report, "log", json_string(origin));
	else
		json_object_set_new(report, "reason", json_string(why));
	if (!jsonl_print(report))
		return EX_IOERR;
	if (!proven)
		chobo_info("%s: no fork proven: %s", path, why);
	return proven ? EXIT_FORK : EXIT_INVALID;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"trust", required_argument, NULL, 't'},
		{"against", required_argument, NULL, 'a'},
		{"quorum", required_argument, NULL, 'Q'},
		{"index", no_argument, NULL, 'I'},
		{"views", no_argument, NULL, 'W'},
		{"accept-forks", no_argument, NULL, 'F'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *trust_file = NULL, *against_file = NULL, *dir = NULL;
	unsigned quorum = 0;
	bool check_index = false, accept_forks = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
		else if (opt == 't')
			trust_file = optarg;
		else if (opt == 'a')
			against_file = optarg;
		else if (opt == 'I')
			check_index = true;
		else if (opt == 'W')
			check_views = true;
		else if (opt == 'F')
			accept_forks = true;
		else if (opt == 'Q')
			quorum = (unsigned)cli_u64("--quorum", optarg);
	}
	if (argc - optind > (dir ? 0 : 1))
		cli_usage_error(usage);
	if (!dir)
		dir = optind < argc ? argv[optind] : ledger_default_dir();

	/* The report names the ledger and the trust file in JSON, which holds UTF-8 only. */
	if (!utf8_valid((const uint8_t *)dir, strlen(dir)) ||
	    (trust_file && !utf8_valid((const uint8_t *)trust_file, strlen(trust_file))))
		chobo_die(EX_USAGE, "%s: the path is not UTF-8, so the JSON report cannot name it "
			  "(audit it through a link whose name is UTF-8)",
			  utf8_valid((const uint8_t *)dir, strlen(dir)) ? trust_file : dir);

	/* A directory is a ledger; anything else (a file, a pipe) must be a bundle. */
	struct stat sb;
	if (stat(dir, &sb) != 0)
		chobo_die(EX_NOINPUT, "%s: %s", dir, strerror(errno));
	bool bundle = !S_ISDIR(sb.st_mode);
	if (bundle && quorum)
		chobo_die(EX_USAGE, "--quorum applies to a ledger, not to a bundle");
	if (bundle && !trust_file)
		chobo_die(EX_USAGE, "%s is a bundle: give the trusted keys with --trust FILE", dir);
	struct trust trust;
	struct checkpoint against;
	struct audit a = {.trust = &trust, .quorum = quorum, .check_index = check_index};
	progress_start(&a.progress, "entries checked", 0);
	struct chobo_error e;
	int rc = cli_report(ledger_trust(dir, trust_file, &trust, &e), &e);
	if (rc == 0 && trust.n == 0) {
		chobo_warn("no trusted keys (give --trust FILE)");
		rc = EX_CONFIG;
	}
	if (rc == 0 && against_file &&
	    (rc = cli_report(checkpoint_read_file(against_file, trust.keys, trust.n, &against, &e), &e)) == 0)
		a.against = &against;
	if (rc != 0)
		cli_exit(rc);

	/* A file is a bundle, or fork evidence: one JSON object. */
	FILE *fp = NULL;
	if (bundle) {
		if (!(fp = fopen(dir, "rb")))
			chobo_die(EX_NOINPUT, "%s: %s", dir, strerror(errno));
		int c = getc(fp);
		if (c == '{' && ungetc(c, fp) == c) {
			int frc = verify_fork_file(dir, fp, &trust);
			fclose(fp);
			trust_free(&trust);
			cli_exit(frc);
		}
		if (c != EOF && ungetc(c, fp) != c)
			chobo_die(EX_IOERR, "%s: read error", dir);
	}
	bool complete = true;
	int crc = bundle ? verify_bundle(&a, fp, dir, &complete) : verify_ledger(&a, dir, &trust);
	if (fp)
		fclose(fp);
	progress_end(&a.progress, a.entries);
	trust_free(&trust);
	audit_free(&a);
	if (crc != 0 && !a.p.found)
		cli_exit(crc);
	if (!a.p.found && a.against && !a.against_seen)
		audit_problem(&a, a.against->origin, "log", a.against->size,
			      "the %s does not reach the checkpoint given by --against "
			      "(a missing log, or history rolled back)", bundle ? "bundle" : "ledger");

	json_t *report = json_pack("{s:b, s:s, s:I, s:I, s:I, s:s}", "ok", !a.p.found,
				   bundle ? "bundle" : "ledger", dir,
				   "logs", (json_int_t)a.logs, "entries", (json_int_t)a.entries,
				   "checkpoints", (json_int_t)a.checkpoints,
				   "trust", trust_file ? trust_file : "trust/");
	if (bundle)
		json_object_set_new(report, "complete", json_boolean(complete));
	if (check_views && !bundle)
		json_object_set_new(report, "views", json_integer((json_int_t)views_checked));
	if (recovered)
		json_object_set_new(report, "unclean", json_true());
	if (fork_evidence && json_array_size(fork_evidence) > 0) {
		json_object_set_new(report, "forks", fork_evidence);
		chobo_info("this ledger holds evidence of %zu fork(s) of other nodes' logs, %zu proven%s",
			   json_array_size(fork_evidence), forks_proven,
			   forks_proven && accept_forks ? " (accepted: --accept-forks)" : "");
	} else {
		json_decref(fork_evidence);
	}
	if (a.against)
		json_object_set_new(report, "against_size", json_integer((json_int_t)a.against->size));
	if (a.p.found && a.p.tables && recovered) {
		/*
		 * Left unclean, and its tables disagree on what a log holds: the
		 * files of a copy taken while a process wrote come from different
		 * moments.  That is no verdict on the entries.
		 */
		chobo_warn("%s: the ledger was not closed cleanly and its tables disagree (%s%s%s %llu: %s): "
			   "its files come from different moments (a copy taken while a process was writing: "
			   "copy db/ while no process uses the ledger, or use chain-export), or it is damaged; "
			   "nothing was judged", dir, a.p.log, a.p.log[0] ? ": " : "", a.p.where,
			   (unsigned long long)a.p.at, a.p.reason);
		json_decref(report);
		cli_exit(EX_NOINPUT);
	}
	if (restoring) {
		json_object_set_new(report, "restoring", restoring);
		chobo_info("this node's own log is being restored: it holds %lld entries of the %lld known",
			   (long long)json_integer_value(json_object_get(restoring, "size")),
			   (long long)json_integer_value(json_object_get(restoring, "floor")));
	}
	if (a.p.found) {
		json_object_set_new(report, "problem",
				    json_pack("{s:s, s:s, s:I, s:s}", "log", a.p.log, "where", a.p.where,
					      "index", (json_int_t)a.p.at, "reason", a.p.reason));
		chobo_info("%s%s%s %llu: %s", a.p.log, a.p.log[0] ? ": " : "", a.p.where,
			   (unsigned long long)a.p.at, a.p.reason);
	}
	if (!jsonl_print(report))
		cli_exit(EX_IOERR);
	/* Proven forks are the audit's finding too, unless the auditor has taken note of them. */
	cli_exit(a.p.found ? EXIT_INVALID : crc ? crc : forks_proven && !accept_forks ? EXIT_FORK : 0);
}
