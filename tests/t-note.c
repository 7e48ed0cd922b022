/*
 * Signed notes, verifier and signer keys, cosignatures and checkpoints,
 * against the public vectors of tlog.md 6.3 - 6.5 (C2SP signed-note,
 * golang.org/x/mod sumdb/note, a real cosigned CT log checkpoint, RFC 8032)
 * and the format pitfalls of tlog.md 2 and 3.3.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "checkpoint.h"
#include "codec.h"
#include "merkle.h"
#include "note.h"
#include "util.h"
#include "tap.h"

#define EM "\xe2\x80\x94 " /* U+2014 and the space that starts every signature line */

/* C2SP signed-note example. */
#define FOO_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
/* The public key inside FOO_VKEY; tlog.md abbreviates it as e932791a...4da4. */
#define FOO_PUB "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4"
#define FOO_NOTE "This is an example message.\n\n" \
	EM "example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"

/* golang.org/x/mod sumdb/note. */
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_B64 "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
#define PETER_SIG EM "PeterNeumann " PETER_B64 "\n"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define ENOCH_SIG EM "EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
#define PETER_NOTE PETER_TEXT "\n" PETER_SIG

/* A real checkpoint of arche2025h1.staging.ct.transparency.dev with a witness cosignature. */
#define ARCHE_VKEY "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
#define REMORA_VKEY "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
#define ARCHE_ORIGIN "arche2025h1.staging.ct.transparency.dev"
#define ARCHE_ROOT "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro="
#define ARCHE_SIGS \
	EM ARCHE_ORIGIN " zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n" \
	EM ARCHE_ORIGIN " ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n" \
	EM "remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
#define ARCHE_NOTE ARCHE_ORIGIN "\n1432088532\n" ARCHE_ROOT "\n\n" ARCHE_SIGS
#define ARCHE_NOTE_42 ARCHE_ORIGIN "\n42\n" ARCHE_ROOT "\n\n" ARCHE_SIGS

#define EMPTY_ROOT_B64 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

/* Concatenate strings up to a NULL into a new buffer. */
static __attribute__((sentinel)) char *cat(const char *first, ...)
{
	va_list ap;
	size_t n = 0;
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		n += strlen(s);
	va_end(ap);
	char *out = xmalloc(n + 1), *p = out;
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *)) {
		size_t l = strlen(s);
		memcpy(p, s, l);
		p += l;
	}
	va_end(ap);
	*p = '\0';
	return out;
}

static struct note_verifier vkey(const char *s)
{
	struct note_verifier v;
	const char *why = NULL;
	if (!note_vkey_parse(s, &v, &why)) {
		printf("Bail out! cannot parse %s: %s\n", s, why ? why : "?");
		exit(1);
	}
	return v;
}

static bool verify1(const char *msg, const struct note_verifier *v, bool *verified)
{
	const char *why = NULL;
	bool local;
	return note_verify(msg, strlen(msg), v, 1, verified ? verified : &local, NULL, &why);
}

/* note_verify must fail and give a reason. */
static void rejects(const char *msg, size_t len, const struct note_verifier *keys, size_t nkeys,
		    const char *name)
{
	const char *why = NULL;
	bool verified[4];
	bool res = note_verify(msg, len, keys, nkeys, verified, NULL, &why);
	ok(!res && why != NULL, "rejected: %s", name);
	if (res)
		diag("accepted");
	else if (why)
		diag("why: %s", why);
}

static void test_key_id(void)
{
	uint8_t pub[32], buf[64], h[32];
	size_t n = 0;
	char hex[17];

	hex_decode(pub, 32, FOO_PUB);
	memcpy(buf, "example.com/foo\n\x01", 17);
	memcpy(buf + 17, pub, 32);
	n = 17 + 32;
	crypto_hash_sha256(h, buf, n);
	tap_hex(hex, h, 8);
	is_str(hex, "530d903a7ea3df86", "key ID worked example: SHA-256 prefix");
	is_u64(note_key_id("example.com/foo", NOTE_TYPE_ED25519, pub), 0x530d903a,
	       "note_key_id(example.com/foo, 0x01)");

	uint8_t sig[80];
	const char *b64 = "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=";
	long got = b64_decode(b64, strlen(b64), sig, sizeof sig);
	ok(got == 68 && get_be32(sig) == 0x530d903a, "example signature: 68 bytes starting with the key ID");
}

