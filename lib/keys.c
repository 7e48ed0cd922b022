#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>

#include "codec.h"
#include "keys.h"
#include "util.h"

const char *key_ledger_dir(void)
{
	const char *d = getenv("CHOBO_LEDGER");
	return d && *d ? d : "ledger";
}

bool key_save(const char *path, const struct note_signer *s)
{
	char *text = note_skey_format(s);
	size_t len = strlen(text);
	char *line = xmalloc(len + 2);
	memcpy(line, text, len);
	line[len] = '\n';
	bool ok = write_file_atomic(path, line, len + 1, 0600);
	int err = errno;
	sodium_memzero(text, len);
	sodium_memzero(line, len + 1);
	free(text);
	free(line);
	errno = err;
	return ok;
}

/* An encrypted key file: this prefix, then base64 of salt || opslimit || memlimit || nonce || box. */
#define ENCRYPTED_PREFIX "chobo-encrypted-key/1 "
#define KEY_FILE_MAX 1024
#define PASSPHRASE_MAX 1024

/* Read a small secret file into a guarded buffer, refusing loose permissions; NULL with *rc and err set. */
static char *read_secret(const char *path, int fd, size_t *len, int *rc, bool check_mode,
			 struct chobo_error *err)
{
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		*rc = chobo_fail_errno(err, EX_IOERR, "%s", path);
		return NULL;
	}
	if (check_mode && (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0)) {
		*rc = chobo_fail(err, EX_NOPERM, "%s: a secret must be a regular file that only its owner can read "
			   "(chmod 600 %s)", path, path);
		return NULL;
	}
	if (check_mode && sb.st_uid != geteuid() && sb.st_uid != 0) {
		*rc = chobo_fail(err, EX_NOPERM, "%s: a secret must belong to the user who uses it (or root)", path);
		return NULL;
	}
	char *buf = sodium_malloc(KEY_FILE_MAX + 1);
	if (!buf)
		xalloc_failed();
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, KEY_FILE_MAX - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*rc = chobo_fail_errno(err, EX_IOERR, "%s", path);
			sodium_free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == KEY_FILE_MAX) {
			*rc = chobo_fail(err, EX_CONFIG, "%s: too large for a secret", path);
			sodium_free(buf);
			return NULL;
		}
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

/*
 * The passphrase from CHOBO_PASSPHRASE_FD (a descriptor, read once and
 * closed) or CHOBO_PASSPHRASE_FILE, kept in guarded memory for the rest of
 * the process so that every key it opens uses the same one; NULL with *rc
 * and err set.
 */
static char *passphrase;
static size_t passphrase_len;

static void forget_passphrase(void)
{
	sodium_free(passphrase);
	passphrase = NULL;
}

static const char *read_passphrase(size_t *len, int *rc, struct chobo_error *err)
{
	const char *fdtext = getenv("CHOBO_PASSPHRASE_FD"), *file = getenv("CHOBO_PASSPHRASE_FILE");
	uint64_t fdnum;
	char *buf;
	if (passphrase) {
		*len = passphrase_len;
		return passphrase;
	}
	if (fdtext && *fdtext) {
		if (!parse_u64(fdtext, &fdnum) || fdnum > 1024) {
			*rc = chobo_fail(err, EX_USAGE, "CHOBO_PASSPHRASE_FD=%s is not a file descriptor", fdtext);
			return NULL;
		}
		buf = read_secret("CHOBO_PASSPHRASE_FD", (int)fdnum, len, rc, false, err);
		close((int)fdnum);
	} else if (file && *file) {
		/* Non-blocking: a FIFO in its place is refused at once, not waited on. */
		int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			*rc = chobo_fail_errno(err, EX_NOINPUT, "%s", file);
			return NULL;
		}
		buf = read_secret(file, fd, len, rc, true, err);
		close(fd);
	} else {
		*rc = chobo_fail(err, EX_CONFIG, "a passphrase is needed: give it with CHOBO_PASSPHRASE_FILE or CHOBO_PASSPHRASE_FD");
		return NULL;
	}
	if (!buf)
		return NULL;
	/* One trailing newline is the file's, not the passphrase's. */
	if (*len > 0 && buf[*len - 1] == '\n')
		buf[--*len] = '\0';
	if (*len == 0) {
		*rc = chobo_fail(err, EX_CONFIG, "the passphrase is empty");
		sodium_free(buf);
		return NULL;
	}
	passphrase = buf;
	passphrase_len = *len;
	atexit(forget_passphrase);
	return passphrase;
}

