#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sodium.h>

#include "checkpoint.h"
#include "keys.h"
#include "ledger.h"
#include "util.h"

#define LOCK_FILE "db/lock"
#define DEFAULT_LOCK_WAIT 60

char ledger_open_error[600];

const char *ledger_default_dir(void)
{
	return key_ledger_dir();
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Take the ledger's exclusive lock, waiting at most CHOBO_LOCK_WAIT seconds.
 * Readers take it too: Berkeley DB regions are not safe to share with a
 * process that may be killed.
 */
static int lock_ledger(struct ledger *l, enum store_mode mode)
{
	char *path = path_join(l->dir, LOCK_FILE);
	l->lockfd = open(path, (mode == STORE_AUDIT ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0600);
	if (l->lockfd < 0) {
		int err = errno;
		free(path);
		/* An audited copy may sit on read-only media without a lock file. */
		if (mode == STORE_AUDIT && (err == ENOENT || err == EACCES || err == EROFS))
			return 0;
		errno = err;
		chobo_warn_errno("%s/%s", l->dir, LOCK_FILE);
		return EX_NOINPUT;
	}
	free(path);
	unsigned wait = DEFAULT_LOCK_WAIT;
	const char *env = getenv("CHOBO_LOCK_WAIT");
	uint64_t v;
	if (env && parse_u64(env, &v) && v < 86400)
		wait = (unsigned)v;
	else if (env)
		chobo_warn("CHOBO_LOCK_WAIT=%s is not a number of seconds below 86400; waiting up to %u s",
			   env, wait);
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK) {
		chobo_warn_errno("lock %s", l->dir);
		return EX_OSERR;
	}
	if (wait > 0) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm; /* no SA_RESTART: the alarm interrupts flock */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, &old);
		alarm(wait);
		int rc = flock(l->lockfd, LOCK_EX);
		alarm(0);
		sigaction(SIGALRM, &old, NULL);
		if (rc == 0)
			return 0;
	}
	chobo_warn("%s: ledger busy: another process held it for %u s", l->dir, wait);
	close(l->lockfd);
	l->lockfd = -1;
	return EX_TEMPFAIL;
}

/* Read chobo.conf: "key = value" lines, '#' comments. */
static int read_conf(struct ledger *l)
{
	char *path = path_join(l->dir, "chobo.conf");
	size_t len;
	char *text = read_file(path, 1 << 16, &len);
	int rc = 0;
	if (!text) {
		if (errno == ENOENT)
			chobo_warn("%s: not a ledger (no chobo.conf); create one with chain-init", l->dir);
		else
			chobo_warn_errno("%s", path);
		free(path);
		return EX_NOINPUT;
	}
	unsigned long lineno = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			chobo_warn("%s:%lu: expected key = value", path, lineno);
			rc = EX_CONFIG;
			break;
		}
		char *key = line, *val = eq + 1;
		for (char *e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		*eq = '\0';
		val += strspn(val, " \t");
		for (size_t n = strlen(val); n > 0 && strchr(" \t\r", val[n - 1]); n--)
			val[n - 1] = '\0';
		if (strcmp(key, "origin") == 0) {
			free(l->origin);
			l->origin = xstrdup(val);
		} else if (strcmp(key, "witness") == 0) {
			free(l->witness);
			l->witness = xstrdup(val);
		} else if (strcmp(key, "peer") == 0) {
			char *name = val, *dest = val + strcspn(val, " \t");
			if (*dest)
				*dest++ = '\0';
			dest += strspn(dest, " \t");
			if (!*name || !*dest || strcspn(dest, " \t") != strlen(dest) ||
			    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name) ||
			    dest[0] == '-') {
				chobo_warn("%s:%lu: expected peer = NAME DESTINATION", path, lineno);
				rc = EX_CONFIG;
				break;
			}
			l->peers = xrealloc(l->peers, (l->npeers + 1) * sizeof *l->peers);
			l->peers[l->npeers].name = xstrdup(name);
			l->peers[l->npeers].destination = xstrdup(dest);
			l->npeers++;
		} else {
			chobo_warn("%s:%lu: unknown setting \"%s\"", path, lineno, key);
			rc = EX_CONFIG;
			break;
		}
	}
	if (rc == 0 && (!l->origin || !checkpoint_origin_valid(l->origin))) {
		chobo_warn("%s: missing or invalid origin", path);
		rc = EX_CONFIG;
	}
	free(text);
	free(path);
	return rc;
}

