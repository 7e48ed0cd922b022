/* ecopt-grant: register eco members and equipment; ingest readings, compute CO2 reductions, grant eco-points. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "append.h"
#include "cli.h"
#include "codec.h"
#include "entry.h"
#include "eco/eco.h"
#include "eco/report.h"
#include "jsonl.h"
#include "ledger.h"
#include "points/points.h"
#include "private_store.h"
#include "records.h"
#include "repeat.h"
#include "service.h"
#include "store.h"
#include "util.h"

static const char usage[] =
	"usage: ecopt-grant [-qn] [-L DIR] [--factors FILE] [--csv | --jsonl] [FILE...]\n"
	"       ecopt-grant [-qn] [-L DIR] --register [FILE...]\n"
	"Readings (equipment, from, to, source, generated_kwh, sold_kwh, distance_km, charged_kwh,\n"
	"fuel_l) as JSON Lines or CSV: validated, reduced to grams of CO2, granted points, appended\n"
	"as one batch; one result line per reading.  --register: members and equipment.\n"
	"-n, --dry-run: judge everything as a run would (\"valid\" for what it would record), append nothing.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 3 stored but output not written (the entries are named), 65 bad data,\n"
	"66 no input, 74 output not written (nothing appended); other codes as in chobo(7).\n"
	"See ecopt-grant(1).\n";

/*
 * What one reading makes the store hold: its entry and index records, and
 * the views' records it reads and writes (eco.registry's equipment, member
 * and part records, the account and the credit's reference), so the cache
 * is sized for them as well as for the batch.
 */
#define ECO_READING_STORE_BYTES 4096

struct input {
	enum records_format format;
	bool registering;   /* --register: members and equipment, not readings */
	struct records list;
};

static int read_input(void *ctx, FILE *fp, const char *name)
{
	struct input *in = ctx;
	size_t len;
	char *text = records_read_all(fp, &len), err[1024];
	if (!text) {
		chobo_warn_errno("%s: read error; nothing was appended", name);
		return EX_IOERR;
	}
	/* Readings' cells stay text: a reading's values are judged on their digits as written. */
	bool ok = records_parse(&in->list, text, len, name, in->format, in->registering ? &eco_registration_csv : &eco_reading_csv,
				err, sizeof err);
	free(text);
	if (!ok) {
		chobo_warn("%s", err);
		chobo_warn("%s: nothing was appended", name);
	}
	return ok ? 0 : EX_DATAERR;
}

/* Add {"type":type,"body":body} (taking body) to b: 0, or EX_DATAERR with err naming where the record came from. */
static int batch_json(struct batch *b, const char *where, const char *type, json_t *body, struct chobo_error *err)
{
	char why[512];
	/* The reason names the entry's type already ("eco.equipment: unknown field body.colour"). */
	return batch_add_body(b, type, body, why, sizeof why) ? 0 : chobo_fail(err, EX_DATAERR, "%s: %s", where, why);
}

static void add_activity(struct view_text *t, int64_t gen, int64_t sold, int64_t dist, int64_t charged,
			 int64_t fuel)
{
	const char *names[] = {"generated_wh", "sold_wh", "distance_m", "charged_wh", "fuel_ml"};
	int64_t v[] = {gen, sold, dist, charged, fuel};
	for (size_t i = 0; i < 5; i++)
		if (v[i])
			view_text_member_int(t, names[i], v[i]);
}

/*
 * The eco.reading entry of an accepted reading r of equipment q: the
 * reading, its parts with their reductions, the factors, the points (the
 * points module credits them to the member).  Written as text: one entry
 * per reading, and no JSON tree built for it.
 */
