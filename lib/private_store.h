/*
 * The private store: what staff need to reach a person or a site (a name, a
 * contact role, a mail address and the municipality's own identifier, such
 * as a resident number or a site code), kept in the ledger's private/
 * directory and never on the ledger.  Ledger entries name a person only by a
 * pseudonymous ID, which this store links to the record; erasing the record
 * leaves the ID pointing to no one.
 *
 *   private/node.secret  32 random bytes (64 hex digits), mode 0600
 *   private/people.db    a kvfile (store.h), rewritten whole on every change
 *
 * Keys are derived with crypto_kdf (BLAKE2b) under a context per secret:
 *
 *   node secret N, context "chbnode1":   1 lookup key, 2 wrap key
 *   person secret S (random, per person), context "chbprsn1":  1 ID key, 2 record key
 *
 *   ID      = BLAKE2b-128(key = ID key, identifier), printed "p-" + 32 hex digits
 *   lookup  = BLAKE2b-256(key = lookup key, identifier)
 *
 * and people.db holds
 *
 *   'L' || lookup (32)  ->  ID (16)
 *   'P' || ID (16)      ->  1 || nonce (24) || XChaCha20-Poly1305(wrap key, S)
 *                            || nonce (24) || XChaCha20-Poly1305(record key, record JSON)
 *
 * with "chobo-private/1 secret" || ID and "chobo-private/1 record" || ID as
 * the associated data.  The identifier appears in no key in the clear; the
 * same identifier finds the same record (and ID) until it is erased, and a
 * new S, so a new ID, after.
 *
 * Every function here must be called with the ledger open (ledger_open), so
 * that its lock serialises the processes using the store.
 */
#ifndef CHOBO_PRIVATE_STORE_H
#define CHOBO_PRIVATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_scan.h"
#include "ledger.h"
#include "util.h"

#define PERSON_ID_BYTES 16
#define PERSON_ID_TEXT (2 + 2 * PERSON_ID_BYTES)   /* "p-" and hex digits, without the NUL */
#define PERSON_SECRET_BYTES 32

/* Bounds of the fields, in bytes of UTF-8 (documented in chain-private(1)). */
#define PERSON_MAX_IDENTIFIER 64
#define PERSON_MAX_NAME 200
#define PERSON_MAX_ROLE 100
#define PERSON_MAX_MAIL 254

/* What is kept about one person or site; role and mail are "" when not given. */
struct person {
	char identifier[PERSON_MAX_IDENTIFIER + 1];
	char name[PERSON_MAX_NAME + 1];
	char role[PERSON_MAX_ROLE + 1];
	char mail[PERSON_MAX_MAIL + 1];
	char registered[21];   /* RFC 3339 UTC, set when first stored */
};

/* A stored person with their ID and secret. */
struct person_record {
	uint8_t id[PERSON_ID_BYTES];
	uint8_t secret[PERSON_SECRET_BYTES];
	struct person p;
};

/*
 * Parse a person from one JSON object: identifier, name, role, mail (role
 * and mail optional), and with stored also registered, the form kept in a
 * record.  doc is scratch space.  false with a reason in err.
 */
bool person_parse_json(const char *text, size_t len, struct json_doc *doc, bool stored,
		       struct person *out, char *err, size_t errlen);
/* The JSON of a person's stored form: every field escaped at most twice over, and the member names. */
#define PERSON_JSON_MAX (2 * (PERSON_MAX_IDENTIFIER + PERSON_MAX_NAME + PERSON_MAX_ROLE + \
			      PERSON_MAX_MAIL) + 128)
/* Write p (checked) in its stored form into out[PERSON_JSON_MAX], without a NUL; its length. */
size_t person_format_json(const struct person *p, char *out);
/* Check the fields of a person given as options (the rules person_parse_json applies). */
bool person_check(const struct person *p, char *err, size_t errlen);
/* True when s is a plausible mail address (addr-spec, one line, bounded). */
bool mail_address_valid(const char *s);

