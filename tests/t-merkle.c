/*
 * Merkle tree hashing, proofs and verification against the RFC 6962 /
 * RFC 9162 vectors of transparency-dev/merkle (tlog.md 6.1, 6.2), the
 * edge cases of tlog.md 1.3, and exhaustive self-consistency up to 64 leaves.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "merkle.h"
#include "sha256.h"
#include "codec.h"
#include "util.h"
#include "tap.h"

/* Leaf hashes of the 8-leaf reference tree. */
#define L0 "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
#define L1 "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
#define L2 "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"
#define L3 "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"
#define L4 "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
#define L5 "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"
#define L6 "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"
#define L7 "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"

/* Roots by size. */
#define R0 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define R1 L0
#define R2 "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
#define R3 "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
#define R4 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
#define R5 "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"
#define R6 "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"
#define R7 "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"
#define R8 "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"

/*
 * Interior nodes, named by the leaves they cover.  The document abbreviates
 * some proof hashes ("5f083f0a...031e"); each is one of these full values.
 */
#define N0_1 R2
#define N2_3 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
#define N4_5 "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
#define N6_7 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
#define N0_3 R4
#define N4_7 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
/* MTH(D[4:7]), "l" in RFC 6962's 7-leaf figure. */
#define N4_6 "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"

static const char *const roots[9] = { R0, R1, R2, R3, R4, R5, R6, R7, R8 };

#define MAX_LEAVES 64
#define READ_ERROR 7

/*
 * In-memory leaves behind a merkle_reader.  Interior hashes are recomputed
 * from the leaves on every read, so the reader is independent of the code
 * under test.  limit is the tree size of the current query: a request for a
 * subtree reaching past it is an error, which catches proofs that read
 * hashes a tree of that size does not have.
 */
struct mem_tree {
	uint8_t leaf[MAX_LEAVES][32];
	uint64_t nleaves;
	uint64_t limit;
	unsigned long bad_reads;
};

static void mem_subtree(const struct mem_tree *t, unsigned level, uint64_t index, uint8_t out[32])
{
	if (level == 0) {
		memcpy(out, t->leaf[index], 32);
		return;
	}
	uint8_t left[32], right[32];
	mem_subtree(t, level - 1, 2 * index, left);
	mem_subtree(t, level - 1, 2 * index + 1, right);
	merkle_node_hash(out, left, right);
}

static int mem_read(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct mem_tree *t = ctx;
	uint64_t limit = t->limit < t->nleaves ? t->limit : t->nleaves;
	if (level >= 63 || index >= (limit >> level)) {
		t->bad_reads++;
		return READ_ERROR;
	}
	mem_subtree(t, level, index, out);
	return 0;
}

static const struct {
	const uint8_t *data;
	size_t len;
} ref_leaves[8] = {
	{ (const uint8_t *)"", 0 },
	{ (const uint8_t *)"\x00", 1 },
	{ (const uint8_t *)"\x10", 1 },
	{ (const uint8_t *)"\x20\x21", 2 },
	{ (const uint8_t *)"\x30\x31", 2 },
	{ (const uint8_t *)"\x40\x41\x42\x43", 4 },
	{ (const uint8_t *)"\x50\x51\x52\x53\x54\x55\x56\x57", 8 },
	{ (const uint8_t *)"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16 },
};

static struct mem_tree tree;
static struct merkle_reader reader = { mem_read, &tree };

/* The reference leaves, then distinct filler leaves up to MAX_LEAVES. */
static void tree_init(void)
{
	memset(&tree, 0, sizeof tree);
	for (size_t i = 0; i < MAX_LEAVES; i++) {
		if (i < 8) {
			merkle_leaf_hash(tree.leaf[i], ref_leaves[i].data, ref_leaves[i].len);
		} else {
			uint8_t d[3] = { 0xc0, (uint8_t)i, (uint8_t)(i * 7) };
			merkle_leaf_hash(tree.leaf[i], d, sizeof d);
		}
	}
	tree.nleaves = MAX_LEAVES;
	tree.limit = MAX_LEAVES;
}

static void unhex(uint8_t out[32], const char *hex)
{
	if (!hex_decode(out, 32, hex)) {
		fprintf(stderr, "bad hex constant %s\n", hex);
		exit(99);
	}
}

/*
 * lib/sha256.c against libsodium: every length from 0 to 300 bytes (each
 * padding case, one to five blocks), a message of 1 MiB, and the same bytes
 * given in pieces of every size from 1 to 130, by the SHA extensions (when
 * this processor has them) and by the portable code.
 */
static bool sha256_matches_sodium(void)
{
	static uint8_t msg[1 << 20];
	uint8_t want[32], got[32];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 131 + (i >> 8));
	for (size_t len = 0; len <= 300; len++) {
		crypto_hash_sha256(want, msg, len);
		struct sha256 s;
		sha256_init(&s);
		sha256_update(&s, msg, len);
		sha256_final(&s, got);
		if (memcmp(want, got, 32) != 0) {
			diag("length %zu differs", len);
			return false;
		}
	}
	crypto_hash_sha256(want, msg, sizeof msg);
	for (size_t piece = 1; piece <= 130; piece++) {
		struct sha256 s;
		sha256_init(&s);
		for (size_t at = 0; at < sizeof msg; at += piece)
			sha256_update(&s, msg + at, at + piece <= sizeof msg ? piece : sizeof msg - at);
		sha256_final(&s, got);
		if (memcmp(want, got, 32) != 0) {
			diag("1 MiB in pieces of %zu differs", piece);
			return false;
		}
	}
	return true;
}

