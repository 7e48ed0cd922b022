/*
 * libFuzzer harness: key strings.
 *
 * The input is a verifier key string (a line of a trust file) or a secret
 * key string (a key file).  Each goes through note_vkey_parse and
 * note_skey_parse; what parses is formatted again and must parse to the same
 * key.  Secrets are zeroed with note_signer_clear and the formatted secret
 * string is zeroed before it is freed, as the callers do.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parsers read NUL-terminated strings (a line of a file). */
	char *s = malloc(size + 1);
	struct note_verifier v, v2;
	struct note_signer sk, sk2;
	const char *why;

	memcpy(s, data, size);
	s[size] = '\0';
	if (note_vkey_parse(s, &v, &why)) {
		char *again = note_vkey_format(&v);
		if (!note_vkey_parse(again, &v2, &why) || memcmp(&v, &v2, sizeof v) != 0 ||
		    !note_name_valid(v.name))
			abort();
		free(again);
	}
	if (note_skey_parse(s, &sk, &why)) {
		char *again = note_skey_format(&sk);
		if (!note_skey_parse(again, &sk2, &why) || memcmp(&sk, &sk2, sizeof sk) != 0 ||
		    sk.pub.id != note_key_id(sk.pub.name, sk.pub.type, sk.pub.pub))
			abort();
		sodium_memzero(again, strlen(again));
		free(again);
		note_signer_clear(&sk2);
	}
	/* Cleared whether or not it parsed: a failed parse must leave nothing behind either. */
	note_signer_clear(&sk);
	free(s);
	return 0;
}