static void reading_entry(struct batch *b, struct json_doc *doc, const struct eco_reading *r,
			  const struct eco_equipment *q, const struct eco_part *parts, size_t nparts,
			  const struct eco_factors *f, int64_t total, int64_t points, uint64_t ppk)
{
	struct view_text t = {0};
	char why[512];
	view_text_str(&t, "{\"type\":\"eco.reading\",\"body\":");
	view_text_object_str(&t, "equipment", r->equipment);
	view_text_member_str(&t, "from", r->from);
	view_text_member_str(&t, "to", r->to);
	view_text_member_str(&t, "source", r->source);
	add_activity(&t, r->generated_wh, r->sold_wh, r->distance_m, r->charged_wh, r->fuel_ml);
	view_text_member_str(&t, "member", q->member);
	view_text_member_str(&t, "methodology", eco_methodology(q->kind));
	view_text_str(&t, ",\"parts\":[");
	for (size_t p = 0; p < nparts; p++) {
		const struct eco_part *pt = &parts[p];
		if (p)
			view_text_str(&t, ",");
		view_text_str(&t, "{\"fy\":");
		view_text_int(&t, pt->fy);
		view_text_member_str(&t, "from", pt->from);
		view_text_member_str(&t, "to", pt->to);
		add_activity(&t, pt->generated_wh, pt->sold_wh, pt->distance_m, pt->charged_wh, pt->fuel_ml);
		view_text_member_int(&t, "baseline_g", pt->baseline_g);
		view_text_member_int(&t, "project_g", pt->project_g);
		view_text_member_int(&t, "reduction_g", pt->reduction_g);
		view_text_str(&t, "}");
	}
	view_text_str(&t, "]");
	view_text_member_int(&t, "reduction_g", total);
	view_text_member_str(&t, "factors", f->sha256);
	view_text_member_str(&t, "factors_version", f->version);
	view_text_member_int(&t, "points", points);
	view_text_member_int(&t, "points_per_kg", (int64_t)ppk);
	view_text_str(&t, "}}");
	if (!batch_add_line(b, t.p, t.len, doc, why, sizeof why))
		chobo_die(EX_DATAERR, "eco.reading: %s", why);
	view_text_free(&t);
}

/*
 * The readings accepted so far per device within this run (eco_earlier), so that one input is
 * judged as a whole: open addressing on the code, sized for every reading
 * of the run to be of another device (at most half full).
 */
struct last {
	char code[ECO_CODE_MAX + 1];
	struct eco_earlier earlier;
};

struct lasts {
	struct last *v;
	size_t mask;
};

static void lasts_init(struct lasts *t, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	t->v = xcalloc(cap, sizeof *t->v);
	t->mask = cap - 1;
}

/* The slot of code: its own, or the empty one where it goes (code[0] == '\0'). */
static struct last *lasts_slot(struct lasts *t, const char *code)
{
	for (size_t k = string_hash(code) & t->mask;; k = (k + 1) & t->mask)
		if (!t->v[k].code[0] || strcmp(t->v[k].code, code) == 0)
			return &t->v[k];
}

/*
 * The result lines of a run, as text, with the places where an accepted
 * reading's result goes: "granted" and the receipt's leaf_index and
 * leaf_hash once the batch is appended, "valid" when another reading was
 * refused and nothing was appended.
 */
struct results {
	struct view_text text;
	size_t *word_at;   /* offsets into text, in order */
	size_t n, cap;
};

/* Append ,"result": and the place of the result to come. */
static void results_word_here(struct results *r)
{
	view_text_str(&r->text, ",\"result\":");
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->word_at = xrealloc(r->word_at, r->cap * sizeof *r->word_at);
	}
	r->word_at[r->n++] = r->text.len;
}

/*
 * Print the lines to stdout, each accepted reading's place filled from its
 * receipt (receipts[k] for the k-th: the batch holds one entry a reading),
 * or with "valid" when receipts is NULL; false when stdout failed.
 */
static bool results_print(const struct results *r, const struct receipt *receipts)
{
	if (r->text.len == 0)
		return true;   /* no reading (--register): nothing to print, and no text allocated */
	size_t from = 0;
	for (size_t k = 0; k < r->n; k++) {
		size_t at = r->word_at[k];
		char word[128], leaf[65];
		int wlen;
		if (receipts) {
			hex32(leaf, receipts[k].leaf_hash);
			wlen = snprintf(word, sizeof word, "\"granted\",\"leaf_index\":%" PRIu64 ",\"leaf_hash\":\"%s\"",
					receipts[k].index, leaf);
		} else {
			wlen = snprintf(word, sizeof word, "\"valid\"");
		}
		if (fwrite(r->text.p + from, 1, at - from, stdout) != at - from ||
		    fwrite(word, 1, (size_t)wlen, stdout) != (size_t)wlen)
			return false;
		from = at;
	}
	return fwrite(r->text.p + from, 1, r->text.len - from, stdout) == r->text.len - from;
}

