#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "checkpoint.h"
#include "codec.h"
#include "cosign.h"
#include "export.h"
#include "hash_reader.h"
#include "import.h"
#include "jsonl.h"
#include "ledger.h"
#include "log_list.h"
#include "restore.h"
#include "sync_protocol.h"
#include "util.h"

enum sync_verb sync_parse_command(const char *cmd, char origin[NOTE_MAX_NAME + 1], uint64_t *since)
{
	char *words[4] = {0};
	int n = 0;
	if (!cmd || strlen(cmd) > 1024)
		return SYNC_REFUSED;
	char *copy = xstrdup(cmd);
	for (char *w = strtok(copy, " \t"); w && n <= 3; w = strtok(NULL, " \t"))
		words[n++] = w;
	enum sync_verb verb = SYNC_REFUSED;
	if (n == 1 && strcmp(words[0], "chobo-heads") == 0)
		verb = SYNC_HEADS;
	else if (n == 1 && strcmp(words[0], "chobo-sync") == 0)
		verb = SYNC_SESSION;
	else if (n == 1 && strcmp(words[0], "chobo-cosign") == 0)
		verb = SYNC_COSIGN;
	else if (n == 3 && strcmp(words[0], "chobo-export") == 0) {
		verb = SYNC_MALFORMED;
		if (strlen(words[1]) <= NOTE_MAX_NAME && checkpoint_origin_valid(words[1]) &&
		    parse_u64(words[2], since)) {
			snprintf(origin, NOTE_MAX_NAME + 1, "%s", words[1]);
			verb = SYNC_EXPORT;
		}
	}
	free(copy);
	return verb;
}

/* Bounds on what a peer may send besides bundles: heads (notes included) and cosign answers. */
#define MAX_HEADS_OUTPUT (16u << 20)
#define MAX_COSIGN_REQUESTS 10000

/* ------------------------------------------------------------ serving */

static uint64_t head_size(const json_t *h)
{
	return (uint64_t)json_integer_value(json_object_get(h, "size"));
}

/* Key IDs as the heads request and answer write them: 8 lowercase hex digits. */
#define KEY_ID_HEX 9

/*
 * Call fn for each signature line of a split note with its key ID (the
 * first 4 bytes of its base64 part); a line that does not decode is passed
 * with ok false.  fn returns non-zero to stop (passed back).
 */
static int note_each_line(const struct note_parts *np, int (*fn)(void *ctx, const char *line, size_t len,
								  bool ok, uint32_t id), void *ctx)
{
	const char *p = np->sigs, *end = np->sigs + np->sigs_len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *sp = NULL;
		for (const char *q = p; q < p + len; q++)
			if (*q == ' ')
				sp = q;   /* the last blank: the base64 part follows */
		uint8_t raw[128];
		long n = sp ? b64_decode(sp + 1, (size_t)(p + len - 1 - (sp + 1)), raw, sizeof raw) : -1;
		int rc = fn(ctx, p, len, n >= 4, n >= 4 ? get_be32(raw) : 0);
		if (rc != 0)
			return rc;
		p += len;
	}
	return 0;
}

static void key_id_hex(char out[KEY_ID_HEX], uint32_t id)
{
	snprintf(out, KEY_ID_HEX, "%08x", (unsigned)id);
}

static bool ids_contain(const json_t *ids, uint32_t id)
{
	char hex[KEY_ID_HEX];
	size_t i;
	const json_t *v;
	key_id_hex(hex, id);
	json_array_foreach(ids, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), hex) == 0)
			return true;
	return false;
}

/* Trimming a note for a peer: the lines it does not list, and which of those it lists this note lacks. */
struct trim {
	const json_t *signers;
	char *out;
	size_t used;
	json_t *seen;
};

static int trim_line(void *ctx, const char *line, size_t len, bool ok, uint32_t id)
{
	struct trim *t = ctx;
	if (ok && ids_contain(t->signers, id)) {
		char hex[KEY_ID_HEX];
		key_id_hex(hex, id);
		json_array_append_new(t->seen, json_string(hex));
		return 0;
	}
	memcpy(t->out + t->used, line, len);
	t->used += len;
	return 0;
}

/*
 * The head of a log for a peer whose request says it holds the checkpoint
 * at the same size signed by signers: the note without those lines (no
 * "checkpoint" when none is left), and "lacks": those of the signers that
 * this note does not carry.
 */
static json_t *head_trimmed(const char *origin, uint64_t size, const char *hex, const char *note, size_t len,
			    const struct note_parts *np, const json_t *signers)
{
	struct trim t = {signers, xmalloc(len + 1), np->text_len, json_array()};
	memcpy(t.out, note, np->text_len);
	note_each_line(np, trim_line, &t);
	json_t *lacks = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach(signers, i, v) {
		bool have = false;
		size_t k;
		const json_t *w;
		json_array_foreach(t.seen, k, w)
			have = have || json_equal(v, w);
		if (!have)
			json_array_append(lacks, (json_t *)v);
	}
	json_t *h = json_pack("{s:s, s:I, s:s, s:o}", "log", origin, "size", (json_int_t)size, "root", hex,
			      "lacks", lacks);
	if (!h || (t.used > np->text_len &&
		   json_object_set_new(h, "checkpoint", json_stringn(t.out, t.used)) != 0))
		xalloc_failed();
	json_decref(t.seen);
	free(t.out);
	return h;
}

/*
 * The heads of an open ledger: one line per log, its newest checkpoint's
 * size and root, and the checkpoint itself (its cosignatures are what a peer
 * at the same size may lack).  Appended to out; 0 or an exit code with err.
 */
static int heads_collect(struct ledger *l, const json_t *request, json_t *out, struct chobo_error *err)
{
	struct log_list logs;
	int rc = log_list_read(l, NULL, &logs, err);
	for (size_t i = 0; rc == 0 && i < logs.n; i++) {
		const char *note, *why;
		size_t len;
		uint64_t size;
		struct note_parts parts;
		struct checkpoint cp;
		char hex[65];
		/* A log without a readable checkpoint has no head to offer. */
		if (store_checkpoint_latest(l->store, logs.v[i].id, &size, &note, &len) != STORE_OK ||
		    !note_split(note, len, &parts, &why) ||
		    !checkpoint_parse_text(parts.text, parts.text_len, &cp, &why))
			continue;
		hex32(hex, cp.root);
		/* The peer holds this checkpoint: only the signature lines it lacks. */
		const json_t *held = json_object_get(request, logs.v[i].origin);
		if (held && (uint64_t)json_integer_value(json_object_get(held, "size")) == size)
			json_array_append_new(out, head_trimmed(logs.v[i].origin, size, hex, note, len, &parts,
								json_object_get(held, "signers")));
		else
			json_array_append_new(out, json_pack("{s:s, s:I, s:s, s:s%}", "log", logs.v[i].origin,
							     "size", (json_int_t)size, "root", hex,
							     "checkpoint", note, len));
	}
	log_list_free(&logs);
	return rc;
}

/*
 * Read JSON Lines from in, each given to take (which keeps what it wants and
 * returns false once it holds its bound: the rest is not read); what names
 * the lines in errors.  0 or EX_PROTOCOL / EX_IOERR with err.
 */
static int lines_read(FILE *in, const char *what, bool (*take)(void *ctx, json_t *obj), void *ctx,
		      struct chobo_error *err)
{
	struct jsonl_reader r;
	json_t *obj;
	char why[256];
	enum jsonl_status s;
	jsonl_init(&r, in, what);
	while ((s = jsonl_next(&r, &obj, why, sizeof why)) == JSONL_OK) {
		bool more = take(ctx, obj);
		json_decref(obj);
		if (!more)
			break;
	}
	jsonl_free(&r);
	if (s == JSONL_BAD)
		return chobo_fail(err, EX_PROTOCOL, "%s line %lu: %s", what, r.line, why);
	if (s == JSONL_IOERR)
		return chobo_fail_errno(err, EX_IOERR, "%s line %lu: read error", what, r.line);
	return 0;
}

