#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash_sort.h"
#include "util.h"

/*
 * Below this many records qsort is as fast: the distribution's 65,536
 * counters would be most of the work.  A batch's chunk of 65,536 entries
 * (append.c) and an import's of up to 1,048,576 (import.c) are above it.
 */
#define DISTRIBUTE_MIN 16384
#define BUCKETS 65536
/* Buckets up to this size are sorted by insertion. */
#define INSERTION_MAX 16

static int hash_order(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static unsigned bucket_of(const uint8_t *rec)
{
	return (unsigned)rec[0] << 8 | rec[1];
}

static void swap_records(uint8_t *a, uint8_t *b, uint8_t *tmp, size_t size)
{
	memcpy(tmp, a, size);
	memcpy(a, b, size);
	memcpy(b, tmp, size);
}

/* One bucket's records, which share their first two bytes. */
static void sort_bucket(uint8_t *r, size_t n, size_t size, uint8_t *tmp)
{
	if (n > INSERTION_MAX) {
		qsort(r, n, size, hash_order);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		/* A record already in place costs one comparison and no copy; one out of place, no comparison twice. */
		if (memcmp(r + (i - 1) * size + 2, r + i * size + 2, 30) <= 0)
			continue;
		size_t j = i;
		memcpy(tmp, r + i * size, size);
		do {
			memcpy(r + j * size, r + (j - 1) * size, size);
			j--;
		} while (j > 0 && memcmp(r + (j - 1) * size + 2, tmp + 2, 30) > 0);
		memcpy(r + j * size, tmp, size);
	}
}

void hash_records_sort(void *records, size_t n, size_t size)
{
	uint8_t *r = records;
	if (n < DISTRIBUTE_MIN) {
		if (n > 1)
			qsort(r, n, size, hash_order);
		return;
	}
	/* start[b] .. start[b + 1]: bucket b's place; next[b]: its first record not yet placed. */
	size_t *start = xcalloc(BUCKETS + 1, sizeof *start), *next = xmalloc(BUCKETS * sizeof *next);
	uint8_t *tmp = xmalloc(2 * size);
	for (size_t i = 0; i < n; i++)
		start[bucket_of(r + i * size) + 1]++;
	for (size_t b = 0; b < BUCKETS; b++)
		start[b + 1] += start[b];
	memcpy(next, start, BUCKETS * sizeof *next);
	/* In place (American flag sort): each record is swapped into its bucket once. */
	for (size_t b = 0; b < BUCKETS; b++) {
		while (next[b] < start[b + 1]) {
			uint8_t *here = r + next[b] * size;
			for (unsigned k = bucket_of(here); k != b; k = bucket_of(here))
				swap_records(here, r + next[k]++ * size, tmp + size, size);
			next[b]++;
		}
	}
	for (size_t b = 0; b < BUCKETS; b++)
		if (start[b + 1] - start[b] > 1)
			sort_bucket(r + start[b] * size, start[b + 1] - start[b], size, tmp);
	free(tmp);
	free(next);
	free(start);
}
