/*
 * volunteer-issue: register volunteers and print their registration
 * certificates, post requests, record applications, assignments and
 * activities, approve reports and grant points; spend them at shops; list
 * history, balances and volunteers by skill.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "append.h"
#include "cli.h"
#include "codec.h"
#include "jsonl.h"
#include "keys.h"
#include "label_render.h"
#include "ledger.h"
#include "payload.h"
#include "points/points.h"
#include "private_store.h"
#include "qr_code.h"
#include "records.h"
#include "revocation.h"
#include "stored_entry.h"
#include "supply/events.h"
#include "util.h"
#include "volunteer/volunteer.h"

static const char usage[] =
	"usage: volunteer-issue [-qn] [-L DIR] VERB [MEMBER OPTIONS] [--csv | --jsonl] [FILE...]\n"
	"  VERB (one entry per record): register certify revoke post apply assign start end\n"
	"       decline report approve\n"
	"  MEMBER OPTIONS make one record: --volunteer P --fy N --skills TAGS --languages TAGS\n"
	"       --certificate PAYLOAD|HASH --reason R --posting CODE --host CODE --kind TAG\n"
	"       --task TEXT --district NAME --from TIME --to TIME --people N --activity ID\n"
	"       --at TIME --note TEXT; without them, records come as JSON Lines or CSV\n"
	"  certify also draws: [--term] [--png FILE] [--svg FILE] [--pdf FILE]\n"
	"  -n, --dry-run: judge the records as a run would (\"valid\" for what it would record),\n"
	"       append nothing (certify -n signs and draws no card)\n"
	"volunteer-issue [-qn] [-L DIR] shop --shop CODE\n"
	"volunteer-issue [-qn] [-L DIR] spend --volunteer P --shop CODE --points N --ref REF\n"
	"volunteer-issue [-qn] [-L DIR] settle --shop CODE --points N --ref REF\n"
	"  -n, --dry-run: judge the movement by every rule (\"valid\"), append nothing\n"
	"volunteer-issue [-L DIR] history|balance [--volunteer P] [--csv [--bom]]\n"
	"volunteer-issue [-L DIR] search [--skill TAG] [--csv [--bom]]\n"
	"volunteer-issue [-q] [-L DIR] events [--since-start] [--dry-run] [--horizon DAYS]\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 73 a drawing not written (recorded),\n"
	"3 output not written (what was recorded is named), 74 output not written (nothing appended);\n"
	"other codes as in chobo(7).\n"
	"See volunteer-issue(1).\n";

/* The events' cursor and its lock, under the ledger's private/ directory (volunteer-issue(1), FILES). */
#define CURSOR_FILE "private/volunteer-events.cursor"
#define LOCK_FILE "private/volunteer-events.lock"

/* The record members that options fill, by option name (the same names). */
static const char *const member_options[] = {
	"volunteer", "fy", "skills", "languages", "certificate", "reason", "posting", "host", "kind", "task",
	"district", "from", "to", "people", "activity", "at", "note", NULL,
};

struct run {
	const char *dir;
	json_t *options;                      /* the record the member options make, or NULL */
	enum records_format format;
	struct records list;
	const char *png, *svg, *pdf;
	bool term, csv, bom;
	const char *skill, *shop, *ref;
	int64_t points;
	int64_t now;
	bool dry_run;                         /* -n: the batch judged by every rule, and nothing appended */
};

static int read_input(void *ctx, FILE *fp, const char *name)
{
	struct run *r = ctx;
	size_t len;
	char *text = records_read_all(fp, &len), err[1024];
	if (!text) {
		chobo_warn_errno("%s: read error; nothing was appended", name);
		return EX_IOERR;
	}
	bool ok = records_parse(&r->list, text, len, name, r->format, NULL, err, sizeof err);
	free(text);
	if (!ok)
		chobo_warn("%s; nothing was appended", err);
	return ok ? 0 : EX_DATAERR;
}

/* Add {"type":type,"body":body} to b (taking body); 0 or EX_DATAERR with err. */
static int batch_json(struct batch *b, const char *type, json_t *body, struct chobo_error *err)
{
	char why[1024];
	return batch_add_body(b, type, body, why, sizeof why) ? 0 : chobo_fail(err, EX_DATAERR, "%s: %s", type, why);
}

/* ---------------------------------------------------------- certificates */

/*
 * The certificate a record names: a payload (decoded and verified against
 * the ledger's trusted keys, volunteer's when volunteer is not NULL) or a
 * leaf hash, into leaf.  Its validity is the recorded entry's, to the
 * second (the rules check it): the payload's whole JST days are the same.
 * 0, or EX_DATAERR with err.
 */
static int certificate_leaf(struct ledger *l, struct view_state *s, const char *given, const char *volunteer,
			    char leaf[65], struct chobo_error *err)
{
	uint8_t h[32];
	if (strlen(given) == 64 && hex_decode(h, sizeof h, given)) {
		hex32(leaf, h);
		return 0;
	}
	struct trust trust = {0};
	struct payload p;
	uint32_t key_id;
	char why[256];
	int rc = ledger_trust(l->dir, NULL, &trust, err);
	if (rc != 0)
		return rc;
	enum payload_problem pp = payload_decode(given, strlen(given), &trust, &p, &key_id, why, sizeof why);
	trust_free(&trust);
	if (pp != PAYLOAD_VALID)
		return chobo_fail(err, EX_DATAERR, "the certificate does not check: %s", why);
	if (strcmp(p.kind, VOLUNTEER_CERT_KIND) != 0)
		return chobo_fail(err, EX_DATAERR, "the payload is a %s, not a volunteer certificate", p.kind);
	const char *who = payload_field(&p, "volunteer");
	if (volunteer && (!who || strcmp(who, volunteer) != 0))
		return chobo_fail(err, EX_DATAERR, "the certificate is %s's, not %s's", who ? who : "no one", volunteer);
	rc = volunteer_cert_at(s, p.issuer, p.index, leaf, err);
	if (rc == EX_UNAVAILABLE)
		return chobo_fail(err, EX_DATAERR, "this node holds no certificate at entry %" PRIu64 " of %s (sync first)",
				  p.index, p.issuer);
	return rc;
}

/* The signed payload of the certificate entry at index whose body is b. */
static int certificate_payload(const json_t *b, uint64_t index, const struct note_signer *key, char **out,
			       struct chobo_error *err)
{
	struct payload p = {.index = index};
	int64_t fy = json_integer_value(json_object_get(b, "fy")), expires = 0, from, to;
	char fys[16];
	snprintf(p.issuer, sizeof p.issuer, "%s", key->pub.name);
	snprintf(p.kind, sizeof p.kind, "%s", VOLUNTEER_CERT_KIND);
	snprintf(fys, sizeof fys, "%" PRId64, fy);
	time_parse(json_string_value(json_object_get(b, "expires")), &expires);
	/* Days in Japan: April 1 to March 31, both whole, as the card prints them. */
	volunteer_fy_validity((int32_t)fy, &from, &to);
	p.not_before = from;
	p.not_after = payload_last_day(expires);
	if (!payload_add_field(&p, "volunteer", json_string_value(json_object_get(b, "volunteer"))) ||
	    !payload_add_field(&p, "fy", fys))
		return chobo_fail(err, EX_SOFTWARE, "a certificate that a payload does not take");
	return payload_encode(&p, key, out, err);
}