static bool take_head(void *ctx, json_t *obj)
{
	json_t *heads = ctx;
	const char *origin = json_string_value(json_object_get(obj, "log"));
	json_t *size = json_object_get(obj, "size");
	json_t *root = json_object_get(obj, "root"), *note = json_object_get(obj, "checkpoint");
	if (origin && checkpoint_origin_valid(origin) && json_is_integer(size) &&
	    json_integer_value(size) >= 0 && (!root || json_is_string(root)) &&
	    (!note || json_is_string(note)))
		json_array_append(heads, obj);
	return json_array_size(heads) < SYNC_MAX_HEADS;
}

/* What sync_session_read collects: the heads, the bundles listed after them, and whether that list came. */
struct session_index {
	json_t *heads, *bundles;
	bool ended, bad;
};

int sync_heads_read(FILE *in, json_t *heads, struct chobo_error *err)
{
	if (json_array_size(heads) >= SYNC_MAX_HEADS)
		return 0;
	return lines_read(in, "heads", take_head, heads, err);
}

static bool take_holding(void *ctx, json_t *obj)
{
	json_t *request = ctx;
	const char *origin = json_string_value(json_object_get(obj, "log"));
	json_t *size = json_object_get(obj, "size"), *signers = json_object_get(obj, "signers");
	bool ok = origin && checkpoint_origin_valid(origin) && json_is_integer(size) &&
		  json_integer_value(size) >= 0 && json_is_array(signers) &&
		  json_array_size(signers) <= SYNC_MAX_SIGNERS;
	size_t i;
	const json_t *v;
	json_array_foreach(signers, i, v)
		ok = ok && json_is_string(v) && json_string_length(v) == KEY_ID_HEX - 1;
	if (ok)
		json_object_set(request, origin, obj);
	return json_object_size(request) < SYNC_MAX_HEADS;
}

int sync_heads_request_read(FILE *in, json_t *request, struct chobo_error *err)
{
	if (json_object_size(request) >= SYNC_MAX_HEADS)
		return 0;
	return lines_read(in, "heads request", take_holding, request, err);
}

/*
 * Export, for every head whose log the request says the peer holds "held"
 * entries of, fewer than the head's size and at most SYNC_INLINE_ENTRIES
 * fewer, a bundle from there onto the scratch file spool (one after the
 * other), each listed in index as {"log","bytes"}.  0 or an exit code with err.
 */
static int session_bundles(struct ledger *l, const json_t *request, const json_t *heads, FILE *spool,
			   json_t *index, struct chobo_error *err)
{
	size_t i;
	const json_t *h;
	json_array_foreach(heads, i, h) {
		const char *origin = json_string_value(json_object_get(h, "log"));
		uint64_t size = head_size(h);
		json_t *held = json_object_get(json_object_get(request, origin), "held");
		if (!json_is_integer(held) || json_integer_value(held) < 0 ||
		    (uint64_t)json_integer_value(held) >= size ||
		    size - (uint64_t)json_integer_value(held) > SYNC_INLINE_ENTRIES)
			continue;
		struct selection sel = {.log = origin, .has_since = true,
					.since = (uint64_t)json_integer_value(held)};
		off_t start = ftello(spool);
		int rc = start < 0 ? chobo_fail_errno(err, EX_IOERR, "spooling the bundles")
				   : export_bundle(l, spool, &sel, err);
		off_t end = rc == 0 ? ftello(spool) : -1;
		if (rc == 0 && end < start)
			rc = chobo_fail_errno(err, EX_IOERR, "spooling the bundles");
		if (rc != 0)
			return rc;
		json_array_append_new(index, json_pack("{s:s, s:I}", "log", origin, "bytes", (json_int_t)(end - start)));
	}
	return 0;
}

/*
 * chobo-heads, and with session chobo-sync: the heads, then the line
 * {"bundles":[{"log","bytes"}...]} and those bundles' bytes, one after the
 * other: what the peer lacks of the logs it asked for ("held"), so that a
 * sync needs no chobo-export.  The ledger is opened to read only, once.
 */
static int serve_heads(const char *dir, FILE *in, FILE *out, bool session, struct chobo_error *err)
{
	/* What the peer holds, read before the ledger is locked (an older peer sends nothing). */
	json_t *request = json_object();
	FILE *spool = NULL;
	int rc = sync_heads_request_read(in, request, err);
	if (rc == 0 && session)
		rc = scratch_file(&spool, err);
	struct ledger l;
	/* The committed files of a cleanly closed ledger, as chain-export reads them. */
	if (rc == 0)
		rc = ledger_open_read(&l, dir, err);
	if (rc != 0) {
		if (spool)
			fclose(spool);
		json_decref(request);
		return rc;
	}
	json_t *heads = json_array(), *index = json_array();
	rc = heads_collect(&l, request, heads, err);
	if (rc == 0 && session)
		rc = session_bundles(&l, request, heads, spool, index, err);
	json_decref(request);
	rc = ledger_close_after(&l, rc, err);
	/* Written with the ledger unlocked. */
	size_t i;
	json_t *v;
	json_array_foreach(heads, i, v)
		if (rc == 0 && !jsonl_write(out, json_incref(v)))
			rc = chobo_fail_errno(err, EX_IOERR, "writing the heads");
	if (rc == 0 && session && !jsonl_write(out, json_pack("{s:O}", "bundles", index)))
		rc = chobo_fail_errno(err, EX_IOERR, "writing the heads");
	if (rc == 0 && session && (fflush(spool) != 0 || fseeko(spool, 0, SEEK_SET) != 0 ||
				   copy_stream(spool, out, UINT64_MAX) != 0))
		rc = chobo_fail_errno(err, EX_IOERR, "writing the bundles");
	if (spool)
		fclose(spool);
	json_decref(index);
	json_decref(heads);
	return rc;
}

/* Store the cosignatures of requests (read before the ledger is locked) and answer each in results. */
static int cosign_requests(struct ledger *l, const struct trust *trust, const json_t *requests,
			   json_t *results, struct chobo_error *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(requests, i, v) {
		const char *origin = json_string_value(json_object_get(v, "log"));
		const char *line = json_string_value(json_object_get(v, "cosignature"));
		json_t *size = json_object_get(v, "size");
		uint32_t id;
		uint64_t held;
		bool added = false;
		struct chobo_error e;
		int rc = chobo_fail(&e, EX_DATAERR, "malformed request");
		if (origin && line && json_is_integer(size) && json_integer_value(size) >= 0 &&
		    store_log_find(l->store, origin, &id, &held) == STORE_OK)
			rc = cosignature_add(l, trust, id, (uint64_t)json_integer_value(size), line,
					     strlen(line), &added, &e);
		if (rc != 0 && rc != EX_DATAERR)
			return chobo_fail(err, rc, "%s", e.msg);
		json_array_append_new(results, rc != 0
			? json_pack("{s:s?, s:b, s:s}", "log", origin, "ok", 0, "error", e.msg)
			: json_pack("{s:s, s:b, s:b}", "log", origin, "ok", 1, "new", added));
	}
	return 0;
}

