/*
 * Storage of logs: entries, stored interior hashes, checkpoints and the
 * leaf-hash index.  Every Berkeley DB call in chobo lives behind this
 * interface, so that another engine can replace it.
 *
 * A store is used by one process at a time; the caller serialises processes
 * (see ledger.c).  Writes happen between store_begin() and store_commit(),
 * which is durable and all-or-nothing.
 */
#ifndef CHOBO_STORE_H
#define CHOBO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,
	STORE_ERROR = -1,   /* message in store_error() */
};

enum store_mode {
	STORE_NORMAL,   /* recover if needed, then read and write */
	STORE_AUDIT,    /* read the committed files; never write anything */
	STORE_READ,     /* as STORE_AUDIT, with tables opened when first used (a reader of a clean ledger) */
};

/*
 * True when the last process that used the store in dir was killed, or left
 * its tables unsynced before the machine restarted or the file system was
 * mounted again (a copy from elsewhere, too): the next normal open recovers it.
 */
bool store_needs_recovery(const char *dir);

/* Expect about bytes of new data in the next store_open's transaction (sizes its cache). */
void store_expect_bytes(uint64_t bytes);
/*
 * Keep the next store_open's cache within bytes, for a job with a memory
 * budget (0: the store's own bound).  Berkeley DB adds about a quarter for
 * its bookkeeping.
 */
void store_cache_limit(uint64_t bytes);

/* Why store_open failed. */
enum store_open_failure {
	STORE_OPEN_MISSING,   /* no store in that directory, or (audit mode) one of its files is missing */
	STORE_OPEN_INCONSISTENT, /* audit mode, unclean: recovery failed (files from different moments) */
	STORE_OPEN_DAMAGED,   /* a database file's content is bad: not a database, a bad page */
	STORE_OPEN_DENIED,    /* a file or the directory may not be read (or written) by this user */
	STORE_OPEN_ERROR,     /* anything else the system refused (I/O error, memory, ...) */
};

/*
 * Open (creating with create) the store in directory dir; NULL with the
 * reason in err, naming the directory or the file it concerns, and *why set.
 */
struct store *store_open(const char *dir, enum store_mode mode, bool create, char *err, size_t errlen,
			 enum store_open_failure *why);
/*
 * Audit mode on a store left unclean (a killed process, a copy taken
 * mid-write): true when it is read as last committed, from a private copy
 * recovered under $TMPDIR (the store's own files are never changed).
 */
bool store_recovered_copy(const struct store *st);
/*
 * Close: a checkpoint when one is due, else the pages written unsynced and
 * db/unsynced left (see store_bdb.c); false if anything failed to close
 * cleanly (what was committed stays committed).
 */
bool store_close(struct store *st);
/* The last error message. */
const char *store_error(const struct store *st);
/*
 * True once a read of st found a table's content bad (a page whose checksum
 * fails, a malformed record): damage, not a system error.
 */
bool store_damaged(const struct store *st);

/* Begin, commit or abort the one write transaction. */
int store_begin(struct store *st);
/*
 * Begin the write transaction of a job that adds many records (an import,
 * a large append): the new pages it fills are written at commit instead of
 * into the log, which halves what a large import writes; as durable as
 * store_begin.
 */
int store_begin_bulk(struct store *st);
int store_commit(struct store *st);
void store_abort(struct store *st);
/* How many transactions of st were aborted (or failed to commit) since it was opened. */
uint64_t store_aborts(const struct store *st);

/* Logs: a small integer id per origin, and the log's committed size. */
int store_log_find(struct store *st, const char *origin, uint32_t *id, uint64_t *size);
int store_log_create(struct store *st, const char *origin, uint32_t *id);
int store_log_set_size(struct store *st, uint32_t id, uint64_t size);
/* Call fn for every log in id order; fn returns non-zero to stop (passed back). */
int store_log_each(struct store *st, int (*fn)(void *ctx, uint32_t id, const char *origin,
					       uint64_t size), void *ctx);

