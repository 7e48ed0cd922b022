/*
 * The supply service's views, reduced in the merge order (DESIGN §5.1):
 *
 *   supply.catalogue  item code -> the latest supply.item for it
 *   supply.sites      site code -> the latest supply.site for it
 *   supply.lines      "need/H", "offer/H", "request/H", "box/H" (H a leaf hash)
 *                     -> the line's quantities and state (struct supply_line);
 *                     and the open index (supply.h): "open/need/I/U/H" for each need
 *                     with something open or pledges not yet requested,
 *                     "open/offer/I/U/M/H" for each offer with
 *                     something left (I the item, U the unit, M the offer's allergen
 *                     bits) -> what matching reads; and "ref/O+R" for the first need,
 *                     offer or request of log O with body.ref R -> its leaf hash, a JSON string (origins hold
 *                     no '+', so the key names one pair), which makes a re-post of
 *                     a sheet's rows post nothing twice (supply-post)
 *
 * The rules of supply.lines, the same on every node because they follow the
 * merge order only:
 *  - a request takes from its offer only when the offer still has at least
 *    the requested quantity left (offered minus what earlier requests took);
 *    else it is unfilled and takes nothing: the earlier claim wins;
 *  - a box counts only when its request still has at least the box's
 *    quantity unshipped; else the box is unfilled;
 *  - the first receipt of a box counts; a later one changes nothing;
 *  - a cancelled need has nothing open; a cancelled offer has nothing left
 *    for new requests; a cancelled request keeps only what was shipped of it;
 *  - an entry whose reference is not (yet) in the view changes nothing
 *    (appends refuse such references, rules.c).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "entry_index.h"
#include "ledger.h"
#include "match.h"
#include "supply.h"

/* ------------------------------------------------------------ body fields */

static void body_string(const struct view_entry *e, const char *name, char *out, size_t cap)
{
	long v = jscan_find(e->doc, e->body, name);
	if (v < 0 || !jscan_string_copy(e->doc, (size_t)v, out, cap))
		out[0] = '\0';
}

static int64_t body_int(const struct view_entry *e, const char *name)
{
	int64_t n;
	long v = jscan_find(e->doc, e->body, name);
	return v >= 0 && jscan_integer(e->doc, (size_t)v, &n) ? n : 0;
}

static void entry_place(struct supply_line *ln, const struct view_entry *e, enum supply_kind kind)
{
	memset(ln, 0, sizeof *ln);
	ln->kind = kind;
	snprintf(ln->log, sizeof ln->log, "%s", e->origin);
	ln->index = e->index;
	time_format(ln->time, e->time);
	hex32(ln->leaf_hash, e->leaf_hash);
}

/* ------------------------------------------------- catalogue and sites */

/* key: the body's code; value: {"leaf_hash","log","index","time","body"} of the latest entry. */
static int registry_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char code[SUPPLY_CODE_MAX + 1];
	struct supply_line where;
	body_string(e, "code", code, sizeof code);
	if (!code[0])
		return chobo_fail(err, EX_DATAERR, "%s: %s entry %" PRIu64 " has no code", e->type->name,
				  e->origin, e->index);
	entry_place(&where, e, SUPPLY_NEED);
	struct view_text t = {0};
	view_text_str(&t, "{\"leaf_hash\":\"");
	view_text_str(&t, where.leaf_hash);
	view_text_str(&t, "\",\"log\":");
	view_text_json_string(&t, e->origin);
	view_text_str(&t, ",\"index\":");
	view_text_int(&t, (int64_t)e->index);
	view_text_str(&t, ",\"time\":\"");
	view_text_str(&t, where.time);
	view_text_str(&t, "\",\"body\":");
	const struct json_token *b = &e->doc->tok[e->body];
	view_text_add(&t, e->doc->text + b->start, b->end - b->start);
	view_text_str(&t, "}");
	int rc = view_put(s, code, t.p, t.len, err);
	view_text_free(&t);
	return rc;
}

int supply_registry_field(struct view_state *s, const char *code, const char *field, char *out,
			  size_t cap, struct chobo_error *err)
{
	const char *value;
	size_t len;
	out[0] = '\0';
	int rc = view_get(s, code, &value, &len, err);
	if (rc != 0)
		return rc;
	struct json_doc doc = {0};
	char why[128];
	long body, v;
	if (!json_scan(&doc, value, len, why, sizeof why) || (body = jscan_find(&doc, 0, "body")) < 0) {
		json_doc_free(&doc);
		return chobo_fail(err, EX_DATAERR, "the stored record of %s is malformed; run chain-verify --views",
				  code);
	}
	if ((v = jscan_find(&doc, (size_t)body, field)) >= 0) {
		const struct json_token *t = &doc.tok[v];
		if (t->kind == JSON_K_STRING)
			jscan_string_copy(&doc, (size_t)v, out, cap);
		else
			snprintf(out, cap, "%.*s", (int)(t->end - t->start), doc.text + t->start);
	}
	json_doc_free(&doc);
	return 0;
}

int supply_site_closed(struct view_state *sites, const char *code, bool *closed, struct chobo_error *err)
{
	char open[8];
	int rc = supply_registry_field(sites, code, "open", open, sizeof open, err);
	/* A site registered without the field is open: only false closes it. */
	*closed = rc == 0 && strcmp(open, "false") == 0;
	return rc;
}

static const char *const item_types[] = {"supply.item", NULL};
static const char *const site_types[] = {"supply.site", NULL};

const struct view_spec supply_catalogue_view = {
	.name = "supply.catalogue",
	.summary = "the item catalogue: each code's latest supply.item",
	.types = item_types,
	.version = 1,
	.apply = registry_apply,
};

