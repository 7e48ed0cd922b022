/* The restore file of a ledger directory: the floor below which this node may not sign. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "checkpoint.h"
#include "hash_reader.h"
#include "merkle.h"
#include "note.h"
#include "restore.h"

int restore_floor_read(const char *dir, struct restore_floor *out, struct chobo_error *err)
{
	memset(out, 0, sizeof *out);
	char *path = path_join(dir, RESTORE_FILE);
	size_t len;
	char *text = read_file(path, CHOBO_MAX_NOTE * 2, &len);
	int rc = 0;
	if (!text) {
		if (errno != ENOENT)
			rc = chobo_fail_errno(err, errno == EACCES || errno == EPERM ? EX_NOPERM : EX_IOERR, "%s",
					      path);
		free(path);
		return rc;
	}
	json_error_t je;
	json_t *v = json_loadb(text, len, 0, &je);
	json_t *size = json_object_get(v, "size"), *note = json_object_get(v, "checkpoint");
	if (!json_is_integer(size) || json_integer_value(size) < 0 || (note && !json_is_string(note))) {
		rc = chobo_fail(err, EX_DATAERR, "%s: not a {\"size\",\"checkpoint\"} object", path);
	} else {
		out->restoring = true;
		out->size = (uint64_t)json_integer_value(size);
		out->note = note ? xstrdup(json_string_value(note)) : NULL;
	}
	json_decref(v);
	free(text);
	free(path);
	return rc;
}

void restore_floor_free(struct restore_floor *f)
{
	free(f->note);
	memset(f, 0, sizeof *f);
}

static int floor_write(const char *dir, const char *note, size_t len, uint64_t size, struct chobo_error *err)
{
	json_t *v = note ? json_pack("{s:I, s:s%}", "size", (json_int_t)size, "checkpoint", note, len)
			 : json_pack("{s:I}", "size", (json_int_t)size);
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text)
		xalloc_failed();
	size_t n = strlen(text);
	text = xrealloc(text, n + 2);
	memcpy(text + n, "\n", 2);
	char *path = path_join(dir, RESTORE_FILE);
	int rc = write_file_atomic(path, text, n + 1, 0644) ? 0 : chobo_fail_errno(err, EX_CANTCREAT, "%s", path);
	free(path);
	free(text);
	return rc;
}

int restore_start(const char *dir, struct chobo_error *err)
{
	struct restore_floor f;
	int rc = restore_floor_read(dir, &f, err);
	if (rc == 0 && !f.restoring)
		rc = floor_write(dir, NULL, 0, 0, err);
	restore_floor_free(&f);
	return rc;
}

int restore_raise(const char *dir, const char *note, size_t len, uint64_t size, struct chobo_error *err)
{
	struct restore_floor f;
	int rc = restore_floor_read(dir, &f, err);
	if (rc == 0 && (!f.restoring || size > f.size || (size == f.size && !f.note)))
		rc = floor_write(dir, note, len, size, err);
	restore_floor_free(&f);
	return rc;
}

/*
 * The log as restored must be the one the floor's checkpoint signs: both
 * are signed by this node's key, so a difference means that key signed two
 * histories, and the restore cannot end on either by itself.
 */
static int floor_matches(struct ledger *l, uint32_t id, const struct restore_floor *f, struct chobo_error *err)
{
	struct note_parts parts;
	struct checkpoint cp;
	struct ledger_reader lr;
	const char *why;
	uint8_t root[32];
	if (!note_split(f->note, strlen(f->note), &parts, &why) ||
	    !checkpoint_parse_text(parts.text, parts.text_len, &cp, &why) || cp.size != f->size)
		return chobo_fail(err, EX_DATAERR, "%s/%s: the floor's checkpoint is malformed", l->dir, RESTORE_FILE);
	ledger_reader_init(&lr, l, id);
	if (merkle_root(&lr.r, f->size, root) != 0)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	if (memcmp(root, cp.root, 32) != 0)
		return chobo_fail(err, EX_DATAERR, "%s: this node's log as restored is not the one its checkpoint at "
				  "%llu signs: its key signed two histories; the restore is not complete", l->dir,
				  (unsigned long long)f->size);
	return 0;
}

int restore_finish(struct ledger *l, bool complete, bool *done, uint64_t *size, uint64_t *floor,
		   struct chobo_error *err)
{
	struct restore_floor f;
	uint32_t id;
	uint64_t held;
	int rc = restore_floor_read(l->dir, &f, err);
	if (rc != 0)
		return rc;
	if (store_log_find(l->store, l->conf.origin, &id, &held) != STORE_OK)
		rc = chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	*done = !f.restoring;
	if (rc == 0 && f.restoring && held >= f.size && f.note)
		rc = floor_matches(l, id, &f, err);
	if (rc == 0 && f.restoring && complete && held >= f.size) {
		char *path = path_join(l->dir, RESTORE_FILE);
		/* The floor is reached: the file goes, and with it the refusal to append. */
		if (unlink(path) != 0 && errno != ENOENT)
			rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", path);
		else
			*done = true;
		free(path);
	}
	if (size)
		*size = held;
	if (floor)
		*floor = f.size;
	restore_floor_free(&f);
	return rc;
}

int restore_append_allowed(struct ledger *l, struct chobo_error *err)
{
	struct restore_floor f;
	int rc = restore_floor_read(l->dir, &f, err);
	if (rc == 0 && f.restoring)
		rc = chobo_fail(err, EX_TEMPFAIL,
				"%s: this node's log is being restored (%s/%s): it must hold at least the %llu "
				"entries of the newest checkpoint known, and have synced with every peer, before it "
				"signs another; run chain-sync --restore (or chain-import --restore BUNDLE)",
				l->dir, l->dir, RESTORE_FILE,
				(unsigned long long)f.size);
	restore_floor_free(&f);
	return rc;
}
