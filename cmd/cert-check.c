/*
 * cert-check: check signed QR payloads, or a document's attestation, and
 * print one JSON verdict per input.  Offline with trusted keys alone; with
 * a receipt file or a ledger (asked through chain-proof and chain-view, so
 * that this program never opens the store), also that the ledger records
 * it, unchanged, cosigned as asked and not revoked.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "cli.h"
#include "codec.h"
#include "jp_date.h"
#include "jsonl.h"
#include "keys.h"
#include "payload.h"
#include "receipt.h"
#include "subprocess.h"
#include "util.h"

static const char usage[] =
	"usage: cert-check [-q] [--trust FILE] [-L DIR] [--quorum K] [--at TIME] [--receipt FILE] [PAYLOAD...]\n"
	"       cert-check [-q] [--trust FILE] [-L DIR] [--quorum K] [--at TIME] --document FILE [--receipt FILE]\n"
	"Check signed QR payloads (the arguments, or lines on stdin) or a document's attestation\n"
	"and print one JSON verdict per input.  With -L DIR or --receipt FILE, also check that\n"
	"the ledger records it unchanged and that it is not revoked.  Exit 0 when every input\n"
	"is valid, 1 when one is not.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW.\n"
	"Exit status: 0 success, 1 an input is not valid, 64 usage, 65 bad data, 66 no input,\n"
	"69 unavailable, 71 system error, 74 I/O error, 78 configuration.  See cert-check(1).\n";

/* A receipts file holds at most this much (receipts are a few KiB each). */
#define MAX_RECEIPTS_FILE (16u << 20)
/* What a view's value may be (chain-view prints it with a newline). */
#define MAX_VIEW_OUTPUT (CHOBO_MAX_ENTRY + 1)
#define MAX_DOCUMENT_ATTESTATIONS 1000

/* Why an input is not valid, in the order a verdict names them: the first found wins. */
enum reason {
	R_VALID, R_BAD_FORMAT, R_UNKNOWN_ISSUER, R_BAD_SIGNATURE, R_BAD_RECEIPT, R_NOT_RECORDED,
	R_ENTRY_DIFFERS, R_NOT_COSIGNED, R_REVOKED, R_EXPIRED, R_NOT_YET_VALID,
};

static const char *const reason_codes[] = {
	"valid", "bad-format", "unknown-issuer", "bad-signature", "bad-receipt", "not-recorded",
	"entry-differs", "not-cosigned", "revoked", "expired", "not-yet-valid",
};

/* The receipts given with --receipt, and the first reason a line of the file was refused. */
struct receipt_set {
	struct receipt *r;
	size_t n;
	char broken[300];
};

struct checker {
	struct trust trust;
	const char *ledger;          /* -L DIR, or NULL: no ledger is asked */
	char *chain_proof, *chain_view;
	bool has_receipts;
	struct receipt_set receipts;
	unsigned long long quorum;
	int64_t at;                  /* the moment the answer is for: --at, else now */
	bool has_at;
};

/* One input's verdict: a JSON object with every member present from the start, in order. */
struct verdict {
	enum reason reason;
	char detail[512];
	json_t *out;
};

static void verdict_init(struct verdict *v, const char *const *members)
{
	v->reason = R_VALID;
	v->detail[0] = '\0';
	v->out = json_object();
	if (!v->out)
		chobo_die(EX_OSERR, "out of memory");
	for (const char *const *m = members; *m; m++)
		json_object_set_new(v->out, *m, json_null());
}

/* Set member name of v (which takes value); out of memory ends the program. */
static void set(struct verdict *v, const char *name, json_t *value)
{
	if (!value || json_object_set_new(v->out, name, value) != 0)
		chobo_die(EX_OSERR, "out of memory");
}

static json_t *time_json(int64_t t)
{
	char s[21];
	time_format(s, t);
	return json_string(s);
}

/* Record a reason why v is not valid; the first in enum reason's order is the one reported. */
static void problem(struct verdict *v, enum reason r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct verdict *v, enum reason r, const char *fmt, ...)
{
	if (v->reason != R_VALID && v->reason <= r)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof v->detail, fmt, ap);
	va_end(ap);
	v->reason = r;
}