static void ledger_reset(struct ledger *l)
{
	for (size_t i = 0; i < l->npeers; i++) {
		free(l->peers[i].name);
		free(l->peers[i].destination);
	}
	free(l->peers);
	free(l->dir);
	free(l->origin);
	free(l->witness);
	memset(l, 0, sizeof *l);
	l->lockfd = -1;
}

int ledger_open(struct ledger *l, const char *dir, enum store_mode mode)
{
	int rc;
	memset(l, 0, sizeof *l);
	l->lockfd = -1;
	l->dir = xstrdup(dir);
	if ((rc = read_conf(l)) != 0 || (rc = lock_ledger(l, mode)) != 0) {
		ledger_reset(l);
		return rc;
	}
	char *dbdir = path_join(dir, "db");
	const char *err;
	enum store_open_failure why;
	l->store = store_open(dbdir, mode, false, &err, &why);
	free(dbdir);
	if (!l->store) {
		static const int code[] = {
			[STORE_OPEN_MISSING] = EX_NOINPUT, [STORE_OPEN_UNCLEAN] = EX_TEMPFAIL,
			[STORE_OPEN_DAMAGED] = EX_DATAERR, [STORE_OPEN_ERROR] = EX_IOERR,
		};
		snprintf(ledger_open_error, sizeof ledger_open_error, "%s", err);
		chobo_warn("%s: %s", dir, err);
		if (l->lockfd >= 0)
			close(l->lockfd);
		ledger_reset(l);
		return code[why];
	}
	uint64_t size;
	rc = store_log_find(l->store, l->origin, &l->log_id, &size);
	if (rc != STORE_OK) {
		snprintf(ledger_open_error, sizeof ledger_open_error, "%s",
			 rc == STORE_NOTFOUND ? "the node's own log is missing" : store_error(l->store));
		chobo_warn("%s: %s", dir, ledger_open_error);
		ledger_close(l);
		return EX_DATAERR;
	}
	return 0;
}

int ledger_close(struct ledger *l)
{
	int rc = 0;
	if (l->store && !store_close(l->store)) {
		chobo_warn("%s: closing the store failed", l->dir);
		rc = EX_IOERR;
	}
	l->store = NULL;
	if (l->lockfd >= 0)
		close(l->lockfd);
	ledger_reset(l);
	return rc;
}

static int load_key(const char *dir, const char *file, uint8_t type, struct note_signer *out)
{
	char *conf = path_join(dir, "chobo.conf");
	bool ledger = access(conf, F_OK) == 0;
	free(conf);
	memset(out, 0, sizeof *out);
	if (!ledger) {
		chobo_warn("%s: not a ledger (no chobo.conf); create one with chain-init", dir);
		return EX_NOINPUT;
	}
	char *path = path_join(dir, file);
	int rc = key_load(path, out);
	if (rc == 0 && out->pub.type != type) {
		chobo_warn("%s: not a %s key", path, type == NOTE_TYPE_ED25519 ? "log" : "witness");
		note_signer_clear(out);
		rc = EX_CONFIG;
	}
	free(path);
	return rc;
}

int ledger_witness_key(const char *dir, struct note_signer *out)
{
	return load_key(dir, "keys/witness.key", NOTE_TYPE_COSIGNATURE, out);
}

int ledger_log_key(const char *dir, struct note_signer *out)
{
	return load_key(dir, "keys/node.key", NOTE_TYPE_ED25519, out);
}

int ledger_trust(const char *dir, const char *file, struct trust *out)
{
	memset(out, 0, sizeof *out);
	if (file)
		return trust_load_file(out, file);
	char *path = path_join(dir, "trust");
	int rc = trust_load_dir(out, path);
	free(path);
	return rc;
}

