/* Key files: secret keys written 0600 and refused when others can read them. */
#ifndef CHOBO_KEYS_H
#define CHOBO_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "note.h"

/* Write a secret key file (mode 0600, atomically); false with errno on error. */
bool key_save(const char *path, const struct note_signer *s);
/* Load a secret key file; refuses a file readable or writable by group or others.
 * Returns 0, or an exit code after printing why. */
int key_load(const char *path, struct note_signer *out);

/* A set of trusted verifier keys. */
struct trust {
	struct note_verifier *keys;
	size_t n;
};

/* Add the vkeys in a file (one per line, '#' comments) to t; 0 or an exit code after printing why. */
int trust_load_file(struct trust *t, const char *path);
/* Add the vkeys of every file in directory dir; 0 or an exit code. */
int trust_load_dir(struct trust *t, const char *dir);
/* Free a trust set. */
void trust_free(struct trust *t);

#endif
