/* A ledger directory: layout, lock, configuration, keys and trust, and the store's life. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sodium.h>

#include "checkpoint.h"
#include "codec.h"
#include "index_upgrade.h"
#include "keys.h"
#include "ledger.h"
#include "merkle.h"
#include "progress.h"
#include "restore.h"
#include "util.h"
#include "view.h"

#define LOCK_FILE "db/lock"
#define DEFAULT_LOCK_WAIT 60

const char *ledger_default_dir(void)
{
	return key_ledger_dir();
}

/* True when dir holds chobo.conf and db/. */
static bool is_ledger_dir(const char *dir)
{
	char *conf = path_join(dir, "chobo.conf"), *db = path_join(dir, "db");
	struct stat a, b;
	bool yes = stat(conf, &a) == 0 && S_ISREG(a.st_mode) && stat(db, &b) == 0 && S_ISDIR(b.st_mode);
	free(conf);
	free(db);
	return yes;
}

char *ledger_enclosing(const char *path)
{
	/* The file may not exist yet: start from the directory it would be in. */
	char *copy = xstrdup(path), *slash = strrchr(copy, '/');
	const char *parent = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
	char *dir = realpath(parent, NULL);
	free(copy);
	if (!dir)
		return NULL;
	for (;;) {
		if (is_ledger_dir(dir))
			return dir;
		char *up = strrchr(dir, '/');
		if (!up || up == dir) {
			bool root = is_ledger_dir("/");
			free(dir);
			return root ? xstrdup("/") : NULL;
		}
		*up = '\0';
	}
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
static int lock_ledger(struct ledger *l, enum store_mode mode, struct chobo_error *err)
{
	unsigned wait = DEFAULT_LOCK_WAIT;
	const char *env = getenv("CHOBO_LOCK_WAIT");
	uint64_t v;
	if (env && parse_u64(env, &v) && v < 86400)
		wait = (unsigned)v;
	else if (env)
		return chobo_fail(err, EX_USAGE, "CHOBO_LOCK_WAIT=%s is not a number of seconds from 0 to "
				  "86399 (decimal digits, without a sign or leading zeros)", env);
	char *path = path_join(l->dir, LOCK_FILE);
	l->lockfd = open(path, (mode != STORE_NORMAL ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0600);
	/*
	 * A reader makes a missing lock file too, where it may (a copy made
	 * without it): a writer that made it later would not wait for a reader
	 * that holds no lock.  An audit makes nothing.
	 */
	if (l->lockfd < 0 && errno == ENOENT && mode == STORE_READ)
		l->lockfd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (l->lockfd < 0) {
		int rc = errno;
		free(path);
		/* An audited copy may sit on read-only media without a lock file. */
		if (mode != STORE_NORMAL && (rc == ENOENT || rc == EACCES || rc == EROFS))
			return 0;
		errno = rc;
		return chobo_fail_errno(err, rc == EACCES || rc == EPERM || rc == EROFS ? EX_NOPERM : EX_NOINPUT,
					"%s/%s", l->dir, LOCK_FILE);
	}
	free(path);
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return chobo_fail_errno(err, EX_OSERR, "lock %s", l->dir);
	if (wait > 0) {
		struct progress p;
		char what[128];
		snprintf(what, sizeof what, "waiting for the ledger (another process holds it; at most %u s)",
			 wait);
		progress_start(&p, what, 0);
		progress_wait(&p, what);
		struct sigaction sa, old;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm; /* no SA_RESTART: the alarm interrupts flock */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, &old);
		alarm(wait);
		int rc = flock(l->lockfd, LOCK_EX);
		alarm(0);
		sigaction(SIGALRM, &old, NULL);
		progress_end(&p, 0);
		if (rc == 0)
			return 0;
	}
	close(l->lockfd);
	l->lockfd = -1;
	return chobo_fail(err, EX_TEMPFAIL, "%s: ledger busy: another process held it for %u s", l->dir, wait);
}

static void ledger_reset(struct ledger *l)
{
	config_free(&l->conf);
	free(l->dir);
	memset(l, 0, sizeof *l);
	l->lockfd = -1;
}

/* Below this much free space a write can fail: a new transaction log file alone takes 2 MiB. */
#define LOW_SPACE (4u << 20)

void ledger_space_hint(const char *dir, struct chobo_error *err)
{
	if (!err)
		return;
	char *db = path_join(dir, "db");
	struct statvfs fs;
	bool known = statvfs(db, &fs) == 0;
	uint64_t avail = known ? (uint64_t)fs.f_bavail * fs.f_frsize : 0;
	free(db);
	bool said = strstr(err->msg, strerror(ENOSPC)) || strstr(err->msg, strerror(EDQUOT));
	if (!said && !(known && avail < LOW_SPACE))
		return;
	size_t n = strlen(err->msg);
	snprintf(err->msg + n, sizeof err->msg - n,
		 "; no space left: the file system holding %s/db has %llu KiB free (or the user's quota is "
		 "used up). What was committed is kept; free some space there and run the command again, "
		 "and the ledger recovers by itself", dir, (unsigned long long)(avail >> 10));
}

int ledger_open(struct ledger *l, const char *dir, enum store_mode mode, struct chobo_error *err)
{
	int rc;
	memset(l, 0, sizeof *l);
	l->lockfd = -1;
	l->dir = xstrdup(dir);
	int64_t now;
	bool test_clock;
	/* A ledger in production refuses CHOBO_NOW before anything is done on it. */
	if ((rc = config_read(dir, &l->conf, err)) != 0 ||
	    (mode != STORE_AUDIT && (rc = ledger_now(l, &now, &test_clock, err)) != 0) ||
	    (rc = lock_ledger(l, mode, err)) != 0) {
		ledger_reset(l);
		return rc;
	}
	char *dbdir = path_join(dir, "db");
	char why_text[512];
	enum store_open_failure why;
	l->store = store_open(dbdir, mode, false, why_text, sizeof why_text, &why);
	free(dbdir);
	if (!l->store) {
		static const int code[] = {
			[STORE_OPEN_MISSING] = EX_NOINPUT, [STORE_OPEN_INCONSISTENT] = EX_NOINPUT,
			[STORE_OPEN_DAMAGED] = EX_DATAERR, [STORE_OPEN_DENIED] = EX_NOPERM,
			[STORE_OPEN_ERROR] = EX_IOERR,
		};
		/* The store's reason names the directory or the file. */
		chobo_fail(err, code[why], "%s", why_text);
		if (mode == STORE_NORMAL && code[why] == EX_IOERR)
			ledger_space_hint(dir, err);
		if (l->lockfd >= 0)
			close(l->lockfd);
		ledger_reset(l);
		return code[why];
	}
	uint64_t size;
	rc = store_log_find(l->store, l->conf.origin, &l->log_id, &size);
	if (rc != STORE_OK) {
		chobo_fail(err, EX_DATAERR, "%s: %s", dir,
			   rc == STORE_NOTFOUND ? "the node's own log is missing" : store_error(l->store));
		ledger_close(l, NULL);
		return EX_DATAERR;
	}
	if (mode == STORE_NORMAL && (rc = index_upgrade(l, err)) != 0) {
		ledger_close(l, NULL);
		return rc;
	}
	return 0;
}

int ledger_now(const struct ledger *l, int64_t *now, bool *test_clock, struct chobo_error *err)
{
	const char *fixed = getenv("CHOBO_NOW");
	*test_clock = fixed && *fixed;
	if (!*test_clock) {
		*now = (int64_t)time(NULL);
		return 0;
	}
	if (!l->conf.testing)
		return chobo_fail(err, EX_USAGE, "CHOBO_NOW is set, but %s was not created for testing "
				  "(chain-init --testing): a ledger in production keeps the system clock's "
				  "time; unset CHOBO_NOW", l->dir);
	if (!time_parse(fixed, now))
		return chobo_fail(err, EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");
	return 0;
}

int ledger_open_read(struct ledger *l, const char *dir, struct chobo_error *err)
{
	/*
	 * A ledger closed cleanly holds everything committed in its files: it is
	 * read as they are, without opening the transaction log (an open of the
	 * log reads its whole last file).  One that needs recovery, or the
	 * indexes built (index_upgrade.h), is opened normally.
	 */
	char *db = path_join(dir, "db");
	bool unclean = store_needs_recovery(db);
	int rc = unclean ? EX_TEMPFAIL : ledger_open(l, dir, STORE_READ, err);
	if (rc == 0) {
		/* A table that cannot be read (an older ledger lacks the index tables): the normal open says. */
		struct chobo_error ignored;
		if (index_upgrade_needed(l, &ignored) == 0) {
			free(db);
			return 0;
		}
		ledger_close(l, NULL);
	} else if (rc != EX_TEMPFAIL || (!unclean && !store_needs_recovery(db))) {
		free(db);
		return rc;   /* busy, or an error that a normal open would give too */
	}
	free(db);
	rc = ledger_open(l, dir, STORE_NORMAL, err);
	if (rc != EX_NOPERM)
		return rc;
	/* Reading needs no write: the committed state is what an audit reads too. */
	return ledger_open(l, dir, STORE_AUDIT, err);
}

int ledger_close(struct ledger *l, struct chobo_error *err)
{
	int rc = 0;
	if (l->store && !store_close(l->store)) {
		rc = chobo_fail(err, EX_IOERR, "%s: closing the store failed", l->dir);
		ledger_space_hint(l->dir, err);
	}
	l->store = NULL;
	view_memos_free(l);
	if (l->lockfd >= 0)
		close(l->lockfd);
	ledger_reset(l);
	return rc;
}

int ledger_close_after(struct ledger *l, int rc, struct chobo_error *err)
{
	struct chobo_error close_err;
	int crc = ledger_close(l, &close_err);
	if (crc == 0)
		return rc;
	if (rc == 0)
		return chobo_fail(err, crc, "%s", close_err.msg);
	if (err) {
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof err->msg - used, "; %s", close_err.msg);
	}
	return rc;
}

static int load_key(const char *dir, const char *file, uint8_t type, struct note_signer *out,
		    struct chobo_error *err)
{
	char *conf = path_join(dir, "chobo.conf");
	bool ledger = access(conf, F_OK) == 0;
	free(conf);
	memset(out, 0, sizeof *out);
	if (!ledger)
		return chobo_fail(err, EX_NOINPUT, "%s: not a ledger (no chobo.conf); create one with chain-init",
				  dir);
	char *keys = path_join(dir, "keys");
	int rc = key_dir_check(keys, err);
	free(keys);
	if (rc != 0)
		return rc;
	char *path = path_join(dir, file);
	rc = key_load(path, out, err);
	if (rc == 0 && out->pub.type != type) {
		rc = chobo_fail(err, EX_CONFIG, "%s: not a %s key", path,
				type == NOTE_TYPE_ED25519 ? "log" : "witness");
		note_signer_clear(out);
	}
	free(path);
	return rc;
}

int ledger_witness_key(const char *dir, struct note_signer *out, struct chobo_error *err)
{
	return load_key(dir, "keys/witness.key", NOTE_TYPE_COSIGNATURE, out, err);
}

int ledger_log_key(const char *dir, struct note_signer *out, struct chobo_error *err)
{
	return load_key(dir, "keys/node.key", NOTE_TYPE_ED25519, out, err);
}

int ledger_trust(const char *dir, const char *file, struct trust *out, struct chobo_error *err)
{
	memset(out, 0, sizeof *out);
	if (file)
		return trust_load_file(out, file, err);
	char *path = path_join(dir, "trust");
	int rc = trust_load_dir(out, path, err);
	free(path);
	return rc;
}

static int make_dirs(const char *dir, struct chobo_error *err)
{
	static const char *const sub[] = {"keys", "trust", "db", "private"};
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return chobo_fail_errno(err, EX_CANTCREAT, "%s", dir);
	for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		char *p = path_join(dir, sub[i]);
		int r = mkdir(p, strcmp(sub[i], "private") == 0 || strcmp(sub[i], "keys") == 0 ? 0700 : 0755);
		if (r != 0)
			chobo_fail_errno(err, EX_CANTCREAT, "%s", p);
		free(p);
		if (r != 0)
			return EX_CANTCREAT;
	}
	return 0;
}