static void test_sha256(void)
{
	bool accelerated = sha256_accelerated();
	ok(sha256_matches_sodium(), "SHA-256 equals libsodium's (%s)",
	   accelerated ? "SHA extensions" : "portable code: this processor lacks the SHA extensions");
	sha256_force_portable();
	ok(!sha256_accelerated() && sha256_matches_sodium(), "SHA-256 equals libsodium's (portable code)");
}

static void test_hashes(void)
{
	uint8_t h[32], a[32], b[32];
	char *s;

	merkle_empty_root(h);
	is_hex(h, R0, "empty tree root is SHA-256(\"\")");
	s = b64_encode(h, 32);
	is_str(s, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "empty tree root in base64");
	free(s);

	merkle_leaf_hash(h, "", 0);
	is_hex(h, L0, "leaf hash of the empty entry (not the empty root)");
	merkle_leaf_hash(h, "L123456", 7);
	is_hex(h, "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56",
	       "leaf hash of \"L123456\"");

	/*
	 * The node vector hashes 4-byte children, which merkle_node_hash (fixed
	 * 32-byte children) cannot take; it pins the 0x01 || left || right layout
	 * that the tree vectors below then check through merkle_node_hash.
	 */
	crypto_hash_sha256(h, (const uint8_t *)"\x01N123N456", 9);
	is_hex(h, "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb",
	       "node(\"N123\",\"N456\") layout");

	merkle_leaf_hash(h, "hello world", 11);
	s = b64_encode(h, 32);
	is_str(s, "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=", "leaf hash of \"hello world\"");
	free(s);

	static const char *const leaves[8] = { L0, L1, L2, L3, L4, L5, L6, L7 };
	for (int i = 0; i < 8; i++) {
		char name[32];
		snprintf(name, sizeof name, "leaf hash L%d", i);
		is_hex(tree.leaf[i], leaves[i], name);
	}

	/* Output aliasing an input must give the same hash as a separate output. */
	unhex(a, L0);
	unhex(b, L1);
	merkle_node_hash(h, a, b);
	is_hex(h, R2, "node(L0, L1) = root of size 2");
	merkle_node_hash(a, a, b);
	is_hex(a, R2, "node hash with out aliasing left");
	unhex(a, L0);
	merkle_node_hash(b, a, b);
	is_hex(b, R2, "node hash with out aliasing right");
}

static void test_levels(void)
{
	static const char *const level1[4] = { N0_1, N2_3, N4_5, N6_7 };
	static const char *const level2[2] = { N0_3, N4_7 };
	uint8_t h[32];
	char name[48];

	tree.limit = 8;
	for (unsigned i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "level 1 node %u", i);
		ok(mem_read(&tree, 1, i, h) == 0, "reader: %s", name);
		is_hex(h, level1[i], name);
	}
	for (unsigned i = 0; i < 2; i++) {
		snprintf(name, sizeof name, "level 2 node %u", i);
		ok(mem_read(&tree, 2, i, h) == 0, "reader: %s", name);
		is_hex(h, level2[i], name);
	}
	ok(mem_read(&tree, 3, 0, h) == 0, "reader: level 3 node 0");
	is_hex(h, R8, "level 3 node 0 is the root of size 8");

	uint8_t l45[32], l6[32];
	unhex(l45, N4_5);
	unhex(l6, L6);
	merkle_node_hash(h, l45, l6);
	is_hex(h, N4_6, "MTH(D[4:7]) = node(node(L4, L5), L6)");
}