/* Draw one drawing of the certificates to path (stdout when NULL), whole or not at all. */
static int draw(const char *path, enum label_format f, const struct label *labels, size_t n, struct chobo_error *err)
{
	struct replacement file = {.fp = stdout};
	int rc = path ? replace_open(&file, path, 0644, err) : 0;
	if (rc != 0)
		return rc;
	rc = f == LABEL_PDF ? label_write_pdf_card(file.fp, labels, n, err) : label_write(file.fp, f, false, labels, n, err);
	if (path && rc == 0)
		return replace_commit(&file, err);
	if (path)
		replace_abort(&file);
	return rc;
}

/* The certificates' drawings: the code, and the card's text in Japanese. */
static int draw_certificates(const struct run *r, json_t **bodies, char **payloads, size_t n, const char *issuer,
			     struct chobo_error *err)
{
	struct qr_code *codes = xcalloc(n, sizeof *codes);
	struct label *labels = xcalloc(n, sizeof *labels);
	char (*text)[5][LABEL_MAX_LINE_BYTES] = xcalloc(n, sizeof *text);
	const char *(*lines)[5] = xcalloc(n, sizeof *lines);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *b = bodies[i];
		snprintf(text[i][0], sizeof text[i][0], "ボランティア登録証");
		snprintf(text[i][1], sizeof text[i][1], "%" JSON_INTEGER_FORMAT "年度 有効期間",
			 json_integer_value(json_object_get(b, "fy")));
		snprintf(text[i][2], sizeof text[i][2], "%s〜%s", json_string_value(json_object_get(b, "valid_from")),
			 json_string_value(json_object_get(b, "valid_to")));
		snprintf(text[i][3], sizeof text[i][3], "%s", json_string_value(json_object_get(b, "volunteer")));
		snprintf(text[i][4], sizeof text[i][4], "発行 %s", issuer);
		for (size_t k = 0; k < 5; k++)
			lines[i][k] = text[i][k];
		rc = qr_code_encode(&codes[i], payloads[i], QR_VERSION_CHOBO, err);
		/* The pseudonym (line 4) is what staff copy from the card: on one line, never broken after "p-". */
		labels[i] = (struct label){&codes[i], lines[i], 5, 1u << 3};
	}
	if (rc == 0 && (r->png || r->svg || r->term) && n != 1)
		rc = chobo_fail(err, EX_USAGE, "--term, --png and --svg draw one certificate; --pdf draws several");
	if (rc == 0 && r->term)
		rc = draw(NULL, LABEL_TERM, labels, n, err);
	if (rc == 0 && r->png)
		rc = draw(r->png, LABEL_PNG, labels, n, err);
	if (rc == 0 && r->svg)
		rc = draw(r->svg, LABEL_SVG, labels, n, err);
	if (rc == 0 && r->pdf)
		rc = draw(r->pdf, LABEL_PDF, labels, n, err);
	for (size_t i = 0; i < n; i++)
		qr_code_free(&codes[i]);
	free(codes);
	free(labels);
	free(text);
	free(lines);
	return rc;
}

/* ---------------------------------------------------------- points */

/* A points.scheme for the volunteer scheme when the ledger has none, or other terms than chobo.conf's. */
static int scheme_entry(struct view_state *pts, const struct volunteer_rules *vr, struct batch *b,
			struct chobo_error *err)
{
	struct points_scheme sc;
	int64_t expiry = vr->carry_over ? vr->expiry_days : 0;
	int rc = points_scheme_get(pts, VOLUNTEER_SCHEME, &sc, err);
	if (rc == 0 && sc.yen_per_point == vr->yen_per_point && sc.expiry_days == expiry && sc.carry_max == vr->carry_max)
		return 0;
	if (rc != 0 && rc != EX_UNAVAILABLE)
		return rc;
	json_t *body = json_pack("{s:s, s:I}", "scheme", VOLUNTEER_SCHEME, "yen_per_point", (json_int_t)vr->yen_per_point);
	if (expiry > 0)
		json_object_set_new(body, "expiry_days", json_integer(expiry));
	if (vr->carry_max > 0)
		json_object_set_new(body, "carry_max", json_integer(vr->carry_max));
	return batch_json(b, "points.scheme", body, err);
}

/*
 * What the registry counts at key (day/P/DATE units, fy/P/FY points), or
 * what approvals earlier in this run made it (pending): 0 with *v, or an error.
 */
static int counted(struct view_state *vs, json_t *pending, const char *key, const char *name, int64_t *v,
		   struct chobo_error *err)
{
	json_t *o, *p = json_object_get(pending, key);
	*v = 0;
	if (p) {
		*v = json_integer_value(p);
		return 0;
	}
	int rc = volunteer_get_json(vs, key, &o, err);
	if (rc == 0) {
		*v = view_json_int(o, name);
		json_decref(o);
	}
	return rc == EX_UNAVAILABLE ? 0 : rc;
}

/*
 * An approval and its points: the units the activity earns within its
 * posting's time (volunteer_activity_counted) and the day's cap, the points
 * within the fiscal year's (the day and year of its end, as the rules count
 * them), and the
 * credit, expiring on March 31 of that year unless chobo.conf lets points
 * carry over (yes: expiry_days; N: the scheme's carry_max); pending keeps
 * the counts of the run's approvals.  0, or EX_DATAERR with err when the
 * caps leave nothing to grant.
 */
