/*
 * libFuzzer harness: the peer messages of chain-sync.
 *
 * The input is what a peer sends: the JSON Lines that "chobo-heads" prints
 * ({"log","size","root","checkpoint"}) or reads ({"log","size","signers"},
 * through sync_heads_request_read), a "chobo-sync" answer (those heads, a
 * {"bundles":[{"log","bytes"}]} line and bytes, through sync_session_read),
 * the request lines of "chobo-cosign"
 * ({"log","size","cosignature"}) or its answer ({"log","ok",...}).  The
 * heads and the answer go through the readers chain-sync uses
 * (sync_heads_read, sync_cosign_answers_read) over fmemopen; the request
 * lines are read with jsonl_next with serve_cosign's bound, and all of it as
 * a file a person saved (jsonl_init_edited).  Then the harness
 * runs what chain-sync runs on the fields without a ledger: the peer's
 * checkpoint through note_split, note_find_signature and
 * checkpoint_verify, and each cosignature line through the check that
 * cosignature_add makes (the line alone under a held checkpoint's text,
 * verified with note_verify against a trust set).  The held checkpoint and
 * the keys are the public vectors of spec/tlog.md §6.4.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "checkpoint.h"
#include "codec.h"
#include "jsonl.h"
#include "sync_protocol.h"
#include "note.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const vkeys[] = {
	"arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f",
	"remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
	"transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
	"witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
};
#define NKEYS (sizeof vkeys / sizeof vkeys[0])

/* The checkpoint "held" by this node: the text of §6.4. */
static const char held_text[] =
	"arche2025h1.staging.ct.transparency.dev\n"
	"1432088532\n"
	"U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n";

static struct note_verifier keys[NKEYS];
static bool keys_ready;

static void load_keys(void)
{
	const char *why;
	for (size_t k = 0; k < NKEYS; k++)
		if (!note_vkey_parse(vkeys[k], &keys[k], &why))
			abort();
	keys_ready = true;
}

/* cosignature_add's checks of one line, without the store. */
static void check_cosignature(const char *line, size_t len)
{
	const char *why;
	bool verified[NKEYS];
	size_t tlen = sizeof held_text - 1, existing;
	if (len < 6 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		return;
	char *single = malloc(tlen + 1 + len);
	memcpy(single, held_text, tlen);
	single[tlen] = '\n';
	memcpy(single + tlen + 1, line, len);
	if (note_verify(single, tlen + 1 + len, keys, NKEYS, verified, NULL, &why))
		for (size_t k = 0; k < NKEYS; k++)
			if (verified[k] && keys[k].type == NOTE_TYPE_COSIGNATURE &&
			    !note_find_signature(single, tlen + 1 + len, &keys[k], &existing))
				abort();
	free(single);
}

/* A head as sync_heads_read keeps it, and its checkpoint as cosignatures_merge reads it. */
static void check_head(json_t *obj)
{
	const char *origin = json_string_value(json_object_get(obj, "log"));
	json_t *size = json_object_get(obj, "size");
	json_t *note = json_object_get(obj, "checkpoint");
	const char *root = json_string_value(json_object_get(obj, "root"));
	const char *text = json_string_value(note), *why;
	struct note_parts parts;
	struct checkpoint cp;
	bool verified[NKEYS];
	size_t have;
	uint8_t hash[32];
	if (!origin || !checkpoint_origin_valid(origin) || !json_is_integer(size) ||
	    json_integer_value(size) < 0)
		__builtin_trap();   /* sync_heads_read keeps only valid heads */
	if (root)
		(void)hex_decode(hash, sizeof hash, root);
	if (!text)
		return;
	size_t len = json_string_length(note);
	if (note_split(text, len, &parts, &why)) {
		for (const char *q = parts.sigs, *end = text + len; q < end;) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));
			check_cosignature(q, (size_t)(nl - q) + 1);
			q = nl + 1;
		}
	}
	for (size_t k = 0; k < NKEYS; k++)
		(void)note_find_signature(text, strlen(text), &keys[k], &have);
	(void)checkpoint_verify(text, len, keys, NKEYS, &cp, verified, &why);
}

/* Heads as a reader keeps them: within the bound, each valid; freed. */
static void check_heads(json_t *heads)
{
	size_t i;
	json_t *v;
	if (json_array_size(heads) > SYNC_MAX_HEADS)
		__builtin_trap();
	json_array_foreach(heads, i, v)
		check_head(v);
	json_decref(heads);
}