static void test_vkeys(void)
{
	struct note_verifier v;
	const char *why = NULL;
	char *s;
	uint8_t pub[32];

	ok(note_vkey_parse(FOO_VKEY, &v, &why), "parse vkey example.com/foo");
	hex_decode(pub, 32, FOO_PUB);
	ok(strcmp(v.name, "example.com/foo") == 0 && v.id == 0x530d903a &&
	   v.type == NOTE_TYPE_ED25519 && memcmp(v.pub, pub, 32) == 0,
	   "example.com/foo: name, ID, type 0x01, key");
	s = note_vkey_format(&v);
	is_str(s, FOO_VKEY, "example.com/foo vkey formats back identically");
	free(s);

	ok(note_vkey_parse(PETER_VKEY, &v, &why), "parse vkey PeterNeumann");
	ok(strcmp(v.name, "PeterNeumann") == 0 && v.id == 0xc74f20a3 && v.type == NOTE_TYPE_ED25519,
	   "PeterNeumann: name, ID, type 0x01");
	s = note_vkey_format(&v);
	is_str(s, PETER_VKEY, "PeterNeumann vkey formats back identically");
	free(s);

	/*
	 * The base64 of this key contains '+': only the first two '+' separate
	 * the fields.  It decodes to 01 07 02 f8..., an ordinary Ed25519 key whose
	 * ID matches, so it must parse.
	 */
	const char *test_vkey = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6";
	ok(note_vkey_parse(test_vkey, &v, &why), "parse vkey TEST+7997405c with '+' in its base64");
	ok(strcmp(v.name, "TEST") == 0 && v.id == 0x7997405c && v.type == NOTE_TYPE_ED25519 &&
	   v.pub[0] == 0x07 && v.pub[1] == 0x02 && v.pub[31] == 0xfa,
	   "TEST: name, ID, type 0x01, key 0702...fa");
	s = note_vkey_format(&v);
	is_str(s, test_vkey, "TEST vkey formats back identically");
	free(s);

	/* The same key relabelled with an unknown type 0x07 and a matching ID must still be refused. */
	{
		uint8_t raw[33];
		raw[0] = 0x07;
		memcpy(raw + 1, v.pub, 32);
		char *b = b64_encode(raw, sizeof raw);
		char buf[128];
		snprintf(buf, sizeof buf, "TEST+%08x+%s", (unsigned)note_key_id("TEST", 0x07, v.pub), b);
		why = NULL;
		ok(!note_vkey_parse(buf, &v, &why) && why, "type 0x07 vkey with a matching ID rejected");
		free(b);
	}

	/* golang.org/x/mod's bad keys, each with an ID recomputed to match. */
	why = NULL;
	ok(!note_vkey_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", &v, &why) && why,
	   "vkey with a 36-byte key rejected");
	why = NULL;
	ok(!note_vkey_parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v, &why) && why,
	   "vkey of unknown algorithm 0x65 rejected");
	why = NULL;
	ok(!note_vkey_parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v, &why) && why,
	   "vkey with a wrong key ID rejected");
	why = NULL;
	ok(!note_vkey_parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v, &why) && why,
	   "vkey with a space in its name rejected");
	/* A 0x04 key's ID written for a 0x01 key (what transparency-dev/formats lets through). */
	why = NULL;
	ok(!note_vkey_parse("remora.n621.de+da77ade7+AevN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", &v, &why) && why,
	   "0x01 vkey carrying the 0x04 key ID rejected");

	/* Every proper substring and every one-character change of a vkey fails (x/mod TestNewVerifier). */
	{
		char b[sizeof PETER_VKEY];
		size_t len = strlen(PETER_VKEY);
		unsigned long accepted = 0;
		for (size_t i = 0; i <= len; i++)
			for (size_t j = i; j <= len; j++) {
				if (i == 0 && j == len)
					continue;
				memcpy(b, PETER_VKEY + i, j - i);
				b[j - i] = '\0';
				if (note_vkey_parse(b, &v, &why) && !accepted++)
					diag("accepted %s", b);
			}
		memcpy(b, PETER_VKEY, len + 1);
		for (size_t i = 0; i < len; i++) {
			b[i]++;
			if (note_vkey_parse(b, &v, &why) && !accepted++)
				diag("accepted %s", b);
			b[i]--;
		}
		ok(accepted == 0, "no substring or one-character change of a vkey is accepted");
	}

	ok(note_name_valid("chobo.tama.example/hachioji-1"), "ASCII origin is a valid key name");
	ok(!note_name_valid(""), "empty key name invalid");
	ok(!note_name_valid("a b"), "key name with a space invalid");
	ok(!note_name_valid("a+b"), "key name with '+' invalid");
	ok(!note_name_valid("a\tb"), "key name with a tab invalid");
	ok(!note_name_valid("a\xe3\x80\x80" "b"), "key name with U+3000 invalid");
	ok(!note_name_valid("a\xc2\xa0" "b"), "key name with U+00A0 invalid");
	ok(!note_name_valid("a\xffz"), "key name with invalid UTF-8 invalid");
}

