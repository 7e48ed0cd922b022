/*
 * libFuzzer harness: the private store's input.
 *
 * The input is one chain-private add line (or a stored record's JSON, or an
 * ID).  It goes through person_parse_json in both forms; what parses must
 * pass person_check, and its stored form, written with person_format_json,
 * must parse again to the same person.  It also goes through
 * mail_address_valid and person_id_parse (an ID that parses prints as the
 * input).  Persons are zeroed as the callers do.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "private_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct person *p, struct json_doc *doc)
{
	char err[256], json[PERSON_JSON_MAX];
	struct person again;
	struct person stored = *p;
	if (!person_check(p, err, sizeof err))
		abort();
	if (!stored.registered[0])
		memcpy(stored.registered, "2025-04-01T00:00:00Z", 21);
	size_t n = person_format_json(&stored, json);
	if (n > sizeof json || !person_parse_json(json, n, doc, true, &again, err, sizeof err) ||
	    memcmp(&again, &stored, sizeof again) != 0)
		abort();
	sodium_memzero(&again, sizeof again);
	sodium_memzero(&stored, sizeof stored);
	sodium_memzero(json, sizeof json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy for the JSON scanner; a NUL-terminated one for the string checks. */
	char *text = malloc(size ? size : 1), *s = malloc(size + 1);
	struct json_doc doc = {0};
	struct person p;
	char err[256];
	uint8_t id[PERSON_ID_BYTES];

	memcpy(text, data, size);
	memcpy(s, data, size);
	s[size] = '\0';
	for (int stored = 0; stored < 2; stored++)
		if (person_parse_json(text, size, &doc, stored, &p, err, sizeof err))
			roundtrip(&p, &doc);
	sodium_memzero(&p, sizeof p);
	if (mail_address_valid(s) && strlen(s) > PERSON_MAX_MAIL)
		abort();
	if (person_id_parse(s, id)) {
		char again[PERSON_ID_TEXT + 1];
		person_id_format(again, id);
		if (strcmp(again, s) != 0)
			abort();
	}
	json_doc_free(&doc);
	free(text);
	free(s);
	return 0;
}
