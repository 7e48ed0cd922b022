/*
 * Signed QR payloads (DESIGN §7): the one format of every QR code chobo
 * prints, verifiable offline with the issuer's public key alone.
 *
 *   payload = "CHB1:" base45( zlib( key ID (4) || signature (64) || body ) )
 *   body    = kind " " index " " not-before " " not-after "\n"
 *             *( name "=" value "\n" )
 *   text    = "chobo-payload/1 " issuer "\n" body        (what is signed)
 *
 * issuer is the origin of the issuing node's log, named in the signed text
 * but carried only as its log key's ID: a verifier finds the key among the
 * keys it trusts and so learns the issuer.  kind is the type of the entry
 * that records what the payload says, index that entry's leaf index in the
 * issuer's log, not-before and not-after days in Japan (YYYY-MM-DD, JST,
 * UTC+9: the payload is valid from 00:00 JST of the first through 24:00
 * JST of the last, as Japan dates a card) or "-".  The fields are copied
 * from the recording entry's body.
 * The signature is the issuer's log key's Ed25519 signature over text,
 * exactly as in a C2SP signed note: text followed by
 * "\n— issuer base64(key ID || signature)\n" is a note that any signed-note
 * verifier accepts.  No checkpoint's first line contains a space, so a
 * payload's signature never passes for a checkpoint's, nor the other way.
 * chobo-ledger(5) documents the bytes.
 */
#ifndef CHOBO_PAYLOAD_H
#define CHOBO_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "note.h"
#include "util.h"

#define PAYLOAD_PREFIX "CHB1:"
/* The longest payload: what a QR code of version 12 holds at level Q, in alphanumeric mode. */
#define PAYLOAD_MAX_CHARS 296
/* The most bytes a payload's content may inflate to (a zlib bomb stops here). */
#define PAYLOAD_MAX_CONTENT 1024
#define PAYLOAD_MAX_FIELDS 12
#define PAYLOAD_MAX_FIELD_NAME 32
#define PAYLOAD_MAX_FIELD_VALUE 128
#define PAYLOAD_MAX_KIND 64
/* not_before or not_after when the payload gives none. */
#define PAYLOAD_NO_TIME INT64_MIN

struct payload_field {
	char name[PAYLOAD_MAX_FIELD_NAME + 1];    /* [a-z0-9_]+ */
	char value[PAYLOAD_MAX_FIELD_VALUE + 1];  /* UTF-8, no control characters */
};

struct payload {
	char issuer[NOTE_MAX_NAME + 1];
	char kind[PAYLOAD_MAX_KIND + 1];
	uint64_t index;
	int64_t not_before, not_after;
	struct payload_field fields[PAYLOAD_MAX_FIELDS];
	size_t nfields;
};

/* Why a payload was refused. */
enum payload_problem {
	PAYLOAD_VALID = 0,
	PAYLOAD_BAD_FORMAT,      /* not a CHB1 payload, or malformed inside */
	PAYLOAD_UNKNOWN_ISSUER,  /* no trusted log key with that key ID */
	PAYLOAD_BAD_SIGNATURE,   /* a trusted key, a signature that does not verify */
};

/* Add a field to p; false when p has PAYLOAD_MAX_FIELDS or name or value is not acceptable. */
bool payload_add_field(struct payload *p, const char *name, const char *value);
/* The value of field name in p, or NULL. */
const char *payload_field(const struct payload *p, const char *name);

/*
 * Sign p with the issuer's log key (its name must be p->issuer) and encode
 * it; *out is newly allocated.  0, or EX_DATAERR with err when p is not
 * well-formed or the payload would exceed PAYLOAD_MAX_CHARS.
 */
int payload_encode(const struct payload *p, const struct note_signer *key, char **out,
		   struct chobo_error *err);

/*
 * Decode s (len bytes, surrounding blanks not allowed) and verify its
 * signature against the log keys in trust.  Fills *out as far as it could
 * read (the issuer is known for PAYLOAD_BAD_SIGNATURE, its key ID in
 * *key_id from PAYLOAD_UNKNOWN_ISSUER on); the reason is in why.  A
 * volunteer certificate printed before payload days were JST days (its
 * not-after a day short of its fiscal year's end) is read as valid through
 * that year.
 */
enum payload_problem payload_decode(const char *s, size_t len, const struct trust *trust,
				    struct payload *out, uint32_t *key_id, char *why, size_t whylen);

/* The signed note a valid payload stands for (text and signature line), newly allocated; NULL if not valid. */
char *payload_note(const char *s, size_t len, const struct trust *trust);

/* What a payload of kind is, in a few words for a verdict ("a volunteer registration certificate"), or NULL. */
const char *payload_kind_summary(const char *kind);

/* The first second of day (a day number of jp_date.h, in JST). */
int64_t payload_day_start(int64_t day);

/*
 * The not-after day of a payload for an entry that expires at t: the start
 * of the last JST day that ends by t (a payload's validity is in whole
 * days, and must never outlast the entry's).
 */
int64_t payload_last_day(int64_t t);

/* -1 when t is before p's not-before, 1 after its not-after, else 0. */
int payload_validity(const struct payload *p, int64_t t);

#endif