const struct view_spec supply_sites_view = {
	.name = "supply.sites",
	.summary = "shelters and offices: each code's latest supply.site",
	.types = site_types,
	.version = 1,
	.apply = registry_apply,
};

/* ------------------------------------------------------------ lines */

static const char *const kind_names[] = {"need", "offer", "request", "box"};

const char *supply_kind_name(enum supply_kind kind)
{
	return kind_names[kind];
}

void supply_line_key(char out[80], enum supply_kind kind, const char *hex)
{
	snprintf(out, 80, "%s/%s", kind_names[kind], hex);
}

/* What a request still takes from its offer. */
static int64_t request_taken(const struct supply_line *r)
{
	return r->unfilled ? 0 : r->cancelled_by[0] ? r->shipped : r->quantity;
}

/* What an offer commits to the need it is pledged against. */
static int64_t offer_pledge(const struct supply_line *o)
{
	return o->cancelled_by[0] ? o->requested : o->quantity;
}

int64_t supply_need_pledged_waiting(const struct supply_line *ln)
{
	if (ln->kind != SUPPLY_NEED || ln->cancelled_by[0])
		return 0;
	int64_t v = ln->committed - (ln->requested - ln->requested_free);
	return v > 0 ? v : 0;
}

int64_t supply_need_uncovered(const struct supply_line *ln)
{
	if (ln->kind != SUPPLY_NEED || ln->cancelled_by[0])
		return 0;
	return ln->quantity - ln->committed - ln->requested_free;
}

int64_t supply_line_open(const struct supply_line *ln)
{
	int64_t v = 0;
	switch (ln->kind) {
	case SUPPLY_NEED:
		v = supply_need_uncovered(ln);
		break;
	case SUPPLY_OFFER:
		v = ln->cancelled_by[0] ? 0 : ln->quantity - ln->requested;
		break;
	case SUPPLY_REQUEST:
		v = request_taken(ln) - ln->shipped;
		break;
	case SUPPLY_BOX:
		break;
	}
	return v > 0 ? v : 0;
}

bool supply_offer_expired(const struct supply_line *ln, int64_t now)
{
	int64_t end;
	return ln->kind == SUPPLY_OFFER && ln->expiry[0] && supply_expiry_end(ln->expiry, &end) && end <= now;
}

int64_t supply_pledge_lapsed(const struct supply_line *offer, int64_t now)
{
	/* A cancelled offer's pledge holds only what was requested of it: nothing more lapses. */
	if (!offer->need[0] || !supply_offer_expired(offer, now))
		return 0;
	return supply_line_open(offer);
}

int64_t supply_need_open_at(const struct supply_line *ln, int64_t lapsed)
{
	if (ln->kind != SUPPLY_NEED || ln->cancelled_by[0] || lapsed <= 0)
		return supply_line_open(ln);
	/* Unbounded first: pledges beyond what it asked still cover it after one of them lapsed. */
	return supply_need_open_bound(supply_need_uncovered(ln) + lapsed,
				      ln->quantity > ln->requested ? ln->quantity - ln->requested : 0);
}

int64_t supply_need_open_bound(int64_t uncovered, int64_t wanted)
{
	return uncovered < 0 ? 0 : uncovered < wanted ? uncovered : wanted;
}

const char *supply_line_state(const struct supply_line *ln)
{
	switch (ln->kind) {
	case SUPPLY_NEED:
		if (ln->cancelled_by[0])
			return "cancelled";
		if (ln->received >= ln->quantity)
			return "received";
		if (supply_line_open(ln) == 0)
			return "covered";
		return ln->committed + ln->requested_free > 0 ? "partial" : "open";
	case SUPPLY_OFFER:
		if (ln->cancelled_by[0])
			return "cancelled";
		if (supply_line_open(ln) == 0)
			return "taken";
		return ln->requested > 0 ? "partial" : "open";
	case SUPPLY_REQUEST:
		if (ln->unfilled)
			return "unfilled";
		if (ln->shipped >= request_taken(ln) && ln->boxes_received + ln->boxes_lost == ln->boxes &&
		    ln->shipped > 0)
			return "delivered";
		if (ln->cancelled_by[0])
			return "cancelled";
		if (ln->shipped >= ln->quantity)
			return "shipped";
		return ln->shipped > 0 ? "partial" : "requested";
	case SUPPLY_BOX:
		if (ln->unfilled)
			return "unfilled";
		if (ln->receipt[0])
			return ln->found < ln->quantity ? "short" : ln->found > ln->quantity ? "over" : "received";
		return ln->lost_by[0] ? "lost" : "in_transit";
	}
	return "";
}