/* Write "p-" and 32 hex digits into out[PERSON_ID_TEXT + 1]. */
void person_id_format(char *out, const uint8_t id[PERSON_ID_BYTES]);
/* Parse the printed form of an ID; false on anything else. */
bool person_id_parse(const char *s, uint8_t id[PERSON_ID_BYTES]);
/* True when s is the printed form of an ID. */
bool person_id_valid(const char *s);
/* Zero a record (or a person inside one) once it is no longer needed. */
void person_record_clear(struct person_record *r);

struct private_store;

/*
 * Open the private store of the open ledger l.  With create, node.secret is
 * made when missing (and no records exist yet).  0 or an exit code.
 */
int private_open(const struct ledger *l, bool create, struct private_store **out,
		 struct chobo_error *err);
/*
 * A keyed hash of an outside identifier that must not be on the ledger (an
 * equipment's serial number): BLAKE2b-256 under the node's lookup key of
 * label, a NUL and value, so that the same value gives the same hash on
 * this node and no one without the node secret can test a guess.  0, or
 * EX_CONFIG when the store has no node secret (open it with create).
 */
int private_keyed_hash(struct private_store *ps, const char *label, const char *value, uint8_t out[32],
		       struct chobo_error *err);
/*
 * As private_keyed_hash, under a secret shared by the nodes of one
 * programme (the file at path: 64 hex digits and a newline, mode 600, the
 * same file on each), so that the same value gives the same hash on every
 * one of them.  0, EX_CONFIG when path holds no such secret, or EX_NOPERM.
 */
int private_shared_keyed_hash(const char *path, const char *label, const char *value, uint8_t out[32],
			      struct chobo_error *err);
/* A new random shared secret at path (mode 600), never replacing a file there: 0, or EX_CANTCREAT or EX_IOERR. */
int private_shared_secret_make(const char *path, struct chobo_error *err);
/* Zero the keys and close. */
void private_close(struct private_store *ps);

/* What private_add did for one person. */
struct private_added {
	uint8_t id[PERSON_ID_BYTES];
	bool created;   /* a new record; else one was found by the identifier */
	bool updated;   /* it was found and its fields changed */
};

/*
 * Register people[0..n) in one change, all or nothing: a new record for an
 * identifier not held, the held record's ID for one that is (its name, role
 * and mail replaced by the ones given).  An identifier twice in people is
 * EX_DATAERR.  registered is set from now.  out (n long) says what happened.
 * people[] is zeroed before the store is written.  0 or an exit code.
 */
int private_add(struct private_store *ps, struct person *people, size_t n, int64_t now,
		struct private_added *out, struct chobo_error *err);
/* The record of id: 0 with *found set, or an exit code (EX_DATAERR: damaged). */
int private_get(struct private_store *ps, const uint8_t id[PERSON_ID_BYTES],
		struct person_record *out, bool *found, struct chobo_error *err);
/* Whether the store holds a record of id (without opening it): 0 with *found set, or an exit code. */
int private_holds(struct private_store *ps, const uint8_t id[PERSON_ID_BYTES], bool *found,
		  struct chobo_error *err);
/*
 * A person an entry names (what: "member", "volunteer") must be one this
 * store holds, so that an ID made up, mistyped, erased or given by another
 * node's store is refused: 0 when it is held, or when id_text is not an ID
 * at all (left to the entry's own check, which names the field);
 * EX_DATAERR saying how to register the person; or another exit code.
 */
int private_require(struct private_store *ps, const char *what, const char *id_text, struct chobo_error *err);
/* Call fn for every record in ID order (the record is zeroed after); non-zero from fn stops (passed back). */
int private_each(struct private_store *ps, int (*fn)(void *ctx, const struct person_record *r),
		 void *ctx, struct chobo_error *err);
/*
 * Erase the record of id: its data and secret and its lookup leave every
 * file, the store being rewritten without them.  *out receives what was
 * erased.  EX_NOINPUT when there is no such record.  0 or an exit code.
 */
int private_erase(struct private_store *ps, const uint8_t id[PERSON_ID_BYTES],
		  struct person_record *out, struct chobo_error *err);

#endif
