#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>

#include "codec.h"
#include "private_store.h"
#include "store.h"

#define DB_FILE "people.db"
#define SECRET_FILE "node.secret"

#define NODE_CONTEXT "chbnode1"
/* The context of the keys derived from a secret shared by a programme's nodes (private_shared_keyed_hash). */
#define SHARED_CONTEXT "chbshar1"
#define PERSON_CONTEXT "chbprsn1"
enum { NODE_LOOKUP_KEY = 1, NODE_WRAP_KEY = 2 };
enum { PERSON_ID_KEY = 1, PERSON_RECORD_KEY = 2 };

#define AD_SECRET "chobo-private/1 secret"
#define AD_RECORD "chobo-private/1 record"
#define RECORD_VERSION 1

#define KEY_BYTES 32
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define WRAPPED_BYTES (PERSON_SECRET_BYTES + TAG_BYTES)
#define RECORD_HEAD (1 + NONCE_BYTES + WRAPPED_BYTES + NONCE_BYTES)

_Static_assert(RECORD_HEAD + PERSON_JSON_MAX + TAG_BYTES <= KVFILE_MAX_VALUE,
	       "a record fits a kvfile value");

/* Keys derived from the node secret, in guarded memory. */
struct node_keys {
	uint8_t lookup[KEY_BYTES];
	uint8_t wrap[KEY_BYTES];
};

struct private_store {
	char *db_path;
	struct kvfile *file;      /* NULL while no one is registered */
	struct node_keys *keys;   /* NULL when there is no node secret (and so no records) */
};

/* ------------------------------------------------------------------ fields */