/* The line's stored value: its fields in one fixed order, those of its kind only. */
static void line_write(struct view_text *t, const struct supply_line *ln)
{
	view_text_str(t, "{\"kind\":\"");
	view_text_str(t, kind_names[ln->kind]);
	view_text_str(t, "\"");
	view_text_member_str(t, "leaf_hash", ln->leaf_hash);
	view_text_member_str(t, "log", ln->log);
	view_text_member_int(t, "index", (int64_t)ln->index);
	view_text_member_str(t, "time", ln->time);
	view_text_member_str(t, ln->firm ? "firm" : "supporter", ln->supporter);
	view_text_member_str(t, "request", ln->request);
	view_text_member_str(t, "offer", ln->offer);
	view_text_member_str(t, "need", ln->need);
	view_text_member_str(t, "site", ln->site);
	view_text_member_str(t, "item", ln->item);
	view_text_member_str(t, "unit", ln->unit);
	view_text_member_str(t, "disaster", ln->disaster);
	view_text_member_str(t, "expiry", ln->expiry);
	view_text_member_str(t, "size", ln->size);
	view_text_member_str(t, "allergen_free", ln->allergen_free);
	view_text_member_str(t, "deadline", ln->deadline);
	if (ln->priority > 0)
		view_text_member_int(t, "priority", (int64_t)ln->priority);
	if (ln->kind == SUPPLY_BOX)
		view_text_member_int(t, "box", (int64_t)ln->box);
	view_text_member_int(t, "quantity", ln->quantity);
	switch (ln->kind) {
	case SUPPLY_NEED:
		view_text_member_int(t, "committed", ln->committed);
		view_text_member_int(t, "requested", ln->requested);
		view_text_member_int(t, "requested_free", ln->requested_free);
		break;
	case SUPPLY_OFFER:
		view_text_member_int(t, "requested", ln->requested);
		break;
	case SUPPLY_REQUEST:
		view_text_member_int(t, "boxes", ln->boxes);
		view_text_member_int(t, "boxes_received", ln->boxes_received);
		view_text_member_int(t, "boxes_lost", ln->boxes_lost);
		break;
	case SUPPLY_BOX:
		break;
	}
	if (ln->kind != SUPPLY_BOX) {
		view_text_member_int(t, "shipped", ln->shipped);
		view_text_member_int(t, "received", ln->received);
		view_text_member_int(t, "lost", ln->lost);
		view_text_member_int(t, "open", supply_line_open(ln));
	} else if (ln->receipt[0]) {
		view_text_member_int(t, "found", ln->found);
	}
	view_text_member_str(t, "receipt", ln->receipt);
	view_text_member_str(t, "received_at", ln->received_at);
	view_text_member_str(t, "discrepancy", ln->discrepancy);
	view_text_member_str(t, "lost_by", ln->lost_by);
	view_text_member_str(t, "lost_at", ln->lost_at);
	view_text_member_str(t, "cancelled_by", ln->cancelled_by);
	if (ln->unfilled)
		view_text_str(t, ",\"unfilled\":true");
	view_text_member_str(t, "state", supply_line_state(ln));
	view_text_str(t, "}");
}

static void get_str(const struct json_doc *d, const char *name, char *out, size_t cap)
{
	long v = jscan_find(d, 0, name);
	if (v < 0 || !jscan_string_copy(d, (size_t)v, out, cap))
		out[0] = '\0';
}

static int64_t get_int(const struct json_doc *d, const char *name)
{
	int64_t n;
	long v = jscan_find(d, 0, name);
	return v >= 0 && jscan_integer(d, (size_t)v, &n) ? n : 0;
}

bool supply_line_parse(const char *value, size_t len, struct supply_line *ln)
{
	struct json_doc d = {0};
	char why[128], kind[16];
	memset(ln, 0, sizeof *ln);
	if (!json_scan(&d, value, len, why, sizeof why) || d.tok[0].kind != JSON_K_OBJECT) {
		json_doc_free(&d);
		return false;
	}
	get_str(&d, "kind", kind, sizeof kind);
	size_t k;
	for (k = 0; k < 4 && strcmp(kind, kind_names[k]) != 0; k++)
		;
	ln->kind = (enum supply_kind)k;
	get_str(&d, "leaf_hash", ln->leaf_hash, sizeof ln->leaf_hash);
	get_str(&d, "log", ln->log, sizeof ln->log);
	ln->index = (uint64_t)get_int(&d, "index");
	get_str(&d, "time", ln->time, sizeof ln->time);
	get_str(&d, "supporter", ln->supporter, sizeof ln->supporter);
	if (!ln->supporter[0]) {
		get_str(&d, "firm", ln->supporter, sizeof ln->supporter);
		ln->firm = ln->supporter[0] != '\0';
	}
	get_str(&d, "request", ln->request, sizeof ln->request);
	get_str(&d, "offer", ln->offer, sizeof ln->offer);
	get_str(&d, "need", ln->need, sizeof ln->need);
	get_str(&d, "site", ln->site, sizeof ln->site);
	get_str(&d, "item", ln->item, sizeof ln->item);
	get_str(&d, "unit", ln->unit, sizeof ln->unit);
	get_str(&d, "disaster", ln->disaster, sizeof ln->disaster);
	get_str(&d, "expiry", ln->expiry, sizeof ln->expiry);
	get_str(&d, "size", ln->size, sizeof ln->size);
	get_str(&d, "allergen_free", ln->allergen_free, sizeof ln->allergen_free);
	get_str(&d, "deadline", ln->deadline, sizeof ln->deadline);
	ln->priority = (uint64_t)get_int(&d, "priority");
	ln->box = (uint64_t)get_int(&d, "box");
	ln->quantity = get_int(&d, "quantity");
	ln->committed = get_int(&d, "committed");
	ln->requested = get_int(&d, "requested");
	ln->requested_free = get_int(&d, "requested_free");
	ln->shipped = get_int(&d, "shipped");
	ln->received = get_int(&d, "received");
	ln->lost = get_int(&d, "lost");
	ln->boxes = get_int(&d, "boxes");
	ln->boxes_received = get_int(&d, "boxes_received");
	ln->boxes_lost = get_int(&d, "boxes_lost");
	ln->found = get_int(&d, "found");
	get_str(&d, "receipt", ln->receipt, sizeof ln->receipt);
	get_str(&d, "received_at", ln->received_at, sizeof ln->received_at);
	get_str(&d, "discrepancy", ln->discrepancy, sizeof ln->discrepancy);
	get_str(&d, "lost_by", ln->lost_by, sizeof ln->lost_by);
	get_str(&d, "lost_at", ln->lost_at, sizeof ln->lost_at);
	get_str(&d, "cancelled_by", ln->cancelled_by, sizeof ln->cancelled_by);
	long u = jscan_find(&d, 0, "unfilled");
	ln->unfilled = u >= 0 && d.tok[u].kind == JSON_K_TRUE;
	json_doc_free(&d);
	return k < 4;
}

