/*
 * A ledger directory: configuration, keys, trust, and the store, opened by
 * one process at a time under an exclusive lock.
 *
 *   chobo.conf   origin and witness name
 *   keys/        node.key, node.pub, witness.key, witness.pub
 *   trust/       verifier keys of the consortium's nodes
 *   db/          the store (and its lock file)
 *   private/     off-ledger data; never synced or exported
 */
#ifndef CHOBO_LEDGER_H
#define CHOBO_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "keys.h"
#include "merkle.h"
#include "note.h"
#include "store.h"

/* A peer node: a name and an ssh destination (chobo.conf: "peer = NAME DESTINATION"). */
struct peer {
	char *name;
	char *destination;
};

struct ledger {
	char *dir;
	struct peer *peers;
	size_t npeers;
	char *origin;        /* this node's log */
	char *witness;       /* this node's cosigner name */
	struct store *store;
	int lockfd;
	uint32_t log_id;     /* this node's log in the store */
};

/* $CHOBO_LEDGER if set, else "ledger". */
const char *ledger_default_dir(void);

/*
 * Create a new ledger in dir (which must not hold one): layout, log and
 * witness keys, trust/self, and the signed checkpoint of the empty tree.
 * With encrypt, the secret keys are written encrypted (see key_save_encrypted).
 * Fills the two public keys.  Returns 0 or an exit code after printing why.
 */
int ledger_create(const char *dir, const char *origin, const char *witness, bool encrypt,
		  struct note_verifier *log_pub, struct note_verifier *witness_pub);

/* Why the last ledger_open() could not open the store. */
extern char ledger_open_error[600];

/*
 * Open a ledger (waiting for the lock; see chobo(7)); 0 or an exit code after
 * printing why.  EX_DATAERR: a database file is damaged (ledger_open_error
 * says how); EX_TEMPFAIL: busy, or an audited ledger that needs recovery.
 */
int ledger_open(struct ledger *l, const char *dir, enum store_mode mode);
/* Close the store and release the lock; 0 or an exit code after printing why. */
int ledger_close(struct ledger *l);

/*
 * Load this node's witness key (keys/witness.key) or log key (keys/node.key)
 * from the ledger in dir, without locking it (an encrypted key takes a while
 * to open); 0 or an exit code.  The log key's name must be checked against
 * the origin once the ledger is open.
 */
int ledger_witness_key(const char *dir, struct note_signer *out);
int ledger_log_key(const char *dir, struct note_signer *out);
/* Load the trusted keys: from file if not NULL, else every file in trust/; 0 or an exit code. */
int ledger_trust(const char *dir, const char *file, struct trust *out);

/* A hash reader over log's stored hashes; the ledger must stay open while it is used. */
struct ledger_reader {
	struct merkle_reader r;
	struct ledger *l;
	uint32_t log;
};
void ledger_reader_init(struct ledger_reader *lr, struct ledger *l, uint32_t log);

/* Entries validated and waiting to be appended in one transaction. */
struct batch {
	struct batch_item {
		const struct entry_type *type;
		size_t off, len;   /* the canonical body in buf */
	} *items;
	size_t n, cap;
	char *buf;
	size_t used, size;
	uint64_t max_entries, max_bytes;   /* the bounds, read on the first add */
};

/* Add a validated body to a batch; false when the batch bounds would be exceeded. */
bool batch_add(struct batch *b, const struct entry_input *in);
void batch_free(struct batch *b);

/* What chain-append reports for each appended entry. */
struct receipt {
	uint64_t index;
	uint8_t leaf_hash[32];
};

/*
 * Append a batch to this node's log in one transaction with one new signed
 * checkpoint.  receipts (b->n long) are filled once the commit is durable;
 * *tree_size and time (21 bytes) describe the batch.  0 or an exit code.
 */
int ledger_append(struct ledger *l, const struct batch *b, const struct note_signer *key,
		  struct receipt *receipts, uint64_t *tree_size, char time[21]);

#endif