/* Entry bytes; get returns a buffer owned by the store, valid until the next call. */
int store_entry_put(struct store *st, uint32_t log, uint64_t index, const void *data, size_t len);
int store_entry_get(struct store *st, uint32_t log, uint64_t index, const void **data, size_t *len);

/* Interior hashes completed by leaf index (levels 1..n, n*32 bytes); only odd leaves have them. */
int store_hashes_put(struct store *st, uint32_t log, uint64_t leaf, const uint8_t *hashes, size_t n);
int store_hashes_get(struct store *st, uint32_t log, uint64_t leaf, unsigned level, uint8_t out[32]);

/*
 * The tip record of a log (log_tip.h): bytes its user defines, one record
 * per log, kept beside the interior hashes; get's buffer is the store's,
 * valid until the next call; STORE_NOTFOUND when the log has none.
 */
int store_tip_put(struct store *st, uint32_t log, const void *data, size_t len);
int store_tip_get(struct store *st, uint32_t log, const void **data, size_t *len);

/* Leaf-hash index: the (log, index) of an entry by its leaf hash or a unique hex prefix of it. */
int store_leaf_put(struct store *st, const uint8_t hash[32], uint32_t log, uint64_t index);
/* STORE_NOTFOUND when no leaf matches; *ambiguous set when more than one does. */
int store_leaf_find(struct store *st, const uint8_t *prefix, size_t prefix_bits,
		    uint8_t hash[32], uint32_t *log, uint64_t *index, bool *ambiguous);

/* How many records the leaf-hash index holds. */
int store_leaf_count(struct store *st, uint64_t *count);

/* Signed checkpoints by tree size; get returns a store-owned buffer. */
int store_checkpoint_put(struct store *st, uint32_t log, uint64_t size, const char *note, size_t len);
/* Replace a held checkpoint's note (the same checkpoint with more cosignatures). */
int store_checkpoint_replace(struct store *st, uint32_t log, uint64_t size, const char *note, size_t len);
int store_checkpoint_get(struct store *st, uint32_t log, uint64_t size, const char **note, size_t *len);
/* The checkpoint of the largest size held for log. */
int store_checkpoint_latest(struct store *st, uint32_t log, uint64_t *size, const char **note,
			    size_t *len);
/* The checkpoint of the largest size <= max held for log. */
int store_checkpoint_floor(struct store *st, uint32_t log, uint64_t max, uint64_t *size,
			   const char **note, size_t *len);

/*
 * Fork evidence: two signed checkpoints of one log that no consistency
 * proof can join, and (if not NULL) the proof that shows it when their sizes
 * differ (fork_evidence.h); the same pair is kept once.
 */
int store_fork_put(struct store *st, uint32_t log, const char *ours, size_t olen,
		   const char *theirs, size_t tlen, const char *proof, size_t plen);
/* Call fn for every piece of fork evidence held (proof NULL when none); fn returns non-zero to stop (passed back). */
int store_fork_each(struct store *st, int (*fn)(void *ctx, uint32_t log, const char *ours, size_t olen,
					       const char *theirs, size_t tlen, const char *proof,
					       size_t plen), void *ctx);

/*
 * Keyed tables whose keys and values their users define: the entry indexes
 * (entry_index.c) and the views' materialised maps and watermarks (view.c).
 * Keys sort bytewise.  All of them can be rebuilt from the logs.
 */
enum store_table_kv { STORE_TYPE_INDEX, STORE_KEY_INDEX, STORE_VIEW_RECORDS, STORE_VIEW_MARKS };
/* Put (replacing) a record. */
int store_kv_put(struct store *st, enum store_table_kv table, const void *key, size_t klen,
		 const void *value, size_t vlen);
/* A record's value (store-owned, valid until the next call); STORE_NOTFOUND when absent. */
int store_kv_get(struct store *st, enum store_table_kv table, const void *key, size_t klen,
		 const void **value, size_t *vlen);
/* Delete a record; absent is not an error. */
int store_kv_delete(struct store *st, enum store_table_kv table, const void *key, size_t klen);
/*
 * Call fn on every record whose key starts with prefix, in key order, from
 * the first key >= from (from starts with prefix); fn returns non-zero to
 * stop, and that is passed back.
 */
