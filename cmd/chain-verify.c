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
#include <jansson.h>

#include "checkpoint.h"
#include "cli.h"
#include "jsonl.h"
#include "ledger.h"
#include "util.h"

static const char usage[] =
	"usage: chain-verify [-q] [--trust FILE] [--against CHECKPOINT] [-L DIR | DIR]\n"
	"Audit a ledger (default: $CHOBO_LEDGER, else ./ledger); print one JSON report.\n"
	"Exit 0 when valid, 1 when invalid, other codes for errors.\n";

struct problem {
	bool found;
	char log[NOTE_MAX_NAME + 1];
	const char *where;      /* "entry", "checkpoint", "hashes", "log" */
	uint64_t at;
	char reason[300];
};

struct audit {
	const struct trust *trust;
	struct json_doc doc;        /* scratch space for checking entries */
	bool hash_differs;          /* a stored interior hash differs from the recomputed one */
	uint64_t hash_differs_at;
	const struct checkpoint *against;   /* a checkpoint the auditor kept, or NULL */
	bool against_seen;
	uint64_t entries, checkpoints, logs;
	bool progress;
	struct problem p;
};

__attribute__((format(printf, 5, 6)))
static int problem(struct audit *a, const char *log, const char *where, uint64_t at,
		   const char *fmt, ...)
{
	va_list ap;
	a->p.found = true;
	snprintf(a->p.log, sizeof a->p.log, "%s", log);
	a->p.where = where;
	a->p.at = at;
	va_start(ap, fmt);
	vsnprintf(a->p.reason, sizeof a->p.reason, fmt, ap);
	va_end(ap);
	return 1;
}

/* Check one stored checkpoint against the tree recomputed so far. */
static int check_checkpoint(struct audit *a, const char *origin, uint64_t size,
			    const char *note, size_t len, const struct merkle_stack *stack)
{
	struct checkpoint cp;
	const char *why;
	uint8_t root[32];
	if (!checkpoint_verify(note, len, a->trust->keys, a->trust->n, &cp, NULL, &why))
		return problem(a, origin, "checkpoint", size, "%s", why);
	if (strcmp(cp.origin, origin) != 0)
		return problem(a, origin, "checkpoint", size, "checkpoint is for origin %s", cp.origin);
	if (cp.size != size)
		return problem(a, origin, "checkpoint", size, "checkpoint says tree size %llu",
			       (unsigned long long)cp.size);
	merkle_stack_root(stack, root);
	if (memcmp(root, cp.root, 32) != 0) {
		if (a->hash_differs)
			return problem(a, origin, "entry", a->hash_differs_at,
				       "entries do not match the signed checkpoint of size %llu: "
				       "changed at or before this index", (unsigned long long)size);
		return problem(a, origin, "checkpoint", size,
			       "signed root hash differs from the root of the stored entries");
	}
	if (a->hash_differs)
		return problem(a, origin, "hashes", a->hash_differs_at,
			       "stored interior hashes differ from the tree of the (signed) entries");
	a->checkpoints++;
	return 0;
}

static int check_against(struct audit *a, const char *origin, const struct merkle_stack *stack)
{
	uint8_t root[32];
	if (!a->against || strcmp(a->against->origin, origin) != 0 || stack->size != a->against->size)
		return 0;
	a->against_seen = true;
	merkle_stack_root(stack, root);
	if (memcmp(root, a->against->root, 32) != 0)
		return problem(a, origin, "checkpoint", stack->size,
			       "the ledger is not consistent with the checkpoint given by --against");
	return 0;
}

struct cursors {
	struct store_cursor *hashes, *checkpoints;
	bool has_hash, has_checkpoint;
	uint64_t hash_key, checkpoint_key;
	const void *hash_data, *checkpoint_data;
	size_t hash_len, checkpoint_len;
};

static int advance(struct store *st, struct store_cursor *c, bool *has, uint64_t *key,
		   const void **data, size_t *len, struct audit *a, const char *origin)
{
	int rc = store_cursor_next(c, key, data, len);
	*has = rc == STORE_OK;
	if (rc == STORE_ERROR)
		return problem(a, origin, "log", 0, "storage error: %s", store_error(st));
	return 0;
}