static int write_text(const char *dir, const char *name, const char *text, int mode,
		      struct chobo_error *err)
{
	char *p = path_join(dir, name);
	int rc = write_file_atomic(p, text, strlen(text), mode) ? 0
		 : chobo_fail_errno(err, EX_CANTCREAT, "%s", p);
	free(p);
	return rc;
}

/* The store with this node's log and the empty tree's checkpoint, signed with log_key. */
static int create_store(const char *dir, const char *origin, const struct note_signer *log_key,
			struct chobo_error *err)
{
	char *dbdir = path_join(dir, "db");
	char why_text[512];
	enum store_open_failure why;
	struct store *st = store_open(dbdir, STORE_NORMAL, true, why_text, sizeof why_text, &why);
	free(dbdir);
	if (!st)
		return chobo_fail(err, EX_CANTCREAT, "%s", why_text);
	uint32_t id;
	struct checkpoint cp = {.size = 0};
	snprintf(cp.origin, sizeof cp.origin, "%s", origin);
	merkle_empty_root(cp.root);
	char *note = checkpoint_sign(&cp, log_key);
	int rc = 0;
	if (store_begin(st) != STORE_OK || store_log_create(st, origin, &id) != STORE_OK ||
	    store_checkpoint_put(st, id, 0, note, strlen(note)) != STORE_OK ||
	    store_commit(st) != STORE_OK)
		rc = chobo_fail(err, EX_CANTCREAT, "%s/db: %s", dir, store_error(st));
	free(note);
	if (!store_close(st) && rc == 0)
		rc = chobo_fail(err, EX_CANTCREAT, "%s/db: closing the new store failed", dir);
	return rc;
}

