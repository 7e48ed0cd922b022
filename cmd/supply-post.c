/* supply-post: post relief supply records (sites, items, needs, offers, requests, boxes, receipts). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "append.h"
#include "cli.h"
#include "jsonl.h"
#include "ledger.h"
#include "payload.h"
#include "records.h"
#include "repeat.h"
#include "stored_entry.h"
#include "supply/supply.h"
#include "util.h"

static const char usage[] =
	"usage: supply-post [-qn] [-L DIR] KIND [--FIELD VALUE...] [--csv | --jsonl] [FILE...]\n"
	"KIND: site item need offer request ship receive cancel lost.\n"
	"One record from the --FIELD options, or one per JSON line or CSV row of FILEs or stdin\n"
	"(the options then give defaults); appended as one batch; receipts printed as JSON Lines.\n"
	"A need, offer or request posted before under the same --ref is left out (a \"duplicate\" line).\n"
	"receive also takes box labels: --payload P, or one label payload a line on stdin (what a\n"
	"barcode scanner types), each verified and recorded as it comes: [--qty N] [--trust FILE].\n"
	"-n, --dry-run: judge everything as a run would (\"valid\" for what it would record), append nothing.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 1 a label does not verify, 3 stored but output not written, 65 bad data,\n"
	"66 no input, 74 output not written (nothing appended); other codes as in chobo(7).\n"
	"See supply-post(1).\n";

static const struct {
	const char *kind, *type;
} kinds[] = {
	{"site", "supply.site"}, {"item", "supply.item"}, {"need", "supply.need"},
	{"offer", "supply.offer"}, {"request", "supply.request"}, {"ship", "supply.shipment"},
	{"receive", "supply.receipt"}, {"cancel", "supply.cancel"}, {"lost", "supply.lost"},
};

struct scanner;

struct input {
	const struct entry_type *type;
	json_t *defaults;      /* from the --FIELD options */
	enum records_format format;
	struct records list;   /* the bodies to post */
	struct scanner *scan;  /* receive: labels are taken when the input is payloads */
	const struct payload *label;   /* the verified label the one record is made from */
	const char *label_where;
	bool dry_run;          /* -n: the batch judged by every rule, and nothing appended */
};

/* Labels read at receive: how to verify them, and what came of the scans. */
struct scanner {
	const char *dir, *trust_file;
	struct trust trust;
	bool trust_loaded;
	int64_t qty;           /* --qty, or -1 for the label's */
	unsigned long scans;
	int rc;                /* the first refusal's code */
};

static int scan_label(struct input *in, const char *s, size_t len, const char *where);

/* The field of t called name, '-' standing for '_' (option and column names). */
static const struct field_spec *field_named(const struct entry_type *t, const char *name)
{
	for (const struct field_spec *f = t->fields; f->name; f++) {
		size_t i;
		for (i = 0; f->name[i] && (name[i] == f->name[i] || (name[i] == '-' && f->name[i] == '_')); i++)
			;
		if (!f->name[i] && !name[i])
			return f;
	}
	return NULL;
}

/* The records from from on take the --FIELD defaults where they give no value. */
static void apply_defaults(struct input *in, size_t from)
{
	for (size_t i = from; i < in->list.n; i++) {
		json_t *merged = json_deep_copy(in->defaults);
		if (!merged || json_object_update(merged, in->list.rec[i].o) != 0)
			xalloc_failed();
		json_decref(in->list.rec[i].o);
		in->list.rec[i].o = merged;
	}
}

static void add_record(struct input *in, json_t *body, const char *name, unsigned long line)
{
	records_add(&in->list, body, name, line);
	apply_defaults(in, in->list.n - 1);
}

/*
 * CSV: the header row names a field in each column; cells take the field's
 * kind.  An empty header cell is a column a spreadsheet leaves (after the
 * last used one, say): records_parse refuses a value under it.
 */
