/*
 * Views: a service's state, derived from the ledger (DESIGN §5.1).
 *
 * A view names the entry types it reads and a reducer.  The reducer is fed
 * the entries of those types from every log the node holds, in the merge
 * order (entry time, then origin, then index), and keeps its state as a map
 * from keys to values; two nodes holding the same entries build the same
 * map, byte for byte.
 *
 * The map is materialised in the store as a cache, with a watermark per
 * log, and brought up to date inside every append's and import's
 * transaction: entries that sort after everything applied so far are
 * applied incrementally (an append's own batch straight from memory, not
 * read back from the store), anything else rebuilds the view from the logs.
 * chain-verify --views rebuilds every view in memory and reports any
 * difference from the stored one.  Views never leave the node.
 */
#ifndef CHOBO_VIEW_H
#define CHOBO_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "json_scan.h"
#include "util.h"

#include <jansson.h>

struct batch_written;
struct ledger;
struct store;

/* One entry as a reducer sees it. */
struct view_entry {
	const char *origin;
	uint32_t log;
	uint64_t index;
	int64_t time;
	const struct entry_type *type;
	const uint8_t *leaf_hash;     /* 32 bytes */
	const struct json_doc *doc;   /* the parsed entry, or its body alone: read only the body's tokens */
	size_t body;                  /* token of its body object in doc */
};

/* Bounds on a view's names, keys and values (a reducer must keep within them). */
#define VIEW_MAX_NAME 64
#define VIEW_MAX_KEY 1024
#define VIEW_MAX_VALUE CHOBO_MAX_ENTRY

/* A view's map, in the store or in memory; reducers use only the calls below. */
struct view_state;

/* The value at key (valid until the next call on s): 0, EX_UNAVAILABLE when absent, else an error. */
int view_get(struct view_state *s, const char *key, const char **value, size_t *len,
	     struct chobo_error *err);
/* Set key (1..VIEW_MAX_KEY bytes) to value (a JSON text, by convention); 0 or an error. */
int view_put(struct view_state *s, const char *key, const char *value, size_t len,
	     struct chobo_error *err);
/* Remove key if present; 0 or an error. */
int view_delete(struct view_state *s, const char *key, struct chobo_error *err);

/*
 * A reducer's word to the rules: entry e, applied from an append's batch,
 * passes the rule of s's view without the rule reading back what the
 * reducer wrote for it (batch_written.counted).  Only for an entry whose
 * records nothing later in the batch can change; nothing when s is not fed
 * from a batch.
 */
void view_entry_counts(struct view_state *s, const struct view_entry *e);

struct view_spec {
	const char *name;               /* "service.view" */
	const char *summary;
	const char *const *types;       /* the entry types it reads, terminated by NULL */
	uint32_t version;               /* changed with apply or types: the stored view is rebuilt */
	/*
	 * Apply one entry.  Rules are recorded in the state (an unfilled claim is
	 * state, not an error); a non-zero return means the view cannot be built
	 * and fails the transaction.
	 */
	int (*apply)(struct view_state *s, const struct view_entry *e, struct chobo_error *err);
	/*
	 * Optional, for a reducer that keeps records dirty in its memo: write
	 * the one kept under key (view_memo_put's rec) to the stored map; called
	 * for each dirty record in key order after every run of applies on a
	 * stored view, before anything else reads it; 0 or an error.
	 */
	int (*write_kept)(struct view_state *s, const char *key, const void *rec, struct chobo_error *err);
};

/*
 * A reducer's memo: the records it reads and writes most, kept parsed (as
 * the reducer's own structs) for its view on the open ledger, so that a
 * record is read from the store and parsed once however many entries touch
 * it, and a record the reducer changes is written once, at the end of the
 * run of entries (the spec's write_kept), in key order.  It lives while the
 * ledger is open (under its lock nothing else writes the store), and is
 * forgotten when a transaction is aborted or the view is rebuilt, or
 * written and forgotten between two entries when it outgrows its bound
 * (256 MiB, CHOBO_LIMIT_VIEW_MEMO_BYTES).  Records
 * the reducer marks dirty are what the stored map does not hold yet; the
 * view's calls (view_get, view_each) do not see them, so every reader of
 * such a key goes through the memo, and they exist only during an update.
 */
struct view_memo;
/* The memo of s's view (empty at first), or NULL when s keeps none (a view built in memory). */
struct view_memo *view_memo(struct view_state *s);
/* The record kept under key, or NULL; valid until the next change of the memo. */
void *view_memo_get(struct view_memo *m, const char *key);
/* Keep a copy of the size bytes of rec under key, replacing any; dirty: for the flush to write. */
void view_memo_put(struct view_memo *m, const char *key, const void *rec, size_t size, bool dirty);
/*
 * Copy the record s's memo keeps under key into out (its size, which must be
 * at most cap bytes: a larger one ends the program); false when none is kept.
 */