static void results_free(struct results *r)
{
	view_text_free(&r->text);
	free(r->word_at);
}

/*
 * The leaf_index and leaf_hash members of the entry of this node's log that
 * recorded reading r's period, which a duplicate repeats, appended to out
 * (nothing when another log recorded it); 0 or an error with e.
 */
static int recorded_entry(struct ledger *l, struct view_state *s, const struct eco_reading *r, struct view_text *out,
			  struct chobo_error *e)
{
	char log[NOTE_MAX_NAME + 1], leaf[65];
	uint64_t index;
	int rc = eco_reading_recorded(s, r, log, &index, e);
	if (rc != 0 || strcmp(log, l->conf.origin) != 0)
		return rc;
	if ((rc = ledger_leaf_hex(l, l->log_id, index, leaf, e)) != 0)
		return chobo_fail_context(e, rc, "eco.registry: the reading of %s for %s to %s", r->equipment,
					  r->from, r->to);
	view_text_member_int(out, "leaf_index", (int64_t)index);
	view_text_member_str(out, "leaf_hash", leaf);
	return 0;
}

/*
 * Judge, reduce and grant every reading of in into batch b (of[k]: the
 * record of batch entry k + 1), with one result line per reading appended
 * to res (JSON Lines, written as text: a run has up to a million of them).
 */