int supply_line_get(struct view_state *s, enum supply_kind kind, const char *hex, struct supply_line *ln,
		    struct chobo_error *err)
{
	char key[80];
	const char *value;
	size_t len;
	if (!hex[0])
		return EX_UNAVAILABLE;
	supply_line_key(key, kind, hex);
	int rc = view_get(s, key, &value, &len, err);
	if (rc == 0 && (!supply_line_parse(value, len, ln) || ln->kind != kind))
		rc = chobo_fail(err, EX_DATAERR, "supply.lines: the value of %s is malformed; "
				"run chain-verify --views", key);
	return rc;
}

/* ------------------------------------------------------------ references */

static void ref_key(char out[SUPPLY_REF_KEY_MAX], const char *origin, const char *ref)
{
	snprintf(out, SUPPLY_REF_KEY_MAX, SUPPLY_REF_PREFIX "%s+%s", origin, ref);
}

int supply_ref_find(struct view_state *s, const char *origin, const char *ref, char leaf[65],
		    struct chobo_error *err)
{
	char key[SUPPLY_REF_KEY_MAX];
	const char *value;
	size_t len;
	leaf[0] = '\0';
	ref_key(key, origin, ref);
	int rc = view_get(s, key, &value, &len, err);
	/* The value is the leaf hash as a JSON string, so that chain-view prints JSON. */
	if (rc == 0 && (len != 66 || value[0] != '"' || value[65] != '"'))
		rc = chobo_fail(err, EX_DATAERR, "supply.lines: the value of %s is malformed; run chain-verify "
				"--views", key);
	if (rc == 0) {
		memcpy(leaf, value + 1, 64);
		leaf[64] = '\0';
	}
	return rc;
}

int supply_leaf_resolve(struct ledger *l, const char *text, char full[65], struct chobo_error *err)
{
	size_t n = strlen(SUPPLY_SENDER_REF_PREFIX);
	if (strncmp(text, SUPPLY_SENDER_REF_PREFIX, n) != 0)
		return ledger_leaf_resolve(l, text, full, err);
	const char *ref = text + n;
	if (!supply_ref_valid(ref))
		return chobo_fail(err, EX_DATAERR, "%s: after ref: comes a reference of 1 to 64 letters, digits, '.', "
				  "'_' or '-'", text);
	int rc = views_refresh(l, err);
	struct view_state *lines = rc == 0 ? view_stored(l, &supply_lines_view) : NULL;
	if (rc == 0 && (rc = supply_ref_find(lines, l->conf.origin, ref, full, err)) == EX_UNAVAILABLE)
		rc = chobo_fail(err, EX_DATAERR, "%s: no need, offer or request of this node's log has the "
				"reference %s", text, ref);
	view_state_free(lines);
	return rc;
}

/* The entry's body.ref, when it has one and its log has not used it before, names the entry. */
static int ref_put(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char ref[SUPPLY_REF_MAX + 1], leaf[65], key[SUPPLY_REF_KEY_MAX], value[67];
	body_string(e, "ref", ref, sizeof ref);
	if (!ref[0])
		return 0;
	int rc = supply_ref_find(s, e->origin, ref, leaf, err);
	if (rc != EX_UNAVAILABLE)
		return rc;   /* the first entry keeps it; appends refuse a second (rules.c) */
	ref_key(key, e->origin, ref);
	value[0] = '"';
	hex32(value + 1, e->leaf_hash);
	value[65] = '"';
	return view_put(s, key, value, 66, err);
}

/* ------------------------------------------------------------ open index */

void supply_open_prefix(char out[SUPPLY_OPEN_KEY_MAX], enum supply_kind kind, const char *item, const char *unit)
{
	if (item)
		snprintf(out, SUPPLY_OPEN_KEY_MAX, SUPPLY_OPEN_PREFIX "%s/%s/%s/", kind_names[kind], item, unit);
	else
		snprintf(out, SUPPLY_OPEN_KEY_MAX, SUPPLY_OPEN_PREFIX "%s/", kind_names[kind]);
}

void supply_open_offer_prefix(char out[SUPPLY_OPEN_KEY_MAX], const char *item, const char *unit, uint32_t mask)
{
	snprintf(out, SUPPLY_OPEN_KEY_MAX, SUPPLY_OPEN_PREFIX "offer/%s/%s/%08" PRIx32 "/", item, unit, mask);
}

bool supply_open_offer_mask(const char *key, size_t prefix_len, uint32_t *mask)
{
	const char *p = key + prefix_len;
	uint32_t m = 0;
	for (size_t i = 0; i < 8; i++) {
		char c = p[i];
		if (c >= '0' && c <= '9')
			m = m << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			m = m << 4 | (uint32_t)(c - 'a' + 10);
		else
			return false;
	}
	*mask = m;
	return p[8] == '/';
}

/* The allergen bits of an offer's own allergen_free (the schema checked the list; unknown codes count as none). */
static uint32_t offer_mask(const struct supply_line *o)
{
	uint32_t mask;
	return match_allergen_mask(o->allergen_free, &mask) ? mask : 0;
}