static const char *csv_column(void *ctx, size_t i, const char *name, char *err, size_t errlen)
{
	const struct input *in = ctx;
	if (!name[0])
		return name;
	const struct field_spec *f = field_named(in->type, name);
	char spelt[80];
	records_header_spelling(name, spelt, sizeof spelt);
	if (!f && spelt[0] && field_named(in->type, spelt))
		snprintf(err, errlen, "column %zu: %s has no field \"%.64s\": write \"%s\" (field names are in lower "
			 "case, without blanks)", i, in->type->name, name, spelt);
	else if (!f)
		snprintf(err, errlen, "column %zu: %s has no field \"%.64s\"", i, in->type->name, name);
	return f ? f->name : NULL;
}

static json_t *csv_value(void *ctx, const char *member, const char *cell, char *err, size_t errlen)
{
	const struct input *in = ctx;
	return records_text_value(field_named(in->type, member), member, cell, err, errlen);
}

/* A scanner's input read line by line, as it is typed: its lines counted as an editor counts them. */
struct scan_reader {
	FILE *fp;
	unsigned long line;   /* of the line read last */
	bool after_cr;        /* the line read last ended with CR */
};

/*
 * The next line of r (ended by CR, LF or CR LF, as scanners send Enter)
 * into buf; false at the end of input.  The LF of a CR LF ends no line of
 * its own; it is not waited for after a CR, so that a scan sent with CR
 * alone is taken at once.  A line longer than cap-1 bytes is kept whole in
 * *over and cut.
 */
static bool scan_line(struct scan_reader *r, char *buf, size_t cap, size_t *len, bool *over)
{
	for (;;) {
		int c;
		size_t n = 0;
		*over = false;
		while ((c = getc(r->fp)) != EOF && c != '\r' && c != '\n') {
			if (n + 1 < cap)
				buf[n++] = (char)c;
			else
				*over = true;
		}
		buf[n] = '\0';
		*len = n;
		bool lf_of_crlf = c == '\n' && n == 0 && !*over && r->after_cr;
		r->after_cr = c == '\r';
		if (lf_of_crlf)
			continue;
		if (c == EOF && n == 0 && !*over)
			return false;
		r->line++;
		return true;
	}
}

/*
 * A scanned line as its label was printed: without the blanks a scanner
 * sends before it or the tabs it sends after it (a space may end a label:
 * base45 writes one), and, when it came in lower case (Caps Lock on while
 * the scanner types), in capitals, which are all base45 has.
 */
static void scan_clean(char *line, size_t *len)
{
	size_t skip = strspn(line, " \t"), n = *len - skip;
	memmove(line, line + skip, n + 1);
	while (n > 0 && line[n - 1] == '\t')
		line[--n] = '\0';
	if (strncmp(line, "chb1:", 5) == 0)   /* PAYLOAD_PREFIX in lower case */
		for (size_t i = 0; i < n; i++)
			if (line[i] >= 'a' && line[i] <= 'z')
				line[i] = (char)(line[i] - 'a' + 'A');
	*len = n;
}

/* Scan every label line of r, the first already read into line; blank lines are skipped. */
static int scan_lines(struct input *in, struct scan_reader *r, const char *name, char *line, size_t cap, size_t len,
		      bool over)
{
	do {
		char where[300];
		snprintf(where, sizeof where, "%s:%lu", name, r->line);
		if (over) {
			chobo_warn("%s: a label longer than %d characters; nothing was recorded", where,
				   PAYLOAD_MAX_CHARS);
			if (in->scan->rc == 0)
				in->scan->rc = EXIT_INVALID;
		} else if (scan_clean(line, &len), len > 0) {
			scan_label(in, line, len, where);
		}
	} while (scan_line(r, line, cap, &len, &over));
	if (ferror(r->fp)) {
		chobo_warn_errno("%s: read error", name);
		return EX_IOERR;
	}
	return 0;
}

/*
 * Whether the first line of receive's input starts records rather than
 * labels: a JSON object, or a CSV header (a receipt has two fields at least,
 * so its header has a comma).  Anything else is a scan, so that a wrong
 * barcode scanned first (a product's JAN code) is refused as not a label
 * and the scans after it are still taken, not read as one CSV file.
 */
static bool looks_like_records(const char *line, size_t n)
{
	if (utf8_bom_length(line, n) > 0)
		return true;
	return (n > 0 && line[0] == '{') || memchr(line, ',', n) != NULL;
}