/* Write a public key file (one vkey line). */
static int write_vkey(const char *dir, const char *name, const char *vkey, struct chobo_error *err)
{
	size_t n = strlen(vkey) + 2;
	char *text = xmalloc(n);
	snprintf(text, n, "%s\n", vkey);
	int rc = write_text(dir, name, text, 0644, err);
	free(text);
	return rc;
}

/* Refuse a directory that holds a ledger already. */
static int no_ledger_yet(const char *dir, struct chobo_error *err)
{
	char *conf_path = path_join(dir, "chobo.conf");
	bool exists = access(conf_path, F_OK) == 0;
	free(conf_path);
	return exists ? chobo_fail(err, EX_CANTCREAT, "%s: a ledger already exists here", dir) : 0;
}

/*
 * The rest of a new ledger around its saved secret keys: the public keys,
 * trust/self, the store with the empty tree's checkpoint, the lock file,
 * the restore file when restoring, and last chobo.conf, which marks the
 * ledger as made (for testing with testing).
 */
static int lay_out(const char *dir, const struct note_signer *log_key, const struct note_signer *witness_key,
		   bool restoring, bool testing, struct chobo_error *err)
{
	char *lv = note_vkey_format(&log_key->pub), *wv = note_vkey_format(&witness_key->pub);
	int rc = write_vkey(dir, "keys/node.pub", lv, err);
	if (rc == 0)
		rc = write_vkey(dir, "keys/witness.pub", wv, err);
	if (rc == 0) {
		size_t n = strlen(lv) + strlen(wv) + 64;
		char *text = xmalloc(n);
		snprintf(text, n, "# this node's log key and witness key\n%s\n%s\n", lv, wv);
		rc = write_text(dir, "trust/self", text, 0644, err);
		free(text);
	}
	/* The empty tree's checkpoint is signed before chobo.conf marks the ledger as made. */
	if (rc == 0)
		rc = create_store(dir, log_key->pub.name, log_key, err);
	if (rc == 0)
		rc = write_text(dir, LOCK_FILE, "", 0600, err);
	if (rc == 0 && restoring)
		rc = restore_start(dir, err);
	if (rc == 0) {
		char *text = config_new_text(log_key->pub.name, witness_key->pub.name, testing);
		rc = write_text(dir, "chobo.conf", text, 0644, err);
		free(text);
	}
	free(lv);
	free(wv);
	return rc;
}