static void test_roots(void)
{
	uint8_t h[32];
	char name[48];
	for (uint64_t n = 0; n <= 8; n++) {
		tree.limit = n;
		tree.bad_reads = 0;
		int rc = merkle_root(&reader, n, h);
		snprintf(name, sizeof name, "root of size %llu", (unsigned long long)n);
		ok(rc == 0 && tree.bad_reads == 0, "merkle_root(%llu) reads only that tree",
		   (unsigned long long)n);
		is_hex(h, roots[n], name);
	}

	/* A reader's error comes back unchanged. */
	tree.limit = 4;
	ok(merkle_root(&reader, 5, h) == READ_ERROR, "merkle_root passes the reader's error back");
	tree.limit = MAX_LEAVES;
}

/* Compare a proof with the expected hashes (NULL-terminated), one test point per hash. */
static void check_hashes(const char *what, uint8_t proof[MERKLE_MAX_PROOF][32], size_t n,
			 const char *const *want)
{
	size_t nwant = 0;
	while (want[nwant])
		nwant++;
	if (!ok(n == nwant, "%s has %zu hashes", what, nwant))
		diag("got %zu", n);
	for (size_t i = 0; i < n && i < nwant; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s hash %zu", what, i);
		is_hex(proof[i], want[i], name);
	}
}

static void check_inclusion(uint64_t index, uint64_t size, const char *const *want)
{
	uint8_t proof[MERKLE_MAX_PROOF][32], root[32];
	size_t n = 0;
	char what[48];
	snprintf(what, sizeof what, "inclusion(%llu, %llu)", (unsigned long long)index,
		 (unsigned long long)size);
	tree.limit = size;
	tree.bad_reads = 0;
	int rc = merkle_inclusion_proof(&reader, index, size, proof, &n);
	ok(rc == 0 && tree.bad_reads == 0, "%s generated", what);
	check_hashes(what, proof, n, want);
	unhex(root, roots[size]);
	ok(merkle_verify_inclusion(index, size, tree.leaf[index], (const uint8_t (*)[32])proof, n,
				   root),
	   "%s verifies", what);
}

static void check_consistency(uint64_t m, uint64_t size, const char *const *want)
{
	uint8_t proof[MERKLE_MAX_PROOF][32], r1[32], r2[32];
	size_t n = 0;
	char what[48];
	snprintf(what, sizeof what, "consistency(%llu -> %llu)", (unsigned long long)m,
		 (unsigned long long)size);
	tree.limit = size;
	tree.bad_reads = 0;
	int rc = merkle_consistency_proof(&reader, m, size, proof, &n);
	ok(rc == 0 && tree.bad_reads == 0, "%s generated", what);
	check_hashes(what, proof, n, want);
	unhex(r1, roots[m]);
	unhex(r2, roots[size]);
	ok(merkle_verify_consistency(m, size, r1, r2, (const uint8_t (*)[32])proof, n),
	   "%s verifies", what);
}

static void test_vectors(void)
{
	/* transparency-dev/merkle proofgen. */
	check_inclusion(0, 1, (const char *const[]){ NULL });
	check_inclusion(0, 8, (const char *const[]){ L1, N2_3, N4_7, NULL });
	check_inclusion(5, 8, (const char *const[]){ L4, N6_7, N0_3, NULL });
	check_inclusion(2, 3, (const char *const[]){ N0_1, NULL });
	check_inclusion(1, 5, (const char *const[]){ L0, N2_3, L4, NULL });

	check_consistency(1, 1, (const char *const[]){ NULL });
	check_consistency(1, 8, (const char *const[]){ L1, N2_3, N4_7, NULL });
	check_consistency(6, 8, (const char *const[]){ N4_5, N6_7, N0_3, NULL });
	check_consistency(2, 5, (const char *const[]){ N2_3, L4, NULL });
	check_consistency(6, 7, (const char *const[]){ N4_5, L6, N0_3, NULL });

	/* RFC 6962's 7-leaf examples made concrete with the same leaves. */
	check_consistency(3, 7, (const char *const[]){ L2, L3, N0_1, N4_6, NULL });
	check_consistency(4, 7, (const char *const[]){ N4_6, NULL });
	check_inclusion(0, 7, (const char *const[]){ L1, N2_3, N4_6, NULL });
	check_inclusion(3, 7, (const char *const[]){ L2, N0_1, N4_6, NULL });
	check_inclusion(4, 7, (const char *const[]){ L5, L6, N0_3, NULL });
	check_inclusion(6, 7, (const char *const[]){ N4_5, N0_3, NULL });
}