static int read_stored_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct ledger_reader *lr = ctx;
	struct store *st = lr->l->store;
	if (level == 0) {
		const void *data;
		size_t len;
		int rc = store_entry_get(st, lr->log, index, &data, &len);
		if (rc == STORE_OK)
			merkle_leaf_hash(out, data, len);
		return rc;
	}
	return store_hashes_get(st, lr->log, ((index + 1) << level) - 1, level, out);
}

void ledger_reader_init(struct ledger_reader *lr, struct ledger *l, uint32_t log)
{
	lr->r.read_hash = read_stored_hash;
	lr->r.ctx = lr;
	lr->l = l;
	lr->log = log;
}

bool batch_add(struct batch *b, const struct entry_input *in)
{
	if (!b->max_entries) {
		b->max_entries = chobo_limit("BATCH_ENTRIES", CHOBO_MAX_BATCH);
		b->max_bytes = chobo_limit("BATCH_BYTES", CHOBO_MAX_BATCH_BYTES);
	}
	if (b->n >= b->max_entries || b->used + in->body_len > b->max_bytes)
		return false;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->items = xrealloc(b->items, b->cap * sizeof *b->items);
	}
	if (b->used + in->body_len > b->size) {
		while (b->used + in->body_len > b->size)
			b->size = b->size ? b->size * 2 : 1 << 16;
		b->buf = xrealloc(b->buf, b->size);
	}
	memcpy(b->buf + b->used, in->body, in->body_len);
	b->items[b->n].type = in->type;
	b->items[b->n].off = b->used;
	b->items[b->n].len = in->body_len;
	b->used += in->body_len;
	b->n++;
	return true;
}

void batch_free(struct batch *b)
{
	free(b->items);
	free(b->buf);
	memset(b, 0, sizeof *b);
}

static int receipt_hash_order(const void *a, const void *b)
{
	const struct receipt *x = *(const struct receipt *const *)a, *y = *(const struct receipt *const *)b;
	return memcmp(x->leaf_hash, y->leaf_hash, 32);
}

/* Batches smaller than this are hashed on the calling thread. */
#define HASHER_MIN_BATCH 4096

struct leaf_hasher {
	const struct batch *b;
	const char *origin, *time;
	uint64_t size;
	struct receipt *receipts;
	atomic_size_t done;      /* receipts[0..done) hold their leaf hashes */
	atomic_bool stop;
	pthread_t thread;
};

static void *hash_leaves(void *arg)
{
	struct leaf_hasher *h = arg;
	char *entry = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < h->b->n && !atomic_load_explicit(&h->stop, memory_order_relaxed); i++) {
		const struct batch_item *it = &h->b->items[i];
		size_t len = entry_envelope_into(&entry, &cap, h->origin, h->size + i, h->time,
						 it->type->name, h->b->buf + it->off, it->len);
		merkle_leaf_hash(h->receipts[i].leaf_hash, entry, len);
		h->receipts[i].index = h->size + i;
		atomic_store_explicit(&h->done, i + 1, memory_order_release);
	}
	free(entry);
	return NULL;
}

