/*
 * lib/store_bdb.c's replacement for Berkeley DB's checksum function gives
 * libdb's own value for every length (the short tail, whole 16-byte steps,
 * a 16 KiB page) and alignment, and for bytes of every value.  Without the
 * replacement (libdb linked as a shared library) there is nothing to test.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "tap.h"

#ifdef CHOBO_WRAP_HAM_FUNC4
unsigned int __real___ham_func4(void *dbp, const void *key, unsigned int len);

/* Both functions agree on len bytes at every offset 0-15 of buf; the first disagreement is reported. */
static bool agree(const uint8_t *buf, unsigned len, unsigned *bad_off)
{
	for (unsigned off = 0; off < 16; off++) {
		if (__wrap___ham_func4(NULL, buf + off, len) != __real___ham_func4(NULL, buf + off, len)) {
			*bad_off = off;
			return false;
		}
	}
	return true;
}

int main(void)
{
	static uint8_t buf[16384 + 16];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof buf; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;   /* xorshift: reproducible bytes */
		buf[i] = (uint8_t)x;
	}
	plan(4);
	unsigned bad_len = 0, bad_off = 0;
	bool good = true;
	for (unsigned len = 0; len <= 600 && good; len++) {
		good = agree(buf, len, &bad_off);
		bad_len = len;
	}
	ok(good, "the same value as libdb's for every length from 0 to 600, at offsets 0-15");
	if (!good)
		diag("length %u at offset %u differs", bad_len, bad_off);
	ok(agree(buf, 4096, &bad_off) && agree(buf, 16384, &bad_off), "the same for 4 KiB and 16 KiB pages");
	memset(buf, 0xff, sizeof buf);
	ok(agree(buf, 16384, &bad_off), "the same for bytes of 0xff (the largest products)");
	ok(__wrap___ham_func4(NULL, "", 0) == 0 && __wrap___ham_func4(NULL, "a", 1) == 'a' &&
	   __wrap___ham_func4(NULL, "ab", 2) == 'a' * 33u + 'b', "h = h * 33 + byte, from 0");
	return done();
}
#else
int main(void)
{
	printf("1..0 # SKIP libdb is linked as a shared library: its own checksum function is used\n");
	return 0;
}
#endif