static bool isalnum_ascii(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Code points that hide or reorder text: C0, DEL, C1, line and paragraph separators, bidi controls. */
static bool invisible_at(const unsigned char *s, size_t len, size_t i)
{
	if (s[i] < 0x20 || s[i] == 0x7f)
		return true;
	if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
		return true;
	if (s[i] == 0xe2 && i + 2 < len) {
		if (s[i + 1] == 0x80 && s[i + 2] >= 0xa8 && s[i + 2] <= 0xae)
			return true;
		if (s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)
			return true;
	}
	return false;
}

/* One text field: UTF-8, within its bound, no invisible characters, no space at either end. */
static bool text_valid(const char *what, const char *s, size_t max, bool required, char *err,
		       size_t errlen)
{
	size_t len = strlen(s);
	if (len == 0) {
		if (required)
			snprintf(err, errlen, "missing %s", what);
		return !required;
	}
	if (len > max) {
		snprintf(err, errlen, "%s longer than %zu bytes", what, max);
		return false;
	}
	if (!utf8_valid((const uint8_t *)s, len)) {
		snprintf(err, errlen, "%s is not valid UTF-8", what);
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if (invisible_at((const unsigned char *)s, len, i)) {
			snprintf(err, errlen, "%s contains a control character", what);
			return false;
		}
	if (s[0] == ' ' || s[len - 1] == ' ') {
		snprintf(err, errlen, "%s begins or ends with a space", what);
		return false;
	}
	return true;
}

bool mail_address_valid(const char *s)
{
	static const char local_punct[] = "!#$%&'*+-/=?^_`{|}~.";
	size_t len = strlen(s);
	const char *at = strchr(s, '@');
	if (len < 3 || len > PERSON_MAX_MAIL || !at || strchr(at + 1, '@'))
		return false;
	size_t llen = (size_t)(at - s);
	if (llen == 0 || llen > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (size_t i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(c >= 0x80 || isalnum_ascii(c) || strchr(local_punct, c)))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	/* The domain: two or more labels of letters, digits and hyphens (or UTF-8), 1..63 bytes each. */
	const char *d = at + 1;
	size_t labels = 0;
	while (*d) {
		size_t n = 0;
		while (d[n] && d[n] != '.') {
			unsigned char c = (unsigned char)d[n];
			if (!(c >= 0x80 || isalnum_ascii(c) || c == '-'))
				return false;
			n++;
		}
		if (n == 0 || n > 63 || d[0] == '-' || d[n - 1] == '-')
			return false;
		labels++;
		d += n;
		if (*d == '.' && *++d == '\0')
			return false;
	}
	return labels >= 2;
}

bool person_check(const struct person *p, char *err, size_t errlen)
{
	if (!text_valid("identifier", p->identifier, PERSON_MAX_IDENTIFIER, true, err, errlen) ||
	    !text_valid("name", p->name, PERSON_MAX_NAME, true, err, errlen) ||
	    !text_valid("role", p->role, PERSON_MAX_ROLE, false, err, errlen) ||
	    !text_valid("mail", p->mail, PERSON_MAX_MAIL, false, err, errlen))
		return false;
	if (p->mail[0] && !mail_address_valid(p->mail)) {
		snprintf(err, errlen, "mail is not a mail address (local@domain.example)");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ JSON */

struct field {
	const char *name;
	size_t off, cap;
};

static const struct field fields[] = {
	{"identifier", offsetof(struct person, identifier), PERSON_MAX_IDENTIFIER + 1},
	{"name", offsetof(struct person, name), PERSON_MAX_NAME + 1},
	{"role", offsetof(struct person, role), PERSON_MAX_ROLE + 1},
	{"mail", offsetof(struct person, mail), PERSON_MAX_MAIL + 1},
	{"registered", offsetof(struct person, registered), 21},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

bool person_parse_json(const char *text, size_t len, struct json_doc *doc, bool stored,
		       struct person *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!json_scan(doc, text, len, err, errlen))
		return false;
	if (doc->tok[0].kind != JSON_K_OBJECT) {
		snprintf(err, errlen, "input must be a JSON object");
		return false;
	}
	size_t nfields = stored ? NFIELDS : NFIELDS - 1;
	for (size_t i = 0, t = 1; i < doc->tok[0].size; i++) {
		size_t key = t, val = t + 1, f;
		t = doc->tok[val].next;
		for (f = 0; f < nfields && !jscan_string_equals(doc, key, fields[f].name); f++)
			;
		if (f == nfields) {
			snprintf(err, errlen, "unexpected field (a person has identifier, name, role, mail)");
			return false;
		}
		bool has_nul;
		if (doc->tok[val].kind != JSON_K_STRING) {
			snprintf(err, errlen, "%s is not a string", fields[f].name);
			return false;
		}
		if (jscan_string_bytes(doc, val, &has_nul) >= fields[f].cap) {
			snprintf(err, errlen, "%s longer than %zu bytes", fields[f].name, fields[f].cap - 1);
			return false;
		}
		if (has_nul || !jscan_string_copy(doc, val, (char *)out + fields[f].off, fields[f].cap)) {
			snprintf(err, errlen, "%s contains a control character", fields[f].name);
			return false;
		}
	}
	int64_t t;
	if (stored && !time_parse(out->registered, &t)) {
		snprintf(err, errlen, "registered is not an RFC 3339 time");
		return false;
	}
	return person_check(out, err, errlen);
}

/* Append s as a JSON string at out[*pos]; out is sized for the bounded fields. */
static void json_put_string(char *out, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	out[(*pos)++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[(*pos)++] = '\\';
			out[(*pos)++] = (char)c;
		} else if (c < 0x20) {   /* refused by person_check; escaped all the same */
			memcpy(out + *pos, "\\u00", 4);
			out[*pos + 4] = hex[c >> 4];
			out[*pos + 5] = hex[c & 15];
			*pos += 6;
		} else {
			out[(*pos)++] = (char)c;
		}
	}
	out[(*pos)++] = '"';
}

size_t person_format_json(const struct person *p, char *out)
{
	size_t pos = 0;
	out[pos++] = '{';
	for (size_t f = 0; f < NFIELDS; f++) {
		const char *v = (const char *)p + fields[f].off;
		if (!*v)
			continue;
		if (pos > 1)
			out[pos++] = ',';
		json_put_string(out, &pos, fields[f].name);
		out[pos++] = ':';
		json_put_string(out, &pos, v);
	}
	out[pos++] = '}';
	return pos;
}

/* ------------------------------------------------------------------ IDs */

void person_id_format(char *out, const uint8_t id[PERSON_ID_BYTES])
{
	out[0] = 'p';
	out[1] = '-';
	sodium_bin2hex(out + 2, PERSON_ID_TEXT - 1, id, PERSON_ID_BYTES);
}

bool person_id_parse(const char *s, uint8_t id[PERSON_ID_BYTES])
{
	if (strncmp(s, "p-", 2) != 0 || strlen(s) != PERSON_ID_TEXT)
		return false;
	for (const char *c = s + 2; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return hex_decode(id, PERSON_ID_BYTES, s + 2);
}

bool person_id_valid(const char *s)
{
	uint8_t id[PERSON_ID_BYTES];
	return person_id_parse(s, id);
}

void person_record_clear(struct person_record *r)
{
	sodium_memzero(r, sizeof *r);
}

/* ------------------------------------------------------------------ keys and records */

static void person_key(uint8_t out[KEY_BYTES], uint64_t which, const uint8_t secret[PERSON_SECRET_BYTES])
{
	crypto_kdf_derive_from_key(out, KEY_BYTES, which, PERSON_CONTEXT, secret);
}

static void person_id(uint8_t id[PERSON_ID_BYTES], const uint8_t secret[PERSON_SECRET_BYTES],
		      const char *identifier)
{
	uint8_t k[KEY_BYTES];
	person_key(k, PERSON_ID_KEY, secret);
	crypto_generichash(id, PERSON_ID_BYTES, (const uint8_t *)identifier, strlen(identifier), k,
			   sizeof k);
	sodium_memzero(k, sizeof k);
}

/* The lookup record's key: 'L' || keyed hash of the identifier under the node's lookup key. */
static void lookup_key(const struct node_keys *keys, const char *identifier, uint8_t out[33])
{
	out[0] = 'L';
	crypto_generichash(out + 1, 32, (const uint8_t *)identifier, strlen(identifier), keys->lookup,
			   KEY_BYTES);
}

static void record_key(const uint8_t id[PERSON_ID_BYTES], uint8_t out[1 + PERSON_ID_BYTES])
{
	out[0] = 'P';
	memcpy(out + 1, id, PERSON_ID_BYTES);
}

static void make_ad(uint8_t *ad, const char *label, const uint8_t id[PERSON_ID_BYTES])
{
	size_t n = strlen(label);
	memcpy(ad, label, n);
	memcpy(ad + n, id, PERSON_ID_BYTES);
}

/* Encrypt r into val (KVFILE_MAX_VALUE bytes); its length. */
static size_t record_seal(const struct node_keys *keys, const struct person_record *r, uint8_t *val)
{
	char json[PERSON_JSON_MAX];
	uint8_t k[KEY_BYTES], ad[sizeof AD_RECORD + PERSON_ID_BYTES];
	unsigned long long clen;
	size_t jlen = person_format_json(&r->p, json);
	uint8_t *p = val;
	*p++ = RECORD_VERSION;
	randombytes_buf(p, NONCE_BYTES);
	make_ad(ad, AD_SECRET, r->id);
	crypto_aead_xchacha20poly1305_ietf_encrypt(p + NONCE_BYTES, &clen, r->secret, PERSON_SECRET_BYTES,
						   ad, strlen(AD_SECRET) + PERSON_ID_BYTES, NULL, p,
						   keys->wrap);
	p += NONCE_BYTES + WRAPPED_BYTES;
	randombytes_buf(p, NONCE_BYTES);
	person_key(k, PERSON_RECORD_KEY, r->secret);
	make_ad(ad, AD_RECORD, r->id);
	crypto_aead_xchacha20poly1305_ietf_encrypt(p + NONCE_BYTES, &clen, (const uint8_t *)json, jlen,
						   ad, strlen(AD_RECORD) + PERSON_ID_BYTES, NULL, p, k);
	sodium_memzero(k, sizeof k);
	sodium_memzero(json, sizeof json);
	return RECORD_HEAD + (size_t)clen;
}

/* Decrypt and check the stored record of id; 0 or EX_DATAERR. */
static int record_open(const struct node_keys *keys, const uint8_t id[PERSON_ID_BYTES],
		       const uint8_t *val, size_t vlen, struct person_record *r, struct chobo_error *err)
{
	char json[PERSON_JSON_MAX], why[256], idtext[PERSON_ID_TEXT + 1];
	uint8_t k[KEY_BYTES], ad[sizeof AD_RECORD + PERSON_ID_BYTES], again[PERSON_ID_BYTES];
	unsigned long long n;
	struct json_doc doc = {0};
	int rc = 0;
	memset(r, 0, sizeof *r);
	memcpy(r->id, id, PERSON_ID_BYTES);
	person_id_format(idtext, id);
	const uint8_t *p = val + 1;
	if (vlen < RECORD_HEAD + TAG_BYTES || vlen - RECORD_HEAD - TAG_BYTES > sizeof json ||
	    val[0] != RECORD_VERSION)
		return chobo_fail(err, EX_DATAERR, "%s: malformed record", idtext);
	make_ad(ad, AD_SECRET, id);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(r->secret, &n, NULL, p + NONCE_BYTES, WRAPPED_BYTES,
						       ad, strlen(AD_SECRET) + PERSON_ID_BYTES, p,
						       keys->wrap) != 0) {
		rc = chobo_fail(err, EX_DATAERR, "%s: the record does not decrypt (damaged, or not "
				"written with this node.secret)", idtext);
		goto out;
	}
	p += NONCE_BYTES + WRAPPED_BYTES;
	person_key(k, PERSON_RECORD_KEY, r->secret);
	make_ad(ad, AD_RECORD, id);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)json, &n, NULL, p + NONCE_BYTES,
						       vlen - RECORD_HEAD, ad,
						       strlen(AD_RECORD) + PERSON_ID_BYTES, p, k) != 0) {
		rc = chobo_fail(err, EX_DATAERR, "%s: the record does not decrypt", idtext);
		goto out;
	}
	if (!person_parse_json(json, (size_t)n, &doc, true, &r->p, why, sizeof why)) {
		rc = chobo_fail(err, EX_DATAERR, "%s: malformed record: %s", idtext, why);
		goto out;
	}
	person_id(again, r->secret, r->p.identifier);
	if (sodium_memcmp(again, id, PERSON_ID_BYTES) != 0)
		rc = chobo_fail(err, EX_DATAERR, "%s: the record is not the one its ID names", idtext);
out:
	sodium_memzero(k, sizeof k);
	sodium_memzero(json, sizeof json);
	json_doc_free(&doc);
	if (rc != 0)
		person_record_clear(r);
	return rc;
}

/* ------------------------------------------------------------------ the node secret */

static void derive_node_keys(struct node_keys *keys, const uint8_t secret[KEY_BYTES])
{
	crypto_kdf_derive_from_key(keys->lookup, KEY_BYTES, NODE_LOOKUP_KEY, NODE_CONTEXT, secret);
	crypto_kdf_derive_from_key(keys->wrap, KEY_BYTES, NODE_WRAP_KEY, NODE_CONTEXT, secret);
}

/* Read a secret file (64 hex digits and a newline, mode 600) into secret; 0, EX_NOINPUT when it does not exist, or an exit code. */
static int read_secret_file(const char *path, uint8_t secret[KEY_BYTES], struct chobo_error *err)
{
	char text[2 * KEY_BYTES + 2];
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return chobo_fail_errno(err, errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "%s", path);
	if (fstat(fd, &sb) != 0) {
		int rc = chobo_fail_errno(err, EX_IOERR, "%s", path);
		close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0) {
		close(fd);
		return chobo_fail(err, EX_NOPERM, "%s: a secret must be a regular file that only its "
				  "owner can read (chmod 600 %s)", path, path);
	}
	ssize_t n;
	do
		n = read(fd, text, sizeof text);
	while (n < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return chobo_fail_errno(err, EX_IOERR, "%s", path);
	}
	int rc = 0;
	bool line = n == 2 * KEY_BYTES + 1 && text[2 * KEY_BYTES] == '\n';
	if (line)
		text[2 * KEY_BYTES] = '\0';
	if (!line || !hex_decode(secret, KEY_BYTES, text))
		rc = chobo_fail(err, EX_CONFIG, "%s: expected 64 hex digits and a newline", path);
	sodium_memzero(text, sizeof text);
	return rc;
}

/* Write a new random secret file at path (mode 600; replacing one only when replace) into secret; 0 or an exit code. */
static int make_secret_file(const char *path, bool replace, uint8_t secret[KEY_BYTES], struct chobo_error *err)
{
	char text[2 * KEY_BYTES + 1];
	_Static_assert(KEY_BYTES == 32, "hex32 writes the secret");
	randombytes_buf(secret, KEY_BYTES);
	hex32(text, secret);
	text[2 * KEY_BYTES] = '\n';
	int rc = 0;
	if (replace) {
		if (!write_file_atomic(path, text, sizeof text, 0600))
			rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", path);
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			rc = chobo_fail(err, EX_CANTCREAT, "%s: a secret is there already; it is never replaced", path);
		else if (fd < 0)
			rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", path);
		else {
			if (!write_all(fd, text, sizeof text) || fsync(fd) != 0) {
				rc = chobo_fail_errno(err, EX_IOERR, "%s", path);
				close(fd);
				unlink(path);
			} else if (close(fd) != 0 || !fsync_parent_dir(path)) {
				rc = chobo_fail_errno(err, EX_IOERR, "%s", path);
				unlink(path);
			}
		}
	}
	sodium_memzero(text, sizeof text);
	if (rc != 0)
		sodium_memzero(secret, KEY_BYTES);
	return rc;
}

/* Read private/node.secret into keys; 0, EX_NOINPUT when it does not exist, or an exit code. */
static int read_node_secret(const char *path, struct node_keys *keys, struct chobo_error *err)
{
	uint8_t secret[KEY_BYTES];
	int rc = read_secret_file(path, secret, err);
	if (rc == 0)
		derive_node_keys(keys, secret);
	sodium_memzero(secret, sizeof secret);
	return rc;
}

static int make_node_secret(const char *path, struct node_keys *keys, struct chobo_error *err)
{
	uint8_t secret[KEY_BYTES];
	int rc = make_secret_file(path, true, secret, err);
	if (rc == 0)
		derive_node_keys(keys, secret);
	sodium_memzero(secret, sizeof secret);
	return rc;
}

/* label, a NUL and value hashed with BLAKE2b-256 under key into out. */
static void keyed_hash(const uint8_t key[KEY_BYTES], const char *label, const char *value, uint8_t out[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, KEY_BYTES, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label) + 1);
	crypto_generichash_update(&st, (const uint8_t *)value, strlen(value));
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof st);
}