/* A request line as serve_cosign takes it. */
static void check_request(json_t *v)
{
	const char *origin = json_string_value(json_object_get(v, "log"));
	const char *line = json_string_value(json_object_get(v, "cosignature"));
	json_t *size = json_object_get(v, "size");
	if (origin && line && json_is_integer(size) && json_integer_value(size) >= 0)
		check_cosignature(line, strlen(line));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "rb");
	struct jsonl_reader r;
	json_t *obj, *kept = json_array();
	char err[256];
	size_t i;
	json_t *v;
	if (!keys_ready)
		load_keys();
	/* The serving side's command line: what SSH_ORIGINAL_COMMAND may hold. */
	char *cmd = malloc(size + 1), origin[NOTE_MAX_NAME + 1];
	uint64_t since;
	if (cmd) {
		memcpy(cmd, data, size);
		cmd[size] = '\0';
		if (sync_parse_command(cmd, origin, &since) == SYNC_EXPORT && !checkpoint_origin_valid(origin))
			__builtin_trap();
		free(cmd);
	}
	if (!in) {
		json_decref(kept);
		return 0;
	}
	/* As heads: what the reader keeps has a valid origin and size. */
	json_t *heads = json_array();
	struct chobo_error e;
	(void)sync_heads_read(in, heads, &e);
	check_heads(heads);
	/* As a heads request: every kept line names a valid log, a size and signers' key IDs. */
	rewind(in);
	json_t *request = json_object();
	const char *rlog;
	(void)sync_heads_request_read(in, request, &e);
	if (json_object_size(request) > SYNC_MAX_HEADS)
		__builtin_trap();
	json_object_foreach(request, rlog, v) {
		json_t *rsize = json_object_get(v, "size"), *signers = json_object_get(v, "signers"), *id;
		size_t k;
		if (!checkpoint_origin_valid(rlog) || !json_is_integer(rsize) || json_integer_value(rsize) < 0 ||
		    !json_is_array(signers) || json_array_size(signers) > SYNC_MAX_SIGNERS)
			__builtin_trap();
		json_array_foreach(signers, k, id)
			if (!json_is_string(id) || json_string_length(id) != 8)
				__builtin_trap();
	}
	json_decref(request);
	/* As a chobo-sync answer: valid heads, bundles of valid logs and sizes, and where their bytes start. */
	rewind(in);
	heads = json_array();
	json_t *bundles = json_array();
	if (sync_session_read(in, heads, bundles, &e) == 0) {
		long at = ftell(in);
		if (at < 0 || (size_t)at > size || json_array_size(bundles) > SYNC_MAX_HEADS)
			__builtin_trap();
		json_array_foreach(bundles, i, v) {
			const char *blog = json_string_value(json_object_get(v, "log"));
			json_t *bytes = json_object_get(v, "bytes");
			if (!blog || !checkpoint_origin_valid(blog) || !json_is_integer(bytes) ||
			    json_integer_value(bytes) < 0)
				__builtin_trap();
		}
	}
	check_heads(heads);
	json_decref(bundles);
	/* As a cosign answer to two requests. */
	rewind(in);
	json_t *sent = json_pack("[s, s]", "test.example/n2", "test.example/n3");
	size_t accepted;
	if (sync_cosign_answers_read(in, sent, &accepted, &e) == 0 && accepted != 2)
		__builtin_trap();
	json_decref(sent);
	/* As cosign requests. */
	rewind(in);
	jsonl_init(&r, in, "peer");
	while (json_array_size(kept) < 10000 && jsonl_next(&r, &obj, err, sizeof err) == JSONL_OK)
		json_array_append_new(kept, obj);
	jsonl_free(&r);
	/*
	 * As a file a person saved (chain-append, chain-private, cert-check read
	 * theirs with jsonl_init_edited): no line handed out starts with a byte
	 * order mark, is blank, or is longer than the bound.
	 */
	rewind(in);
	jsonl_init_edited(&r, in, "file");
	for (int k = 0; k < 10000; k++) {
		const char *line;
		size_t len;
		enum jsonl_status st = jsonl_next_line(&r, &line, &len, err, sizeof err);
		if (st != JSONL_OK && st != JSONL_BAD)
			break;
		if (st == JSONL_OK && (utf8_bom_length(line, len) > 0 || strspn(line, " \t\r") >= len ||
				       len > CHOBO_MAX_LINE))
			__builtin_trap();
	}
	jsonl_free(&r);
	fclose(in);
	json_array_foreach(kept, i, v)
		check_request(v);
	json_decref(kept);
	return 0;
}
