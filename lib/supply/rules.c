/*
 * The supply service's rules, run by every append of its entries inside the
 * append's transaction, after the views include the batch (service.h): so
 * that a check and the append it allows cannot be split by another process.
 *
 * They hold when an entry is appended (what the catalogue says now, what an
 * offer has left now, the clock), so chain-verify does not re-run them; the
 * views record the merge-order outcome of entries that came by sync
 * (views.c).  A batch with one refused entry is refused whole.
 *
 * References must point back in the merge order: an entry names only
 * entries that sort before it, so every node's views meet the referenced
 * entry first.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "codec.h"
#include "entry_index.h"
#include "ledger.h"
#include "match.h"
#include "merkle.h"
#include "stored_entry.h"
#include "supply.h"

/* The entry whose leaf hash is hex; EX_DATAERR naming field when there is none. */
static int stored_find(struct ledger *l, const char *hex, const char *field, struct stored_entry *out,
		       struct chobo_error *err)
{
	uint8_t hash[32], found[32];
	uint32_t log;
	uint64_t index;
	bool ambiguous;
	if (!hex_decode(hash, 32, hex))
		return chobo_fail(err, EX_DATAERR, "body.%s is not a leaf hash", field);
	int src = store_leaf_find(l->store, hash, 256, found, &log, &index, &ambiguous);
	if (src == STORE_NOTFOUND)
		return chobo_fail(err, EX_DATAERR, "body.%s: no entry has leaf hash %s", field, hex);
	if (src != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	return stored_entry_read(l, log, index, out, err);
}

static bool merge_before(const struct stored_entry *a, const struct stored_entry *b)
{
	if (a->time != b->time)
		return a->time < b->time;
	int c = strcmp(a->origin, b->origin);
	return c ? c < 0 : a->index < b->index;
}

static void body_str(const struct stored_entry *s, const char *name, char *out, size_t cap)
{
	stored_body_str(&s->doc, s->body, name, out, cap);
}

static int64_t body_int(const struct stored_entry *s, const char *name)
{
	return stored_body_int(&s->doc, s->body, name, 0);
}

/* What the rules of one batch entry read. */
struct ctx {
	struct ledger *l;
	struct view_state *catalogue, *sites, *lines;
	uint64_t first;                    /* the index of the batch's first entry */
	int64_t now;
	const struct stored_entry *self;   /* the entry being checked */
};

/* The referenced entry of type (its field names the leaf hash), earlier in the merge order. */
static int ref_of(struct ctx *c, const char *field, const char *type, struct stored_entry *out,
		  struct chobo_error *err)
{
	char hex[65];
	body_str(c->self, field, hex, sizeof hex);
	int rc = stored_find(c->l, hex, field, out, err);
	if (rc != 0)
		return rc;
	if (strcmp(out->type->name, type) != 0)
		return chobo_fail(err, EX_DATAERR, "body.%s names a %s, not a %s", field, out->type->name, type);
	if (!merge_before(out, c->self))
		return chobo_fail(err, EX_DATAERR, "body.%s names a %s dated after this entry (%s entry %" PRIu64
				  "); check this node's clock and try again", field, type, out->origin,
				  out->index);
	return 0;
}

/* The catalogue knows item and counts it in unit. */
static int item_rule(struct ctx *c, const char *item, const char *unit, struct chobo_error *err)
{
	char want[SUPPLY_UNIT_MAX + 1];
	int rc = supply_registry_field(c->catalogue, item, "unit", want, sizeof want, err);
	if (rc == EX_UNAVAILABLE)
		return chobo_fail(err, EX_DATAERR, "unknown item %s: it is not in the catalogue "
				  "(supply-post item adds it)", item);
	if (rc == 0 && strcmp(want, unit) != 0)
		return chobo_fail(err, EX_DATAERR, "wrong unit: item %s is counted in %s, not %s", item, want, unit);
	return rc;
}

/*
 * A need or a request names a known site that is open: a closed shelter
 * takes no new needs or goods (supply-match proposes none for it either).
 * Entries that came by sync are not judged here: a site closed on one node
 * while another posted for it is the views' concern (supply-match skips it).
 */
static int site_rule(struct ctx *c, const char *site, struct chobo_error *err)
{
	char role[16];
	bool closed;
	int rc = supply_registry_field(c->sites, site, "role", role, sizeof role, err);
	if (rc == EX_UNAVAILABLE)
		return chobo_fail(err, EX_DATAERR, "unknown site %s (supply-post site adds it)", site);
	if (rc == 0 && (rc = supply_site_closed(c->sites, site, &closed, err)) == 0 && closed)
		rc = chobo_fail(err, EX_DATAERR, "site %s is closed (its latest supply.site says open false): it takes "
				"no new needs or requests; supply-post site with --open true reopens it", site);
	return rc;
}

/*
 * Goods whose expiry date (in e's body; whose is "" or " of the offer") is
 * over are refused: a date counts through 23:59:59 of that day in Japan.
 */
static int expiry_of(struct ctx *c, const struct stored_entry *e, const char *whose, struct chobo_error *err)
{
	char date[SUPPLY_DATE_LEN + 1];
	int64_t end;
	body_str(e, "expiry", date, sizeof date);
	if (date[0] && supply_expiry_end(date, &end) && end <= c->now) {
		char now[21];
		time_format(now, c->now);
		return chobo_fail(err, EX_DATAERR, "expired goods: expiry%s %s is before now (%s)", whose, date, now);
	}
	return 0;
}

static int expiry_rule(struct ctx *c, struct chobo_error *err)
{
	return expiry_of(c, c->self, "", err);
}

static bool has_expiry(const struct stored_entry *e)
{
	return jscan_find(&e->doc, e->body, "expiry") >= 0;
}

/* The line of the entry being checked, which the views already include. */
static int own_line(struct ctx *c, enum supply_kind kind, struct supply_line *ln, struct chobo_error *err)
{
	int rc = supply_line_get(c->lines, kind, c->self->leaf, ln, err);
	if (rc == EX_UNAVAILABLE)
		return chobo_fail(err, EX_DATAERR, "its references are not in supply.lines");
	return rc;
}

/* A log gives a reference to one need, offer or request: the view names the first, which must be this entry. */
static int ref_rule(struct ctx *c, struct chobo_error *err)
{
	char ref[SUPPLY_REF_MAX + 1], leaf[65];
	body_str(c->self, "ref", ref, sizeof ref);
	if (!ref[0])
		return 0;
	int rc = supply_ref_find(c->lines, c->self->origin, ref, leaf, err);
	if (rc == EX_UNAVAILABLE)
		return chobo_fail(err, EX_DATAERR, "its reference is not in supply.lines");
	if (rc != 0 || strcmp(leaf, c->self->leaf) == 0)
		return rc;
	/* Given before: in the log, or to an earlier entry of this batch, which is not written. */
	struct stored_entry first = {0};
	if ((rc = stored_find(c->l, leaf, "ref", &first, err)) == 0) {
		if (first.log == c->self->log && first.index >= c->first)
			rc = chobo_fail(err, EX_DATAERR, "body.ref %s is given to an earlier entry of this batch too: "
					"a record needs a reference of its own", ref);
		else
			rc = chobo_fail(err, EX_DATAERR, "body.ref %s is already the reference of entry %.16s of this "
					"log: a new record needs a new reference", ref, leaf);
	}
	stored_entry_free(&first);
	return rc;
}

static int need_rules(struct ctx *c, struct chobo_error *err)
{
	char site[SUPPLY_CODE_MAX + 1], item[SUPPLY_CODE_MAX + 1], unit[SUPPLY_UNIT_MAX + 1];
	body_str(c->self, "site", site, sizeof site);
	body_str(c->self, "item", item, sizeof item);
	body_str(c->self, "unit", unit, sizeof unit);
	int rc = site_rule(c, site, err);
	if (rc == 0)
		rc = item_rule(c, item, unit, err);
	return rc ? rc : ref_rule(c, err);
}

/* A need that a new pledge or request names must still be wanted: a cancelled one takes nothing more. */
static int need_not_cancelled(struct ctx *c, const struct stored_entry *need, struct chobo_error *err)
{
	struct supply_line n;
	int rc = supply_line_get(c->lines, SUPPLY_NEED, need->leaf, &n, err);
	if (rc == EX_UNAVAILABLE)
		return 0;   /* not in the view (yet): the references' rule speaks of it */
	if (rc == 0 && n.cancelled_by[0])
		rc = chobo_fail(err, EX_DATAERR, "the need %.16s is cancelled (by %.16s): it takes nothing more",
				need->leaf, n.cancelled_by);
	return rc;
}

/*
 * Whether a pledge to the need whose leaf hash is hex has ended (*ended),
 * so that what is left of the offer may fill another need: the need is
 * cancelled, its site closed, or it has all it asked for (supply-match
 * frees such offers).  0 or an error.
 */
static int pledge_ended(struct ctx *c, const char *hex, bool *ended, struct chobo_error *err)
{
	struct supply_line n;
	*ended = false;
	int rc = supply_line_get(c->lines, SUPPLY_NEED, hex, &n, err);
	if (rc != 0)
		return rc == EX_UNAVAILABLE ? 0 : rc;
	if (n.cancelled_by[0] || n.requested >= n.quantity) {
		*ended = true;
		return 0;
	}
	rc = supply_site_closed(c->sites, n.site, ended, err);
	return rc == EX_UNAVAILABLE ? 0 : rc;
}

/* Need and offer (or request) are for the same item in the same unit: never across units. */
static int same_item(const struct stored_entry *need, const char *item, const char *unit, struct chobo_error *err)
{
	char ni[SUPPLY_CODE_MAX + 1], nu[SUPPLY_UNIT_MAX + 1];
	body_str(need, "item", ni, sizeof ni);
	body_str(need, "unit", nu, sizeof nu);
	if (strcmp(ni, item) != 0 || strcmp(nu, unit) != 0)
		return chobo_fail(err, EX_DATAERR, "the need is for %s in %s, not %s in %s", ni, nu, item, unit);
	return 0;
}

/*
 * A pledge names a need whose site is open: goods pledged to a closed
 * shelter would be held for a need nobody will request against (a closing
 * that reached this node by sync counts, as in site_rule).
 */
static int need_site_open(struct ctx *c, const struct stored_entry *need, struct chobo_error *err)
{
	char site[SUPPLY_CODE_MAX + 1];
	bool closed = false;
	body_str(need, "site", site, sizeof site);
	int rc = supply_site_closed(c->sites, site, &closed, err);
	if (rc == EX_UNAVAILABLE)
		return 0;   /* a site this node has not heard of: the need was judged where it was posted */
	if (rc == 0 && closed)
		rc = chobo_fail(err, EX_DATAERR, "the need %.16s is for site %s, which is closed (its latest "
				"supply.site says open false): pledge the goods without --need, or to another need",
				need->leaf, site);
	return rc;
}

/*
 * A pledge is goods its need can take: the need's size (the offer's, else
 * its catalogue item's), free of every allergen the need avoids (the offer
 * or its item free of it), keeping through the need's deadline, and for its
 * disaster (what match.c fits() asks, with the deadline).
 * supply-match proposes a pledge only to its need, and holds the need for
 * it: a pledge the need cannot take would hold it for nothing.
 */
static int pledge_fits(struct ctx *c, const struct stored_entry *need, const char *item, struct chobo_error *err)
{
	char nsize[SUPPLY_SIZE_MAX + 1], osize[SUPPLY_SIZE_MAX + 1], navoid[SUPPLY_ALLERGENS_MAX + 1],
		ofree[SUPPLY_ALLERGENS_MAX + 1], ifree[SUPPLY_ALLERGENS_MAX + 1] = "", expiry[SUPPLY_DATE_LEN + 1],
		deadline[32];
	body_str(need, "size", nsize, sizeof nsize);
	body_str(c->self, "size", osize, sizeof osize);
	body_str(need, "allergen_free", navoid, sizeof navoid);
	body_str(c->self, "allergen_free", ofree, sizeof ofree);
	body_str(c->self, "expiry", expiry, sizeof expiry);
	body_str(need, "deadline", deadline, sizeof deadline);
	int rc = 0;
	if (nsize[0] && !osize[0] &&
	    (rc = supply_registry_field(c->catalogue, item, "size", osize, sizeof osize, err)) == EX_UNAVAILABLE)
		rc = 0;   /* an item without a size: the offer has none */
	if (rc != 0)
		return rc;
	if (nsize[0] && strcmp(nsize, osize) != 0)
		return chobo_fail(err, EX_DATAERR, "the need %.16s is for size %s, and these goods are %s%s: "
				  "pledge them without --need", need->leaf, nsize, osize[0] ? "size " : "of no size",
				  osize);
	if ((rc = supply_registry_field(c->catalogue, item, "allergen_free", ifree, sizeof ifree, err)) ==
	    EX_UNAVAILABLE)
		rc = 0;
	if (rc != 0)
		return rc;
	uint32_t avoid, offer_free, item_free;
	if (!match_allergen_mask(navoid, &avoid) || !match_allergen_mask(ofree, &offer_free) ||
	    !match_allergen_mask(ifree, &item_free))
		return 0;   /* the schema refuses an unknown allergen: nothing to compare */
	uint32_t missing = avoid & ~(offer_free | item_free);
	for (size_t i = 0; missing && supply_allergens[i]; i++)
		if (missing & UINT32_C(1) << i)
			return chobo_fail(err, EX_DATAERR, "the need %.16s must be free of %s, and these goods are not "
					  "said to be (--allergen-free): pledge them without --need", need->leaf,
					  supply_allergens[i]);
	int64_t end, due;
	if (expiry[0] && deadline[0] && supply_expiry_end(expiry, &end) && time_parse(deadline, &due) && end <= due)
		return chobo_fail(err, EX_DATAERR, "the need %.16s is due by %s, and these goods expire on %s, before "
				  "it: pledge them without --need", need->leaf, deadline, expiry);
	/* An offer without a disaster takes its need's (views.c). */
	char ndis[SUPPLY_CODE_MAX + 1], odis[SUPPLY_CODE_MAX + 1];
	body_str(need, "disaster", ndis, sizeof ndis);
	body_str(c->self, "disaster", odis, sizeof odis);
	if (ndis[0] && odis[0] && strcmp(ndis, odis) != 0)
		return chobo_fail(err, EX_DATAERR, "the need %.16s is for disaster %s, and these goods for %s: pledge "
				  "them without --need", need->leaf, ndis, odis);
	return 0;
}

static int offer_rules(struct ctx *c, struct chobo_error *err)
{
	char item[SUPPLY_CODE_MAX + 1], unit[SUPPLY_UNIT_MAX + 1];
	struct stored_entry need = {0};
	body_str(c->self, "item", item, sizeof item);
	body_str(c->self, "unit", unit, sizeof unit);
	int rc = item_rule(c, item, unit, err);
	if (rc == 0)
		rc = expiry_rule(c, err);
	if (rc == 0)
		rc = ref_rule(c, err);
	if (rc == 0 && jscan_find(&c->self->doc, c->self->body, "need") >= 0 &&
	    (rc = ref_of(c, "need", "supply.need", &need, err)) == 0 && (rc = same_item(&need, item, unit, err)) == 0 &&
	    (rc = need_not_cancelled(c, &need, err)) == 0 && (rc = need_site_open(c, &need, err)) == 0)
		rc = pledge_fits(c, &need, item, err);
	stored_entry_free(&need);
	return rc;
}

static int request_rules(struct ctx *c, struct chobo_error *err)
{
	struct stored_entry offer = {0}, need = {0};
	struct supply_line r, o;
	char site[SUPPLY_CODE_MAX + 1], pledged[65] = "";
	body_str(c->self, "site", site, sizeof site);
	int rc = ref_of(c, "offer", "supply.offer", &offer, err);
	if (rc == 0)
		rc = site_rule(c, site, err);
	if (rc == 0)
		rc = ref_rule(c, err);
	/* The offer was checked when it came in; its goods may have expired since. */
	if (rc == 0)
		rc = expiry_of(c, &offer, " of the offer", err);
	if (rc == 0 && jscan_find(&c->self->doc, c->self->body, "need") >= 0 &&
	    (rc = ref_of(c, "need", "supply.need", &need, err)) == 0) {
		char item[SUPPLY_CODE_MAX + 1], unit[SUPPLY_UNIT_MAX + 1], need_site[SUPPLY_CODE_MAX + 1];
		body_str(&offer, "item", item, sizeof item);
		body_str(&offer, "unit", unit, sizeof unit);
		body_str(&offer, "need", pledged, sizeof pledged);
		body_str(&need, "site", need_site, sizeof need_site);
		rc = same_item(&need, item, unit, err);
		bool ended = false;
		if (rc == 0 && pledged[0] && strcmp(pledged, need.leaf) != 0 &&
		    (rc = pledge_ended(c, pledged, &ended, err)) == 0 && !ended)
			rc = chobo_fail(err, EX_DATAERR, "the offer is pledged against another need (%s)", pledged);
		if (rc == 0 && strcmp(need_site, site) != 0)
			rc = chobo_fail(err, EX_DATAERR, "the need is for site %s, not %s", need_site, site);
		if (rc == 0)
			rc = need_not_cancelled(c, &need, err);
	}
	if (rc == 0 && (rc = own_line(c, SUPPLY_REQUEST, &r, err)) == 0 && r.unfilled &&
	    (rc = supply_line_get(c->lines, SUPPLY_OFFER, offer.leaf, &o, err)) == 0)
		rc = chobo_fail(err, EX_DATAERR, "a request beyond the offer's remaining quantity: %" PRId64
				" %s requested, %" PRId64 " left of offer %s", r.quantity, o.unit,
				supply_line_open(&o), offer.leaf);
	stored_entry_free(&offer);
	stored_entry_free(&need);
	return rc;
}

/* Another shipment of the same request with the same box number. */
struct box_search {
	struct ctx *c;
	uint64_t box;
	struct stored_entry other;
	int rc;
	struct chobo_error *err;
	bool found;
};

static int same_box(void *ctx, uint32_t log, uint64_t index)
{
	struct box_search *s = ctx;
	if (log == s->c->self->log && index == s->c->self->index)
		return 0;
	if ((s->rc = stored_entry_read(s->c->l, log, index, &s->other, s->err)) != 0)
		return 1;
	s->found = (uint64_t)body_int(&s->other, "box") == s->box;
	return s->found;
}

static int shipment_rules(struct ctx *c, struct chobo_error *err)
{
	struct stored_entry request = {0}, offer = {0};
	struct supply_line b, r;
	char offer_hex[65];
	int rc = ref_of(c, "request", "supply.request", &request, err);
	if (rc == 0) {
		body_str(&request, "offer", offer_hex, sizeof offer_hex);
		rc = stored_find(c->l, offer_hex, "request's offer", &offer, err);
	}
	/* The offer's home node alone ships against it: only its log can tell what it has sent. */
	if (rc == 0 && strcmp(offer.origin, c->l->conf.origin) != 0)
		rc = chobo_fail(err, EX_DATAERR, "the offer's home node is %s: post its shipments there, not on %s",
				offer.origin, c->l->conf.origin);
	if (rc == 0)
		rc = expiry_rule(c, err);
	/* A box without an expiry of its own holds the offer's goods, which keep as they do. */
	if (rc == 0 && !has_expiry(c->self))
		rc = expiry_of(c, &offer, " of the offer", err);
	/* The box number first: a ship sheet run again is named as such, even once all is shipped. */
	if (rc == 0) {
		struct box_search s = {.c = c, .box = (uint64_t)body_int(c->self, "box"), .err = err};
		rc = entry_index_each_key(c->l->store, "supply.shipment", "request", request.leaf, same_box, &s,
					  err);
		if (rc == 1)
			rc = s.rc ? s.rc : chobo_fail(err, EX_DATAERR, "box %" PRIu64 " of request %s is already "
						      "shipped (%s entry %" PRIu64 ")", s.box, request.leaf,
						      s.other.origin, s.other.index);
		stored_entry_free(&s.other);
	}
	if (rc == 0 && (rc = own_line(c, SUPPLY_BOX, &b, err)) == 0 && b.unfilled &&
	    (rc = supply_line_get(c->lines, SUPPLY_REQUEST, request.leaf, &r, err)) == 0)
		rc = r.unfilled ? chobo_fail(err, EX_DATAERR, "request %s is unfilled: its offer had nothing left for "
					     "it when the logs were merged, so nothing is shipped against it",
					     request.leaf)
				: chobo_fail(err, EX_DATAERR, "a shipment beyond what was requested: box of %" PRId64
					     " %s, %" PRId64 " unshipped of request %s", b.quantity, r.unit,
					     supply_line_open(&r), request.leaf);
	stored_entry_free(&request);
	stored_entry_free(&offer);
	return rc;
}

static int receipt_rules(struct ctx *c, struct chobo_error *err)
{
	struct stored_entry ship = {0};
	struct supply_line b;
	int rc = ref_of(c, "shipment", "supply.shipment", &ship, err);
	if (rc == EX_DATAERR)
		chobo_fail_context(err, rc, "a receipt of an unknown shipment");
	if (rc == 0 && (rc = supply_line_get(c->lines, SUPPLY_BOX, ship.leaf, &b, err)) == EX_UNAVAILABLE)
		rc = chobo_fail(err, EX_DATAERR, "the shipment is not in supply.lines");
	if (rc == 0 && strcmp(b.receipt, c->self->leaf) != 0)
		rc = chobo_fail(err, EX_DATAERR, "a second receipt of box %" PRIu64 ": already received (receipt %s)",
				b.box, b.receipt);
	stored_entry_free(&ship);
	return rc;
}

static int lost_rules(struct ctx *c, struct chobo_error *err)
{
	struct stored_entry ship = {0};
	struct supply_line b;
	int rc = ref_of(c, "shipment", "supply.shipment", &ship, err);
	if (rc == 0 && (rc = supply_line_get(c->lines, SUPPLY_BOX, ship.leaf, &b, err)) == EX_UNAVAILABLE)
		rc = chobo_fail(err, EX_DATAERR, "the shipment is not in supply.lines");
	if (rc == 0 && b.receipt[0])
		rc = chobo_fail(err, EX_DATAERR, "box %" PRIu64 " was received (receipt %s)", b.box, b.receipt);
	else if (rc == 0 && strcmp(b.lost_by, c->self->leaf) != 0)
		rc = chobo_fail(err, EX_DATAERR, "box %" PRIu64 " is already reported lost (%s)", b.box, b.lost_by);
	stored_entry_free(&ship);
	return rc;
}

static int cancel_rules(struct ctx *c, struct chobo_error *err)
{
	struct stored_entry target = {0};
	struct supply_line ln;
	char hex[65];
	body_str(c->self, "ref", hex, sizeof hex);
	int rc = stored_find(c->l, hex, "ref", &target, err);
	enum supply_kind kind = SUPPLY_NEED;
	if (rc == 0) {
		const char *t = target.type->name;
		if (strcmp(t, "supply.offer") == 0)
			kind = SUPPLY_OFFER;
		else if (strcmp(t, "supply.request") == 0)
			kind = SUPPLY_REQUEST;
		else if (strcmp(t, "supply.need") != 0)
			rc = chobo_fail(err, EX_DATAERR, "body.ref names a %s: only a need, an offer or a request "
					"can be cancelled", t);
	}
	/* What a need or an offer has open is its home node's to withdraw. */
	if (rc == 0 && kind != SUPPLY_REQUEST && strcmp(target.origin, c->l->conf.origin) != 0)
		rc = chobo_fail(err, EX_DATAERR, "the %s's home node is %s: cancel it there, not on %s",
				supply_kind_name(kind), target.origin, c->l->conf.origin);
	if (rc == 0 && (rc = supply_line_get(c->lines, kind, target.leaf, &ln, err)) == EX_UNAVAILABLE)
		rc = chobo_fail(err, EX_DATAERR, "the %s is not in supply.lines", supply_kind_name(kind));
	if (rc == 0 && strcmp(ln.cancelled_by, c->self->leaf) != 0)
		rc = chobo_fail(err, EX_DATAERR, "the %s is already cancelled (%s)", supply_kind_name(kind),
				ln.cancelled_by);
	stored_entry_free(&target);
	return rc;
}

static int entry_rules(struct ctx *c, struct chobo_error *err)
{
	const char *t = c->self->type->name + strlen("supply.");
	if (strcmp(t, "need") == 0)
		return need_rules(c, err);
	if (strcmp(t, "offer") == 0)
		return offer_rules(c, err);
	if (strcmp(t, "request") == 0)
		return request_rules(c, err);
	if (strcmp(t, "shipment") == 0)
		return shipment_rules(c, err);
	if (strcmp(t, "receipt") == 0)
		return receipt_rules(c, err);
	if (strcmp(t, "lost") == 0)
		return lost_rules(c, err);
	if (strcmp(t, "cancel") == 0)
		return cancel_rules(c, err);
	return 0;   /* sites and items: the schema is all */
}

/* Run the rules of one batch entry. */
static int entry_rules_of(void *ctx, const struct stored_entry *e, struct chobo_error *err)
{
	struct ctx *c = ctx;
	c->self = e;
	c->now = e->time;
	return entry_rules(c, err);
}

int supply_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	struct ctx c = {
		.l = l,
		.catalogue = view_stored(l, &supply_catalogue_view),
		.sites = view_stored(l, &supply_sites_view),
		.lines = view_stored(l, &supply_lines_view),
		.first = w->first,
	};
	int rc = stored_batch_each(w, "supply.", entry_rules_of, &c, err);
	view_state_free(c.catalogue);
	view_state_free(c.sites);
	view_state_free(c.lines);
	return rc;
}