static int grant(struct ledger *l, struct input *in, const char *factors_path, struct batch *b, size_t *of,
		 struct results *res, size_t *refused, struct chobo_error *e)
{
	struct eco_factors *f = xcalloc(1, sizeof *f);
	uint64_t ppk;
	int rc = config_setting_u64(&l->conf, "eco.points_per_kg", &ppk, e);
	/* --factors is the user's, from the working directory; eco.factors the ledger's, from its directory. */
	char *configured = factors_path ? NULL : config_setting_path(&l->conf, l->dir, "eco.factors");
	if (!factors_path)
		factors_path = configured ? configured : CHOBO_PKGDATADIR "/emission-factors.json";
	if (rc == 0)
		rc = eco_factors_load(factors_path, f, e);
	free(configured);
	int64_t now = 0;
	bool test_clock;
	if (rc == 0)
		rc = ledger_now(l, &now, &test_clock, e);
	int64_t today = jp_day_of(now);
	/* The programme's certification period, when chobo.conf gives it: a reading lies inside it. */
	struct eco_window window;
	if (rc == 0)
		rc = eco_window_read(&l->conf, &window, e);
	/* A part in a period certified already earns its points, but no report will credit it: it is marked. */
	struct jcredit_period *certified = NULL;
	size_t ncertified = 0, late_parts = 0;
	if (rc == 0)
		rc = jcredit_certified_periods(l, &certified, &ncertified, e);
	struct view_state *s = rc == 0 ? view_stored(l, &eco_registry_view) : NULL;
	struct lasts lasts;
	lasts_init(&lasts, in->list.n);
	struct json_doc doc = {0};
	struct view_text *out = &res->text;
	for (size_t i = 0; rc == 0 && i < in->list.n; i++) {
		struct eco_reading r;
		struct eco_equipment q;
		struct eco_part parts[4];
		size_t nparts = 0;
		enum eco_verdict verdict = ECO_REFUSE;
		char why[1024] = "";
		view_text_object_str(out, "input", in->list.rec[i].where);
		if (eco_reading_parse(&in->list.rec[i], &r, why, sizeof why)) {
			struct last *last = lasts_slot(&lasts, r.equipment);
			if (eco_reading_over(&r, today, why, sizeof why) &&
			    eco_period_certifiable(&window, r.from, r.to, r.from_day, r.to_day, why, sizeof why))
				rc = eco_reading_judge(s, &r, l->conf.origin, last->code[0] ? &last->earlier : NULL, &q,
						       &verdict, why, sizeof why, e);
			if (rc == 0 && verdict == ECO_ACCEPT &&
			    (!eco_reading_complete(&in->list.rec[i], q.kind, why, sizeof why) ||
			     !eco_reading_plausible(&q, &r, why, sizeof why)))
				verdict = ECO_REFUSE;
			if (rc == 0 && verdict == ECO_ACCEPT) {
				struct chobo_error pe;
				if (eco_reduction(f, &q, &r, parts, &nparts, &pe) != 0) {
					verdict = ECO_REFUSE;
					snprintf(why, sizeof why, "%s", pe.msg);
				}
			}
			if (rc == 0 && verdict == ECO_ACCEPT) {
				last->earlier.stretches += eco_reading_stretches(&q, last->code[0] ? &last->earlier : NULL, &r);
				last->earlier.to = r.to_day;
				snprintf(last->code, sizeof last->code, "%s", r.equipment);
			}
			view_text_member_str(out, "equipment", r.equipment);
			view_text_member_str(out, "from", r.from);
			view_text_member_str(out, "to", r.to);
		} else {
			/* Refused as read: what names the reading is still said, as given, so that staff find it. */
			static const char *const names[] = {"equipment", "from", "to"};
			for (size_t k = 0; k < 3; k++) {
				const char *v = json_string_value(json_object_get(in->list.rec[i].o, names[k]));
				if (v && strlen(v) <= 64)
					view_text_member_str(out, names[k], v);
			}
		}
		if (rc != 0)
			break;
		if (verdict == ECO_REFUSE) {
			view_text_member_str(out, "result", "refused");
			view_text_str(out, ",\"reason\":");
			view_text_json_string(out, why);
			view_text_str(out, "}\n");
			(*refused)++;
			continue;
		}
		if (verdict == ECO_DUPLICATE) {
			view_text_member_str(out, "result", "duplicate");
			if ((rc = recorded_entry(l, s, &r, out, e)) != 0)
				break;
			view_text_str(out, "}\n");
			continue;
		}
		int64_t total = 0;
		for (size_t p = 0; p < nparts; p++)
			total += parts[p].reduction_g;
		/* Points for what was reduced, rounded down; a reading that reduced nothing earns none. */
		int64_t points = eco_points(total, (int64_t)ppk);
		of[b->n] = i;
		reading_entry(b, &doc, &r, &q, parts, nparts, f, total, points, ppk);
		results_word_here(res);
		view_text_member_str(out, "methodology", eco_methodology(q.kind));
		view_text_member_int(out, "reduction_g", total);
		view_text_member_int(out, "points", points);
		view_text_str(out, ",\"parts\":[");
		for (size_t p = 0; p < nparts; p++) {
			view_text_str(out, p ? ",{\"fy\":" : "{\"fy\":");
			view_text_int(out, parts[p].fy);
			view_text_member_str(out, "from", parts[p].from);
			view_text_member_str(out, "to", parts[p].to);
			view_text_member_int(out, "reduction_g", parts[p].reduction_g);
			int64_t pf = 0, pt = 0;
			bool dated = ncertified && jp_date_parse(parts[p].from, &pf) && jp_date_parse(parts[p].to, &pt);
			for (size_t c = 0; dated && c < ncertified; c++)
				if (pt >= certified[c].from_day && pf <= certified[c].to_day) {
					view_text_member_str(out, "certified", certified[c].text);
					late_parts++;
					break;
				}
			view_text_str(out, "}");
		}
		view_text_str(out, "]");
		view_text_member_str(out, "factors", f->sha256);
		view_text_str(out, "}\n");
	}
	json_doc_free(&doc);
	free(lasts.v);
	free(f);
	free(certified);
	view_state_free(s);
	if (rc == 0 && late_parts)
		chobo_warn("%zu part%s of these readings lie%s in a period certified already (its \"certified\"): the "
			   "points are granted, but no report credits %s", late_parts, late_parts == 1 ? "" : "s",
			   late_parts == 1 ? "s" : "", late_parts == 1 ? "it" : "them");
	return rc;
}

/*
 * Whether the registry holds record o (a member with home set, or equipment
 * with id_hash set) already: *same when it holds exactly that, which a re-run
 * of the same sheet skips as a duplicate (the entry that recorded it then in leaf); EX_DATAERR when it holds other
 * values under that member or code.  0 when it holds nothing of it.
 */
