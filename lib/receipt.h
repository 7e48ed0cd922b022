/*
 * Receipts: one entry with the proof that it is in its log, as the one JSON
 * line that `chain-proof receipt` prints, verifiable with keys alone:
 *
 *   {"log":ORIGIN,"leaf_index":N,"tree_size":N,"leaf_hash":HEX,"root_hash":HEX,
 *    "hashes":[HEX,...],"checkpoint":NOTE,"entry":ENTRY}
 *
 * ENTRY is the entry's exact stored bytes and NOTE the signed checkpoint of
 * the log at tree_size with the cosignatures its ledger held, both as JSON
 * strings; hashes is the RFC 9162 inclusion proof, bottom up.  Parsing is
 * strict and bounded (RECEIPT_MAX_BYTES, at most MERKLE_MAX_PROOF hashes,
 * these members and no others, each of its one type); the entry is read
 * with json_scan, so that a receipt needs nothing but the core library.
 */
#ifndef CHOBO_RECEIPT_H
#define CHOBO_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_scan.h"
#include "keys.h"
#include "merkle.h"
#include "note.h"
#include "payload.h"

#define RECEIPT_MAX_BYTES (1u << 20)
/* The longest entry type a receipt's entry may name. */
#define RECEIPT_MAX_TYPE 64

struct receipt {
	char log[NOTE_MAX_NAME + 1];
	uint64_t leaf_index, tree_size;
	uint8_t leaf_hash[32], root_hash[32];
	uint8_t hashes[MERKLE_MAX_PROOF][32];
	size_t nhashes;
	char *checkpoint;            /* the signed note, decoded */
	size_t checkpoint_len;
	char *entry;                 /* the entry's bytes, decoded */
	size_t entry_len;
	/* The entry, read from its bytes: */
	char entry_log[NOTE_MAX_NAME + 1];
	uint64_t entry_index;
	char entry_type[RECEIPT_MAX_TYPE + 1];
	int64_t entry_time;
	struct json_doc doc;         /* the entry's tokens */
	size_t body;                 /* the token of its body object */
};

/* Why a receipt was refused by receipt_verify. */
enum receipt_problem {
	RECEIPT_VALID = 0,
	RECEIPT_UNKNOWN_LOG,      /* no trusted log key named after the receipt's log */
	RECEIPT_BAD,              /* the hashes, the proof or the checkpoint do not verify */
};

/*
 * Parse a receipt line (len bytes; one trailing newline allowed) into out,
 * which receipt_free() releases whatever the result; false with the reason
 * in err when it is not a well-formed receipt or its entry is not a
 * well-formed entry.
 */
bool receipt_parse(const char *text, size_t len, struct receipt *out, char *err, size_t errlen);
/* Free what receipt_parse allocated. */
void receipt_free(struct receipt *r);

/*
 * Verify r with the keys in trust: the leaf hash is SHA-256(0x00 || entry),
 * the entry names the receipt's log and index, the proof leads from it to
 * root_hash at tree_size, and the checkpoint is signed by a trusted log key
 * of that log, for that size and root.  *cosigned (may be NULL) receives
 * how many trusted witness keys (type NOTE_TYPE_COSIGNATURE) cosigned it.
 */
enum receipt_problem receipt_verify(const struct receipt *r, const struct trust *trust,
				    size_t *cosigned, char *why, size_t whylen);

/*
 * The body member name of r's entry as text into out (cap bytes): a string
 * decoded, a number as its JSON text.  false when there is no such member,
 * it is of another kind, holds a NUL or does not fit.
 */
bool receipt_body_field(const struct receipt *r, const char *name, char *out, size_t cap);

/*
 * True when r's entry records what payload p says: its log, index and type
 * are p's issuer, index and kind, and each of p's fields equals the body
 * member of its name (as receipt_body_field reads it); false with the first
 * difference in why.
 */
bool receipt_matches_payload(const struct receipt *r, const struct payload *p, char *why, size_t whylen);

#endif
