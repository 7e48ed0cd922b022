/*
 * The store on a Berkeley DB 5.3 transactional environment.
 *
 * Debian's libdb uses blocking process-shared mutexes, so a process killed
 * inside a shared environment can hang every other one.  chobo therefore lets
 * one process use a ledger at a time (an flock held by the caller) and opens
 * the environment DB_PRIVATE: its regions live in this process's memory and
 * die with it.  A marker file (db/open) lives from open to clean close; when
 * the next process finds it, DB_RECOVER replays the log, so whatever a killed
 * process committed is there and whatever it had not committed is gone.
 *
 * A commit syncs the transaction log only.  A short job closes without a
 * checkpoint: it writes its pages into the table files without syncing them,
 * and leaves db/unsynced saying "closed, tables not synced, since boot B on
 * mount M".  The files are then consistent in the system's page cache, which
 * every later process on this machine reads, until the machine restarts or
 * the file system is mounted again: then (and when the mark cannot be read)
 * the next open recovers from the log, which holds every commit since the
 * last checkpoint.  A real checkpoint (every table file synced) runs when the
 * log since the last one reaches a second file, after recovery,
 * after a batch and when the store is made; the mark is then removed.
 *
 * Keys are big-endian so that btree order is numeric order:
 *   logs.db         log id (4)                -> size (8) || origin
 *   entries.db      log id (4) || index (8)   -> entry bytes
 *   hashes.db       log id (4) || leaf (8)    -> interior hashes completed by that leaf
 *   checkpoints.db  log id (4) || size (8)    -> signed checkpoint note
 *   leaves.db       leaf hash (32)            -> log id (4) || index (8)
 *   forks.db        log id (4) || sequence (8) -> evidence: length of ours (4) ||
 *                                               our checkpoint || theirs [|| NUL || proof]
 *                   (a note holds no NUL; records without a proof are older)
 *   types.db, keys.db, views.db, viewmarks.db   keys and values made by their
 *                   users (entry_index.c, view.c); see store.h
 */
/* statx(2), for the mount id of db/unsynced. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <db.h>

#include "store.h"
#include "util.h"

#define UNCLEAN_MARK "open"
#define UNSYNCED_MARK "unsynced"
/*
 * A close checkpoints once the log has gone on into a second file since the
 * last checkpoint.  Every open reads and checksums the last log file to find
 * its end, and when that file holds no checkpoint Berkeley DB reads back
 * through the earlier ones until it finds one (__txn_findlastckp); so the
 * last file always holds one, and a recovery after a power cut reads at
 * most two files.
 */
#define CHECKPOINT_LOG_FILES 2

enum {
	T_LOGS, T_ENTRIES, T_HASHES, T_CHECKPOINTS, T_LEAVES, T_FORKS,
	T_TYPES, T_KEYS, T_VIEWS, T_VIEWMARKS, T_COUNT
};
static const char *const table_file[T_COUNT] = {
	"logs.db", "entries.db", "hashes.db", "checkpoints.db", "leaves.db", "forks.db",
	"types.db", "keys.db", "views.db", "viewmarks.db",
};
/*
 * Page sizes of new table files (0: Berkeley DB's choice, the file
 * system's block, 4 KiB here); a file keeps the size it was made with.
 * entries.db: 16 KiB, where entries up to about 4 KiB stay on their page
 * (Berkeley DB moves an item over a quarter of a page to overflow pages).
 * leaves.db: 1 KiB.  Its keys are hashes, so an import or a batch onto a large log
 * puts each new record on a random page, and a page left full by the bulk
 * load splits (Berkeley DB logs the split with the page's image); each such
 * page is read, checksummed, logged, written and synced.  With 1 KiB pages
 * that is a quarter of the bytes for the same number of pages: +1000
 * entries on 1,000,000 imported in 69-80 ms instead of 86-104 ms (one
 * more level in the tree: 4 instead of 3; the file as large).
 */
static const uint32_t table_pagesize[T_COUNT] = {0, 16384, 0, 0, 1024, 0, 0, 0, 0, 0};
/* The tables behind enum store_table_kv, in its order. */
static const int kv_table[] = {
	[STORE_TYPE_INDEX] = T_TYPES, [STORE_KEY_INDEX] = T_KEYS,
	[STORE_VIEW_RECORDS] = T_VIEWS, [STORE_VIEW_MARKS] = T_VIEWMARKS,
};

/* Reads in bulk use buffers of this size. */
#define BULK_BUFFER (1u << 20)

/* Records put in bulk (DB_MULTIPLE_KEY) within a transaction, flushed when full and before commit. */
struct bulk {
	DBT dbt;
	void *ptr;
	size_t count;
};
#define BULK_PUT_BUFFER (1u << 20)   /* was 4 MiB: a streamed batch budgets its memory */
/*
 * A table's first buffer: a one-entry append queues a few hundred bytes,
 * and a buffer of 1 MiB is mapped, its two ends faulted in and unmapped
 * again for each table; each fill doubles it, up to BULK_PUT_BUFFER.
 */
#define BULK_PUT_FIRST (16u << 10)

struct store {
	DB_ENV *env;
	struct bulk bulk[T_COUNT];
	DB *db[T_COUNT];
	DB_TXN *txn;
	enum store_mode mode;
	bool wrote;         /* a transaction was committed (or recovery ran) */
	bool created;       /* the store was made by this open */
	bool recovered;     /* this open ran recovery */
	bool unsynced;      /* the table files may hold pages not yet on disk, left by earlier processes */
	char *dir;
	char *mark;
	char *unsynced_mark;
	char stamp[160];    /* what db/unsynced says of a close now (unsynced_stamp), when stamp_known > 0 */
	int stamp_known;    /* 0: not read yet; 1: read; -1: the boot or the mount is unknown */
	char *copy;         /* audit of an unclean store: the private recovered copy read instead */
	char err[512];
	char dbmsg[256];    /* Berkeley DB's own explanation of the last failure */
	void *buf;          /* DB_DBT_REALLOC buffer for gets */
	uint32_t buflen;
	uint64_t aborts;    /* transactions aborted or failed to commit */
	bool damaged;       /* a read found a table's content bad (store_damaged) */
};

struct store_cursor {
	struct store *st;
	DBC *dbc;
	uint32_t log;
	DBT key, data;
	void *iter;
	bool started, done;
	uint8_t start[12];
};

static void errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
	(void)prefix;
	struct store *st = env->app_private;
	if (st)
		snprintf(st->dbmsg, sizeof st->dbmsg, "%s", msg);
}

static enum store_open_failure open_failure(int ret);

static int fail(struct store *st, int ret, const char *what)
{
	if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY)
		return STORE_NOTFOUND;
	/* Sticky: once an environment saw a bad page it panics, and every later call fails. */
	if (open_failure(ret) == STORE_OPEN_DAMAGED)
		st->damaged = true;
	snprintf(st->err, sizeof st->err, "%s: %s%s%s", what, db_strerror(ret),
		 st->dbmsg[0] ? ": " : "", st->dbmsg);
	st->dbmsg[0] = '\0';
	return STORE_ERROR;
}

const char *store_error(const struct store *st)
{
	return st->err;
}

bool store_damaged(const struct store *st)
{
	return st->damaged;
}

bool store_recovered_copy(const struct store *st)
{
	return st->copy != NULL;
}

static void key12(uint8_t k[12], uint32_t log, uint64_t n)
{
	put_be32(k, log);
	put_be64(k + 4, n);
}

static void dbt_in(DBT *d, const void *data, size_t len)
{
	memset(d, 0, sizeof *d);
	d->data = (void *)data;
	d->size = (uint32_t)len;
}

static void dbt_out(struct store *st, DBT *d)
{
	memset(d, 0, sizeof *d);
	d->data = st->buf;
	d->ulen = st->buflen;
	d->flags = DB_DBT_REALLOC;
}

static void dbt_keep(struct store *st, DBT *d)
{
	st->buf = d->data;
	st->buflen = d->size > st->buflen ? d->size : st->buflen;
}

static bool close_tables(struct store *st, u_int32_t flags)
{
	bool ok = true;
	for (int t = 0; t < T_COUNT; t++) {
		if (st->db[t] && st->db[t]->close(st->db[t], flags) != 0)
			ok = false;
		st->db[t] = NULL;
	}
	return ok;
}

static bool close_env(struct store *st)
{
	bool ok = !st->env || st->env->close(st->env, 0) == 0;
	st->env = NULL;
	return ok;
}

static bool close_all(struct store *st, u_int32_t flags)
{
	bool ok = close_tables(st, flags);
	return close_env(st) && ok;
}

static void copy_remove(const char *copy);

static void store_free(struct store *st)
{
	if (st->copy) {
		copy_remove(st->copy);
		free(st->copy);
	}
	for (int t = 0; t < T_COUNT; t++)
		free(st->bulk[t].dbt.data);
	free(st->buf);
	free(st->dir);
	free(st->mark);
	free(st->unsynced_mark);
	free(st);
}

#define CACHE_MIN (4u << 20)
#define CACHE_MAX (256u << 20)

/* The bytes the next store_open's job expects to write (sizes its cache and log files). */
static uint64_t expected_bytes;
/* The most its cache may take (store_cache_limit); 0: CACHE_MAX. */
static uint64_t cache_limit;

void store_expect_bytes(uint64_t bytes)
{
	expected_bytes = bytes;
}

void store_cache_limit(uint64_t bytes)
{
	cache_limit = bytes;
}

