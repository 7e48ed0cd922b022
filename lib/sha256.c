/*
 * SHA-256 (FIPS 180-4): padding and block buffering, and the compression
 * function twice: with the SHA-NI instructions (x86-64), and in portable C
 * for processors without them.
 */
#include "config.h"

#include <string.h>

#include "sha256.h"
#include "util.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>   /* glibc 2.33 and later: what the C library found at start */
#endif
#define HAVE_SHA_NI_CODE 1
#endif

static const uint32_t initial[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* 0 undecided, 1 SHA-NI, 2 portable. */
static int engine;

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* The compression function over n 64-byte blocks, in portable C. */
static void blocks_portable(uint32_t h[8], const uint8_t *p, size_t n)
{
	for (; n > 0; n--, p += 64) {
		uint32_t w[64], v[8];
		for (int i = 0; i < 16; i++)
			w[i] = get_be32(p + 4 * i);
		for (int i = 16; i < 64; i++) {
			uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
			uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
			w[i] = w[i - 16] + s0 + w[i - 7] + s1;
		}
		memcpy(v, h, sizeof v);
		for (int i = 0; i < 64; i++) {
			uint32_t e = v[4], a = v[0];
			uint32_t t1 = v[7] + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & v[5]) ^ (~e & v[6])) +
				      K[i] + w[i];
			uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
			memmove(v + 1, v, 7 * sizeof v[0]);
			v[4] += t1;
			v[0] = t1 + t2;
		}
		for (int i = 0; i < 8; i++)
			h[i] += v[i];
	}
}

#ifdef HAVE_SHA_NI_CODE
/* The compression function over n 64-byte blocks, with the SHA-NI instructions. */
__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_ni(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	/* The instructions keep the state as ABEF and CDGH. */
	__m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);   /* CDAB */
	__m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);  /* EFGH */
	__m128i s0 = _mm_alignr_epi8(t, s1, 8);                                          /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xF0);                                                /* CDGH */
	for (; n > 0; n--, p += 64) {
		__m128i save0 = s0, save1 = s1, w[4];
		for (int i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
		/*
		 * 16 groups of 4 rounds; w[] holds the last four groups of message
		 * words.  Unrolled, w[] lives in registers (twice as fast).
		 */
#pragma GCC unroll 16
		for (int r = 0; r < 16; r++) {
			if (r >= 4) {
				__m128i x = _mm_sha256msg1_epu32(w[r % 4], w[(r + 1) % 4]);
				x = _mm_add_epi32(x, _mm_alignr_epi8(w[(r + 3) % 4], w[(r + 2) % 4], 4));
				w[r % 4] = _mm_sha256msg2_epu32(x, w[(r + 3) % 4]);
			}
			__m128i m = _mm_add_epi32(w[r % 4], _mm_loadu_si128((const __m128i *)&K[4 * r]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, m);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	t = _mm_shuffle_epi32(s0, 0x1B);                   /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);                  /* DCHG */
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, s1, 0xF0));   /* DCBA */
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(s1, t, 8));      /* HGFE */
}

static bool cpu_has_sha_ni(void)
{
#ifdef CPU_FEATURE_ACTIVE
	/*
	 * The C library ran cpuid at start; asking it again costs four more,
	 * each a trap to the hypervisor in a virtual machine (about 7 us here,
	 * 1 % of a one-entry append).
	 */
	return CPU_FEATURE_ACTIVE(SSSE3) && CPU_FEATURE_ACTIVE(SSE4_1) && CPU_FEATURE_ACTIVE(SHA);
#else
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return false;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
#endif
}
#endif

static int engine_get(void)
{
	/* Racing threads all find the same answer; a relaxed store is enough. */
	int e = __atomic_load_n(&engine, __ATOMIC_RELAXED);
	if (e == 0) {
#ifdef HAVE_SHA_NI_CODE
		e = cpu_has_sha_ni() ? 1 : 2;
#else
		e = 2;
#endif
		__atomic_store_n(&engine, e, __ATOMIC_RELAXED);
	}
	return e;
}

bool sha256_accelerated(void)
{
	return engine_get() == 1;
}

void sha256_force_portable(void)
{
	__atomic_store_n(&engine, 2, __ATOMIC_RELAXED);
}

static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
#ifdef HAVE_SHA_NI_CODE
	if (engine_get() == 1) {
		blocks_ni(h, p, n);
		return;
	}
#endif
	blocks_portable(h, p, n);
}

void sha256_init(struct sha256 *s)
{
	memcpy(s->h, initial, sizeof s->h);
	s->bytes = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t have = (size_t)(s->bytes % 64);
	s->bytes += len;
	if (have > 0) {
		size_t take = 64 - have < len ? 64 - have : len;
		memcpy(s->block + have, p, take);
		p += take;
		len -= take;
		if (have + take < 64)
			return;
		blocks(s->h, s->block, 1);
	}
	if (len >= 64) {
		blocks(s->h, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	memcpy(s->block, p, len);
}

void sha256_final(struct sha256 *s, uint8_t out[32])
{
	size_t have = (size_t)(s->bytes % 64);
	uint64_t bits = s->bytes * 8;
	s->block[have++] = 0x80;
	if (have > 56) {
		memset(s->block + have, 0, 64 - have);
		blocks(s->h, s->block, 1);
		have = 0;
	}
	memset(s->block + have, 0, 56 - have);
	put_be64(s->block + 56, bits);
	blocks(s->h, s->block, 1);
	for (int i = 0; i < 8; i++)
		put_be32(out + 4 * i, s->h[i]);
}

void sha256_prefixed(uint8_t out[32], uint8_t prefix, const void *data, size_t len)
{
	struct sha256 s;
	sha256_init(&s);
	sha256_update(&s, &prefix, 1);
	sha256_update(&s, data, len);
	sha256_final(&s, out);
}