/* Print v (unless -q) and free it, setting *invalid when it is not valid; 0 or EX_IOERR with err. */
static int verdict_print(struct verdict *v, bool *invalid, struct chobo_error *err)
{
	if (v->reason != R_VALID)
		*invalid = true;
	set(v, "valid", json_boolean(v->reason == R_VALID));
	set(v, "reason", json_string(reason_codes[v->reason]));
	set(v, "detail", json_string(v->reason == R_VALID ? "" : v->detail));
	if (chobo_quiet) {
		json_decref(v->out);
		return 0;
	}
	return jsonl_print(v->out) ? 0 : chobo_fail_errno(err, EX_IOERR, "write error on standard output");
}

/* ------------------------------------------------------------- the ledger */

/*
 * Run chain-proof or chain-view on the ledger with args; 0 with its output
 * in *text (NULL when it exited 66: no such entry or key), or an exit code
 * with err after passing its messages on.
 */
static int ledger_ask(const struct checker *c, char *program, const char *const *args, size_t max,
		      char **text, struct chobo_error *err)
{
	char *argv[12];
	const char *verb = args[0];
	size_t n = 0;
	argv[n++] = program;
	argv[n++] = "-L";
	argv[n++] = (char *)c->ledger;
	while (*args && n < 11)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	struct subprocess_limits lim = {0, max};
	struct subprocess_output o;
	*text = NULL;
	int rc = subprocess_capture(argv, &lim, &o, err);
	if (rc != 0)
		return rc;
	if (o.status == 0) {
		*text = o.out;
		o.out = NULL;
	} else if (o.status != EX_NOINPUT) {
		fputs(o.err, stderr);
		rc = chobo_fail(err, EX_UNAVAILABLE,
				"%s -L %s %s exited with status %d", program, c->ledger, verb, o.status);
	}
	subprocess_output_free(&o);
	return rc;
}

/* Whether the ledger can be read at all: after this, a 66 from it means "no such entry". */
static int ledger_probe(const struct checker *c, struct chobo_error *err)
{
	static const char *const args[] = {"checkpoint", NULL};
	char *text;
	int rc = ledger_ask(c, c->chain_proof, args, CHOBO_MAX_NOTE * 2, &text, err);
	if (rc == 0 && !text)
		rc = chobo_fail(err, EX_NOINPUT, "%s: no ledger could be read there", c->ledger);
	free(text);
	return rc;
}

/* What asking for a receipt found. */
enum found { FOUND, ABSENT, UNREADABLE };

/* The receipt of entry index of log, from the ledger; 0 with *f, or an exit code with err. */
static int ledger_receipt(const struct checker *c, const char *log, uint64_t index, struct receipt *r,
			  enum found *f, char *why, size_t whylen, struct chobo_error *err)
{
	char n[24], *text;
	snprintf(n, sizeof n, "%llu", (unsigned long long)index);
	const char *const args[] = {"receipt", "--log", log, "--index", n, NULL};
	int rc = ledger_ask(c, c->chain_proof, args, RECEIPT_MAX_BYTES, &text, err);
	if (rc != 0)
		return rc;
	*f = !text ? ABSENT : receipt_parse(text, strlen(text), r, why, whylen) ? FOUND : UNREADABLE;
	if (*f == UNREADABLE)
		receipt_free(r);
	free(text);
	return 0;
}

/*
 * The value of key in view, parsed: 0 with *value (NULL when the view has no
 * such key), or an exit code with err.
 */
static int ledger_view(const struct checker *c, const char *view, const char *key, json_t **value,
		       struct chobo_error *err)
{
	const char *const args[] = {view, key, NULL};
	char *text;
	json_error_t je;
	*value = NULL;
	int rc = ledger_ask(c, c->chain_view, args, MAX_VIEW_OUTPUT, &text, err);
	if (rc != 0 || !text)
		return rc;
	*value = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!*value || !json_is_array(*value)) {
		json_decref(*value);
		*value = NULL;
		return chobo_fail(err, EX_DATAERR, "%s %s: the value is not a JSON array", view, key);
	}
	return 0;
}

