/*
 * The relief supply service (DESIGN §5.2, domain.md §B): sites, the item
 * catalogue, needs, offers, requests, shipments (one per box), receipts,
 * cancellations and lost-box reports, with their views and the rules every
 * append of them must pass.
 *
 *   catalogue.c  the fixed code lists (units, categories, allergens, ...)
 *   types.c      the entry types, their schemas and cross-field checks
 *   views.c      supply.catalogue, supply.sites and supply.lines
 *   rules.c      the rules checked inside the append's transaction
 *   snapshot.c   a copy of the views for a program to work on
 *   events.c     the events derived from the views (events.h)
 *
 * How quantities move (merge order, DESIGN §5.1; the earlier claim wins):
 * a need asks for a quantity at a site; an offer pledged against a need
 * commits its quantity to it; a request takes part of an offer for a site
 * (a request beyond what the offer has left when it comes in the merge order
 * is unfilled and takes nothing); each shipment is one box of a request (a
 * box beyond what the request has unshipped is unfilled); the first receipt
 * of a box counts, with the quantity found.  chobo-ledger(5) documents the
 * fields; supply-status(1) the sums.
 */
#ifndef CHOBO_SUPPLY_H
#define CHOBO_SUPPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_scan.h"
#include "note.h"
#include "service.h"
#include "view.h"

/* Bounds of the body fields (bytes). */
#define SUPPLY_CODE_MAX 32         /* site, item and disaster codes: [A-Za-z0-9._-] */
#define SUPPLY_REF_MAX 64          /* a need's, offer's or request's reference (body.ref): [A-Za-z0-9._-] */
#define SUPPLY_NAME_MAX 128        /* a site's or item's public name, a firm's name */
#define SUPPLY_UNIT_MAX 16
#define SUPPLY_SIZE_MAX 32
#define SUPPLY_ALLERGENS_MAX 512   /* comma-separated allergen codes */
#define SUPPLY_REASON_MAX 128
#define SUPPLY_DATE_LEN 10         /* YYYY-MM-DD */

/*
 * The largest quantity an entry may carry, far above any real consignment
 * and low enough that supply.lines can add up billions of such entries in
 * int64_t without overflowing.  The entry types hold it, so that an entry
 * from another node's log is held to it as well.
 */
#define SUPPLY_QUANTITY_MAX INT64_C(1000000000)

struct ledger;
struct batch_written;

/* The service table (registered in service.c) and its views. */
extern const struct service supply_service;
extern const struct view_spec supply_catalogue_view, supply_sites_view, supply_lines_view;

/* The service's rules over a batch, run by every append (service.h): 0, or EX_DATAERR with err. */
int supply_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err);

/* ------------------------------------------------------------- code lists */

/* True when s is one of the units of domain.md §B (食 本 枚 個 箱 kg L パック セット). */
bool supply_unit_valid(const char *s);
/* True when s is a category code (the eight push-type items, water, hygiene, bedding, other). */
bool supply_category_valid(const char *s);
/* True when s is a target group: infant, elderly, women or all. */
bool supply_target_valid(const char *s);
/* True when s is an expiry kind: 賞味 (best before) or 消費 (use by). */
bool supply_expiry_kind_valid(const char *s);
/* True when s is a site role: shelter or office. */
bool supply_role_valid(const char *s);
/* True when s is a receipt's discrepancy code: short, over, damaged, wrong_item, expired, other. */
bool supply_discrepancy_valid(const char *s);
/* True when s is a code: 1..SUPPLY_CODE_MAX of [A-Za-z0-9._-]. */
bool supply_code_valid(const char *s);
/* True when s is a need's, offer's or request's reference: 1..SUPPLY_REF_MAX of [A-Za-z0-9._-]. */
bool supply_ref_valid(const char *s);
/* True when s is a calendar date YYYY-MM-DD; *day set to the seconds of its 00:00:00Z. */
bool supply_date_parse(const char *s, int64_t *day);
/*
 * True when s is an expiry date YYYY-MM-DD; *end set to the first second
 * after that day in Japan (JST, 00:00 of the next day, 15:00:00Z of s):
 * goods keep while now < *end.
 */
