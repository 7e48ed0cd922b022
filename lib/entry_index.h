/*
 * The entry indexes (DESIGN §5.1): entries by type, and entries by the value
 * of a field that its type marks indexed (a document's SHA-256, a
 * referenced leaf hash), so that a service reads only what it needs.
 * Maintained inside the append's and the import's transaction; chain-verify
 * --index rebuilds them from the entries and compares.
 */
#ifndef CHOBO_ENTRY_INDEX_H
#define CHOBO_ENTRY_INDEX_H

#include <stdint.h>

#include "entry.h"
#include "json_scan.h"
#include "store.h"
#include "util.h"

/* Record entry (log, index) of type t at time in the type index. */
int entry_index_put_type(struct store *st, const struct entry_type *t, uint32_t log, uint64_t index,
			 int64_t time, struct chobo_error *err);
/* Record the indexed fields of the body at token body of doc (of type t). */
int entry_index_put_keys(struct store *st, const struct entry_type *t, const struct json_doc *doc,
			 size_t body, uint32_t log, uint64_t index, struct chobo_error *err);
/* Both, for a stored entry already parsed by entry_parse into doc and v. */
int entry_index_add(struct store *st, const struct json_doc *doc, const struct entry_view *v,
		    uint32_t log, struct chobo_error *err);

/*
 * Call fn for every entry of type in log with index >= from, in index order,
 * with its time; fn returns non-zero to stop (passed back).  0 or an exit
 * code with err.
 */
int entry_index_each_type(struct store *st, const char *type, uint32_t log, uint64_t from,
			  int (*fn)(void *ctx, uint32_t log, uint64_t index, int64_t time), void *ctx,
			  struct chobo_error *err);
/* Call fn for every entry of type whose indexed field equals value, by log then index. */
int entry_index_each_key(struct store *st, const char *type, const char *field, const char *value,
			 int (*fn)(void *ctx, uint32_t log, uint64_t index), void *ctx,
			 struct chobo_error *err);

/*
 * Compare both indexes with what the entries of every log say: 0, or
 * EXIT_INVALID with the first difference in err, or another code.  For
 * chain-verify: works on a read-only store.
 */
int entry_index_check(struct store *st, struct chobo_error *err);

#endif