/*
 * The first revocation, in log's own records, of the entry with leaf hash
 * leaf (at or before --at when given): 0 with *rev (a new reference, NULL
 * when none), or an exit code with err.  Only the issuing node may revoke,
 * and a revocation by another log is not one (chobo-ledger(5)).
 */
static int ledger_revocation(const struct checker *c, const char *log, const uint8_t leaf[32], json_t **rev,
			     struct chobo_error *err)
{
	char hex[65];
	json_t *list, *item;
	size_t i;
	hex32(hex, leaf);
	*rev = NULL;
	int rc = ledger_view(c, "core.revocations", hex, &list, err);
	if (rc != 0 || !list)
		return rc;
	json_array_foreach(list, i, item) {
		const char *by = json_string_value(json_object_get(item, "log"));
		const char *when = json_string_value(json_object_get(item, "time"));
		int64_t t;
		if (!by || !when || !time_parse(when, &t)) {
			rc = chobo_fail(err, EX_DATAERR, "core.revocations %s: a malformed revocation", hex);
			break;
		}
		if (strcmp(by, log) == 0 && (!c->has_at || t <= c->at)) {
			*rev = json_incref(item);
			break;
		}
	}
	json_decref(list);
	return rc;
}

/* ---------------------------------------------------------- the receipts */

/* Read the receipts file: one receipt per line.  0, or an exit code with err. */
static int receipts_load(struct receipt_set *s, const char *path, struct chobo_error *err)
{
	size_t len;
	char *text = read_file(path, MAX_RECEIPTS_FILE, &len);
	if (!text)
		return chobo_fail_errno(err, errno == EFBIG ? EX_DATAERR : EX_NOINPUT, "%s", path);
	unsigned long line = 0;
	for (char *p = text, *end = text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *next = nl ? nl + 1 : end;
		line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			p = next;
			continue;
		}
		char why[256];
		struct receipt r;
		if (receipt_parse(p, n, &r, why, sizeof why)) {
			s->r = xrealloc(s->r, (s->n + 1) * sizeof *s->r);
			s->r[s->n++] = r;
		} else {
			receipt_free(&r);
			if (!s->broken[0])
				snprintf(s->broken, sizeof s->broken, "%s, line %lu: %s", path, line, why);
		}
		p = next;
	}
	free(text);
	if (s->n == 0 && !s->broken[0])
		snprintf(s->broken, sizeof s->broken, "%s holds no receipt", path);
	return 0;
}

static void receipts_free(struct receipt_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		receipt_free(&s->r[i]);
	free(s->r);
}

/*
 * Verify receipt r (which says it records what v is about): bad-receipt or
 * unknown-issuer when it does not verify, not-cosigned when fewer than
 * --quorum trusted witnesses cosigned its checkpoint.  True when it verified.
 */
static bool check_receipt(const struct checker *c, const struct receipt *r, struct verdict *v)
{
	char why[300];
	size_t cosigned;
	switch (receipt_verify(r, &c->trust, &cosigned, why, sizeof why)) {
	case RECEIPT_VALID:
		break;
	case RECEIPT_UNKNOWN_LOG:
		problem(v, R_UNKNOWN_ISSUER, "%s", why);
		return false;
	case RECEIPT_BAD:
		problem(v, R_BAD_RECEIPT, "%s", why);
		return false;
	}
	if (cosigned < c->quorum)
		problem(v, R_NOT_COSIGNED, "%zu trusted witness%s cosigned the checkpoint; %llu wanted",
			cosigned, cosigned == 1 ? "" : "es", c->quorum);
	return true;
}

/* Look up revocations of r's entry when a ledger is given, and report one in v. */
static int check_revoked(const struct checker *c, const struct receipt *r, struct verdict *v,
			 struct chobo_error *err)
{
	json_t *rev;
	if (!c->ledger)
		return 0;
	int rc = ledger_revocation(c, r->log, r->leaf_hash, &rev, err);
	if (rc != 0)
		return rc;
	if (rev) {
		const char *why = json_string_value(json_object_get(rev, "reason"));
		problem(v, R_REVOKED, "revoked at %s (%s)", json_string_value(json_object_get(rev, "time")),
			why ? why : "no reason given");
		set(v, "revoked", rev);
	} else {
		set(v, "revoked", json_false());
	}
	return 0;
}

