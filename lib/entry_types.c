/*
 * The registry of entry types.  A service adds its types here: a field list,
 * and where fields depend on each other, a check function.
 */
#include "config.h"

#include <stddef.h>

#include "entry.h"

static const struct field_spec note_fields[] = {
	{"text", FIELD_STRING, true, 16384},
	{NULL, 0, false, 0},
};

static const struct field_spec doc_attest_fields[] = {
	{"sha256", FIELD_SHA256, true, 0},
	{"issuer", FIELD_STRING, true, 256},
	{"issued", FIELD_TIME, true, 0},
	{"kind", FIELD_STRING, true, 64},
	{"expires", FIELD_TIME, false, 0},
	{"ref", FIELD_REF, false, 0},
	{NULL, 0, false, 0},
};

static const struct entry_type types[] = {
	{"note", "free text", note_fields, NULL, NULL},
	{"doc.attest", "a document's SHA-256, issuer, issue time and kind", doc_attest_fields, NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

const struct entry_type *entry_types(void)
{
	return types;
}
