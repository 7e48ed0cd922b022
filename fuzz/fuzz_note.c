/*
 * libFuzzer harness: signed notes and checkpoints.
 *
 * The input is a signed note as a peer or a bundle hands it over.  It goes
 * through note_split, note_verify and note_find_signature against a fixed set
 * of keys from the public test vectors (spec/tlog.md §6.3 and §6.4: log keys
 * of type 0x01 and witness keys of type 0x04), checkpoint_parse_text on its
 * text, and checkpoint_verify.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const vkeys[] = {
	"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	"EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
	"arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f",
	"remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
	"transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
	"witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
};
#define NKEYS (sizeof vkeys / sizeof vkeys[0])

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = malloc(size ? size : 1);  /* exact size: reads past the end are caught */
	struct note_parts parts;
	struct checkpoint cp;
	bool verified[NKEYS];
	uint64_t timestamps[NKEYS];
	const char *why;
	size_t line_len;

	if (!keys_ready)
		load_keys();
	memcpy(msg, data, size);
	if (note_split(msg, size, &parts, &why)) {
		if (parts.text != msg || parts.text_len == 0 || parts.text[parts.text_len - 1] != '\n' ||
		    parts.sigs != msg + parts.text_len + 1 || parts.text_len + 1 + parts.sigs_len != size ||
		    parts.nsigs == 0 || parts.nsigs > NOTE_MAX_SIGNATURES)
			abort();
		(void)checkpoint_parse_text(parts.text, parts.text_len, &cp, &why);
	}
	/* The text alone, as chain-sync and the store hand it to the parser too. */
	if (checkpoint_parse_text(msg, size, &cp, &why) &&
	    (!checkpoint_origin_valid(cp.origin) || cp.size > (UINT64_C(1) << 48)))
		abort();
	(void)note_verify(msg, size, keys, NKEYS, verified, timestamps, &why);
	(void)note_verify(msg, size, keys, NKEYS, verified, NULL, &why);
	for (size_t k = 0; k < NKEYS; k++) {
		const char *line = note_find_signature(msg, size, &keys[k], &line_len);
		if (line && (line < msg || line_len > size || (size_t)(line - msg) > size - line_len ||
			     line[line_len - 1] != '\n'))
			abort();
	}
	(void)checkpoint_verify(msg, size, keys, NKEYS, &cp, verified, &why);
	(void)checkpoint_verify(msg, size, keys, NKEYS, &cp, NULL, &why);
	(void)checkpoint_verify(msg, size, NULL, 0, &cp, NULL, &why);
	free(msg);
	return 0;
}
