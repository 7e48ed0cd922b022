/* RFC 6962 / RFC 9162 Merkle trees as pure functions over a hash reader. */
#ifndef CHOBO_MERKLE_H
#define CHOBO_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH 32
#define MERKLE_MAX_PROOF 64

/*
 * Source of stored hashes.  read_hash fills out with the hash of the complete
 * subtree at level (0 = a leaf) whose leaves are
 * [index << level, (index + 1) << level), and returns 0, or non-zero when the
 * hash cannot be read (the value is passed back to the caller).
 */
struct merkle_reader {
	int (*read_hash)(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);
	void *ctx;
};

/* Leaf hash: SHA-256(0x00 || data). */
void merkle_leaf_hash(uint8_t out[32], const void *data, size_t len);
/* Interior hash: SHA-256(0x01 || left || right); out may alias either input. */
void merkle_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32]);
/* Root of the empty tree: SHA-256(""). */
void merkle_empty_root(uint8_t out[32]);

/* Root of the first size leaves; 0 or the reader's error. O(log size) reads. */
int merkle_root(const struct merkle_reader *r, uint64_t size, uint8_t out[32]);
/* Inclusion proof of index in a tree of size (bottom-up); 0, the reader's error, or -1 for bad arguments. */
int merkle_inclusion_proof(const struct merkle_reader *r, uint64_t index, uint64_t size,
			   uint8_t proof[MERKLE_MAX_PROOF][32], size_t *n);
/* Consistency proof from old_size to new_size (0 < old <= new); 0, the reader's error, or -1. */
int merkle_consistency_proof(const struct merkle_reader *r, uint64_t old_size, uint64_t new_size,
			     uint8_t proof[MERKLE_MAX_PROOF][32], size_t *n);

/* RFC 9162 2.1.3.2: true when leaf is at index in the tree (size, root). */
bool merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
			     const uint8_t (*proof)[32], size_t n, const uint8_t root[32]);
/* RFC 9162 2.1.4.2: true when (old_size, old_root) is a prefix of (new_size, new_root). */
bool merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
			       const uint8_t old_root[32], const uint8_t new_root[32],
			       const uint8_t (*proof)[32], size_t n);

/*
 * The right edge of a tree: the hashes of its maximal complete subtrees, one
 * per set bit of size, largest first.  Enough to append leaves and compute
 * the root in O(log n) memory.
 */
struct merkle_stack {
	uint64_t size;
	unsigned depth;
	uint8_t hash[64][32];
};

/* An empty tree. */
void merkle_stack_init(struct merkle_stack *st);
/* The right edge of the first size leaves, from stored hashes; 0 or the reader's error. */
int merkle_stack_load(struct merkle_stack *st, const struct merkle_reader *r, uint64_t size);
/*
 * Append a leaf hash.  The interior hashes it completes (levels 1, 2, ...) are
 * copied to formed[0], formed[1], ...; returns how many.
 */
unsigned merkle_stack_push(struct merkle_stack *st, const uint8_t leaf[32], uint8_t formed[64][32]);
/* Root of the tree held by the stack. */
void merkle_stack_root(const struct merkle_stack *st, uint8_t out[32]);

#endif