static int approval_entries(struct view_state *vs, const struct volunteer_rules *vr, int64_t now, json_t *pending,
			    json_t *body, struct batch *b, struct chobo_error *err)
{
	struct volunteer_activity a;
	const char *id = json_string_value(json_object_get(body, "activity"));
	int rc = volunteer_activity_get(vs, id, &a, err);
	if (rc == EX_UNAVAILABLE)
		return chobo_fail(err, EX_DATAERR, "no activity %s", id);
	if (rc != 0)
		return rc;
	if (!a.reported || strcmp(a.state, "ended") != 0)
		return chobo_fail(err, EX_DATAERR, "activity %s is %s%s: nothing to approve", id, a.state,
				  a.reported || strcmp(a.state, "ended") != 0 ? "" : " and not reported");
	int64_t start = 0, end = 0, whole_start = 0, whole_end = 0, used_day = 0, used_fy = 0;
	if ((rc = volunteer_activity_counted(vs, &a, &start, &end, err)) != 0)
		return rc;
	time_parse(a.start, &whole_start);
	time_parse(a.end, &whole_end);
	int64_t d = jp_day_of(whole_end);
	int32_t fy = jp_fiscal_year(d);
	/* Without carry-over, points live until March 31 of the activity's year: later, there is nothing to grant. */
	if (!vr->carry_over && vr->carry_max == 0 && jp_fiscal_year(jp_day_of(now)) > fy)
		return chobo_fail(err, EX_DATAERR, "activity %s counts in FY%d, which has closed: points do not carry over "
				  "(volunteer.carry_over)", id, (int)fy);
	char dkey[VIEW_MAX_KEY], fkey[VIEW_MAX_KEY], day[JP_DATE_LEN + 1], expires[JP_DATE_LEN + 1];
	char ref[POINTS_REF_MAX + 1];
	jp_date_format(day, d);
	snprintf(dkey, sizeof dkey, "day/%s/%s", a.volunteer, day);
	snprintf(fkey, sizeof fkey, "fy/%s/%d", a.volunteer, (int)fy);
	if ((rc = counted(vs, pending, dkey, "units", &used_day, err)) != 0 ||
	    (rc = counted(vs, pending, fkey, "points", &used_fy, err)) != 0)
		return rc;
	if (end == start)
		return chobo_fail(err, EX_DATAERR, "activity %s (%s to %s) lies wholly outside posting %s's time: it earns "
				  "nothing", id, a.start, a.end, a.posting);
	int64_t units = volunteer_units(vr, start, end);
	if (units < 1) {
		if (volunteer_units(vr, whole_start, whole_end) < 1)
			return chobo_fail(err, EX_DATAERR, "activity %s lasted less than an hour: it earns no unit", id);
		return chobo_fail(err, EX_DATAERR, "activity %s (%s to %s) spent less than an hour within posting %s's "
				  "time: it earns no unit", id, a.start, a.end, a.posting);
	}
	if (vr->max_units_day > 0 && units > vr->max_units_day - used_day)
		units = vr->max_units_day - used_day;
	if (units < 1)
		return chobo_fail(err, EX_DATAERR, "at most %" PRId64 " units a day: %s has %" PRId64 " on %s already",
				  vr->max_units_day, a.volunteer, used_day, day);
	int64_t points = units * vr->points_per_unit;
	if (vr->cap_fy > 0 && points > vr->cap_fy - used_fy)
		points = vr->cap_fy - used_fy;
	if (points < 1)
		return chobo_fail(err, EX_DATAERR, "at most %" PRId64 " points in a fiscal year: %s has %" PRId64
				  " in FY%d already", vr->cap_fy, a.volunteer, used_fy, (int)fy);
	json_object_set_new(pending, dkey, json_integer(used_day + units));
	json_object_set_new(pending, fkey, json_integer(used_fy + points));
	snprintf(ref, sizeof ref, "volunteer.activity:%s", id);
	json_object_set_new(body, "volunteer", json_string(a.volunteer));
	json_object_set_new(body, "unit", json_string(vr->per_hour ? "hour" : "activity"));
	json_object_set_new(body, "units", json_integer(units));
	json_object_set_new(body, "points", json_integer(points));
	json_object_set_new(body, "points_per_unit", json_integer(vr->points_per_unit));
	json_object_set_new(body, "max_units_day", json_integer(vr->max_units_day));
	json_object_set_new(body, "cap_fy", json_integer(vr->cap_fy));
	json_object_set_new(body, "ref", json_string(ref));
	json_t *credit = json_pack("{s:s, s:s, s:I, s:s}", "scheme", VOLUNTEER_SCHEME, "holder", a.volunteer, "points",
				   (json_int_t)points, "ref", ref);
	if (!vr->carry_over) {
		jp_date_format(expires, jp_fiscal_year_start(fy + 1) - 1);
		json_object_set_new(credit, "expires", json_string(expires));
	}
	if ((rc = batch_json(b, "volunteer.approval", json_incref(body), err)) != 0) {
		json_decref(credit);
		return rc;
	}
	return batch_json(b, "points.credit", credit, err);
}

/* ---------------------------------------------------------- appending */

/* Batch entries *made up to n were made by record rec: so *of says. */
static void entries_made_by(size_t **of, size_t *made, size_t n, size_t rec)
{
	*of = xrealloc(*of, (n ? n : 1) * sizeof **of);
	for (; *made < n; (*made)++)
		(*of)[*made] = rec;
}

/*
 * A record whose work the registry holds done (volunteer_work_key) by an
 * entry of this log: given again with the same body (the record as given:
 * a step's time left out is the one recorded, tags in any order) it is a
 * repeat (rep set, nothing to append); with another, or done by another
 * log, it is refused naming what is recorded.  0 or a code with err.
 */
static int record_repeat(struct ledger *l, struct view_state *vs, enum volunteer_verb v, const char *type,
			 const json_t *record, const json_t *body, struct repeat *rep, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], what[192], leaf[65], why[512];
	json_t *o = NULL;
	if (!volunteer_work_key(v, body, key, sizeof key))
		return 0;
	int rc = volunteer_get_json(vs, key, &o, err);
	if (rc != 0)
		return rc == EX_UNAVAILABLE ? 0 : rc;
	view_json_str(o, "leaf", leaf, sizeof leaf);
	json_decref(o);
	volunteer_work_name(v, body, what, sizeof what);
	/* Judged as a record first: one the schema refuses is refused as such, done before or not.
	 * An approval's record names its activity alone: the rest is what approving makes. */
	if (v != VOL_APPROVE && !entry_body_valid(type, body, why, sizeof why))
		return chobo_fail(err, EX_DATAERR, "%s: %s", type, why);
	struct stored_entry se = {0};
	const char *differs = NULL;
	json_t *same = json_deep_copy(body);
	if (!same)
		xalloc_failed();
	if ((rc = stored_entry_find(l, leaf, &se, err)) != 0)
		chobo_fail_context(err, rc, "volunteer.registry %s (run chain-verify --views)", key);
	else if (strcmp(se.origin, l->conf.origin) != 0)
		rc = chobo_fail(err, EX_DATAERR, "%s is recorded already, as entry %" PRIu64 " of %s", what, se.index,
				se.origin);
	for (const char *const *f = (const char *const[]){"skills", "languages", NULL}; rc == 0 && *f; f++) {
		char stored[VOLUNTEER_TAGS_MAX + 1];
		const char *given = json_string_value(json_object_get(same, *f));
		stored_body_str(&se.doc, se.body, *f, stored, sizeof stored);
		if (given && stored[0] && volunteer_tags_same(given, stored))
			json_object_set_new(same, *f, json_string(stored));
	}
	if (rc == 0 && (v == VOL_START || v == VOL_END || v == VOL_DECLINE) && !json_object_get(record, "at")) {
		char at[21];
		stored_body_str(&se.doc, se.body, "at", at, sizeof at);
		json_object_set_new(same, "at", json_string(at));
	}
	if (rc == 0 && v != VOL_APPROVE && !stored_body_same(&se, same, &differs))
		rc = chobo_fail(err, EX_DATAERR, "%s is recorded already, as entry %" PRIu64 " (%.16s), with another %s%s",
				what, se.index, leaf, differs,
				v == VOL_REGISTER ? ": a volunteer registers once a fiscal year" :
				v == VOL_POST ? ": a posting's code is used once" : "");
	if (rc == 0)
		repeat_of_entry(rep, &se);
	json_decref(same);
	stored_entry_free(&se);
	return rc;
}

