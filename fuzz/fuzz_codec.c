/*
 * libFuzzer harness: the decoders of lib/codec (hex, base64, base45).
 *
 * The input is used twice.  As bytes, it is encoded with base45 and base64
 * (and its first 32 bytes with hex32), and decoding must give it back.  As
 * text, it goes through each decoder twice, each time into a buffer
 * allocated with exactly the capacity given, so that AddressSanitizer
 * catches a write past it: once with room for any result, once with less.
 * What decodes must encode back to the same text (hex: to the same digits,
 * either case), and the smaller buffer must give the same bytes when they
 * fit and a refusal when they do not.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trips(const uint8_t *data, size_t size)
{
	char err[200];
	size_t n;
	uint8_t *out = malloc(size);

	char *s = b45_encode(data, size);
	if (strlen(s) != b45_encoded_len(size) ||
	    !b45_decode(s, strlen(s), out, size, &n, err, sizeof err) || n != size ||
	    memcmp(out, data, size) != 0)
		abort();
	free(s);

	/* b64_decode refuses the empty string, which b64_encode gives for no bytes. */
	if (size > 0) {
		s = b64_encode(data, size);
		if (b64_decode(s, strlen(s), out, size) != (long)size || memcmp(out, data, size) != 0)
			abort();
		free(s);
	}

	if (size >= 32) {
		char hex[65];
		hex32(hex, data);
		if (!hex_decode(out, 32, hex) || memcmp(out, data, 32) != 0)
			abort();
	}
	free(out);
}

static void decode_base45(const char *s, size_t len)
{
	char err[200];
	size_t n = 0, n2 = 0, small = len / 2;
	uint8_t *out = malloc(len), *out2 = malloc(small);
	bool good = b45_decode(s, len, out, len, &n, err, sizeof err);
	if (good) {
		char *again = b45_encode(out, n);
		if (strlen(again) != len || memcmp(again, s, len) != 0)
			abort();
		free(again);
	}
	/* With less room: the same answer when the bytes fit, a refusal when they do not. */
	bool good2 = b45_decode(s, len, out2, small, &n2, err, sizeof err);
	if (good2 != (good && n <= small) || (good2 && (n2 != n || memcmp(out, out2, n) != 0)))
		abort();
	free(out);
	free(out2);
}

static void decode_base64(const char *s, size_t len)
{
	size_t small = len / 2;
	uint8_t *out = malloc(len), *out2 = malloc(small);
	long n = b64_decode(s, len, out, len);
	if (n >= 0) {
		char *again = b64_encode(out, (size_t)n);
		if (strlen(again) != len || memcmp(again, s, len) != 0)
			abort();
		free(again);
	}
	long n2 = b64_decode(s, len, out2, small);
	if ((n2 >= 0) != (n >= 0 && (size_t)n <= small) ||
	    (n2 >= 0 && (n2 != n || memcmp(out, out2, (size_t)n) != 0)))
		abort();
	free(out);
	free(out2);
}

static void decode_hex(const char *s, size_t len)
{
	size_t bytes = len / 2;
	uint8_t *out = malloc(bytes);
	if (hex_decode(out, bytes, s)) {
		/* The string (to its NUL) was 2 * bytes hex digits, each pair the byte decoded. */
		if (strlen(s) != 2 * bytes)
			abort();
		for (size_t i = 0; i < bytes; i++)
			if (hex_digit((unsigned char)s[2 * i]) << 4 != (out[i] & 0xf0) ||
			    hex_digit((unsigned char)s[2 * i + 1]) != (out[i] & 0x0f))
				abort();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, NUL-terminated for hex_decode, which reads strings. */
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	round_trips(data, size);
	decode_base45(s, size);
	decode_base64(s, size);
	decode_hex(s, size);
	free(s);
	return 0;
}
