/*
 * A holder's history: every credit, debit and settlement of a scheme that
 * names the holder (and, for a shop, the debits that paid it), found by the
 * entry indexes on body.holder and body.shop (and on the holder field of the
 * credits of other types, points_sources), in the merge order, each with
 * whether it counted (points.h: the first movement of a reference counts; a
 * refused one moves nothing).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry_index.h"
#include "points.h"
#include "stored_entry.h"

struct found {
	uint32_t log;
	uint64_t index;
	bool received;
	const struct points_source *src;   /* a credit of another type */
};

struct collect {
	struct found *v;
	size_t n, cap;
	bool received;
	const struct points_source *src;
};

static int collect_one(void *ctx, uint32_t log, uint64_t index)
{
	struct collect *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = (struct found){log, index, c->received, c->src};
	return 0;
}

static int movement_cmp(const void *a, const void *b)
{
	const struct points_movement *x = a, *y = b;
	int c = (x->time > y->time) - (x->time < y->time);
	if (!c)
		c = strcmp(x->origin, y->origin);
	if (!c)
		c = (x->index > y->index) - (x->index < y->index);
	return c;
}

int points_history(struct ledger *l, const char *scheme, const char *holder, struct points_movement **out,
		   size_t *n, struct chobo_error *err)
{
	static const struct {
		const char *type, *field;
		bool received;
	} wanted[] = {
		{"points.credit", "holder", false},
		{"points.debit", "holder", false},
		{"points.debit", "shop", true},
		{"points.settle", "holder", false},
	};
	struct collect c = {0};
	int rc = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; rc == 0 && i < sizeof wanted / sizeof *wanted; i++) {
		c.received = wanted[i].received;
		rc = entry_index_each_key(l->store, wanted[i].type, wanted[i].field, holder, collect_one, &c, err);
	}
	c.received = false;
	for (const struct points_source *p = points_sources; rc == 0 && p->type; p++) {
		if (strcmp(p->scheme, scheme) != 0)
			continue;
		c.src = p;
		rc = entry_index_each_key(l->store, p->type, p->holder, holder, collect_one, &c, err);
	}
	struct points_movement *m = xcalloc(c.n + 1, sizeof *m);
	struct view_state *s = rc == 0 ? view_stored(l, &points_accounts_view) : NULL;
	struct stored_entry e = {0};
	size_t k = 0;
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		char sc[POINTS_SCHEME_MAX + 1], leaf[65];
		if ((rc = stored_entry_read(l, c.v[i].log, c.v[i].index, &e, err)) != 0)
			break;
		const struct points_source *src = c.v[i].src;
		if (src) {
			if (stored_body_int(&e.doc, e.body, src->points, 0) <= 0)
				continue;   /* granted nothing */
			snprintf(sc, sizeof sc, "%s", src->scheme);
		} else {
			stored_body_str(&e.doc, e.body, "scheme", sc, sizeof sc);
		}
		if (strcmp(sc, scheme) != 0)
			continue;
		struct points_movement *p = &m[k++];
		snprintf(p->origin, sizeof p->origin, "%s", e.origin);
		p->index = e.index;
		p->time = e.time;
		memcpy(p->leaf, e.leaf, sizeof p->leaf);
		snprintf(p->movement, sizeof p->movement, "%s",
			 src ? "credit" : c.v[i].received ? "received" : e.type->name + strlen("points."));
		p->points = stored_body_int(&e.doc, e.body, src ? src->points : "points", 0);
		p->yen = stored_body_int(&e.doc, e.body, "yen", 0);
		if (src)
			points_source_ref(src, &e.doc, e.body, p->ref);
		else
			stored_body_str(&e.doc, e.body, "ref", p->ref, sizeof p->ref);
		stored_body_str(&e.doc, e.body, c.v[i].received ? "holder" : "shop", p->other, sizeof p->other);
		rc = points_ref_get(s, scheme, p->ref, leaf, p->refused, sizeof p->refused, err);
		if (rc == EX_UNAVAILABLE || (rc == 0 && strcmp(leaf, e.leaf) != 0)) {
			/* Another movement took the reference first: this one moved nothing. */
			snprintf(p->refused, sizeof p->refused, "the reference %.100s was used first by entry %.64s",
				 p->ref, rc == 0 ? leaf : "(none)");
			rc = 0;
		}
	}
	stored_entry_free(&e);
	view_state_free(s);
	free(c.v);
	if (rc != 0) {
		free(m);
		return rc;
	}
	qsort(m, k, sizeof *m, movement_cmp);
	*out = m;
	*n = k;
	return 0;
}
