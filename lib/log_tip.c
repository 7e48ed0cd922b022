/* A log's tip record: see log_tip.h. */
#include "config.h"

#include <string.h>

#include "entry.h"
#include "hash_reader.h"
#include "json_scan.h"
#include "ledger.h"
#include "log_tip.h"
#include "store.h"

/* The record's first byte: a record of another version is not read (the tip is computed and rewritten). */
#define LOG_TIP_VERSION 1

/*
 * The record: the version, the edge's hashes (largest subtree first), the
 * size and the time, both big-endian.  The hashes come first because an
 * append changes only the last few of them, and Berkeley DB logs a
 * replaced record as the bytes between the prefix and the suffix the old
 * and the new value share: an append logs about a hundred bytes of it,
 * not the whole record twice.
 */
size_t log_tip_encode(const struct log_tip *t, uint8_t buf[LOG_TIP_MAX])
{
	size_t n = 32 * (size_t)t->stack.depth;
	buf[0] = LOG_TIP_VERSION;
	memcpy(buf + 1, t->stack.hash, n);
	put_be64(buf + 1 + n, t->stack.size);
	put_be64(buf + 9 + n, (uint64_t)t->last_time);
	return 17 + n;
}

bool log_tip_decode(const void *buf, size_t len, struct log_tip *t)
{
	const uint8_t *p = buf;
	if (len < 17 || len > LOG_TIP_MAX || (len - 17) % 32 != 0 || p[0] != LOG_TIP_VERSION)
		return false;
	size_t n = len - 17;
	t->stack.depth = (unsigned)(n / 32);
	t->stack.size = get_be64(p + 1 + n);
	t->last_time = (int64_t)get_be64(p + 9 + n);
	/* One hash per set bit of the size; an empty log has no last entry, and only an empty one. */
	if (t->stack.size > CHOBO_MAX_TREE_SIZE || (unsigned)__builtin_popcountll(t->stack.size) != t->stack.depth ||
	    (t->stack.size == 0) != (t->last_time == INT64_MIN))
		return false;
	memcpy(t->stack.hash, p + 1, n);
	return true;
}

static int store_failed(struct ledger *l, struct chobo_error *err)
{
	return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
}

int log_tip_entry_time(struct ledger *l, uint32_t id, const char *origin, uint64_t size, int64_t *out,
		       struct chobo_error *err)
{
	*out = INT64_MIN;
	if (size == 0)
		return 0;
	const void *data;
	size_t len;
	if (store_entry_get(l->store, id, size - 1, &data, &len) != STORE_OK)
		return store_failed(l, err);
	struct json_doc doc = {0};
	struct entry_view v;
	char why[256];
	bool ok = entry_parse(data, len, origin, size - 1, &doc, &v, why, sizeof why);
	json_doc_free(&doc);
	if (!ok)
		return chobo_fail(err, EX_DATAERR, "%s: entry %llu: %s; run chain-verify", l->dir,
				  (unsigned long long)(size - 1), why);
	*out = v.time_sec;
	return 0;
}

int log_tip_load(struct ledger *l, uint32_t id, const char *origin, uint64_t size, struct log_tip *t,
		 bool *from_record, struct chobo_error *err)
{
	const void *data;
	size_t len;
	if (from_record)
		*from_record = false;
	int src = store_tip_get(l->store, id, &data, &len);
	if (src == STORE_ERROR)
		return store_failed(l, err);
	if (src == STORE_OK && log_tip_decode(data, len, t) && t->stack.size == size) {
		if (from_record)
			*from_record = true;
		return 0;
	}
	int rc = log_tip_entry_time(l, id, origin, size, &t->last_time, err);
	if (rc != 0)
		return rc;
	struct ledger_reader lr;
	ledger_reader_init(&lr, l, id);
	if (merkle_stack_load(&t->stack, &lr.r, size) != STORE_OK)
		return store_failed(l, err);
	return 0;
}

int log_tip_save(struct ledger *l, uint32_t id, const struct log_tip *t, struct chobo_error *err)
{
	uint8_t buf[LOG_TIP_MAX];
	size_t len = log_tip_encode(t, buf);
	return store_tip_put(l->store, id, buf, len) == STORE_OK ? 0 : store_failed(l, err);
}