/* tlog.md 1.3: cases every implementation must reject or accept alike. */
static void test_edge_cases(void)
{
	uint8_t proof[MERKLE_MAX_PROOF][32], p2[MERKLE_MAX_PROOF][32];
	uint8_t r[9][32], empty[32], leaf[32];
	size_t n;
	const uint8_t (*P)[32] = (const uint8_t (*)[32])proof;
	const uint8_t (*Q)[32] = (const uint8_t (*)[32])p2;

	for (int i = 0; i <= 8; i++)
		unhex(r[i], roots[i]);
	merkle_empty_root(empty);
	tree.limit = 8;

	/* Inclusion. */
	ok(merkle_inclusion_proof(&reader, 8, 8, proof, &n) == -1, "no inclusion proof for index == size");
	ok(merkle_inclusion_proof(&reader, 0, 0, proof, &n) == -1, "no inclusion proof in the empty tree");
	merkle_inclusion_proof(&reader, 7, 8, proof, &n);
	ok(merkle_verify_inclusion(7, 8, tree.leaf[7], P, n, r[8]), "inclusion(7, 8) verifies");
	ok(!merkle_verify_inclusion(8, 8, tree.leaf[7], P, n, r[8]), "inclusion rejects index == size");
	ok(!merkle_verify_inclusion(9, 8, tree.leaf[7], P, n, r[8]), "inclusion rejects index > size");
	ok(!merkle_verify_inclusion(0, 0, tree.leaf[0], P, 0, empty), "inclusion rejects size 0");
	ok(!merkle_verify_inclusion(UINT64_MAX, UINT64_MAX, tree.leaf[0], P, 0, r[1]),
	   "inclusion rejects index == size == UINT64_MAX");

	ok(merkle_verify_inclusion(0, 1, tree.leaf[0], P, 0, r[1]), "size 1: empty proof, root == leaf");
	memcpy(p2[0], tree.leaf[1], 32);
	ok(!merkle_verify_inclusion(0, 1, tree.leaf[0], Q, 1, r[1]), "size 1: non-empty proof rejected");
	ok(!merkle_verify_inclusion(0, 1, tree.leaf[0], Q, 0, r[2]), "size 1: root != leaf rejected");

	merkle_inclusion_proof(&reader, 5, 8, proof, &n);
	ok(merkle_verify_inclusion(5, 8, tree.leaf[5], P, n, r[8]), "inclusion(5, 8) verifies");
	memcpy(p2, proof, n * 32);
	memcpy(p2[n], r[4], 32);
	ok(!merkle_verify_inclusion(5, 8, tree.leaf[5], Q, n + 1, r[8]), "inclusion: extra hash rejected");
	memcpy(p2[n], p2[n - 1], 32);
	ok(!merkle_verify_inclusion(5, 8, tree.leaf[5], Q, n + 1, r[8]),
	   "inclusion: repeated last hash rejected");
	ok(!merkle_verify_inclusion(5, 8, tree.leaf[5], Q, n - 1, r[8]), "inclusion: missing last hash rejected");
	ok(!merkle_verify_inclusion(5, 8, tree.leaf[5], Q + 1, n - 1, r[8]),
	   "inclusion: missing first hash rejected");
	memcpy(p2[0], proof[1], 32);
	memcpy(p2[1], proof[0], 32);
	ok(!merkle_verify_inclusion(5, 8, tree.leaf[5], Q, n, r[8]), "inclusion: reordered hashes rejected");
	ok(!merkle_verify_inclusion(4, 8, tree.leaf[5], P, n, r[8]), "inclusion: wrong index rejected");
	ok(!merkle_verify_inclusion(5, 8, tree.leaf[4], P, n, r[8]), "inclusion: wrong leaf rejected");
	ok(!merkle_verify_inclusion(5, 8, tree.leaf[5], P, n, r[7]), "inclusion: wrong root rejected");
	merkle_leaf_hash(leaf, ref_leaves[5].data, ref_leaves[5].len - 1);
	ok(!merkle_verify_inclusion(5, 8, leaf, P, n, r[8]), "inclusion: truncated entry rejected");

	/*
	 * A short proof whose partial result is passed off as the root: only the
	 * final sn == 0 check (RFC 9162 step 5) tells these apart.
	 */
	uint8_t partial[32];
	ok(!merkle_verify_inclusion(0, 2, tree.leaf[0], P, 0, tree.leaf[0]),
	   "inclusion: size 2, empty proof, leaf as root rejected");
	unhex(partial, N4_7);
	ok(!merkle_verify_inclusion(5, 8, tree.leaf[5], P, n - 1, partial),
	   "inclusion: missing last hash with the partial result as root rejected");

	/* Consistency. */
	ok(merkle_verify_consistency(8, 8, r[8], r[8], P, 0), "consistency old == new: empty proof, equal roots");
	memcpy(p2[0], r[4], 32);
	ok(!merkle_verify_consistency(8, 8, r[8], r[8], Q, 1), "consistency old == new: non-empty proof rejected");
	ok(!merkle_verify_consistency(8, 8, r[8], r[7], P, 0), "consistency old == new: different roots rejected");
	ok(!merkle_verify_consistency(0, 8, empty, r[8], P, 0), "consistency old == 0 rejected");
	ok(!merkle_verify_consistency(0, 0, empty, empty, P, 0), "consistency 0 -> 0 rejected");
	ok(merkle_consistency_proof(&reader, 0, 8, proof, &n) == -1, "no consistency proof from size 0");
	ok(merkle_consistency_proof(&reader, 8, 6, proof, &n) == -1, "no consistency proof from old > new");

	merkle_consistency_proof(&reader, 6, 8, proof, &n);
	ok(merkle_verify_consistency(6, 8, r[6], r[8], P, n), "consistency(6 -> 8) verifies");
	ok(!merkle_verify_consistency(8, 6, r[8], r[6], P, n), "consistency old > new rejected");
	ok(!merkle_verify_consistency(8, 6, r[6], r[8], P, n), "consistency old > new (roots as given) rejected");
	ok(!merkle_verify_consistency(6, 8, r[6], r[8], P, 0), "consistency old < new, empty proof rejected");
	ok(!merkle_verify_consistency(4, 8, r[4], r[8], P, 0),
	   "consistency old < new (old a power of two), empty proof rejected");
	memcpy(p2, proof, n * 32);
	memcpy(p2[n], r[4], 32);
	ok(!merkle_verify_consistency(6, 8, r[6], r[8], Q, n + 1), "consistency: extra hash rejected");
	ok(!merkle_verify_consistency(6, 8, r[6], r[8], Q, n - 1), "consistency: missing last hash rejected");
	ok(!merkle_verify_consistency(6, 8, r[6], r[8], Q + 1, n - 1), "consistency: missing first hash rejected");
	memcpy(p2[0], proof[1], 32);
	memcpy(p2[1], proof[0], 32);
	ok(!merkle_verify_consistency(6, 8, r[6], r[8], Q, n), "consistency: reordered hashes rejected");
	ok(!merkle_verify_consistency(6, 8, r[5], r[8], P, n), "consistency: wrong old root rejected");
	ok(!merkle_verify_consistency(6, 8, r[6], r[7], P, n), "consistency: wrong new root rejected");
	ok(!merkle_verify_consistency(5, 8, r[6], r[8], P, n), "consistency: wrong old size rejected");
	/* After [N4_5, N6_7] the running old and new roots are N4_5 and N4_7; step 7's sn == 0 rejects. */
	{
		uint8_t n45[32], n47[32];
		unhex(n45, N4_5);
		unhex(n47, N4_7);
		ok(!merkle_verify_consistency(6, 8, n45, n47, P, n - 1),
		   "consistency: missing last hash with the partial results as roots rejected");
	}
	tree.limit = MAX_LEAVES;
}

