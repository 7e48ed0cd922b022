#include "config.h"

#include <string.h>

#include "merkle.h"
#include "sha256.h"

void merkle_leaf_hash(uint8_t out[32], const void *data, size_t len)
{
	sha256_prefixed(out, 0x00, data, len);
}

void merkle_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32])
{
	uint8_t buf[64];
	memcpy(buf, left, 32);
	memcpy(buf + 32, right, 32);
	sha256_prefixed(out, 0x01, buf, sizeof buf);
}

void merkle_empty_root(uint8_t out[32])
{
	struct sha256 s;
	sha256_init(&s);
	sha256_final(&s, out);
}

/* Largest power of two strictly less than n (n > 1). */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static unsigned log2_exact(uint64_t n)
{
	unsigned l = 0;
	while ((UINT64_C(1) << l) < n)
		l++;
	return l;
}

/* Hash of leaves [start, end); start is aligned to the split points used. */
static int subtree_hash(const struct merkle_reader *r, uint64_t start, uint64_t end, uint8_t out[32])
{
	uint64_t n = end - start;
	if ((n & (n - 1)) == 0) {
		unsigned level = log2_exact(n);
		return r->read_hash(r->ctx, level, start >> level, out);
	}
	uint64_t k = split_point(n);
	uint8_t left[32], right[32];
	int rc = subtree_hash(r, start, start + k, left);
	if (rc == 0)
		rc = subtree_hash(r, start + k, end, right);
	if (rc == 0)
		merkle_node_hash(out, left, right);
	return rc;
}

int merkle_root(const struct merkle_reader *r, uint64_t size, uint8_t out[32])
{
	if (size == 0) {
		merkle_empty_root(out);
		return 0;
	}
	return subtree_hash(r, 0, size, out);
}

/* PATH(m, D[start:end]) appended bottom-up: recursion first, then the sibling. */
static int path(const struct merkle_reader *r, uint64_t m, uint64_t start, uint64_t end,
		uint8_t proof[MERKLE_MAX_PROOF][32], size_t *n)
{
	uint64_t size = end - start;
	if (size <= 1)
		return 0;
	uint64_t k = split_point(size);
	int rc;
	if (m < k) {
		rc = path(r, m, start, start + k, proof, n);
		if (rc == 0)
			rc = subtree_hash(r, start + k, end, proof[(*n)++]);
	} else {
		rc = path(r, m - k, start + k, end, proof, n);
		if (rc == 0)
			rc = subtree_hash(r, start, start + k, proof[(*n)++]);
	}
	return rc;
}

int merkle_inclusion_proof(const struct merkle_reader *r, uint64_t index, uint64_t size,
			   uint8_t proof[MERKLE_MAX_PROOF][32], size_t *n)
{
	*n = 0;
	if (index >= size)
		return -1;
	return path(r, index, 0, size, proof, n);
}

static int subproof(const struct merkle_reader *r, uint64_t m, uint64_t start, uint64_t end,
		    bool whole, uint8_t proof[MERKLE_MAX_PROOF][32], size_t *n)
{
	uint64_t size = end - start;
	if (m == size) {
		if (whole)
			return 0;
		return subtree_hash(r, start, end, proof[(*n)++]);
	}
	uint64_t k = split_point(size);
	int rc;
	if (m <= k) {
		rc = subproof(r, m, start, start + k, whole, proof, n);
		if (rc == 0)
			rc = subtree_hash(r, start + k, end, proof[(*n)++]);
	} else {
		rc = subproof(r, m - k, start + k, end, false, proof, n);
		if (rc == 0)
			rc = subtree_hash(r, start, start + k, proof[(*n)++]);
	}
	return rc;
}

int merkle_consistency_proof(const struct merkle_reader *r, uint64_t old_size, uint64_t new_size,
			     uint8_t proof[MERKLE_MAX_PROOF][32], size_t *n)
{
	*n = 0;
	if (old_size == 0 || old_size > new_size)
		return -1;
	return subproof(r, old_size, 0, new_size, true, proof, n);
}

bool merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
			     const uint8_t (*proof)[32], size_t n, const uint8_t root[32])
{
	if (index >= size)
		return false;
	uint64_t fn = index, sn = size - 1;
	uint8_t r[32];
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(r, proof[i], r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, r, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}

bool merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
			       const uint8_t old_root[32], const uint8_t new_root[32],
			       const uint8_t (*proof)[32], size_t n)
{
	if (old_size == 0 || old_size > new_size)
		return false;
	if (old_size == new_size)
		return n == 0 && memcmp(old_root, new_root, 32) == 0;
	if (n == 0)
		return false;
	/* When old_size is a power of two its root is the first proof node. */
	bool prepend = (old_size & (old_size - 1)) == 0;
	size_t total = n + (prepend ? 1 : 0);
#define NODE(i) (prepend ? ((i) == 0 ? old_root : proof[(i) - 1]) : proof[i])
	uint64_t fn = old_size - 1, sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[32], sr[32];
	memcpy(fr, NODE(0), 32);
	memcpy(sr, NODE(0), 32);
	for (size_t i = 1; i < total; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(fr, NODE(i), fr);
			merkle_node_hash(sr, NODE(i), sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, sr, NODE(i));
		}
		fn >>= 1;
		sn >>= 1;
	}
#undef NODE
	return memcmp(fr, old_root, 32) == 0 && memcmp(sr, new_root, 32) == 0 && sn == 0;
}

void merkle_stack_init(struct merkle_stack *st)
{
	st->size = 0;
	st->depth = 0;
}

int merkle_stack_load(struct merkle_stack *st, const struct merkle_reader *r, uint64_t size)
{
	merkle_stack_init(st);
	uint64_t start = 0;
	for (int level = 63; level >= 0; level--) {
		uint64_t width = UINT64_C(1) << level;
		if (!(size & width))
			continue;
		int rc = r->read_hash(r->ctx, (unsigned)level, start >> level, st->hash[st->depth]);
		if (rc != 0)
			return rc;
		st->depth++;
		start += width;
	}
	st->size = size;
	return 0;
}

unsigned merkle_stack_push(struct merkle_stack *st, const uint8_t leaf[32], uint8_t formed[64][32])
{
	uint8_t h[32];
	unsigned count = 0;
	memcpy(h, leaf, 32);
	for (uint64_t s = st->size; s & 1; s >>= 1) {
		merkle_node_hash(h, st->hash[--st->depth], h);
		if (formed)
			memcpy(formed[count], h, 32);
		count++;
	}
	memcpy(st->hash[st->depth++], h, 32);
	st->size++;
	return count;
}

void merkle_stack_root(const struct merkle_stack *st, uint8_t out[32])
{
	if (st->depth == 0) {
		merkle_empty_root(out);
		return;
	}
	uint8_t h[32];
	memcpy(h, st->hash[st->depth - 1], 32);
	for (unsigned i = st->depth - 1; i-- > 0;)
		merkle_node_hash(h, st->hash[i], h);
	memcpy(out, h, 32);
}