/*
 * A revoke body of a certificate this log revoked already: for the same
 * reason a repeat (rep set: a revocation run again), for another refused
 * naming the one that stands.  0 or a code with err.
 */
static int revocation_repeat(struct ledger *l, const json_t *body, struct repeat *rep, struct chobo_error *err)
{
	const char *ref = json_string_value(json_object_get(body, "ref"));
	const char *reason = json_string_value(json_object_get(body, "reason"));
	struct revocation done;
	int rc = ref ? revocation_own(l, ref, &done, err) : 0;
	if (rc != 0 || !ref || !done.entry.is)
		return rc;
	if (strcmp(done.reason, reason ? reason : "") != 0)
		return chobo_fail(err, EX_DATAERR, "certificate %.16s is already revoked, as %s, by entry %llu", ref,
				  done.reason, (unsigned long long)done.entry.index);
	*rep = done.entry;
	return 0;
}

/*
 * Before a certificate, an application, an assignment or a start: a
 * volunteer registered on this node passed private_require then, so one the
 * private store no longer holds was erased, and no card is issued and no new
 * work taken on for someone the municipality has forgotten (and can no
 * longer reach).  Work under way may still end, be reported, approved or
 * declined.  One registered elsewhere, or not at all, is left to the rules,
 * which say so.  *ps is opened here when first needed.  0, EX_DATAERR naming
 * the volunteer and what is refused (refused, "no certificate is issued"),
 * or another code with err.
 */
static int volunteer_held(struct ledger *l, struct view_state *vs, const char *who, const char *refused,
			  struct private_store **ps, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], home[NOTE_MAX_NAME + 1];
	uint8_t id[PERSON_ID_BYTES];
	json_t *o;
	bool found;
	if (!who || !person_id_parse(who, id))
		return 0;   /* the entry's own check names the field */
	snprintf(key, sizeof key, "vol/%s", who);
	int rc = volunteer_get_json(vs, key, &o, err);
	if (rc != 0)
		return rc == EX_UNAVAILABLE ? 0 : rc;
	view_json_str(o, "home", home, sizeof home);
	json_decref(o);
	if (strcmp(home, l->conf.origin) != 0)
		return 0;
	if (!*ps && (rc = private_open(l, false, ps, err)) != 0)
		return rc;
	if ((rc = private_holds(*ps, id, &found, err)) != 0)
		return rc;
	if (!found)
		return chobo_fail(err, EX_DATAERR, "volunteer %s is registered on this node but no longer in its private "
				  "store: the person's private data were erased (chain-private erase), and %s for them",
				  who, refused);
	return 0;
}

/*
 * Build the batch of verb v from the records; bodies[i] keeps record i's
 * body, entry_of[i] the batch index of its entry, rep[i] whether it repeats
 * work or a revocation the ledger holds (then it adds nothing), and *record_of
 * (made here, b->n items) the record that made each batch entry
 * (r->list.n for none).
 */
static int build(struct ledger *l, enum volunteer_verb v, struct run *r, struct batch *b, json_t **bodies,
		 size_t *entry_of, struct repeat *rep, size_t **record_of, struct chobo_error *err)
{
	struct volunteer_rules vr;
	int rc = volunteer_rules_read(&l->conf, &vr, err);
	struct view_state *vs = view_stored(l, &volunteer_registry_view);
	struct view_state *pts = view_stored(l, &points_accounts_view);
	json_t *pending = json_object(), *given = json_object();   /* given: the records by work key */
	struct private_store *ps = NULL;
	if (rc == 0 && (v == VOL_REGISTER || v == VOL_APPROVE))
		rc = scheme_entry(pts, &vr, b, err);
	if (rc == 0 && v == VOL_REGISTER)
		rc = private_open(l, true, &ps, err);
	size_t made = 0;   /* entries made before the records' (the scheme's terms) are none's */
	for (size_t i = 0; rc == 0 && i < r->list.n; i++) {
		const char *type, *where = r->list.rec[i].where;
		char why[1024], leaf[65];
		entries_made_by(record_of, &made, b->n, r->list.n);
		json_t *body;
		if (!volunteer_record_body(v, r->list.rec[i].o, r->now, l->conf.origin, &type, &body, why, sizeof why))
			rc = chobo_fail(err, EX_DATAERR, "%s", why);
		/*
		 * A certificate given as a payload becomes the leaf hash of its entry; after the
		 * record is judged, so that a malformed member is named as such, not as a card
		 * that does not check.
		 */
		const char *cert_member = v == VOL_START ? "certificate" : "ref";
		const char *cert = rc == 0 && (v == VOL_START || v == VOL_REVOKE) ?
				   json_string_value(json_object_get(body, cert_member)) : NULL;
		if (cert) {
			rc = certificate_leaf(l, vs, cert, v == VOL_START ?
					      json_string_value(json_object_get(body, "volunteer")) : NULL, leaf, err);
			if (rc == 0)
				json_object_set_new(body, cert_member, json_string(leaf));
			else
				json_decref(body);
		}
		if (rc != 0) {
			chobo_fail_context(err, rc, "%s", where);
			break;
		}
		/* One record a thing done: a copied row is a mistake to say, not a repeat. */
		char key[VIEW_MAX_KEY], what[192];
		const struct record *earlier = volunteer_work_key(v, body, key, sizeof key) ?
					       records_earlier_with(&r->list, given, key, i) : NULL;
		if (earlier) {
			volunteer_work_name(v, body, what, sizeof what);
			rc = chobo_fail(err, EX_DATAERR, "%s: %s is on %s too: one record for each", where, what,
					earlier->where);
			json_decref(body);
			break;
		}
		if ((rc = v == VOL_REVOKE ? revocation_repeat(l, body, &rep[i], err) :
			  record_repeat(l, vs, v, type, r->list.rec[i].o, body, &rep[i], err)) != 0) {
			json_decref(body);
			chobo_fail_context(err, rc, "%s", where);
			break;
		}
		if (rep[i].is) {
			bodies[i] = body;   /* the same record again: nothing to append */
			continue;
		}
		/* An erased volunteer is told so before what else a start lacks. */
		static const char *const refused[VOL_NVERBS] = {
			[VOL_CERTIFY] = "no certificate is issued", [VOL_APPLY] = "no application is recorded",
			[VOL_ASSIGN] = "no assignment is recorded", [VOL_START] = "no start is recorded"};
		if (refused[v])
			rc = volunteer_held(l, vs, json_string_value(json_object_get(body, "volunteer")), refused[v],
					    &ps, err);
		if (rc == 0 && v == VOL_START)
			rc = volunteer_start_check(vs, body, err);
		if (v == VOL_REGISTER) {
			struct points_account a;
			const char *who = json_string_value(json_object_get(body, "volunteer"));
			/* Someone the municipality can reach, under the one ID their identifier gives. */
			int got = private_require(ps, "volunteer", who, err);
			if (got == 0)
				got = points_account_get(pts, VOLUNTEER_SCHEME, who, &a, err);
			if (got == EX_UNAVAILABLE)
				rc = batch_json(b, "points.open", json_pack("{s:s, s:s, s:s}", "scheme", VOLUNTEER_SCHEME,
									    "holder", who, "kind", "member"), err);
			else
				rc = got;
		}
		entry_of[i] = b->n;
		bodies[i] = body;
		if (rc == 0)
			rc = v == VOL_APPROVE ? approval_entries(vs, &vr, r->now, pending, body, b, err) :
			     batch_json(b, type, json_incref(body), err);
		if (rc != 0)
			chobo_fail_context(err, rc, "%s", where);
		entries_made_by(record_of, &made, b->n, i);
	}
	if (rc != 0 && r->options)
		records_name_options(err->msg, sizeof err->msg);   /* one record, from the options */
	json_decref(pending);
	json_decref(given);
	private_close(ps);
	view_state_free(vs);
	view_state_free(pts);
	return rc;
}

