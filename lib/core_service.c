/*
 * The core service: the entry types every ledger has (free-text notes,
 * document attestations and revocations), the rule that only the issuing
 * node revokes, and the views of attestations by document and of
 * revocations by revoked entry that cert-check reads.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "append.h"
#include "codec.h"
#include "entry.h"
#include "entry_index.h"
#include "ledger.h"
#include "payload.h"
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

#define REASON_MAX 32

static const struct field_spec revoke_fields[] = {
	{"ref", FIELD_REF, true, 0, true},
	{"reason", FIELD_STRING, true, REASON_MAX, false},
	{NULL, 0, false, 0, false},
};

/* Why an entry is revoked: a closed list, so that every reader can act on it. */
static const char *const revoke_reasons[] = {"superseded", "withdrawn", "error", "key-compromise", NULL};

static bool revoke_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	long v = jscan_find(doc, body, "reason");
	for (const char *const *r = revoke_reasons; v >= 0 && *r; r++)
		if (jscan_string_equals(doc, (size_t)v, *r))
			return true;
	snprintf(err, errlen, "body.reason must be superseded, withdrawn, error or key-compromise");
	return false;
}

static const struct entry_type types[] = {
	{"note", "free text", note_fields, NULL, NULL},
	{"doc.attest", "a document's SHA-256, issuer, issue time and kind", doc_attest_fields, NULL, NULL},
	{"revoke", "the revocation of an entry of this log, by its leaf hash, with a reason", revoke_fields,
	 revoke_check, NULL},
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

/* Start a view's item about entry e: {"log":origin,"index":n,"leaf_hash":hex (the object left open). */
static void start_item(struct view_text *t, const struct view_entry *e)
{
	char leaf[65];
	hex32(leaf, e->leaf_hash);
	view_text_str(t, "{\"log\":");
	view_text_json_string(t, e->origin);
	view_text_str(t, ",\"index\":");
	view_text_int(t, (int64_t)e->index);
	view_text_str(t, ",\"leaf_hash\":\"");
	view_text_str(t, leaf);
	view_text_str(t, "\"");
}

/*
 * Append item to the JSON array stored at key in view (a new array when
 * there is none).  An item that would take the value past VIEW_MAX_VALUE
 * is left out: the entry index still finds every entry.
 */
static int append_to_array(struct view_state *s, const char *view, const char *key,
			   const struct view_text *item, struct chobo_error *err)
{
	struct view_text value = {0};
	const char *old;
	size_t olen;
	int rc = view_get(s, key, &old, &olen, err);
	if (rc == EX_UNAVAILABLE) {
		rc = 0;
		view_text_str(&value, "[");
	} else if (rc == 0 && olen >= 2 && old[0] == '[' && old[olen - 1] == ']') {
		view_text_add(&value, old, olen - 1);
		view_text_str(&value, ",");
	} else if (rc == 0) {
		rc = chobo_fail(err, EX_DATAERR, "%s: the stored value of %s is not an array; "
				"run chain-verify --views", view, key);
	}
	if (rc == 0) {
		view_text_add(&value, item->p, item->len);
		view_text_str(&value, "]");
		if (value.len <= VIEW_MAX_VALUE)
			rc = view_put(s, key, value.p, value.len, err);
	}
	view_text_free(&value);
	return rc;
}

/*
 * key: the document's sha256; value: the array of its attestations in merge
 * order, each {"log","index","leaf_hash","issuer","kind","issued","expires"?}
 * with times in UTC.
 */
static int attestations_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char sha[65], issuer[ISSUER_MAX + 1], kind[KIND_MAX + 1];
	struct view_text item = {0};
	int rc = 0;
	if (!body_string(e, "sha256", sha, sizeof sha) || !body_string(e, "issuer", issuer, sizeof issuer) ||
	    !body_string(e, "kind", kind, sizeof kind))
		return chobo_fail(err, EX_DATAERR, "core.attestations: %s entry %llu: a malformed doc.attest",
				  e->origin, (unsigned long long)e->index);
	start_item(&item, e);
	view_text_str(&item, ",\"issuer\":");
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

	rc = append_to_array(s, "core.attestations", sha, &item, err);
out:
	view_text_free(&item);
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

/* -------------------------------------------------------- core.revocations */

/*
 * key: the revoked entry's leaf hash; value: the array of the revoke
 * entries that name it, from every log, in merge order, each
 * {"log","index","leaf_hash","time","reason"} (leaf_hash is the revoke
 * entry's own, time its entry time in UTC).  Only those in the revoked
 * entry's own log count (the rule below keeps this node's to one); a
 * reader filters by "log".
 */
static int revocations_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char ref[65], reason[REASON_MAX + 1], time[21];
	if (!body_string(e, "ref", ref, sizeof ref) || !body_string(e, "reason", reason, sizeof reason))
		return chobo_fail(err, EX_DATAERR, "core.revocations: %s entry %llu: a malformed revoke",
				  e->origin, (unsigned long long)e->index);
	struct view_text item = {0};
	time_format(time, e->time);
	start_item(&item, e);
	view_text_str(&item, ",\"time\":\"");
	view_text_str(&item, time);
	view_text_str(&item, "\",\"reason\":");
	view_text_json_string(&item, reason);
	view_text_str(&item, "}");
	int rc = append_to_array(s, "core.revocations", ref, &item, err);
	view_text_free(&item);
	return rc;
}