/* Exact proof length per tlog.md 1.2 (transparency-dev/merkle decompInclProof). */
static size_t inclusion_len(uint64_t index, uint64_t size)
{
	uint64_t x = index ^ (size - 1);
	size_t inner = 0, border = 0;
	while (x >> inner)
		inner++;
	for (uint64_t y = index >> inner; y; y &= y - 1)
		border++;
	return inner + border;
}

static void test_exhaustive_inclusion(void)
{
	uint8_t proof[MERKLE_MAX_PROOF][32], root[32], leaf[32];
	const uint8_t (*P)[32] = (const uint8_t (*)[32])proof;

	for (uint64_t size = 1; size <= MAX_LEAVES; size++) {
		unsigned long bad = 0;
		tree.limit = size;
		tree.bad_reads = 0;
		if (merkle_root(&reader, size, root) != 0)
			bad++;
		for (uint64_t i = 0; i < size; i++) {
			size_t n = 0;
			if (merkle_inclusion_proof(&reader, i, size, proof, &n) != 0 ||
			    n != inclusion_len(i, size) ||
			    !merkle_verify_inclusion(i, size, tree.leaf[i], P, n, root)) {
				if (!bad++)
					diag("inclusion(%llu, %llu) fails", (unsigned long long)i,
					     (unsigned long long)size);
				continue;
			}
			for (size_t k = 0; k < n; k++)
				for (size_t b = 0; b < 32; b++) {
					proof[k][b] ^= 0x01;
					if (merkle_verify_inclusion(i, size, tree.leaf[i], P, n, root) && !bad++)
						diag("inclusion(%llu, %llu) accepts a change in hash %zu byte %zu",
						     (unsigned long long)i, (unsigned long long)size, k, b);
					proof[k][b] ^= 0x01;
				}
			for (size_t b = 0; b < 32; b++) {
				memcpy(leaf, tree.leaf[i], 32);
				leaf[b] ^= 0x80;
				if (merkle_verify_inclusion(i, size, leaf, P, n, root) && !bad++)
					diag("inclusion(%llu, %llu) accepts a changed leaf",
					     (unsigned long long)i, (unsigned long long)size);
				root[b] ^= 0x80;
				if (merkle_verify_inclusion(i, size, tree.leaf[i], P, n, root) && !bad++)
					diag("inclusion(%llu, %llu) accepts a changed root",
					     (unsigned long long)i, (unsigned long long)size);
				root[b] ^= 0x80;
			}
			if (n > 0 && merkle_verify_inclusion(i, size, tree.leaf[i], P, n - 1, root) && !bad++)
				diag("inclusion(%llu, %llu) accepts a shortened proof", (unsigned long long)i,
				     (unsigned long long)size);
		}
		ok(bad == 0 && tree.bad_reads == 0,
		   "size %llu: every inclusion proof verifies, every one-byte change fails",
		   (unsigned long long)size);
	}
	tree.limit = MAX_LEAVES;
}