int store_kv_each(struct store *st, enum store_table_kv table, const void *prefix, size_t plen,
		  const void *from, size_t flen,
		  int (*fn)(void *ctx, const void *key, size_t klen, const void *value, size_t vlen),
		  void *ctx);
/* Delete every record whose key starts with prefix. */
int store_kv_clear(struct store *st, enum store_table_kv table, const void *prefix, size_t plen);

/*
 * A cursor that walks one log's entries, interior hashes or checkpoints in key
 * order, reading in bulk; an audit steps through the three side by side.
 */
struct store_cursor;
enum store_table { STORE_ENTRIES, STORE_HASHES, STORE_CHECKPOINTS };
/* A cursor at the start of log's records in table; NULL on error (see store_error). */
struct store_cursor *store_cursor_open(struct store *st, enum store_table table, uint32_t log);
/* Move to the first record whose key is >= from. */
int store_cursor_seek(struct store_cursor *c, uint64_t from);
/* Next record: key (index, leaf or tree size) and value, valid until the next call;
 * STORE_NOTFOUND past the log's last record. */
int store_cursor_next(struct store_cursor *c, uint64_t *key, const void **data, size_t *len);
void store_cursor_close(struct store_cursor *c);


/* ------------------------------------------------------------- key-value files
 *
 * A key-value file: byte-string keys and values in key order, in one file of
 * its own, outside the store's transactional environment (unlike the keyed
 * tables above), for data that must be erasable (the private store, see
 * private_store.h).  A transaction log
 * would keep every byte ever written until it is removed, and a btree's
 * delete leaves the old bytes in the page's free space; so a kvfile is never
 * changed in place.  A writer builds a whole new version beside it
 * (kvfile_begin, kvfile_put) and kvfile_commit puts that in the old file's
 * place: fsync, rename, fsync of the directory.  A reader sees the old
 * version or the new one, a crash leaves the old one, and whatever the
 * writer left out is in no file any more.  One process at a time: the
 * caller serialises them (the ledger lock).
 */
struct chobo_error;
struct kvfile;

/* Values and keys longer than these are refused (put) or reported as damage (get, each). */
#define KVFILE_MAX_KEY 64
#define KVFILE_MAX_VALUE 4096

/* Open path to read; 0 with *out NULL when there is no such file, else 0 or an exit code. */
int kvfile_open(const char *path, struct kvfile **out, struct chobo_error *err);
/* Start a new, empty version of path (path.new, mode 0600, replacing one left by a crash). */
int kvfile_begin(const char *path, struct kvfile **out, struct chobo_error *err);
/* The value of key copied into val (KVFILE_MAX_VALUE bytes), *vlen its length; *found false when absent. */
int kvfile_get(struct kvfile *f, const void *key, size_t klen, uint8_t *val, size_t *vlen,
	       bool *found, struct chobo_error *err);
/* Store key -> val in a new version (from kvfile_begin), replacing any value of key. */
int kvfile_put(struct kvfile *f, const void *key, size_t klen, const void *val, size_t vlen,
	       struct chobo_error *err);
/*
 * Call fn for every record in key order; fn returns non-zero to stop (passed back).
 * key and val are valid during the call only; they are zeroed afterwards.
 */
int kvfile_each(struct kvfile *f, int (*fn)(void *ctx, const uint8_t *key, size_t klen,
					    const uint8_t *val, size_t vlen),
		void *ctx, struct chobo_error *err);
/* Make a new version the file (flush, fsync, rename over path, fsync the directory); frees f. */
int kvfile_commit(struct kvfile *f, struct chobo_error *err);
/* Close f; a new version that was not committed is removed. */
void kvfile_close(struct kvfile *f);

#ifdef CHOBO_WRAP_HAM_FUNC4
/*
 * Berkeley DB's checksum of a page or log record (__ham_func4: h = h * 33 +
 * byte from 0), computed 16 bytes a step; libdb, linked statically with
 * ld --wrap=__ham_func4, calls this instead.  The same value for every input.
 */
unsigned int __wrap___ham_func4(void *dbp, const void *key, unsigned int len);
#endif

#endif