static int read_input(void *ctx, FILE *fp, const char *name)
{
	struct input *in = ctx;
	size_t len;
	char *text;
	if (in->scan && in->format == RECORDS_DETECT) {
		/* The first line says whether fp is labels (taken line by line, as typed) or records. */
		char line[PAYLOAD_MAX_CHARS + 2];
		struct scan_reader r = {fp, 0, false};
		size_t n = 0;
		bool over = false, got;
		while ((got = scan_line(&r, line, sizeof line, &n, &over)) && n == 0 && !over)
			;   /* blank lines before the first are skipped, and counted */
		if (got && !looks_like_records(line, n))
			return scan_lines(in, &r, name, line, sizeof line, n, over);
		/* The LF of the first line's CR LF, waited for now that the input is a file of records. */
		int c = r.after_cr ? getc(fp) : EOF;
		if (c != EOF && c != '\n')
			ungetc(c, fp);
		/* Records: the lines read are put back in front of the rest, so that line numbers stay. */
		char *rest = ferror(fp) ? NULL : records_read_all(fp, &len);
		if (!rest) {
			chobo_warn_errno("%s: read error; nothing was appended", name);
			return EX_IOERR;
		}
		size_t blank = r.line > 0 ? r.line - 1 : 0;
		text = xmalloc(blank + n + 1 + len + 1);
		memset(text, '\n', blank);
		memcpy(text + blank, line, n);
		text[blank + n] = '\n';
		memcpy(text + blank + n + 1, rest, len);
		len += blank + n + 1;
		free(rest);
		if (over) {
			chobo_warn("%s:%lu: a line too long for this input; nothing was appended", name, r.line);
			free(text);
			return EX_DATAERR;
		}
	} else {
		text = records_read_all(fp, &len);
	}
	if (!text) {
		chobo_warn_errno("%s: read error; nothing was appended", name);
		return EX_IOERR;
	}
	struct records_csv csv = {csv_column, csv_value, in};
	char err[1024];
	size_t from = in->list.n;
	bool ok = records_parse(&in->list, text, len, name, in->format, &csv, err, sizeof err);
	apply_defaults(in, from);
	free(text);
	if (!ok) {
		chobo_warn("%s", err);
		chobo_warn("%s: nothing was appended", name);
	}
	return ok ? 0 : EX_DATAERR;
}

/*
 * References given as prefixes, or as ref:ID (this log's need, offer or request
 * posted with that ref), become whole leaf hashes (output always prints
 * them whole).
 */
static int resolve_refs(struct ledger *l, struct input *in, struct chobo_error *e)
{
	for (size_t i = 0; i < in->list.n; i++)
		for (const struct field_spec *f = in->type->fields; f->name; f++) {
			json_t *v = json_object_get(in->list.rec[i].o, f->name);
			char full[65];
			if (f->kind != FIELD_REF || !json_is_string(v))
				continue;
			const char *text = json_string_value(v);
			int rc = supply_leaf_resolve(l, text, full, e);
			if (rc != 0) {
				chobo_fail_context(e, rc, "%s: body.%s", in->list.rec[i].where, f->name);
				if (strcmp(in->list.rec[i].where, "options") == 0)
					records_name_options(e->msg, sizeof e->msg);
				return rc;
			}
			json_string_set(v, full);
		}
	return 0;
}

/*
 * Record i as an entry of in's type, checked against its schema: ei (its
 * text in *line, the caller's to free, parsed into doc); 0 or EX_DATAERR
 * with e naming where the record came from.
 */
static int record_entry(const struct input *in, size_t i, struct json_doc *doc, struct entry_input *ei,
			char **line, struct chobo_error *e)
{
	json_t *entry = json_pack("{s:s, s:O}", "type", in->type->name, "body", in->list.rec[i].o);
	char why[512];
	int rc = 0;
	*line = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
	if (!*line)
		xalloc_failed();
	json_decref(entry);
	if (!entry_input_parse(*line, strlen(*line), doc, ei, why, sizeof why)) {
		bool options = strcmp(in->list.rec[i].where, "options") == 0;
		if (options)
			records_name_options(why, sizeof why);
		/* Records piped in are read only with --csv or --jsonl once options are given. */
		rc = chobo_fail(e, EX_DATAERR, "%s: %s%s", in->list.rec[i].where, why,
				options && !isatty(STDIN_FILENO) && strstr(why, "missing field")
					? " (the options made this record: standard input is read with --csv or --jsonl)"
					: "");
	} else if (ei->body_len + 512 > CHOBO_MAX_ENTRY) {
		rc = chobo_fail(e, EX_DATAERR, "%s: entry larger than %d bytes", in->list.rec[i].where,
				CHOBO_MAX_ENTRY);
	}
	return rc;
}