/* The index record's value: the fields matching reads, in fixed places (a JSON array). */
static void open_write(struct view_text *t, const struct supply_line *ln, int64_t open)
{
	const char *const fields[] = {ln->deadline, ln->site, ln->size, ln->allergen_free, ln->disaster,
				      ln->expiry, ln->need, ln->time, ln->log};
	view_text_str(t, "[");
	view_text_int(t, open);
	view_text_str(t, ",");
	view_text_int(t, (int64_t)ln->priority);
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		view_text_str(t, ",");
		view_text_json_string(t, fields[i]);
	}
	view_text_str(t, ",");
	view_text_int(t, (int64_t)ln->index);
	/* What it asked or offered and what requests took: a need takes no more than the difference. */
	view_text_str(t, ",");
	view_text_int(t, ln->quantity);
	view_text_str(t, ",");
	view_text_int(t, ln->requested);
	view_text_str(t, "]");
}

/* Keep the open index in step with a need or offer line: its record while it has something open. */
static int open_put(struct view_state *s, const struct supply_line *ln, struct chobo_error *err)
{
	char key[SUPPLY_OPEN_KEY_MAX];
	if (ln->kind == SUPPLY_OFFER)
		supply_open_offer_prefix(key, ln->item, ln->unit, offer_mask(ln));
	else
		supply_open_prefix(key, ln->kind, ln->item, ln->unit);
	size_t at = strlen(key);
	snprintf(key + at, sizeof key - at, "%s", ln->leaf_hash);
	int64_t open = supply_line_open(ln);
	/* A need wholly pledged is open to nothing more, but its pledges wait to be requested. */
	if (open == 0 && supply_need_pledged_waiting(ln) == 0)
		return view_delete(s, key, err);
	struct view_text t = {0};
	/* A need's record holds what it lacks unbounded, so that a reader can free a lapsed pledge (match.c). */
	open_write(&t, ln, ln->kind == SUPPLY_NEED ? supply_need_uncovered(ln) : open);
	int rc = view_put(s, key, t.p, t.len, err);
	view_text_free(&t);
	return rc;
}

bool supply_open_parse(const char *key, const char *value, size_t len, struct json_doc *doc,
		       struct supply_line *ln, int64_t *open)
{
	char why[128];
	const char *p = key + strlen(SUPPLY_OPEN_PREFIX), *slash[4];
	memset(ln, 0, sizeof *ln);
	if (strncmp(key, SUPPLY_OPEN_PREFIX, strlen(SUPPLY_OPEN_PREFIX)) != 0)
		return false;
	/* need/item/unit/hash or offer/item/unit/mask/hash */
	if (strncmp(p, "need/", 5) == 0)
		ln->kind = SUPPLY_NEED;
	else if (strncmp(p, "offer/", 6) == 0)
		ln->kind = SUPPLY_OFFER;
	else
		return false;
	size_t nslash = ln->kind == SUPPLY_NEED ? 3 : 4;
	for (size_t i = 0; i < nslash; i++) {
		if (!(slash[i] = strchr(p, '/')))
			return false;
		p = slash[i] + 1;
	}
	const char *item = slash[0] + 1, *unit = slash[1] + 1;
	uint32_t mask;
	if (ln->kind == SUPPLY_OFFER && !supply_open_offer_mask(key, (size_t)(slash[2] + 1 - key), &mask))
		return false;
	if ((size_t)(slash[1] - item) >= sizeof ln->item || (size_t)(slash[2] - unit) >= sizeof ln->unit ||
	    strlen(p) != 64)
		return false;
	memcpy(ln->item, item, (size_t)(slash[1] - item));
	memcpy(ln->unit, unit, (size_t)(slash[2] - unit));
	memcpy(ln->leaf_hash, p, 65);
	if (!json_scan(doc, value, len, why, sizeof why) || doc->tok[0].kind != JSON_K_ARRAY ||
	    doc->tok[0].size != 14)
		return false;
	struct {
		char *out;
		size_t cap;
	} fields[] = {
		{ln->deadline, sizeof ln->deadline}, {ln->site, sizeof ln->site}, {ln->size, sizeof ln->size},
		{ln->allergen_free, sizeof ln->allergen_free}, {ln->disaster, sizeof ln->disaster},
		{ln->expiry, sizeof ln->expiry}, {ln->need, sizeof ln->need}, {ln->time, sizeof ln->time},
		{ln->log, sizeof ln->log},
	};
	int64_t priority, index;
	/* The array's elements are scalars: tokens 1 to 14. */
	/* A need's may be 0 or less (wholly pledged, or beyond what it asked); an offer's is never. */
	if (!jscan_integer(doc, 1, open) || (ln->kind == SUPPLY_OFFER && *open < 1) ||
	    !jscan_integer(doc, 2, &priority) || priority < 0)
		return false;
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		if (doc->tok[3 + i].kind != JSON_K_STRING || !jscan_string_copy(doc, 3 + i, fields[i].out, fields[i].cap))
			return false;
	if (!jscan_integer(doc, 12, &index) || index < 0 || !jscan_integer(doc, 13, &ln->quantity) ||
	    ln->quantity < 1 || !jscan_integer(doc, 14, &ln->requested) || ln->requested < 0)
		return false;
	ln->priority = (uint64_t)priority;
	ln->index = (uint64_t)index;
	return true;
}