int private_shared_secret_make(const char *path, struct chobo_error *err)
{
	uint8_t secret[KEY_BYTES];
	int rc = make_secret_file(path, false, secret, err);
	sodium_memzero(secret, sizeof secret);
	return rc;
}

int private_shared_keyed_hash(const char *path, const char *label, const char *value, uint8_t out[32],
			      struct chobo_error *err)
{
	uint8_t secret[KEY_BYTES], key[KEY_BYTES];
	int rc = read_secret_file(path, secret, err);
	if (rc == EX_NOINPUT)
		rc = chobo_fail(err, EX_CONFIG, "%s: no such shared secret (the same file on every node of the "
				"programme)", path);
	if (rc == 0) {
		/* Not the secret itself: a key derived for keyed hashes, as the node's lookup key is. */
		crypto_kdf_derive_from_key(key, KEY_BYTES, NODE_LOOKUP_KEY, SHARED_CONTEXT, secret);
		keyed_hash(key, label, value, out);
	}
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(key, sizeof key);
	return rc;
}

/* ------------------------------------------------------------------ the store */

void private_close(struct private_store *ps)
{
	if (!ps)
		return;
	kvfile_close(ps->file);
	sodium_free(ps->keys);   /* zeroes */
	free(ps->db_path);
	free(ps);
}

