/* The QR code of a chobo payload, with libqrencode: one alphanumeric segment at level Q. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <qrencode.h>

#include "qr_code.h"

static bool alnum_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c != '\0' && strchr(" $%*+-./:", c));
}

bool qr_alnum_valid(const char *s, size_t len, char *err, size_t errlen)
{
	if (len == 0) {
		snprintf(err, errlen, "the payload is empty");
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (alnum_char(c))
			continue;
		if (c >= 0x21 && c < 0x7f)
			snprintf(err, errlen, "character '%c' at offset %zu is not in the QR alphanumeric "
				"alphabet (0-9 A-Z space $%%*+-./:)", c, i);
		else
			snprintf(err, errlen, "byte 0x%02x at offset %zu is not in the QR alphanumeric "
				"alphabet (0-9 A-Z space $%%*+-./:)", c, i);
		return false;
	}
	return true;
}

int qr_code_encode(struct qr_code *qr, const char *payload, int max_version,
	struct chobo_error *err)
{
	size_t len = strlen(payload);
	memset(qr, 0, sizeof *qr);
	if (max_version < 1 || max_version > QR_VERSION_MAX)
		return chobo_fail(err, EX_USAGE, "maximum QR version %d is not in 1..%d",
			max_version, QR_VERSION_MAX);
	char why[200];
	if (!qr_alnum_valid(payload, len, why, sizeof why))
		return chobo_fail(err, EX_DATAERR, "%s", why);
	if (len > 4296)  /* more than any QR symbol holds (version 40-L); keeps the int below exact */
		return chobo_fail(err, EX_DATAERR, "a payload of %zu characters fits no QR version "
			"at level Q (version 40 holds 2420)", len);

	/*
	 * One explicit alphanumeric segment: QRcode_encodeString() would split
	 * digit runs into numeric segments, and the capacity chobo promises is
	 * that of a single alphanumeric segment.  Version 0 lets libqrencode
	 * choose the smallest version that holds the data.
	 */
	QRinput *input = QRinput_new2(0, QR_ECLEVEL_Q);
	if (!input)
		return chobo_fail_errno(err, EX_OSERR, "QR input");
	if (QRinput_append(input, QR_MODE_AN, (int)len, (const unsigned char *)payload) != 0) {
		int e = errno;
		QRinput_free(input);
		errno = e;
		return chobo_fail_errno(err, e == ENOMEM ? EX_OSERR : EX_DATAERR, "QR alphanumeric segment");
	}
	QRcode *code = QRcode_encodeInput(input);
	int saved = errno;
	QRinput_free(input);
	if (!code) {
		if (saved == ERANGE)
			return chobo_fail(err, EX_DATAERR, "a payload of %zu characters fits no QR version "
				"at level Q (version 40 holds 2420)", len);
		errno = saved;
		return chobo_fail_errno(err, saved == ENOMEM ? EX_OSERR : EX_SOFTWARE, "QR encoding");
	}
	if (code->version > max_version) {
		int rc = chobo_fail(err, EX_DATAERR, "a payload of %zu characters needs QR version %d at "
			"level Q; the maximum is %d", len, code->version, max_version);
		QRcode_free(code);
		return rc;
	}
	size_t n = (size_t)code->width * (size_t)code->width;
	qr->dark = malloc(n);
	if (!qr->dark) {
		QRcode_free(code);
		return chobo_fail_errno(err, EX_OSERR, "QR matrix");
	}
	/* libqrencode keeps other flags in the upper bits; bit 0 is the module's colour. */
	for (size_t i = 0; i < n; i++)
		qr->dark[i] = code->data[i] & 1;
	qr->version = code->version;
	qr->width = code->width;
	qr->length = len;
	QRcode_free(code);
	return 0;
}

bool qr_code_dark(const struct qr_code *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return false;
	return qr->dark[(size_t)y * (size_t)qr->width + (size_t)x] != 0;
}

void qr_code_free(struct qr_code *qr)
{
	free(qr->dark);
	qr->dark = NULL;
}