/* A record whose reference its log gave before to the same record: the entry it repeats. */
struct posted {
	struct repeat entry;
	bool cancelled;   /* the entry it repeats was cancelled since */
};

/*
 * Records whose body.ref this log has given before (needs, offers, requests): the
 * same record again is a repeat, marked in rep to be left out of the batch
 * and reported with the entry it repeats; another record under a used
 * reference is refused.  A malformed reference is left to the schema.  0 or EX_DATAERR (or a read error) with e.
 */
/*
 * Cancels of what this log cancelled already: a cancel sheet run again
 * repeats them (the rules refuse a second cancel), each reported with the
 * cancel that counts; a target cancelled by another log is left to the
 * rules.  0 or an error with e.
 */
static int find_repeated_cancels(struct ledger *l, struct input *in, struct posted *rep, size_t *repeats,
				 struct chobo_error *e)
{
	static const enum supply_kind cancellable[] = {SUPPLY_NEED, SUPPLY_OFFER, SUPPLY_REQUEST};
	int rc = views_refresh(l, e);
	struct view_state *lines = rc == 0 ? view_stored(l, &supply_lines_view) : NULL;
	for (size_t i = 0; rc == 0 && i < in->list.n; i++) {
		const char *target = json_string_value(json_object_get(in->list.rec[i].o, "ref"));
		struct supply_line ln;
		int got = EX_UNAVAILABLE;
		for (size_t k = 0; target && got == EX_UNAVAILABLE && k < sizeof cancellable / sizeof *cancellable; k++)
			got = supply_line_get(lines, cancellable[k], target, &ln, e);
		if (got != 0) {
			rc = got == EX_UNAVAILABLE ? 0 : got;
			continue;
		}
		struct stored_entry se = {0};
		if (!ln.cancelled_by[0] || (rc = stored_entry_find(l, ln.cancelled_by, &se, e)) != 0 ||
		    strcmp(se.origin, l->conf.origin) != 0) {
			stored_entry_free(&se);
			continue;
		}
		repeat_of_entry(&rep[i].entry, &se);
		(*repeats)++;
		stored_entry_free(&se);
	}
	view_state_free(lines);
	return rc;
}

