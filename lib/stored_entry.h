/*
 * A stored entry read back for a service's rules: where it is, its type,
 * its leaf hash and its parsed body, and the few field getters that the
 * rules of every service need.  Used inside an append's transaction
 * (service.h append_check), where the batch is already in the log; the
 * batch's own entries are taken from memory (struct batch_written).
 */
#ifndef CHOBO_STORED_ENTRY_H
#define CHOBO_STORED_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "append.h"
#include "json_scan.h"
#include "ledger.h"
#include "note.h"
#include "util.h"

struct view_spec;

struct stored_entry {
	char origin[NOTE_MAX_NAME + 1];
	uint32_t log;
	uint64_t index;
	int64_t time;
	char leaf[65];
	const struct entry_type *type;
	char *bytes;          /* what doc was parsed from, or NULL: doc is a body of the batch */
	struct json_doc doc;
	size_t body;
};

/* Read and parse entry (log, index) into out (freed first); 0 or an exit code with err. */
int stored_entry_read(struct ledger *l, uint32_t log, uint64_t index, struct stored_entry *out,
		      struct chobo_error *err);
void stored_entry_free(struct stored_entry *s);
/* stored_entry_read of the entry whose leaf hash is leaf (64 hex digits): EX_NOINPUT when none, EX_DATAERR when leaf is not one. */
int stored_entry_find(struct ledger *l, const char *leaf, struct stored_entry *out, struct chobo_error *err);
/*
 * Whether body (a JSON object) gives every field of se's type's schema as
 * se's stored body does, no field more or less and none the schema does
 * not name: strings byte for byte, times as the same instant, integers and
 * booleans by value; arrays never compare the same.  When not, *differs
 * names the first field that differs.
 */
bool stored_body_same(const struct stored_entry *se, const json_t *body, const char **differs);
/* The body's string field name into out (cap bytes), "" when absent. */
void stored_body_str(const struct json_doc *doc, size_t body, const char *name, char *out, size_t cap);
/* The body's integer field name, or dflt when absent. */
int64_t stored_body_int(const struct json_doc *doc, size_t body, const char *name, int64_t dflt);
/* The body's boolean field name (false when absent). */
bool stored_body_bool(const struct json_doc *doc, size_t body, const char *name);
/*
 * A rule on one string field, for a type's check: true when the body has no
 * field name or valid() accepts its value (read into 256 bytes: fields this
 * is used on are shorter); else "body.NAME must be WHAT" in err.
 */
bool stored_body_rule(const struct json_doc *doc, size_t body, const char *name, bool (*valid)(const char *),
		      const char *what, char *err, size_t errlen);
/*
 * A service's append_check walk: call fn on every entry of the batch w
 * whose type name starts with prefix, as it was written (its body parsed
 * from memory, not read back); a code from fn gets "batch entry N (type)"
 * put before its reason, N counted from 1 over the whole batch (b->base
 * before a chunk of a streamed append).  0 or the first code with err.
 */
int stored_batch_each(const struct batch_written *w, const char *prefix,
		      int (*fn)(void *ctx, const struct stored_entry *e, struct chobo_error *err), void *ctx,
		      struct chobo_error *err);
/*
 * stored_batch_each without the entries that view v's reducer marked as
 * passing its rule (view_entry_counts): those are neither parsed nor given
 * to fn.
 */
int stored_batch_each_unmarked(const struct batch_written *w, const char *prefix, const struct view_spec *v,
			       int (*fn)(void *ctx, const struct stored_entry *e, struct chobo_error *err),
			       void *ctx, struct chobo_error *err);

#endif
