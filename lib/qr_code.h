/*
 * The QR code of a chobo payload: the module matrix, and nothing about how
 * it is drawn.
 *
 * Every payload chobo prints (DESIGN §7) is ASCII in the QR alphanumeric
 * alphabet (0-9 A-Z space $ % * + - . / :), which is also base45's.  It is
 * encoded as one alphanumeric segment at error correction level Q in the
 * smallest version that holds it; a caller may cap the version (chobo's
 * labels are read from scuffed paper, so they stay at version 12 or below).
 */
#ifndef CHOBO_QR_CODE_H
#define CHOBO_QR_CODE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Light modules drawn around the symbol on every side (ISO/IEC 18004). */
#define QR_QUIET_ZONE 4
/* The largest QR version; and the one every chobo payload must fit (DESIGN §7). */
#define QR_VERSION_MAX 40
#define QR_VERSION_CHOBO 12
/* Alphanumeric characters that fit version 12 at level Q (ISO/IEC 18004 table 7). */
#define QR_CHOBO_CAPACITY 296

/* A QR symbol: version, modules per side, and width*width module flags. */
struct qr_code {
	int version;            /* 1..40 */
	int width;              /* modules per side: 17 + 4 * version */
	size_t length;          /* payload characters */
	unsigned char *dark;    /* row-major, 1 = dark module */
};

/* True when s[0..len) is non-empty and all in the alphanumeric alphabet; else the first bad character in err. */
bool qr_alnum_valid(const char *s, size_t len, char *err, size_t errlen);

/*
 * Encode payload (NUL-terminated) in alphanumeric mode at level Q, in the
 * smallest version that fits and at most max_version (1..40).  0, or
 * EX_DATAERR for a payload outside the alphabet or one that needs a larger
 * version (err says which version it needs), EX_OSERR when out of memory.
 * On success the caller frees qr with qr_code_free().
 */
int qr_code_encode(struct qr_code *qr, const char *payload, int max_version,
	struct chobo_error *err);

/* True when module (x, y) is dark; positions outside the symbol (the quiet zone) are light. */
bool qr_code_dark(const struct qr_code *qr, int x, int y);

/* Free the matrix of a code that qr_code_encode() filled; safe on a zeroed struct. */
void qr_code_free(struct qr_code *qr);

#endif
