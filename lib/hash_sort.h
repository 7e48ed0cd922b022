/*
 * Sorting records keyed by a SHA-256 hash: the leaf-hash index records
 * that a batch and an import write in key order (so that each page of the
 * index is visited once).  Hashes are spread evenly, so a distribution by
 * their first two bytes leaves buckets of a few records each; a bucket that
 * is large anyway (hashes chosen to share a prefix) is sorted by qsort, so
 * no input costs more than n log n comparisons.
 */
#ifndef CHOBO_HASH_SORT_H
#define CHOBO_HASH_SORT_H

#include <stddef.h>

/*
 * Sort n records of size bytes (size >= 32), each beginning with a 32-byte
 * hash, into the byte order of their hashes, in place.  Records with equal
 * hashes keep no particular order.  Aborts if memory runs out (xmalloc).
 */
void hash_records_sort(void *records, size_t n, size_t size);

#endif