/* A time member of r's entry's body, in UTC; false when absent or not a time. */
static bool body_time(const struct receipt *r, const char *name, int64_t *t)
{
	char s[64];
	return receipt_body_field(r, name, s, sizeof s) && time_parse(s, t);
}

/*
 * The times the recording entry itself gives, against the moment checked:
 * recorded after it, issued after it, or expired by then.  The payload's own
 * days are coarser than the entry's times, so both are checked.
 */
static void check_entry_times(const struct checker *c, const struct receipt *r, struct verdict *v)
{
	char at[21], t[21];
	int64_t issued, expires;
	time_format(at, c->at);
	if (body_time(r, "expires", &expires)) {
		time_format(t, expires);
		set(v, "expires", json_string(t));
		if (c->at > expires)
			problem(v, R_EXPIRED, "expired at %s; it is %s", t, at);
	}
	if (body_time(r, "issued", &issued) && c->at < issued)
		problem(v, R_NOT_YET_VALID, "issued later than %s", at);
	if (c->at < r->entry_time) {
		time_format(t, r->entry_time);
		problem(v, R_NOT_YET_VALID, "recorded at %s, later than %s", t, at);
	}
}

/* --------------------------------------------------------------- payloads */

static const char *const payload_members[] = {
	"input", "valid", "reason", "detail", "issuer", "kind", "what", "index", "not_before", "not_after",
	"fields", "recorded", "expires", "revoked", NULL,
};

/* Whether the ledger records what p says, unchanged and not revoked: into v. */
static int check_recorded(const struct checker *c, const struct payload *p, struct verdict *v,
			  struct chobo_error *err)
{
	const struct receipt *r = NULL;
	struct receipt fetched;
	bool own = false;
	for (size_t i = 0; c->has_receipts && i < c->receipts.n && !r; i++)
		if (strcmp(c->receipts.r[i].log, p->issuer) == 0 && c->receipts.r[i].leaf_index == p->index)
			r = &c->receipts.r[i];
	if (!r && c->has_receipts && !c->ledger) {
		if (c->receipts.broken[0])
			problem(v, R_BAD_RECEIPT, "%s", c->receipts.broken);
		else
			problem(v, R_NOT_RECORDED, "no receipt given is for entry %llu of %s",
				(unsigned long long)p->index, p->issuer);
		if (!c->receipts.broken[0])
			set(v, "recorded", json_false());
		return 0;
	}
	if (!r) {
		char why[300];
		enum found f;
		int rc = ledger_receipt(c, p->issuer, p->index, &fetched, &f, why, sizeof why, err);
		if (rc != 0)
			return rc;
		if (f == ABSENT) {
			problem(v, R_NOT_RECORDED, "%s holds no entry %llu of %s", c->ledger,
				(unsigned long long)p->index, p->issuer);
			set(v, "recorded", json_false());
			return 0;
		}
		if (f == UNREADABLE) {
			problem(v, R_BAD_RECEIPT, "the ledger's receipt: %s", why);
			return 0;
		}
		r = &fetched;
		own = true;
	}
	int rc = 0;
	if (check_receipt(c, r, v)) {
		char why[300];
		set(v, "recorded", json_true());
		if (!receipt_matches_payload(r, p, why, sizeof why))
			problem(v, R_ENTRY_DIFFERS, "%s", why);
		check_entry_times(c, r, v);
		rc = check_revoked(c, r, v, err);
	}
	if (own)
		receipt_free(&fetched);
	return rc;
}