static int line_put(struct view_state *s, const struct supply_line *ln, struct chobo_error *err)
{
	char key[80];
	struct view_text t = {0};
	supply_line_key(key, ln->kind, ln->leaf_hash);
	line_write(&t, ln);
	int rc = view_put(s, key, t.p, t.len, err);
	view_text_free(&t);
	if (rc == 0 && (ln->kind == SUPPLY_NEED || ln->kind == SUPPLY_OFFER))
		rc = open_put(s, ln, err);
	return rc;
}

/* A line that may be absent: *have says whether it was found. */
static int line_load(struct view_state *s, enum supply_kind kind, const char *hex, struct supply_line *ln,
		     bool *have, struct chobo_error *err)
{
	int rc = supply_line_get(s, kind, hex, ln, err);
	*have = rc == 0;
	return rc == EX_UNAVAILABLE ? 0 : rc;
}

/* Put the lines that were found. */
static int lines_put(struct view_state *s, struct supply_line *const *ln, const bool *have, size_t n,
		     struct chobo_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (have[i])
			rc = line_put(s, ln[i], err);
	return rc;
}

static int need_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	struct supply_line n;
	entry_place(&n, e, SUPPLY_NEED);
	body_string(e, "site", n.site, sizeof n.site);
	body_string(e, "item", n.item, sizeof n.item);
	body_string(e, "unit", n.unit, sizeof n.unit);
	body_string(e, "disaster", n.disaster, sizeof n.disaster);
	body_string(e, "size", n.size, sizeof n.size);
	body_string(e, "allergen_free", n.allergen_free, sizeof n.allergen_free);
	/* The deadline in UTC, so that lines compare as text and read alike on every node. */
	char deadline[40];
	int64_t when;
	body_string(e, "deadline", deadline, sizeof deadline);
	if (deadline[0] && time_parse(deadline, &when))
		time_format(n.deadline, when);
	int64_t priority = body_int(e, "priority");
	n.priority = priority > 0 ? (uint64_t)priority : 0;
	n.quantity = body_int(e, "quantity");
	int rc = line_put(s, &n, err);
	return rc ? rc : ref_put(s, e, err);
}

static int offer_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	struct supply_line o, n;
	bool have_n;
	entry_place(&o, e, SUPPLY_OFFER);
	body_string(e, "supporter", o.supporter, sizeof o.supporter);
	if (!o.supporter[0]) {
		body_string(e, "firm", o.supporter, sizeof o.supporter);
		o.firm = true;
	}
	body_string(e, "item", o.item, sizeof o.item);
	body_string(e, "unit", o.unit, sizeof o.unit);
	body_string(e, "need", o.need, sizeof o.need);
	body_string(e, "disaster", o.disaster, sizeof o.disaster);
	body_string(e, "expiry", o.expiry, sizeof o.expiry);
	body_string(e, "size", o.size, sizeof o.size);
	body_string(e, "allergen_free", o.allergen_free, sizeof o.allergen_free);
	o.quantity = body_int(e, "quantity");
	int rc = line_load(s, SUPPLY_NEED, o.need, &n, &have_n, err);
	if (rc != 0)
		return rc;
	if (have_n) {
		/* A pledge commits the offer to the need's site. */
		snprintf(o.site, sizeof o.site, "%s", n.site);
		if (!o.disaster[0])
			snprintf(o.disaster, sizeof o.disaster, "%s", n.disaster);
		n.committed += offer_pledge(&o);
	}
	struct supply_line *ln[] = {&o, &n};
	bool have[] = {true, have_n};
	rc = lines_put(s, ln, have, 2, err);
	return rc ? rc : ref_put(s, e, err);
}

/*
 * The lines a change to request r touches: its offer o, the need o is
 * pledged to (po) and the need r fills (rn, which may be the same).
 */
struct request_family {
	struct supply_line o, po, rn;
	bool have_o, have_po, have_rn, same_need;
};

static int family_load(struct view_state *s, const struct supply_line *r, struct request_family *f,
		       struct chobo_error *err)
{
	/* Lines not loaded below are absent: every flag has a value whichever path is taken. */
	f->have_o = f->have_po = f->have_rn = f->same_need = false;
	int rc = line_load(s, SUPPLY_OFFER, r->offer, &f->o, &f->have_o, err);
	if (rc == 0 && f->have_o)
		rc = line_load(s, SUPPLY_NEED, f->o.need, &f->po, &f->have_po, err);
	f->same_need = f->have_o && strcmp(f->o.need, r->need) == 0;
	if (rc == 0 && !f->same_need)
		rc = line_load(s, SUPPLY_NEED, r->need, &f->rn, &f->have_rn, err);
	return rc;
}

/* Change what request r takes from its offer by delta, and everything that follows from it. */
static void family_take(struct request_family *f, int64_t delta)
{
	int64_t before = offer_pledge(&f->o);
	f->o.requested += delta;
	if (f->have_po) {
		f->po.committed += offer_pledge(&f->o) - before;
		if (f->same_need)
			f->po.requested += delta;
	}
	if (f->have_rn && !f->same_need) {
		f->rn.requested += delta;
		f->rn.requested_free += delta;
	}
}

enum box_count { COUNT_SHIPPED, COUNT_RECEIVED, COUNT_LOST };

static int64_t *box_counter(struct supply_line *ln, enum box_count c)
{
	return c == COUNT_SHIPPED ? &ln->shipped : c == COUNT_RECEIVED ? &ln->received : &ln->lost;
}

/* Add delta to a box count of the request r, its offer and the need it fills. */
static void family_count(struct supply_line *r, struct request_family *f, enum box_count c, int64_t delta)
{
	struct supply_line *need = f->same_need ? (f->have_po ? &f->po : NULL) : (f->have_rn ? &f->rn : NULL);
	struct supply_line *ln[] = {r, f->have_o ? &f->o : NULL, need};
	for (size_t i = 0; i < 3; i++)
		if (ln[i])
			*box_counter(ln[i], c) += delta;
}