static int registered_before(struct view_state *s, enum eco_registration kind, const json_t *o, bool *same,
			     char leaf[65], struct chobo_error *e)
{
	*same = false;
	leaf[0] = '\0';
	if (kind == ECO_REG_MEMBER) {
		struct eco_member m;
		const char *id = json_string_value(json_object_get(o, "member"));
		int rc = id ? eco_member_get(s, id, &m, e) : EX_UNAVAILABLE;
		if (rc != 0)
			return rc == EX_UNAVAILABLE ? 0 : rc;
		if ((*same = eco_member_same(&m, o)))
			snprintf(leaf, 65, "%s", m.leaf);
		if (*same)
			return 0;
		return chobo_fail(e, EX_DATAERR, "member %s is already registered (%s, joined %s%s%s) with other values: "
				  "the same values are skipped; a departure is an eco.member entry with left "
				  "(ecopt-grant(1))", m.id, m.kind, m.joined, m.left[0] ? ", left " : "", m.left);
	}
	struct eco_equipment q;
	const char *code = json_string_value(json_object_get(o, "code"));
	int rc = code ? eco_equipment_get(s, code, &q, e) : EX_UNAVAILABLE;
	if (rc != 0)
		return rc == EX_UNAVAILABLE ? 0 : rc;
	if ((*same = eco_equipment_same(&q, o))) {
		snprintf(leaf, 65, "%s", q.leaf);
		return 0;
	}
	return chobo_fail(e, EX_DATAERR, "equipment %s is already registered (member %s, %s, monitored from %s) with "
			  "other values: the same values are skipped", q.code, q.member, eco_kind_name(q.kind),
			  q.monitoring_from);
}

/*
 * The entry body of registration record o, in place: equipment's serial
 * number becomes a keyed hash (other_scheme false unless given); a member
 * gets this node as home, and must be a person of its private store (the
 * ID it gave them: the same resident always has the same ID, so the
 * programme sees a second registration of them).  0 or a code with e.
 */
static int registration_body(struct ledger *l, struct private_store *ps, enum eco_registration kind, json_t *o,
			     struct chobo_error *e)
{
	if (kind == ECO_REG_MEMBER) {
		json_object_set_new(o, "home", json_string(l->conf.origin));
		return private_require(ps, "member", json_string_value(json_object_get(o, "member")), e);
	}
	const char *serial = json_string_value(json_object_get(o, "serial"));
	uint8_t h[32];
	char hex[65];
	char fix[ECO_SERIAL_MAX + 1];
	const char *problem;
	if (!serial)
		return chobo_fail(e, EX_DATAERR, "equipment needs its serial (kept only as a keyed hash)");
	if ((problem = eco_serial_problem(serial, fix)) != NULL) {
		/* Shown as typed, up to 80 bytes cut where a character ends, control characters as '?'. */
		char shown[81];
		size_t n = utf8_cut(serial, 80);
		for (size_t i = 0; i < n; i++)
			shown[i] = (unsigned char)serial[i] < 0x20 || serial[i] == 0x7f ? '?' : serial[i];
		shown[n] = '\0';
		return chobo_fail(e, EX_DATAERR, "serial \"%s\"%s %s%s%s%s", shown, n < strlen(serial) ? "..." : "", problem,
				  fix[0] ? ": write \"" : "", fix, fix[0] ? "\"" : "");
	}
	/* Under the programme's shared secret, the same serial has the same hash on every node. */
	char *shared = config_setting_path(&l->conf, l->dir, "eco.equipment_secret");
	int rc = shared ? private_shared_keyed_hash(shared, "eco.equipment", serial, h, e) :
			  private_keyed_hash(ps, "eco.equipment", serial, h, e);
	free(shared);
	if (rc != 0)
		return rc;
	hex32(hex, h);
	json_object_del(o, "serial");
	json_object_set_new(o, "id_hash", json_string(hex));
	if (!json_object_get(o, "other_scheme"))
		json_object_set_new(o, "other_scheme", json_false());
	return 0;
}

/*
 * Members and equipment into the batch; a record the registry holds already,
 * with the same values, is a duplicate and adds nothing.  of[k] is the record
 * that batch entry k + 1 came from (a member makes two: its points account
 * and itself).
 */