static int verify_log(struct audit *a, struct store *st, uint32_t id, const char *origin,
		      uint64_t log_size)
{
	struct merkle_stack stack;
	uint8_t leaf[32], formed[64][32];
	struct cursors c = {0};
	struct store_cursor *entries = store_cursor_open(st, STORE_ENTRIES, id);
	c.hashes = store_cursor_open(st, STORE_HASHES, id);
	c.checkpoints = store_cursor_open(st, STORE_CHECKPOINTS, id);
	int rc = 0;
	char err[256];
	if (!entries || !c.hashes || !c.checkpoints) {
		rc = problem(a, origin, "log", 0, "storage error: %s", store_error(st));
		goto out;
	}
	merkle_stack_init(&stack);
	if ((rc = advance(st, c.hashes, &c.has_hash, &c.hash_key, &c.hash_data, &c.hash_len, a, origin)) ||
	    (rc = advance(st, c.checkpoints, &c.has_checkpoint, &c.checkpoint_key, &c.checkpoint_data,
			  &c.checkpoint_len, a, origin)))
		goto out;
	if (!c.has_checkpoint || c.checkpoint_key != 0) {
		rc = problem(a, origin, "checkpoint", 0, "the empty tree's checkpoint is missing");
		goto out;
	}
	for (;;) {
		/* Every checkpoint at the current size must sign the current root. */
		while (c.has_checkpoint && c.checkpoint_key == stack.size) {
			if ((rc = check_checkpoint(a, origin, stack.size, c.checkpoint_data,
						   c.checkpoint_len, &stack)) ||
			    (rc = advance(st, c.checkpoints, &c.has_checkpoint, &c.checkpoint_key,
					  &c.checkpoint_data, &c.checkpoint_len, a, origin)))
				goto out;
		}
		if ((rc = check_against(a, origin, &stack)))
			goto out;

		uint64_t index;
		const void *data;
		size_t len;
		int s = store_cursor_next(entries, &index, &data, &len);
		if (s == STORE_ERROR) {
			rc = problem(a, origin, "entry", stack.size, "storage error: %s", store_error(st));
			goto out;
		}
		if (s == STORE_NOTFOUND)
			break;
		if (index != stack.size) {
			rc = problem(a, origin, "entry", stack.size, "entry %llu is missing",
				     (unsigned long long)stack.size);
			goto out;
		}
		struct entry_view view;
		if (!entry_parse(data, len, origin, index, &a->doc, &view, err, sizeof err)) {
			rc = problem(a, origin, "entry", index, "%s", err);
			goto out;
		}
		merkle_leaf_hash(leaf, data, len);
		unsigned n = merkle_stack_push(&stack, leaf, formed);
		a->entries++;
		if (n > 0) {
			if (!c.has_hash || c.hash_key != index) {
				rc = problem(a, origin, "hashes", index, "stored interior hashes are missing");
				goto out;
			}
			/* Which changed, an entry or a hash, the next checkpoint tells. */
			if (!a->hash_differs && (c.hash_len != n * 32 ||
						 memcmp(c.hash_data, formed, n * 32) != 0)) {
				a->hash_differs = true;
				a->hash_differs_at = index;
			}
			if ((rc = advance(st, c.hashes, &c.has_hash, &c.hash_key, &c.hash_data,
					  &c.hash_len, a, origin)))
				goto out;
		} else if (c.has_hash && c.hash_key <= index) {
			rc = problem(a, origin, "hashes", c.hash_key, "unexpected stored hash record");
			goto out;
		}
		if (a->progress && (a->entries & 0xffff) == 0)
			fprintf(stderr, "\r%s: %llu entries", chobo_progname, (unsigned long long)a->entries);
	}
	if (c.has_checkpoint) {
		rc = problem(a, origin, "checkpoint", c.checkpoint_key,
			     "checkpoint of size %llu but the log has only %llu entries",
			     (unsigned long long)c.checkpoint_key, (unsigned long long)stack.size);
	} else if (c.has_hash) {
		rc = problem(a, origin, "hashes", c.hash_key, "stored hash beyond the last entry");
	} else if (stack.size != log_size) {
		rc = problem(a, origin, "log", stack.size, "the log records %llu entries but holds %llu",
			     (unsigned long long)log_size, (unsigned long long)stack.size);
	} else if (a->hash_differs) {
		rc = problem(a, origin, "hashes", a->hash_differs_at,
			     "stored interior hashes differ from the recomputed tree");
	} else {
		uint64_t last;
		const char *note;
		size_t len;
		if (store_checkpoint_latest(st, id, &last, &note, &len) != STORE_OK || last != stack.size)
			rc = problem(a, origin, "log", stack.size,
				     "entries after the last signed checkpoint");
	}
out:
	store_cursor_close(entries);
	store_cursor_close(c.hashes);
	store_cursor_close(c.checkpoints);
	return rc;
}