static int family_put(struct view_state *s, struct supply_line *r, struct request_family *f,
		      struct chobo_error *err)
{
	struct supply_line *ln[] = {r, &f->o, &f->po, &f->rn};
	bool have[] = {true, f->have_o, f->have_po, f->have_rn && !f->same_need};
	return lines_put(s, ln, have, 4, err);
}

static int request_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	struct supply_line r;
	struct request_family f;
	entry_place(&r, e, SUPPLY_REQUEST);
	body_string(e, "offer", r.offer, sizeof r.offer);
	body_string(e, "need", r.need, sizeof r.need);
	body_string(e, "site", r.site, sizeof r.site);
	r.quantity = body_int(e, "quantity");
	/* The reference names the entry whatever its offer: the rules judge that, not the view. */
	int rc = ref_put(s, e, err);
	if (rc == 0)
		rc = line_load(s, SUPPLY_OFFER, r.offer, &f.o, &f.have_o, err);
	if (rc != 0 || !f.have_o)
		return rc;
	if (!r.need[0])
		snprintf(r.need, sizeof r.need, "%s", f.o.need);
	if ((rc = family_load(s, &r, &f, err)) != 0)
		return rc;
	snprintf(r.item, sizeof r.item, "%s", f.o.item);
	snprintf(r.unit, sizeof r.unit, "%s", f.o.unit);
	snprintf(r.expiry, sizeof r.expiry, "%s", f.o.expiry);
	const struct supply_line *need = f.same_need ? (f.have_po ? &f.po : NULL) : (f.have_rn ? &f.rn : NULL);
	snprintf(r.disaster, sizeof r.disaster, "%s", need && need->disaster[0] ? need->disaster : f.o.disaster);
	/* The earlier claim wins: a request beyond what the offer has left takes nothing. */
	if (r.quantity > supply_line_open(&f.o))
		r.unfilled = true;
	else
		family_take(&f, r.quantity);
	return family_put(s, &r, &f, err);
}

static int shipment_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	struct supply_line b, r;
	struct request_family f;
	bool have_r;
	entry_place(&b, e, SUPPLY_BOX);
	body_string(e, "request", b.request, sizeof b.request);
	body_string(e, "expiry", b.expiry, sizeof b.expiry);
	b.box = (uint64_t)body_int(e, "box");
	b.quantity = body_int(e, "quantity");
	int rc = line_load(s, SUPPLY_REQUEST, b.request, &r, &have_r, err);
	if (rc != 0 || !have_r)
		return rc;
	snprintf(b.offer, sizeof b.offer, "%s", r.offer);
	snprintf(b.need, sizeof b.need, "%s", r.need);
	snprintf(b.site, sizeof b.site, "%s", r.site);
	snprintf(b.item, sizeof b.item, "%s", r.item);
	snprintf(b.unit, sizeof b.unit, "%s", r.unit);
	snprintf(b.disaster, sizeof b.disaster, "%s", r.disaster);
	if (b.quantity > supply_line_open(&r)) {
		b.unfilled = true;
		return line_put(s, &b, err);
	}
	if ((rc = family_load(s, &r, &f, err)) != 0)
		return rc;
	r.boxes++;
	family_count(&r, &f, COUNT_SHIPPED, b.quantity);
	if ((rc = line_put(s, &b, err)) != 0)
		return rc;
	return family_put(s, &r, &f, err);
}

/* A receipt or a lost report of box b: the box, its request and the request's family. */
static int box_event(struct view_state *s, const struct view_entry *e, bool receipt, struct chobo_error *err)
{
	struct supply_line b, r;
	struct request_family f;
	bool have_b, have_r;
	char ship[65], hex[65];
	body_string(e, "shipment", ship, sizeof ship);
	int rc = line_load(s, SUPPLY_BOX, ship, &b, &have_b, err);
	if (rc != 0 || !have_b || b.unfilled || b.receipt[0] || (!receipt && b.lost_by[0]))
		return rc;   /* unknown, unfilled, or already received: the first receipt counts */
	if ((rc = line_load(s, SUPPLY_REQUEST, b.request, &r, &have_r, err)) != 0 || !have_r)
		return rc;
	if ((rc = family_load(s, &r, &f, err)) != 0)
		return rc;
	hex32(hex, e->leaf_hash);
	if (b.lost_by[0]) {
		/* Received after it was reported lost: no longer lost. */
		r.boxes_lost--;
		family_count(&r, &f, COUNT_LOST, -b.quantity);
	}
	if (receipt) {
		snprintf(b.receipt, sizeof b.receipt, "%s", hex);
		time_format(b.received_at, e->time);
		body_string(e, "discrepancy", b.discrepancy, sizeof b.discrepancy);
		b.found = body_int(e, "quantity");
		r.boxes_received++;
		family_count(&r, &f, COUNT_RECEIVED, b.found);
	} else {
		snprintf(b.lost_by, sizeof b.lost_by, "%s", hex);
		time_format(b.lost_at, e->time);
		r.boxes_lost++;
		family_count(&r, &f, COUNT_LOST, b.quantity);
	}
	if ((rc = line_put(s, &b, err)) != 0)
		return rc;
	return family_put(s, &r, &f, err);
}

