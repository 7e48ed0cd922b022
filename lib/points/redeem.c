/* Shops' requests (open, spend, settle) and balances, for every program that serves a points scheme. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "append.h"
#include "cli.h"
#include "codec.h"
#include "jsonl.h"
#include "points.h"
#include "stored_entry.h"

/* The entry type and body of q; 0, or EX_DATAERR with err (a settlement in a scheme without terms). */
static int request_entry(struct ledger *l, const struct points_request *q, const char **type, json_t **body,
			 struct chobo_error *err)
{
	if (q->op == POINTS_OP_SHOP) {
		*type = "points.open";
		*body = json_pack("{s:s, s:s, s:s}", "scheme", q->scheme, "holder", q->shop, "kind", "shop");
	} else if (q->op == POINTS_OP_SPEND) {
		*type = "points.debit";
		*body = json_pack("{s:s, s:s, s:I, s:s, s:s}", "scheme", q->scheme, "holder", q->member, "points",
				  (json_int_t)q->points, "ref", q->ref, "shop", q->shop);
	} else {
		struct points_scheme sc = {0};
		struct view_state *s = view_stored(l, &points_accounts_view);
		int rc = points_scheme_get(s, q->scheme, &sc, err);
		view_state_free(s);
		if (rc == EX_UNAVAILABLE)
			return chobo_fail(err, EX_DATAERR, "no points.scheme %s: its yen per point is not known", q->scheme);
		if (rc != 0)
			return rc;
		*type = "points.settle";
		*body = json_pack("{s:s, s:s, s:I, s:I, s:s}", "scheme", q->scheme, "holder", q->shop, "points",
				  (json_int_t)q->points, "yen", (json_int_t)(q->points * sc.yen_per_point), "ref", q->ref);
	}
	if (!*body)
		xalloc_failed();
	return 0;
}

/*
 * Whether the movement recorded as entry leaf is the one of type and body
 * (the same type and the same value of every field): 0 with *same, rep
 * naming the entry when it is the same, and what differs in differs; else
 * an error.
 */
static int same_movement(struct ledger *l, const char *type, json_t *body, const char leaf[65], bool *same,
			 const char **differs, struct repeat *rep, struct chobo_error *err)
{
	struct stored_entry se = {0};
	int rc = stored_entry_find(l, leaf, &se, err);
	if (rc == EX_NOINPUT)
		rc = chobo_fail(err, EX_DATAERR, "points.accounts: entry %s is not in the ledger; run "
				"chain-verify --views", leaf);
	else if (rc == EX_DATAERR)
		rc = chobo_fail_context(err, rc, "points.accounts: an entry (run chain-verify --views)");
	if (rc == 0) {
		*same = strcmp(se.type->name, type) == 0;
		*differs = "type";
		if (*same)
			*same = stored_body_same(&se, body, differs);
		if (*same)
			repeat_of_entry(rep, &se);
	}
	stored_entry_free(&se);
	return rc;
}

/* The account (scheme, holder) as the stored view holds it now: 0, EX_UNAVAILABLE when absent, else an error. */
static int account_now(struct ledger *l, const char *scheme, const char *holder, struct points_account *a,
		       struct chobo_error *err)
{
	struct view_state *s = view_stored(l, &points_accounts_view);
	int rc = points_account_get(s, scheme, holder, a, err);
	view_state_free(s);
	return rc;
}

