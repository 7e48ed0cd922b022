/* Key files: secret keys written 0600 and refused when others can read them. */
#ifndef CHOBO_KEYS_H
#define CHOBO_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "note.h"
#include "util.h"

/* The ledger directory whose keys/ a program uses unless told: $CHOBO_LEDGER if set, else "ledger". */
const char *key_ledger_dir(void);

/* Write a secret key file (mode 0600, atomically); false with errno on error. */
bool key_save(const char *path, const struct note_signer *s);
/*
 * Write a secret key file encrypted with the passphrase from
 * CHOBO_PASSPHRASE_FD or CHOBO_PASSPHRASE_FILE (Argon2id, then XSalsa20-Poly1305);
 * 0 or an exit code with err.
 */
int key_save_encrypted(const char *path, const struct note_signer *s, struct chobo_error *err);
/*
 * Load a secret key file, plain (PRIVATE+KEY+...) or encrypted (then the
 * passphrase comes as for key_save_encrypted); refuses a file readable or
 * writable by group or others.  The key is locked in memory until
 * note_signer_clear().  Returns 0, or an exit code with err.
 */
int key_load(const char *path, struct note_signer *out, struct chobo_error *err);
/* Refuse a directory of secret keys that others could use: 0, or EX_NOPERM (or EX_NOINPUT) with err. */
int key_dir_check(const char *dir, struct chobo_error *err);
/* True when the key file at path is encrypted (false also when it cannot be read). */
bool key_is_encrypted(const char *path);

/* A set of trusted verifier keys. */
struct trust {
	struct note_verifier *keys;
	size_t n;
};

/* Add the vkeys in a file (one per line, '#' comments) to t; 0 or an exit code with err. */
int trust_load_file(struct trust *t, const char *path, struct chobo_error *err);
/* Add the vkeys of every file in directory dir; 0 or an exit code with err. */
int trust_load_dir(struct trust *t, const char *dir, struct chobo_error *err);
/* Free a trust set. */
void trust_free(struct trust *t);

#endif
