/*
 * lib/codec: hex, base64 and base45.  Base45 against the examples of
 * RFC 9285 §4.3 and §4.4 and the inputs its decoder must refuse; every
 * decoder for round trips, rejects and the capacity it is given.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "util.h"
#include "tap.h"

/* Encode text with base45 and compare with the expected encoding. */
static void b45_encodes(const char *text, const char *want)
{
	char *got = b45_encode((const uint8_t *)text, strlen(text));
	char name[80];
	snprintf(name, sizeof name, "base45 of \"%s\" is \"%s\"", text, want);
	is_str(got, want, name);
	free(got);
}

/* Decode base45 and compare with the expected bytes (as text). */
static void b45_decodes(const char *s, const char *want)
{
	uint8_t out[64];
	size_t n = 0;
	char err[200] = "";
	bool good = b45_decode(s, strlen(s), out, sizeof out, &n, err, sizeof err);
	good = good && n == strlen(want) && memcmp(out, want, n) == 0;
	ok(good, "base45 \"%s\" decodes to \"%s\"", s, want);
	if (!good)
		diag("%s", err[0] ? err : "wrong bytes");
}

/* Decoding slen chars of s into cap bytes must fail, with a reason, and write nothing past cap. */
static void b45_refuses(const char *s, size_t slen, size_t cap, const char *what)
{
	uint8_t out[64];
	size_t n = 12345;
	char err[200] = "";
	memset(out, 0xa5, sizeof out);
	bool got = b45_decode(s, slen, out, cap, &n, err, sizeof err);
	bool untouched = true;
	for (size_t i = cap; i < sizeof out; i++)
		untouched = untouched && out[i] == 0xa5;
	ok(!got && err[0] && untouched && n == 12345, "base45 refuses %s", what);
	if (got)
		diag("accepted, %zu bytes", n);
	else
		diag("reason: %s", err);
}

static void test_base45_rfc(void)
{
	/* RFC 9285 §4.3, encoding examples. */
	b45_encodes("AB", "BB8");
	b45_encodes("Hello!!", "%69 VD92EX0");
	b45_encodes("base-45", "UJCLQE7W581");
	/* §4.4, the decoding example, both ways. */
	b45_encodes("ietf!", "QED8WEX0");
	b45_decodes("QED8WEX0", "ietf!");
	b45_decodes("BB8", "AB");
	b45_decodes("%69 VD92EX0", "Hello!!");
	b45_decodes("UJCLQE7W581", "base-45");
	b45_encodes("", "");
	b45_decodes("", "");
	is_u64(b45_encoded_len(0), 0, "base45 of no bytes has no characters");
	is_u64(b45_encoded_len(1), 2, "base45 of one byte has two characters");
	is_u64(b45_encoded_len(5), 8, "base45 of five bytes has eight characters");
}

static void test_base45_limits(void)
{
	uint8_t out[4];
	size_t n = 0;
	char err[200];
	/* "FGW" = 15 + 16*45 + 32*45*45 = 65535 and "U5" = 30 + 5*45 = 255: the largest values. */
	ok(b45_decode("FGWU5", 5, out, sizeof out, &n, err, sizeof err) && n == 3 &&
	   out[0] == 0xff && out[1] == 0xff && out[2] == 0xff,
	   "base45 takes 65535 in a triplet and 255 in a final pair");
	b45_refuses("GGW", 3, 8, "a triplet worth 65536");
	b45_refuses(":::", 3, 8, "a triplet worth 91124, the largest three characters make");
	b45_refuses("BB8V5", 5, 8, "a final pair worth 256");
	b45_refuses("::", 2, 8, "a final pair worth 2024");
	b45_refuses("A", 1, 8, "a single character");
	b45_refuses("BB8A", 4, 8, "a trailing single character");
	b45_refuses("BB8GGWBB8", 9, 8, "a triplet worth 65536 between valid ones");
	b45_refuses("qed8wex0", 8, 8, "lowercase letters (not in the alphabet)");
	b45_refuses("QED8WEX=", 8, 8, "'=' (not in the alphabet)");
	b45_refuses("QE\0", 3, 8, "a NUL byte");
	b45_refuses("QE\n", 3, 8, "a newline");
	b45_refuses("QE\x80", 3, 8, "a byte above 0x7f");
	b45_refuses("QED8WEX0", 8, 4, "input that needs five bytes into four");
	b45_refuses("BB8", 3, 0, "input that needs two bytes into none");
	uint8_t five[5];
	ok(b45_decode("QED8WEX0", 8, five, sizeof five, &n, err, sizeof err) && n == 5 &&
	   memcmp(five, "ietf!", 5) == 0, "base45 fills a buffer of exactly the decoded size");
}