static int find_repeats(struct ledger *l, struct input *in, struct posted *rep, size_t *repeats,
			struct chobo_error *e)
{
	const struct field_spec *f = field_named(in->type, "ref");
	*repeats = 0;
	if (strcmp(in->type->name, "supply.cancel") == 0)
		return find_repeated_cancels(l, in, rep, repeats, e);
	if (!f || f->kind != FIELD_STRING)
		return 0;
	int rc = views_refresh(l, e);
	if (rc != 0)
		return rc;
	struct view_state *lines = view_stored(l, &supply_lines_view);
	json_t *given = json_object();   /* ref -> the record that gave it first */
	struct json_doc doc = {0};
	for (size_t i = 0; rc == 0 && i < in->list.n; i++) {
		const char *ref = json_string_value(json_object_get(in->list.rec[i].o, "ref"));
		struct stored_entry se = {0};
		struct entry_input ei;
		const char *differs;
		char *line = NULL;
		if (!ref || !supply_ref_valid(ref))
			continue;   /* a malformed one is the schema's to refuse */
		const struct record *earlier = records_earlier_with(&in->list, given, ref, i);
		if (earlier) {
			rc = chobo_fail(e, EX_DATAERR, "%s: ref %s is given to %s too: a record needs a reference of "
					"its own", in->list.rec[i].where, ref, earlier->where);
			break;
		}
		rc = supply_ref_find(lines, l->conf.origin, ref, rep[i].entry.leaf, e);
		if (rc == EX_UNAVAILABLE) {
			rc = 0;
			continue;
		}
		/* Judged as a record first: one the schema refuses is refused as such, given before or not. */
		if (rc == 0)
			rc = record_entry(in, i, &doc, &ei, &line, e);
		free(line);
		if (rc == 0)
			rc = stored_entry_find(l, rep[i].entry.leaf, &se, e);
		if (rc == 0 && strcmp(se.type->name, in->type->name) != 0)
			rc = chobo_fail(e, EX_DATAERR, "%s: ref %s is already the reference of a %s (entry %.16s)",
					in->list.rec[i].where, ref, se.type->name, rep[i].entry.leaf);
		else if (rc == 0 && !stored_body_same(&se, in->list.rec[i].o, &differs))
			rc = chobo_fail(e, EX_DATAERR, "%s: ref %s is already the reference of entry %.16s, whose %s is "
					"not this record's: a new record needs a new reference", in->list.rec[i].where,
					ref, rep[i].entry.leaf, differs);
		struct supply_line ln;
		enum supply_kind kind = strcmp(in->type->name, "supply.need") == 0    ? SUPPLY_NEED
					: strcmp(in->type->name, "supply.offer") == 0 ? SUPPLY_OFFER
										      : SUPPLY_REQUEST;
		int got = rc == 0 ? supply_line_get(lines, kind, rep[i].entry.leaf, &ln, e) : 0;
		if (rc == 0 && got != 0 && got != EX_UNAVAILABLE)
			rc = got;
		if (rc == 0) {
			repeat_of_entry(&rep[i].entry, &se);
			rep[i].cancelled = got == 0 && ln.cancelled_by[0];
			(*repeats)++;
		}
		stored_entry_free(&se);
	}
	json_doc_free(&doc);
	json_decref(given);
	view_state_free(lines);
	return rc;
}

/* The batch of the records but the repeats; 0 or EX_DATAERR. */
static int build_batch(struct input *in, const struct posted *rep, struct batch *b, struct chobo_error *e)
{
	struct json_doc doc = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < in->list.n; i++) {
		struct entry_input ei;
		char *line;
		if (rep[i].entry.is)
			continue;
		rc = record_entry(in, i, &doc, &ei, &line, e);
		if (rc == 0 && !batch_add(b, &ei))
			rc = chobo_fail(e, EX_DATAERR, "%s: batch larger than %llu entries or %llu bytes",
					in->list.rec[i].where, (unsigned long long)b->max_entries,
					(unsigned long long)b->max_bytes);
		free(line);
	}
	json_doc_free(&doc);
	return rc;
}

/*
 * After needs were cancelled: the requests still to ship to them go on
 * unless they are cancelled too, so name each with the command that does
 * it (requests are posted, and cancelled, on the node of the need).
 */
static void warn_requests_open(struct ledger *l, const struct input *in, const struct posted *rep)
{
	struct chobo_error e = {0};
	struct view_state *lines = view_stored(l, &supply_lines_view);
	for (size_t i = 0; i < in->list.n; i++) {
		const char *target = json_string_value(json_object_get(in->list.rec[i].o, "ref"));
		struct supply_line need, *open = NULL;
		size_t n = 0;
		int got = EX_UNAVAILABLE;   /* not a need cancelled by this run */
		if (!rep[i].entry.is && target)
			got = supply_line_get(lines, SUPPLY_NEED, target, &need, &e);
		if (got == 0)
			got = supply_need_requests_open(l, lines, target, &open, &n, &e);
		if (got != 0 && got != EX_UNAVAILABLE)
			chobo_warn("%s: the need's requests could not be read: %s", in->list.rec[i].where, e.msg);
		for (size_t k = 0; got == 0 && k < n; k++)
			chobo_warn("%s: request %.16s of the cancelled need still has %" PRId64 " %s to ship; if they are "
				   "not to go: supply-post cancel --ref %s", in->list.rec[i].where, open[k].leaf_hash,
				   supply_line_open(&open[k]), open[k].unit, open[k].leaf_hash);
		free(open);
	}
	view_state_free(lines);
}