int key_save_encrypted(const char *path, const struct note_signer *s, struct chobo_error *err)
{
	int rc = 0;
	size_t plen;
	const char *pass = read_passphrase(&plen, &rc, err);
	if (!pass)
		return rc;
	enum { SALT = crypto_pwhash_SALTBYTES, NONCE = crypto_secretbox_NONCEBYTES };
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	char *plain = note_skey_format(s);
	size_t mlen = strlen(plain);
	size_t blen = SALT + 16 + NONCE + crypto_secretbox_MACBYTES + mlen;
	uint8_t *blob = xmalloc(blen);
	uint8_t *key = sodium_malloc(crypto_secretbox_KEYBYTES);
	if (!key)
		xalloc_failed();
	randombytes_buf(blob, SALT);
	put_be64(blob + SALT, ops);
	put_be64(blob + SALT + 8, mem);
	randombytes_buf(blob + SALT + 16, NONCE);
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, plen, blob, ops, mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = chobo_fail(err, EX_OSERR, "not enough memory to derive the key from the passphrase");
	} else {
		crypto_secretbox_easy(blob + SALT + 16 + NONCE, (const uint8_t *)plain, mlen,
				      blob + SALT + 16, key);
		char *b64 = b64_encode(blob, blen);
		size_t n = strlen(ENCRYPTED_PREFIX) + strlen(b64) + 2;
		char *text = xmalloc(n);
		snprintf(text, n, "%s%s\n", ENCRYPTED_PREFIX, b64);
		if (!write_file_atomic(path, text, strlen(text), 0600)) {
			rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", path);
		}
		free(text);
		free(b64);
	}
	sodium_memzero(plain, mlen);
	free(plain);
	free(blob);
	sodium_free(key);
	return rc;
}

/* Decrypt an encrypted key file's text into a guarded buffer holding PRIVATE+KEY+...; NULL with *rc and err set. */
static char *decrypt_key(const char *path, const char *text, int *rc, struct chobo_error *err)
{
	enum { SALT = crypto_pwhash_SALTBYTES, NONCE = crypto_secretbox_NONCEBYTES };
	const char *b64 = text + strlen(ENCRYPTED_PREFIX);
	size_t b64len = strcspn(b64, "\n");
	uint8_t blob[KEY_FILE_MAX];
	long blen = b64_decode(b64, b64len, blob, sizeof blob);
	if (blen < (long)(SALT + 16 + NONCE + crypto_secretbox_MACBYTES + 1)) {
		*rc = chobo_fail(err, EX_CONFIG, "%s: malformed encrypted key", path);
		return NULL;
	}
	uint64_t ops = get_be64(blob + SALT), mem = get_be64(blob + SALT + 8);
	/* Costs are read from the file: bound them so that a crafted file cannot stall us. */
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > 16 || mem < crypto_pwhash_MEMLIMIT_MIN ||
	    mem > (UINT64_C(1) << 30)) {
		*rc = chobo_fail(err, EX_CONFIG, "%s: encrypted key with unreasonable Argon2id costs", path);
		return NULL;
	}
	size_t plen, mlen = (size_t)blen - SALT - 16 - NONCE - crypto_secretbox_MACBYTES;
	const char *pass = read_passphrase(&plen, rc, err);
	if (!pass)
		return NULL;
	uint8_t *key = sodium_malloc(crypto_secretbox_KEYBYTES);
	char *plain = sodium_malloc(mlen + 1);
	if (!key || !plain)
		xalloc_failed();
	bool ok = crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, plen, blob, ops, (size_t)mem,
				crypto_pwhash_ALG_ARGON2ID13) == 0 &&
		  crypto_secretbox_open_easy((uint8_t *)plain, blob + SALT + 16 + NONCE,
					     (size_t)blen - SALT - 16 - NONCE, blob + SALT + 16, key) == 0;
	sodium_free(key);
	if (!ok) {
		*rc = chobo_fail(err, EX_NOPERM, "%s: wrong passphrase, or the encrypted key is damaged", path);
		sodium_free(plain);
		return NULL;
	}
	plain[mlen] = '\0';
	return plain;
}

