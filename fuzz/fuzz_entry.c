/*
 * libFuzzer harness: the JSON scanner and the entry parsers.
 *
 * The input is one document: a chain-append input line and a stored entry
 * (the bytes an auditor reads from a bundle or a store).  It goes through
 * json_scan and every accessor on its tokens, entry_input_parse, and
 * entry_parse with the log and index the entry itself names (so that the
 * fuzzer gets past the envelope checks) and with none.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "json_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk every token through the accessors, checking the invariants the header promises. */
static void walk_tokens(const struct json_doc *doc, size_t len)
{
	char small[8], big[300];
	for (size_t t = 0; t < doc->ntok; t++) {
		const struct json_token *k = &doc->tok[t];
		if (k->start > k->end || k->end > len || k->next <= t || k->next > doc->ntok)
			abort();
		switch (k->kind) {
		case JSON_K_STRING: {
			bool has_nul;
			size_t n = jscan_string_bytes(doc, t, &has_nul);
			bool fits = jscan_string_copy(doc, t, big, sizeof big);
			if (fits != (n < sizeof big))
				abort();
			if (fits && !has_nul && !jscan_string_equals(doc, t, big))
				abort();
			(void)jscan_string_copy(doc, t, small, sizeof small);
			(void)jscan_string_equals(doc, t, "type");
			break;
		}
		case JSON_K_NUMBER: {
			int64_t v;
			if (jscan_integer(doc, t, &v) && !k->integer)
				abort();
			break;
		}
		case JSON_K_OBJECT:
			(void)jscan_find(doc, t, "body");
			(void)jscan_find(doc, t, "");
			break;
		default:
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: any read past the end is caught. */
	char *buf = malloc(size ? size : 1);
	struct json_doc doc = {0};
	struct entry_input in;
	struct entry_view view;
	char err[256], log[257];
	const char *expect_log = NULL;
	int64_t index = 0;

	memcpy(buf, data, size);
	if (json_scan(&doc, buf, size, err, sizeof err)) {
		walk_tokens(&doc, size);
		if (doc.tok[0].kind == JSON_K_OBJECT) {
			long l = jscan_find(&doc, 0, "log"), i = jscan_find(&doc, 0, "index");
			if (l >= 0 && doc.tok[l].kind == JSON_K_STRING &&
			    jscan_string_copy(&doc, (size_t)l, log, sizeof log))
				expect_log = log;
			if (i < 0 || !jscan_integer(&doc, (size_t)i, &index) || index < 0)
				index = 0;
		}
	}
	if (entry_input_parse(buf, size, &doc, &in, err, sizeof err)) {
		if (!in.type || in.body < buf || in.body_len > size ||
		    (size_t)(in.body - buf) > size - in.body_len)
			abort();
	}
	if (entry_parse(buf, size, expect_log, (uint64_t)index, &doc, &view, err, sizeof err)) {
		if (!view.type || view.body >= doc.ntok || doc.tok[view.body].kind != JSON_K_OBJECT)
			abort();
	}
	(void)entry_parse(buf, size, NULL, 0, &doc, &view, err, sizeof err);
	json_doc_free(&doc);
	free(buf);
	return 0;
}
