/*
 * Text encodings of bytes: hex (RFC 4648 base16), base64 (RFC 4648, padded)
 * and base45 (RFC 9285, the QR alphanumeric alphabet).  Every decoder is
 * strict and bounded: it accepts only the one canonical encoding and never
 * writes more than the capacity its caller gives.
 */
#ifndef CHOBO_CODEC_H
#define CHOBO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value 0..15 of the hex digit c (either case), or -1 for any other byte. */
int hex_digit(int c);
/* Write 64 lowercase hex digits of a 32-byte hash into out[65]. */
void hex32(char out[65], const uint8_t hash[32]);
/* Parse exactly 2*len hex digits from s into out; false on any other input. */
bool hex_decode(uint8_t *out, size_t len, const char *s);

/* Canonical base64 (RFC 4648, padded) of len bytes; newly allocated. */
char *b64_encode(const uint8_t *buf, size_t len);
/* Strict base64 decode of exactly slen chars into out[max]: canonical form only; decoded length or -1. */
long b64_decode(const char *s, size_t slen, uint8_t *out, size_t max);

/* Characters in the base45 encoding of len bytes, without the NUL. */
size_t b45_encoded_len(size_t len);
/* Base45 (RFC 9285) of len bytes, NUL-terminated; newly allocated. */
char *b45_encode(const uint8_t *buf, size_t len);
/*
 * Strict base45 decode of exactly slen chars into out[cap], the decoded length
 * in *outlen; false with the reason in err if s is not base45 or needs more
 * than cap bytes (out may then hold part of the result).
 */
bool b45_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen, char *err,
		size_t errlen);

#endif
