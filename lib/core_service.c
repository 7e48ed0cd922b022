/*
 * The core service: the entry types every ledger has (free-text notes and
 * document attestations), and the view of attestations by document that
 * cert-check reads.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "codec.h"
#include "entry.h"
#include "service.h"
#include "view.h"

static const struct field_spec note_fields[] = {
	{"text", FIELD_STRING, true, 16384, false},
	{NULL, 0, false, 0, false},
};

#define ISSUER_MAX 256
#define KIND_MAX 64

static const struct field_spec doc_attest_fields[] = {
	{"sha256", FIELD_SHA256, true, 0, true},
	{"issuer", FIELD_STRING, true, ISSUER_MAX, false},
	{"issued", FIELD_TIME, true, 0, false},
	{"kind", FIELD_STRING, true, KIND_MAX, false},
	{"expires", FIELD_TIME, false, 0, false},
	{"ref", FIELD_REF, false, 0, true},
	{NULL, 0, false, 0, false},
};

static const struct entry_type types[] = {
	{"note", "free text", note_fields, NULL, NULL},
	{"doc.attest", "a document's SHA-256, issuer, issue time and kind", doc_attest_fields, NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------- core.attestations */

/* The string field name of the body, decoded into out; false when absent or too long. */
static bool body_string(const struct view_entry *e, const char *name, char *out, size_t cap)
{
	long v = jscan_find(e->doc, e->body, name);
	return v >= 0 && jscan_string_copy(e->doc, (size_t)v, out, cap);
}

/* Append ,"name":"time" with the body's time field in UTC (seconds); false when malformed. */
static bool add_time(struct view_text *t, const struct view_entry *e, const char *name)
{
	char given[64], utc[21];
	int64_t sec;
	if (!body_string(e, name, given, sizeof given) || !time_parse(given, &sec))
		return false;
	time_format(utc, sec);
	view_text_str(t, ",\"");
	view_text_str(t, name);
	view_text_str(t, "\":\"");
	view_text_str(t, utc);
	view_text_str(t, "\"");
	return true;
}

/*
 * key: the document's sha256; value: the array of its attestations in merge
 * order, each {"log","index","leaf_hash","issuer","kind","issued","expires"?}
 * with times in UTC.  An attestation that would take the value past
 * VIEW_MAX_VALUE is left out (the key index still finds every one).
 */
static int attestations_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char sha[65], issuer[ISSUER_MAX + 1], kind[KIND_MAX + 1], leaf[65];
	struct view_text item = {0}, value = {0};
	int rc = 0;
	if (!body_string(e, "sha256", sha, sizeof sha) || !body_string(e, "issuer", issuer, sizeof issuer) ||
	    !body_string(e, "kind", kind, sizeof kind))
		return chobo_fail(err, EX_DATAERR, "core.attestations: %s entry %llu: a malformed doc.attest",
				  e->origin, (unsigned long long)e->index);
	hex32(leaf, e->leaf_hash);
	view_text_str(&item, "{\"log\":");
	view_text_json_string(&item, e->origin);
	view_text_str(&item, ",\"index\":");
	view_text_int(&item, (int64_t)e->index);
	view_text_str(&item, ",\"leaf_hash\":\"");
	view_text_str(&item, leaf);
	view_text_str(&item, "\",\"issuer\":");
	view_text_json_string(&item, issuer);
	view_text_str(&item, ",\"kind\":");
	view_text_json_string(&item, kind);
	if (!add_time(&item, e, "issued") ||
	    (jscan_find(e->doc, e->body, "expires") >= 0 && !add_time(&item, e, "expires"))) {
		rc = chobo_fail(err, EX_DATAERR, "core.attestations: %s entry %llu: a malformed time",
				e->origin, (unsigned long long)e->index);
		goto out;
	}
	view_text_str(&item, "}");

	const char *old;
	size_t olen;
	rc = view_get(s, sha, &old, &olen, err);
	if (rc == EX_UNAVAILABLE) {
		rc = 0;
		view_text_str(&value, "[");
	} else if (rc == 0 && olen >= 2 && old[0] == '[' && old[olen - 1] == ']') {
		view_text_add(&value, old, olen - 1);
		view_text_str(&value, ",");
	} else if (rc == 0) {
		rc = chobo_fail(err, EX_DATAERR, "core.attestations: the stored value of %s is not an array; "
				"run chain-verify --views", sha);
	}
	if (rc != 0)
		goto out;
	view_text_add(&value, item.p, item.len);
	view_text_str(&value, "]");
	if (value.len <= VIEW_MAX_VALUE)
		rc = view_put(s, sha, value.p, value.len, err);
out:
	view_text_free(&item);
	view_text_free(&value);
	return rc;
}

static const char *const attestation_types[] = {"doc.attest", NULL};

static const struct view_spec attestations = {
	.name = "core.attestations",
	.summary = "every attestation of a document, by its SHA-256, in merge order",
	.types = attestation_types,
	.version = 1,
	.apply = attestations_apply,
};

static const struct view_spec *const views[] = {&attestations, NULL};

const struct service core_service = {
	.name = "core",
	.summary = "notes and document attestations",
	.types = types,
	.views = views,
};
