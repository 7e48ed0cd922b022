/*
 * Volunteer events for mail, derived from volunteer.registry after the
 * views are brought up to date (so that entries that arrive by sync notify
 * too), in the form of supply events (lib/supply/events.h) so that the same
 * cursor prints each once and chobo-mail sends them:
 *
 *   registered  a registration for a fiscal year         -> the volunteer
 *   assigned    an assignment to a posting               -> the volunteer
 *   reminder    an assignment whose posting starts tomorrow (JST) -> the volunteer
 *   granted     an approval, with the units and points   -> the volunteer
 *
 * A reminder is caused by the assignment entry but exists only on the day
 * before the posting: the cursor remembers it like any other event.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "volunteer.h"

static const char *const names[] = {VOLUNTEER_EVENT_NAMES};
#define NNAMES (sizeof names / sizeof *names)

struct reader {
	struct view_state *s;
	struct supply_events *ev;
	int64_t tomorrow;
	struct chobo_error *err;
	int rc;
	struct kept { char *key, *value; size_t len; } *kept;   /* the records of the first pass */
	size_t nkept;
};

/* Add event name (one of names[]) caused by the entry whose position value o holds, for volunteer who. */
static void add(struct reader *r, size_t name, const json_t *pos, const char *who, const struct view_text *about)
{
	struct supply_event e = {.name = names[name]};
	char index[24];
	view_json_str(pos, "time", e.time, sizeof e.time);
	view_json_str(pos, "origin", e.log, sizeof e.log);
	view_json_str(pos, "leaf", e.leaf_hash, sizeof e.leaf_hash);
	e.index = (uint64_t)view_json_int(pos, "index");
	struct view_text t = {0};
	snprintf(index, sizeof index, "%" PRIu64, e.index);
	view_text_object_str(&t, "event", e.name);
	view_text_member_str(&t, "time", e.time);
	view_text_member_str(&t, "log", e.log);
	view_text_str(&t, ",\"index\":");
	view_text_str(&t, index);
	view_text_member_str(&t, "leaf_hash", e.leaf_hash);
	view_text_str(&t, ",\"to\":[");
	view_text_json_string(&t, who);
	view_text_str(&t, "]");
	view_text_member_str(&t, "volunteer", who);
	view_text_add(&t, about->p, about->len);
	view_text_str(&t, "}");
	view_text_add(&t, "", 1);
	e.line = t.p;
	r->ev->v = xrealloc(r->ev->v, (r->ev->n + 1) * sizeof *r->ev->v);
	r->ev->v[r->ev->n++] = e;
}

/* The members of posting code that an assignment's events carry. */
static bool posting_about(struct reader *r, const char *code, struct view_text *t, int64_t *day)
{
	static const char *const strs[] = {"host", "kind", "task", "district", "from", "to", NULL};
	char key[VIEW_MAX_KEY], v[VOLUNTEER_TAGS_MAX + 1];
	json_t *post;
	int64_t from = 0;
	snprintf(key, sizeof key, "post/%s", code);
	int rc = volunteer_get_json(r->s, key, &post, r->err);
	if (rc != 0) {
		r->rc = rc == EX_UNAVAILABLE ? 0 : rc;
		return false;
	}
	/* The posting's from and to are the event's starts and ends: "to" names the recipients. */
	static const char *const as[] = {"host", "kind", "task", "district", "starts", "ends", NULL};
	view_text_member_str(t, "posting", code);
	for (size_t i = 0; strs[i]; i++) {
		view_json_str(post, strs[i], v, sizeof v);
		view_text_member_str(t, as[i], v);
		if (strcmp(strs[i], "from") == 0)
			time_parse(v, &from);
	}
	json_decref(post);
	*day = jp_day_of(from);
	return true;
}

/* The first pass keeps the records that cause events: the store is not read inside view_each. */
static int keep(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *r = ctx;
	if (strncmp(key, "reg/", 4) != 0 && strncmp(key, "asg/", 4) != 0 && strncmp(key, "grant/", 6) != 0)
		return 0;
	r->kept = xrealloc(r->kept, (r->nkept + 1) * sizeof *r->kept);
	struct kept *k = &r->kept[r->nkept++];
	k->key = xstrdup(key);
	k->value = xmalloc(len + 1);
	memcpy(k->value, value, len);
	k->value[len] = '\0';
	k->len = len;
	return 0;
}

static void each(struct reader *r, const char *key, const char *value, size_t len)
{
	json_t *o = json_loadb(value, len, 0, NULL);
	struct view_text about = {0};
	char who[PERSON_ID_TEXT + 1] = "", code[VOLUNTEER_CODE_MAX + 1] = "";
	if (!o)
		return;
	if (strncmp(key, "reg/", 4) == 0) {
		/* reg/P/FY */
		const char *slash = strrchr(key, '/');
		snprintf(who, sizeof who, "%.*s", (int)(slash - key - 4), key + 4);
		view_text_str(&about, ",\"fy\":");
		view_text_str(&about, slash + 1);
		add(r, 0, o, who, &about);
	} else if (strncmp(key, "asg/", 4) == 0) {
		/* asg/CODE/P */
		const char *slash = strrchr(key, '/');
		int64_t day;
		snprintf(code, sizeof code, "%.*s", (int)(slash - key - 4), key + 4);
		snprintf(who, sizeof who, "%s", slash + 1);
		if (posting_about(r, code, &about, &day)) {
			add(r, 1, o, who, &about);
			if (day == r->tomorrow)
				add(r, 2, o, who, &about);
		}
	} else if (strncmp(key, "grant/", 6) == 0) {
		view_json_str(o, "volunteer", who, sizeof who);
		view_text_member_str(&about, "activity", key + 6);
		view_text_member_int(&about, "units", view_json_int(o, "units"));
		view_text_member_int(&about, "points", view_json_int(o, "points"));
		add(r, 3, o, who, &about);
	}
	view_text_free(&about);
	json_decref(o);
}

static size_t rank(const char *name)
{
	size_t i = 0;
	while (i < NNAMES && strcmp(names[i], name) != 0)
		i++;
	return i;
}

/* The merge order of the causing entries (time, log, index), then the order of names[]. */
static int event_order(const void *pa, const void *pb)
{
	const struct supply_event *a = pa, *b = pb;
	int c = supply_event_position_cmp(a, b);
	return c ? c : (int)rank(a->name) - (int)rank(b->name);
}

int volunteer_events_read(struct ledger *l, struct supply_events *out, struct chobo_error *err)
{
	int64_t now;
	memset(out, 0, sizeof *out);
	if (!chobo_now(&now))
		return chobo_fail(err, EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");
	struct reader r = {.ev = out, .tomorrow = jp_day_of(now) + 1, .err = err};
	int rc = views_refresh(l, err);
	if (rc == 0)
		rc = log_list_read(l, NULL, &out->logs, err);
	if (rc == 0) {
		rc = view_each(l, &volunteer_registry_view, keep, &r, err);
		r.s = view_stored(l, &volunteer_registry_view);
		for (size_t i = 0; rc == 0 && i < r.nkept; i++) {
			each(&r, r.kept[i].key, r.kept[i].value, r.kept[i].len);
			rc = r.rc;
		}
		view_state_free(r.s);
	}
	for (size_t i = 0; i < r.nkept; i++) {
		free(r.kept[i].key);
		free(r.kept[i].value);
	}
	free(r.kept);
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, event_order);
	return rc;
}
