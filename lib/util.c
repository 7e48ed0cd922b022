#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>

#include "util.h"

const char *chobo_progname = "chobo";
bool chobo_quiet;

static void vwarn(const char *fmt, va_list ap, int err)
{
	fprintf(stderr, "%s: ", chobo_progname);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void chobo_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap, 0);
	va_end(ap);
}

void chobo_warn_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap, err);
	va_end(ap);
}

void chobo_info(const char *fmt, ...)
{
	va_list ap;
	if (chobo_quiet)
		return;
	va_start(ap, fmt);
	vwarn(fmt, ap, 0);
	va_end(ap);
}

void chobo_die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap, 0);
	va_end(ap);
	exit(code);
}

static int vfail(struct chobo_error *err, int code, int errnum, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->batch_entry = 0;
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
	return code;
}

int chobo_fail(struct chobo_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int chobo_fail_errno(struct chobo_error *err, int code, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vfail(err, code, errnum, fmt, ap);
	va_end(ap);
	return code;
}

int chobo_fail_context(struct chobo_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	struct chobo_error reason = *err;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	/* Then ": reason", cut to fit. */
	size_t used = n < 0 ? 0 : (size_t)n < sizeof err->msg ? (size_t)n : sizeof err->msg - 1;
	const char *tail[] = {": ", reason.msg};
	for (int k = 0; k < 2; k++) {
		size_t len = strlen(tail[k]), room = sizeof err->msg - 1 - used;
		memcpy(err->msg + used, tail[k], len < room ? len : room);
		used += len < room ? len : room;
	}
	err->msg[used] = '\0';
	return code;
}

int chobo_fail_entry(struct chobo_error *err, int code, uint64_t n, const char *fmt, ...)
{
	char reason[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	chobo_fail(err, code, "batch entry %llu: %s", (unsigned long long)n, reason);
	if (err)
		err->batch_entry = n;
	return code;
}

int chobo_fail_entry_context(struct chobo_error *err, int code, uint64_t n, const char *what)
{
	chobo_fail_context(err, code, "batch entry %llu (%s)", (unsigned long long)n, what);
	if (err)
		err->batch_entry = n;
	return code;
}

uint64_t chobo_limit(const char *name, uint64_t builtin)
{
	char var[64];
	uint64_t v;
	snprintf(var, sizeof var, "CHOBO_LIMIT_%s", name);
	const char *text = getenv(var);
	if (!text || !*text)
		return builtin;
	if (!parse_u64(text, &v) || v == 0 || v > builtin) {
		chobo_warn("%s=%s ignored: a bound may only be lowered (from %llu)", var, text,
			   (unsigned long long)builtin);
		return builtin;
	}
	return v;
}

void xalloc_failed(void)
{
	chobo_die(EX_OSERR, "out of memory");
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		xalloc_failed();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		xalloc_failed();
	return p;
}

char *put_decimal(char *p, uint64_t v)
{
	/* By hand: snprintf was several % of an ingest's instructions. */
	char d[20];
	size_t n = 0;
	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = d[--n];
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		xalloc_failed();
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		xalloc_failed();
	return p;
}

void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

uint64_t string_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211u;
	return h;
}

bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

size_t utf8_bom_length(const char *s, size_t len)
{
	return len >= 3 && memcmp(s, UTF8_BOM, 3) == 0 ? 3 : 0;
}

size_t utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n <= max)
		return n;
	/* s[max] is the first byte cut off: step back while it continues the character before. */
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; n--)
		;
	return n;
}

char utf8_fullwidth_ascii(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	/* U+FF01..U+FF3F is EF BC 81..BF, U+FF40..U+FF5E is EF BD 80..9E: ASCII 0x21..0x7E. */
	if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x81 && p[2] <= 0xBF)
		return (char)(p[2] - 0x81 + 0x21);
	if (p[0] == 0xEF && p[1] == 0xBD && p[2] >= 0x80 && p[2] <= 0x9E)
		return (char)(p[2] - 0x80 + 0x60);
	return 0;
}

size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
	if (len == 0)
		return 0;
	uint8_t c = s[0];
	size_t n;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1; v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2; v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3; v = c & 0x07;
	} else {
		return 0;
	}
	if (len - 1 < n)
		return 0;
	for (size_t k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	/* Overlong forms, surrogates and what lies past U+10FFFF are not UTF-8. */
	if ((n == 1 && v < 0x80) || (n == 2 && v < 0x800) || (n == 3 && v < 0x10000) || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n + 1;
}

bool utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		/* Most entries are mostly ASCII: skip it eight bytes at a time. */
		while (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &se))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || se > 60)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return false;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int64_t offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return false;
		offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return false;
	}
	if (*p != '\0')
		return false;
	if (se == 60)
		se = 59;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
	return true;
}

void time_format(char out[21], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		snprintf(out, 21, "1970-01-01T00:00:00Z");
}

bool chobo_now(int64_t *out)
{
	const char *fixed = getenv("CHOBO_NOW");
	if (fixed && *fixed)
		return time_parse(fixed, out);
	*out = (int64_t)time(NULL);
	return true;
}

bool write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

int file_sha256(const char *path, uint8_t out[32], struct chobo_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return chobo_fail_errno(err, EX_NOINPUT, "%s", path);
	crypto_hash_sha256_state st;
	uint8_t buf[65536];
	ssize_t n;
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = chobo_fail_errno(err, EX_NOINPUT, "%s", path);
			close(fd);
			return rc;
		}
		crypto_hash_sha256_update(&st, buf, (size_t)n);
	}
	close(fd);
	crypto_hash_sha256_final(&st, out);
	return 0;
}