int ledger_create(const char *dir, const char *origin, const char *witness, bool encrypt, bool testing,
		  struct note_verifier *log_pub, struct note_verifier *witness_pub,
		  struct chobo_error *err)
{
	struct note_signer log_key, witness_key;
	int rc = no_ledger_yet(dir, err);
	if (rc != 0)
		return rc;
	if (!checkpoint_origin_valid(origin) || !checkpoint_origin_valid(witness))
		return chobo_fail(err, EX_USAGE,
				  "origin and witness names must be printable ASCII without spaces or '+'");
	if ((rc = make_dirs(dir, err)) != 0)
		return rc;
	if (!note_signer_generate(origin, NOTE_TYPE_ED25519, &log_key))
		return chobo_fail(err, EX_SOFTWARE, "cannot generate keys");
	if (!note_signer_generate(witness, NOTE_TYPE_COSIGNATURE, &witness_key)) {
		note_signer_clear(&log_key);
		return chobo_fail(err, EX_SOFTWARE, "cannot generate keys");
	}
	*log_pub = log_key.pub;
	*witness_pub = witness_key.pub;
	char *keypath = path_join(dir, "keys/node.key"), *wkeypath = path_join(dir, "keys/witness.key");
	if (encrypt) {
		if ((rc = key_save_encrypted(keypath, &log_key, err)) == 0)
			rc = key_save_encrypted(wkeypath, &witness_key, err);
	} else if (!key_save(keypath, &log_key) || !key_save(wkeypath, &witness_key)) {
		rc = chobo_fail_errno(err, EX_CANTCREAT, "%s/keys", dir);
	}
	if (rc == 0)
		rc = lay_out(dir, &log_key, &witness_key, false, testing, err);
	note_signer_clear(&log_key);
	note_signer_clear(&witness_key);
	free(keypath);
	free(wkeypath);
	return rc;
}

