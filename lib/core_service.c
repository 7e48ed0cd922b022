/*
 * The core service: the entry types every ledger has (free-text notes and
 * document attestations), with no settings and no views of its own.
 */
#include "config.h"

#include <stddef.h>

#include "entry.h"
#include "service.h"

static const struct field_spec note_fields[] = {
	{"text", FIELD_STRING, true, 16384, false},
	{NULL, 0, false, 0, false},
};

static const struct field_spec doc_attest_fields[] = {
	{"sha256", FIELD_SHA256, true, 0, true},
	{"issuer", FIELD_STRING, true, 256, false},
	{"issued", FIELD_TIME, true, 0, false},
	{"kind", FIELD_STRING, true, 64, false},
	{"expires", FIELD_TIME, false, 0, false},
	{"ref", FIELD_REF, false, 0, true},
	{NULL, 0, false, 0, false},
};

static const struct entry_type types[] = {
	{"note", "free text", note_fields, NULL, NULL},
	{"doc.attest", "a document's SHA-256, issuer, issue time and kind", doc_attest_fields, NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

const struct service core_service = {
	.name = "core",
	.summary = "notes and document attestations",
	.types = types,
};