static u_int32_t cache_bytes(void)
{
	/*
	 * A small job gets a small cache: creating the cache costs time in
	 * proportion to its size (about 1 ms of a one-entry append for 64 MiB),
	 * and a command that reads a few records or scans in bulk needs few
	 * pages.  A batch needs room for its entries, interior hashes and index
	 * records, and for one page of the leaf-hash index per entry (hash
	 * order scatters them over the whole index): about 12 times its bytes.
	 * A smaller cache would write pages out in mid-transaction, each after
	 * a sync of the log.  Beyond 256 MiB a larger cache only costs memory: a
	 * batch writes its entries in index order and its leaf-index records in
	 * hash order, so each page is finished before the next is needed (a
	 * batch of 1,000,000 onto 1,000,000 took 21.3 s and 679 MiB of RSS with
	 * 256 MiB, 24.7 s and 970 MiB with 1 GiB).  A job with a memory budget
	 * asks for less (store_cache_limit): chain-append streams a batch in
	 * chunks within 120 MiB, where the pages written out in mid-transaction
	 * and the leaf-index pages read back cost little (a batch of 1,000,000
	 * with 96 MiB: 105,000 page writes and 39,000 reads instead of 68,000
	 * and 2,000, the same CPU time within the noise, 225 MiB peak RSS
	 * instead of 415; with 120 MiB, 237 MiB).
	 */
	uint64_t want = CACHE_MIN + expected_bytes * 12, max = CACHE_MAX;
	if (cache_limit && cache_limit < max)
		max = cache_limit > CACHE_MIN ? cache_limit : CACHE_MIN;
	return (u_int32_t)(want < max ? want : max);
}

/*
 * The cache finds a page through a hash table of page numbers.  Berkeley
 * DB sizes it for 4 KiB pages, a bucket per 10 KiB of cache; a batch's or
 * an import's cache fills with the 1 KiB pages of leaves.db, so that each
 * bucket chained 6 to 8 pages, and the walk along them was half of
 * __memp_fget's time (11 % of an append of 1,000,000 entries).  A large
 * job gets a bucket per KiB (about 4 MiB more memory for 120 MiB of cache);
 * a small one keeps the default, which costs less to create.
 */
#define CACHE_BYTES_PER_BUCKET 1024

/*
 * A short job's log files are written with zeros when made (DB_LOG_ZERO), so
 * that a commit's sync overwrites blocks the file already has, rather than
 * allocating them and waiting for the file system's journal (median
 * fdatasync 0.30-0.36 ms against 0.34-0.53 ms, load 5).  A batch, which
 * writes its 2 MiB files whole, would write its log twice.
 */
static int small_job(void)
{
	return expected_bytes <= (1u << 20);
}

/*
 * The size of a new log file.  A small job writes a few KiB of log (about
 * 3 KiB for one entry), and every open reads the whole last file: files of
 * 128 KiB make that cheap, and still hold about 30 appends between the
 * checkpoints that a switch to a new file brings (CHECKPOINT_LOG_FILES; 64
 * KiB files were no cheaper in CPU, 256 KiB ones 0.5 ms dearer).  A large
 * batch gets 2 MiB files, each switch costing a sync and a new file.
 */
#define SMALL_LOG_FILE_BYTES (128u << 10)
static u_int32_t log_file_bytes(void)
{
	return small_job() ? SMALL_LOG_FILE_BYTES : 2u << 20;
}

/*
 * What a failure to open a database file means.  Berkeley DB says EINVAL
 * ("unexpected file type or format") for a file that is not a database of
 * its kind, and DB_RUNRECOVERY or DB_VERIFY_BAD for a page whose checksum
 * fails: that is the file's content.  A system error (the file is absent,
 * may not be read, cannot be read) says nothing about the content.
 */
static enum store_open_failure open_failure(int ret)
{
	switch (ret) {
	case ENOENT:
	case ENOTDIR:
		return STORE_OPEN_MISSING;
	case EACCES:
	case EPERM:
	case EROFS:
		return STORE_OPEN_DENIED;
	case EINVAL:
	case DB_RUNRECOVERY:
	case DB_VERIFY_BAD:
	case DB_PAGE_NOTFOUND:
		return STORE_OPEN_DAMAGED;
	default:
		return STORE_OPEN_ERROR;
	}
}

#ifdef CHOBO_WRAP_HAM_FUNC4
/*
 * Every page a job reads or writes and every log record carries a checksum
 * (DB_CHKSUM), and libdb computes it a byte at a time, each step waiting for
 * the last: __ham_func4 was 10-11 % of a one-entry append's CPU (about
 * 250 KB checked: the last log file at open, the pages read, those written).
 * h * 33^16 + (c[0] * 33^15 + ... + c[15]) is the same number mod 2^32 as
 * sixteen steps, and its sixteen products do not wait for one another: two
 * to three times as fast (0.93 against 0.46 ns a byte).  tests/t-chksum
 * compares it with libdb's own.
 */
unsigned int __wrap___ham_func4(void *dbp, const void *key, unsigned int len)
{
	/* 33^k mod 2^32, k = 0 to 16. */
	static const uint32_t p[17] = {
		1u, 33u, 1089u, 35937u, 1185921u, 39135393u, 1291467969u, 3963737313u,
		1954312449u, 67801377u, 2237445441u, 821255521u, 1331628417u, 994064801u,
		2739367361u, 204809697u, 2463752705u,
	};
	const uint8_t *k = key;
	uint32_t h = 0;
	(void)dbp;
	for (; len >= 16; len -= 16, k += 16) {
		/* Written out: as a loop, gcc -O2 spent more on the loop than on the sum. */
		uint32_t s = k[0] * p[15] + k[1] * p[14] + k[2] * p[13] + k[3] * p[12] +
			     k[4] * p[11] + k[5] * p[10] + k[6] * p[9] + k[7] * p[8] +
			     k[8] * p[7] + k[9] * p[6] + k[10] * p[5] + k[11] * p[4] +
			     k[12] * p[3] + k[13] * p[2] + k[14] * p[1] + k[15];
		h = h * p[16] + s;
	}
	while (len-- > 0)
		h = h * 33u + *k++;
	return h;
}
#endif

/*
 * The order of Berkeley DB's default key comparison (bytes as unsigned, a
 * key before any longer key it begins), with memcmp: the default compares a
 * byte at a time, and the tables' long shared key prefixes made it about 8 %
 * of an ingest's instructions.  The order is the same, so tables made with
 * the default read alike.
 */
static int key_compare(DB *db, const DBT *a, const DBT *b)
{
	(void)db;
	size_t n = a->size < b->size ? a->size : b->size;
	int c = n ? memcmp(a->data, b->data, n) : 0;
	if (c != 0)
		return c;
	return a->size < b->size ? -1 : a->size > b->size;
}

/*
 * The separator length Berkeley DB's default prefix routine gives (the
 * common prefix of a and b plus one byte), which setting a comparison would
 * otherwise turn off, so interior pages stay as small as before.
 */
static size_t key_prefix(DB *db, const DBT *a, const DBT *b)
{
	(void)db;
	size_t n = a->size < b->size ? a->size : b->size;
	const unsigned char *p = a->data, *q = b->data;
	for (size_t i = 0; i < n; i++)
		if (p[i] != q[i])
			return i + 1;
	if (a->size != b->size)
		return n + 1;
	return n;
}

/* Use key_compare and key_prefix on db; 0 or Berkeley DB's error. */
static int set_key_order(DB *db)
{
	int ret = db->set_bt_compare(db, key_compare);
	return ret != 0 ? ret : db->set_bt_prefix(db, key_prefix);
}

/* Open table t into st->db[t]; 0 or Berkeley DB's error (st->db[t] stays NULL). */
static int open_table(struct store *st, int t, bool create)
{
	DB *db;
	/* logs.db marks a ledger; the other tables are made when missing. */
	u_int32_t oflags = st->mode != STORE_NORMAL ? DB_RDONLY
			 : DB_AUTO_COMMIT | (create || t != T_LOGS ? DB_CREATE : 0);
	int ret = db_create(&db, st->env, 0);
	if (ret != 0)
		return ret;
	if ((ret = db->set_flags(db, DB_CHKSUM)) != 0 ||
	    (ret = set_key_order(db)) != 0 ||
	    (table_pagesize[t] && (ret = db->set_pagesize(db, table_pagesize[t])) != 0) ||
	    (ret = db->open(db, NULL, table_file[t], NULL, DB_BTREE, oflags, 0600)) != 0) {
		db->close(db, 0);
		return ret;
	}
	st->db[t] = db;
	return 0;
}

/* Table t, opened on first use; NULL with the reason in st->err. */
static DB *table_db(struct store *st, int t)
{
	if (!st->db[t]) {
		int ret = open_table(st, t, false);
		if (ret != 0) {
			char *file = path_join(st->dir, table_file[t]);
			fail(st, ret, file);
			free(file);
			return NULL;
		}
	}
	return st->db[t];
}

/*
 * Closing an environment, Berkeley DB syncs every file it wrote in it, even
 * when its pages were written unsynced on purpose (write_pages) and nothing
 * is left to write.  Its fsync hook (set for every environment) does what it
 * does by default, fdatasync, except in the thread closing such an
 * environment.
 */
static _Thread_local bool skip_syncs;

static int bdb_fsync(int fd)
{
	if (skip_syncs)
		return 0;
	int ret;
	do
		ret = fdatasync(fd);
	while (ret != 0 && errno == EINTR);
	return ret;
}

/* ------------------------------------------------------------------ the marks */


