/*
 * SHA-256 for the hot paths (Merkle leaves and nodes): the CPU's SHA
 * extensions (SHA-NI) where the processor has them, else portable C.
 * libsodium's portable code was the largest cost of an audit; SHA-NI hashes
 * a stored entry three to six times faster.  The choice is made once, at the
 * first call, from CPUID; both give libsodium's digests (tests/t-merkle).
 */
#ifndef CHOBO_SHA256_H
#define CHOBO_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An incremental SHA-256. */
struct sha256 {
	uint32_t h[8];
	uint64_t bytes;        /* message bytes so far */
	uint8_t block[64];     /* a partial block: bytes % 64 of them */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* The digest; s must be initialised again before another use. */
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* The digest of prefix (one byte) followed by data: the Merkle leaf and node hashes. */
void sha256_prefixed(uint8_t out[32], uint8_t prefix, const void *data, size_t len);
/* True when the SHA extensions are used (for benchmarks and tests). */
bool sha256_accelerated(void);
/* Use the portable code from now on (tests compare the two). */
void sha256_force_portable(void);

#endif