static int append_in_txn(struct ledger *l, const struct batch *b, const struct note_signer *key,
			 struct receipt *receipts, uint64_t *tree_size, const char *time,
			 const char **why)
{
	struct store *st = l->store;
	struct ledger_reader lr;
	struct merkle_stack stack;
	uint8_t formed[64][32];
	uint32_t id;
	uint64_t size;
	int rc = store_log_find(st, l->origin, &id, &size);
	if (rc != STORE_OK)
		return rc;
	if (size + b->n > CHOBO_MAX_TREE_SIZE) {
		*why = "the log would exceed its maximum size";
		return STORE_ERROR;
	}
	ledger_reader_init(&lr, l, id);
	if ((rc = merkle_stack_load(&stack, &lr.r, size)) != STORE_OK)
		return rc;

	/* Leaf hashes are computed on another core while this one writes the entries. */
	struct leaf_hasher h = {.b = b, .origin = l->origin, .time = time, .size = size,
				.receipts = receipts};
	atomic_init(&h.done, 0);
	atomic_init(&h.stop, false);
	bool threaded = b->n >= HASHER_MIN_BATCH && pthread_create(&h.thread, NULL, hash_leaves, &h) == 0;
	if (!threaded)
		hash_leaves(&h);
	char *entry = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < b->n && rc == STORE_OK; i++) {
		const struct batch_item *it = &b->items[i];
		uint64_t index = size + i;
		size_t len = entry_envelope_into(&entry, &cap, l->origin, index, time, it->type->name,
						 b->buf + it->off, it->len);
		rc = store_entry_put(st, id, index, entry, len);
		while (atomic_load_explicit(&h.done, memory_order_acquire) <= i)
			sched_yield();
		unsigned nformed = merkle_stack_push(&stack, receipts[i].leaf_hash, formed);
		if (rc == STORE_OK && nformed > 0)
			rc = store_hashes_put(st, id, index, &formed[0][0], nformed);
	}
	free(entry);
	if (threaded) {
		atomic_store(&h.stop, true);
		pthread_join(h.thread, NULL);
	}
	if (rc != STORE_OK)
		return rc;

	/* The leaf-hash index is keyed by hash: inserting in key order keeps the btree's pages warm. */
	struct receipt **order = xmalloc(b->n * sizeof *order);
	for (size_t i = 0; i < b->n; i++)
		order[i] = &receipts[i];
	qsort(order, b->n, sizeof *order, receipt_hash_order);
	for (size_t i = 0; rc == STORE_OK && i < b->n; i++)
		rc = store_leaf_put(st, order[i]->leaf_hash, id, order[i]->index);
	free(order);
	if (rc != STORE_OK)
		return rc;

	struct checkpoint cp;
	snprintf(cp.origin, sizeof cp.origin, "%s", l->origin);
	cp.size = size + b->n;
	merkle_stack_root(&stack, cp.root);
	char *note = checkpoint_sign(&cp, key);
	rc = store_checkpoint_put(st, id, cp.size, note, strlen(note));
	free(note);
	if (rc == STORE_OK)
		rc = store_log_set_size(st, id, cp.size);
	*tree_size = cp.size;
	return rc;
}

int ledger_append(struct ledger *l, const struct batch *b, const struct note_signer *key,
		  struct receipt *receipts, uint64_t *tree_size, char time[21])
{
	int64_t now;
	if (!chobo_now(&now)) {
		chobo_warn("CHOBO_NOW is not an RFC 3339 time");
		return EX_USAGE;
	}
	time_format(time, now);
	const char *why = NULL;
	int rc = store_begin(l->store);
	if (rc == STORE_OK)
		rc = append_in_txn(l, b, key, receipts, tree_size, time, &why);
	if (rc == STORE_OK)
		rc = store_commit(l->store);
	else
		store_abort(l->store);
	if (rc != STORE_OK) {
		chobo_warn("%s: append failed, nothing was appended: %s", l->dir,
			   why ? why : store_error(l->store));
		return EX_IOERR;
	}
	return 0;
}

static int make_dirs(const char *dir)
{
	static const char *const sub[] = {"keys", "trust", "db", "private"};
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		chobo_warn_errno("%s", dir);
		return EX_CANTCREAT;
	}
	for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		char *p = path_join(dir, sub[i]);
		int r = mkdir(p, strcmp(sub[i], "private") == 0 || strcmp(sub[i], "keys") == 0 ? 0700 : 0755);
		if (r != 0)
			chobo_warn_errno("%s", p);
		free(p);
		if (r != 0)
			return EX_CANTCREAT;
	}
	return 0;
}

static bool write_text(const char *dir, const char *name, const char *text, int mode)
{
	char *p = path_join(dir, name);
	bool ok = write_file_atomic(p, text, strlen(text), mode);
	if (!ok)
		chobo_warn_errno("%s", p);
	free(p);
	return ok;
}