/*
 * What db/unsynced says of a store closed now in dir: this boot and the
 * mount holding dir (its unique id where the kernel gives one: a device
 * removed and mounted again is another mount).  False when the boot is
 * unknown.
 */
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U   /* Linux 6.8 */
#endif
static bool unsynced_stamp(const char *dir, char *out, size_t len)
{
	char boot[64];
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	bool ok = f && fgets(boot, sizeof boot, f) && strlen(boot) > 1;
	if (f)
		fclose(f);
	if (!ok)
		return false;
	boot[strcspn(boot, "\n")] = '\0';
	/*
	 * Only the unique mount id (Linux 6.8 and later) tells a file system
	 * mounted again in the same boot, whose unwritten pages may be lost,
	 * from the mount the stamp was made on: the older ids are reused, and
	 * without one the stamp would match after such a remount.
	 */
	struct statx sx;
	if (statx(AT_FDCWD, dir, 0, STATX_MNT_ID_UNIQUE, &sx) != 0 || !(sx.stx_mask & STATX_MNT_ID_UNIQUE))
		return false;
	int n = snprintf(out, len, "closed, tables not synced, boot %s, mount u%llu\n", boot,
			 (unsigned long long)sx.stx_mnt_id);
	return n > 0 && (size_t)n < len;
}

/*
 * st's stamp (unsynced_stamp of its directory), read once a process: the
 * boot and the mount do not change while the store is open.  NULL when
 * unknown.
 */
static const char *store_stamp(struct store *st)
{
	if (st->stamp_known == 0)
		st->stamp_known = unsynced_stamp(st->dir, st->stamp, sizeof st->stamp) ? 1 : -1;
	return st->stamp_known > 0 ? st->stamp : NULL;
}

/* True when the db/unsynced at path says want, a current stamp (its files are consistent); false for want NULL. */
static bool unsynced_current(const char *want, const char *path)
{
	char have[160];
	if (!want)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, have, sizeof have - 1);
	close(fd);
	if (n <= 0)
		return false;
	have[n] = '\0';
	return strcmp(have, want) == 0;
}

bool store_needs_recovery(const char *dir)
{
	char *mark = path_join(dir, UNCLEAN_MARK), *unsynced = path_join(dir, UNSYNCED_MARK);
	/*
	 * db/unsynced first: a writer opening meanwhile renames it to db/open,
	 * which the second test then sees (in the other order a reader without
	 * the lock could miss both names).
	 */
	char want[160];
	bool yes = (access(unsynced, F_OK) == 0 &&
		    !unsynced_current(unsynced_stamp(dir, want, sizeof want) ? want : NULL, unsynced)) ||
		   access(mark, F_OK) == 0;
	free(mark);
	free(unsynced);
	return yes;
}

/*
 * fdatasync every table file in dir: before a checkpoint that follows
 * closes without one (it syncs only the files this process wrote, yet
 * declares every earlier change on disk).  False with errno on failure.
 */
static bool sync_tables(const char *dir)
{
	for (int t = 0; t < T_COUNT; t++) {
		char *path = path_join(dir, table_file[t]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return false;
		}
		bool ok = fdatasync(fd) == 0;
		int e = errno;
		close(fd);
		if (!ok) {
			errno = e;
			return false;
		}
	}
	return true;
}

/*
 * How many log files dir holds (each written since the last checkpoint, but
 * the oldest); *large tells whether the last one is a batch's 2 MiB file
 * (see start_small_log_file).
 */
static unsigned log_files(const char *dir, bool *large)
{
	unsigned n = 0;
	char last[32] = "";
	*large = false;
	DIR *d = opendir(dir);
	if (!d)
		return CHECKPOINT_LOG_FILES;   /* unknown: checkpoint */
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		/* log.%010u: the last in name order is the newest. */
		if (strncmp(de->d_name, "log.", 4) == 0) {
			n++;
			if (strlen(de->d_name) < sizeof last && strcmp(de->d_name, last) > 0)
				strcpy(last, de->d_name);
		}
	}
	closedir(d);
	if (last[0]) {
		struct stat sb;
		char *path = path_join(dir, last);
		*large = stat(path, &sb) == 0 && sb.st_size > (off_t)(1u << 20);
		free(path);
	}
	return n;
}

/* ------------------------------------------------- an unclean store, audited
 *
 * A store left unclean (a killed process, a copy taken mid-write) is audited
 * as it was last committed without changing a byte of it: its files are
 * copied into a private directory under $TMPDIR and recovered there, and the
 * copy is removed when the store closes.
 */

/* Remove the private copy (its files, then the directory). */
static void copy_remove(const char *copy)
{
	DIR *d = opendir(copy);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char *p = path_join(copy, de->d_name);
			unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(copy);
}

/* Copy the file name from dir into copy: 0, or the errno of the failure. */
static int copy_one(const char *dir, const char *copy, const char *name)
{
	char *from_path = path_join(dir, name), *to_path = path_join(copy, name);
	FILE *from = fopen(from_path, "rbe");
	int ret = from ? 0 : errno;
	if (from) {
		int fd = open(to_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		FILE *to = fd >= 0 ? fdopen(fd, "wb") : NULL;
		if (!to) {
			ret = errno;
			if (fd >= 0)
				close(fd);
		} else {
			errno = 0;
			if (copy_stream(from, to, UINT64_MAX) != 0)
				ret = errno ? errno : EIO;
			if (fclose(to) != 0 && ret == 0)
				ret = errno;
		}
		fclose(from);
	}
	free(from_path);
	free(to_path);
	return ret;
}

/*
 * A private copy of the database and log files of dir (not the mark, the
 * lock or region files), newly allocated; NULL with the reason in err.
 */
static char *copy_make(const char *dir, char *err, size_t errlen, enum store_open_failure *why)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	char *copy = path_join(tmp, "chobo-audit.XXXXXX");
	if (!mkdtemp(copy)) {
		snprintf(err, errlen, "%s: cannot make a private copy to recover the ledger's committed state "
			 "in: %s", tmp, strerror(errno));
		free(copy);
		return NULL;
	}
	DIR *d = opendir(dir);
	int ret = d ? 0 : errno;
	const char *name = "";
	struct dirent *de;
	while (d && ret == 0 && (de = readdir(d)) != NULL) {
		name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, UNCLEAN_MARK) == 0 ||
		    strcmp(name, UNSYNCED_MARK) == 0 ||
		    strcmp(name, "lock") == 0 || strncmp(name, "__db.", 5) == 0)
			continue;
		ret = copy_one(dir, copy, name);
	}
	if (ret != 0) {
		*why = open_failure(ret);
		if (*why == STORE_OPEN_DAMAGED)
			*why = STORE_OPEN_ERROR;
		snprintf(err, errlen, "%s%s%s: copying it to recover the ledger's committed state privately: %s",
			 dir, *name ? "/" : "", name, strerror(ret));
		copy_remove(copy);
		free(copy);
		copy = NULL;
	}
	if (d)
		closedir(d);
	return copy;
}

/* Fail the open of an unclean store whose private copy could not be recovered; frees st. */
static void inconsistent(struct store *st, const char *dir, int ret, char *err, size_t errlen,
			 enum store_open_failure *why)
{
	*why = STORE_OPEN_INCONSISTENT;
	snprintf(err, errlen, "%s: the ledger was not closed cleanly and its committed state cannot "
		 "be recovered: its files come from different moments (a copy taken while a "
		 "process was writing: copy db/ while no process uses the ledger, or use "
		 "chain-export), or its transaction log is damaged (%s%s%s)", dir,
		 db_strerror(ret), st->dbmsg[0] ? ": " : "", st->dbmsg);
	close_all(st, 0);
	store_free(st);
}

struct store *store_open(const char *dir, enum store_mode mode, bool create, char *err, size_t errlen,
			 enum store_open_failure *why)
{
	struct store *st = xcalloc(1, sizeof *st);
	int ret;
	bool unclean = false;
	*why = STORE_OPEN_ERROR;
	st->mode = mode;
	st->dir = xstrdup(dir);
	st->mark = path_join(dir, UNCLEAN_MARK);
	const char *reason = NULL;
	char *file = NULL;   /* the database file that failed to open, when one did */