/* Cosignatures handed over by a peer: {"log","size","cosignature"} lines on in, one answer each on out. */
static int serve_cosign(const char *dir, FILE *in, FILE *out, struct chobo_error *err)
{
	struct jsonl_reader r;
	json_t *obj, *requests = json_array();
	char why[256];
	enum jsonl_status s = JSONL_OK;
	jsonl_init(&r, in, "stdin");
	while (json_array_size(requests) < MAX_COSIGN_REQUESTS &&
	       (s = jsonl_next(&r, &obj, why, sizeof why)) == JSONL_OK)
		json_array_append_new(requests, obj);
	jsonl_free(&r);
	int rc = 0;
	if (s == JSONL_BAD)
		rc = chobo_fail(err, EX_DATAERR, "stdin:%lu: %s", r.line, why);
	else if (s == JSONL_IOERR)
		rc = chobo_fail_errno(err, EX_IOERR, "stdin:%lu", r.line);
	struct trust trust = {0};
	struct ledger l;
	if (rc == 0)
		rc = ledger_trust(dir, NULL, &trust, err);
	json_t *results = json_array();
	if (rc == 0 && (rc = ledger_open(&l, dir, STORE_NORMAL, err)) == 0) {
		if (store_begin(l.store) != STORE_OK) {
			rc = chobo_fail(err, EX_IOERR, "%s", store_error(l.store));
		} else if ((rc = cosign_requests(&l, &trust, requests, results, err)) != 0) {
			store_abort(l.store);
		} else if (store_commit(l.store) != STORE_OK) {
			rc = chobo_fail(err, EX_IOERR, "%s", store_error(l.store));
		}
		rc = ledger_close_after(&l, rc, err);
	}
	trust_free(&trust);
	size_t i;
	json_t *v;
	json_array_foreach(results, i, v)
		if (rc == 0 && !jsonl_write(out, json_incref(v)))
			rc = chobo_fail_errno(err, EX_IOERR, "writing the answer");
	json_decref(results);
	json_decref(requests);
	return rc;
}

int sync_serve(const char *dir, const char *cmd, FILE *in, FILE *out, struct chobo_error *err)
{
	char origin[NOTE_MAX_NAME + 1];
	uint64_t since;
	enum sync_verb verb = sync_parse_command(cmd, origin, &since);
	switch (verb) {
	case SYNC_HEADS:
	case SYNC_SESSION:
		return serve_heads(dir, in, out, verb == SYNC_SESSION, err);
	case SYNC_EXPORT: {
		struct selection sel = {.log = origin, .has_since = true, .since = since};
		return export_bundle_spooled(dir, &sel, out, err);
	}
	case SYNC_COSIGN:
		return serve_cosign(dir, in, out, err);
	case SYNC_MALFORMED:
		return chobo_fail(err, EX_USAGE, "serving: \"%.64s\": chobo-export takes an origin and a "
				  "decimal size", cmd);
	case SYNC_REFUSED:
		break;
	}
	if (!cmd)
		return chobo_fail(err, EX_NOPERM, "serving: no command (this key may only run the sync verbs)");
	return chobo_fail(err, EX_NOPERM, "serving: \"%.64s\" is not allowed (only chobo-sync, chobo-heads, "
			  "chobo-export ORIGIN SIZE, chobo-cosign)", cmd);
}

/* ------------------------------------------------------------ client */

static bool trusted_log(const struct trust *trust, const char *origin)
{
	for (size_t k = 0; k < trust->n; k++)
		if (trust->keys[k].type == NOTE_TYPE_ED25519 && strcmp(trust->keys[k].name, origin) == 0)
			return true;
	return false;
}

/*
 * Our held size of a log (0 when we hold none) and our tree's root at size
 * at (or at our held size if that is smaller), in the open ledger; 0 or an
 * exit code with err.
 */
static int held_in(struct ledger *l, const char *origin, uint64_t at, uint64_t *size, char hex[65],
		   struct chobo_error *err)
{
	uint32_t id;
	uint8_t root[32];
	struct ledger_reader lr;
	int rc = 0;
	*size = 0;
	merkle_empty_root(root);
	if (store_log_find(l->store, origin, &id, size) == STORE_OK) {
		ledger_reader_init(&lr, l, id);
		if (merkle_root(&lr.r, at < *size ? at : *size, root) != 0)
			rc = chobo_fail(err, EX_IOERR, "%s: %s", origin, store_error(l->store));
	}
	hex32(hex, root);
	return rc;
}

/* held_in, with the ledger in dir opened for it. */
static int held_state(const char *dir, const char *origin, uint64_t at, uint64_t *size, char hex[65],
		      struct chobo_error *err)
{
	struct ledger l;
	int rc = ledger_open_read(&l, dir, err);
	if (rc != 0)
		return rc;
	rc = held_in(&l, origin, at, size, hex, err);
	return ledger_close_after(&l, rc, err);
}

/* Import a bundle from the peer (a scratch file) into the open ledger; 0, EXIT_FORK with the event in res->forks, or an exit code. */
static int import_from(struct ledger *l, const struct sync_node *node, const struct peer *peer, const char *origin,
		       FILE *bundle, enum import_own own, struct sync_result *res, struct chobo_error *err)
{
	struct import_result imp;
	int rc = import_bundle(l, node->trust, bundle, own, &imp, err);
	if (rc == 0) {
		size_t k;
		json_t *v;
		json_array_foreach(imp.summary, k, v)
			json_array_append(res->logs, v);
	}
	if (rc == EXIT_FORK)
		json_array_append_new(res->forks, import_fork_event(&imp, peer->name));
	else if (rc == EX_DATAERR)
		chobo_fail_context(err, rc, "bundle of %s refused", origin);
	import_result_free(&imp);
	return rc;
}

/*
 * Whether the part of a log that the peer's head h shows we lack must be
 * fetched, and from which size (*since), held being our size of the log
 * and ours our root at the peer's size (held_state).  Where the peer's
 * tree is no larger than ours it must be ours: if its claimed root
 * differs, its signed checkpoint is fetched, which import checks (a fork
 * keeps the evidence).  A larger tree is fetched from our size on.
 */
static bool fetch_needed(const json_t *h, uint64_t held, const char ours[65], uint64_t *since)
{
	uint64_t theirs = (uint64_t)json_integer_value(json_object_get(h, "size"));
	const char *root = json_string_value(json_object_get(h, "root"));
	if (theirs <= held && root && strcmp(root, ours) == 0)
		return false;
	*since = theirs < held ? theirs : held;
	return true;
}

/* Start the peer's chobo-export of h's log from since on, into a new scratch file (*out); 0 or an exit code with err. */
static int export_start(const struct ssh_transport *t, const struct peer *peer, const json_t *h, uint64_t since,
			FILE **out, struct ssh_call *call, struct chobo_error *err)
{
	const char *origin = json_string_value(json_object_get(h, "log"));
	char from[24];
	snprintf(from, sizeof from, "%llu", (unsigned long long)since);
	const char *verb[] = {"chobo-export", origin, from, NULL};
	int rc = scratch_file(out, err);
	if (rc != 0)
		return rc;
	rc = ssh_start(t, peer->destination, verb, NULL, *out, chobo_limit("BUNDLE_BYTES", BUNDLE_MAX_BYTES), call, err);
	if (rc != 0) {
		fclose(*out);
		*out = NULL;
		return chobo_fail_context(err, rc, "export of %s", origin);
	}
	return 0;
}

/* Wait for a started export to end; its bundle rewound in out, or out closed and an exit code with err. */
static int export_finish(const json_t *h, FILE **out, struct ssh_call *call, struct chobo_error *err)
{
	int rc = ssh_finish(call, err);
	if (rc == 0 && fseeko(*out, 0, SEEK_SET) != 0)
		rc = chobo_fail_errno(err, EX_IOERR, "reading a fetched bundle");
	if (rc != 0) {
		fclose(*out);
		*out = NULL;
		return chobo_fail_context(err, rc, "export of %s", json_string_value(json_object_get(h, "log")));
	}
	return 0;
}

