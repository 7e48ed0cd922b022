#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "export.h"
#include "hash_reader.h"
#include "log_list.h"
#include "progress.h"
#include "spool.h"
#include "util.h"

/* Write one log's section from the checkpoint at or below sel->since; 0 or an exit code with err. */
static int export_log(struct ledger *l, struct bundle_writer *w, const struct log_info *log,
		      const struct selection *sel, struct progress *p, uint64_t *done,
		      struct chobo_error *err)
{
	struct store *st = l->store;
	uint64_t start;
	const char *note;
	size_t len;
	if (store_checkpoint_floor(st, log->id, sel->has_since ? sel->since : 0, &start, &note, &len) != STORE_OK)
		return chobo_fail(err, EX_DATAERR, "%s: no checkpoint to start from: %s", log->origin,
				  store_error(st));
	/* The note lives in the store's buffer until the next read: keep a copy. */
	uint8_t *cp = xmalloc(8 + len);
	put_be64(cp, start);
	memcpy(cp + 8, note, len);
	struct ledger_reader lr;
	struct merkle_stack stack;
	uint8_t buf[8 + 64 * 32];
	ledger_reader_init(&lr, l, log->id);
	if (merkle_stack_load(&stack, &lr.r, start) != 0) {
		free(cp);
		return chobo_fail(err, EX_IOERR, "%s: %s", log->origin, store_error(st));
	}
	if (sel->held) {
		uint8_t root[32];
		merkle_stack_root(&stack, root);
		if (start != sel->held->size || memcmp(root, sel->held->root, 32) != 0) {
			free(cp);
			return chobo_fail(err, EX_DATAERR,
					  "%s: the checkpoint of size %llu given is not consistent with this ledger",
					  log->origin, (unsigned long long)sel->held->size);
		}
	}
	bool ok = bundle_put(w, BUNDLE_LOG, log->origin, strlen(log->origin)) &&
		  bundle_put(w, BUNDLE_STACK, buf, bundle_stack_encode(&stack, buf)) &&
		  bundle_put(w, BUNDLE_CHECKPOINT, cp, 8 + len);
	free(cp);

	struct store_cursor *entries = store_cursor_open(st, STORE_ENTRIES, log->id);
	struct store_cursor *checkpoints = store_cursor_open(st, STORE_CHECKPOINTS, log->id);
	int rc = 0;
	if (!entries || !checkpoints) {
		rc = chobo_fail(err, EX_IOERR, "%s: export failed: %s", log->origin, store_error(st));
		goto out;
	}
	store_cursor_seek(entries, start);
	store_cursor_seek(checkpoints, start + 1);
	uint64_t next_cp = 0, index;
	const void *cdata = NULL, *edata;
	size_t clen = 0, elen;
	int cs = store_cursor_next(checkpoints, &next_cp, &cdata, &clen);
	uint64_t expect = start;
	while (ok && cs == STORE_OK) {
		/* Entries up to the next checkpoint, then the checkpoint itself. */
		while (expect < next_cp) {
			int es = store_cursor_next(entries, &index, &edata, &elen);
			if (es != STORE_OK || index != expect) {
				rc = chobo_fail(err, EX_DATAERR, "%s: entry %llu is missing; run chain-verify",
						log->origin, (unsigned long long)expect);
				goto out;
			}
			if (!(ok = bundle_put(w, BUNDLE_ENTRY, edata, elen)))
				break;
			expect++;
			progress_update(p, ++*done);
		}
		uint8_t *rec = xmalloc(8 + clen);
		put_be64(rec, next_cp);
		memcpy(rec + 8, cdata, clen);
		ok = ok && bundle_put(w, BUNDLE_CHECKPOINT, rec, 8 + clen);
		free(rec);
		cs = store_cursor_next(checkpoints, &next_cp, &cdata, &clen);
	}
	if (!ok)
		rc = chobo_fail_errno(err, EX_IOERR, "%s: writing the bundle", log->origin);
	else if (cs == STORE_ERROR)
		rc = chobo_fail(err, EX_IOERR, "%s: export failed: %s", log->origin, store_error(st));
out:
	store_cursor_close(entries);
	store_cursor_close(checkpoints);
	return rc;
}

int export_bundle_spooled(const char *dir, const struct selection *sel, FILE *out,
			  struct chobo_error *err)
{
	struct spool *sp;
	FILE *in;
	int rc = spool_start(&sp, out, &in, err);
	if (rc != 0)
		return rc;
	struct ledger l;
	rc = ledger_open_read(&l, dir, err);
	if (rc == 0) {
		rc = export_bundle(&l, in, sel, err);
		/* The lock goes now, however much of the bundle the reader has taken. */
		rc = ledger_close_after(&l, rc, err);
	}
	return spool_finish(sp, in, rc, "writing the bundle", err);
}

int export_bundle(struct ledger *l, FILE *out, const struct selection *sel, struct chobo_error *err)
{
	struct log_list logs;
	int rc = log_list_read(l, sel->log, &logs, err);
	if (rc != 0)
		return rc;
	struct bundle_writer *w = bundle_writer_open(out);
	if (!w)
		rc = chobo_fail_errno(err, EX_IOERR, "writing the bundle");
	uint64_t total = 0, done = 0;
	for (size_t i = 0; i < logs.n; i++)
		total += logs.v[i].size;
	struct progress p;
	progress_start(&p, "entries exported", total);
	for (size_t i = 0; rc == 0 && i < logs.n; i++)
		rc = export_log(l, w, &logs.v[i], sel, &p, &done, err);
	progress_end(&p, done);
	if (w && !bundle_writer_close(w) && rc == 0)
		rc = chobo_fail_errno(err, EX_IOERR, "writing the bundle");
	log_list_free(&logs);
	return rc;
}