static void test_skey_and_signing(void)
{
	struct note_signer s;
	struct note_verifier v = vkey(PETER_VKEY);
	const char *why = NULL;
	char *line, *str;

	ok(note_skey_parse(PETER_SKEY, &s, &why), "parse skey PRIVATE+KEY+PeterNeumann");
	ok(strcmp(s.pub.name, "PeterNeumann") == 0 && s.pub.id == 0xc74f20a3 &&
	   s.pub.type == NOTE_TYPE_ED25519 && memcmp(s.pub.pub, v.pub, 32) == 0,
	   "skey derives the public key of the PeterNeumann vkey");
	str = note_skey_format(&s);
	is_str(str, PETER_SKEY, "skey formats back identically");
	sodium_memzero(str, strlen(str));
	free(str);

	line = note_signature_line(&s, PETER_TEXT, strlen(PETER_TEXT));
	is_str(line, PETER_SIG, "signing the PeterNeumann text reproduces the x/mod signature line");
	free(line);
	note_signer_clear(&s);

	why = NULL;
	ok(!note_skey_parse("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", &s, &why) && why,
	   "skey with a wrong key ID rejected");
	why = NULL;
	ok(!note_skey_parse(PETER_VKEY, &s, &why) && why, "a vkey is not an skey");
}