int private_open(const struct ledger *l, bool create, struct private_store **out,
		 struct chobo_error *err)
{
	struct private_store *ps = xcalloc(1, sizeof *ps);
	char *dir = path_join(l->dir, "private");
	char *secret_path = path_join(dir, SECRET_FILE);
	struct stat sb;
	int rc = 0;
	*out = NULL;
	ps->db_path = path_join(dir, DB_FILE);
	if (stat(dir, &sb) != 0) {
		if (errno != ENOENT || !create)
			rc = chobo_fail_errno(err, EX_NOINPUT, "%s", dir);
		else if (mkdir(dir, 0700) != 0)
			rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", dir);
	} else if (!S_ISDIR(sb.st_mode) || (sb.st_mode & 077) != 0) {
		rc = chobo_fail(err, EX_NOPERM, "%s: must be a directory that only its owner can use "
				"(chmod 700 %s)", dir, dir);
	}
	if (rc == 0)
		rc = kvfile_open(ps->db_path, &ps->file, err);
	if (rc == 0) {
		ps->keys = sodium_malloc(sizeof *ps->keys);
		if (!ps->keys)
			chobo_die(EX_OSERR, "out of memory");
		rc = read_node_secret(secret_path, ps->keys, err);
		if (rc == EX_NOINPUT && ps->file)
			rc = chobo_fail(err, EX_CONFIG, "%s is missing: the records of %s cannot be read",
					secret_path, ps->db_path);
		else if (rc == EX_NOINPUT && create)
			rc = make_node_secret(secret_path, ps->keys, err);
		else if (rc == EX_NOINPUT) {
			/* No secret and no records: an empty store. */
			sodium_free(ps->keys);
			ps->keys = NULL;
			rc = 0;
		}
	}
	free(dir);
	free(secret_path);
	if (rc != 0) {
		private_close(ps);
		return rc;
	}
	*out = ps;
	return 0;
}

