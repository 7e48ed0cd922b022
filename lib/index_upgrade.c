#include "config.h"

#include "entry_index.h"
#include "index_upgrade.h"
#include "view.h"

static int any_record(void *ctx, const void *key, size_t klen, const void *value, size_t vlen)
{
	(void)ctx, (void)key, (void)klen, (void)value, (void)vlen;
	return 1;
}

static int any_entries(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	(void)ctx, (void)id, (void)origin;
	return size > 0;
}

struct upgrade {
	struct store *st;
	struct json_doc doc;
	struct chobo_error *err;
	int rc;
};

static int index_log(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct upgrade *u = ctx;
	struct store_cursor *c = store_cursor_open(u->st, STORE_ENTRIES, id);
	if (!c) {
		u->rc = chobo_fail(u->err, EX_IOERR, "indexing %s: %s", origin, store_error(u->st));
		return 1;
	}
	uint64_t index;
	const void *data;
	size_t len;
	int src = STORE_OK;
	while (u->rc == 0 && (src = store_cursor_next(c, &index, &data, &len)) == STORE_OK && index < size) {
		struct entry_view v;
		char why[256];
		if (!entry_parse(data, len, origin, index, &u->doc, &v, why, sizeof why))
			u->rc = chobo_fail(u->err, EX_DATAERR, "indexing %s entry %llu: %s; run chain-verify",
					   origin, (unsigned long long)index, why);
		else
			u->rc = entry_index_add(u->st, &u->doc, &v, id, u->err);
	}
	store_cursor_close(c);
	if (u->rc == 0 && src == STORE_ERROR)
		u->rc = chobo_fail(u->err, EX_IOERR, "indexing %s: %s", origin, store_error(u->st));
	return u->rc != 0;
}

int index_upgrade_needed(struct ledger *l, struct chobo_error *err)
{
	struct store *st = l->store;
	int indexed = store_kv_each(st, STORE_TYPE_INDEX, "", 0, "", 0, any_record, NULL);
	int entries = indexed == 0 ? store_log_each(st, any_entries, NULL) : 0;
	if (indexed == STORE_ERROR || entries == STORE_ERROR) {
		chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(st));
		return -1;
	}
	return indexed == 0 && entries != 0;
}

int index_upgrade(struct ledger *l, struct chobo_error *err)
{
	struct store *st = l->store;
	int need = index_upgrade_needed(l, err);
	if (need <= 0)
		return need == 0 ? 0 : EX_IOERR;
	struct upgrade u = {.st = st, .err = err};
	if (store_begin(st) != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(st));
	if (store_log_each(st, index_log, &u) == STORE_ERROR && u.rc == 0)
		u.rc = chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(st));
	if (u.rc == 0)
		u.rc = views_update(l, err);
	if (u.rc == 0 && store_commit(st) != STORE_OK)
		u.rc = chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(st));
	else if (u.rc != 0)
		store_abort(st);
	json_doc_free(&u.doc);
	return u.rc;
}