/* The receipt of the box that in->label names, as in's one record; 0 or EX_DATAERR with e. */
static int label_record(struct ledger *l, struct input *in, struct chobo_error *e)
{
	struct supply_line b;
	int rc = supply_box_of_payload(l, in->label, &b, e);
	if (rc != 0)
		return rc;
	if (b.unfilled)
		return chobo_fail(e, EX_DATAERR, "box %" PRIu64 " (shipment %.16s) is unfilled: it was never part of "
				  "its request", b.box, b.leaf_hash);
	if (b.receipt[0])
		return chobo_fail(e, EX_DATAERR, "a second receipt of box %" PRIu64 " (shipment %.16s): already "
				  "received at %s (receipt %.16s)", b.box, b.leaf_hash, b.received_at, b.receipt);
	int64_t found = in->scan->qty >= 0 ? in->scan->qty : b.quantity;
	json_t *body = json_pack("{s:s, s:I}", "shipment", b.leaf_hash, "quantity", (json_int_t)found);
	if (!body)
		xalloc_failed();
	if (!json_object_get(in->defaults, "discrepancy") && found != b.quantity)
		json_object_set_new(body, "discrepancy", json_string(found < b.quantity ? "short" : "over"));
	add_record(in, body, in->label_where, 0);
	return 0;
}

/* Append in's records as one batch and print their receipts; 0 or a code (reported). */
static int append_records(const char *dir, struct input *in)
{
	struct ledger l;
	struct note_signer key;
	struct batch batch = {0};
	struct receipt *receipts = NULL;
	struct posted *rep = NULL;
	size_t *record_of = NULL;   /* batch entry -> record */
	size_t repeats = 0;
	uint64_t tree_size = 0;
	char time[21], origin[NOTE_MAX_NAME + 1] = "";
	struct chobo_error e = {0};
	int rc;
	if ((rc = cli_report(ledger_log_key(dir, &key, &e), &e)) == 0) {
		if ((rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e)) == 0) {
			if (strcmp(key.pub.name, l.conf.origin) != 0) {
				chobo_warn("%s/keys/node.key: a log key named %s, not %s", dir, key.pub.name,
					   l.conf.origin);
				rc = EX_CONFIG;
			}
			/* A scan's refusal names its line, as the scans that are not labels do. */
			if (rc == 0 && in->label && (rc = label_record(&l, in, &e)) != 0 && in->label_where)
				chobo_fail_context(&e, rc, "%s", in->label_where);
			if (rc == 0)
				rc = resolve_refs(&l, in, &e);
			if (rc == 0) {
				rep = xcalloc(in->list.n + 1, sizeof *rep);
				record_of = xcalloc(in->list.n + 1, sizeof *record_of);
				rc = find_repeats(&l, in, rep, &repeats, &e);
			}
			if (rc == 0)
				rc = build_batch(in, rep, &batch, &e);
			for (size_t i = 0, k = 0; rc == 0 && i < in->list.n; i++)
				if (!rep[i].entry.is)
					record_of[k++] = i;
			if (rc == 0 && batch.n > 0 && in->dry_run) {
				/* Judged by the views and every rule in a transaction that is then aborted. */
				rc = ledger_append_check(&l, &batch, &key, NULL, &e);
			} else if (rc == 0 && batch.n > 0) {
				receipts = xcalloc(batch.n, sizeof *receipts);
				rc = ledger_append(&l, &batch, &key, NULL, receipts, &tree_size, time, &e);
			} else if (rc != 0 && e.msg[0]) {
				snprintf(e.msg + strlen(e.msg), sizeof e.msg - strlen(e.msg), "; nothing was %s",
					 in->label ? "recorded" : "appended");
			}
			/* The rules name the batch entry they refuse; say which input it was. */
			uint64_t which = e.batch_entry;
			if (rc != 0 && record_of && which >= 1 && which <= batch.n &&
			    strcmp(in->list.rec[record_of[which - 1]].where, "options") == 0)
				records_name_options(e.msg, sizeof e.msg);   /* --offer, not body.offer */
			cli_report(rc, &e);
			if (rc != 0 && record_of && which >= 1 && which <= batch.n &&
			    strcmp(in->list.rec[record_of[which - 1]].where, "options") != 0)
				chobo_warn("batch entry %llu is %s", (unsigned long long)which,
					   in->list.rec[record_of[which - 1]].where);
			if (rc == 0 && strcmp(in->type->name, "supply.cancel") == 0)
				warn_requests_open(&l, in, rep);
			snprintf(origin, sizeof origin, "%s", l.conf.origin);   /* for a message after the close */
			int crc = cli_report(ledger_close(&l, &e), &e);
			if (rc == 0 && crc != 0 && in->dry_run)
				rc = crc;
			else if (rc == 0 && crc != 0)
				chobo_warn("the batch was committed; the receipts follow");
		}
		note_signer_clear(&key);
	}
	/* One line per record, in the input's order: its receipt, the entry it repeats, or (-n) valid. */
	bool lost = false;
	for (size_t i = 0, k = 0; rc == 0 && !lost && i < in->list.n; i++) {
		bool printed;
		if (!rep[i].entry.is && !in->dry_run) {
			printed = receipt_print(stdout, &receipts[k++], in->type->name, time, tree_size);
		} else {
			json_t *o = rep[i].entry.is ? repeat_line(&rep[i].entry)
						    : json_pack("{s:s}", "result", "valid");
			if (!o)
				xalloc_failed();
			json_object_set(o, "ref", json_object_get(in->list.rec[i].o, "ref"));
			json_object_set_new(o, "type", json_string(in->type->name));
			if (rep[i].cancelled)
				json_object_set_new(o, "cancelled", json_true());
			printed = jsonl_print(o);
		}
		lost = !printed;
	}
	if (rc == 0 && (lost || fflush(stdout) != 0 || ferror(stdout))) {
		size_t n = receipts ? batch.n : 0;
		rc = cli_output_lost(n, n ? receipts[0].index : 0, n ? receipts[n - 1].index : 0, origin,
				     "given again, a record with a ref is a duplicate, one without is posted again");
	}
	if (rc == 0 && repeats > 0)
		chobo_info("%zu of %zu records %s: nothing was appended for them", repeats, in->list.n,
			   strcmp(in->type->name, "supply.cancel") == 0 ? "cancel what this log cancelled before"
								      : "were posted before under their ref");
	if (rc == 0 && in->dry_run)
		cli_dry_run_passed(batch.n);
	free(receipts);
	free(rep);
	free(record_of);
	batch_free(&batch);
	return rc;
}