static const char *const revocation_types[] = {"revoke", NULL};

static const struct view_spec revocations = {
	.name = "core.revocations",
	.summary = "every revocation of an entry, by the revoked entry's leaf hash, in merge order",
	.types = revocation_types,
	.version = 1,
	.apply = revocations_apply,
};

static const struct view_spec *const views[] = {&attestations, &revocations, NULL};

/* ------------------------------------------------------------------ rules */

struct own_count {
	uint32_t log;
	unsigned n;
};

static int count_own(void *ctx, uint32_t log, uint64_t index)
{
	struct own_count *c = ctx;
	(void)index;
	c->n += log == c->log;
	return 0;
}

/*
 * One revoke of the batch (already written, and indexed): its ref must be
 * an entry of this node's own log, a note or an entry a payload names (a
 * revocation is read by cert-check and by whoever reads a note; no service
 * undoes a reading, a movement or a need for one, so a revoke of such an
 * entry would change nothing while saying it did), and named by no other
 * revoke of this log.  0, or EX_DATAERR with err, or another code.
 */
static int revoke_allowed(struct ledger *l, const char *ref, struct json_doc *doc, struct chobo_error *err)
{
	uint8_t hash[32];
	uint32_t log;
	uint64_t index;
	if (!hex_decode(hash, sizeof hash, ref))
		return chobo_fail(err, EX_SOFTWARE, "revoke: a checked ref that is not a hash");
	int rc = ledger_find_leaf(l, hash, &log, &index, err);
	if (rc == EX_NOINPUT || (rc == 0 && log != l->log_id))
		return chobo_fail(err, EX_DATAERR, "revoke: %s is not an entry of this node's log %s: only "
				  "the issuing node revokes an entry", ref, l->conf.origin);
	const char *bytes;
	size_t len;
	if (rc != 0 || (rc = ledger_entry(l, log, index, &bytes, &len, err)) != 0)
		return rc;
	struct entry_view v;
	char why[256];
	if (!entry_parse(bytes, len, l->conf.origin, index, doc, &v, why, sizeof why))
		return chobo_fail(err, EX_DATAERR, "revoke: entry %llu of %s: %s; run chain-verify",
				  (unsigned long long)index, l->conf.origin, why);
	if (strcmp(v.type->name, "revoke") == 0)
		return chobo_fail(err, EX_DATAERR, "revoke: entry %llu (%s) is itself a revocation",
				  (unsigned long long)index, ref);
	if (strcmp(v.type->name, "note") != 0 && !payload_kind_summary(v.type->name))
		return chobo_fail(err, EX_DATAERR, "revoke: entry %llu (%.16s) is a %s, which nothing reads "
				  "revocations of: only notes, attestations, box labels' shipments and volunteer "
				  "certificates are revoked; a service's records change by its own entries",
				  (unsigned long long)index, ref, v.type->name);
	struct own_count c = {.log = l->log_id};
	if ((rc = entry_index_each_key(l->store, "revoke", "ref", ref, count_own, &c, err)) != 0)
		return rc;
	if (c.n > 1)
		return chobo_fail(err, EX_DATAERR, "revoke: entry %llu (%s) is already revoked",
				  (unsigned long long)index, ref);
	return 0;
}

/* Only the issuing node revokes, once, and never a revocation. */
static int core_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	const struct batch *b = w->b;
	struct json_doc body = {0}, entry = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		const struct batch_item *it = &b->items[i];
		char why[256], ref[65];
		long v;
		if (strcmp(it->type->name, "revoke") != 0)
			continue;
		if (!json_scan(&body, b->buf + it->off, it->len, why, sizeof why) ||
		    (v = jscan_find(&body, 0, "ref")) < 0 || !jscan_string_copy(&body, (size_t)v, ref, sizeof ref))
			rc = chobo_fail_entry(err, EX_SOFTWARE, b->base + i + 1, "a revoke without its ref");
		else
			rc = revoke_allowed(l, ref, &entry, err);
	}
	json_doc_free(&body);
	json_doc_free(&entry);
	return rc;
}

const struct service core_service = {
	.name = "core",
	.summary = "notes, document attestations and revocations",
	.types = types,
	.views = views,
	.append_check = core_append_check,
};
