/*
 * libFuzzer harness: fork evidence (lib/fork_evidence.c).
 *
 * The first byte chooses how the rest is used.  Even: as an evidence file
 * (chain-proof fork's JSON object), checked with the harness's key.  Odd:
 * as leaves (one byte each) of a tree that signs a checkpoint at the full
 * size n, and of a forged tree that differs from it in one of the first m
 * leaves and signs one at m; the proof comes from an edge_tree (the first
 * tree's right edge at m and its leaves after), as an import makes it.  The
 * pair must prove a fork, and the first tree's own checkpoint at m with it
 * must not.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "checkpoint.h"
#include "fork_evidence.h"
#include "merkle.h"

#define LOG "fuzz.example/node-1"
#define MAX_LEAVES 300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct note_signer log_key;

static void setup(void)
{
	static bool ready;
	uint8_t seed[32] = {1};
	if (ready)
		return;
	if (sodium_init() < 0)
		abort();
	snprintf(log_key.pub.name, sizeof log_key.pub.name, LOG);
	log_key.pub.type = NOTE_TYPE_ED25519;
	memcpy(log_key.seed, seed, 32);
	crypto_sign_seed_keypair(log_key.pub.pub, log_key.sk, seed);
	log_key.pub.id = note_key_id(LOG, NOTE_TYPE_ED25519, log_key.pub.pub);
	ready = true;
}

static char *sign_at(const struct merkle_stack *st)
{
	struct checkpoint cp = {.size = st->size};
	snprintf(cp.origin, sizeof cp.origin, LOG);
	merkle_stack_root(st, cp.root);
	return checkpoint_sign(&cp, &log_key);
}

static void forged(const uint8_t *bytes, size_t n, size_t m)
{
	uint8_t leaves[MAX_LEAVES][32], formed[64][32], leaf[32];
	struct merkle_stack real, fake;
	merkle_stack_init(&real);
	merkle_stack_init(&fake);
	for (size_t i = 0; i < n; i++)
		merkle_leaf_hash(leaves[i], bytes + i, 1);
	for (size_t i = 0; i < m; i++) {
		merkle_stack_push(&real, leaves[i], formed);
		uint8_t other = bytes[i] ^ (i == m - 1 ? 0x80 : 0);
		merkle_leaf_hash(leaf, &other, 1);
		merkle_stack_push(&fake, leaf, formed);
	}
	struct merkle_stack at_m = real;
	char *small = sign_at(&fake), *honest = sign_at(&real);
	for (size_t i = m; i < n; i++)
		merkle_stack_push(&real, leaves[i], formed);
	char *large = sign_at(&real);
	struct edge_tree et = {&at_m, (const uint8_t (*)[32])leaves + m, n - m};
	struct merkle_reader r;
	edge_tree_reader(&et, &r);
	char *proof = fork_proof_make(&r, m, n);
	char origin[NOTE_MAX_NAME + 1], why[256];
	if (!proof)
		abort();
	if (!fork_evidence_check(small, strlen(small), large, strlen(large), proof, strlen(proof),
				 &log_key.pub, 1, origin, why, sizeof why))
		abort();    /* a forged prefix must be proven a fork */
	if (fork_evidence_check(honest, strlen(honest), large, strlen(large), proof, strlen(proof),
				&log_key.pub, 1, origin, why, sizeof why))
		abort();    /* an honest older checkpoint must not */
	free(proof);
	free(small);
	free(honest);
	free(large);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		char origin[NOTE_MAX_NAME + 1], why[256];
		char *text = malloc(size);  /* exact size: reads past the end are caught */
		memcpy(text, data + 1, size - 1);
		fork_evidence_file_check(text, size - 1, &log_key.pub, 1, origin, why, sizeof why);
		free(text);
		return 0;
	}
	if (size < 4)
		return 0;
	size_t n = size - 2 > MAX_LEAVES ? MAX_LEAVES : size - 2;
	size_t m = 1 + data[1] % (n - 1);   /* 1 <= m < n */
	forged(data + 2, n, m);
	return 0;
}