/* A record to write into the new version: its key and sealed value. */
struct put {
	uint8_t key[1 + 32];
	size_t klen;
	uint8_t *val;
	size_t vlen;
};

static int put_order(const void *a, const void *b)
{
	const struct put *x = a, *y = b;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return memcmp(x->key, y->key, x->klen);
}

/* What a rewrite leaves out: the keys it puts anew, and the record of one erased ID. */
struct rewrite {
	struct kvfile *to;
	const struct put *puts;
	size_t nputs;
	const uint8_t *erase;   /* an ID, or NULL */
	struct chobo_error *err;
};

static int copy_record(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct rewrite *w = ctx;
	struct put probe = {.klen = klen};
	if (klen == 0)
		return chobo_fail(w->err, EX_DATAERR, "an empty key");
	if (w->nputs > 0 && klen <= sizeof probe.key) {
		memcpy(probe.key, key, klen);
		if (bsearch(&probe, w->puts, w->nputs, sizeof *w->puts, put_order))
			return 0;
	}
	if (w->erase && ((klen == 1 + PERSON_ID_BYTES && key[0] == 'P' &&
			  memcmp(key + 1, w->erase, PERSON_ID_BYTES) == 0) ||
			 (key[0] == 'L' && vlen == PERSON_ID_BYTES &&
			  memcmp(val, w->erase, PERSON_ID_BYTES) == 0)))
		return 0;
	return kvfile_put(w->to, key, klen, val, vlen, w->err);
}