/*
 * Fetch the part of a log that the peer's head h shows we lack into a
 * scratch file (*out; NULL when we lack nothing), held and ours as for
 * fetch_needed; 0 or an exit code with err.
 */
static int fetch_log(const struct ssh_transport *t, const struct peer *peer, const json_t *h, uint64_t held,
		     const char ours[65], FILE **out, struct chobo_error *err)
{
	uint64_t since;
	struct ssh_call call;
	*out = NULL;
	if (!fetch_needed(h, held, ours, &since))
		return 0;
	int rc = export_start(t, peer, h, since, out, &call, err);
	return rc != 0 ? rc : export_finish(h, out, &call, err);
}

/* Fetch and import one log the peer's head h shows we lack (a restore's own log); 0 or an exit code with err. */
static int fetch_and_import(const struct sync_node *node, const struct ssh_transport *t, const struct peer *peer,
			    const json_t *h, enum import_own own, struct sync_result *res, struct chobo_error *err)
{
	const char *origin = json_string_value(json_object_get(h, "log"));
	uint64_t held;
	char ours[65];
	FILE *bundle;
	struct ledger l;
	int rc = held_state(node->dir, origin, head_size(h), &held, ours, err);
	if (rc == 0)
		rc = fetch_log(t, peer, h, held, ours, &bundle, err);
	if (rc != 0 || !bundle)
		return rc;
	import_expect(&bundle, 1, head_size(h) > held ? head_size(h) - held : 0, false);
	if ((rc = ledger_open(&l, node->dir, STORE_NORMAL, err)) == 0) {
		rc = import_from(&l, node, peer, origin, bundle, own, res, err);
		rc = ledger_close_after(&l, rc, err);
	}
	fclose(bundle);
	return rc;
}

int sync_cosign_answers_read(FILE *in, const json_t *sent, size_t *accepted, struct chobo_error *err)
{
	struct jsonl_reader r;
	json_t *obj;
	char why[256];
	enum jsonl_status s;
	size_t n = 0, expected = json_array_size(sent);
	int rc = 0;
	*accepted = 0;
	jsonl_init(&r, in, "answer");
	while (rc == 0 && (s = jsonl_next(&r, &obj, why, sizeof why)) == JSONL_OK) {
		const char *log = json_string_value(json_object_get(obj, "log"));
		json_t *ok = json_object_get(obj, "ok");
		const char *asked = json_string_value(json_array_get(sent, n));
		const char *error = json_string_value(json_object_get(obj, "error"));
		if (n >= expected)
			rc = chobo_fail(err, EX_PROTOCOL, "more answers than the %zu cosignatures handed over",
					expected);
		else if (!log || !json_is_boolean(ok))
			rc = chobo_fail(err, EX_PROTOCOL, "answer line %lu is not a {\"log\",\"ok\"} object",
					r.line);
		else if (strcmp(log, asked) != 0)
			rc = chobo_fail(err, EX_PROTOCOL, "answer line %lu is for %.200s, not %.200s", r.line,
					log, asked);
		else if (json_is_true(ok))
			++*accepted;
		else
			rc = chobo_fail(err, EX_DATAERR, "the peer refused the cosignature of %s: %.200s", log,
					error ? error : "no reason given");
		json_decref(obj);
		n++;
	}
	if (rc == 0 && s == JSONL_BAD)
		rc = chobo_fail(err, EX_PROTOCOL, "answer line %lu: %s", r.line, why);
	else if (rc == 0 && s == JSONL_IOERR)
		rc = chobo_fail_errno(err, EX_IOERR, "answer line %lu: read error", r.line);
	else if (rc == 0 && n == 0)
		/* Through the ssh master a peer's command that was stopped can end in silence, status 0. */
		rc = chobo_fail(err, EX_PROTOCOL, "no answer from the peer for the %zu cosignatures handed over (its "
				"chobo-cosign may have been stopped)", expected);
	else if (rc == 0 && n < expected)
		rc = chobo_fail(err, EX_PROTOCOL, "%zu answers for %zu cosignatures handed over", n, expected);
	jsonl_free(&r);
	return rc;
}

/*
 * Whether the peer's copy of log id at size (its head h) carries this node's
 * cosignature: in the note it sent, or (a head trimmed for our request,
 * with "lacks") among the lines left out because ours carries it too.
 */
static bool peer_has_ours(struct ledger *l, const struct sync_node *node, const json_t *h, uint32_t id,
			  uint64_t size)
{
	const json_t *note = json_object_get(h, "checkpoint"), *lacks = json_object_get(h, "lacks");
	const char *held;
	size_t len, have;
	if (json_is_string(note) && note_find_signature(json_string_value(note), json_string_length(note),
							&node->witness->pub, &have))
		return true;
	return json_is_array(lacks) && !ids_contain(lacks, node->witness->pub.id) &&
	       store_checkpoint_get(l->store, id, size, &held, &len) == STORE_OK &&
	       note_find_signature(held, len, &node->witness->pub, &have);
}

/*
 * In the open ledger, for every log the peer holds at our size: merge the
 * cosignatures its copy carries, and cosign it (never our own log, nor one
 * the peer's copy shows we cosigned) into request lines on req, the logs in
 * sent.  Inside a transaction; 0 or an exit code with err.
 */
static int cosign_heads(struct ledger *l, const struct sync_node *node, const json_t *heads, int64_t now,
			FILE *req, json_t *sent, struct chobo_error *err)
{
	size_t i;
	json_t *h;
	int rc = 0;
	json_array_foreach(heads, i, h) {
		const char *origin = json_string_value(json_object_get(h, "log"));
		uint64_t theirs = (uint64_t)json_integer_value(json_object_get(h, "size"));
		json_t *note = json_object_get(h, "checkpoint");
		const char *peer_note = json_string_value(note);
		uint32_t id;
		uint64_t held, size;
		char *line;
		if (store_log_find(l->store, origin, &id, &held) != STORE_OK || held != theirs)
			continue;
		/* The same checkpoint at the peer: keep the witnesses' cosignatures it carries. */
		if (peer_note && (rc = cosignatures_merge(l, node->trust, id, held, peer_note,
							  json_string_length(note), NULL, err)) != 0)
			return rc;
		/* A node does not witness its own log; nor hand over what the peer's copy carries. */
		if (strcmp(origin, node->origin) == 0 || peer_has_ours(l, node, h, id, held))
			continue;
		if ((rc = cosign_latest(l, id, node->witness, (uint64_t)now, &line, &size, err)) != 0)
			return chobo_fail_context(err, rc, "cosigning %s", origin);
		if (size == theirs) {
			if (!jsonl_write(req, json_pack("{s:s, s:I, s:s}", "log", origin, "size", (json_int_t)size,
							"cosignature", line))) {
				free(line);
				return chobo_fail_errno(err, EX_IOERR, "writing the cosignatures");
			}
			json_array_append_new(sent, json_string(origin));
		}
		free(line);
	}
	return 0;
}

/*
 * A lack of at least this many entries of one log is imported as the peer
 * sends it (import_streamed): the peer's export (about a seventh of a first
 * full sync of 1,000,000 entries) then overlaps the import instead of
 * preceding it.  CHOBO_LIMIT_SYNC_STREAM_ENTRIES lowers it.
 */
#define SYNC_STREAM_ENTRIES SYNC_INLINE_ENTRIES
/*
 * How long, in all, an import may wait for a streamed bundle's next bytes
 * (milliseconds; CHOBO_LIMIT_SYNC_STREAM_WAIT_MS lowers it): the ledger is
 * locked meanwhile, so a peer that sends more slowly than the import takes
 * it has its bundle fetched whole instead, with the ledger closed.
 */
#define SYNC_STREAM_WAIT_MS 5000

