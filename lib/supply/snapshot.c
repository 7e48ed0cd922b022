/*
 * A copy of the supply views for a program to work on after it has let the
 * ledger go: every line of supply.lines, and the public names of the sites
 * and items.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "supply.h"

struct collect {
	struct supply_snapshot *s;
	bool bad;
};

static int each_line(void *ctx, const char *key, const char *value, size_t len)
{
	struct collect *c = ctx;
	struct supply_snapshot *s = c->s;
	if (strncmp(key, SUPPLY_OPEN_PREFIX, strlen(SUPPLY_OPEN_PREFIX)) == 0 ||
	    strncmp(key, SUPPLY_REF_PREFIX, strlen(SUPPLY_REF_PREFIX)) == 0)
		return 0;   /* the open index repeats what the lines say; references are not lines */
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->line = xrealloc(s->line, s->cap * sizeof *s->line);
	}
	if (!supply_line_parse(value, len, &s->line[s->n])) {
		c->bad = true;
		return 1;
	}
	s->n++;
	return 0;
}

struct name_list {
	struct supply_named **v;
	size_t *n;
};

static int each_named(void *ctx, const char *key, const char *value, size_t len)
{
	struct name_list *nl = ctx;
	struct json_doc d = {0};
	char why[128];
	long body = -1, name, open;
	*nl->v = xrealloc(*nl->v, (*nl->n + 1) * sizeof **nl->v);
	struct supply_named *nm = &(*nl->v)[(*nl->n)++];
	snprintf(nm->code, sizeof nm->code, "%s", key);
	nm->name[0] = '\0';
	nm->closed = false;
	if (json_scan(&d, value, len, why, sizeof why) && (body = jscan_find(&d, 0, "body")) >= 0 &&
	    (name = jscan_find(&d, (size_t)body, "name")) >= 0)
		jscan_string_copy(&d, (size_t)name, nm->name, sizeof nm->name);
	if (body >= 0 && (open = jscan_find(&d, (size_t)body, "open")) >= 0)
		nm->closed = d.tok[open].kind == JSON_K_FALSE;
	json_doc_free(&d);
	return 0;
}

int supply_named_read(struct ledger *l, const struct view_spec *v, struct supply_named **out, size_t *n,
		      struct chobo_error *err)
{
	struct name_list nl = {out, n};
	return view_each(l, v, each_named, &nl, err);
}

int supply_snapshot_read(struct ledger *l, struct supply_snapshot *s, struct chobo_error *err)
{
	struct collect c = {s, false};
	memset(s, 0, sizeof *s);
	int rc = views_refresh(l, err);
	if (rc == 0)
		rc = view_each(l, &supply_lines_view, each_line, &c, err);
	if (rc == 0 && c.bad)
		rc = chobo_fail(err, EX_DATAERR, "%s: supply.lines holds a malformed value; "
				"run chain-verify --views", l->dir);
	if (rc == 0)
		rc = supply_named_read(l, &supply_sites_view, &s->sites, &s->nsites, err);
	if (rc == 0)
		rc = supply_named_read(l, &supply_catalogue_view, &s->items, &s->nitems, err);
	return rc;
}

void supply_snapshot_free(struct supply_snapshot *s)
{
	free(s->line);
	free(s->sites);
	free(s->items);
	memset(s, 0, sizeof *s);
}

static const struct supply_named *named_find(const struct supply_named *v, size_t n, const char *code)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].code, code);
		if (c == 0)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *supply_snapshot_name(const struct supply_named *v, size_t n, const char *code)
{
	const struct supply_named *nm = named_find(v, n, code);
	return nm ? nm->name : "";
}

const struct supply_named *supply_snapshot_site(const struct supply_snapshot *s, const char *code)
{
	return named_find(s->sites, s->nsites, code);
}

const struct supply_line *supply_snapshot_line(const struct supply_snapshot *s, enum supply_kind kind,
					       const char *hex)
{
	const char *kn = supply_kind_name(kind);
	size_t lo = 0, hi = s->n;
	if (!hex[0])
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct supply_line *ln = &s->line[mid];
		int c = strcmp(supply_kind_name(ln->kind), kn);
		if (c == 0)
			c = strcmp(ln->leaf_hash, hex);
		if (c == 0)
			return ln;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
