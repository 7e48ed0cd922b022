/* chain-key: show a node's public keys; encrypt or decrypt its secret keys. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "cli.h"
#include "jsonl.h"
#include "keys.h"
#include "util.h"

static const char usage[] =
	"usage: chain-key show [-L DIR]\n"
	"       chain-key encrypt [-L DIR] [--key log|witness]\n"
	"       chain-key decrypt [-L DIR] [--key log|witness]\n"
	"Print the verifier keys, or encrypt/decrypt the secret keys with the passphrase\n"
	"from CHOBO_PASSPHRASE_FILE or CHOBO_PASSPHRASE_FD.\n"
	"Environment: CHOBO_LEDGER, CHOBO_PASSPHRASE_FD, CHOBO_PASSPHRASE_FILE.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 66 no input, 69 unavailable,\n"
	"71 system error, 73 cannot create, 74 I/O error, 77 no permission, 78 configuration;\n"
	"other codes as in chobo(7).  See chain-key(1).\n";

static const char *const files[] = {"keys/node.key", "keys/witness.key"};
static const char *const names[] = {"log", "witness"};

/* Rewrite one secret key file encrypted or plain; 0 or an exit code. */
static int convert(const char *dir, const char *file, bool encrypt)
{
	char *path = path_join(dir, file);
	struct note_signer key;
	struct chobo_error e;
	int rc = 0;
	if (access(path, F_OK) != 0) {
		chobo_warn_errno("%s", path);
		rc = EX_NOINPUT;
	} else if (key_is_encrypted(path) == encrypt) {
		chobo_warn("%s: already %s", path, encrypt ? "encrypted" : "plain");
		rc = EX_DATAERR;
	} else if ((rc = cli_report(key_load(path, &key, &e), &e)) == 0) {
		if (encrypt) {
			rc = cli_report(key_save_encrypted(path, &key, &e), &e);
		} else if (!key_save(path, &key)) {
			chobo_warn_errno("%s", path);
			rc = EX_CANTCREAT;
		}
		note_signer_clear(&key);
	}
	if (rc == 0)
		chobo_info("%s: %s", path, encrypt ? "encrypted" : "decrypted");
	free(path);
	return rc;
}

static int show(const char *dir)
{
	json_t *out = json_object();
	for (int i = 0; i < 2; i++) {
		char *pub = path_join(dir, i == 0 ? "keys/node.pub" : "keys/witness.pub");
		char *sec = path_join(dir, files[i]);
		char *text = read_file(pub, 4096, NULL);
		struct note_verifier v;
		const char *why;
		if (!text) {
			chobo_warn_errno("%s", pub);
			free(pub);
			free(sec);
			json_decref(out);
			return EX_NOINPUT;
		}
		text[strcspn(text, "\n")] = '\0';
		if (!note_vkey_parse(text, &v, &why)) {
			chobo_warn("%s: %s", pub, why);
			free(text);
			free(pub);
			free(sec);
			json_decref(out);
			return EX_CONFIG;
		}
		char field[32];
		snprintf(field, sizeof field, "%s_key", names[i]);
		json_object_set_new(out, field, json_string(text));
		snprintf(field, sizeof field, "%s_key_encrypted", names[i]);
		json_object_set_new(out, field, json_boolean(key_is_encrypted(sec)));
		free(text);
		free(pub);
		free(sec);
	}
	return jsonl_print(out) ? 0 : EX_IOERR;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"key", required_argument, NULL, 'k'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = key_ledger_dir(), *which = NULL;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
		else if (opt == 'k')
			which = optarg;
	}
	if (argc - optind != 1)
		cli_usage_error(usage);
	const char *verb = argv[optind];
	if (which && strcmp(which, "log") != 0 && strcmp(which, "witness") != 0)
		cli_usage_error(usage);
	if (strcmp(verb, "show") == 0 && !which)
		cli_exit(show(dir));
	bool encrypt = strcmp(verb, "encrypt") == 0;
	if (!encrypt && strcmp(verb, "decrypt") != 0)
		cli_usage_error(usage);
	int rc = 0;
	for (int i = 0; i < 2 && rc == 0; i++)
		if (!which || strcmp(which, names[i]) == 0)
			rc = convert(dir, files[i], encrypt);
	cli_exit(rc);
}