/* Every one- and two-byte value round-trips; every triplet decodes iff its value fits 16 bits. */
static void test_base45_exhaustive(void)
{
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
	uint8_t in[2], out[2];
	size_t n;
	char err[200];
	int bad = 0;
	for (unsigned v = 0; v < 256 + 65536; v++) {
		size_t len = v < 256 ? 1 : 2;
		in[0] = (uint8_t)(v < 256 ? v : (v - 256) >> 8);
		in[1] = (uint8_t)(v - 256);
		char *s = b45_encode(in, len);
		if (strlen(s) != b45_encoded_len(len) || !b45_decode(s, strlen(s), out, len, &n, err, sizeof err) ||
		    n != len || memcmp(in, out, len) != 0)
			bad++;
		free(s);
	}
	ok(bad == 0, "base45 round-trips every one- and two-byte input");
	bad = 0;
	for (unsigned v = 0; v < 45 * 45 * 45; v++) {
		char s[3] = {alphabet[v % 45], alphabet[v / 45 % 45], alphabet[v / 2025]};
		bool got = b45_decode(s, 3, out, sizeof out, &n, err, sizeof err);
		if (got != (v <= 65535) || (got && (n != 2 || (unsigned)(out[0] << 8 | out[1]) != v)))
			bad++;
		if (got) {
			char *again = b45_encode(out, 2);
			bad += memcmp(again, s, 3) != 0;
			free(again);
		}
	}
	ok(bad == 0, "base45 decodes exactly the triplets up to 65535, each from its one encoding");
	if (bad)
		diag("%d triplets wrong", bad);
}

static void test_hex(void)
{
	int bad = 0;
	for (int c = 0; c < 256; c++) {
		const char *p = c ? strchr("0123456789abcdef", c) : NULL;
		const char *q = c ? strchr("0123456789ABCDEF", c) : NULL;
		int want = p ? (int)(p - "0123456789abcdef") : q ? (int)(q - "0123456789ABCDEF") : -1;
		bad += hex_digit(c) != want;
	}
	ok(bad == 0, "hex_digit gives 0..15 for hex digits of either case and -1 for every other byte");

	uint8_t h[32], back[32];
	char s[65];
	for (int i = 0; i < 32; i++)
		h[i] = (uint8_t)(i * 37 + 11);
	hex32(s, h);
	ok(strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64, "hex32 writes 64 lowercase hex digits");
	ok(hex_decode(back, 32, s) && memcmp(back, h, 32) == 0, "hex_decode(hex32(x)) is x");

	uint8_t b[4] = {0};
	ok(hex_decode(b, 2, "aBcD") && b[0] == 0xab && b[1] == 0xcd, "hex_decode takes either case");
	ok(hex_decode(b, 0, ""), "hex_decode takes the empty string for no bytes");
	ok(!hex_decode(b, 2, "abc"), "hex_decode refuses too few digits");
	ok(!hex_decode(b, 2, "abcdef"), "hex_decode refuses too many digits");
	ok(!hex_decode(b, 2, "ab\0d"), "hex_decode stops at a NUL");
	ok(!hex_decode(b, 2, "abzd") && !hex_decode(b, 2, " abc") && !hex_decode(b, 2, "0xab"),
	   "hex_decode refuses characters that are not hex digits");
}

static void test_base64(void)
{
	uint8_t in[40], out[40];
	int bad = 0;
	for (size_t len = 1; len <= sizeof in; len++) {
		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)(len * 31 + i * 7);
		char *s = b64_encode(in, len);
		long n = b64_decode(s, strlen(s), out, len);
		bad += n != (long)len || memcmp(in, out, len) != 0;
		free(s);
	}
	ok(bad == 0, "b64_decode(b64_encode(x)) is x for 1 to 40 bytes, into exactly that room");

	char *s = b64_encode((const uint8_t *)"ietf!", 5);
	is_str(s, "aWV0ZiE=", "base64 of \"ietf!\" is padded");
	free(s);
	ok(b64_decode("QQ==", 4, out, 1) == 1 && out[0] == 'A', "b64_decode takes a padded final group");
	ok(b64_decode("QR==", 4, out, sizeof out) == -1, "b64_decode refuses non-zero trailing bits");
	ok(b64_decode("QQ", 2, out, sizeof out) == -1, "b64_decode refuses missing padding");
	ok(b64_decode("", 0, out, sizeof out) == -1, "b64_decode refuses the empty string");
	ok(b64_decode("QQ=!", 4, out, sizeof out) == -1 && b64_decode("QQ =", 4, out, sizeof out) == -1 &&
	   b64_decode("QQ-_", 4, out, sizeof out) == -1,
	   "b64_decode refuses characters outside the alphabet (and the URL-safe ones)");
	ok(b64_decode("aWV0ZiE=", 8, out, 4) == -1, "b64_decode refuses input that needs more room than given");
	ok(b64_decode("aWV0ZiE=QQ==", 12, out, sizeof out) == -1, "b64_decode refuses padding in the middle");
}

int main(void)
{
	test_base45_rfc();
	test_base45_limits();
	test_base45_exhaustive();
	test_hex();
	test_base64();
	return done();
}