/* Check one payload (s, len bytes, surrounding blanks already trimmed) and print its verdict. */
static int check_payload(const struct checker *c, const char *s, size_t len, bool *invalid,
			 struct chobo_error *err)
{
	struct verdict v;
	struct payload p;
	uint32_t key_id;
	char why[256];
	verdict_init(&v, payload_members);
	if (utf8_valid((const uint8_t *)s, len))
		set(&v, "input", json_stringn(s, len));
	enum payload_problem pp = payload_decode(s, len, &c->trust, &p, &key_id, why, sizeof why);
	int rc = 0;
	if (pp == PAYLOAD_BAD_FORMAT) {
		problem(&v, R_BAD_FORMAT, "%s", why);
	} else if (pp == PAYLOAD_UNKNOWN_ISSUER) {
		problem(&v, R_UNKNOWN_ISSUER, "%s", why);
	} else {
		set(&v, "issuer", json_string(p.issuer));
		if (pp == PAYLOAD_BAD_SIGNATURE)
			problem(&v, R_BAD_SIGNATURE, "%s", why);
	}
	if (pp == PAYLOAD_VALID) {
		json_t *fields = json_object();
		for (size_t i = 0; fields && i < p.nfields; i++)
			if (json_object_set_new(fields, p.fields[i].name, json_string(p.fields[i].value)) != 0)
				chobo_die(EX_OSERR, "out of memory");
		set(&v, "kind", json_string(p.kind));
		if (payload_kind_summary(p.kind))
			set(&v, "what", json_string(payload_kind_summary(p.kind)));
		set(&v, "index", json_integer((json_int_t)p.index));
		if (p.not_before != PAYLOAD_NO_TIME)
			set(&v, "not_before", time_json(p.not_before));
		if (p.not_after != PAYLOAD_NO_TIME)
			set(&v, "not_after", time_json(p.not_after));
		set(&v, "fields", fields);
		char at[21], day[JP_DATE_LEN + 1], today[JP_DATE_LEN + 1];
		time_format(at, c->at);
		int when = payload_validity(&p, c->at);
		/* The days are days in Japan, and so are the dates the message names, today's too. */
		if (when != 0) {
			jp_date_format(day, jp_day_of(when < 0 ? p.not_before : p.not_after));
			jp_date_format(today, jp_day_of(c->at));
		}
		if (when < 0)
			problem(&v, R_NOT_YET_VALID, "valid from %s (JST); it is %s in Japan (%s)", day, today, at);
		else if (when > 0)
			problem(&v, R_EXPIRED, "valid until %s (JST); it is %s in Japan (%s)", day, today, at);
		if (c->ledger || c->has_receipts)
			rc = check_recorded(c, &p, &v, err);
	}
	if (rc != 0) {
		json_decref(v.out);
		return rc;
	}
	return verdict_print(&v, invalid, err);
}

/* The payloads on stdin, one a line; *invalid is set when one is not valid. */
static int check_stdin(const struct checker *c, bool *invalid, struct chobo_error *err)
{
	struct jsonl_reader r;
	const char *line;
	size_t len;
	char why[128];
	int rc = 0;
	jsonl_init_edited(&r, stdin, "stdin");
	for (;;) {
		enum jsonl_status st = jsonl_next_line(&r, &line, &len, why, sizeof why);
		if (st == JSONL_EOF)
			break;
		if (st == JSONL_IOERR) {
			rc = chobo_fail_errno(err, EX_IOERR, "stdin");
			break;
		}
		if (st == JSONL_BAD) {
			struct verdict v;
			verdict_init(&v, payload_members);
			problem(&v, R_BAD_FORMAT, "stdin, line %lu: %s", r.line, why);
			if ((rc = verdict_print(&v, invalid, err)) != 0)
				break;
			continue;
		}
		/* What a scanner types: the payload, perhaps with blanks and a CR around it. */
		while (len > 0 && strchr(" \t\r", line[len - 1]))
			len--;
		while (len > 0 && strchr(" \t\r", line[0])) {
			line++;
			len--;
		}
		if ((rc = check_payload(c, line, len, invalid, err)) != 0)
			break;
	}
	jsonl_free(&r);
	return rc;
}

/* -------------------------------------------------------------- documents */

static const char *const document_members[] = {
	"input", "valid", "reason", "detail", "sha256", "issuer", "kind", "log", "index", "time",
	"expires", "recorded", "revoked", "attestations", NULL,
};

