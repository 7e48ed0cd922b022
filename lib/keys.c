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

#include "keys.h"
#include "util.h"

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

int key_load(const char *path, struct note_signer *out)
{
	struct stat sb;
	char buf[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		chobo_warn_errno("%s", path);
		return errno == ENOENT ? EX_NOINPUT : EX_NOPERM;
	}
	if (fstat(fd, &sb) != 0) {
		chobo_warn_errno("%s", path);
		close(fd);
		return EX_IOERR;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0) {
		chobo_warn("%s: secret key must be a regular file that only its owner can read "
			   "(chmod 600 %s)", path, path);
		close(fd);
		return EX_NOPERM;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		chobo_warn_errno("%s", path);
		return EX_IOERR;
	}
	buf[n] = '\0';
	const char *why;
	bool ok = note_skey_parse(buf, out, &why);
	sodium_memzero(buf, sizeof buf);
	if (!ok) {
		chobo_warn("%s: %s", path, why);
		return EX_CONFIG;
	}
	return 0;
}

int trust_load_file(struct trust *t, const char *path)
{
	size_t len;
	char *text = read_file(path, 1 << 20, &len);
	if (!text) {
		chobo_warn_errno("%s", path);
		return EX_NOINPUT;
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
			chobo_warn("%s:%lu: %s", path, lineno, why);
			rc = EX_CONFIG;
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

int trust_load_dir(struct trust *t, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, visible, name_order);
	if (n < 0) {
		chobo_warn_errno("%s", dir);
		return EX_NOINPUT;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char *path = path_join(dir, names[i]->d_name);
		struct stat sb;
		if (rc == 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			rc = trust_load_file(t, path);
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