/*
 * Write a new version of the store: every record held except those named by
 * puts (sorted) or belonging to erase, then puts; commit it and read it from
 * now on.  0 or an exit code; on failure the old version stays.
 */
static int rewrite(struct private_store *ps, const struct put *puts, size_t nputs,
		   const uint8_t *erase, struct chobo_error *err)
{
	struct rewrite w = {.puts = puts, .nputs = nputs, .erase = erase, .err = err};
	int rc = kvfile_begin(ps->db_path, &w.to, err);
	if (rc == 0 && ps->file)
		rc = kvfile_each(ps->file, copy_record, &w, err);
	for (size_t i = 0; rc == 0 && i < nputs; i++)
		rc = kvfile_put(w.to, puts[i].key, puts[i].klen, puts[i].val, puts[i].vlen, err);
	if (rc != 0) {
		kvfile_close(w.to);
		return rc;
	}
	if ((rc = kvfile_commit(w.to, err)) != 0)
		return rc;
	kvfile_close(ps->file);
	return kvfile_open(ps->db_path, &ps->file, err);
}

/* The record of id, if held. */
static int get_record(struct private_store *ps, const uint8_t id[PERSON_ID_BYTES],
		      struct person_record *out, bool *found, struct chobo_error *err)
{
	uint8_t key[1 + PERSON_ID_BYTES], *val;
	size_t vlen;
	*found = false;
	memset(out, 0, sizeof *out);
	if (!ps->file || !ps->keys)
		return 0;
	record_key(id, key);
	val = xmalloc(KVFILE_MAX_VALUE);
	int rc = kvfile_get(ps->file, key, sizeof key, val, &vlen, found, err);
	if (rc == 0 && *found)
		rc = record_open(ps->keys, id, val, vlen, out, err);
	sodium_memzero(val, KVFILE_MAX_VALUE);
	free(val);
	return rc;
}