/* Copy a secret key file byte for byte (an encrypted one stays encrypted), mode 0600. */
static int copy_key(const char *from, const char *to, struct chobo_error *err)
{
	size_t len;
	char *text = read_file(from, 64 * 1024, &len);
	if (!text)
		return chobo_fail_errno(err, EX_NOINPUT, "%s", from);
	bool ok = write_file_atomic(to, text, len, 0600);
	sodium_memzero(text, len);
	free(text);
	return ok ? 0 : chobo_fail_errno(err, EX_CANTCREAT, "%s", to);
}

int ledger_recreate(const char *dir, const char *keys, struct note_verifier *log_pub,
		    struct note_verifier *witness_pub, struct chobo_error *err)
{
	struct note_signer log_key, witness_key;
	char *from_log = path_join(keys, "node.key"), *from_witness = path_join(keys, "witness.key");
	char *keypath = path_join(dir, "keys/node.key"), *wkeypath = path_join(dir, "keys/witness.key");
	bool have_log = false, have_witness = false;
	int rc = no_ledger_yet(dir, err);
	/* Both keys must open (and be what their names say) before anything is made. */
	if (rc == 0 && (rc = key_dir_check(keys, err)) == 0 && (rc = key_load(from_log, &log_key, err)) == 0)
		have_log = true;
	if (rc == 0 && (rc = key_load(from_witness, &witness_key, err)) == 0)
		have_witness = true;
	if (rc == 0 && log_key.pub.type != NOTE_TYPE_ED25519)
		rc = chobo_fail(err, EX_CONFIG, "%s: not a log key", from_log);
	if (rc == 0 && witness_key.pub.type != NOTE_TYPE_COSIGNATURE)
		rc = chobo_fail(err, EX_CONFIG, "%s: not a witness key", from_witness);
	if (rc == 0 && (rc = make_dirs(dir, err)) == 0 && (rc = copy_key(from_log, keypath, err)) == 0 &&
	    (rc = copy_key(from_witness, wkeypath, err)) == 0) {
		*log_pub = log_key.pub;
		*witness_pub = witness_key.pub;
		rc = lay_out(dir, &log_key, &witness_key, true, false, err);
	}
	if (have_log)
		note_signer_clear(&log_key);
	if (have_witness)
		note_signer_clear(&witness_key);
	free(from_log);
	free(from_witness);
	free(keypath);
	free(wkeypath);
	return rc;
}