static void test_notes(void)
{
	struct note_verifier foo = vkey(FOO_VKEY), peter = vkey(PETER_VKEY), enoch = vkey(ENOCH_VKEY);
	struct note_verifier both[2] = { peter, enoch };
	bool verified[2];
	const char *why = NULL;
	struct note_parts parts;
	char *msg;

	ok(note_split(FOO_NOTE, strlen(FOO_NOTE), &parts, &why) && parts.nsigs == 1 &&
	   parts.text_len == strlen("This is an example message.\n"),
	   "example.com/foo note splits into its text and one signature");
	ok(verify1(FOO_NOTE, &foo, &verified[0]) && verified[0], "example.com/foo note verifies");
	ok(verify1(PETER_NOTE, &peter, &verified[0]) && verified[0], "PeterNeumann note verifies");

	msg = cat(PETER_TEXT, "\n", PETER_SIG, ENOCH_SIG, NULL);
	ok(note_verify(msg, strlen(msg), both, 2, verified, NULL, &why) && verified[0] && verified[1],
	   "note signed by PeterNeumann and EnochRoot: both verify");
	free(msg);
	msg = cat(PETER_TEXT, "\n", ENOCH_SIG, NULL);
	ok(verify1(msg, &enoch, &verified[0]) && verified[0], "EnochRoot signature alone verifies");
	free(msg);

	/* Duplicates by one key are ignored rather than rejected. */
	msg = cat(PETER_NOTE, PETER_SIG, NULL);
	ok(verify1(msg, &peter, &verified[0]) && verified[0], "repeated signature line accepted");
	free(msg);

	/* Unknown (name, ID) pairs are ignored, even when only one of the two differs. */
	msg = cat(PETER_TEXT, "\n",
		  EM "someone.example/log AAAAAAEAAQID\n",
		  EM "PeterNeumann AAAAAAEAAQID\n",             /* right name, other ID */
		  EM "PeterNeumannX " PETER_B64 "\n",           /* right ID, other name */
		  PETER_SIG,
		  EM "EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n",
		  NULL);
	ok(verify1(msg, &peter, &verified[0]) && verified[0], "lines by unknown keys are ignored");
	free(msg);

	/* No trusted signature at all: the note is well formed, but nothing is verified. */
	msg = cat(PETER_TEXT, "\n", ENOCH_SIG, NULL);
	ok(verify1(msg, &peter, &verified[0]) && !verified[0],
	   "note signed only by an unknown key: accepted as a note, no key verified");
	free(msg);
	ok(verify1(FOO_NOTE, &peter, &verified[0]) && !verified[0],
	   "example.com/foo note checked with the PeterNeumann key: no key verified");

	/* A bad signature by a known key rejects the whole note. */
	{
		uint8_t raw[68];
		b64_decode(PETER_B64, strlen(PETER_B64), raw, sizeof raw);
		raw[40] ^= 0x01;
		char *b = b64_encode(raw, sizeof raw);
		msg = cat(PETER_TEXT, "\n", EM "PeterNeumann ", b, "\n", NULL);
		rejects(msg, strlen(msg), &peter, 1, "bad signature by a known key");
		free(msg);
		msg = cat(PETER_TEXT, "\n", ENOCH_SIG, EM "PeterNeumann ", b, "\n", NULL);
		rejects(msg, strlen(msg), both, 2, "bad signature by a known key after a good one");
		free(msg);
		free(b);
		/* A truncated signature by a known key is a bad signature too. */
		b = b64_encode(raw, 20);
		msg = cat(PETER_TEXT, "\n", EM "PeterNeumann ", b, "\n", NULL);
		rejects(msg, strlen(msg), &peter, 1, "short signature by a known key");
		free(msg);
		/* As in x/mod, repeats by a key that already verified are skipped unchecked. */
		msg = cat(PETER_NOTE, EM "PeterNeumann ", b, "\n", NULL);
		ok(verify1(msg, &peter, &verified[0]) && verified[0],
		   "bad repeat after a good signature by the same key ignored");
		free(msg);
		free(b);
	}
	msg = cat("If you think cryptography is the answer to your problem,\n"
		  "then you don't know what your problem is!\n\n", PETER_SIG, NULL);
	rejects(msg, strlen(msg), &peter, 1, "changed text");
	free(msg);

	/* The malformed notes of x/mod note_test.go and tlog.md 2.1. */
	rejects(PETER_TEXT, strlen(PETER_TEXT), &peter, 1, "no signatures");
	msg = cat(PETER_TEXT, "\n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "no signatures after the blank line");
	free(msg);
	rejects(PETER_NOTE, strlen(PETER_NOTE) - 1, &peter, 1, "missing final newline");
	msg = cat("\x01", PETER_NOTE, NULL);
	rejects(msg, strlen(msg), &peter, 1, "control byte 0x01");
	free(msg);
	msg = cat("\xff", PETER_NOTE, NULL);
	rejects(msg, strlen(msg), &peter, 1, "invalid UTF-8 byte 0xFF");
	free(msg);
	msg = cat(PETER_TEXT, "\n", EM "Peter Neumann " PETER_B64 "\n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "signer name with a space");
	free(msg);
	msg = cat(PETER_NOTE, "hello\n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "non-signature line after the signatures");
	free(msg);
	msg = cat("If you think cryptography is the answer to your problem,\r\n"
		  "then you don't know what your problem is.\r\n\r\n" EM "PeterNeumann " PETER_B64 "\r\n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "CRLF line ends");
	free(msg);
	msg = cat(PETER_TEXT, "\n- PeterNeumann " PETER_B64 "\n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "'-' instead of the em dash");
	free(msg);
	msg = cat(PETER_TEXT, "\n", "\xe2\x80\x94PeterNeumann " PETER_B64 "\n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "no space after the em dash");
	free(msg);
	msg = cat(PETER_TEXT, "\n\n", PETER_SIG, NULL);
	rejects(msg, strlen(msg), &peter, 1, "extra blank line before the signatures");
	free(msg);
	msg = cat(PETER_TEXT, "\n", EM "PeterNeumann \n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "empty signature");
	free(msg);
	msg = cat(PETER_TEXT, "\n", EM "PeterNeumann AAAA\n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "signature shorter than 5 bytes");
	free(msg);
	msg = cat(PETER_TEXT, "\n", EM "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n", NULL);
	rejects(msg, strlen(msg), &peter, 1, "non-canonical base64 signature");
	free(msg);
	msg = cat("tab\there\n\n", PETER_SIG, NULL);
	rejects(msg, strlen(msg), &peter, 1, "TAB in the text");
	free(msg);
	{
		/* A NUL byte cannot hide the rest of a note from the checks. */
		char nul[] = PETER_NOTE;
		nul[3] = '\0';
		rejects(nul, sizeof nul - 1, &peter, 1, "NUL byte in the text");
	}

	/*
	 * Texts with forbidden bytes, correctly signed by a trusted key: only the
	 * syntax rules can reject these.
	 */
	{
		static const struct {
			const char *text;
			size_t len;
			const char *name;
		} forbidden[] = {
			{ "\x01hello\n", 7, "control byte 0x01 in signed text" },
			{ "\xffhello\n", 7, "invalid UTF-8 0xFF in signed text" },
			{ "tab\there\n", 9, "TAB in signed text" },
			{ "cr\r\nhere\n", 9, "CR in signed text" },
			{ "nul\0here\n", 9, "NUL in signed text" },
			{ "\xc0\xafslash\n", 8, "overlong UTF-8 in signed text" },
			{ "\xed\xa0\x80surrogate\n", 13, "UTF-16 surrogate in signed text" },
		};
		struct note_signer ps;
		note_skey_parse(PETER_SKEY, &ps, &why);
		for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
			char *line = note_signature_line(&ps, forbidden[i].text, forbidden[i].len);
			size_t llen = strlen(line), len = forbidden[i].len + 1 + llen;
			char *note = xmalloc(len);
			memcpy(note, forbidden[i].text, forbidden[i].len);
			note[forbidden[i].len] = '\n';
			memcpy(note + forbidden[i].len + 1, line, llen);
			rejects(note, len, &peter, 1, forbidden[i].name);
			free(note);
			free(line);
		}
		/* The same construction with a clean text verifies, so the rejections above are syntax. */
		char *line = note_signature_line(&ps, "hello\n", 6);
		msg = cat("hello\n\n", line, NULL);
		ok(verify1(msg, &peter, &verified[0]) && verified[0], "clean text signed the same way verifies");
		free(msg);
		free(line);
		note_signer_clear(&ps);
	}
}

/* C2SP requires at least 16 signature lines to be accepted; x/mod stops at 100. */
static void test_many_signatures(void)
{
	enum { NSIGNERS = 16 };
	struct note_signer s[NSIGNERS];
	struct note_verifier v[NSIGNERS];
	bool verified[NSIGNERS];
	const char *text = "many.example/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	const char *why = NULL;
	size_t cap = 64 * 1024, len;
	char *msg = xmalloc(cap);

	len = (size_t)snprintf(msg, cap, "%s\n", text);
	for (int i = 0; i < NSIGNERS; i++) {
		char name[32];
		snprintf(name, sizeof name, "signer%02d.example", i);
		note_signer_generate(name, NOTE_TYPE_ED25519, &s[i]);
		v[i] = s[i].pub;
		char *line = note_signature_line(&s[i], text, strlen(text));
		len += (size_t)snprintf(msg + len, cap - len, "%s", line);
		free(line);
	}
	bool all = note_verify(msg, len, v, NSIGNERS, verified, NULL, &why);
	for (int i = 0; i < NSIGNERS; i++)
		all = all && verified[i];
	ok(all, "16 signature lines by 16 trusted keys all verify");

	/* Pad with lines by keys nobody trusts, up to the limit and one past it. */
	struct note_signer other;
	note_signer_generate("stranger.example", NOTE_TYPE_ED25519, &other);
	char *line = note_signature_line(&other, text, strlen(text));
	for (int i = NSIGNERS; i < NOTE_MAX_SIGNATURES; i++)
		len += (size_t)snprintf(msg + len, cap - len, "%s", line);
	all = note_verify(msg, len, v, NSIGNERS, verified, NULL, &why);
	for (int i = 0; i < NSIGNERS; i++)
		all = all && verified[i];
	ok(all, "%d signature lines accepted", NOTE_MAX_SIGNATURES);
	len += (size_t)snprintf(msg + len, cap - len, "%s", line);
	rejects(msg, len, v, 1, "more than NOTE_MAX_SIGNATURES signature lines");
	free(line);
	free(msg);
	note_signer_clear(&other);
	for (int i = 0; i < NSIGNERS; i++)
		note_signer_clear(&s[i]);
}

static void test_real_cosignature(void)
{
	struct note_verifier keys[2] = { vkey(ARCHE_VKEY), vkey(REMORA_VKEY) };
	bool verified[2];
	uint64_t ts[2] = { 0, 0 };
	const char *why = NULL;
	struct checkpoint c;

	ok(keys[1].type == NOTE_TYPE_COSIGNATURE && keys[1].id == 0xda77ade7 &&
	   keys[1].pub[0] == 0xeb && keys[1].pub[31] == 0x36,
	   "remora.n621.de vkey: type 0x04, ID da77ade7, key eb...36");
	is_u64(note_key_id("remora.n621.de", NOTE_TYPE_COSIGNATURE, keys[1].pub), 0xda77ade7,
	       "cosigner key ID uses type byte 0x04");

	bool res = note_verify(ARCHE_NOTE, strlen(ARCHE_NOTE), keys, 2, verified, ts, &why);
	ok(res && verified[0] && verified[1],
	   "arche2025h1 checkpoint: log signature and remora cosignature verify, type 0x05 line ignored");
	if (!res)
		diag("why: %s", why);
	is_u64(ts[1], 1779573024, "remora cosignature timestamp");

	ok(verify1(ARCHE_NOTE, &keys[0], &verified[0]) && verified[0], "log key alone verifies");
	ok(verify1(ARCHE_NOTE, &keys[1], &verified[0]) && verified[0], "witness key alone verifies");

	ok(checkpoint_verify(ARCHE_NOTE, strlen(ARCHE_NOTE), keys, 2, &c, verified, &why) &&
	   verified[0] && verified[1],
	   "arche2025h1 checkpoint passes checkpoint_verify");
	ok(strcmp(c.origin, ARCHE_ORIGIN) == 0 && c.size == 1432088532, "arche2025h1 origin and size");
	char *b = b64_encode(c.root, 32);
	is_str(b, ARCHE_ROOT, "arche2025h1 root");
	free(b);

	rejects(ARCHE_NOTE_42, strlen(ARCHE_NOTE_42), keys, 2, "arche2025h1 with size 42 (both keys)");
	rejects(ARCHE_NOTE_42, strlen(ARCHE_NOTE_42), &keys[0], 1, "arche2025h1 with size 42 (log key)");
	rejects(ARCHE_NOTE_42, strlen(ARCHE_NOTE_42), &keys[1], 1, "arche2025h1 with size 42 (witness key)");
	ok(!checkpoint_verify(ARCHE_NOTE, strlen(ARCHE_NOTE), &keys[1], 1, &c, verified, &why),
	   "a cosignature alone does not make a checkpoint verify");

	/* The witness's key as a 0x01 key has another ID, so its cosignature line is not its own. */
	struct note_verifier as01 = keys[1];
	as01.type = NOTE_TYPE_ED25519;
	as01.id = note_key_id(as01.name, NOTE_TYPE_ED25519, as01.pub);
	char *vs = note_vkey_format(&as01);
	struct note_verifier parsed;
	ok(note_vkey_parse(vs, &parsed, &why) && parsed.type == NOTE_TYPE_ED25519,
	   "witness key as a 0x01 vkey parses");
	free(vs);
	ok(verify1(ARCHE_NOTE, &parsed, &verified[0]) && !verified[0],
	   "a 0x01 vkey does not verify a cosignature");

	/* A 0x01 key forced onto the cosigner's ID: the line is a bad Ed25519 signature. */
	as01.id = 0xda77ade7;
	rejects(ARCHE_NOTE, strlen(ARCHE_NOTE), &as01, 1, "0x01 key with the cosigner ID");
}

static void test_checkpoint_text(void)
{
	static const char good[] = "example.com/behind-the-sofa\n20852163\n"
				   "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	static const struct {
		const char *text;
		const char *name;
	} bad[] = {
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
		  "final newline missing" },
		{ "example.com/behind-the-sofa\r\n20852163\r\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\r\n",
		  "CRLF" },
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\r\n",
		  "CR after the root" },
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I= \n",
		  "trailing space after the root" },
		{ "example.com/behind-the-sofa\n0300\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		  "size 0300" },
		{ "example.com/behind-the-sofa\n+300\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		  "size +300" },
		{ "example.com/behind-the-sofa\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		  "size -1" },
		{ "example.com/behind-the-sofa\n 300\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		  "size with a leading space" },
		{ "example.com/behind-the-sofa\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		  "size 2^64 overflows" },
		{ "example.com/behind-the-sofa\n\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		  "empty size" },
		{ "example.com/behind-the-sofa\n20852163\n"
		  "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62\n",
		  "hex root" },
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
		  "non-canonical base64 root (trailing bits)" },
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
		  "unpadded base64 root" },
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2Iq\n",
		  "root of 33 bytes" },
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",
		  "URL-safe base64 root" },
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
		  "empty extension line at the end" },
		{ "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\next\n",
		  "empty line before an extension line" },
		{ "example.com/behind-the-sofa\n20852163\n", "two lines" },
		{ "\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "empty origin" },
		{ "example.com/behind the sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		  "origin with a space" },
		{ "", "empty text" },
	};
	struct checkpoint c;
	const char *why = NULL;

	ok(checkpoint_parse_text(good, strlen(good), &c, &why) &&
	   strcmp(c.origin, "example.com/behind-the-sofa") == 0 && c.size == 20852163 &&
	   c.root[0] == 0x0a && c.root[31] == 0x62,
	   "C2SP example checkpoint text parses");
	char *ext = cat(good, "extension line\n", "another\n", NULL);
	ok(checkpoint_parse_text(ext, strlen(ext), &c, &why) && c.size == 20852163,
	   "non-empty extension lines accepted");
	free(ext);
	static const char zero[] = "o.example\n0\n" EMPTY_ROOT_B64 "\n";
	ok(checkpoint_parse_text(zero, strlen(zero), &c, &why) && c.size == 0, "size 0 accepted");

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		bool res = checkpoint_parse_text(bad[i].text, strlen(bad[i].text), &c, &why);
		ok(!res && why, "checkpoint text rejected: %s", bad[i].name);
	}

	/* Generated text is what the parser accepts. */
	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "chobo.tama.example/hachioji-1");
	c.size = 0;
	merkle_empty_root(c.root);
	char *t = checkpoint_text(&c);
	is_str(t, "chobo.tama.example/hachioji-1\n0\n" EMPTY_ROOT_B64 "\n",
	       "empty tree checkpoint carries SHA-256(\"\") as its root");
	free(t);
}

static void test_checkpoint_sign(void)
{
	struct note_signer log, wit, other;
	struct checkpoint c, out;
	const char *why = NULL;
	bool verified[3];
	const char *origin = "chobo.tama.example/hachioji-1";

	ok(note_signer_generate(origin, NOTE_TYPE_ED25519, &log), "generate log key");
	ok(note_signer_generate("witness.tama.example/w1", NOTE_TYPE_COSIGNATURE, &wit),
	   "generate witness key");
	ok(!note_signer_generate("bad name", NOTE_TYPE_ED25519, &other), "no key with an invalid name");
	note_signer_generate("other.example/log", NOTE_TYPE_ED25519, &other);
	is_u64(wit.pub.id, note_key_id(wit.pub.name, NOTE_TYPE_COSIGNATURE, wit.pub.pub),
	       "witness key ID computed with type 0x04");

	/* Key strings round trip. */
	{
		struct note_signer s2;
		struct note_verifier v2;
		char *sk = note_skey_format(&wit), *vk = note_vkey_format(&wit.pub);
		ok(note_skey_parse(sk, &s2, &why) && memcmp(s2.sk, wit.sk, 64) == 0 &&
		   s2.pub.type == NOTE_TYPE_COSIGNATURE && s2.pub.id == wit.pub.id,
		   "witness skey round trip");
		ok(note_vkey_parse(vk, &v2, &why) && memcmp(&v2, &wit.pub, sizeof v2) == 0,
		   "witness vkey round trip");
		note_signer_clear(&s2);
		sodium_memzero(sk, strlen(sk));
		free(sk);
		free(vk);
	}

	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "%s", origin);
	c.size = 0;
	merkle_empty_root(c.root);
	char *note = checkpoint_sign(&c, &log);
	static const char head[] = "chobo.tama.example/hachioji-1\n0\n" EMPTY_ROOT_B64 "\n\n" EM "chobo.tama.example/hachioji-1 ";
	ok(strncmp(note, head, sizeof head - 1) == 0,
	   "signed empty checkpoint starts with its text and a signature line");
	ok(checkpoint_verify(note, strlen(note), &log.pub, 1, &out, verified, &why) && verified[0] &&
	   out.size == 0 && memcmp(out.root, c.root, 32) == 0 && strcmp(out.origin, origin) == 0,
	   "signed empty checkpoint verifies");
	free(note);

	c.size = 20852163;
	crypto_hash_sha256(c.root, (const uint8_t *)"some root", 9);
	note = checkpoint_sign(&c, &log);
	ok(checkpoint_verify(note, strlen(note), &log.pub, 1, &out, NULL, &why) &&
	   out.size == c.size && memcmp(out.root, c.root, 32) == 0,
	   "checkpoint_sign then checkpoint_verify round trip");
	ok(!checkpoint_verify(note, strlen(note), &other.pub, 1, &out, NULL, &why),
	   "checkpoint rejected without its log key");

	/* Pitfalls at the note level. */
	{
		size_t len = strlen(note);
		char *bad = cat(note, NULL);
		char *dash = strstr(bad, EM);
		bad[len - 1] = '\0';
		ok(!checkpoint_verify(bad, len - 1, &log.pub, 1, &out, NULL, &why), "signed checkpoint without its final newline rejected");
		bad[len - 1] = '\n';
		memmove(dash + 1, dash + 3, strlen(dash + 3) + 1);
		dash[0] = '-';
		ok(!checkpoint_verify(bad, strlen(bad), &log.pub, 1, &out, NULL, &why),
		   "signed checkpoint with '-' for the em dash rejected");
		free(bad);
		char *text = checkpoint_text(&c);
		bad = cat(text, "\n", note + strlen(text), NULL);
		ok(!checkpoint_verify(bad, strlen(bad), &log.pub, 1, &out, NULL, &why),
		   "signed checkpoint with an extra blank line rejected");
		free(bad);
		free(text);
	}

	/* A checkpoint signed by a key named differently from its origin. */
	{
		char *text = checkpoint_text(&c);
		char *line = note_signature_line(&other, text, strlen(text));
		char *bad = cat(text, "\n", line, NULL);
		ok(!checkpoint_verify(bad, strlen(bad), &other.pub, 1, &out, verified, &why) && verified[0],
		   "valid signature by a key not named after the origin does not make a checkpoint");
		free(bad);
		free(line);
		free(text);
	}

	/* Cosignature round trip. */
	{
		char *text = checkpoint_text(&c);
		size_t tlen = strlen(text);
		uint64_t when = 1779573024;
		char *line = note_cosignature_line(&wit, text, tlen, when);
		const char *prefix = EM "witness.tama.example/w1 ";
		size_t plen = strlen(prefix);
		size_t llen = strlen(line);
		ok(strncmp(line, prefix, plen) == 0 && llen == plen + 104 + 1 &&
		   strcmp(line + llen - 3, "==\n") == 0,
		   "cosignature line: name, 104 base64 characters ending \"==\"");

		uint8_t raw[80];
		long n = b64_decode(line + plen, 104, raw, sizeof raw);
		ok(n == 76 && get_be32(raw) == wit.pub.id && get_be64(raw + 4) == when,
		   "cosignature: key ID and big-endian timestamp");
		char *m = cat("cosignature/v1\ntime 1779573024\n", text, NULL);
		ok(n == 76 && crypto_sign_verify_detached(raw + 12, (const uint8_t *)m, strlen(m),
							  wit.pub.pub) == 0,
		   "cosignature signs \"cosignature/v1\\ntime T\\n\" and the checkpoint text");
		free(m);

		char *cosigned = cat(note, line, NULL);
		struct note_verifier keys[3] = { log.pub, wit.pub, other.pub };
		uint64_t ts[3] = { 0, 0, 0 };
		ok(checkpoint_verify(cosigned, strlen(cosigned), keys, 3, &out, verified, &why) &&
		   verified[0] && verified[1] && !verified[2],
		   "cosigned checkpoint: log key and witness verified, the other key not");
		ok(note_verify(cosigned, strlen(cosigned), keys, 3, verified, ts, &why) && ts[1] == when,
		   "note_verify reports the cosignature time");

		/* The witness key presented as a 0x01 key does not count as a cosigner. */
		struct note_verifier w01 = wit.pub;
		w01.type = NOTE_TYPE_ED25519;
		w01.id = note_key_id(w01.name, NOTE_TYPE_ED25519, w01.pub);
		ok(verify1(cosigned, &w01, &verified[0]) && !verified[0], "0x01 form of the witness key ignored");
		free(cosigned);
		free(line);

		/* Timestamps above 2^63-1 are refused by a known key. */
		line = note_cosignature_line(&wit, text, tlen, UINT64_C(1) << 63);
		cosigned = cat(note, line, NULL);
		rejects(cosigned, strlen(cosigned), &wit.pub, 1, "cosignature with timestamp 2^63");
		free(cosigned);
		free(line);

		/* A cosignature over another size fails. */
		struct checkpoint c2 = c;
		c2.size++;
		char *text2 = checkpoint_text(&c2);
		line = note_cosignature_line(&wit, text2, strlen(text2), when);
		cosigned = cat(note, line, NULL);
		rejects(cosigned, strlen(cosigned), &wit.pub, 1, "cosignature of another checkpoint");
		free(cosigned);
		free(line);
		free(text2);
		free(text);
	}
	free(note);
	note_signer_clear(&log);
	note_signer_clear(&wit);
	note_signer_clear(&other);
}

/* RFC 8032 7.1 TEST 1, straight through libsodium. */
static void test_rfc8032(void)
{
	uint8_t seed[32], pk[32], sk[64], sig[64], want_pk[32], want_sig[64];
	hex_decode(seed, 32, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
	hex_decode(want_pk, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	hex_decode(want_sig, 64, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
	crypto_sign_seed_keypair(pk, sk, seed);
	ok(memcmp(pk, want_pk, 32) == 0, "RFC 8032 TEST 1 public key");
	crypto_sign_detached(sig, NULL, (const uint8_t *)"", 0, sk);
	ok(memcmp(sig, want_sig, 64) == 0, "RFC 8032 TEST 1 signature of the empty message");
	ok(crypto_sign_verify_detached(want_sig, (const uint8_t *)"", 0, want_pk) == 0,
	   "RFC 8032 TEST 1 signature verifies");
	want_sig[0] ^= 1;
	ok(crypto_sign_verify_detached(want_sig, (const uint8_t *)"", 0, want_pk) != 0,
	   "RFC 8032 TEST 1 changed signature fails");
	sodium_memzero(sk, sizeof sk);
}

int main(void)
{
	if (sodium_init() < 0) {
		printf("Bail out! sodium_init failed\n");
		return 1;
	}
	test_key_id();
	test_vkeys();
	test_skey_and_signing();
	test_notes();
	test_many_signatures();
	test_real_cosignature();
	test_checkpoint_text();
	test_checkpoint_sign();
	test_rfc8032();
	return done();
}
