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

#include "audit.h"
#include "bundle.h"
#include "checkpoint.h"
#include "cli.h"
#include "jsonl.h"
#include "ledger.h"
#include "util.h"

static const char usage[] =
	"usage: chain-import [-q] [-L DIR] [BUNDLE | -]\n"
	"Verify a bundle and store the logs it extends (never this node's own log).\n";

struct section {
	char origin[NOTE_MAX_NAME + 1];
	uint32_t id;
	uint64_t held;          /* entries held before this import */
	struct merkle_stack stack;
	bool have_stack, signed_at_end;
	bool diverged;          /* the bundle's tree differs from ours where they meet */
	uint64_t added_entries, added_checkpoints;
};

struct import {
	struct ledger *l;
	struct audit a;
	json_t *summary;        /* one object per log */
	bool fork;
	char *fork_ours, *fork_theirs;
	char fork_origin[NOTE_MAX_NAME + 1];
	uint64_t fork_size;
};

static int section_end(struct import *im, struct section *s)
{
	if (!s->origin[0])
		return 0;
	if (!s->signed_at_end)
		return audit_problem(&im->a, s->origin, "log", s->stack.size,
				     "entries after the last signed checkpoint");
	if (s->stack.size > s->held && store_log_set_size(im->l->store, s->id, s->stack.size) != STORE_OK)
		return audit_problem(&im->a, s->origin, "log", 0, "storage error: %s",
				     store_error(im->l->store));
	json_array_append_new(im->summary,
			      json_pack("{s:s, s:I, s:I, s:I, s:I}", "log", s->origin,
					"from", (json_int_t)s->held, "to",
					(json_int_t)(s->stack.size > s->held ? s->stack.size : s->held),
					"entries", (json_int_t)s->added_entries,
					"checkpoints", (json_int_t)s->added_checkpoints));
	return 0;
}

/* Keep the evidence of a fork: our checkpoint (at size, or our latest) and theirs. */
static int fork_found(struct import *im, struct section *s, uint64_t size, const char *theirs, size_t tlen)
{
	struct store *st = im->l->store;
	const char *ours;
	size_t olen;
	uint64_t have;
	if (store_checkpoint_get(st, s->id, size, &ours, &olen) != STORE_OK &&
	    store_checkpoint_latest(st, s->id, &have, &ours, &olen) != STORE_OK)
		return audit_problem(&im->a, s->origin, "log", size, "storage error: %s", store_error(st));
	im->fork = true;
	im->fork_ours = xmalloc(olen + 1);
	memcpy(im->fork_ours, ours, olen);
	im->fork_ours[olen] = '\0';
	im->fork_theirs = xmalloc(tlen + 1);
	memcpy(im->fork_theirs, theirs, tlen);
	im->fork_theirs[tlen] = '\0';
	snprintf(im->fork_origin, sizeof im->fork_origin, "%s", s->origin);
	im->fork_size = size;
	return audit_problem(&im->a, s->origin, "fork", size,
			     "a validly signed checkpoint contradicts the history this ledger holds");
}

static int on_log(struct import *im, struct section *s, const uint8_t *p, size_t len)
{
	struct store *st = im->l->store;
	if (section_end(im, s))
		return 1;
	memset(s, 0, sizeof *s);
	if (len == 0 || len > NOTE_MAX_NAME)
		return audit_problem(&im->a, "", "bundle", 0, "malformed log record");
	memcpy(s->origin, p, len);
	if (!checkpoint_origin_valid(s->origin))
		return audit_problem(&im->a, "", "bundle", 0, "log record names an invalid origin");
	if (strcmp(s->origin, im->l->origin) == 0)
		return audit_problem(&im->a, s->origin, "log", 0,
				     "the bundle carries this node's own log, which only this node writes");
	int rc = store_log_find(st, s->origin, &s->id, &s->held);
	if (rc == STORE_NOTFOUND) {
		rc = store_log_create(st, s->origin, &s->id);
		s->held = 0;
	}
	if (rc != STORE_OK)
		return audit_problem(&im->a, s->origin, "log", 0, "storage error: %s", store_error(st));
	im->a.logs++;
	return 0;
}