static void test_exhaustive_consistency(void)
{
	uint8_t proof[MERKLE_MAX_PROOF][32], roots_n[MAX_LEAVES + 1][32];
	const uint8_t (*P)[32] = (const uint8_t (*)[32])proof;

	for (uint64_t s = 1; s <= MAX_LEAVES; s++) {
		tree.limit = s;
		merkle_root(&reader, s, roots_n[s]);
	}
	for (uint64_t size = 1; size <= MAX_LEAVES; size++) {
		unsigned long bad = 0;
		uint8_t r1[32], r2[32];
		memcpy(r2, roots_n[size], 32);
		tree.limit = size;
		tree.bad_reads = 0;
		for (uint64_t m = 1; m <= size; m++) {
			size_t n = 0;
			/* Copies, because m == size would otherwise change both roots at once. */
			memcpy(r1, roots_n[m], 32);
			if (merkle_consistency_proof(&reader, m, size, proof, &n) != 0 ||
			    (m == size) != (n == 0) ||
			    !merkle_verify_consistency(m, size, r1, r2, P, n)) {
				if (!bad++)
					diag("consistency(%llu -> %llu) fails", (unsigned long long)m,
					     (unsigned long long)size);
				continue;
			}
			for (size_t k = 0; k < n; k++)
				for (size_t b = 0; b < 32; b++) {
					proof[k][b] ^= 0x01;
					if (merkle_verify_consistency(m, size, r1, r2, P, n) && !bad++)
						diag("consistency(%llu -> %llu) accepts a change in hash %zu byte %zu",
						     (unsigned long long)m, (unsigned long long)size, k, b);
					proof[k][b] ^= 0x01;
				}
			for (size_t b = 0; b < 32; b++) {
				r1[b] ^= 0x80;
				if (merkle_verify_consistency(m, size, r1, r2, P, n) && !bad++)
					diag("consistency(%llu -> %llu) accepts a changed old root",
					     (unsigned long long)m, (unsigned long long)size);
				r1[b] ^= 0x80;
				r2[b] ^= 0x80;
				if (merkle_verify_consistency(m, size, r1, r2, P, n) && !bad++)
					diag("consistency(%llu -> %llu) accepts a changed new root",
					     (unsigned long long)m, (unsigned long long)size);
				r2[b] ^= 0x80;
			}
			if (n > 0 && merkle_verify_consistency(m, size, r1, r2, P, n - 1) && !bad++)
				diag("consistency(%llu -> %llu) accepts a shortened proof",
				     (unsigned long long)m, (unsigned long long)size);
		}
		ok(bad == 0 && tree.bad_reads == 0,
		   "new size %llu: every consistency proof verifies, every one-byte change fails",
		   (unsigned long long)size);
	}
	tree.limit = MAX_LEAVES;
}

