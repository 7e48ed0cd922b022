/*
 * A ledger directory: its configuration, keys and trust, and the store,
 * opened by one process at a time under an exclusive lock.
 *
 *   chobo.conf   origin, witness name, peers, service settings (chobo_conf.h)
 *   keys/        node.key, node.pub, witness.key, witness.pub
 *   trust/       verifier keys of the consortium's nodes
 *   db/          the store (and its lock file)
 *   private/     off-ledger data; never synced or exported
 *   restoring    while this node's own log is being restored (restore.h)
 *
 * Appending is append.h's; reading a log's hashes, hash_reader.h's.
 */
#ifndef CHOBO_LEDGER_H
#define CHOBO_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chobo_conf.h"
#include "keys.h"
#include "note.h"
#include "store.h"
#include "util.h"

struct view_memo;

struct ledger {
	char *dir;
	struct ledger_config conf;   /* chobo.conf: conf.origin is this node's log */
	struct store *store;
	int lockfd;
	uint32_t log_id;             /* this node's log in the store */
	struct view_memo *memos;     /* the views' reducers' parsed records (view.h view_memo) */
};

/* $CHOBO_LEDGER if set, else "ledger". */
const char *ledger_default_dir(void);

/*
 * The ledger directory that path (which need not exist) would lie in, newly
 * allocated, or NULL when it lies in none: a file written there could be
 * taken for part of the ledger, or destroy it.
 */
char *ledger_enclosing(const char *path);

/*
 * Create a new ledger in dir (which must not hold one): layout, log and
 * witness keys, trust/self, and the signed checkpoint of the empty tree.
 * With encrypt, the secret keys are written encrypted (see key_save_encrypted).
 * With testing, a ledger for tests: CHOBO_NOW may set its clock (ledger_now).
 * Fills the two public keys.  0 or an exit code with err.
 */
int ledger_create(const char *dir, const char *origin, const char *witness, bool encrypt, bool testing,
		  struct note_verifier *log_pub, struct note_verifier *witness_pub,
		  struct chobo_error *err);

/*
 * Create a ledger in dir (which must not hold one) around the secret keys
 * of a node that lost its ledger: keys is a directory holding node.key and
 * witness.key (a backup of keys/; encrypted files stay encrypted, and the
 * passphrase comes as for key_load).  The origin and witness name are the
 * keys' names.  The new ledger is restoring (restore.h): it appends nothing
 * until its log is back.  Fills the two public keys; 0 or an exit code with err.
 */
int ledger_recreate(const char *dir, const char *keys, struct note_verifier *log_pub,
		    struct note_verifier *witness_pub, struct chobo_error *err);

/*
 * Open a ledger (waiting for the lock; see chobo(7)); 0 or an exit code with
 * err, which names the file concerned.  EX_DATAERR: a database file's content
 * is damaged (the only code that says anything about the ledger's data);
 * EX_NOINPUT: a file is missing (with STORE_AUDIT, any table: an incomplete
 * copy; or an unclean ledger whose files come from different moments);
 * EX_NOPERM: a file may not be read or written; EX_IOERR: the system could
 * not read it; EX_TEMPFAIL: busy.  With STORE_AUDIT an unclean ledger is read
 * as last committed (store_recovered_copy).
 */
int ledger_open(struct ledger *l, const char *dir, enum store_mode mode, struct chobo_error *err);
/*
 * The time now for work on l: the system clock's, or CHOBO_NOW's (RFC 3339)
 * with *test_clock set, which only a ledger created for testing accepts
 * (chain-init --testing; conf.testing).  0, or EX_USAGE with err when
 * CHOBO_NOW is set for a ledger in production or is malformed.
 */
int ledger_now(const struct ledger *l, int64_t *now, bool *test_clock, struct chobo_error *err);
/*
 * Open a ledger to read it only (chain-log, chain-proof, chain-export): as
 * ledger_open(STORE_NORMAL), recovering it and bringing its indexes up to
 * date, where it can be written; where it cannot (read-only media, a user
 * without write permission: EX_NOPERM), its committed files as they are
 * (STORE_AUDIT).  0 or an exit code with err.
 */
int ledger_open_read(struct ledger *l, const char *dir, struct chobo_error *err);
/*
 * After a write to the ledger in dir failed with err: when the file system
 * is (nearly) full or the failure says so, append the free space and what
 * to do (free space, run the command again: nothing committed is lost and
 * the ledger recovers by itself) to err.
 */
void ledger_space_hint(const char *dir, struct chobo_error *err);
/*
 * Close the store and release the lock; 0, or EX_IOERR with err when the
 * store did not close cleanly (what was committed stays committed).
 */
int ledger_close(struct ledger *l, struct chobo_error *err);
/*
 * Close l after work on it that returned rc (0 or an exit code with err):
 * returns rc, or the close's code when rc was 0.  When both failed, err
 * keeps the work's reason with the close's appended.
 */
int ledger_close_after(struct ledger *l, int rc, struct chobo_error *err);

/*
 * Load this node's witness key (keys/witness.key) or log key (keys/node.key)
 * from the ledger in dir, without locking it (an encrypted key takes a while
 * to open); 0 or an exit code with err.  The log key's name must be checked
 * against the origin once the ledger is open.
 */
int ledger_witness_key(const char *dir, struct note_signer *out, struct chobo_error *err);
int ledger_log_key(const char *dir, struct note_signer *out, struct chobo_error *err);
/*
 * The whole leaf hash (64 hex digits into out) of the one entry whose leaf
 * hash starts with the hex digits given (4 to 64, either case): 0, or
 * EX_DATAERR with err when none or more than one entry matches, or another
 * code.  DESIGN §5: references are accepted as unambiguous prefixes.
 */
int ledger_leaf_resolve(struct ledger *l, const char *hex, char out[65], struct chobo_error *err);
/* Load the trusted keys: from file if not NULL, else every file in trust/; 0 or an exit code with err. */
int ledger_trust(const char *dir, const char *file, struct trust *out, struct chobo_error *err);

/*
 * The log and index of the entry whose leaf hash is hash, by the store's
 * leaf index (every log the ledger holds): 0, EX_NOINPUT when no entry has
 * it, or EX_IOERR with err.
 */
int ledger_find_leaf(struct ledger *l, const uint8_t hash[32], uint32_t *log, uint64_t *index,
		     struct chobo_error *err);
/*
 * The stored bytes of entry index of log, valid until the next call on the
 * store: 0, EX_NOINPUT when there is no such entry, or EX_IOERR with err.
 */
int ledger_entry(struct ledger *l, uint32_t log, uint64_t index, const char **bytes, size_t *len,
		 struct chobo_error *err);
/* The leaf hash of entry index of log, as 64 hex digits into out; 0 or ledger_entry's codes. */
int ledger_leaf_hex(struct ledger *l, uint32_t log, uint64_t index, char out[65], struct chobo_error *err);

#endif