	st->unsynced_mark = path_join(dir, UNSYNCED_MARK);
	st->created = create;
	const char *home = dir;
	if (mode != STORE_NORMAL) {
		if (store_needs_recovery(dir)) {
			/*
			 * Unclean, or tables not synced before the machine restarted (or
			 * a copy from another machine or file system): read the committed
			 * state from a recovered private copy.
			 */
			if (!(st->copy = copy_make(dir, err, errlen, why))) {
				store_free(st);
				return NULL;
			}
			home = st->copy;
		}
	} else {
		/*
		 * Mark "in use" until the close.  From db/unsynced, by a rename: a
		 * power cut leaves one of the two names, and either makes the next
		 * open after the restart recover.  Otherwise a new mark, synced into
		 * the directory: a commit must never be on disk while its mark is not.
		 */
		bool in_use = access(st->mark, F_OK) == 0;
		bool was_unsynced = !in_use && access(st->unsynced_mark, F_OK) == 0;
		unclean = in_use || (was_unsynced && !unsynced_current(store_stamp(st), st->unsynced_mark));
		/* After a kill, earlier closes may have left pages unsynced too. */
		st->unsynced = in_use || was_unsynced;
		bool marked;
		if (was_unsynced) {
			marked = rename(st->unsynced_mark, st->mark) == 0;
		} else if (in_use) {
			marked = true;
		} else {
			/* Readable by all: a reader who may read the tables checks db/unsynced's boot. */
			int fd = open(st->mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			marked = fd >= 0 && close(fd) == 0 && fsync_path(dir, O_DIRECTORY);
		}
		const char *failed = st->mark;
		/* Pages left in the page cache go to disk before recovery's checkpoint says they are. */
		if (marked && unclean && !sync_tables(dir)) {
			marked = false;
			failed = dir;
		}
		if (!marked) {
			ret = errno;
			*why = open_failure(ret);
			if (*why == STORE_OPEN_DAMAGED)
				*why = STORE_OPEN_ERROR;   /* a file not written says nothing of the others */
			file = xstrdup(failed);
			reason = strerror(ret);
			goto fail_free;
		}
	}

	if ((ret = db_env_set_func_fsync(bdb_fsync)) != 0 || (ret = db_env_create(&st->env, 0)) != 0) {
		reason = db_strerror(ret);
		goto fail_free;
	}
	st->env->app_private = st;
	st->env->set_errcall(st->env, errcall);
	u_int32_t flags = DB_CREATE | DB_PRIVATE | DB_INIT_MPOOL;
	if (mode == STORE_NORMAL) {
		flags |= DB_INIT_TXN | DB_INIT_LOG;
		/*
		 * Recovery reads and rewrites the last log file, so it runs only when
		 * the last process did not close cleanly; small log files keep both
		 * that and every open cheap (an open reads and checksums the whole
		 * last log file to find its end).
		 */
		if (unclean) {
			flags |= DB_RECOVER;
			st->wrote = true;
			st->recovered = true;
		}
		u_int32_t cache = cache_bytes();
		if ((ret = st->env->set_cachesize(st->env, 0, cache, 1)) != 0 ||
		    (ret = st->env->set_lg_bsize(st->env, log_file_bytes() / 4)) != 0 ||
		    (ret = st->env->set_lg_max(st->env, log_file_bytes())) != 0 ||
		    (ret = st->env->log_set_config(st->env, DB_LOG_AUTO_REMOVE, 1)) != 0 ||
		    (ret = st->env->log_set_config(st->env, DB_LOG_ZERO, small_job())) != 0 ||
		    (!small_job() && (ret = st->env->set_mp_tablesize(st->env, cache / CACHE_BYTES_PER_BUCKET)) != 0))
			goto fail_env;
	} else if (st->copy) {
		flags |= DB_INIT_TXN | DB_INIT_LOG | DB_RECOVER;
		if ((ret = st->env->set_cachesize(st->env, 0, cache_bytes(), 1)) != 0)
			goto fail_env;
	} else if ((ret = st->env->set_cachesize(st->env, 0, 8u << 20, 1)) != 0) {
		goto fail_env;
	}
	if ((ret = st->env->open(st->env, home, flags, 0600)) != 0) {
		enum store_open_failure f = open_failure(ret);
		if (f == STORE_OPEN_MISSING || f == STORE_OPEN_DENIED)
			*why = f;
		if (st->copy && ret != ENOMEM) {
			/*
			 * Recovery failed: the log does not reach the pages of the files
			 * beside it (they were copied after it), or it is damaged.
			 */
			inconsistent(st, dir, ret, err, errlen, why);
			return NULL;
		}
		goto fail_env;
	}

	/*
	 * logs.db marks a ledger and is opened now.  The other tables are opened
	 * when first used, except by an audit (which reads them all and must
	 * find a copy incomplete at once) and when the store is made (every
	 * table file exists from the start): a command that reads one record
	 * opens three files, not ten.
	 */
	for (int t = 0; t < T_COUNT; t++) {
		if (t != T_LOGS && mode != STORE_AUDIT && !create)
			continue;
		if ((ret = open_table(st, t, create)) != 0) {
			/* A recovered private copy whose file has pages newer than its log (BDB2509). */
			if (st->copy && ret == EINVAL && strstr(st->dbmsg, "BDB2509")) {
				inconsistent(st, dir, ret, err, errlen, why);
				return NULL;
			}
			*why = open_failure(ret);
			if (*why == STORE_OPEN_MISSING && t == T_LOGS) {
				reason = "no ledger database here";
				goto fail_close;
			}
			file = path_join(dir, table_file[t]);
			/*
			 * An audited copy that lacks one table beside the others is
			 * incomplete (a copy that left files out), not tampered with:
			 * the auditor needs the whole copy before there is anything to judge.
			 */
			if (*why == STORE_OPEN_MISSING) {
				reason = "missing: an incomplete copy of the ledger (every file in db/ is needed)";
				goto fail_close;
			}
			goto fail_env;
		}
	}
	return st;

fail_env:
	reason = NULL;
fail_close:
	if (!reason) {
		snprintf(err, errlen, "%s: %s%s%s", file ? file : dir, db_strerror(ret),
			 st->dbmsg[0] ? ": " : "", st->dbmsg);
	}
	close_all(st, 0);
	/* Ours goes (back to db/unsynced if it was that); a mark left by a killed process stays. */
	if (mode == STORE_NORMAL && !unclean && st->unsynced)
		rename(st->mark, st->unsynced_mark);
	else if (mode == STORE_NORMAL && !unclean)
		unlink(st->mark);
fail_free:
	if (reason)
		snprintf(err, errlen, "%s: %s", file ? file : dir, reason);
	free(file);
	store_free(st);
	return NULL;
}

/*
 * Whether this close checkpoints (syncing every table file) rather than
 * leaving the tables unsynced: see the top of this file.
 */
static bool checkpoint_due(struct store *st)
{
	bool large_log;
	/* Without a boot id and a unique mount id to write into db/unsynced, the tables must be synced. */
	return st->created || st->recovered || !small_job() ||
	       log_files(st->dir, &large_log) >= CHECKPOINT_LOG_FILES || large_log ||
	       !store_stamp(st);
}

/*
 * Before a checkpoint: when the current log file may be a large one (a
 * batch's, an import's, or one a recovery went on writing), fill it with
 * debug records (which recovery skips) until the log goes on into a new
 * file, made small and zeroed as a short job's, so that the checkpoint is
 * the first record there.  Every later open reads and checksums the whole
 * last log file to find its end: without this, each of the few hundred
 * short appends after a batch read up to 2 MiB.  Costs the batch up to
 * 2 MiB of log written once.  False when the log could not be written.
 */
static bool start_small_log_file(struct store *st)
{
	DB_LOG_STAT *ls = NULL;
	if (st->env->log_stat(st->env, &ls, 0) != 0)
		return false;
	u_int32_t file = ls->st_cur_file, offset = ls->st_cur_offset;
	free(ls);
	if (small_job() && offset <= SMALL_LOG_FILE_BYTES) {
		bool large;
		(void)log_files(st->dir, &large);
		if (!large)
			return true;   /* a short job's file: small already */
	}
	/* The next file's size and zeroing; unchanged (and no harm done) if refused. */
	if (st->env->set_lg_max(st->env, SMALL_LOG_FILE_BYTES) != 0 ||
	    st->env->log_set_config(st->env, DB_LOG_ZERO, 1) != 0)
		return true;
	/*
	 * log_printf formats into a 2,048-byte buffer: stay below it.  A file
	 * is at most 2 MiB (log_file_bytes); past twice that many records the
	 * log is left as it is.
	 */
	static const char pad[1900] = {[0 ... 1898] = '.'};
	for (unsigned i = 0; i < 2 * (2u << 20) / (sizeof pad - 1); i++) {
		if (st->env->log_printf(st->env, NULL, "%s", pad) != 0 ||
		    st->env->log_stat(st->env, &ls, 0) != 0)
			return false;
		bool switched = ls->st_cur_file != file;
		free(ls);
		if (switched)
			break;
	}
	return true;
}

/* Write every page left in the cache into its file, without syncing; true when none is left. */
static bool write_pages(struct store *st)
{
	int written;
	DB_MPOOL_STAT *ms = NULL;
	if (st->env->memp_trickle(st->env, 100, &written) != 0 ||
	    st->env->memp_stat(st->env, &ms, NULL, 0) != 0)
		return false;
	bool clean = ms->st_page_dirty == 0;
	free(ms);
	return clean;
}

/* Leave db/unsynced in place of db/open, stamped with this boot and mount: 0 or errno. */
static int mark_unsynced(struct store *st)
{
	const char *stamp = store_stamp(st);
	if (!stamp)
		return ENOENT;   /* the boot is unknown: cannot leave the tables unsynced */
	/*
	 * Overwritten in place, not truncated first: db/open usually holds the
	 * same stamp (renamed from db/unsynced at open), and ext4 flushes a
	 * file truncated to 0 and written again at its close (0.2-0.3 ms).
	 */
	int fd = open(st->mark, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	size_t len = strlen(stamp);
	bool ok = write_all(fd, stamp, len) && ftruncate(fd, (off_t)len) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (!ok)
		return e ? e : EIO;
	return rename(st->mark, st->unsynced_mark) == 0 ? 0 : errno;
}

bool store_close(struct store *st)
{
	bool ok = true;
	if (!st)
		return true;
	if (st->txn)
		store_abort(st);
	bool normal = st->mode == STORE_NORMAL;
	/*
	 * After a write, the committed pages go into the database files (which
	 * readers read directly).  The tables are closed first, without a sync
	 * of their own: Berkeley DB syncs at close every file a still-open handle
	 * wrote, even just after a checkpoint.  Then either a checkpoint (every
	 * table file synced; log removal; the mark removed) or the pages written
	 * unsynced and db/unsynced left (most short jobs: the log that the
	 * commit synced is what survives a power cut).
	 */
	/*
	 * An aborted transaction counts as a write: its log (a refused
	 * import's, some 700 bytes an entry, hundreds of MiB for a cut first
	 * sync) is removed only by a checkpoint, and would otherwise stay in
	 * db/ and grow with each failed run until the next write.
	 */
	bool pages = normal && (st->wrote || st->unsynced || st->aborts > 0);
	bool synced = !pages;
	/*
	 * The pages are written while the syncs that the log's write-ahead
	 * rule needs still happen; only then are the syncs of the close
	 * skipped: the tables' (nothing is left to write) and the log's
	 * records of the tables' closing (no commit depends on them).
	 */
	bool leave_unsynced = pages && !checkpoint_due(st) && write_pages(st);
	skip_syncs = leave_unsynced;
	/* An audit only read: a handle that saw damaged pages may fail to close, harmlessly. */
	if (!close_tables(st, pages ? DB_NOSYNC : 0) && normal)
		ok = false;
	if (ok && pages && !leave_unsynced) {
		/* The checkpoint syncs only what this process wrote; earlier closes may have left more. */
		if ((st->unsynced && !sync_tables(st->dir)) || !start_small_log_file(st) ||
		    st->env->txn_checkpoint(st->env, 0, 0, 0) != 0)
			ok = false;
		else
			synced = true;
	}
	/* Nor does an audit's environment that panicked on a bad page close cleanly; nothing was written. */
	if (!close_env(st) && (normal || !st->damaged))
		ok = false;
	skip_syncs = false;
	if (ok && normal) {
		if (synced) {
			if (unlink(st->mark) != 0)
				ok = false;
		} else if (mark_unsynced(st) != 0) {
			ok = false;   /* db/open stays: the next open recovers */
		}
	}
	store_free(st);
	return ok;
}

static int begin(struct store *st, u_int32_t flags)
{
	int ret = st->env->txn_begin(st->env, NULL, &st->txn, flags);
	if (ret != 0) {
		st->txn = NULL;
		return fail(st, ret, "begin transaction");
	}
	return STORE_OK;
}

int store_begin(struct store *st)
{
	return begin(st, 0);
}

int store_begin_bulk(struct store *st)
{
	/*
	 * DB_TXN_BULK: records put on pages the transaction allocates are not
	 * logged; the commit writes and syncs those pages before it syncs the
	 * commit record, so the transaction is as durable as any other, and an
	 * abort or a recovery frees the pages (their allocation is logged).
	 * Nothing here reads the log back but recovery (no hot backups, no
	 * replication), which is what the flag gives up.
	 */
	return begin(st, DB_TXN_BULK);
}

static int bulk_flush(struct store *st, int t)
{
	struct bulk *b = &st->bulk[t];
	if (b->count == 0)
		return STORE_OK;
	DBT none;
	memset(&none, 0, sizeof none);
	int ret = st->db[t]->put(st->db[t], st->txn, &b->dbt, &none, DB_MULTIPLE_KEY);
	b->count = 0;
	DB_MULTIPLE_WRITE_INIT(b->ptr, &b->dbt);
	return ret == 0 ? STORE_OK : fail(st, ret, table_file[t]);
}

static int bulk_flush_all(struct store *st)
{
	int rc = STORE_OK;
	for (int t = 0; t < T_COUNT && rc == STORE_OK; t++)
		rc = bulk_flush(st, t);
	return rc;
}

/* Queue a record for a bulk put; the whole transaction fails at the flush if it cannot be stored. */
static int bulk_put(struct store *st, int t, const void *k, size_t klen, const void *v, size_t vlen)
{
	struct bulk *b = &st->bulk[t];
	if (!b->dbt.data) {
		b->dbt.data = xmalloc(BULK_PUT_FIRST);
		b->dbt.ulen = BULK_PUT_FIRST;
		b->dbt.size = BULK_PUT_FIRST;
		b->dbt.flags = DB_DBT_USERMEM;
		DB_MULTIPLE_WRITE_INIT(b->ptr, &b->dbt);
	}
	for (;;) {
		DB_MULTIPLE_KEY_WRITE_NEXT(b->ptr, &b->dbt, k, klen, v, vlen);
		if (b->ptr) {
			b->count++;
			return STORE_OK;
		}
		bool largest = b->dbt.ulen >= BULK_PUT_BUFFER;
		if (largest && b->count == 0) {
			DB_MULTIPLE_WRITE_INIT(b->ptr, &b->dbt);
			snprintf(st->err, sizeof st->err, "%s: record too large", table_file[t]);
			return STORE_ERROR;
		}
		/* Full: store what is queued (this resets the buffer), grow it, and try again. */
		int rc = bulk_flush(st, t);
		if (rc != STORE_OK)
			return rc;
		if (!largest) {
			free(b->dbt.data);
			b->dbt.ulen *= 2;
			b->dbt.size = b->dbt.ulen;
			b->dbt.data = xmalloc(b->dbt.ulen);
			DB_MULTIPLE_WRITE_INIT(b->ptr, &b->dbt);
		}
	}
}

int store_commit(struct store *st)
{
	int rc = bulk_flush_all(st);
	DB_TXN *txn = st->txn;
	st->txn = NULL;
	if (rc != STORE_OK) {
		txn->abort(txn);
		st->aborts++;
		return rc;
	}
	int ret = txn->commit(txn, 0);
	st->wrote = true;
	if (ret != 0)
		st->aborts++;
	return ret == 0 ? STORE_OK : fail(st, ret, "commit");
}

uint64_t store_aborts(const struct store *st)
{
	return st->aborts;
}

void store_abort(struct store *st)
{
	for (int t = 0; t < T_COUNT; t++)
		if (st->bulk[t].dbt.data) {
			st->bulk[t].count = 0;
			DB_MULTIPLE_WRITE_INIT(st->bulk[t].ptr, &st->bulk[t].dbt);
		}
	if (st->txn) {
		st->txn->abort(st->txn);
		st->aborts++;
	}
	st->txn = NULL;
}

static int put(struct store *st, int t, const void *k, size_t klen, const void *v, size_t vlen,
	       u_int32_t flags)
{
	DB *db = table_db(st, t);
	if (!db)
		return STORE_ERROR;
	/* Appends write many small records: queue them and put them in bulk. */
	if (st->txn && (t == T_ENTRIES || t == T_HASHES || t == T_LEAVES || t == T_TYPES || t == T_KEYS))
		return bulk_put(st, t, k, klen, v, vlen);
	DBT key, data;
	dbt_in(&key, k, klen);
	dbt_in(&data, v, vlen);
	int ret = db->put(db, st->txn, &key, &data, flags);
	if (ret == DB_KEYEXIST) {
		snprintf(st->err, sizeof st->err, "%s: record already exists", table_file[t]);
		return STORE_ERROR;
	}
	return ret == 0 ? STORE_OK : fail(st, ret, table_file[t]);
}

static int get(struct store *st, int t, const void *k, size_t klen, const void **v, size_t *vlen)
{
	DBT key, data;
	int rc = bulk_flush_all(st);
	if (rc != STORE_OK)
		return rc;
	DB *db = table_db(st, t);
	if (!db)
		return STORE_ERROR;
	dbt_in(&key, k, klen);
	dbt_out(st, &data);
	int ret = db->get(db, st->txn, &key, &data, 0);
	dbt_keep(st, &data);
	if (ret != 0)
		return fail(st, ret, table_file[t]);
	*v = data.data;
	*vlen = data.size;
	return STORE_OK;
}

int store_log_each(struct store *st, int (*fn)(void *ctx, uint32_t id, const char *origin,
					       uint64_t size), void *ctx)
{
	DBC *dbc;
	DBT key, data;
	if (bulk_flush_all(st) != STORE_OK)
		return STORE_ERROR;
	DB *cdb = table_db(st, T_LOGS);
	if (!cdb)
		return STORE_ERROR;
	int ret = cdb->cursor(cdb, st->txn, &dbc, 0);
	if (ret != 0)
		return fail(st, ret, "logs.db");
	memset(&key, 0, sizeof key);
	memset(&data, 0, sizeof data);
	int rc = STORE_OK;
	while ((ret = dbc->get(dbc, &key, &data, DB_NEXT)) == 0) {
		char origin[300];
		if (key.size != 4 || data.size < 9 || data.size - 8 >= sizeof origin) {
			snprintf(st->err, sizeof st->err, "logs.db: malformed record");
			st->damaged = true;
			rc = STORE_ERROR;
			break;
		}
		memcpy(origin, (char *)data.data + 8, data.size - 8);
		origin[data.size - 8] = '\0';
		if ((rc = fn(ctx, get_be32(key.data), origin, get_be64(data.data))) != 0)
			break;
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		rc = fail(st, ret, "logs.db");
	dbc->close(dbc);
	return rc;
}

struct log_find {
	const char *origin;
	uint32_t id, max_id;
	uint64_t size;
	bool found;
};

static int log_find_fn(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct log_find *f = ctx;
	if (id > f->max_id)
		f->max_id = id;
	if (strcmp(origin, f->origin) == 0) {
		f->id = id;
		f->size = size;
		f->found = true;
	}
	return 0;
}

int store_log_find(struct store *st, const char *origin, uint32_t *id, uint64_t *size)
{
	struct log_find f = {.origin = origin};
	int rc = store_log_each(st, log_find_fn, &f);
	if (rc != STORE_OK)
		return rc;
	if (!f.found)
		return STORE_NOTFOUND;
	*id = f.id;
	*size = f.size;
	return STORE_OK;
}

static int log_write(struct store *st, uint32_t id, const char *origin, uint64_t size)
{
	uint8_t k[4];
	size_t olen = strlen(origin);
	uint8_t *v = xmalloc(8 + olen);
	put_be32(k, id);
	put_be64(v, size);
	memcpy(v + 8, origin, olen);
	int rc = put(st, T_LOGS, k, 4, v, 8 + olen, 0);
	free(v);
	return rc;
}

int store_log_create(struct store *st, const char *origin, uint32_t *id)
{
	struct log_find f = {.origin = origin};
	int rc = store_log_each(st, log_find_fn, &f);
	if (rc != STORE_OK)
		return rc;
	if (f.found) {
		snprintf(st->err, sizeof st->err, "log %s already exists", origin);
		return STORE_ERROR;
	}
	*id = f.max_id + 1;
	return log_write(st, *id, origin, 0);
}

int store_log_set_size(struct store *st, uint32_t id, uint64_t size)
{
	uint8_t k[4];
	const void *v;
	size_t vlen;
	put_be32(k, id);
	int rc = get(st, T_LOGS, k, 4, &v, &vlen);
	if (rc != STORE_OK)
		return rc;
	char origin[300];
	if (vlen < 9 || vlen - 8 >= sizeof origin) {
		snprintf(st->err, sizeof st->err, "logs.db: malformed record");
		st->damaged = true;
		return STORE_ERROR;
	}
	memcpy(origin, (const char *)v + 8, vlen - 8);
	origin[vlen - 8] = '\0';
	return log_write(st, id, origin, size);
}

int store_entry_put(struct store *st, uint32_t log, uint64_t index, const void *data, size_t len)
{
	uint8_t k[12];
	key12(k, log, index);
	return put(st, T_ENTRIES, k, 12, data, len, DB_NOOVERWRITE);
}

int store_entry_get(struct store *st, uint32_t log, uint64_t index, const void **data, size_t *len)
{
	uint8_t k[12];
	key12(k, log, index);
	return get(st, T_ENTRIES, k, 12, data, len);
}

int store_hashes_put(struct store *st, uint32_t log, uint64_t leaf, const uint8_t *hashes, size_t n)
{
	uint8_t k[12];
	key12(k, log, leaf);
	return put(st, T_HASHES, k, 12, hashes, n * 32, DB_NOOVERWRITE);
}

int store_hashes_get(struct store *st, uint32_t log, uint64_t leaf, unsigned level, uint8_t out[32])
{
	uint8_t k[12];
	const void *v;
	size_t vlen;
	key12(k, log, leaf);
	int rc = get(st, T_HASHES, k, 12, &v, &vlen);
	if (rc != STORE_OK)
		return rc;
	if (level == 0 || vlen % 32 != 0 || vlen / 32 < level) {
		snprintf(st->err, sizeof st->err, "hashes.db: no level %u hash at leaf %llu",
			 level, (unsigned long long)leaf);
		return STORE_ERROR;
	}
	memcpy(out, (const uint8_t *)v + (level - 1) * 32, 32);
	return STORE_OK;
}

/*
 * A log's tip is kept in hashes.db under log 0, which no log has (ids start
 * at 1), keyed by the log's id: a program that predates it reads hashes by
 * (log, leaf) and walks one log's at a time, so it never meets the record.
 * hashes.db rather than a table of its own, which every append would open
 * and close beside the others.
 */
static void tip_key(uint8_t k[12], uint32_t log)
{
	key12(k, 0, log);
}

int store_tip_put(struct store *st, uint32_t log, const void *data, size_t len)
{
	uint8_t k[12];
	tip_key(k, log);
	return put(st, T_HASHES, k, 12, data, len, 0);
}

int store_tip_get(struct store *st, uint32_t log, const void **data, size_t *len)
{
	uint8_t k[12];
	tip_key(k, log);
	return get(st, T_HASHES, k, 12, data, len);
}

int store_leaf_put(struct store *st, const uint8_t hash[32], uint32_t log, uint64_t index)
{
	uint8_t v[12];
	key12(v, log, index);
	int rc = put(st, T_LEAVES, hash, 32, v, 12, DB_NOOVERWRITE);
	return rc;
}

static bool prefix_match(const uint8_t *key, const uint8_t *prefix, size_t bits)
{
	size_t bytes = bits / 8;
	if (memcmp(key, prefix, bytes) != 0)
		return false;
	if (bits % 8 == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
	return (key[bytes] & mask) == (prefix[bytes] & mask);
}

int store_leaf_find(struct store *st, const uint8_t *prefix, size_t prefix_bits,
		    uint8_t hash[32], uint32_t *log, uint64_t *index, bool *ambiguous)
{
	DBC *dbc;
	DBT key, data;
	uint8_t start[32] = {0};
	size_t plen = (prefix_bits + 7) / 8;
	*ambiguous = false;
	memcpy(start, prefix, plen);
	if (prefix_bits % 8)
		start[plen - 1] &= (uint8_t)(0xff << (8 - prefix_bits % 8));
	if (bulk_flush_all(st) != STORE_OK)
		return STORE_ERROR;
	DB *cdb = table_db(st, T_LEAVES);
	if (!cdb)
		return STORE_ERROR;
	int ret = cdb->cursor(cdb, st->txn, &dbc, 0);
	if (ret != 0)
		return fail(st, ret, "leaves.db");
	memset(&key, 0, sizeof key);
	memset(&data, 0, sizeof data);
	uint8_t kbuf[32];
	key.data = kbuf;
	key.ulen = sizeof kbuf;
	key.size = 32;
	key.flags = DB_DBT_USERMEM;
	memcpy(kbuf, start, 32);
	int rc = STORE_NOTFOUND;
	ret = dbc->get(dbc, &key, &data, DB_SET_RANGE);
	if (ret == 0 && key.size == 32 && data.size == 12 && prefix_match(kbuf, prefix, prefix_bits)) {
		memcpy(hash, kbuf, 32);
		*log = get_be32(data.data);
		*index = get_be64((uint8_t *)data.data + 4);
		rc = STORE_OK;
		ret = dbc->get(dbc, &key, &data, DB_NEXT);
		if (ret == 0 && prefix_match(kbuf, prefix, prefix_bits))
			*ambiguous = true;
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		rc = fail(st, ret, "leaves.db");
	dbc->close(dbc);
	return rc;
}

int store_leaf_count(struct store *st, uint64_t *count)
{
	struct store_cursor c = {.st = st};
	int ret;
	*count = 0;
	if (bulk_flush_all(st) != STORE_OK)
		return STORE_ERROR;
	DB *cdb = table_db(st, T_LEAVES);
	if (!cdb)
		return STORE_ERROR;
	if ((ret = cdb->cursor(cdb, st->txn, &c.dbc, 0)) != 0)
		return fail(st, ret, "leaves.db");
	c.data.data = xmalloc(BULK_BUFFER);
	c.data.ulen = BULK_BUFFER;
	c.data.flags = DB_DBT_USERMEM;
	memset(&c.key, 0, sizeof c.key);
	/* Bulk reads: count the records in each buffer. */
	while ((ret = c.dbc->get(c.dbc, &c.key, &c.data, DB_NEXT | DB_MULTIPLE_KEY)) == 0) {
		void *p, *k, *v;
		u_int32_t klen, vlen;
		DB_MULTIPLE_INIT(p, &c.data);
		for (;;) {
			DB_MULTIPLE_KEY_NEXT(p, &c.data, k, klen, v, vlen);
			if (!p)
				break;
			(void)k, (void)klen, (void)v, (void)vlen;
			(*count)++;
		}
	}
	c.dbc->close(c.dbc);
	free(c.data.data);
	return ret == DB_NOTFOUND ? STORE_OK : fail(st, ret, "leaves.db");
}

int store_checkpoint_put(struct store *st, uint32_t log, uint64_t size, const char *note, size_t len)
{
	uint8_t k[12];
	key12(k, log, size);
	return put(st, T_CHECKPOINTS, k, 12, note, len, DB_NOOVERWRITE);
}

int store_checkpoint_replace(struct store *st, uint32_t log, uint64_t size, const char *note, size_t len)
{
	uint8_t k[12];
	key12(k, log, size);
	return put(st, T_CHECKPOINTS, k, 12, note, len, 0);
}

int store_checkpoint_get(struct store *st, uint32_t log, uint64_t size, const char **note, size_t *len)
{
	uint8_t k[12];
	const void *v;
	key12(k, log, size);
	int rc = get(st, T_CHECKPOINTS, k, 12, &v, len);
	*note = v;
	return rc;
}

int store_checkpoint_latest(struct store *st, uint32_t log, uint64_t *size, const char **note,
			    size_t *len)
{
	return store_checkpoint_floor(st, log, UINT64_MAX, size, note, len);
}

int store_checkpoint_floor(struct store *st, uint32_t log, uint64_t max, uint64_t *size,
			   const char **note, size_t *len)
{
	DBC *dbc;
	DBT key, data;
	uint8_t k[12];
	if (bulk_flush_all(st) != STORE_OK)
		return STORE_ERROR;
	DB *cdb = table_db(st, T_CHECKPOINTS);
	if (!cdb)
		return STORE_ERROR;
	int ret = cdb->cursor(cdb, st->txn, &dbc, 0);
	if (ret != 0)
		return fail(st, ret, "checkpoints.db");
	/* Position just past the wanted keys, then step back. */
	if (max == UINT64_MAX)
		key12(k, log + 1, 0);
	else
		key12(k, log, max + 1);
	dbt_in(&key, k, 12);
	key.ulen = 12;
	key.flags = DB_DBT_USERMEM;
	dbt_out(st, &data);
	ret = dbc->get(dbc, &key, &data, DB_SET_RANGE);
	if (ret == 0)
		ret = dbc->get(dbc, &key, &data, DB_PREV);
	else if (ret == DB_NOTFOUND)
		ret = dbc->get(dbc, &key, &data, DB_LAST);
	dbt_keep(st, &data);
	int rc = STORE_OK;
	if (ret != 0)
		rc = fail(st, ret, "checkpoints.db");
	else if (key.size != 12 || get_be32(k) != log)
		rc = STORE_NOTFOUND;
	else {
		*size = get_be64(k + 4);
		*note = data.data;
		*len = data.size;
	}
	dbc->close(dbc);
	return rc;
}


/* ------------------------------------------------------------ keyed tables */

int store_kv_put(struct store *st, enum store_table_kv table, const void *key, size_t klen,
		 const void *value, size_t vlen)
{
	return put(st, kv_table[table], key, klen, value, vlen, 0);
}

int store_kv_get(struct store *st, enum store_table_kv table, const void *key, size_t klen,
		 const void **value, size_t *vlen)
{
	return get(st, kv_table[table], key, klen, value, vlen);
}

int store_kv_delete(struct store *st, enum store_table_kv table, const void *key, size_t klen)
{
	int t = kv_table[table];
	DBT k;
	int rc = bulk_flush_all(st);
	if (rc != STORE_OK)
		return rc;
	dbt_in(&k, key, klen);
	DB *db = table_db(st, t);
	if (!db)
		return STORE_ERROR;
	int ret = db->del(db, st->txn, &k, 0);
	if (ret == DB_NOTFOUND)
		return STORE_OK;
	return ret == 0 ? STORE_OK : fail(st, ret, table_file[t]);
}

/*
 * Walk the records of table t whose key starts with prefix, from the first
 * key >= from: call fn on each (non-zero stops, and is passed back), or with
 * fn NULL delete each.
 */
static int walk_prefix(struct store *st, int t, const void *prefix, size_t plen, const void *from,
		       size_t flen, int (*fn)(void *ctx, const void *key, size_t klen, const void *value,
					      size_t vlen), void *ctx)
{
	DBC *dbc;
	DBT key, data;
	if (flen < plen || memcmp(from, prefix, plen) != 0) {
		snprintf(st->err, sizeof st->err, "%s: a walk must start inside its prefix", table_file[t]);
		return STORE_ERROR;
	}
	if (bulk_flush_all(st) != STORE_OK)
		return STORE_ERROR;
	DB *cdb = table_db(st, t);
	if (!cdb)
		return STORE_ERROR;
	int ret = cdb->cursor(cdb, st->txn, &dbc, 0);
	if (ret != 0)
		return fail(st, ret, table_file[t]);
	memset(&key, 0, sizeof key);
	memset(&data, 0, sizeof data);
	key.flags = DB_DBT_REALLOC;
	key.data = xmalloc(flen ? flen : 1);
	memcpy(key.data, from, flen);
	key.size = (u_int32_t)flen;
	data.flags = DB_DBT_REALLOC;
	int rc = STORE_OK;
	ret = dbc->get(dbc, &key, &data, DB_SET_RANGE);
	while (ret == 0 && key.size >= plen && memcmp(key.data, prefix, plen) == 0) {
		if (fn && (rc = fn(ctx, key.data, key.size, data.data, data.size)) != 0)
			break;
		if (!fn && (ret = dbc->del(dbc, 0)) != 0)
			break;
		ret = dbc->get(dbc, &key, &data, DB_NEXT);
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		rc = fail(st, ret, table_file[t]);
	dbc->close(dbc);
	free(key.data);
	free(data.data);
	return rc;
}

int store_kv_each(struct store *st, enum store_table_kv table, const void *prefix, size_t plen,
		  const void *from, size_t flen,
		  int (*fn)(void *ctx, const void *key, size_t klen, const void *value, size_t vlen),
		  void *ctx)
{
	return walk_prefix(st, kv_table[table], prefix, plen, from, flen, fn, ctx);
}

int store_kv_clear(struct store *st, enum store_table_kv table, const void *prefix, size_t plen)
{
	return walk_prefix(st, kv_table[table], prefix, plen, prefix, plen, NULL, NULL);
}

struct store_cursor *store_cursor_open(struct store *st, enum store_table table, uint32_t log)
{
	static const int map[] = {[STORE_ENTRIES] = T_ENTRIES, [STORE_HASHES] = T_HASHES,
				  [STORE_CHECKPOINTS] = T_CHECKPOINTS};
	struct store_cursor *c = xcalloc(1, sizeof *c);
	int t = map[table];
	if (bulk_flush_all(st) != STORE_OK) {
		free(c);
		return NULL;
	}
	DB *cdb = table_db(st, t);
	if (!cdb) {
		free(c);
		return NULL;
	}
	int ret = cdb->cursor(cdb, st->txn, &c->dbc, 0);
	if (ret != 0) {
		fail(st, ret, table_file[t]);
		free(c);
		return NULL;
	}
	c->st = st;
	c->log = log;
	c->data.data = xmalloc(BULK_BUFFER);
	c->data.ulen = BULK_BUFFER;
	c->data.flags = DB_DBT_USERMEM;
	c->key.data = c->start;
	c->key.size = 12;
	c->key.ulen = 12;
	c->key.flags = DB_DBT_USERMEM;
	key12(c->start, log, 0);
	return c;
}

int store_cursor_seek(struct store_cursor *c, uint64_t from)
{
	key12(c->start, c->log, from);
	c->started = false;
	c->done = false;
	c->iter = NULL;
	return STORE_OK;
}

int store_cursor_next(struct store_cursor *c, uint64_t *key, const void **data, size_t *len)
{
	for (;;) {
		if (c->done)
			return STORE_NOTFOUND;
		if (c->iter) {
			void *k, *v;
			u_int32_t klen, vlen;
			DB_MULTIPLE_KEY_NEXT(c->iter, &c->data, k, klen, v, vlen);
			if (k) {
				if (klen != 12 || get_be32(k) != c->log) {
					c->done = true;
					if (klen != 12) {
						snprintf(c->st->err, sizeof c->st->err, "malformed key");
						c->st->damaged = true;
						return STORE_ERROR;
					}
					return STORE_NOTFOUND;
				}
				*key = get_be64((uint8_t *)k + 4);
				*data = v;
				*len = vlen;
				return STORE_OK;
			}
			c->iter = NULL;
		}
		c->key.size = 12;
		int ret = c->dbc->get(c->dbc, &c->key, &c->data,
				      (c->started ? DB_NEXT : DB_SET_RANGE) | DB_MULTIPLE_KEY);
		c->started = true;
		if (ret == DB_NOTFOUND) {
			c->done = true;
			return STORE_NOTFOUND;
		}
		if (ret != 0)
			return fail(c->st, ret, "cursor");
		DB_MULTIPLE_INIT(c->iter, &c->data);
	}
}

void store_cursor_close(struct store_cursor *c)
{
	if (!c)
		return;
	c->dbc->close(c->dbc);
	free(c->data.data);
	free(c);
}

int store_fork_put(struct store *st, uint32_t log, const char *ours, size_t olen,
		   const char *theirs, size_t tlen, const char *proof, size_t plen)
{
	DBC *dbc;
	DBT key, data;
	uint8_t k[12];
	uint64_t seq = 0;
	DB *cdb = table_db(st, T_FORKS);
	if (!cdb)
		return STORE_ERROR;
	int ret = cdb->cursor(cdb, st->txn, &dbc, 0);
	if (ret != 0)
		return fail(st, ret, "forks.db");
	key12(k, log + 1, 0);
	dbt_in(&key, k, 12);
	key.ulen = 12;
	key.flags = DB_DBT_USERMEM;
	memset(&data, 0, sizeof data);
	ret = dbc->get(dbc, &key, &data, DB_SET_RANGE);
	ret = ret == 0 ? dbc->get(dbc, &key, &data, DB_PREV) : dbc->get(dbc, &key, &data, DB_LAST);
	if (ret == 0 && key.size == 12 && get_be32(k) == log)
		seq = get_be64(k + 4) + 1;
	size_t vlen = 4 + olen + tlen + (proof ? 1 + plen : 0);
	uint8_t *v = xmalloc(vlen);
	put_be32(v, (uint32_t)olen);
	memcpy(v + 4, ours, olen);
	memcpy(v + 4 + olen, theirs, tlen);
	if (proof) {
		v[4 + olen + tlen] = 0;
		memcpy(v + 5 + olen + tlen, proof, plen);
	}
	/* The same pair seen again (a peer keeps offering its fork) is kept once. */
	key12(k, log, 0);
	dbt_in(&key, k, 12);
	key.ulen = 12;
	key.flags = DB_DBT_USERMEM;
	memset(&data, 0, sizeof data);
	bool held = false;
	for (ret = dbc->get(dbc, &key, &data, DB_SET_RANGE); ret == 0 && get_be32(k) == log;
	     ret = dbc->get(dbc, &key, &data, DB_NEXT))
		if (data.size >= 4 + olen + tlen && memcmp(data.data, v, 4 + olen + tlen) == 0 &&
		    (data.size == 4 + olen + tlen || ((const uint8_t *)data.data)[4 + olen + tlen] == 0))
			held = true;
	dbc->close(dbc);
	if (ret != 0 && ret != DB_NOTFOUND) {
		free(v);
		return fail(st, ret, "forks.db");
	}
	if (held) {
		free(v);
		return STORE_OK;
	}
	key12(k, log, seq);
	int rc = put(st, T_FORKS, k, 12, v, vlen, DB_NOOVERWRITE);
	free(v);
	return rc;
}

int store_fork_each(struct store *st, int (*fn)(void *ctx, uint32_t log, const char *ours, size_t olen,
					       const char *theirs, size_t tlen, const char *proof,
					       size_t plen), void *ctx)
{
	DBC *dbc;
	DBT key, data;
	if (bulk_flush_all(st) != STORE_OK)
		return STORE_ERROR;
	DB *cdb = table_db(st, T_FORKS);
	if (!cdb)
		return STORE_ERROR;
	int ret = cdb->cursor(cdb, st->txn, &dbc, 0);
	if (ret != 0)
		return fail(st, ret, "forks.db");
	memset(&key, 0, sizeof key);
	memset(&data, 0, sizeof data);
	int rc = STORE_OK;
	while ((ret = dbc->get(dbc, &key, &data, DB_NEXT)) == 0) {
		const uint8_t *v = data.data;
		uint32_t olen = data.size >= 4 ? get_be32(v) : 0;
		if (key.size != 12 || data.size < 4 || olen > data.size - 4) {
			snprintf(st->err, sizeof st->err, "forks.db: malformed record");
			st->damaged = true;
			rc = STORE_ERROR;
			break;
		}
		const char *theirs = (const char *)v + 4 + olen;
		size_t rest = data.size - 4 - olen;
		const char *nul = memchr(theirs, 0, rest);
		size_t tlen = nul ? (size_t)(nul - theirs) : rest;
		if ((rc = fn(ctx, get_be32(key.data), (const char *)v + 4, olen, theirs, tlen,
			     nul ? nul + 1 : NULL, nul ? rest - tlen - 1 : 0)) != 0)
			break;
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		rc = fail(st, ret, "forks.db");
	dbc->close(dbc);
	return rc;
}

/* ------------------------------------------------------------- key-value files
 *
 * A kvfile is a Berkeley DB btree opened without an environment: BDB then
 * keeps a private cache in this process and writes no transaction log, no
 * region files, nothing but the one file.  Without a log a change in place
 * would not survive a crash, which the copy-and-rename of kvfile_commit makes
 * unnecessary.  BDB writes the unused bytes of a page as it finds them in
 * memory, so record buffers are fixed (DB_DBT_USERMEM) and zeroed rather than
 * reallocated, and leave no copy on the heap for a later page to pick up.
 */
#include <sodium.h>

struct kvfile {
	DB *db;
	char *path;      /* the file */
	char *newpath;   /* the new version being built; NULL when reading */
	char dbmsg[256]; /* Berkeley DB's own explanation of the last failure */
};

static void kv_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
	(void)prefix;
	struct kvfile *f = env->app_private;
	if (f)
		snprintf(f->dbmsg, sizeof f->dbmsg, "%s", msg);
}

static int kv_fail(struct kvfile *f, struct chobo_error *err, int code, int ret, const char *path)
{
	int rc = chobo_fail(err, code, "%s: %s%s%s", path, db_strerror(ret), f->dbmsg[0] ? ": " : "",
			    f->dbmsg);
	f->dbmsg[0] = '\0';
	return rc;
}

static void kv_free(struct kvfile *f)
{
	free(f->path);
	free(f->newpath);
	free(f);
}

/* A handle on path: a new file (create) or an existing one read-only. */
static int kv_open(struct kvfile *f, const char *path, bool create, struct chobo_error *err)
{
	int ret = db_create(&f->db, NULL, 0);
	if (ret != 0) {
		f->db = NULL;
		return kv_fail(f, err, EX_OSERR, ret, path);
	}
	f->db->dbenv->app_private = f;
	f->db->set_errcall(f->db, kv_errcall);
	if ((ret = f->db->set_flags(f->db, DB_CHKSUM)) == 0 &&
	    (ret = set_key_order(f->db)) == 0)
		ret = f->db->open(f->db, NULL, path, NULL, DB_BTREE,
				  create ? DB_CREATE | DB_EXCL : DB_RDONLY, 0600);
	if (ret != 0) {
		int code = ret == ENOENT ? EX_NOINPUT : ret == EACCES ? EX_NOPERM
			 : create ? EX_CANTCREAT : EX_DATAERR;
		int rc = kv_fail(f, err, code, ret, path);
		f->db->close(f->db, 0);
		f->db = NULL;
		return rc;
	}
	return 0;
}

int kvfile_open(const char *path, struct kvfile **out, struct chobo_error *err)
{
	struct kvfile *f = xcalloc(1, sizeof *f);
	*out = NULL;
	f->path = xstrdup(path);
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		kv_free(f);
		return 0;
	}
	int rc = kv_open(f, path, false, err);
	if (rc != 0) {
		kv_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int kvfile_begin(const char *path, struct kvfile **out, struct chobo_error *err)
{
	struct kvfile *f = xcalloc(1, sizeof *f);
	size_t n = strlen(path) + 5;
	*out = NULL;
	f->path = xstrdup(path);
	f->newpath = xmalloc(n);
	snprintf(f->newpath, n, "%s.new", path);
	if (unlink(f->newpath) != 0 && errno != ENOENT) {
		int rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", f->newpath);
		kv_free(f);
		return rc;
	}
	int rc = kv_open(f, f->newpath, true, err);
	if (rc != 0) {
		kv_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

static void kv_dbt(DBT *d, void *buf, size_t len, size_t cap)
{
	memset(d, 0, sizeof *d);
	d->data = buf;
	d->size = (u_int32_t)len;
	d->ulen = (u_int32_t)cap;
	d->flags = DB_DBT_USERMEM;
}

int kvfile_get(struct kvfile *f, const void *key, size_t klen, uint8_t *val, size_t *vlen,
	       bool *found, struct chobo_error *err)
{
	DBT k, v;
	*found = false;
	*vlen = 0;
	if (klen > KVFILE_MAX_KEY)
		return chobo_fail(err, EX_SOFTWARE, "%s: key too long", f->path);
	kv_dbt(&k, (void *)key, klen, klen);
	kv_dbt(&v, val, 0, KVFILE_MAX_VALUE);
	int ret = f->db->get(f->db, NULL, &k, &v, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret == DB_BUFFER_SMALL)
		return chobo_fail(err, EX_DATAERR, "%s: a record larger than %d bytes", f->path,
				  KVFILE_MAX_VALUE);
	if (ret != 0)
		return kv_fail(f, err, EX_DATAERR, ret, f->path);
	*found = true;
	*vlen = v.size;
	return 0;
}

int kvfile_put(struct kvfile *f, const void *key, size_t klen, const void *val, size_t vlen,
	       struct chobo_error *err)
{
	DBT k, v;
	if (!f->newpath)
		return chobo_fail(err, EX_SOFTWARE, "%s: not open for writing", f->path);
	if (klen > KVFILE_MAX_KEY || vlen > KVFILE_MAX_VALUE)
		return chobo_fail(err, EX_SOFTWARE, "%s: record too large", f->path);
	kv_dbt(&k, (void *)key, klen, klen);
	kv_dbt(&v, (void *)val, vlen, vlen);
	int ret = f->db->put(f->db, NULL, &k, &v, 0);
	return ret == 0 ? 0 : kv_fail(f, err, EX_IOERR, ret, f->newpath);
}

int kvfile_each(struct kvfile *f, int (*fn)(void *ctx, const uint8_t *key, size_t klen,
					    const uint8_t *val, size_t vlen),
		void *ctx, struct chobo_error *err)
{
	DBC *dbc;
	DBT k, v;
	const char *path = f->newpath ? f->newpath : f->path;
	int ret = f->db->cursor(f->db, NULL, &dbc, 0);
	if (ret != 0)
		return kv_fail(f, err, EX_IOERR, ret, path);
	uint8_t *kbuf = xmalloc(KVFILE_MAX_KEY), *vbuf = xmalloc(KVFILE_MAX_VALUE);
	int rc = 0;
	for (;;) {
		kv_dbt(&k, kbuf, 0, KVFILE_MAX_KEY);
		kv_dbt(&v, vbuf, 0, KVFILE_MAX_VALUE);
		ret = dbc->get(dbc, &k, &v, DB_NEXT);
		if (ret == DB_NOTFOUND)
			break;
		if (ret == DB_BUFFER_SMALL) {
			rc = chobo_fail(err, EX_DATAERR, "%s: a record larger than %d bytes", path,
					KVFILE_MAX_VALUE);
			break;
		}
		if (ret != 0) {
			rc = kv_fail(f, err, EX_DATAERR, ret, path);
			break;
		}
		if ((rc = fn(ctx, kbuf, k.size, vbuf, v.size)) != 0)
			break;
	}
	dbc->close(dbc);
	sodium_memzero(kbuf, KVFILE_MAX_KEY);
	sodium_memzero(vbuf, KVFILE_MAX_VALUE);
	free(kbuf);
	free(vbuf);
	return rc;
}

int kvfile_commit(struct kvfile *f, struct chobo_error *err)
{
	int rc = 0;
	if (!f->newpath) {
		kvfile_close(f);
		return chobo_fail(err, EX_SOFTWARE, "kvfile_commit on a file open for reading");
	}
	/* Closing flushes the cache and syncs; the file is synced again in case it did not. */
	int ret = f->db->close(f->db, 0);
	f->db = NULL;
	char *dir = xstrdup(f->path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		strcpy(dir, ".");
	if (ret != 0)
		rc = chobo_fail(err, EX_IOERR, "%s: %s", f->newpath, db_strerror(ret));
	else if (!fsync_path(f->newpath, 0))
		rc = chobo_fail_errno(err, EX_IOERR, "%s", f->newpath);
	else if (rename(f->newpath, f->path) != 0)
		rc = chobo_fail_errno(err, EX_IOERR, "%s", f->path);
	else if (!fsync_path(dir, O_DIRECTORY))
		/* The new file is in place; only its durability across a power cut is in doubt. */
		rc = chobo_fail_errno(err, EX_IOERR, "%s: the change is made, but the directory could not be "
				      "synced", dir);
	if (rc != 0)
		unlink(f->newpath);   /* after a failed rename; harmless after a good one */
	free(dir);
	kv_free(f);
	return rc;
}

void kvfile_close(struct kvfile *f)
{
	if (!f)
		return;
	if (f->db)
		f->db->close(f->db, f->newpath ? DB_NOSYNC : 0);
	if (f->newpath)
		unlink(f->newpath);
	kv_free(f);
}