/* s for a shell command line: as it is when it is plain, else in single quotes. */
static void shell_word(char *out, size_t size, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,") == strlen(s)) {
		snprintf(out, size, "%s", s);
		return;
	}
	size_t k = 0;
	if (k + 1 < size)
		out[k++] = '\'';
	for (const char *p = s; *p && k + 5 < size; p++) {
		if (*p == '\'') {
			memcpy(out + k, "'\\''", 4);
			k += 4;
		} else {
			out[k++] = *p;
		}
	}
	if (k + 1 < size)
		out[k++] = '\'';
	out[k] = '\0';
}

/*
 * After certify: a volunteer who holds another certificate of the year not
 * revoked has two valid cards, which is right only when both are meant to
 * be; say so, with the command that withdraws the older one.  0 or an
 * error reading the registry.
 */
static int warn_replaced(struct ledger *l, const struct run *r, json_t *const *bodies, const struct repeat *rep,
			 const struct receipt *receipts, const size_t *entry_of, struct chobo_error *err)
{
	for (size_t i = 0; i < r->list.n; i++) {
		const char *who = json_string_value(json_object_get(bodies[i], "volunteer"));
		json_int_t fy = json_integer_value(json_object_get(bodies[i], "fy"));
		char leaves[8][65], mine[65];
		size_t n;
		int rc = volunteer_certs_standing(l, who ? who : "", fy, leaves, 8, &n, err);
		if (rc != 0)
			return rc;
		char dir[600];
		shell_word(dir, sizeof dir, r->dir);
		/* This record's certificate: the one it repeats, or the one just made. */
		if (rep[i].is)
			snprintf(mine, sizeof mine, "%s", rep[i].leaf);
		else
			hex32(mine, receipts[entry_of[i]].leaf_hash);
		for (size_t k = 0; k < n; k++)
			if (strcmp(leaves[k], mine) != 0)
				chobo_warn("%s: volunteer %s also holds certificate %.16s for FY%" JSON_INTEGER_FORMAT
					   ", valid until revoked; if the new card replaces it: cert-revoke -L %s --reason "
					   "superseded %s", r->list.rec[i].where, who, leaves[k], fy, dir, leaves[k]);
	}
	return 0;
}

/* Add said to the end of err's message; cut short, the message keeps what comes first (the log, the entries). */
static void err_add(struct chobo_error *err, const char *said)
{
	size_t at = strlen(err->msg), room = sizeof err->msg - 1 - at, m = strlen(said);
	memcpy(err->msg + at, said, m < room ? m : room);
	err->msg[at + (m < room ? m : room)] = '\0';
}

/*
 * A certify whose certificates were committed but whose payloads, drawings
 * or output lines failed (printed: whether standard output has the lines):
 * add to err what was recorded (the log, each entry's index and leaf hash),
 * that certify again would issue another certificate, valid alongside, and
 * the cert-revoke command that withdraws them first, so that nobody has to
 * look for them in chain-log.
 */
static void name_recorded(struct chobo_error *err, const struct run *r, const struct receipt *receipts,
			  const size_t *entry_of, const char *origin, bool printed)
{
	char dir[512], cmd[sizeof err->msg], leaf[65], where[sizeof dir + 64];
	size_t n = r->list.n, len;
	shell_word(dir, sizeof dir, r->dir);
	len = (size_t)snprintf(cmd, sizeof cmd, "cert-revoke -L %s --reason error", dir);
	for (size_t i = 0; i < n && len < sizeof cmd; i++) {
		hex32(leaf, receipts[entry_of[i]].leaf_hash);
		len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s", leaf);
	}
	if (printed)
		snprintf(where, sizeof where, "their leaf hashes on standard output");
	else
		snprintf(where, sizeof where, "chain-log -L %s --type %s lists them", dir, VOLUNTEER_CERT_KIND);
	char said[sizeof cmd + sizeof where + 768];
	if (n == 1) {
		hex32(leaf, receipts[entry_of[0]].leaf_hash);
		snprintf(said, sizeof said,
			 "; the certificate is recorded, as entry %" PRIu64 " of %.255s (leaf hash %s): do not simply "
			 "run certify again, which issues a second certificate, valid alongside this one; for a new "
			 "card, revoke this one with `%s` and certify again", receipts[entry_of[0]].index, origin, leaf,
			 cmd);
	} else {
		snprintf(said, sizeof said,
			 "; the %zu certificates are recorded, as entries %" PRIu64 " to %" PRIu64 " of %.255s (%s): do "
			 "not simply run certify again, which issues second certificates, valid alongside these; for "
			 "new cards, revoke these with `%s` and certify again", n, receipts[entry_of[0]].index,
			 receipts[entry_of[n - 1]].index, origin, where,
			 len < sizeof cmd ? cmd : "cert-revoke --reason error HASH...");
	}
	err_add(err, said);
}

/*
 * Standard output failed after the batch of verb v (nentries entries) was
 * committed: add to err what stands, so that a retry does not make it
 * twice.  A certificate is named as name_recorded does; any other record
 * done is a duplicate when given again (volunteer_work_key, a revocation
 * for the same reason), which appends nothing and prints its entry, and
 * the message says so.
 */