static int on_stack(struct import *im, struct section *s, const uint8_t *p, size_t len)
{
	if (!s->origin[0] || s->have_stack || !bundle_stack_decode(p, len, &s->stack))
		return audit_problem(&im->a, s->origin, "bundle", 0, "malformed tree state record");
	s->have_stack = true;
	if (s->stack.size > s->held)
		return audit_problem(&im->a, s->origin, "log", s->held,
				     "the bundle starts at entry %llu but this ledger holds only %llu: "
				     "export with --since a checkpoint this ledger holds",
				     (unsigned long long)s->stack.size, (unsigned long long)s->held);
	/* A different tree state is caught against its signed checkpoint, which comes next. */
	return 0;
}

static int on_entry(struct import *im, struct section *s, const uint8_t *p, size_t len)
{
	struct store *st = im->l->store;
	uint8_t formed[64][32], leaf[32];
	uint64_t index = s->stack.size;
	if (!s->have_stack)
		return audit_problem(&im->a, s->origin, "bundle", 0, "entry outside a log section");
	if (index >= CHOBO_MAX_TREE_SIZE)
		return audit_problem(&im->a, s->origin, "log", index, "log too large");
	if (index == s->held && !s->diverged) {
		/* New entries go on top of our tree: the bundle's tree must be ours up to here. */
		struct ledger_reader lr;
		uint8_t ours[32], theirs[32];
		ledger_reader_init(&lr, im->l, s->id);
		if (merkle_root(&lr.r, index, ours) != 0)
			return audit_problem(&im->a, s->origin, "log", index, "storage error: %s",
					     store_error(st));
		merkle_stack_root(&s->stack, theirs);
		s->diverged = memcmp(ours, theirs, 32) != 0;
	}
	int n = audit_entry(&im->a, s->origin, p, len, &s->stack, formed);
	if (n < 0)
		return 1;
	s->signed_at_end = false;
	if (index < s->held || s->diverged)
		return 0;    /* already held, or not ours to store: the next signed checkpoint decides */
	merkle_leaf_hash(leaf, p, len);
	if (store_entry_put(st, s->id, index, p, len) != STORE_OK ||
	    store_leaf_put(st, leaf, s->id, index) != STORE_OK ||
	    (n > 0 && store_hashes_put(st, s->id, index, &formed[0][0], (size_t)n) != STORE_OK))
		return audit_problem(&im->a, s->origin, "log", index, "storage error: %s", store_error(st));
	s->added_entries++;
	return 0;
}

static int on_checkpoint(struct import *im, struct section *s, const uint8_t *p, size_t len)
{
	struct store *st = im->l->store;
	if (!s->have_stack || len < 8 || get_be64(p) != s->stack.size)
		return audit_problem(&im->a, s->origin, "checkpoint", len >= 8 ? get_be64(p) : 0,
				     "checkpoint out of place in the bundle");
	uint64_t size = s->stack.size;
	const char *note = (const char *)p + 8;
	size_t nlen = len - 8;
	if (audit_checkpoint(&im->a, s->origin, size, note, nlen, &s->stack))
		return 1;
	s->signed_at_end = true;
	if (s->diverged)
		return fork_found(im, s, s->held, note, nlen);
	if (size <= s->held) {
		/* Within what we hold: the signed root must be ours at that size. */
		struct ledger_reader lr;
		uint8_t root[32], theirs[32];
		ledger_reader_init(&lr, im->l, s->id);
		merkle_stack_root(&s->stack, theirs);
		if (merkle_root(&lr.r, size, root) != 0)
			return audit_problem(&im->a, s->origin, "log", size, "storage error: %s",
					     store_error(st));
		if (memcmp(root, theirs, 32) != 0)
			return fork_found(im, s, size, note, nlen);
		const char *have;
		size_t hlen;
		if (store_checkpoint_get(st, s->id, size, &have, &hlen) == STORE_OK)
			return 0;
	}
	if (store_checkpoint_put(st, s->id, size, note, nlen) != STORE_OK)
		return audit_problem(&im->a, s->origin, "log", size, "storage error: %s", store_error(st));
	s->added_checkpoints++;
	return 0;
}