/* An export that import_streamed gave up following: the call still running and the file it writes. */
struct slow_export {
	FILE *out;
	struct ssh_call call;
};

/*
 * In the open ledger, import the part of h's log from since on as the peer
 * exports it.  0, or an exit code with err (EX_UNAVAILABLE and the limit's
 * wording when the export broke a bound; the export's failure, where it
 * failed, rather than what the import made of the stream it cut short).
 * When the peer sent too slowly, the import is given up with slow->out set
 * (nothing of the log stored; err says nothing): the caller waits for the
 * rest of the export (export_finish on slow) and imports it whole.
 */
static int import_streamed(struct ledger *l, const struct sync_node *node, const struct ssh_transport *t,
			   const struct peer *peer, const json_t *h, uint64_t since, struct sync_result *res,
			   struct slow_export *slow, struct chobo_error *err)
{
	const char *origin = json_string_value(json_object_get(h, "log"));
	FILE *out;
	struct ssh_call call;
	struct subprocess_follow follow;
	slow->out = NULL;
	int rc = export_start(t, peer, h, since, &out, &call, err);
	if (rc != 0)
		return rc;
	FILE *in = ssh_follow(&call, &follow, (double)chobo_limit("SYNC_STREAM_WAIT_MS", SYNC_STREAM_WAIT_MS) / 1000);
	if (!in) {
		rc = chobo_fail_errno(err, EX_OSERR, "following the export of %s", origin);
		ssh_cancel(&call);
		fclose(out);
		return rc;
	}
	rc = import_from(l, node, peer, origin, in, IMPORT_OWN_CHECK, res, err);
	fclose(in);
	if (rc != 0 && rc != EXIT_FORK && follow.stalled) {
		slow->out = out;
		slow->call = call;
		return rc;
	}
	if (rc != 0 && (follow.cut || !follow.ended)) {
		/* A bound broken, or what came before the end refused: the rest is not waited for. */
		ssh_cancel(&call);
		fclose(out);
		if (follow.cut && rc != EXIT_FORK)
			rc = chobo_fail_context(err, subprocess_follow_cut(&follow, err), "export of %s", origin);
		return rc;
	}
	/*
	 * Reap the export (ended: the stream ends only at its exit).  Where it
	 * failed, that is the cause of what the import saw (the stream cut off).
	 */
	struct chobo_error ferr;
	int frc = export_finish(h, &out, &call, &ferr);
	if (frc == 0)
		fclose(out);
	if (frc != 0 && rc != EXIT_FORK) {
		*err = ferr;
		rc = frc;
	}
	return rc;
}

/* A hand-over of cosignatures under way: the chobo-cosign call and the file its answer goes to. */
struct hand_over {
	struct ssh_call call;
	FILE *answer;
};

/* Start handing the cosignature requests on req over to the peer; 0 or an exit code with err. */
static int hand_over_start(const struct ssh_transport *t, const struct peer *peer, FILE *req, struct hand_over *ho,
			   struct chobo_error *err)
{
	const char *verb[] = {"chobo-cosign", NULL};
	if (fflush(req) != 0)
		return chobo_fail_errno(err, EX_IOERR, "writing the cosignatures");
	int rc = scratch_file(&ho->answer, err);
	if (rc != 0)
		return rc;
	rewind(req);
	if ((rc = ssh_start(t, peer->destination, verb, req, ho->answer, MAX_HEADS_OUTPUT, &ho->call, err)) != 0)
		fclose(ho->answer);
	return rc;
}

/* Wait for the peer's answer to a started hand-over and check it against sent; 0 or an exit code with err. */
static int hand_over_finish(struct hand_over *ho, const json_t *sent, size_t *accepted, struct chobo_error *err)
{
	int rc = ssh_finish(&ho->call, err);
	if (rc == 0) {
		rewind(ho->answer);
		rc = sync_cosign_answers_read(ho->answer, sent, accepted, err);
	}
	fclose(ho->answer);
	return rc;
}

/*
 * In the open ledger: cosign every log the peer holds at our newest size
 * into request lines on req (the logs in sent), in a transaction of its own.
 */
static int cosign_in(struct ledger *l, const struct sync_node *node, const json_t *heads, FILE *req,
		     json_t *sent, struct chobo_error *err)
{
	int64_t now;
	if (!chobo_now(&now) || now < 0)
		return chobo_fail(err, EX_CONFIG, "CHOBO_NOW is not an RFC 3339 time: no cosignatures made");
	int rc = 0;
	if (store_begin(l->store) != STORE_OK)
		rc = chobo_fail(err, EX_IOERR, "no cosignatures made: %s", store_error(l->store));
	else if ((rc = cosign_heads(l, node, heads, now, req, sent, err)) != 0)
		store_abort(l->store);
	else if (store_commit(l->store) != STORE_OK)
		rc = chobo_fail(err, EX_IOERR, "cannot store our cosignatures: %s", store_error(l->store));
	return rc;
}

static int collect_id(void *ctx, const char *line, size_t len, bool ok, uint32_t id)
{
	(void)line;
	(void)len;
	char hex[KEY_ID_HEX];
	key_id_hex(hex, id);
	if (ok && json_array_size(ctx) < SYNC_MAX_SIGNERS)
		json_array_append_new(ctx, json_string(hex));
	return 0;
}

/*
 * The heads request: for every log this node holds, its newest checkpoint's
 * size and the key IDs of the lines that sign it, and for every log it
 * would take from a peer (trusted, not its own), "held": the entries it
 * holds, 0 for one it holds none of (a chobo-sync answer carries what it
 * lacks from there); on req, rewound.  0 or an exit code with err.
 */
static int heads_request(const struct sync_node *node, FILE *req, struct chobo_error *err)
{
	struct ledger l;
	int rc = ledger_open_read(&l, node->dir, err);
	if (rc != 0)
		return rc;
	struct log_list logs;
	rc = log_list_read(&l, NULL, &logs, err);
	for (size_t i = 0; rc == 0 && i < logs.n; i++) {
		const char *note, *why;
		size_t len;
		uint64_t size = 0;
		struct note_parts parts;
		json_t *signers = json_array();
		bool head = store_checkpoint_latest(l.store, logs.v[i].id, &size, &note, &len) == STORE_OK &&
			    note_split(note, len, &parts, &why);
		bool wanted = strcmp(logs.v[i].origin, node->origin) != 0 && trusted_log(node->trust, logs.v[i].origin);
		if (head)
			note_each_line(&parts, collect_id, signers);
		json_t *line = json_pack("{s:s, s:I, s:o}", "log", logs.v[i].origin, "size",
					 (json_int_t)(head ? size : 0), "signers", signers);
		if (wanted && json_object_set_new(line, "held", json_integer((json_int_t)logs.v[i].size)) != 0)
			xalloc_failed();
		if (!head && !wanted)
			json_decref(line);   /* nothing to tell of a log without a checkpoint that we do not take */
		else if (!jsonl_write(req, line))
			rc = chobo_fail_errno(err, EX_IOERR, "writing the heads request");
	}
	/* The trusted logs not held here at all: from their first entry. */
	for (size_t k = 0; rc == 0 && k < node->trust->n; k++) {
		const struct note_verifier *key = &node->trust->keys[k];
		bool listed = false;
		for (size_t i = 0; i < logs.n && !listed; i++)
			listed = strcmp(logs.v[i].origin, key->name) == 0;
		for (size_t j = 0; j < k && !listed; j++)
			listed = node->trust->keys[j].type == NOTE_TYPE_ED25519 &&
				 strcmp(node->trust->keys[j].name, key->name) == 0;
		if (listed || key->type != NOTE_TYPE_ED25519 || strcmp(key->name, node->origin) == 0 ||
		    !checkpoint_origin_valid(key->name))
			continue;
		if (!jsonl_write(req, json_pack("{s:s, s:i, s:[], s:i}", "log", key->name, "size", 0, "signers",
						"held", 0)))
			rc = chobo_fail_errno(err, EX_IOERR, "writing the heads request");
	}
	log_list_free(&logs);
	rc = ledger_close_after(&l, rc, err);
	if (rc == 0 && fflush(req) != 0)
		rc = chobo_fail_errno(err, EX_IOERR, "writing the heads request");
	rewind(req);
	return rc;
}

