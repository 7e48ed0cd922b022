/* C2SP signed notes (signed-note@v1.0.0) and cosignatures (tlog-cosignature@v1.0.1). */
#ifndef CHOBO_NOTE_H
#define CHOBO_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTE_TYPE_ED25519     0x01 /* note signature (log key) */
#define NOTE_TYPE_COSIGNATURE 0x04 /* timestamped Ed25519 cosignature/v1 (witness key) */
#define NOTE_MAX_NAME         256
#define NOTE_MAX_SIGNATURES   100

/* A public key: what a verifier key string ("vkey") describes. */
struct note_verifier {
	char name[NOTE_MAX_NAME + 1];
	uint32_t id;
	uint8_t type;
	uint8_t pub[32];
};

/* A secret key.  Clear with note_signer_clear() when done. */
struct note_signer {
	struct note_verifier pub;
	uint8_t seed[32];
	uint8_t sk[64];
};

/* True for a usable key name: non-empty, printable, no white space, no '+'. */
bool note_name_valid(const char *name);
/* Key ID: first 4 bytes of SHA-256(name || 0x0A || type || pub), big-endian. */
uint32_t note_key_id(const char *name, uint8_t type, const uint8_t pub[32]);

/* Parse a vkey "name+hex8+base64(type||pub)"; false (with *why set) if malformed or the ID is wrong. */
bool note_vkey_parse(const char *s, struct note_verifier *out, const char **why);
/* Format a vkey; the result is newly allocated. */
char *note_vkey_format(const struct note_verifier *v);

/* Make a fresh key pair of the given type for name. */
bool note_signer_generate(const char *name, uint8_t type, struct note_signer *out);
/* Parse "PRIVATE+KEY+name+hex8+base64(type||seed)"; false (with *why) if malformed. */
bool note_skey_parse(const char *s, struct note_signer *out, const char **why);
/* Format the secret key string into a new buffer; the caller zeroes and frees it. */
char *note_skey_format(const struct note_signer *s);
/* Zero the secret parts of a signer. */
void note_signer_clear(struct note_signer *s);

/* Signature line "— name base64(id||sig)\n" over text (which ends in '\n'); newly allocated. */
char *note_signature_line(const struct note_signer *s, const char *text, size_t len);
/* Cosignature/v1 line over a checkpoint's text at timestamp; newly allocated. */
char *note_cosignature_line(const struct note_signer *s, const char *text, size_t len,
			    uint64_t timestamp);

/* The two halves of a syntactically valid note. */
struct note_parts {
	const char *text;  /* the signed text, ending in '\n' */
	size_t text_len;
	const char *sigs;  /* the signature lines */
	size_t sigs_len;
	size_t nsigs;
};

/* Check a note's syntax and split it; false (with *why) when malformed. */
bool note_split(const char *msg, size_t len, struct note_parts *out, const char **why);

/*
 * Verify a note against known keys (C2SP rules: lines by unknown keys are
 * ignored; a bad signature by a known key rejects the note).  verified[i] is
 * set when keys[i] signed (or cosigned) the note; timestamps[i], if not NULL,
 * receives a cosignature's time.  Returns false (with *why) when the note is
 * malformed or a known key's signature is bad.  The caller decides which
 * verified keys it requires.
 */
bool note_verify(const char *msg, size_t len, const struct note_verifier *keys, size_t nkeys,
		 bool *verified, uint64_t *timestamps, const char **why);

/*
 * The signature line by key in a note (name and key ID match; the signature
 * itself is not checked), or NULL; *line_len receives its length with '\n'.
 */
const char *note_find_signature(const char *msg, size_t len, const struct note_verifier *key,
				size_t *line_len);

#endif