char *read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, used = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (used == cap) {
			if (cap >= max) {
				free(buf);
				close(fd);
				errno = EFBIG;
				return NULL;
			}
			cap = cap * 2 > max ? max : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			free(buf);
			close(fd);
			errno = err;
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
}

bool fsync_path(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return false;
	bool ok = fsync(fd) == 0;
	int e = errno;
	close(fd);
	errno = e;
	return ok;
}

bool fsync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xmalloc((size_t)(slash - path) + 2) : NULL;
	if (dir) {
		size_t n = slash == path ? 1 : (size_t)(slash - path);
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	bool ok = fsync_path(dir ? dir : ".", O_DIRECTORY);
	int err = errno;
	free(dir);
	errno = err;
	return ok;
}

bool write_file_atomic(const char *path, const void *buf, size_t len, int mode)
{
	size_t n = strlen(path) + 16;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return false;
	}
	bool ok = fchmod(fd, (mode_t)mode) == 0 && write_all(fd, buf, len) &&
		  fsync(fd) == 0;
	int err = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
		err = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		err = errno;
	}
	if (!ok)
		unlink(tmp);
	free(tmp);
	errno = err;
	return ok;
}

/*
 * The temporary file of the replacement being written, removed when a
 * signal that ends a job (a timer's stop, a closed terminal, ^C) ends the
 * process first: a nightly backup directory must not gather FILE.tmpXXXXXX.
 */
static char *volatile replacing;

static void replacing_signal(int sig)
{
	char *tmp = replacing;
	if (tmp)
		unlink(tmp);
	/* Then the signal's own ending, so the status says what happened. */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Catch those signals once, each unless it is ignored (nohup), which it stays. */
static void replacing_catch(void)
{
	static bool caught;
	static const int sigs[] = {SIGTERM, SIGHUP, SIGINT};
	if (caught)
		return;
	caught = true;
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		struct sigaction sa, old;
		if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = replacing_signal;
		sigemptyset(&sa.sa_mask);
		/* Where this fails, such a signal leaves the file behind, as before. */
		(void)sigaction(sigs[i], &sa, NULL);
	}
}

/* The process's umask, which can be read only by setting it: 077 meanwhile, the safe side. */
static mode_t current_umask(void)
{
	mode_t mask = umask(077);
	umask(mask);
	return mask;
}

int replace_open(struct replacement *r, const char *path, int mode, struct chobo_error *err)
{
	size_t n = strlen(path) + 16;
	r->path = path;
	r->fp = NULL;
	r->tmp = xmalloc(n);
	snprintf(r->tmp, n, "%s.tmpXXXXXX", path);
	int fd = mkstemp(r->tmp);
	if (fd < 0) {
		int rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", path);
		free(r->tmp);
		r->tmp = NULL;
		return rc;
	}
	/* mkstemp made it 0600 whatever the umask; the file gets mode as open(2) would give it. */
	if (fchmod(fd, (mode_t)mode & ~current_umask()) != 0 || !(r->fp = fdopen(fd, "wb"))) {
		int rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", r->tmp);
		close(fd);
		replace_abort(r);
		return rc;
	}
	replacing = r->tmp;
	replacing_catch();
	return 0;
}

int replace_commit(struct replacement *r, struct chobo_error *err)
{
	int rc = 0;
	if (fflush(r->fp) != 0 || ferror(r->fp) || fsync(fileno(r->fp)) != 0)
		rc = chobo_fail_errno(err, EX_IOERR, "%s", r->tmp);
	if (fclose(r->fp) != 0 && rc == 0)
		rc = chobo_fail_errno(err, EX_IOERR, "%s", r->tmp);
	r->fp = NULL;
	if (rc == 0 && rename(r->tmp, r->path) != 0)
		rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", r->path);
	if (rc != 0) {
		replace_abort(r);
		return rc;
	}
	if (replacing == r->tmp)
		replacing = NULL;
	free(r->tmp);
	r->tmp = NULL;
	return 0;
}

void replace_abort(struct replacement *r)
{
	if (r->fp)
		fclose(r->fp);
	r->fp = NULL;
	if (replacing == r->tmp)
		replacing = NULL;
	if (r->tmp)
		unlink(r->tmp);
	free(r->tmp);
	r->tmp = NULL;
}

int copy_stream(FILE *from, FILE *to, uint64_t max)
{
	char buf[1 << 16];
	size_t n;
	uint64_t total = 0;
	while ((n = fread(buf, 1, sizeof buf, from)) > 0) {
		if ((total += n) > max)
			return 3;
		if (fwrite(buf, 1, n, to) != n)
			return 2;
	}
	if (ferror(from))
		return 1;
	return fflush(to) != 0 || ferror(to) ? 2 : 0;
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int scratch_file(FILE **out, struct chobo_error *err)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	char *path = path_join(dir, "chobo.XXXXXX");
	int fd = mkstemp(path);
	int rc = 0;
	*out = NULL;
	if (fd < 0) {
		rc = chobo_fail_errno(err, EX_CANTCREAT, "cannot create a scratch file in %s", dir);
	} else {
		unlink(path);
		/* Close-on-exec: a scratch file is never handed to ssh by accident. */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || !(*out = fdopen(fd, "w+b"))) {
			rc = chobo_fail_errno(err, EX_CANTCREAT, "cannot open a scratch file in %s", dir);
			close(fd);
		}
	}
	free(path);
	return rc;
}