/* The verdict on receipt r as an attestation of the document whose SHA-256 is sha: into v. */
static int check_attestation(const struct checker *c, const struct receipt *r, const char *sha,
			     struct verdict *v, struct chobo_error *err)
{
	char text[PAYLOAD_MAX_FIELD_VALUE + 1] = "";
	set(v, "log", json_string(r->log));
	set(v, "index", json_integer((json_int_t)r->leaf_index));
	set(v, "time", time_json(r->entry_time));
	if (!check_receipt(c, r, v))
		return 0;
	set(v, "recorded", json_true());
	if (strcmp(r->entry_type, "doc.attest") != 0) {
		problem(v, R_ENTRY_DIFFERS, "the entry is a %s, not a doc.attest", r->entry_type);
		return 0;
	}
	if (receipt_body_field(r, "issuer", text, sizeof text))
		set(v, "issuer", json_string(text));
	if (receipt_body_field(r, "kind", text, sizeof text))
		set(v, "kind", json_string(text));
	if (!receipt_body_field(r, "sha256", text, sizeof text))
		problem(v, R_ENTRY_DIFFERS, "the entry attests no document");
	else if (strcmp(text, sha) != 0)
		problem(v, R_ENTRY_DIFFERS, "the entry attests another document (SHA-256 %.64s)", text);
	check_entry_times(c, r, v);
	return check_revoked(c, r, v, err);
}

/*
 * Keep the verdict that speaks for the document: the last valid attestation
 * in merge order, else the last one found.
 */
static void choose(struct verdict *chosen, struct verdict *v)
{
	if (chosen->out && chosen->reason == R_VALID && v->reason != R_VALID) {
		json_decref(v->out);
		return;
	}
	json_decref(chosen->out);
	*chosen = *v;
}

/* The attestations of sha that the ledger's core.attestations names, each judged into *chosen. */
static int ledger_attestations(const struct checker *c, const char *sha, struct verdict *chosen,
			       size_t *n, struct chobo_error *err)
{
	json_t *list, *item;
	size_t i;
	int rc = ledger_view(c, "core.attestations", sha, &list, err);
	if (rc != 0 || !list)
		return rc;
	json_array_foreach(list, i, item) {
		const char *log = json_string_value(json_object_get(item, "log"));
		json_t *index = json_object_get(item, "index");
		if (!log || !json_is_integer(index) || json_integer_value(index) < 0) {
			rc = chobo_fail(err, EX_DATAERR, "core.attestations %s: a malformed attestation", sha);
			break;
		}
		if (i >= MAX_DOCUMENT_ATTESTATIONS)
			break;
		struct verdict v;
		struct receipt r;
		enum found f;
		char why[300];
		verdict_init(&v, document_members);
		set(&v, "log", json_string(log));
		set(&v, "index", json_incref(index));
		rc = ledger_receipt(c, log, (uint64_t)json_integer_value(index), &r, &f, why, sizeof why, err);
		if (rc == 0 && f == FOUND) {
			rc = check_attestation(c, &r, sha, &v, err);
			receipt_free(&r);
		} else if (rc == 0 && f == ABSENT) {
			problem(&v, R_NOT_RECORDED, "the ledger lists entry %lld of %s but holds none",
				(long long)json_integer_value(index), log);
		} else if (rc == 0) {
			problem(&v, R_BAD_RECEIPT, "the ledger's receipt: %s", why);
		}
		if (rc != 0) {
			json_decref(v.out);
			break;
		}
		choose(chosen, &v);
		(*n)++;
	}
	json_decref(list);
	return rc;
}

/* Check the attestations of the document at path and print the verdict. */
static int check_document(const struct checker *c, const char *path, bool *invalid, struct chobo_error *err)
{
	char sha[65], text[65];
	uint8_t digest[32];
	struct verdict chosen = {0};
	size_t n = 0;
	int rc = file_sha256(path, digest, err);
	if (rc != 0)
		return rc;
	hex32(sha, digest);
	/* Receipts given for this document first; the ledger's attestations when there are none. */
	for (size_t i = 0; rc == 0 && c->has_receipts && i < c->receipts.n; i++) {
		const struct receipt *r = &c->receipts.r[i];
		bool mine = strcmp(r->entry_type, "doc.attest") == 0 &&
			    receipt_body_field(r, "sha256", text, sizeof text) && strcmp(text, sha) == 0;
		/* Without a ledger, one receipt is judged even when it is another document's. */
		if (mine || (!c->ledger && n == 0 && i + 1 == c->receipts.n)) {
			struct verdict v;
			verdict_init(&v, document_members);
			rc = check_attestation(c, r, sha, &v, err);
			if (rc != 0) {
				json_decref(v.out);
				break;
			}
			choose(&chosen, &v);
			n++;
		}
	}
	if (rc == 0 && n == 0 && c->ledger)
		rc = ledger_attestations(c, sha, &chosen, &n, err);
	if (rc != 0) {
		json_decref(chosen.out);
		return rc;
	}
	if (n == 0) {
		verdict_init(&chosen, document_members);
		if (c->ledger) {
			problem(&chosen, R_NOT_RECORDED, "%s holds no attestation of this document", c->ledger);
			set(&chosen, "recorded", json_false());
		} else {
			problem(&chosen, R_BAD_RECEIPT, "%s", c->receipts.broken);
		}
	}
	set(&chosen, "input", json_string(path));
	set(&chosen, "sha256", json_string(sha));
	set(&chosen, "attestations", json_integer((json_int_t)n));
	return verdict_print(&chosen, invalid, err);
}