static int cancel_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	struct supply_line ln, n;
	char ref[65], hex[65];
	bool have = false, have_n;
	int rc = 0;
	enum supply_kind k;
	body_string(e, "ref", ref, sizeof ref);
	hex32(hex, e->leaf_hash);
	for (k = SUPPLY_NEED; !have && k <= SUPPLY_REQUEST; k = (enum supply_kind)(k + 1))
		if ((rc = line_load(s, k, ref, &ln, &have, err)) != 0)
			return rc;
	if (!have || ln.cancelled_by[0])
		return 0;   /* the first cancellation counts */
	if (ln.kind == SUPPLY_NEED) {
		snprintf(ln.cancelled_by, sizeof ln.cancelled_by, "%s", hex);
		return line_put(s, &ln, err);
	}
	if (ln.kind == SUPPLY_OFFER) {
		if ((rc = line_load(s, SUPPLY_NEED, ln.need, &n, &have_n, err)) != 0)
			return rc;
		int64_t before = offer_pledge(&ln);
		snprintf(ln.cancelled_by, sizeof ln.cancelled_by, "%s", hex);
		n.committed += offer_pledge(&ln) - before;
		struct supply_line *lns[] = {&ln, &n};
		bool haves[] = {true, have_n};
		return lines_put(s, lns, haves, 2, err);
	}
	struct request_family f;
	if ((rc = family_load(s, &ln, &f, err)) != 0)
		return rc;
	int64_t before = request_taken(&ln);
	snprintf(ln.cancelled_by, sizeof ln.cancelled_by, "%s", hex);
	if (f.have_o)
		family_take(&f, request_taken(&ln) - before);
	return family_put(s, &ln, &f, err);
}

static int lines_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	const char *t = e->type->name + strlen("supply.");
	if (strcmp(t, "need") == 0)
		return need_apply(s, e, err);
	if (strcmp(t, "offer") == 0)
		return offer_apply(s, e, err);
	if (strcmp(t, "request") == 0)
		return request_apply(s, e, err);
	if (strcmp(t, "shipment") == 0)
		return shipment_apply(s, e, err);
	if (strcmp(t, "receipt") == 0)
		return box_event(s, e, true, err);
	if (strcmp(t, "lost") == 0)
		return box_event(s, e, false, err);
	if (strcmp(t, "cancel") == 0)
		return cancel_apply(s, e, err);
	return 0;
}

static const char *const line_types[] = {
	"supply.need", "supply.offer", "supply.request", "supply.shipment", "supply.receipt",
	"supply.lost", "supply.cancel", NULL,
};

const struct view_spec supply_lines_view = {
	.name = "supply.lines",
	.summary = "needs, offers, requests and boxes: requested, committed, shipped, received, open, state",
	.types = line_types,
	.version = 7,   /* 2: needs and offers keep size, allergen_free, deadline, priority; 3: the open index, a box's
			   lost_at; 4: references; 5: a wholly pledged need stays in the open index; 6: its
			   records hold quantity and requested; 7: a need's holds what it lacks unbounded */
	.apply = lines_apply,
};

/* ------------------------------------------------------------ a need's requests */

/* Leaf hashes of entries found by the entry index, each once. */
struct leaf_list {
	struct ledger *l;
	char (*leaf)[65];
	size_t n, cap;
	int rc;
	struct chobo_error *err;
};

static int leaf_of_found(void *ctx, uint32_t log, uint64_t index)
{
	struct leaf_list *ll = ctx;
	char hex[65];
	if ((ll->rc = ledger_leaf_hex(ll->l, log, index, hex, ll->err)) != 0)
		return 1;
	for (size_t i = 0; i < ll->n; i++)
		if (strcmp(ll->leaf[i], hex) == 0)
			return 0;
	if (ll->n == ll->cap) {
		ll->cap = ll->cap ? 2 * ll->cap : 16;
		ll->leaf = xrealloc(ll->leaf, ll->cap * sizeof *ll->leaf);
	}
	memcpy(ll->leaf[ll->n++], hex, 65);
	return 0;
}

/* Add to ll the entries of type whose field is value; 0 or an error. */
static int leaves_by_key(struct leaf_list *ll, const char *type, const char *field, const char *value)
{
	int rc = entry_index_each_key(ll->l->store, type, field, value, leaf_of_found, ll, ll->err);
	return rc == 1 ? ll->rc : rc;
}

int supply_need_requests_open(struct ledger *l, struct view_state *lines, const char *need,
			      struct supply_line **out, size_t *n, struct chobo_error *err)
{
	struct leaf_list offers = {.l = l, .err = err}, requests = {.l = l, .err = err};
	int rc = leaves_by_key(&offers, "supply.offer", "need", need);
	if (rc == 0)
		rc = leaves_by_key(&requests, "supply.request", "need", need);
	for (size_t i = 0; rc == 0 && i < offers.n; i++)
		rc = leaves_by_key(&requests, "supply.request", "offer", offers.leaf[i]);
	*out = xcalloc(requests.n + 1, sizeof **out);
	*n = 0;
	for (size_t i = 0; rc == 0 && i < requests.n; i++) {
		struct supply_line *r = &(*out)[*n];
		int got = supply_line_get(lines, SUPPLY_REQUEST, requests.leaf[i], r, err);
		if (got == EX_UNAVAILABLE)
			continue;   /* its offer is not held here: the view keeps no line of it */
		if ((rc = got) != 0)
			break;
		/* A request of an offer pledged here may fill another need: it is not this one's. */
		if (strcmp(r->need, need) == 0 && !r->cancelled_by[0] && !r->unfilled && supply_line_open(r) > 0)
			(*n)++;
	}
	free(offers.leaf);
	free(requests.leaf);
	return rc;
}