int private_get(struct private_store *ps, const uint8_t id[PERSON_ID_BYTES],
		struct person_record *out, bool *found, struct chobo_error *err)
{
	return get_record(ps, id, out, found, err);
}

int private_holds(struct private_store *ps, const uint8_t id[PERSON_ID_BYTES], bool *found,
		  struct chobo_error *err)
{
	uint8_t key[1 + PERSON_ID_BYTES], *val;
	size_t vlen;
	*found = false;
	if (!ps->file)
		return 0;
	record_key(id, key);
	val = xmalloc(KVFILE_MAX_VALUE);
	int rc = kvfile_get(ps->file, key, sizeof key, val, &vlen, found, err);
	free(val);   /* sealed: nothing in it to zero */
	return rc;
}

int private_require(struct private_store *ps, const char *what, const char *id_text, struct chobo_error *err)
{
	uint8_t id[PERSON_ID_BYTES];
	bool found;
	if (!id_text || !person_id_parse(id_text, id))
		return 0;
	int rc = private_holds(ps, id, &found, err);
	if (rc == 0 && !found)
		rc = chobo_fail(err, EX_DATAERR,
				"%s %s is not in this node's private store: register the person with "
				"chain-private add, which prints the ID to use",
				what, id_text);
	return rc;
}

/* The ID held for an identifier's lookup key, if any. */
static int find_lookup(struct private_store *ps, const uint8_t lkey[33], uint8_t id[PERSON_ID_BYTES],
		       bool *found, struct chobo_error *err)
{
	uint8_t val[KVFILE_MAX_VALUE];
	size_t vlen;
	*found = false;
	if (!ps->file)
		return 0;
	int rc = kvfile_get(ps->file, lkey, 33, val, &vlen, found, err);
	if (rc == 0 && *found && vlen != PERSON_ID_BYTES)
		rc = chobo_fail(err, EX_DATAERR, "%s: malformed lookup record", ps->db_path);
	if (rc == 0 && *found)
		memcpy(id, val, PERSON_ID_BYTES);
	return rc;
}

static int lookup_order(const void *a, const void *b)
{
	return memcmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b, 33);
}

int private_add(struct private_store *ps, struct person *people, size_t n, int64_t now,
		struct private_added *out, struct chobo_error *err)
{
	char why[256];
	if (!ps->keys)
		return chobo_fail(err, EX_SOFTWARE, "the private store was not opened to add");
	uint8_t (*lkeys)[33] = xcalloc(n ? n : 1, sizeof *lkeys);
	uint8_t **order = xcalloc(n ? n : 1, sizeof *order);
	struct put *puts = xcalloc(2 * n + 1, sizeof *puts);
	size_t nputs = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && !person_check(&people[i], why, sizeof why))
			rc = chobo_fail(err, EX_DATAERR, "person %zu: %s", i + 1, why);
		lookup_key(ps->keys, people[i].identifier, lkeys[i]);
		order[i] = lkeys[i];
	}
	/* The identifier, never shown: positions name the duplicates. */
	qsort(order, n, sizeof *order, lookup_order);
	for (size_t i = 1; rc == 0 && i < n; i++)
		if (memcmp(order[i - 1], order[i], 33) == 0)
			rc = chobo_fail(err, EX_DATAERR, "persons %zu and %zu have the same identifier",
					(size_t)((order[i - 1] - lkeys[0]) / 33) + 1,
					(size_t)((order[i] - lkeys[0]) / 33) + 1);

	struct person_record *r = sodium_malloc(2 * sizeof *r);
	if (!r)
		chobo_die(EX_OSERR, "out of memory");
	struct person_record *held = r + 1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		bool found;
		memset(&out[i], 0, sizeof out[i]);
		memset(r, 0, sizeof *r);
		if ((rc = find_lookup(ps, lkeys[i], r->id, &found, err)) != 0)
			break;
		if (found) {
			bool have;
			if ((rc = get_record(ps, r->id, held, &have, err)) != 0)
				break;
			if (!have) {
				rc = chobo_fail(err, EX_DATAERR, "%s: a lookup names a missing record",
						ps->db_path);
				break;
			}
			out[i].created = false;
			out[i].updated = strcmp(held->p.name, people[i].name) != 0 ||
					 strcmp(held->p.role, people[i].role) != 0 ||
					 strcmp(held->p.mail, people[i].mail) != 0;
			*r = *held;
			r->p = people[i];
			memcpy(r->p.registered, held->p.registered, sizeof r->p.registered);
		} else {
			bool taken;
			randombytes_buf(r->secret, sizeof r->secret);
			person_id(r->id, r->secret, people[i].identifier);
			if ((rc = get_record(ps, r->id, held, &taken, err)) != 0)
				break;
			if (taken) {
				rc = chobo_fail(err, EX_SOFTWARE, "a new ID is already taken");
				break;
			}
			r->p = people[i];
			time_format(r->p.registered, now);
			out[i].created = true;
			struct put *l = &puts[nputs++];
			memcpy(l->key, lkeys[i], 33);
			l->klen = 33;
			l->val = xmalloc(PERSON_ID_BYTES);
			memcpy(l->val, r->id, PERSON_ID_BYTES);
			l->vlen = PERSON_ID_BYTES;
		}
		memcpy(out[i].id, r->id, PERSON_ID_BYTES);
		if (out[i].created || out[i].updated) {
			struct put *p = &puts[nputs++];
			record_key(r->id, p->key);
			p->klen = 1 + PERSON_ID_BYTES;
			p->val = xmalloc(KVFILE_MAX_VALUE);
			p->vlen = record_seal(ps->keys, r, p->val);
		}
	}
	/* Nothing in the clear outlives this point: the new version is written from sealed records. */
	sodium_free(r);
	for (size_t i = 0; i < n; i++)
		sodium_memzero(&people[i], sizeof people[i]);
	qsort(puts, nputs, sizeof *puts, put_order);
	for (size_t i = 1; rc == 0 && i < nputs; i++)
		if (put_order(&puts[i - 1], &puts[i]) == 0)
			rc = chobo_fail(err, EX_SOFTWARE, "two new people got the same ID");
	if (rc == 0 && nputs > 0)
		rc = rewrite(ps, puts, nputs, NULL, err);
	for (size_t i = 0; i < nputs; i++)
		free(puts[i].val);
	free(puts);
	free(order);
	free(lkeys);
	return rc;
}