/* ------------------------------------------------------------------- main */

/* The trusted keys: --trust FILE, else DIR/trust of -L, else of $CHOBO_LEDGER (or ./ledger). */
static int load_trust(struct trust *t, const char *file, const char *ledger, struct chobo_error *err)
{
	memset(t, 0, sizeof *t);
	if (file)
		return trust_load_file(t, file, err);
	char *path = path_join(ledger ? ledger : key_ledger_dir(), "trust");
	int rc = trust_load_dir(t, path, err);
	free(path);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"trust", required_argument, NULL, 't'},
		{"ledger", required_argument, NULL, 'L'},
		{"quorum", required_argument, NULL, 'k'},
		{"at", required_argument, NULL, 'a'},
		{"receipt", required_argument, NULL, 'r'},
		{"document", required_argument, NULL, 'd'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct checker c = {0};
	const char *trust_file = NULL, *receipt_file = NULL, *document = NULL;
	struct chobo_error e;
	int opt, rc = 0;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 't': trust_file = optarg; break;
		case 'L': c.ledger = optarg; break;
		case 'k': c.quorum = cli_u64("--quorum", optarg); break;
		case 'a':
			if (!time_parse(optarg, &c.at))
				chobo_die(EX_USAGE, "--at %s: expected an RFC 3339 time", optarg);
			c.has_at = true;
			break;
		case 'r': receipt_file = optarg; break;
		case 'd': document = optarg; break;
		}
	}
	if (document && optind < argc)
		chobo_die(EX_USAGE, "--document checks one file; payloads are checked without it");
	if (document && !c.ledger && !receipt_file)
		chobo_die(EX_USAGE, "--document needs -L DIR or --receipt FILE");
	/* Cosignatures are on checkpoints, which only a receipt or a ledger brings. */
	if (c.quorum > 0 && !c.ledger && !receipt_file)
		chobo_die(EX_USAGE, "--quorum needs -L DIR or --receipt FILE: a payload alone carries no cosignature");
	if (!c.has_at && !chobo_now(&c.at))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");
	c.has_receipts = receipt_file != NULL;
	if ((rc = cli_report(load_trust(&c.trust, trust_file, c.ledger, &e), &e)) != 0)
		cli_exit(rc);
	if (receipt_file && (rc = cli_report(receipts_load(&c.receipts, receipt_file, &e), &e)) != 0)
		goto out;
	if (c.ledger) {
		c.chain_proof = subprocess_sibling("chain-proof");
		c.chain_view = subprocess_sibling("chain-view");
		if ((rc = cli_report(ledger_probe(&c, &e), &e)) != 0)
			goto out;
	}
	bool invalid = false;
	if (document) {
		rc = check_document(&c, document, &invalid, &e);
	} else if (optind < argc) {
		for (int i = optind; i < argc && rc == 0; i++)
			rc = check_payload(&c, argv[i], strlen(argv[i]), &invalid, &e);
	} else {
		rc = check_stdin(&c, &invalid, &e);
	}
	cli_report(rc, &e);
	if (rc == 0 && invalid)
		rc = EXIT_INVALID;
out:
	receipts_free(&c.receipts);
	trust_free(&c.trust);
	free(c.chain_proof);
	free(c.chain_view);
	cli_exit(rc);
}