bool supply_expiry_end(const char *s, int64_t *end);
/*
 * Check a comma-separated list of allergen codes (the 8 mandatory and 20
 * recommended allergens of Japanese food labelling): every code known, none
 * twice; false with the reason in err.
 */
bool supply_allergens_check(const char *list, char *err, size_t errlen);
/* The allergen codes, mandatory first, terminated by NULL; and how many are mandatory. */
extern const char *const supply_allergens[];
#define SUPPLY_ALLERGENS_MANDATORY 8

/* -------------------------------------------------------------- lines view */

/*
 * One record of supply.lines: a need, an offer, a request or a box (a
 * shipment), keyed by its kind and leaf hash ("need/HEX", "box/HEX").
 * Every field is in the stored JSON value; the derived ones (open,
 * remaining, state) are written from the others.
 */
enum supply_kind { SUPPLY_NEED, SUPPLY_OFFER, SUPPLY_REQUEST, SUPPLY_BOX };

struct supply_line {
	enum supply_kind kind;
	char leaf_hash[65];                    /* the need's, offer's, request's or shipment's */
	char log[NOTE_MAX_NAME + 1];
	uint64_t index;
	char time[21];
	char site[SUPPLY_CODE_MAX + 1], item[SUPPLY_CODE_MAX + 1], unit[SUPPLY_UNIT_MAX + 1];
	char disaster[SUPPLY_CODE_MAX + 1];
	char supporter[SUPPLY_NAME_MAX + 1];   /* offer: a p- ID, or the firm's name */
	bool firm;
	char need[65], offer[65], request[65]; /* references, "" for none */
	char expiry[SUPPLY_DATE_LEN + 1];
	char size[SUPPLY_SIZE_MAX + 1];        /* need, offer */
	char allergen_free[SUPPLY_ALLERGENS_MAX + 1];   /* need: to avoid; offer: absent */
	char deadline[21];                     /* need: UTC, "" for none */
	uint64_t priority;                     /* need: 1 most urgent, 0 for none */
	int64_t quantity;                      /* needed, offered, requested, or in the box */
	int64_t committed;                     /* need: pledged by offers */
	int64_t requested;                     /* need, offer: taken by requests */
	int64_t requested_free;                /* need: of that, from offers not pledged to it */
	int64_t shipped, received, lost;
	int64_t boxes, boxes_received, boxes_lost;   /* request */
	uint64_t box;                          /* box: its number */
	int64_t found;                         /* box: quantity found by its receipt */
	char receipt[65], received_at[21], discrepancy[16];
	char cancelled_by[65], lost_by[65], lost_at[21];   /* box: the lost report that counts, and when */
	bool unfilled;                         /* request or box beyond what was left */
};

/* The key of a line ("need/" and 64 hex digits) into out[80]. */
void supply_line_key(char out[80], enum supply_kind kind, const char *hex);
/* The kind's name: need, offer, request, box. */
const char *supply_kind_name(enum supply_kind kind);
/* A need's pledged quantity not yet requested from its pledged offers; 0 for a cancelled need and other lines. */
int64_t supply_need_pledged_waiting(const struct supply_line *ln);
/* What a line has left: need open, offer remaining, request unshipped (0 for a box). */
int64_t supply_line_open(const struct supply_line *ln);
/*
 * Need ln's quantity less what its pledges commit and what requests of free
 * offers took, before any bound: below 0 when pledges add up to more than
 * it asked (0 for a cancelled need and other lines).  supply_line_open is
 * this bounded by 0.
 */
int64_t supply_need_uncovered(const struct supply_line *ln);
/* What free offers may fill of a need: its uncovered quantity (freed pledges added), from 0 to wanted. */
int64_t supply_need_open_bound(int64_t uncovered, int64_t wanted);
/* Whether offer ln's goods expired by now (its expiry date is over): a request of it is refused. */
bool supply_offer_expired(const struct supply_line *ln, int64_t now);
/*
 * What offer no longer holds for the need it is pledged to at now: all it
 * has left once its goods expired, else 0.  The need is open for that much
 * again, which its line cannot say (a view is the same whenever it is
 * built); readers add it with supply_need_open_at.
 */