static void name_unprinted(struct chobo_error *err, enum volunteer_verb v, const struct run *r, json_t *const *bodies,
			   const struct repeat *rep, const struct receipt *receipts, const size_t *entry_of,
			   size_t nentries, const char *origin)
{
	char said[1024], what[256], entries[64];
	size_t done = 0, first = r->list.n;
	if (nentries == 0) {
		err_add(err, "; nothing was appended: every record is a duplicate of an entry recorded before");
		return;
	}
	if (v == VOL_CERTIFY) {
		name_recorded(err, r, receipts, entry_of, origin, false);
		return;
	}
	for (size_t i = 0; i < r->list.n; i++)
		if (!rep[i].is && done++ == 0)
			first = i;
	const char *ref = done == 1 ? json_string_value(json_object_get(bodies[first], "ref")) : NULL;
	if (done == 1 && v == VOL_REVOKE)
		snprintf(what, sizeof what, "the revocation of certificate %.16s", ref ? ref : "");
	else if (done == 1)
		volunteer_work_name(v, bodies[first], what, sizeof what);
	else
		snprintf(what, sizeof what, "%zu records", done);
	if (nentries == 1)
		snprintf(entries, sizeof entries, "entry %" PRIu64, receipts[0].index);
	else
		snprintf(entries, sizeof entries, "entries %" PRIu64 " to %" PRIu64, receipts[0].index,
			 receipts[nentries - 1].index);
	if (done == 0) {
		/* Every record a duplicate: what was appended is the scheme's terms they are counted under. */
		snprintf(said, sizeof said, "; every record is a duplicate of an entry recorded before; the volunteer "
			 "points scheme's terms are recorded, as %s of %.255s", entries, origin);
		err_add(err, said);
		return;
	}
	snprintf(said, sizeof said, "; %s %s recorded, as %s of %.255s: the same %s again %s, appending nothing",
		 what, done == 1 ? "is" : "are", entries, origin, r->options ? "command" : "input",
		 done == 1 ? "is a duplicate that prints it" : "gives duplicates that print them");
	err_add(err, said);
}

static int append_records(enum volunteer_verb v, struct run *r)
{
	struct ledger l;
	struct note_signer key;
	struct batch b = {0};
	struct chobo_error e = {0};
	size_t n = r->list.n;
	json_t **bodies = xcalloc(n + 1, sizeof *bodies);
	size_t *entry_of = xcalloc(n + 1, sizeof *entry_of);
	size_t *record_of = NULL;   /* made by build */
	struct repeat *rep = xcalloc(n + 1, sizeof *rep);
	char **payloads = xcalloc(n + 1, sizeof *payloads);
	struct receipt *receipts = NULL;
	uint64_t size = 0;
	char time[21] = "", origin[NOTE_MAX_NAME + 1] = "";
	bool committed = false, lines = false, printed = true;
	int rc = cli_report(ledger_open_append(&l, r->dir, &key, &e), &e);
	if (rc != 0)
		goto out;
	if ((rc = views_refresh(&l, &e)) == 0)
		rc = build(&l, v, r, &b, bodies, entry_of, rep, &record_of, &e);
	if (rc == 0 && b.n > 0 && r->dry_run) {
		/* Judged by the views and every rule in a transaction that is then aborted. */
		rc = ledger_append_check(&l, &b, &key, NULL, &e);
	} else if (rc == 0 && b.n > 0) {
		receipts = xcalloc(b.n, sizeof *receipts);
		rc = ledger_append(&l, &b, &key, NULL, receipts, &size, time, &e);
		committed = rc == 0;
	} else if (rc == 0) {
		committed = true;   /* every record a repeat: nothing to append */
	}
	if (rc != 0 && record_of && e.batch_entry >= 1 && e.batch_entry <= b.n) {
		/* A rule refused a batch entry: say which record made it. */
		records_name_entry(&r->list, record_of, b.n, &e);
		if (r->options)
			records_name_options(e.msg, sizeof e.msg);
	}
	if (rc != 0 && e.msg[0] && !strstr(e.msg, "nothing was appended"))
		snprintf(e.msg + strlen(e.msg), sizeof e.msg - strlen(e.msg), "; nothing was appended");
	/* Not after a dry run: it made no card, and the advice to revoke the standing one would leave none. */
	if (rc == 0 && v == VOL_CERTIFY && !r->dry_run)
		rc = warn_replaced(&l, r, bodies, rep, receipts, entry_of, &e);
	/* Committed: a payload or drawing that cannot be made is reported, the entries stand.  A dry run signs none. */
	for (size_t i = 0; rc == 0 && v == VOL_CERTIFY && !r->dry_run && i < n; i++)
		rc = certificate_payload(bodies[i], receipts[entry_of[i]].index, &key, &payloads[i], &e);
	if (rc == 0 && v == VOL_CERTIFY && (r->term || r->png || r->svg || r->pdf))   /* none with -n (main) */
		rc = draw_certificates(r, bodies, payloads, n, l.conf.origin, &e);
	if (rc != 0 && v == VOL_CERTIFY && committed)
		name_recorded(&e, r, receipts, entry_of, l.conf.origin, true);
	snprintf(origin, sizeof origin, "%s", l.conf.origin);   /* for a message after the close */
	rc = cli_report(ledger_close_after(&l, rc, &e), &e);
	note_signer_clear(&key);
	/* What was committed is printed even when its payload or drawing failed: the entries stand.  So is what a
	 * dry run passed. */
	lines = committed || (r->dry_run && rc == 0);
	for (size_t i = 0; lines && i < n; i++) {
		char leaf[65];
		json_t *o;
		if (rep[i].is) {
			o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "input", r->list.rec[i].where, "result", "duplicate",
				      "leaf_index", (json_int_t)rep[i].index, "leaf_hash", rep[i].leaf, "time", rep[i].time);
		} else if (r->dry_run) {
			o = json_pack("{s:s, s:s}", "input", r->list.rec[i].where, "result", "valid");
		} else {
			const struct receipt *rc_i = &receipts[entry_of[i]];
			hex32(leaf, rc_i->leaf_hash);
			o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "input", r->list.rec[i].where, "result", "recorded",
				      "leaf_index", (json_int_t)rc_i->index, "leaf_hash", leaf, "time", time);
		}
		if (!o)
			xalloc_failed();
		json_object_update(o, bodies[i]);
		if (payloads[i])
			json_object_set_new(o, "payload", json_string(payloads[i]));
		printed = jsonl_print(o) && printed;
	}
	/* Lines lost after the commit: say what stands, or a retry makes a second certificate. */
	if (lines && rc == 0 && (!printed || fflush(stdout) != 0 || ferror(stdout))) {
		/* 3 when entries stand that the lost lines named; 74 when nothing was appended. */
		rc = chobo_fail_errno(&e, committed && b.n > 0 ? EXIT_STORED_UNREPORTED : EX_IOERR,
				      "standard output could not be written");
		if (committed)
			name_unprinted(&e, v, r, bodies, rep, receipts, entry_of, b.n, origin);
		else
			err_add(&e, "; nothing was appended (--dry-run)");
		cli_report(rc, &e);
	}
	if (rc == 0 && r->dry_run)
		cli_dry_run_passed(b.n);
out:
	for (size_t i = 0; i < n; i++) {
		json_decref(bodies[i]);
		free(payloads[i]);
	}
	free(bodies);
	free(entry_of);
	free(record_of);
	free(rep);
	free(payloads);
	free(receipts);
	batch_free(&b);
	return rc;
}

/* ---------------------------------------------------------- shops */

