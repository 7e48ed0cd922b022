/*
 * lib/hash_sort: records come out in the order qsort gives them, with every
 * record kept whole (its payload beside its hash), for sizes below and
 * above the distribution's threshold, for the record sizes of append.c
 * (36 bytes) and import.c (48), and for inputs that defeat the
 * distribution: every hash sharing its first two bytes, duplicates, input
 * already sorted and reversed.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash_sort.h"
#include "sha256.h"
#include "util.h"
#include "tap.h"

enum shape { RANDOM, SHARED_PREFIX, FEW_VALUES, SORTED, REVERSED };

static int by_hash(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* The size of the records by_record compares (qsort passes no context). */
static size_t record_size;

static int by_record(const void *a, const void *b)
{
	return memcmp(a, b, record_size);
}

/* Record i: a hash made from i and the shape, then i itself as the payload. */
static void make(uint8_t *rec, size_t size, size_t i, enum shape shape)
{
	uint64_t v = shape == FEW_VALUES ? i % 7 : i;
	sha256_prefixed(rec, (uint8_t)shape, &v, sizeof v);
	if (shape == SHARED_PREFIX)
		rec[0] = rec[1] = 0xab;
	memset(rec + 32, 0, size - 32);
	memcpy(rec + 32, &i, size - 32 < sizeof i ? size - 32 : sizeof i);
}

/* Sort n records of the shape; true when the hashes are in order and the records are the input's. */
static bool sorts(size_t n, size_t size, enum shape shape)
{
	uint8_t *r = xmalloc(n * size + 1), *want = xmalloc(n * size + 1);
	for (size_t i = 0; i < n; i++)
		make(r + i * size, size, i, shape);
	if (shape == SORTED || shape == REVERSED) {
		qsort(r, n, size, by_hash);
		for (size_t i = 0; shape == REVERSED && i < n / 2; i++) {
			uint8_t tmp[64];
			memcpy(tmp, r + i * size, size);
			memcpy(r + i * size, r + (n - 1 - i) * size, size);
			memcpy(r + (n - 1 - i) * size, tmp, size);
		}
	}
	memcpy(want, r, n * size);
	hash_records_sort(r, n, size);
	bool ordered = true;
	for (size_t i = 1; i < n && ordered; i++)
		ordered = memcmp(r + (i - 1) * size, r + i * size, 32) <= 0;
	/* The same multiset of whole records: both sorted by all their bytes compare equal. */
	record_size = size;
	qsort(want, n, size, by_record);
	qsort(r, n, size, by_record);
	bool kept = n == 0 || memcmp(r, want, n * size) == 0;
	free(r);
	free(want);
	return ordered && kept;
}

int main(void)
{
	static const size_t sizes[] = {0, 1, 2, 17, 16383, 16384, 65536, 300000};
	static const char *const names[] = {"random", "sharing a prefix", "few values", "sorted", "reversed"};
	plan((int)(sizeof sizes / sizeof *sizes) * 2 * 5);
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
		for (size_t size = 36; size <= 48; size += 12)
			for (int shape = RANDOM; shape <= REVERSED; shape++)
				ok(sorts(sizes[k], size, (enum shape)shape), "%zu records of %zu bytes, %s",
				   sizes[k], size, names[shape]);
	return done();
}
