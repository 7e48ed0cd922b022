#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cosign.h"

int cosignature_add(struct ledger *l, const struct trust *trust, uint32_t log, uint64_t size,
		    const char *line, size_t len, bool *added, struct chobo_error *err)
{
	struct store *st = l->store;
	const char *held, *why;
	size_t hlen;
	struct note_parts parts;
	*added = false;
	if (len < 6 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		return chobo_fail(err, EX_DATAERR, "not one signature line");
	switch (store_checkpoint_get(st, log, size, &held, &hlen)) {
	case STORE_OK: break;
	case STORE_NOTFOUND: return chobo_fail(err, EX_DATAERR, "no such checkpoint held");
	default: return chobo_fail(err, EX_IOERR, "%s", store_error(st));
	}
	char *note = xmalloc(hlen + len + 1);
	memcpy(note, held, hlen);
	if (!note_split(note, hlen, &parts, &why)) {
		free(note);
		return chobo_fail(err, EX_DATAERR, "held checkpoint %llu: %s", (unsigned long long)size, why);
	}
	/* The line alone under the checkpoint's text: it must verify as a trusted witness's. */
	size_t tlen = parts.text_len;
	char *single = xmalloc(tlen + 1 + len);
	memcpy(single, note, tlen);
	single[tlen] = '\n';
	memcpy(single + tlen + 1, line, len);
	bool *verified = xcalloc(trust->n ? trust->n : 1, sizeof *verified);
	const struct note_verifier *witness = NULL;
	size_t existing;
	int rc = 0;
	if (!note_verify(single, tlen + 1 + len, trust->keys, trust->n, verified, NULL, &why)) {
		rc = chobo_fail(err, EX_DATAERR, "%s", why);
	} else {
		for (size_t k = 0; k < trust->n; k++)
			if (verified[k] && trust->keys[k].type == NOTE_TYPE_COSIGNATURE)
				witness = &trust->keys[k];
		if (!witness)
			rc = chobo_fail(err, EX_DATAERR, "not a cosignature by a trusted witness key");
	}
	if (rc != 0 || note_find_signature(note, hlen, witness, &existing)) {
		/* Refused, or that witness's line is already there. */
	} else if (parts.nsigs >= NOTE_MAX_SIGNATURES || hlen + len > CHOBO_MAX_NOTE) {
		rc = chobo_fail(err, EX_DATAERR, "the checkpoint has as many signatures as a note may carry");
	} else {
		memcpy(note + hlen, line, len);
		if (store_checkpoint_replace(st, log, size, note, hlen + len) != STORE_OK)
			rc = chobo_fail(err, EX_IOERR, "%s", store_error(st));
		else
			*added = true;
	}
	free(verified);
	free(single);
	free(note);
	return rc;
}

int cosignatures_merge(struct ledger *l, const struct trust *trust, uint32_t log, uint64_t size,
		       const char *note, size_t len, size_t *added, struct chobo_error *err)
{
	struct note_parts parts;
	const char *why;
	struct chobo_error refused;
	size_t n = 0;
	int rc = 0;
	if (note_split(note, len, &parts, &why)) {
		for (const char *q = parts.sigs, *end = note + len; rc == 0 && q < end;) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));
			bool new_line;
			/* Refused lines (over another text, by an unknown key) are dropped. */
			rc = cosignature_add(l, trust, log, size, q, (size_t)(nl - q) + 1, &new_line, &refused);
			if (rc == EX_DATAERR)
				rc = 0;
			else if (rc != 0)
				chobo_fail(err, rc, "%s", refused.msg);
			n += new_line;
			q = nl + 1;
		}
	}
	if (added)
		*added = n;
	return rc;
}

int cosign_latest(struct ledger *l, uint32_t log, const struct note_signer *witness, uint64_t now,
		  char **line, uint64_t *size, struct chobo_error *err)
{
	struct store *st = l->store;
	const char *held, *why;
	size_t hlen, existing;
	struct note_parts parts;
	*line = NULL;
	if (store_checkpoint_latest(st, log, size, &held, &hlen) != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s", store_error(st));
	char *note = xmalloc(hlen + 1);
	memcpy(note, held, hlen);
	note[hlen] = '\0';
	int rc = 0;
	const char *found = note_find_signature(note, hlen, &witness->pub, &existing);
	if (found) {
		*line = xmalloc(existing + 1);
		memcpy(*line, found, existing);
		(*line)[existing] = '\0';
	} else if (!note_split(note, hlen, &parts, &why)) {
		rc = chobo_fail(err, EX_DATAERR, "held checkpoint %llu: %s", (unsigned long long)*size, why);
	} else if (parts.nsigs >= NOTE_MAX_SIGNATURES ||
		   hlen + 200 + strlen(witness->pub.name) > CHOBO_MAX_NOTE) {
		rc = chobo_fail(err, EX_DATAERR, "held checkpoint %llu has no room for another signature",
				(unsigned long long)*size);
	} else {
		char *made = note_cosignature_line(witness, parts.text, parts.text_len, now);
		size_t llen = strlen(made);
		note = xrealloc(note, hlen + llen + 1);
		memcpy(note + hlen, made, llen + 1);
		if (store_checkpoint_replace(st, log, *size, note, hlen + llen) != STORE_OK) {
			rc = chobo_fail(err, EX_IOERR, "%s", store_error(st));
			free(made);
		} else {
			*line = made;
		}
	}
	free(note);
	return rc;
}