struct each {
	struct private_store *ps;
	int (*fn)(void *ctx, const struct person_record *r);
	void *ctx;
	struct person_record *r;
	struct chobo_error *err;
};

static int each_record(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct each *e = ctx;
	if (key[0] != 'P')
		return 0;
	if (klen != 1 + PERSON_ID_BYTES)
		return chobo_fail(e->err, EX_DATAERR, "%s: malformed record key", e->ps->db_path);
	int rc = record_open(e->ps->keys, key + 1, val, vlen, e->r, e->err);
	if (rc == 0)
		rc = e->fn(e->ctx, e->r);
	person_record_clear(e->r);
	return rc;
}

int private_each(struct private_store *ps, int (*fn)(void *ctx, const struct person_record *r),
		 void *ctx, struct chobo_error *err)
{
	if (!ps->file || !ps->keys)
		return 0;
	struct each e = {.ps = ps, .fn = fn, .ctx = ctx, .err = err, .r = sodium_malloc(sizeof *e.r)};
	if (!e.r)
		chobo_die(EX_OSERR, "out of memory");
	int rc = kvfile_each(ps->file, each_record, &e, err);
	sodium_free(e.r);
	return rc;
}

int private_erase(struct private_store *ps, const uint8_t id[PERSON_ID_BYTES],
		  struct person_record *out, struct chobo_error *err)
{
	char idtext[PERSON_ID_TEXT + 1];
	bool found;
	int rc = get_record(ps, id, out, &found, err);
	if (rc != 0)
		return rc;
	if (!found) {
		person_id_format(idtext, id);
		return chobo_fail(err, EX_NOINPUT, "%s: no such person", idtext);
	}
	rc = rewrite(ps, NULL, 0, id, err);
	if (rc != 0)
		person_record_clear(out);
	return rc;
}

int private_keyed_hash(struct private_store *ps, const char *label, const char *value, uint8_t out[32],
		       struct chobo_error *err)
{
	if (!ps->keys)
		return chobo_fail(err, EX_CONFIG, "the private store has no node secret");
	keyed_hash(ps->keys->lookup, label, value, out);
	return 0;
}
