#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "codec.h"
#include "util.h"

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void hex32(char out[65], const uint8_t hash[32])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[hash[i] >> 4];
		out[2 * i + 1] = digits[hash[i] & 15];
	}
	out[64] = '\0';
}

bool hex_decode(uint8_t *out, size_t len, const char *s)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit((unsigned char)s[2 * i]);
		/* Stop at a bad first digit: it may be the string's NUL. */
		int lo = hi < 0 ? -1 : hex_digit((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return s[2 * len] == '\0';
}

char *b64_encode(const uint8_t *buf, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(n);
	sodium_bin2base64(out, n, buf, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

long b64_decode(const char *s, size_t slen, uint8_t *out, size_t max)
{
	size_t got = 0;
	const char *end = NULL;
	if (slen == 0 || slen % 4 != 0 || slen / 4 * 3 > max + 2)
		return -1;
	if (sodium_base642bin(out, max, s, slen, NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + slen)
		return -1;
	/* Reject non-zero trailing bits: only the canonical encoding is accepted. */
	char *again = b64_encode(out, got);
	bool same = strlen(again) == slen && memcmp(again, s, slen) == 0;
	free(again);
	return same ? (long)got : -1;
}

/* RFC 9285 Table 1: the value of a character is its position here. */
static const char b45_alphabet[45] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

static int b45_value(unsigned char c)
{
	const char *p = c ? memchr(b45_alphabet, c, sizeof b45_alphabet) : NULL;
	return p ? (int)(p - b45_alphabet) : -1;
}

size_t b45_encoded_len(size_t len)
{
	/* No overflow: a buffer in memory is at most SIZE_MAX / 2 bytes. */
	return len / 2 * 3 + len % 2 * 2;
}

char *b45_encode(const uint8_t *buf, size_t len)
{
	char *out = xmalloc(b45_encoded_len(len) + 1), *o = out;
	/* Two bytes [a, b] become n = a * 256 + b = c + d * 45 + e * 45 * 45, written c d e. */
	for (size_t i = 0; i < len; i += 2) {
		unsigned n = buf[i];
		bool pair = i + 1 < len;
		if (pair)
			n = n << 8 | buf[i + 1];
		*o++ = b45_alphabet[n % 45];
		*o++ = b45_alphabet[n / 45 % 45];
		if (pair)
			*o++ = b45_alphabet[n / (45 * 45)];
	}
	*o = '\0';
	return out;
}

bool b45_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen, char *err,
		size_t errlen)
{
	/* Three characters give two bytes, a final two give one; a final one gives nothing. */
	if (slen % 3 == 1) {
		snprintf(err, errlen, "base45 of length %zu ends in a lone character", slen);
		return false;
	}
	size_t need = slen / 3 * 2 + (slen % 3 == 2);
	if (need > cap) {
		snprintf(err, errlen, "base45 decodes to %zu bytes, more than the %zu allowed", need, cap);
		return false;
	}
	size_t n = 0;
	for (size_t i = 0; i < slen; i += 3) {
		size_t group = slen - i < 3 ? 2 : 3;
		unsigned v = 0, scale = 1;
		for (size_t j = 0; j < group; j++, scale *= 45) {
			int d = b45_value((unsigned char)s[i + j]);
			if (d < 0) {
				snprintf(err, errlen, "base45 has a character outside its alphabet at offset %zu",
					 i + j);
				return false;
			}
			v += (unsigned)d * scale;
		}
		if (v > (group == 3 ? 0xffffu : 0xffu)) {
			snprintf(err, errlen, "base45 group at offset %zu has the value %u, more than %s", i, v,
				 group == 3 ? "two bytes hold" : "one byte holds");
			return false;
		}
		if (group == 3)
			out[n++] = (uint8_t)(v >> 8);
		out[n++] = (uint8_t)v;
	}
	*outlen = n;
	return true;
}