/*
 * Read the peer's heads into heads; with node, tell the peer what the
 * ledger there holds first, so that it leaves out the signatures we have
 * (an older peer ignores that and answers in full).  0 or an exit code with err.
 */
static int heads_fetch(const struct ssh_transport *t, const struct peer *peer, const struct sync_node *node,
		       json_t *heads, struct chobo_error *err)
{
	const char *verb[] = {"chobo-heads", NULL};
	FILE *out, *req = NULL;
	int rc = scratch_file(&out, err);
	if (rc != 0)
		return rc;
	if (node && ((rc = scratch_file(&req, err)) != 0 || (rc = heads_request(node, req, err)) != 0)) {
		if (req)
			fclose(req);
		fclose(out);
		return rc;
	}
	rc = ssh_run(t, peer->destination, verb, req, out, MAX_HEADS_OUTPUT, err);
	if (req)
		fclose(req);
	if (rc == 0) {
		rewind(out);
		rc = sync_heads_read(out, heads, err);
	} else {
		chobo_fail_context(err, rc, "heads");
	}
	fclose(out);
	return rc;
}

static bool take_index(void *ctx, json_t *obj)
{
	struct session_index *x = ctx;
	json_t *list = json_object_get(obj, "bundles");
	size_t i;
	const json_t *v;
	/* The first object with "bundles" ends the heads: what follows is bytes. */
	if (!json_is_array(list)) {
		if (json_array_size(x->heads) < SYNC_MAX_HEADS)
			take_head(x->heads, obj);
		return true;
	}
	x->ended = true;
	json_array_foreach(list, i, v) {
		const char *origin = json_string_value(json_object_get(v, "log"));
		json_t *bytes = json_object_get(v, "bytes");
		if (!origin || !checkpoint_origin_valid(origin) || !json_is_integer(bytes) ||
		    json_integer_value(bytes) < 0 || json_array_size(x->bundles) >= SYNC_MAX_HEADS) {
			x->bad = true;
			break;
		}
		json_array_append(x->bundles, (json_t *)v);
	}
	return false;
}

int sync_session_read(FILE *in, json_t *heads, json_t *bundles, struct chobo_error *err)
{
	struct session_index x = {heads, bundles, false, false};
	struct jsonl_reader r;
	json_t *obj;
	char why[256];
	enum jsonl_status s;
	jsonl_init(&r, in, "sync answer");
	while ((s = jsonl_next(&r, &obj, why, sizeof why)) == JSONL_OK) {
		bool more = take_index(&x, obj);
		json_decref(obj);
		if (!more)
			break;
	}
	/* Where the bundles start: the reader has read ahead of its last line. */
	off_t at = ftello(in);
	size_t ahead = jsonl_pending(&r);
	unsigned long line = r.line;
	jsonl_free(&r);
	if (s == JSONL_BAD)
		return chobo_fail(err, EX_PROTOCOL, "sync answer line %lu: %s", line, why);
	if (s == JSONL_IOERR || at < 0)
		return chobo_fail_errno(err, EX_IOERR, "sync answer line %lu: read error", line);
	if (!x.ended || x.bad)
		return chobo_fail(err, EX_PROTOCOL, "sync answer line %lu: %s", line,
				  x.bad ? "a bundle listed is not {\"log\",\"bytes\"}" : "no \"bundles\" line");
	if (fseeko(in, at - (off_t)ahead, SEEK_SET) != 0)
		return chobo_fail_errno(err, EX_IOERR, "sync answer: seek");
	return 0;
}