int key_dir_check(const char *dir, struct chobo_error *err)
{
	struct stat sb;
	if (lstat(dir, &sb) != 0)
		return chobo_fail_errno(err, errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "%s", dir);
	if (!S_ISDIR(sb.st_mode) || (sb.st_mode & 077) != 0)
		return chobo_fail(err, EX_NOPERM, "%s: the directory of secret keys must be one that only its owner "
				  "can use (chmod 700 %s)", dir, dir);
	if (sb.st_uid != geteuid() && sb.st_uid != 0)
		return chobo_fail(err, EX_NOPERM, "%s: the directory of secret keys must belong to the user who "
				  "uses it (or root)", dir);
	return 0;
}

bool key_is_encrypted(const char *path)
{
	char head[sizeof ENCRYPTED_PREFIX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, head, sizeof head - 1);
	close(fd);
	return n == (ssize_t)sizeof head - 1 && memcmp(head, ENCRYPTED_PREFIX, sizeof head - 1) == 0;
}

int key_load(const char *path, struct note_signer *out, struct chobo_error *err)
{
	int rc = 0;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		return chobo_fail_errno(err, errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "%s", path);
	}
	char *text = read_secret(path, fd, &len, &rc, true, err);
	close(fd);
	if (!text)
		return rc;
	if (strncmp(text, ENCRYPTED_PREFIX, strlen(ENCRYPTED_PREFIX)) == 0) {
		char *plain = decrypt_key(path, text, &rc, err);
		sodium_free(text);
		if (!plain)
			return rc;
		text = plain;
	}
	const char *why;
	/* Keep the secret out of swap while it is in use. */
	sodium_mlock(out, sizeof *out);
	bool ok = note_skey_parse(text, out, &why);
	sodium_free(text);
	if (!ok) {
		note_signer_clear(out);
		return chobo_fail(err, EX_CONFIG, "%s: %s", path, why);
	}
	return 0;
}

int trust_load_file(struct trust *t, const char *path, struct chobo_error *err)
{
	size_t len;
	char *text = read_file(path, 1 << 20, &len);
	if (!text) {
		return chobo_fail_errno(err, EX_NOINPUT, "%s", path);
	}
	unsigned long lineno = 0;
	int rc = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line += strspn(line, " \t");
		size_t l = strlen(line);
		while (l > 0 && (line[l - 1] == ' ' || line[l - 1] == '\t' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		struct note_verifier v;
		const char *why;
		if (!note_vkey_parse(line, &v, &why)) {
			rc = chobo_fail(err, EX_CONFIG, "%s:%lu: %s", path, lineno, why);
			break;
		}
		t->keys = xrealloc(t->keys, (t->n + 1) * sizeof *t->keys);
		t->keys[t->n++] = v;
	}
	free(text);
	return rc;
}

static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int trust_load_dir(struct trust *t, const char *dir, struct chobo_error *err)
{
	struct dirent **names;
	int n = scandir(dir, &names, visible, name_order);
	if (n < 0) {
		return chobo_fail_errno(err, EX_NOINPUT, "%s", dir);
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char *path = path_join(dir, names[i]->d_name);
		struct stat sb;
		if (rc == 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			rc = trust_load_file(t, path, err);
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

void trust_free(struct trust *t)
{
	free(t->keys);
	t->keys = NULL;
	t->n = 0;
}