static int import_bundle(struct import *im, struct bundle_reader *r)
{
	struct section s;
	enum bundle_tag tag;
	const uint8_t *p;
	size_t len;
	const char *why;
	int rc;
	memset(&s, 0, sizeof s);
	while ((rc = bundle_next(r, &tag, &p, &len, &why)) == 1) {
		int bad;
		switch (tag) {
		case BUNDLE_LOG: bad = on_log(im, &s, p, len); break;
		case BUNDLE_STACK: bad = on_stack(im, &s, p, len); break;
		case BUNDLE_ENTRY: bad = on_entry(im, &s, p, len); break;
		case BUNDLE_CHECKPOINT: bad = on_checkpoint(im, &s, p, len); break;
		default: bad = audit_problem(&im->a, s.origin, "bundle", 0, "unknown record type");
		}
		if (bad)
			return 1;
	}
	if (rc < 0)
		return audit_problem(&im->a, s.origin, "bundle", 0, "%s", why);
	return section_end(im, &s);
}

/* Copy the input to a scratch file, so that the ledger is not locked while a slow sender sends. */
static FILE *spool(FILE *in)
{
	FILE *tmp = tmpfile();
	char buf[1 << 16];
	size_t n;
	uint64_t total = 0;
	if (!tmp)
		chobo_die(EX_CANTCREAT, "cannot create a temporary file");
	while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
		total += n;
		if (total > BUNDLE_MAX_BYTES)
			chobo_die(EX_DATAERR, "bundle larger than the limit; nothing was imported");
		if (fwrite(buf, 1, n, tmp) != n)
			chobo_die(EX_IOERR, "cannot write a temporary file");
	}
	if (ferror(in))
		chobo_die(EX_IOERR, "read error; nothing was imported");
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
	struct import im = {.l = &l, .summary = json_array()};
	const char *why;
	int rc = ledger_trust(dir, NULL, &trust);
	if (rc != 0)
		cli_exit(rc);
	im.a.trust = &trust;
	struct bundle_reader *r = bundle_reader_open(in, &why);
	if (!r)
		chobo_die(EX_DATAERR, "%s: %s; nothing was imported", path, why);
	if ((rc = ledger_open(&l, dir, STORE_NORMAL)) != 0)
		cli_exit(rc);
	if (store_begin(l.store) != STORE_OK) {
		chobo_warn("%s", store_error(l.store));
		rc = EX_IOERR;
	} else if (import_bundle(&im, r)) {
		store_abort(l.store);
		if (im.fork) {
			uint32_t id;
			uint64_t size;
			/* The data is refused, the evidence kept. */
			if (store_begin(l.store) != STORE_OK ||
			    store_log_find(l.store, im.fork_origin, &id, &size) != STORE_OK ||
			    store_fork_put(l.store, id, im.fork_ours, strlen(im.fork_ours), im.fork_theirs,
					   strlen(im.fork_theirs)) != STORE_OK ||
			    store_commit(l.store) != STORE_OK) {
				store_abort(l.store);
				chobo_warn("cannot store the fork evidence: %s", store_error(l.store));
			}
			rc = EXIT_FORK;
		} else {
			rc = EX_DATAERR;
		}
	} else if (store_commit(l.store) != STORE_OK) {
		chobo_warn("%s: nothing was imported", store_error(l.store));
		rc = EX_IOERR;
	}
	int crc = ledger_close(&l);
	bundle_reader_close(r);
	fclose(in);
	trust_free(&trust);
	audit_free(&im.a);

	if (rc == EXIT_FORK) {
		chobo_warn("%s: fork at size %llu: %s; the evidence is kept, nothing was imported",
			   im.fork_origin, (unsigned long long)im.fork_size, im.a.p.reason);
		jsonl_print(json_pack("{s:s, s:s, s:I, s:s, s:s}", "event", "fork", "log", im.fork_origin,
				      "size", (json_int_t)im.fork_size, "ours", im.fork_ours,
				      "theirs", im.fork_theirs));
	} else if (rc == EX_DATAERR) {
		chobo_warn("%s%s%s %llu: %s; nothing was imported", im.a.p.log, im.a.p.log[0] ? ": " : "",
			   im.a.p.where, (unsigned long long)im.a.p.at, im.a.p.reason);
	} else if (rc == 0) {
		size_t i;
		json_t *v;
		json_array_foreach(im.summary, i, v)
			jsonl_print(json_incref(v));
		rc = crc;
	}
	json_decref(im.summary);
	free(im.fork_ours);
	free(im.fork_theirs);
	cli_exit(rc);
}