static int redeem(const char *verb, struct run *r)
{
	const char *member = r->options ? json_string_value(json_object_get(r->options, "volunteer")) : NULL;
	struct points_request q = {.scheme = VOLUNTEER_SCHEME, .member = member, .shop = r->shop, .ref = r->ref,
				   .points = r->points};
	if (strcmp(verb, "shop") == 0)
		q.op = POINTS_OP_SHOP;
	else if (strcmp(verb, "spend") == 0)
		q.op = POINTS_OP_SPEND;
	else
		q.op = POINTS_OP_SETTLE;
	/* Name what is missing: the whole usage alone leaves a clerk guessing which option it wants. */
	if (!r->shop)
		chobo_die(EX_USAGE, "%s needs --shop", verb);
	if (q.op == POINTS_OP_SPEND && !member)
		chobo_die(EX_USAGE, "spend needs --volunteer");
	if (q.op != POINTS_OP_SHOP && r->points < 1)
		chobo_die(EX_USAGE, "%s needs --points, 1 or more", verb);
	if (q.op != POINTS_OP_SHOP && !r->ref)
		chobo_die(EX_USAGE, "%s needs --ref, the reference that makes a repeated request a duplicate", verb);
	q.dry_run = r->dry_run;
	return points_redeem_run(r->dir, &q);
}

/* ---------------------------------------------------------- readers */

struct reader {
	struct run *r;
	const char *volunteer;
	json_t *counts;    /* search: volunteer -> {kind: activities, ..., "declined": n} */
	struct view_text t;
};

/* Append o (taken) to t as one JSON line. */
static void json_line(struct view_text *t, json_t *o, size_t flags)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | flags) : NULL;
	if (!s)
		xalloc_failed();
	view_text_str(t, s);
	view_text_str(t, "\n");
	free(s);
	json_decref(o);
}

static void csv_row(struct view_text *t, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		view_text_csv_field(t, cells[i], strlen(cells[i]));
		view_text_str(t, i + 1 < n ? "," : "\r\n");
	}
}

static int history_row(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *c = ctx;
	static struct volunteer_activity a;
	if (strncmp(key, "act/", 4) != 0 || !volunteer_activity_parse(key + 4, value, len, &a) ||
	    (c->volunteer && strcmp(a.volunteer, c->volunteer) != 0))
		return 0;
	if (c->r->csv) {
		char units[24], points[24];
		snprintf(units, sizeof units, "%" PRId64, a.units);
		snprintf(points, sizeof points, "%" PRId64, a.points);
		const char *cells[] = {a.id, a.posting, a.volunteer, a.kind, a.host, a.state, a.start, a.end, units, points};
		csv_row(&c->t, cells, 10);
		return 0;
	}
	json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "activity", a.id, "posting",
				 a.posting, "volunteer", a.volunteer, "kind", a.kind, "host", a.host, "state", a.state,
				 "start", a.start, "end", a.end, "units", (json_int_t)a.units, "points",
				 (json_int_t)a.points);
	json_line(&c->t, line, 0);
	return 0;
}

/* search's first pass: the activities of each volunteer, counted by kind (declined ones apart). */
static int count_row(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *c = ctx;
	static struct volunteer_activity a;
	if (strncmp(key, "act/", 4) != 0 || !volunteer_activity_parse(key + 4, value, len, &a))
		return 0;
	json_t *k = json_object_get(c->counts, a.volunteer);
	if (!k) {
		k = json_object();
		json_object_set_new(c->counts, a.volunteer, k);
	}
	const char *what = strcmp(a.state, "declined") == 0 ? "declined" : a.kind;
	json_object_set_new(k, what, json_integer(json_integer_value(json_object_get(k, what)) + 1));
	return 0;
}

static int search_row(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *c = ctx;
	if (strncmp(key, "vol/", 4) != 0)
		return 0;
	json_t *o = json_loadb(value, len, 0, NULL);
	char skills[VOLUNTEER_TAGS_MAX + 1], langs[VOLUNTEER_TAGS_MAX + 1];
	view_json_str(o, "skills", skills, sizeof skills);
	view_json_str(o, "languages", langs, sizeof langs);
	int64_t fy = view_json_int(o, "fy");
	json_decref(o);
	if (c->r->skill && !volunteer_tags_found(skills, c->r->skill))
		return 0;
	const char *who = key + 4;
	json_t *counts = json_object_get(c->counts, who);
	int64_t total = 0, declined = json_integer_value(json_object_get(counts, "declined"));
	const char *k;
	json_t *n;
	json_object_foreach(counts, k, n)
		if (strcmp(k, "declined") != 0)
			total += json_integer_value(n);
	if (c->r->csv) {
		char fys[16], totals[24], decl[24];
		snprintf(fys, sizeof fys, "%" PRId64, fy);
		snprintf(totals, sizeof totals, "%" PRId64, total);
		snprintf(decl, sizeof decl, "%" PRId64, declined);
		const char *cells[] = {who, fys, skills, langs, totals, decl};
		csv_row(&c->t, cells, 6);
		return 0;
	}
	json_t *by_kind = counts ? json_deep_copy(counts) : json_object();
	json_object_del(by_kind, "declined");
	json_t *line = json_pack("{s:s, s:I, s:s, s:s, s:I, s:o, s:I}", "volunteer", who, "fy", (json_int_t)fy, "skills",
				 skills, "languages", langs, "activities", (json_int_t)total, "by_kind", by_kind,
				 "declined", (json_int_t)declined);
	json_line(&c->t, line, JSON_SORT_KEYS);
	return 0;
}

static int balance_row(void *ctx, const struct points_account *a, const struct points_scheme *sc)
{
	struct reader *c = ctx;
	int64_t today = jp_day_of(c->r->now);
	if (c->r->csv) {
		points_account_csv(&c->t, a, sc, today);
		return 0;
	}
	json_line(&c->t, points_account_json(a, sc, today), 0);
	return 0;
}