struct log_list {
	struct log_item {
		uint32_t id;
		char *origin;
		uint64_t size;
	} *v;
	size_t n;
};

static int collect(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct log_list *ls = ctx;
	ls->v = xrealloc(ls->v, (ls->n + 1) * sizeof *ls->v);
	ls->v[ls->n++] = (struct log_item){id, xstrdup(origin), size};
	return 0;
}

static int load_against(const char *path, const struct trust *trust, struct checkpoint *cp)
{
	size_t len;
	const char *why;
	char *note = read_file(path, CHOBO_MAX_NOTE, &len);
	if (!note) {
		chobo_warn_errno("%s", path);
		return EX_NOINPUT;
	}
	bool ok = checkpoint_verify(note, len, trust->keys, trust->n, cp, NULL, &why);
	free(note);
	if (!ok) {
		chobo_warn("%s: %s", path, why);
		return EX_DATAERR;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"trust", required_argument, NULL, 't'},
		{"against", required_argument, NULL, 'a'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *trust_file = NULL, *against_file = NULL, *dir = NULL;
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
	}
	if (argc - optind > (dir ? 0 : 1))
		cli_usage_error(usage);
	if (!dir)
		dir = optind < argc ? argv[optind] : ledger_default_dir();

	struct trust trust;
	struct checkpoint against;
	struct audit a = {.trust = &trust, .progress = isatty(2) && !chobo_quiet};
	int rc = ledger_trust(dir, trust_file, &trust);
	if (rc == 0 && trust.n == 0) {
		chobo_warn("no trusted keys (give --trust FILE)");
		rc = EX_CONFIG;
	}
	if (rc == 0 && against_file && (rc = load_against(against_file, &trust, &against)) == 0)
		a.against = &against;
	if (rc != 0)
		cli_exit(rc);

	struct ledger l;
	struct log_list logs = {0};
	rc = ledger_open(&l, dir, STORE_AUDIT);
	if (rc == EX_DATAERR) {
		/* A database file that cannot even be opened is a finding, not an error. */
		problem(&a, "", "ledger", 0, "damaged database: %s", ledger_open_error);
		rc = 0;
	} else if (rc != 0) {
		cli_exit(rc);
	} else if (store_log_each(l.store, collect, &logs) != STORE_OK) {
		chobo_warn("%s: %s", dir, store_error(l.store));
		rc = EX_IOERR;
	}
	for (size_t i = 0; rc == 0 && i < logs.n && !a.p.found; i++) {
		a.logs++;
		verify_log(&a, l.store, logs.v[i].id, logs.v[i].origin, logs.v[i].size);
	}
	if (rc == 0 && !a.p.found && a.against && !a.against_seen)
		problem(&a, a.against->origin, "log", a.against->size,
			"the ledger does not reach the checkpoint given by --against "
			"(a missing log, or history rolled back)");
	int crc = l.store ? ledger_close(&l) : 0;
	if (a.progress)
		fputc('\n', stderr);
	for (size_t i = 0; i < logs.n; i++)
		free(logs.v[i].origin);
	free(logs.v);
	trust_free(&trust);
	json_doc_free(&a.doc);
	if (rc != 0)
		cli_exit(rc);

	json_t *report = json_pack("{s:b, s:s, s:I, s:I, s:I, s:s}", "ok", !a.p.found, "ledger", dir,
				   "logs", (json_int_t)a.logs, "entries", (json_int_t)a.entries,
				   "checkpoints", (json_int_t)a.checkpoints,
				   "trust", trust_file ? trust_file : "trust/");
	if (a.against)
		json_object_set_new(report, "against_size", json_integer((json_int_t)a.against->size));
	if (a.p.found) {
		json_object_set_new(report, "problem",
				    json_pack("{s:s, s:s, s:I, s:s}", "log", a.p.log, "where", a.p.where,
					      "index", (json_int_t)a.p.at, "reason", a.p.reason));
		chobo_info("%s%s%s %llu: %s", a.p.log, a.p.log[0] ? ": " : "", a.p.where,
			   (unsigned long long)a.p.at, a.p.reason);
	}
	if (!jsonl_print(report))
		cli_exit(EX_IOERR);
	cli_exit(a.p.found ? EXIT_INVALID : crc);
}