/* Copy exactly n bytes from in to a new scratch file (*out, rewound); 0 or an exit code with err. */
static int copy_bundle(FILE *in, uint64_t n, FILE **out, struct chobo_error *err)
{
	char buf[65536];
	int rc = scratch_file(out, err);
	while (rc == 0 && n > 0) {
		size_t want = n < sizeof buf ? (size_t)n : sizeof buf, got = fread(buf, 1, want, in);
		if (got == 0)
			rc = ferror(in) ? chobo_fail_errno(err, EX_IOERR, "reading the sync answer")
					: chobo_fail(err, EX_PROTOCOL, "the sync answer ends inside a bundle");
		else if (fwrite(buf, 1, got, *out) != got)
			rc = chobo_fail_errno(err, EX_IOERR, "spooling a bundle");
		n -= got;
	}
	if (rc == 0 && (fflush(*out) != 0 || fseeko(*out, 0, SEEK_SET) != 0))
		rc = chobo_fail_errno(err, EX_IOERR, "spooling a bundle");
	if (rc != 0 && *out) {
		fclose(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * One chobo-sync call: the peer's heads into heads and the bundles its
 * answer carries into *inline_bundles (one per head, NULL where none; the
 * array allocated here).  A peer that does not know the verb is asked with
 * chobo-heads instead (*inline_bundles all NULL).  0 or an exit code with err.
 */
static int session_fetch(const struct ssh_transport *t, const struct peer *peer, const struct sync_node *node,
			 json_t *heads, FILE ***inline_bundles, struct chobo_error *err)
{
	const char *verb[] = {"chobo-sync", NULL};
	FILE *out, *req = NULL;
	*inline_bundles = NULL;
	int rc = scratch_file(&out, err);
	if (rc != 0)
		return rc;
	if ((rc = scratch_file(&req, err)) != 0 || (rc = heads_request(node, req, err)) != 0) {
		if (req)
			fclose(req);
		fclose(out);
		return rc;
	}
	rc = ssh_run(t, peer->destination, verb, req, out, chobo_limit("BUNDLE_BYTES", BUNDLE_MAX_BYTES), err);
	fclose(req);
	if (rc == EX_NOPERM) {
		/* A peer of the older protocol: heads, then one chobo-export per log. */
		fclose(out);
		rc = heads_fetch(t, peer, node, heads, err);
		size_t n = json_array_size(heads);
		*inline_bundles = xcalloc(n ? n : 1, sizeof **inline_bundles);
		return rc;
	}
	json_t *index = json_array();
	if (rc == 0) {
		rewind(out);
		rc = sync_session_read(out, heads, index, err);
	} else {
		chobo_fail_context(err, rc, "heads");
	}
	size_t n = json_array_size(heads), i;
	FILE **got = xcalloc(n ? n : 1, sizeof *got);
	const json_t *v;
	json_array_foreach(index, i, v) {
		const char *origin = json_string_value(json_object_get(v, "log"));
		size_t k = 0;
		if (rc != 0)
			break;
		/* The first head of that log not given a bundle yet. */
		while (k < n && (got[k] || strcmp(origin, json_string_value(json_object_get(json_array_get(heads, k),
											     "log"))) != 0))
			k++;
		if (k == n)
			rc = chobo_fail(err, EX_PROTOCOL, "the sync answer carries a bundle of %.200s without its head",
					origin);
		else
			rc = copy_bundle(out, (uint64_t)json_integer_value(json_object_get(v, "bytes")), &got[k], err);
	}
	json_decref(index);
	fclose(out);
	*inline_bundles = got;
	return rc;
}

/*
 * The peer's head of this node's own log, if heads has one whose signed
 * checkpoint verifies with this node's key at the size it claims: true
 * with *out set.  A head that does not verify is no evidence of anything.
 */
static bool own_head(const struct sync_node *node, const json_t *heads, const json_t **out)
{
	size_t i;
	const json_t *h;
	json_array_foreach(heads, i, h) {
		const char *origin = json_string_value(json_object_get(h, "log"));
		json_t *note = json_object_get(h, "checkpoint");
		struct checkpoint cp;
		const char *why;
		if (strcmp(origin, node->origin) != 0 || !json_is_string(note))
			continue;
		if (checkpoint_verify(json_string_value(note), json_string_length(note), node->trust->keys,
				      node->trust->n, &cp, NULL, &why) &&
		    strcmp(cp.origin, node->origin) == 0 &&
		    cp.size == (uint64_t)json_integer_value(json_object_get(h, "size"))) {
			*out = h;
			return true;
		}
	}
	return false;
}

/* The number of entries this node's own log holds here; 0 or an exit code with err. */
static int own_held(const struct sync_node *node, uint64_t *size, struct chobo_error *err)
{
	char hex[65];
	return held_state(node->dir, node->origin, 0, size, hex, err);
}

/*
 * A peer holds more of this node's log than this node: a checkpoint signed
 * now would fork it.  The floor is raised (appending refused) and the sync
 * with that peer fails with EX_DATAERR.
 */
static int own_log_behind(const struct sync_node *node, const struct peer *peer, const json_t *h,
			  uint64_t held, struct chobo_error *err)
{
	json_t *note = json_object_get(h, "checkpoint");
	int rc = restore_raise(node->dir, json_string_value(note), json_string_length(note), head_size(h), err);
	if (rc != 0)
		return rc;
	return chobo_fail(err, EX_DATAERR, "%s holds this node's own log up to %llu entries, beyond the %llu "
			  "held here: appending is refused until chain-sync --restore takes them", peer->name,
			  (unsigned long long)head_size(h), (unsigned long long)held);
}

/*
 * Our size of each log of heads and our root at the peer's size (as
 * held_state), with the ledger open once to read; *to_cosign: whether some
 * log held at the peer's size needs the ledger written (the peer's copy
 * carries signature lines we lack, or lacks our cosignature): cosign_heads
 * would store or make something.
 */
static int held_states(const struct sync_node *node, const json_t *heads, uint64_t *held, char (*ours)[65],
		       bool *to_cosign, struct chobo_error *err)
{
	struct ledger l;
	int rc = ledger_open_read(&l, node->dir, err);
	if (rc != 0)
		return rc;
	size_t i;
	const json_t *h;
	*to_cosign = false;
	json_array_foreach(heads, i, h) {
		const char *origin = json_string_value(json_object_get(h, "log"));
		uint32_t id;
		uint64_t size;
		if (rc == 0)
			rc = held_in(&l, origin, head_size(h), &held[i], ours[i], err);
		if (rc != 0 || held[i] != head_size(h) || store_log_find(l.store, origin, &id, &size) != STORE_OK)
			continue;
		if (json_object_get(h, "checkpoint") ||
		    (strcmp(origin, node->origin) != 0 && !peer_has_ours(&l, node, h, id, held[i])))
			*to_cosign = true;
	}
	return ledger_close_after(&l, rc, err);
}

/* Whether any head from..n-1 is imported as it comes. */
static bool any_streamed(const bool *streamed, size_t from, size_t n)
{
	for (size_t k = from; k < n; k++)
		if (streamed[k])
			return true;
	return false;
}

/*
 * Open the ledger again after a streamed import of head i was given up,
 * sized for what is left to import: head i's bundle, now whole in the
 * file whole, and the bundles of the heads after it; 0 or an exit code
 * with err.
 */
static int reopen_for(const struct sync_node *node, struct ledger *l, const json_t *heads, FILE **bundles,
		      const bool *streamed, size_t i, FILE *whole, uint64_t entries, struct chobo_error *err)
{
	size_t n = json_array_size(heads);
	FILE **rest = xcalloc(n - i, sizeof *rest);
	rest[0] = whole;
	for (size_t k = i + 1; k < n; k++)
		rest[k - i] = bundles[k];
	import_expect(rest, n - i, entries, any_streamed(streamed, i + 1, n));
	free(rest);
	return ledger_open(l, node->dir, STORE_NORMAL, err);
}

/*
 * Import, for each head i, the bundle fetched (bundles[i]; NULL where none
 * was) or, where streamed[i], the bundle the peer exports from since[i] on
 * as it comes (import_streamed), about entries new entries in all; cosign
 * and hand the cosignatures over (res->cosigned, res->accepted; the
 * requests on a scratch file *req), with the ledger locked once (twice
 * where a peer streamed too slowly); 0, EXIT_FORK (every bundle still
 * imported, nothing cosigned) or an exit code with err.
 */
static int import_and_cosign(const struct sync_node *node, const struct ssh_transport *t, const struct peer *peer,
			     const json_t *heads, FILE **bundles, const bool *streamed, const uint64_t *since,
			     uint64_t entries, FILE **req, json_t *sent, struct sync_result *res,
			     struct chobo_error *err)
{
	size_t n = json_array_size(heads);
	struct ledger l;
	import_expect(bundles, n, entries, any_streamed(streamed, 0, n));
	int rc = ledger_open(&l, node->dir, STORE_NORMAL, err);
	if (rc != 0)
		return rc;
	bool forked = false;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct chobo_error e;
		const json_t *h = json_array_get(heads, i);
		const char *origin = json_string_value(json_object_get(h, "log"));
		int irc;
		if (streamed[i]) {
			struct slow_export slow;
			irc = import_streamed(&l, node, t, peer, h, since[i], res, &slow, &e);
			if (slow.out) {
				/* Too slow to follow: the rest is awaited with the ledger closed, then imported whole. */
				rc = ledger_close_after(&l, 0, err);
				irc = export_finish(h, &slow.out, &slow.call, &e);
				if (rc == 0)
					rc = reopen_for(node, &l, heads, bundles, streamed, i, slow.out, entries, err);
				if (rc != 0) {
					if (slow.out)
						fclose(slow.out);
					return rc;   /* the ledger is closed: nothing more can be done */
				}
				if (irc == 0)
					irc = import_from(&l, node, peer, origin, slow.out, IMPORT_OWN_CHECK, res, &e);
				if (slow.out)
					fclose(slow.out);
			}
		} else if (bundles[i]) {
			irc = import_from(&l, node, peer, origin, bundles[i], IMPORT_OWN_CHECK, res, &e);
		} else {
			continue;
		}
		/* After a fork the other logs are still imported; the first fork is what is reported. */
		if (irc != 0 && !forked)
			*err = e;
		if (irc == EXIT_FORK)
			forked = true;
		else if (irc != 0 && !forked)
			rc = irc;
	}
	if (rc == 0 && forked)
		rc = EXIT_FORK;
	if (rc == 0 && (rc = scratch_file(req, err)) != 0)
		chobo_fail_context(err, rc, "no cosignatures made");
	if (rc == 0)
		rc = cosign_in(&l, node, heads, *req, sent, err);
	/*
	 * The cosignatures are committed: the peer takes them while the ledger
	 * closes (the pages written, the tables synced), on the other core.
	 * The ledger waits for nothing the peer does.
	 */
	struct hand_over ho;
	struct chobo_error herr;
	int hrc = 0;
	bool handing = false;
	if (rc == 0 && json_array_size(sent) > 0) {
		res->cosigned = json_array_size(sent);
		hrc = hand_over_start(t, peer, *req, &ho, &herr);
		handing = hrc == 0;
	}
	rc = ledger_close_after(&l, rc, err);
	if (handing)
		hrc = hand_over_finish(&ho, sent, &res->accepted, &herr);
	if (rc == 0 && hrc != 0) {
		*err = herr;
		rc = chobo_fail_context(err, hrc, "handing over cosignatures");
	}
	return rc;
}

int sync_peer(const struct sync_node *node, const struct ssh_transport *t, const struct peer *peer,
	      struct sync_result *res, struct chobo_error *err)
{
	json_t *heads = json_array();
	FILE **carried;
	memset(res, 0, sizeof *res);
	res->logs = json_array();
	res->forks = json_array();
	int rc = session_fetch(t, peer, node, heads, &carried, err);
	const json_t *own = NULL;
	uint64_t own_size;
	size_t n = json_array_size(heads);
	uint64_t *held = xcalloc(n ? n : 1, sizeof *held);
	char (*ours)[65] = xcalloc(n ? n : 1, sizeof *ours);
	FILE **bundles = xcalloc(n ? n : 1, sizeof *bundles);
	bool *streamed = xcalloc(n ? n : 1, sizeof *streamed);
	uint64_t *since = xcalloc(n ? n : 1, sizeof *since);
	uint64_t stream_entries = chobo_limit("SYNC_STREAM_ENTRIES", SYNC_STREAM_ENTRIES);
	bool to_cosign = true;
	if (rc == 0)
		rc = held_states(node, heads, held, ours, &to_cosign, err);
	if (rc == 0 && own_head(node, heads, &own) && (rc = own_held(node, &own_size, err)) == 0 &&
	    head_size(own) > own_size)
		rc = own_log_behind(node, peer, own, own_size, err);
	/*
	 * Everything is fetched first, the ledger unlocked while the peer talks,
	 * except a large lack, which is imported as it comes (import_streamed).
	 */
	uint64_t entries = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const json_t *h = json_array_get(heads, i);
		const char *origin = json_string_value(json_object_get(h, "log"));
		/*
		 * Only this node writes its log; logs nobody here can verify are not
		 * taken.  But a checkpoint of this node's log, signed with its key,
		 * whose tree is not this ledger's is fetched (fetch_needed): the
		 * import, which never stores this log, finds the fork (the key signed
		 * two histories) and keeps the evidence.
		 */
		bool mine = strcmp(origin, node->origin) == 0;
		if (mine ? h != own || head_size(h) > held[i] : !trusted_log(node->trust, origin))
			continue;
		/* The answer carries the bundle from our size on: the one fetch_log would fetch. */
		if (carried[i] && head_size(h) > held[i]) {
			bundles[i] = carried[i];
			carried[i] = NULL;
		} else if (fetch_needed(h, held[i], ours[i], &since[i]) && head_size(h) - since[i] >= stream_entries) {
			streamed[i] = true;   /* fetched as it is imported */
		} else {
			rc = fetch_log(t, peer, h, held[i], ours[i], &bundles[i], err);
		}
		if ((bundles[i] || streamed[i]) && head_size(h) > held[i])
			entries += head_size(h) - held[i];
	}
	FILE *req = NULL;
	json_t *sent = json_array();
	/* Nothing fetched and nothing to cosign: the ledger is not opened for writing at all. */
	bool to_import = false;
	for (size_t i = 0; i < n; i++)
		to_import |= bundles[i] != NULL || streamed[i];
	if (rc == 0 && (to_import || to_cosign))
		rc = import_and_cosign(node, t, peer, heads, bundles, streamed, since, entries, &req, sent, res, err);
	for (size_t i = 0; i < n; i++) {
		if (bundles[i])
			fclose(bundles[i]);
		if (carried && carried[i])
			fclose(carried[i]);
	}
	free(carried);
	if (req)
		fclose(req);
	json_decref(sent);
	free(bundles);
	free(streamed);
	free(since);
	free(ours);
	free(held);
	json_decref(heads);
	return rc;
}

int sync_restore_own(const struct sync_node *node, const struct ssh_transport *t, const struct peer *peers,
		     size_t npeers, const char *only, struct sync_restore *res, struct chobo_error *err)
{
	json_t **heads = xcalloc(npeers ? npeers : 1, sizeof *heads);
	const json_t *floor_head = NULL, *source_head = NULL;
	size_t floor_peer = 0, source_peer = 0;
	int rc = 0;
	memset(res, 0, sizeof *res);
	res->peers = json_array();
	for (size_t i = 0; i < npeers; i++) {
		struct chobo_error e;
		const json_t *h;
		heads[i] = json_array();
		/* In full: every copy of our log is evidence of how far it went. */
		int hrc = heads_fetch(t, &peers[i], NULL, heads[i], &e);
		ssh_hang_up(t, peers[i].destination);
		if (hrc != 0) {
			json_array_append_new(res->peers, json_pack("{s:s, s:s}", "peer", peers[i].name, "error", e.msg));
			continue;
		}
		res->heard++;
		bool has = own_head(node, heads[i], &h);
		json_array_append_new(res->peers, json_pack("{s:s, s:I}", "peer", peers[i].name,
							    "size", (json_int_t)(has ? head_size(h) : 0)));
		if (!has)
			continue;
		if (!floor_head || head_size(h) > head_size(floor_head)) {
			floor_head = h;
			floor_peer = i;
		}
		if ((!only || strcmp(only, peers[i].name) == 0) &&
		    (!source_head || head_size(h) > head_size(source_head))) {
			source_head = h;
			source_peer = i;
		}
	}
	/* Raised before anything is fetched: whatever happens next, nothing below it is signed. */
	if (floor_head) {
		json_t *note = json_object_get(floor_head, "checkpoint");
		res->floor = head_size(floor_head);
		rc = restore_raise(node->dir, json_string_value(note), json_string_length(note), res->floor, err);
	} else {
		rc = restore_start(node->dir, err);
	}
	if (rc == 0 && res->heard == 0)
		rc = chobo_fail(err, EX_UNAVAILABLE, "no peer answered: nothing to restore from");
	else if (rc == 0 && floor_head && (!source_head || head_size(source_head) < res->floor))
		rc = chobo_fail(err, EX_DATAERR, "refused: %s holds this node's log only up to %llu entries, but "
				"%s holds its checkpoint at %llu: restore from %s", only ? only : "no peer",
				(unsigned long long)(source_head ? head_size(source_head) : 0), peers[floor_peer].name,
				(unsigned long long)res->floor, peers[floor_peer].name);
	if (rc == 0 && source_head) {
		struct sync_result got = {json_array(), json_array(), 0, 0};
		res->from = peers[source_peer].name;
		res->from_size = head_size(source_head);
		rc = fetch_and_import(node, t, &peers[source_peer], source_head, IMPORT_OWN_TAKE, &got, err);
		ssh_hang_up(t, peers[source_peer].destination);
		res->logs = json_incref(got.logs);
		res->forks = json_incref(got.forks);
		sync_result_free(&got);
		if (rc != 0)
			chobo_fail_context(err, rc, "restoring from %s", peers[source_peer].name);
	}
	for (size_t i = 0; i < npeers; i++)
		json_decref(heads[i]);
	free(heads);
	return rc;
}

int sync_restore_end(const struct sync_node *node, bool complete, struct sync_restore *res,
		     struct chobo_error *err)
{
	struct ledger l;
	int rc = ledger_open(&l, node->dir, STORE_NORMAL, err);
	if (rc != 0)
		return rc;
	rc = restore_finish(&l, complete, &res->complete, &res->size, &res->floor, err);
	return ledger_close_after(&l, rc, err);
}

void sync_restore_free(struct sync_restore *res)
{
	json_decref(res->peers);
	json_decref(res->logs);
	json_decref(res->forks);
	memset(res, 0, sizeof *res);
}

void sync_result_free(struct sync_result *res)
{
	json_decref(res->logs);
	json_decref(res->forks);
	memset(res, 0, sizeof *res);
}