static int read_verb(const char *verb, struct run *r)
{
	struct ledger l;
	struct chobo_error e = {0};
	struct reader c = {.r = r};
	c.volunteer = r->options ? json_string_value(json_object_get(r->options, "volunteer")) : NULL;
	int rc = cli_report(ledger_open(&l, r->dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		return rc;
	rc = views_refresh(&l, &e);
	if (r->bom)
		view_text_csv_bom(&c.t);
	if (strcmp(verb, "history") == 0) {
		if (r->csv)
			view_text_str(&c.t, "activity,posting,volunteer,kind,host,state,start,end,units,points\r\n");
		if (rc == 0)
			rc = view_each(&l, &volunteer_registry_view, history_row, &c, &e);
	} else if (strcmp(verb, "search") == 0) {
		if (r->csv)
			view_text_str(&c.t, "volunteer,fy,skills,languages,activities,declined\r\n");
		c.counts = json_object();
		if (rc == 0)
			rc = view_each(&l, &volunteer_registry_view, count_row, &c, &e);
		if (rc == 0)
			rc = view_each(&l, &volunteer_registry_view, search_row, &c, &e);
		json_decref(c.counts);
	} else {
		if (r->csv)
			view_text_str(&c.t, POINTS_ACCOUNT_CSV_HEADER);
		if (rc == 0)
			rc = points_each_account(&l, VOLUNTEER_SCHEME, c.volunteer, balance_row, &c, &e);
	}
	rc = cli_report(ledger_close_after(&l, rc, &e), &e);
	if (rc == 0 && c.t.len > 0 && fwrite(c.t.p, 1, c.t.len, stdout) != c.t.len)
		rc = EX_IOERR;
	view_text_free(&c.t);
	return rc;
}

/* ---------------------------------------------------------- main */

int main(int argc, char **argv)
{
	enum { O_PNG = 256, O_SVG, O_PDF, O_TERM, O_SKILL, O_SHOP, O_POINTS, O_REF, O_CSV, O_JSONL, O_SINCE, O_HORIZON,
	       O_BOM, O_MEMBER };
	struct option options[64] = {
		{"ledger", required_argument, NULL, 'L'},
		{"png", required_argument, NULL, O_PNG},
		{"svg", required_argument, NULL, O_SVG},
		{"pdf", required_argument, NULL, O_PDF},
		{"term", no_argument, NULL, O_TERM},
		{"skill", required_argument, NULL, O_SKILL},
		{"shop", required_argument, NULL, O_SHOP},
		{"points", required_argument, NULL, O_POINTS},
		{"ref", required_argument, NULL, O_REF},
		{"csv", no_argument, NULL, O_CSV},
		{"bom", no_argument, NULL, O_BOM},
		{"jsonl", no_argument, NULL, O_JSONL},
		{"since-start", no_argument, NULL, O_SINCE},
		{"dry-run", no_argument, NULL, 'n'},
		{"horizon", required_argument, NULL, O_HORIZON},
		CLI_COMMON_OPTIONS,
	};
	size_t nopt = 0;
	while (options[nopt].name)
		nopt++;
	for (size_t i = 0; member_options[i]; i++)
		options[nopt++] = (struct option){member_options[i], required_argument, NULL, O_MEMBER + (int)i};
	options[nopt] = (struct option){NULL, 0, NULL, 0};

	struct run r = {.dir = ledger_default_dir()};
	struct supply_feed feed = {CURSOR_FILE, LOCK_FILE, "volunteer-issue events", false, false, 0, 90 * 86400,
				   volunteer_events_read};
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:nhVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': r.dir = optarg; break;
		case O_PNG: r.png = optarg; break;
		case O_SVG: r.svg = optarg; break;
		case O_PDF: r.pdf = optarg; break;
		case O_TERM: r.term = true; break;
		case O_SKILL: {
			char why[640];
			r.skill = cli_text("--skill", optarg);
			/* A tag no registration can hold (volunteer_record_body refuses it) would find no one, silently. */
			if (!volunteer_tags_ascii("--skill", r.skill, why, sizeof why))
				chobo_die(EX_USAGE, "%s", why);
			if (strchr(r.skill, ','))
				chobo_die(EX_USAGE, "--skill \"%s\": one tag, which a volunteer's skills hold; search for "
					  "each tag of a list in its own run", r.skill);
			break;
		}
		case O_SHOP: r.shop = cli_text("--shop", optarg); break;
		case O_POINTS: r.points = (int64_t)cli_u64("--points", optarg); break;
		case O_REF: r.ref = cli_text("--ref", optarg); break;
		case O_CSV: r.csv = true; r.format = RECORDS_CSV; break;
		case O_JSONL: r.format = RECORDS_JSONL; break;
		case O_BOM: r.bom = true; break;
		case O_SINCE: feed.since_start = true; break;
		case 'n': r.dry_run = true; break;
		case O_HORIZON: {
			unsigned long long days = cli_u64("--horizon", optarg);
			if (days < 1 || days > 3650)
				chobo_die(EX_USAGE, "--horizon: from 1 to 3650 days");
			feed.horizon = (int64_t)days * 86400;
			break;
		}
		default:
			if (opt >= O_MEMBER) {
				if (!r.options)
					r.options = json_object();
				char name[64];
				snprintf(name, sizeof name, "--%s", member_options[opt - O_MEMBER]);
				json_object_set_new(r.options, member_options[opt - O_MEMBER], json_string(cli_text(name, optarg)));
			}
		}
	}
	if (optind == argc)
		cli_usage_error(usage);
	const char *verb = argv[optind++];
	if (!chobo_now(&r.now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");
	bool reader = strcmp(verb, "history") == 0 || strcmp(verb, "balance") == 0 || strcmp(verb, "search") == 0;
	/* A BOM is for a table this program writes: the readers' CSV, as jcredit-export --bom. */
	if (r.bom && (!reader || !r.csv))
		chobo_die(EX_USAGE, "--bom goes with --csv of history, balance or search");
	if (r.dry_run && reader)
		chobo_die(EX_USAGE, "%s appends nothing: --dry-run is for the verbs that append records", verb);
	if (reader) {
		if (optind != argc)
			cli_usage_error(usage);
		cli_exit(read_verb(verb, &r));
	}
	if (strcmp(verb, "events") == 0) {
		struct chobo_error e = {0};
		if (optind != argc)
			cli_usage_error(usage);
		feed.now = r.now;
		feed.dry_run = r.dry_run;   /* the events printed, the cursor left as it is */
		cli_exit(cli_report(supply_feed_run(r.dir, &feed, stdout, &e), &e));
	}
	if (strcmp(verb, "shop") == 0 || strcmp(verb, "spend") == 0 || strcmp(verb, "settle") == 0) {
		if (optind != argc)
			cli_usage_error(usage);
		cli_exit(redeem(verb, &r));
	}
	enum volunteer_verb v;
	if (!volunteer_verb_parse(verb, &v))
		cli_usage_error(usage);
	if ((r.png || r.svg || r.pdf || r.term) && v != VOL_CERTIFY)
		chobo_die(EX_USAGE, "--term, --png, --svg and --pdf are certify's");
	/* A card's payload is signed with its entry's index: a dry run, which makes no entry, has none to draw. */
	if ((r.png || r.svg || r.pdf || r.term) && r.dry_run)
		chobo_die(EX_USAGE, "certify --dry-run records no certificate, so it draws none: leave out --term, "
			  "--png, --svg and --pdf");
	int rc = 0;
	if (r.options) {
		if (optind != argc)
			chobo_die(EX_USAGE, "a record from options, or records from files: not both");
		records_add(&r.list, json_incref(r.options), "options", 0);
	} else {
		rc = jsonl_read_inputs(argv + optind, argc - optind, "nothing was appended", read_input, &r);
	}
	if (rc == 0 && v == VOL_CERTIFY && (r.png || r.svg || r.term) && r.list.n > 1)
		chobo_die(EX_USAGE, "--term, --png and --svg draw one certificate; --pdf draws several");
	if (rc == 0 && r.list.n == 0) {
		chobo_info("no records in the input; nothing was appended");
		cli_exit(0);
	}
	if (rc == 0)
		rc = append_records(v, &r);
	records_free(&r.list);
	json_decref(r.options);
	cli_exit(rc);
}