bool view_memo_copy(struct view_state *s, const char *key, void *out, size_t cap);
/* Keep a clean copy of the size bytes of rec under key in s's memo, when s keeps one. */
void view_memo_keep(struct view_state *s, const char *key, const void *rec, size_t size);
/* Free every memo of l (ledger_close). */
void view_memos_free(struct ledger *l);

/* The bit of view v in batch_written.counted (its place among the services' views), or -1 when it has none. */
int view_place(const struct view_spec *v);

/*
 * A value under construction: reducers write their JSON values with these,
 * so that every node makes the same bytes.  Memory runs out only fatally.
 */
struct view_text {
	char *p;
	size_t len, cap;
};
/* Append n bytes of s. */
void view_text_add(struct view_text *t, const char *s, size_t n);
/* Append a NUL-terminated string. */
void view_text_str(struct view_text *t, const char *s);
/* Append a decimal integer. */
void view_text_int(struct view_text *t, int64_t v);
/*
 * Append s as a JSON string: quoted, with '"', '\\' and control characters
 * escaped (\n, \t, ... or \u00XX) and everything else as it is (UTF-8).
 */
void view_text_json_string(struct view_text *t, const char *s);
/* Append {"name": and v as a JSON string: an object's first member, written even when v is "". */
void view_text_object_str(struct view_text *t, const char *name, const char *v);
/* Append ,"name": and v as a JSON string; nothing when v is "" (a field left out). */
void view_text_member_str(struct view_text *t, const char *name, const char *v);
/* Append ,"name": and the decimal v. */
void view_text_member_int(struct view_text *t, const char *name, int64_t v);
/*
 * Append s (n bytes) as one CSV field (RFC 4180): quoted when it holds a
 * comma, a quote or a line break, and after an apostrophe where
 * csv_formula_guarded says (csv_next drops it again).
 */
void view_text_csv_field(struct view_text *t, const char *s, size_t n);
/* Append the UTF-8 byte order mark that a CSV table starts with when asked (--bom), so that Excel reads it as UTF-8. */
void view_text_csv_bom(struct view_text *t);
void view_text_free(struct view_text *t);

/*
 * Bring every registered view up to date with the open ledger's logs,
 * inside the caller's write transaction; 0 or an exit code with err.
 */
int views_update(struct ledger *l, struct chobo_error *err);

/*
 * views_update() right after an append wrote w: a view that had applied
 * everything before the batch takes the batch's entries from w, each body
 * parsed once for all the views that read its type; any other view is
 * brought up to date from the store.  The same maps either way.
 */
int views_update_batch(struct ledger *l, const struct batch_written *w, struct chobo_error *err);

/*
 * views_update() in a transaction of its own, for a reader that wants
 * current views (one the software has just gained is built here, on first
 * use); 0 or an exit code with err.
 */
int views_refresh(struct ledger *l, struct chobo_error *err);

/* The stored state of view name, for reading inside the caller's transaction. */
struct view_state *view_stored(struct ledger *l, const struct view_spec *v);
void view_state_free(struct view_state *s);

/*
 * Call fn on every key and value of a view's stored map in key order; fn
 * returns a positive value to stop (passed back).  0, or an exit code with
 * err.
 */
int view_each(struct ledger *l, const struct view_spec *v,
	      int (*fn)(void *ctx, const char *key, const char *value, size_t len), void *ctx,
	      struct chobo_error *err);

/*
 * view_each over the keys that start with prefix only (a range of the map,
 * read alone), from the first key >= from (which starts with prefix; NULL:
 * from the prefix).
 */
int view_each_prefix(struct ledger *l, const struct view_spec *v, const char *prefix, const char *from,
		     int (*fn)(void *ctx, const char *key, const char *value, size_t len), void *ctx,
		     struct chobo_error *err);

/*
 * Rebuild view v from the logs in memory and compare with the stored map:
 * 0 when equal; EXIT_INVALID with the first difference in err; another code
 * on error.  Used by chain-verify --views (the store may be read-only).
 */
int view_check(struct ledger *l, const struct view_spec *v, struct chobo_error *err);

/*
 * Reading back a stored value parsed with jansson: the string member name
 * of o into out[cap] ("" when absent or not a string), and the integer
 * member (0 when absent).
 */
void view_json_str(const json_t *o, const char *name, char *out, size_t cap);
int64_t view_json_int(const json_t *o, const char *name);

#endif