int points_redeem(struct ledger *l, const struct note_signer *key, const struct points_request *q,
		  struct points_outcome *out, struct chobo_error *err)
{
	json_t *body = NULL;
	char why[1024];
	struct points_account *a = xmalloc(sizeof *a);   /* too large for the stack */
	memset(out, 0, sizeof *out);
	snprintf(out->origin, sizeof out->origin, "%s", l->conf.origin);
	int rc = request_entry(l, q, &out->type, &body, err);
	/* A shop opened here before is open: a re-run of the same opening appends nothing. */
	if (rc == 0 && q->op == POINTS_OP_SHOP) {
		int r = account_now(l, q->scheme, q->shop, a, err);
		rc = r == EX_UNAVAILABLE ? 0 : r;
		if (r == 0 && strcmp(a->kind, "shop") == 0 && strcmp(a->home, l->conf.origin) == 0 &&
		    (rc = repeat_find(l, a->opened, &out->repeated, err)) != 0)
			chobo_fail_context(err, rc, "points.accounts: the opening of shop %s (run chain-verify --views)",
					   q->shop);
	}
	/* The same reference again moves nothing: the first movement is reported, nothing appended. */
	if (rc == 0 && q->ref) {
		struct view_state *s = view_stored(l, &points_accounts_view);
		char leaf[65];
		int r = points_ref_get(s, q->scheme, q->ref, leaf, why, sizeof why, err);
		view_state_free(s);
		rc = r == EX_UNAVAILABLE || r == 0 ? 0 : r;
		/* The same reference for another movement is a mistake to say, not a repeat to ignore. */
		bool same = true;
		const char *differs = "";
		if (rc == 0 && r == 0 &&
		    (rc = same_movement(l, out->type, body, leaf, &same, &differs, &out->repeated, err)) == 0 && !same)
			rc = chobo_fail(err, EX_DATAERR, "reference %s is already recorded (entry %s) with another %s: a "
					"new movement needs a new reference", q->ref, leaf, differs);
	}
	/*
	 * An account of another node is spent or settled there.  The rules judge the movement in the merge
	 * order, by entry time, where an account opened later than this node's clock reads is not open yet
	 * ("no account"); the account this node holds now names its home.
	 */
	if (rc == 0 && !out->repeated.is && q->op != POINTS_OP_SHOP) {
		bool spend = q->op == POINTS_OP_SPEND;
		int r = account_now(l, q->scheme, spend ? q->member : q->shop, a, err);
		rc = r == EX_UNAVAILABLE ? 0 : r;
		if (r == 0 && !points_at_home(a, l->conf.origin, spend ? "spend" : "settle", why, sizeof why))
			rc = chobo_fail(err, EX_DATAERR, "%s", why);
	}
	if (rc == 0 && !out->repeated.is) {
		struct batch b = {0};
		if (!batch_add_body(&b, out->type, json_incref(body), why, sizeof why))
			rc = chobo_fail(err, EX_DATAERR, "%s", why);
		if (rc == 0 && q->dry_run)
			rc = ledger_append_check(l, &b, key, NULL, err);
		else if (rc == 0)
			rc = ledger_append(l, &b, key, NULL, &out->receipt, &out->tree_size, out->time, err);
		out->judged = rc == 0 && q->dry_run;
		if (out->judged) {
			size_t n = json_dumpb(body, out->body, sizeof out->body - 1, JSON_COMPACT);
			out->body[n > 0 && n < sizeof out->body ? n : 0] = '\0';
		}
		batch_free(&b);
	}
	if (rc != 0 && !strstr(err->msg, "nothing was appended"))
		snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg), "; nothing was appended");
	json_decref(body);
	free(a);
	return rc;
}

struct each_ctx {
	const char *prefix, *holder;
	int (*fn)(void *ctx, const struct points_account *a, const struct points_scheme *sc);
	void *ctx;
	struct points_scheme sc;
};

static int each_row(void *ctx, const char *key, const char *value, size_t len)
{
	struct each_ctx *c = ctx;
	static struct points_account a;   /* too large for the stack */
	if (strncmp(key, c->prefix, strlen(c->prefix)) != 0 || !points_account_parse(value, len, &a) ||
	    (c->holder && strcmp(c->holder, a.holder) != 0))
		return 0;
	return c->fn(c->ctx, &a, &c->sc);
}

int points_each_account(struct ledger *l, const char *scheme, const char *holder,
			int (*fn)(void *ctx, const struct points_account *a, const struct points_scheme *sc), void *ctx,
			struct chobo_error *err)
{
	char prefix[POINTS_SCHEME_MAX + 8];
	snprintf(prefix, sizeof prefix, "acct/%s/", scheme);
	struct each_ctx c = {prefix, holder, fn, ctx, {0}};
	struct view_state *s = view_stored(l, &points_accounts_view);
	int rc = points_scheme_get(s, scheme, &c.sc, err);
	view_state_free(s);
	if (rc != 0 && rc != EX_UNAVAILABLE)
		return rc;
	return view_each(l, &points_accounts_view, each_row, &c, err);
}