int ledger_create(const char *dir, const char *origin, const char *witness, bool encrypt,
		  struct note_verifier *log_pub, struct note_verifier *witness_pub)
{
	struct note_signer log_key, witness_key;
	char *conf_path = path_join(dir, "chobo.conf");
	bool exists = access(conf_path, F_OK) == 0;
	free(conf_path);
	if (exists) {
		chobo_warn("%s: a ledger already exists here", dir);
		return EX_CANTCREAT;
	}
	if (!checkpoint_origin_valid(origin) || !checkpoint_origin_valid(witness)) {
		chobo_warn("origin and witness names must be printable ASCII without spaces or '+'");
		return EX_USAGE;
	}
	int rc = make_dirs(dir);
	if (rc != 0)
		return rc;
	if (!note_signer_generate(origin, NOTE_TYPE_ED25519, &log_key) ||
	    !note_signer_generate(witness, NOTE_TYPE_COSIGNATURE, &witness_key)) {
		chobo_warn("cannot generate keys");
		return EX_SOFTWARE;
	}
	*log_pub = log_key.pub;
	*witness_pub = witness_key.pub;
	char *lv = note_vkey_format(log_pub), *wv = note_vkey_format(witness_pub);
	size_t n = strlen(lv) + strlen(wv) + strlen(origin) + strlen(witness) + 160;
	char *text = xmalloc(n);
	char *keypath = path_join(dir, "keys/node.key"), *wkeypath = path_join(dir, "keys/witness.key");
	bool ok;
	int keyrc = 0;
	if (encrypt) {
		ok = (keyrc = key_save_encrypted(keypath, &log_key)) == 0 &&
		     (keyrc = key_save_encrypted(wkeypath, &witness_key)) == 0;
	} else {
		ok = key_save(keypath, &log_key) && key_save(wkeypath, &witness_key);
		if (!ok)
			chobo_warn_errno("%s/keys", dir);
	}
	snprintf(text, n, "%s\n", lv);
	ok = ok && write_text(dir, "keys/node.pub", text, 0644);
	snprintf(text, n, "%s\n", wv);
	ok = ok && write_text(dir, "keys/witness.pub", text, 0644);
	snprintf(text, n, "# this node's log key and witness key\n%s\n%s\n", lv, wv);
	ok = ok && write_text(dir, "trust/self", text, 0644);

	if (ok) {
		/* The empty tree's checkpoint is signed before chobo.conf marks the ledger as made. */
		char *dbdir = path_join(dir, "db");
		const char *err;
		enum store_open_failure why;
		struct store *st = store_open(dbdir, STORE_NORMAL, true, &err, &why);
		free(dbdir);
		uint32_t id;
		struct checkpoint cp = {.size = 0};
		snprintf(cp.origin, sizeof cp.origin, "%s", origin);
		merkle_empty_root(cp.root);
		char *note = checkpoint_sign(&cp, &log_key);
		if (!st) {
			chobo_warn("%s/db: %s", dir, err);
			ok = false;
		} else if (store_begin(st) != STORE_OK || store_log_create(st, origin, &id) != STORE_OK ||
			   store_checkpoint_put(st, id, 0, note, strlen(note)) != STORE_OK ||
			   store_commit(st) != STORE_OK) {
			chobo_warn("%s/db: %s", dir, store_error(st));
			ok = false;
		}
		free(note);
		if (st && !store_close(st))
			ok = false;
	}
	ok = ok && write_text(dir, LOCK_FILE, "", 0600);
	snprintf(text, n, "# chobo ledger\norigin = %s\nwitness = %s\n", origin, witness);
	ok = ok && write_text(dir, "chobo.conf", text, 0644);
	note_signer_clear(&log_key);
	note_signer_clear(&witness_key);
	free(keypath);
	free(wkeypath);
	free(text);
	free(lv);
	free(wv);
	return ok ? 0 : keyrc ? keyrc : EX_CANTCREAT;
}