int64_t supply_pledge_lapsed(const struct supply_line *offer, int64_t now);
/*
 * Need ln's open with lapsed (the sum of its pledges' supply_pledge_lapsed)
 * no longer committed: supply_need_uncovered plus lapsed, bounded by 0 and
 * by what it still takes (asked less requested).
 */
int64_t supply_need_open_at(const struct supply_line *ln, int64_t lapsed);
/* The line's state word (open, partial, covered, received, taken, cancelled, unfilled, ...). */
const char *supply_line_state(const struct supply_line *ln);
/*
 * The leaf hash of the need, offer or request of log origin whose body.ref is ref,
 * from the lines view state: 0, EX_UNAVAILABLE when the log has none, else
 * an error.
 */
#define SUPPLY_REF_PREFIX "ref/"
#define SUPPLY_REF_KEY_MAX (8 + NOTE_MAX_NAME + SUPPLY_REF_MAX)
int supply_ref_find(struct view_state *s, const char *origin, const char *ref, char leaf[65],
		    struct chobo_error *err);
/* What names an entry by the reference its own log gave it, where a leaf hash may stand: ref:ID. */
#define SUPPLY_SENDER_REF_PREFIX "ref:"
/*
 * The whole leaf hash that text names into full: ref:ID for the need, offer
 * or request of this node's log posted with body.ref ID (the views brought
 * up to date first), else a leaf hash or an unambiguous prefix of one
 * (ledger_leaf_resolve).  0, EX_DATAERR naming text when none is found,
 * else an error.
 */
int supply_leaf_resolve(struct ledger *l, const char *text, char full[65], struct chobo_error *err);
/*
 * The requests still to ship that fill need (a leaf hash), named in it or
 * taking an offer pledged to it: not cancelled, not unfilled, with
 * something unshipped.  Their lines in *out (made here, *n of them, the
 * caller's to free, also on error); 0 or an error with err.  For saying,
 * when a need is cancelled, what is still on its way to it.
 */
int supply_need_requests_open(struct ledger *l, struct view_state *lines, const char *need,
			      struct supply_line **out, size_t *n, struct chobo_error *err);
/* Parse a stored value; false when it is not a line. */
bool supply_line_parse(const char *value, size_t len, struct supply_line *ln);
/* The line kind at key in the lines view state: 0, EX_UNAVAILABLE when absent, else an error. */
int supply_line_get(struct view_state *s, enum supply_kind kind, const char *hex, struct supply_line *ln,
		    struct chobo_error *err);

/*
 * The open index, kept in supply.lines beside the lines so that matching
 * reads the open needs and offers of the items concerned and nothing else:
 * "open/need/ITEM/UNIT/H" for every need with something open or pledges
 * not yet requested, and "open/offer/ITEM/UNIT/MASK/H" for every offer with
 * something left, MASK the bits of the offer's own allergen_free (match.h's,
 * 8 hex digits), so that a reader skips the offers that no need of the item
 * can take; each value a JSON array of what matching reads (what is open
 * to free offers, priority, deadline, site, size, allergen_free, disaster,
 * expiry, need, time, log, index, quantity, requested).  Item codes and
 * units hold no '/'.
 */
#define SUPPLY_OPEN_PREFIX "open/"
#define SUPPLY_OPEN_KEY_MAX 160
/* The prefix of kind's records (need or offer) in the index, of item and unit when item is not NULL. */
void supply_open_prefix(char out[SUPPLY_OPEN_KEY_MAX], enum supply_kind kind, const char *item, const char *unit);
/* The prefix of the offers of item and unit whose own allergen bits are mask. */
void supply_open_offer_prefix(char out[SUPPLY_OPEN_KEY_MAX], const char *item, const char *unit, uint32_t mask);
/* The allergen bits of an offer's index key, found prefix_len bytes in (after ".../UNIT/"); false if malformed. */
bool supply_open_offer_mask(const char *key, size_t prefix_len, uint32_t *mask);
/*
 * Parse an index record into ln (kind, leaf hash, item, unit and the fields
 * the record holds, quantity and requested among them) and *open (an
 * offer's > 0; a need's is supply_need_uncovered, which may be 0 or less,
 * see views.c); doc is scratch reused across calls.  False when the record
 * is malformed.
 */