json_t *points_account_json(const struct points_account *a, const struct points_scheme *sc, int64_t today)
{
	/* The lots listed are those the balance counts: an expired lot is in expired, not among them. */
	const struct points_account *g = points_aged(a, sc, today);
	int64_t avail = points_balance(g);
	json_t *lots = json_array();
	for (size_t i = 0; lots && i < g->nlots; i++)
		json_array_append_new(lots, json_pack("{s:s?, s:I}", "expires", g->lots[i].expires[0] ?
						      g->lots[i].expires : NULL, "points", (json_int_t)g->lots[i].points));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "scheme", a->scheme,
			      "holder", a->holder, "kind", a->kind, "home", a->home, "balance", (json_int_t)avail,
			      "credited", (json_int_t)a->credited, "debited", (json_int_t)a->debited, "received",
			      (json_int_t)a->received, "settled", (json_int_t)a->settled, "yen", (json_int_t)a->yen,
			      "expired", (json_int_t)g->expired, "lots", lots);
	if (!o)
		xalloc_failed();
	return o;
}

void points_account_csv(struct view_text *t, const struct points_account *a, const struct points_scheme *sc,
			int64_t today)
{
	const char *strs[] = {a->scheme, a->holder, a->kind, a->home};
	int64_t nums[] = {points_available(a, sc, today), a->credited, a->debited, a->received, a->settled, a->yen};
	for (size_t i = 0; i < 4; i++) {
		view_text_csv_field(t, strs[i], strlen(strs[i]));
		view_text_str(t, ",");
	}
	for (size_t i = 0; i < 6; i++) {
		view_text_int(t, nums[i]);
		view_text_str(t, i < 5 ? "," : "\r\n");
	}
}

static bool outcome_print(const struct points_outcome *out, const char *ref)
{
	if (out->judged) {
		/* What a run would record, before any ledger name: a clerk sees the movement judged. */
		json_t *o = json_pack("{s:s, s:s}", "result", "valid", "type", out->type);
		json_t *body = out->body[0] ? json_loads(out->body, 0, NULL) : NULL;
		if (!o || (out->body[0] && (!body || json_object_update(o, body) != 0)))
			xalloc_failed();
		json_decref(body);
		if (ref)
			json_object_set_new(o, "ref", json_string(ref));
		return jsonl_print(o);
	}
	if (!out->repeated.is)
		return receipt_print(stdout, &out->receipt, out->type, out->time, out->tree_size);
	json_t *o = repeat_line(&out->repeated);
	if (ref)
		json_object_set_new(o, "ref", json_string(ref));
	/* entry, the older name of leaf_hash, stays for the scripts that read it. */
	json_object_set_new(o, "entry", json_string(out->repeated.leaf));
	return jsonl_print(o);
}

int points_outcome_report(const struct points_outcome *out, const char *ref, struct chobo_error *err)
{
	char leaf[65];
	if (outcome_print(out, ref) && fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	int rc = chobo_fail_errno(err, out->repeated.is || out->judged ? EX_IOERR : EXIT_STORED_UNREPORTED,
				  "standard output could not be written");
	size_t at = strlen(err->msg);
	if (out->judged) {
		snprintf(err->msg + at, sizeof err->msg - at, "; nothing was appended (--dry-run)");
		return rc;
	}
	/* Said after the commit, so that a retry is known to be safe: the same request is a duplicate. */
	if (out->repeated.is) {
		snprintf(err->msg + at, sizeof err->msg - at, "; nothing was appended: the request is a duplicate of "
			 "entry %" PRIu64 " of %s", out->repeated.index, out->origin);
		return rc;
	}
	hex32(leaf, out->receipt.leaf_hash);
	snprintf(err->msg + at, sizeof err->msg - at, "; the %s is recorded, as entry %" PRIu64 " of %s (leaf hash "
		 "%s): the same request again is a duplicate that prints it, appending nothing", out->type,
		 out->receipt.index, out->origin, leaf);
	return rc;
}

int points_redeem_run(const char *dir, const struct points_request *q)
{
	struct ledger l;
	struct note_signer key;
	struct chobo_error e = {0};
	struct points_outcome out;
	int rc = cli_report(ledger_open_append(&l, dir, &key, &e), &e);
	if (rc != 0)
		return rc;
	rc = points_redeem(&l, &key, q, &out, &e);
	rc = cli_report(ledger_close_after(&l, rc, &e), &e);
	note_signer_clear(&key);
	if (rc == 0)
		rc = cli_report(points_outcome_report(&out, q->ref, &e), &e);
	if (rc == 0 && q->dry_run)
		cli_dry_run_passed(out.judged ? 1 : 0);
	return rc;
}