static int reg(struct ledger *l, struct input *in, struct batch *b, json_t **results, size_t *of,
	       struct chobo_error *e)
{
	struct private_store *ps = NULL;
	int rc = private_open(l, true, &ps, e);
	struct view_state *s = rc == 0 ? view_stored(l, &eco_registry_view) : NULL;
	json_t *given = json_object();   /* "member ID" or "code CODE" -> the record that gave it first */
	for (size_t i = 0; rc == 0 && i < in->list.n; i++) {
		const char *where = in->list.rec[i].where;
		enum eco_registration kind;
		bool same = false;
		char why[512];
		if (!eco_registration_names_known(in->list.rec[i].o, why, sizeof why) ||
		    !eco_registration_kind(in->list.rec[i].o, &kind, why, sizeof why) ||
		    !eco_registration_check(kind, in->list.rec[i].o, why, sizeof why)) {
			rc = chobo_fail(e, EX_DATAERR, "%s: %s", where, why);
			break;
		}
		const char *name = kind == ECO_REG_MEMBER ? "member" : "code";
		/* One record a member or device: a second would be refused by the rules as something else. */
		const char *id = json_string_value(json_object_get(in->list.rec[i].o, name));
		char key[160];
		snprintf(key, sizeof key, "%s %.128s", name, id ? id : "");
		const struct record *earlier = id ? records_earlier_with(&in->list, given, key, i) : NULL;
		if (earlier) {
			rc = chobo_fail(e, EX_DATAERR, "%s: %s %s is given on %s too: one record for each", where, name, id,
					earlier->where);
			break;
		}
		json_t *o = json_deep_copy(in->list.rec[i].o);
		json_t *res = json_pack("{s:s, s:O}", "input", where, name, json_object_get(o, name));
		if (!o || !res)
			xalloc_failed();
		results[i] = res;
		char leaf[65];
		struct repeat rep = {0};
		if ((rc = registration_body(l, ps, kind, o, e)) != 0 ||
		    (rc = registered_before(s, kind, o, &same, leaf, e)) != 0 ||
		    (leaf[0] && (rc = repeat_find(l, leaf, &rep, e)) != 0)) {
			chobo_fail_context(e, rc, "%s", where);
			json_decref(o);
			break;
		}
		if (same) {
			/* Named by the entry that recorded it (a member's registration, or its departure). */
			if (rep.is) {
				json_object_set_new(res, "leaf_index", json_integer((json_int_t)rep.index));
				json_object_set_new(res, "leaf_hash", json_string(rep.leaf));
			}
			json_decref(o);
		} else if (kind == ECO_REG_EQUIPMENT) {
			of[b->n] = i;
			rc = batch_json(b, where, "eco.equipment", o, e);
		} else {
			json_t *open = json_pack("{s:s, s:O, s:s}", "scheme", ECO_SCHEME, "holder",
						 json_object_get(o, "member"), "kind", "member");
			if (!open)
				xalloc_failed();
			of[b->n] = i;
			rc = batch_json(b, where, "points.open", open, e);
			if (rc == 0) {
				of[b->n] = i;
				rc = batch_json(b, where, "eco.member", o, e);
			} else {
				json_decref(o);
			}
		}
		if (rc == 0)
			json_object_set_new(res, "result", json_string(same ? "duplicate" : "registered"));
	}
	json_decref(given);
	view_state_free(s);
	private_close(ps);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"factors", required_argument, NULL, 'f'},
		{"register", no_argument, NULL, 'r'},
		{"csv", no_argument, NULL, 'c'},
		{"jsonl", no_argument, NULL, 'j'},
		{"dry-run", no_argument, NULL, 'n'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir(), *factors = NULL;
	struct input in = {0};
	bool dry_run = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:nhVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
		else if (opt == 'f')
			factors = optarg;
		else if (opt == 'r')
			in.registering = true;
		else if (opt == 'c')
			in.format = RECORDS_CSV;
		else if (opt == 'j')
			in.format = RECORDS_JSONL;
		else if (opt == 'n')
			dry_run = true;
	}
	int rc = jsonl_read_inputs(argv + optind, argc - optind, "nothing was appended", read_input, &in);
	if (rc == 0 && in.list.n == 0) {
		chobo_info("no records in the input; nothing was appended");
		cli_exit(0);
	}
	struct ledger l;
	struct note_signer key;
	char origin[NOTE_MAX_NAME + 1] = "";   /* this node's log, named when the output is lost */
	struct batch batch = {0};
	struct chobo_error e = {0};
	json_t **results = xcalloc(in.list.n + 1, sizeof *results);   /* --register's */
	size_t *of = xcalloc(2 * in.list.n + 1, sizeof *of);           /* the batch entries' records */
	struct results readings = {0};                                 /* the readings' */
	struct receipt *receipts = NULL;                               /* the batch's, once appended */
	size_t refused = 0;
	store_expect_bytes((uint64_t)in.list.n * ECO_READING_STORE_BYTES);
	if (rc == 0 && (rc = cli_report(ledger_open_append(&l, dir, &key, &e), &e)) == 0) {
		/* Judged against current views: one this version stores otherwise is rebuilt, committed, first. */
		rc = views_refresh(&l, &e);
		if (rc == 0)
			rc = in.registering ? reg(&l, &in, &batch, results, of, &e)
					 : grant(&l, &in, factors, &batch, of, &readings, &refused, &e);
		if (rc != 0 && e.msg[0]) {
			/* ledger_append says it of its own failures. */
			snprintf(e.msg + strlen(e.msg), sizeof e.msg - strlen(e.msg), "; nothing was appended");
		} else if (rc == 0 && refused == 0 && batch.n > 0 && dry_run) {
			/* Judged by the views and every rule in a transaction that is then aborted. */
			if ((rc = ledger_append_check(&l, &batch, &key, NULL, &e)) != 0)
				records_name_entry(&in.list, of, batch.n, &e);
		} else if (rc == 0 && refused == 0 && batch.n > 0) {
			uint64_t size;
			char time[21];
			receipts = xcalloc(batch.n, sizeof *receipts);
			rc = ledger_append(&l, &batch, &key, NULL, receipts, &size, time, &e);
			/* The rules name the batch entry they refuse: say which input record made it. */
			if (rc != 0)
				records_name_entry(&in.list, of, batch.n, &e);
		}
		snprintf(origin, sizeof origin, "%s", l.conf.origin);
		rc = cli_report(ledger_close_after(&l, rc, &e), &e);
		note_signer_clear(&key);
	}
	/* A registration's line names the entry it made: a member's, after its points account's. */
	for (size_t k = 0; rc == 0 && receipts && in.registering && k < batch.n; k++) {
		char leaf[65];
		hex32(leaf, receipts[k].leaf_hash);
		json_object_set_new(results[of[k]], "leaf_index", json_integer((json_int_t)receipts[k].index));
		json_object_set_new(results[of[k]], "leaf_hash", json_string(leaf));
	}
	for (size_t i = 0; rc == 0 && dry_run && i < in.list.n; i++) {
		const char *word = results[i] ? json_string_value(json_object_get(results[i], "result")) : NULL;
		if (word && strcmp(word, "registered") == 0)
			json_object_set_new(results[i], "result", json_string("valid"));
	}
	bool printed = true;
	for (size_t i = 0; i < in.list.n; i++) {
		if (rc == 0 && results[i] && printed)
			printed = jsonl_print(results[i]);
		else
			json_decref(results[i]);
	}
	if (rc == 0 && (!printed || !results_print(&readings, refused > 0 || !receipts ? NULL : receipts) ||
			fflush(stdout) != 0 || ferror(stdout))) {
		size_t n = receipts ? batch.n : 0;
		rc = cli_output_lost(n, n ? receipts[0].index : 0, n ? receipts[n - 1].index : 0, origin,
				     "the same input again is a duplicate that prints what it recorded, appending nothing");
	}
	free(receipts);
	results_free(&readings);
	if (rc == 0 && refused > 0) {
		chobo_warn("%zu of %zu readings refused; nothing was appended", refused, in.list.n);
		rc = EX_DATAERR;
	} else if (rc == 0 && dry_run) {
		cli_dry_run_passed(batch.n);
	}
	free(results);
	free(of);
	records_free(&in.list);
	batch_free(&batch);
	cli_exit(rc);
}