static void test_stack(void)
{
	struct merkle_stack st;
	uint8_t formed[64][32], h[32], want[32];
	char name[64];

	merkle_stack_init(&st);
	merkle_stack_root(&st, h);
	is_hex(h, R0, "empty stack root");

	/* The interior hashes completed by pushing leaf i (0-based), bottom-up. */
	static const char *const formed_want[8][4] = {
		{ NULL }, { N0_1, NULL }, { NULL }, { N2_3, N0_3, NULL },
		{ NULL }, { N4_5, NULL }, { NULL }, { N6_7, N4_7, R8, NULL },
	};
	for (unsigned i = 0; i < 8; i++) {
		unsigned c = merkle_stack_push(&st, tree.leaf[i], formed);
		unsigned nwant = 0;
		while (formed_want[i][nwant])
			nwant++;
		snprintf(name, sizeof name, "push leaf %u", i);
		ok(c == nwant && st.size == i + 1, "%s forms %u interior hashes", name, nwant);
		for (unsigned k = 0; k < c && k < nwant; k++) {
			snprintf(name, sizeof name, "push leaf %u formed[%u]", i, k);
			is_hex(formed[k], formed_want[i][k], name);
		}
		merkle_stack_root(&st, h);
		snprintf(name, sizeof name, "stack root at size %u", i + 1);
		is_hex(h, roots[i + 1], name);
	}

	for (uint64_t k = 0; k <= 8; k++) {
		tree.limit = k;
		tree.bad_reads = 0;
		ok(merkle_stack_load(&st, &reader, k) == 0 && st.size == k && tree.bad_reads == 0,
		   "stack load at size %llu", (unsigned long long)k);
		merkle_stack_root(&st, h);
		snprintf(name, sizeof name, "loaded stack root at size %llu", (unsigned long long)k);
		is_hex(h, roots[k], name);
		for (uint64_t i = k; i < 8; i++)
			merkle_stack_push(&st, tree.leaf[i], NULL);
		merkle_stack_root(&st, h);
		snprintf(name, sizeof name, "load %llu then push to 8", (unsigned long long)k);
		is_hex(h, R8, name);
	}

	tree.limit = 4;
	ok(merkle_stack_load(&st, &reader, 5) == READ_ERROR, "stack load passes the reader's error back");

	/* Every load point up to 64 leaves, against merkle_root at every size. */
	unsigned long bad = 0;
	for (uint64_t k = 0; k <= MAX_LEAVES; k++) {
		tree.limit = k;
		if (merkle_stack_load(&st, &reader, k) != 0) {
			bad++;
			continue;
		}
		tree.limit = MAX_LEAVES;
		for (uint64_t i = k; i <= MAX_LEAVES; i++) {
			merkle_stack_root(&st, h);
			merkle_root(&reader, i, want);
			if (memcmp(h, want, 32) != 0 && !bad++)
				diag("load %llu, push to %llu: root differs", (unsigned long long)k,
				     (unsigned long long)i);
			if (i < MAX_LEAVES)
				merkle_stack_push(&st, tree.leaf[i], formed);
		}
	}
	ok(bad == 0, "stack roots equal merkle_root for every load point and size up to %d", MAX_LEAVES);
	tree.limit = MAX_LEAVES;
}

int main(void)
{
	if (sodium_init() < 0) {
		printf("Bail out! sodium_init failed\n");
		return 1;
	}
	test_sha256();
	tree_init();
	test_hashes();
	test_levels();
	test_roots();
	test_vectors();
	test_edge_cases();
	test_exhaustive_inclusion();
	test_exhaustive_consistency();
	test_stack();
	return done();
}
