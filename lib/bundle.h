/*
 * Bundles: one portable file with logs' entries and signed checkpoints, for
 * auditors and for replication.  A bundle is the magic line
 * "chobo-bundle/1\n" followed by a zlib stream of records:
 *
 *   record = tag (1 byte) || length (4 bytes, big-endian) || payload
 *
 *   'L' origin                  starts a log's section
 *   'S' size (8) || hashes      the tree before the section's first entry:
 *                               its size and right-edge hashes (merkle_stack)
 *   'E' entry bytes             the next entry, in index order
 *   'C' size (8) || note        a signed checkpoint, right after the entry
 *                               that completes its size (or after 'S')
 *   'Z' records (8) || SHA-256  the end: the number of records before it and
 *                               the SHA-256 of all their bytes
 *
 * All integers are big-endian, so bundles move between any machines.
 */
#ifndef CHOBO_BUNDLE_H
#define CHOBO_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "merkle.h"

#define BUNDLE_MAGIC "chobo-bundle/1\n"
#define BUNDLE_MAX_RECORD (1u << 20)
/* The most a bundle may expand to; chain-import refuses larger ones. */
#define BUNDLE_MAX_BYTES (UINT64_C(8) << 30)

enum bundle_tag {
	BUNDLE_LOG = 'L', BUNDLE_STACK = 'S', BUNDLE_ENTRY = 'E',
	BUNDLE_CHECKPOINT = 'C', BUNDLE_END = 'Z',
};

struct bundle_writer;
struct bundle_reader;

/* Start a bundle on out; NULL on error (errno). */
struct bundle_writer *bundle_writer_open(FILE *out);
/* Append a record; false on a write error. */
bool bundle_put(struct bundle_writer *w, enum bundle_tag tag, const void *payload, size_t len);
/* Write the end record, flush, and free the writer; false if anything failed. */
bool bundle_writer_close(struct bundle_writer *w);

/* Encode a tree's right edge as an 'S' payload into buf (8 + 32 * depth bytes); returns its length. */
size_t bundle_stack_encode(const struct merkle_stack *st, uint8_t *buf);
/* Decode an 'S' payload; false when it does not describe a tree. */
bool bundle_stack_decode(const uint8_t *buf, size_t len, struct merkle_stack *st);

/* Start reading a bundle; NULL with *why set if it is not one (an empty input and a read error have their own reasons). */
struct bundle_reader *bundle_reader_open(FILE *in, const char **why);
/*
 * The next record.  Returns 1 with the record (payload valid until the next
 * call), 0 after a verified end record, -1 (with *why) when the bundle is
 * truncated, altered or malformed.
 */
int bundle_next(struct bundle_reader *r, enum bundle_tag *tag, const uint8_t **payload,
		size_t *len, const char **why);
void bundle_reader_close(struct bundle_reader *r);

#endif