int ledger_leaf_resolve(struct ledger *l, const char *hex, char out[65], struct chobo_error *err)
{
	size_t n = strlen(hex);
	char padded[65];
	uint8_t prefix[32], found[32];
	uint32_t log;
	uint64_t index;
	bool ambiguous;
	for (size_t i = 0; i < n && i < 64; i++)
		padded[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	if (n < 4 || n > 64)
		return chobo_fail(err, EX_DATAERR, "a reference must be 4 to 64 hex digits of a leaf hash");
	padded[n] = n % 2 ? '0' : '\0';
	padded[n + n % 2] = '\0';
	if (!hex_decode(prefix, (n + 1) / 2, padded))
		return chobo_fail(err, EX_DATAERR, "a reference must be 4 to 64 hex digits of a leaf hash");
	int rc = store_leaf_find(l->store, prefix, n * 4, found, &log, &index, &ambiguous);
	if (rc == STORE_ERROR)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	if (rc == STORE_NOTFOUND)
		return chobo_fail(err, EX_DATAERR, "no entry has a leaf hash starting %.64s", hex);
	if (ambiguous)
		return chobo_fail(err, EX_DATAERR, "more than one entry has a leaf hash starting %.64s", hex);
	hex32(out, found);
	return 0;
}

int ledger_find_leaf(struct ledger *l, const uint8_t hash[32], uint32_t *log, uint64_t *index,
		     struct chobo_error *err)
{
	uint8_t found[32];
	bool ambiguous;
	int rc = store_leaf_find(l->store, hash, 256, found, log, index, &ambiguous);
	if (rc == STORE_NOTFOUND)
		return chobo_fail(err, EX_NOINPUT, "no entry has that leaf hash");
	if (rc != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	return 0;
}

int ledger_entry(struct ledger *l, uint32_t log, uint64_t index, const char **bytes, size_t *len,
		 struct chobo_error *err)
{
	const void *data;
	int rc = store_entry_get(l->store, log, index, &data, len);
	if (rc == STORE_NOTFOUND)
		return chobo_fail(err, EX_NOINPUT, "no entry %llu in that log", (unsigned long long)index);
	if (rc != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	*bytes = data;
	return 0;
}

int ledger_leaf_hex(struct ledger *l, uint32_t log, uint64_t index, char out[65], struct chobo_error *err)
{
	const char *bytes = NULL;
	size_t len = 0;
	uint8_t h[32];
	int rc = ledger_entry(l, log, index, &bytes, &len, err);
	if (rc == 0) {
		merkle_leaf_hash(h, bytes, len);
		hex32(out, h);
	}
	return rc;
}