/*
 * One scanned label s (len bytes): verified against the trusted keys, then
 * its box's receipt appended on its own, so that each scan is recorded as it
 * comes.  A refusal is reported and kept in in->scan->rc; the next scan goes on.
 */
static int scan_label(struct input *in, const char *s, size_t len, const char *where)
{
	struct scanner *sc = in->scan;
	struct chobo_error e;
	int rc = 0;
	sc->scans++;
	if (!sc->trust_loaded && (rc = cli_report(ledger_trust(sc->dir, sc->trust_file, &sc->trust, &e), &e)) == 0)
		sc->trust_loaded = true;
	struct payload p;
	uint32_t key_id = 0;
	char why[256];
	enum payload_problem pr = rc == 0 ? payload_decode(s, len, &sc->trust, &p, &key_id, why, sizeof why)
					  : PAYLOAD_VALID;
	if (rc == 0 && pr != PAYLOAD_VALID) {
		const char *what = pr == PAYLOAD_BAD_SIGNATURE ? "a forged label (its signature does not verify)"
				   : pr == PAYLOAD_UNKNOWN_ISSUER ? "a label signed by a key that is not trusted"
								   : "not a label";
		chobo_warn("%s: %s: %s; nothing was recorded", where, what, why);
		rc = EXIT_INVALID;
	}
	if (rc == 0) {
		struct input one = {.type = in->type, .defaults = in->defaults, .scan = sc, .label = &p,
				    .label_where = where, .dry_run = in->dry_run};
		rc = append_records(sc->dir, &one);
		records_free(&one.list);
	}
	if (rc != 0 && sc->rc == 0)
		sc->rc = rc;
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option global[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"dry-run", no_argument, NULL, 'n'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const size_t nglobal = sizeof global / sizeof *global;
	const char *dir = ledger_default_dir();
	bool dry_run = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "+L:nhVq", global, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
		else if (opt == 'n')
			dry_run = true;
	}
	if (optind == argc)
		cli_usage_error(usage);
	struct input in = {.defaults = json_object()};
	const char *kind = argv[optind];
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (strcmp(kind, kinds[i].kind) == 0)
			in.type = entry_type_find(kinds[i].type);
	if (!in.type) {
		chobo_warn("unknown kind \"%s\"", kind);
		cli_usage_error(usage);
	}

	/* The kind's options: one --FIELD per body field (underscores written as dashes). */
	size_t nfields = 0;
	while (in.type->fields[nfields].name)
		nfields++;
	struct option *options = xcalloc(nfields + 5 + nglobal, sizeof *options);
	char **names = xcalloc(nfields, sizeof *names);
	for (size_t i = 0; i < nfields; i++) {
		names[i] = xstrdup(in.type->fields[i].name);
		for (char *p = names[i]; *p; p++)
			if (*p == '_')
				*p = '-';
		options[i] = (struct option){names[i], required_argument, NULL, 1000 + (int)i};
	}
	options[nfields] = (struct option){"csv", no_argument, NULL, 'c'};
	options[nfields + 1] = (struct option){"jsonl", no_argument, NULL, 'j'};
	size_t extra = nfields + 2;
	struct scanner scan = {.dir = dir, .qty = -1};
	const char *payload = NULL;
	if (strcmp(in.type->name, "supply.receipt") == 0) {
		in.scan = &scan;
		options[extra++] = (struct option){"payload", required_argument, NULL, 'p'};
		options[extra++] = (struct option){"qty", required_argument, NULL, 'Q'};
		options[extra++] = (struct option){"trust", required_argument, NULL, 'T'};
	}
	memcpy(&options[extra], global, nglobal * sizeof *global);
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	optind = 0;
	while ((opt = getopt_long(sub_argc, sub_argv, "L:nhVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		char err[256];
		if (opt == 'L') {
			dir = optarg;
		} else if (opt == 'n') {
			dry_run = true;
		} else if (opt == 'c') {
			in.format = RECORDS_CSV;
		} else if (opt == 'j') {
			in.format = RECORDS_JSONL;
		} else if (opt == 'p') {
			payload = optarg;
		} else if (opt == 'Q') {
			uint64_t v;
			if (!parse_u64(optarg, &v) || v > INT64_MAX)
				chobo_die(EX_USAGE, "--qty %s: expected a whole number of at least 0", optarg);
			scan.qty = (int64_t)v;
		} else if (opt == 'T') {
			scan.trust_file = optarg;
		} else if (opt < 1000) {
			cli_usage_error(usage);
		} else {
			const struct field_spec *f = &in.type->fields[opt - 1000];
			json_t *v = records_text_value(f, f->name, optarg, err, sizeof err);
			if (!v)
				chobo_die(EX_USAGE, "--%s", err);
			json_object_set_new(in.defaults, f->name, v);
		}
	}
	for (size_t i = 0; i < nfields; i++)
		free(names[i]);
	free(names);
	free(options);

	int rc;
	scan.dir = dir;
	in.dry_run = dry_run;
	if (payload && optind < sub_argc)
		chobo_die(EX_USAGE, "--payload takes no FILE");
	if (payload) {
		scan_label(&in, payload, strlen(payload), "--payload");
		rc = 0;
	} else if (optind == sub_argc && json_object_size(in.defaults) > 0 && in.format == RECORDS_DETECT &&
		   !(in.scan && !json_object_get(in.defaults, "shipment"))) {
		/*
		 * One record from the options (receive without --shipment reads labels
		 * instead; --csv or --jsonl reads records, the options giving defaults).
		 */
		add_record(&in, json_object(), "options", 0);
		rc = 0;
	} else {
		rc = jsonl_read_inputs(sub_argv + optind, sub_argc - optind, "nothing was appended", read_input,
				       &in);
	}
	if (rc == 0 && in.list.n == 0 && !(in.scan && in.scan->scans > 0)) {
		chobo_info("no records in the input; nothing was appended");
		cli_exit(0);
	}

	if (rc == 0 && !(in.scan && in.scan->scans > 0))
		rc = append_records(dir, &in);
	if (in.scan) {
		if (rc == 0)
			rc = in.scan->rc;
		if (in.scan->trust_loaded)
			trust_free(&in.scan->trust);
	}
	records_free(&in.list);
	json_decref(in.defaults);
	cli_exit(rc);
}