bool supply_open_parse(const char *key, const char *value, size_t len, struct json_doc *doc,
		       struct supply_line *ln, int64_t *open);

/*
 * The stored value of a catalogue item or site by code: its body's field
 * name copied into out (cap bytes), "" when the field is absent.  0,
 * EX_UNAVAILABLE when no such code is registered, else an error.
 */
int supply_registry_field(struct view_state *s, const char *code, const char *field, char *out,
			  size_t cap, struct chobo_error *err);
/*
 * Whether site code's latest supply.site closes it ("open": false) into
 * *closed, from the sites view state: 0, EX_UNAVAILABLE when no such site
 * is registered, else an error.
 */
int supply_site_closed(struct view_state *sites, const char *code, bool *closed, struct chobo_error *err);

/* ---------------------------------------------------------- snapshot */

/* A code and its public name, from supply.sites or supply.catalogue. */
struct supply_named {
	char code[SUPPLY_CODE_MAX + 1];
	char name[SUPPLY_NAME_MAX + 1];
	bool closed;                   /* a site whose latest supply.site says "open": false */
};

/*
 * The codes, names and closed flags of view v (supply.sites or
 * supply.catalogue) of the open ledger l, in code order, appended to
 * *out[0..*n) (free with free()).  0 or an exit code with err.
 */
int supply_named_read(struct ledger *l, const struct view_spec *v, struct supply_named **out, size_t *n,
		      struct chobo_error *err);

/* What a reader copies out of the views while it holds the ledger. */
struct supply_snapshot {
	struct supply_line *line;      /* every line, in key order: kind name, then leaf hash */
	size_t n, cap;
	struct supply_named *sites, *items;   /* in code order */
	size_t nsites, nitems;
};

/*
 * Bring the views of the open ledger l up to date (one transaction) and
 * copy the lines and the names into s (free with supply_snapshot_free, also
 * after a failure).  0 or an exit code with err.
 */
int supply_snapshot_read(struct ledger *l, struct supply_snapshot *s, struct chobo_error *err);
void supply_snapshot_free(struct supply_snapshot *s);
/* The public name of code in v[0..n) (sites or items), "" when unknown. */
const char *supply_snapshot_name(const struct supply_named *v, size_t n, const char *code);
/* The site code of s, or NULL when it is not registered. */
const struct supply_named *supply_snapshot_site(const struct supply_snapshot *s, const char *code);
/* The line of kind with leaf hash hex in s, or NULL. */
const struct supply_line *supply_snapshot_line(const struct supply_snapshot *s, enum supply_kind kind,
					       const char *hex);

/* ------------------------------------------------------------ box labels */

struct payload;

/* The kind of a box label's payload: the type of the entry that records the box. */
#define SUPPLY_LABEL_KIND "supply.shipment"

/*
 * The payload of box b's label, unsigned: issuer b's log, kind
 * SUPPLY_LABEL_KIND, index b's, fields box, qty and expiry (when it has one).
 * 0, or EX_SOFTWARE with err.
 */
int supply_box_payload(const struct supply_line *b, struct payload *p, struct chobo_error *err);
/*
 * The box line of the shipment a verified label payload p names (by issuer
 * and index), brought up to date in the open ledger l; 0, or EX_DATAERR with
 * err when p is not a box label, names no shipment l holds, or its fields
 * differ from the shipment's.
 */
int supply_box_of_payload(struct ledger *l, const struct payload *p, struct supply_line *b,
			  struct chobo_error *err);

#endif
