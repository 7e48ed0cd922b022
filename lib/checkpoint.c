#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "codec.h"
#include "util.h"

bool checkpoint_origin_valid(const char *origin)
{
	for (const char *p = origin; *p; p++)
		if ((unsigned char)*p >= 0x7f)
			return false;
	return note_name_valid(origin);
}

char *checkpoint_text(const struct checkpoint *c)
{
	char *root = b64_encode(c->root, 32);
	size_t n = strlen(c->origin) + strlen(root) + 32;
	char *text = xmalloc(n);
	snprintf(text, n, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, root);
	free(root);
	return text;
}

char *checkpoint_sign(const struct checkpoint *c, const struct note_signer *log_key)
{
	char *text = checkpoint_text(c);
	size_t tlen = strlen(text);
	char *line = note_signature_line(log_key, text, tlen);
	size_t n = tlen + 1 + strlen(line) + 1;
	char *note = xmalloc(n);
	snprintf(note, n, "%s\n%s", text, line);
	free(text);
	free(line);
	return note;
}

bool checkpoint_parse_text(const char *text, size_t len, struct checkpoint *out, const char **why)
{
	const char *line[3];
	size_t llen[3];
	const char *p = text, *end = text + len;
	memset(out, 0, sizeof *out);
	if (len == 0 || text[len - 1] != '\n') {
		*why = "checkpoint text does not end in a newline";
		return false;
	}
	for (int i = 0; i < 3; i++) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		if (!nl) {
			*why = "checkpoint has fewer than three lines";
			return false;
		}
		line[i] = p;
		llen[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	/* Extension lines may follow, but none may be empty. */
	for (const char *q = p; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		if (nl == q) {
			*why = "checkpoint has an empty line";
			return false;
		}
		q = nl + 1;
	}
	if (llen[0] == 0 || llen[0] > NOTE_MAX_NAME) {
		*why = "checkpoint origin is empty or too long";
		return false;
	}
	memcpy(out->origin, line[0], llen[0]);
	out->origin[llen[0]] = '\0';
	if (!checkpoint_origin_valid(out->origin)) {
		*why = "checkpoint origin is not a valid name";
		return false;
	}
	char num[24];
	if (llen[1] == 0 || llen[1] >= sizeof num) {
		*why = "checkpoint tree size is malformed";
		return false;
	}
	memcpy(num, line[1], llen[1]);
	num[llen[1]] = '\0';
	if (!parse_u64(num, &out->size) || out->size > CHOBO_MAX_TREE_SIZE) {
		*why = "checkpoint tree size is malformed";
		return false;
	}
	uint8_t root[48];
	if (b64_decode(line[2], llen[2], root, sizeof root) != 32) {
		*why = "checkpoint root hash is not canonical base64 of 32 bytes";
		return false;
	}
	memcpy(out->root, root, 32);
	return true;
}

bool checkpoint_verify(const char *note, size_t len, const struct note_verifier *keys,
		       size_t nkeys, struct checkpoint *out, bool *verified, const char **why)
{
	struct note_parts parts;
	bool *ver = verified ? verified : xcalloc(nkeys, sizeof *ver);
	bool ok = note_split(note, len, &parts, why) &&
		  checkpoint_parse_text(parts.text, parts.text_len, out, why) &&
		  note_verify(note, len, keys, nkeys, ver, NULL, why);
	bool signed_by_origin = false;
	for (size_t k = 0; ok && k < nkeys; k++)
		if (ver[k] && keys[k].type == NOTE_TYPE_ED25519 &&
		    strcmp(keys[k].name, out->origin) == 0)
			signed_by_origin = true;
	if (ok && !signed_by_origin) {
		*why = "checkpoint is not signed by a trusted key of its origin";
		ok = false;
	}
	if (!verified)
		free(ver);
	return ok;
}

int checkpoint_read_file(const char *path, const struct note_verifier *keys, size_t nkeys,
			 struct checkpoint *out, struct chobo_error *err)
{
	size_t len;
	const char *why;
	char *note = read_file(path, CHOBO_MAX_NOTE, &len);
	if (!note)
		return chobo_fail_errno(err, EX_NOINPUT, "%s", path);
	/* An empty file is what a failed chain-proof checkpoint --raw before it leaves. */
	bool ok = len > 0 && checkpoint_verify(note, len, keys, nkeys, out, NULL, &why);
	free(note);
	if (len == 0)
		why = "the file is empty, not a signed checkpoint";
	return ok ? 0 : chobo_fail(err, EX_DATAERR, "%s: %s", path, why);
}
