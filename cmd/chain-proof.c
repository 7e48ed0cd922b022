/* chain-proof: inclusion and consistency proofs, receipts, stored checkpoints, and fork evidence. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "checkpoint.h"
#include "cli.h"
#include "codec.h"
#include "fork_evidence.h"
#include "jsonl.h"
#include "hash_reader.h"
#include "ledger.h"
#include "log_list.h"
#include "util.h"

static const char usage[] =
	"usage: chain-proof inclusion [-q] [-L DIR] [--log ORIGIN] (--index N | --leaf HASH) [--size N]\n"
	"       chain-proof receipt [-q] [-L DIR] [--log ORIGIN] (--index N | --leaf HASH) [--size N]\n"
	"       chain-proof consistency [-q] [-L DIR] [--log ORIGIN] OLD [NEW]\n"
	"       chain-proof checkpoint [-q] [-L DIR] [--log ORIGIN] [--size N] [--raw]\n"
	"       chain-proof fork [-q] [-L DIR] [--log ORIGIN]\n"
	"Print a proof, a receipt (an entry with its inclusion proof) or a checkpoint as JSON\n"
	"(sizes default to the latest checkpoint), or each piece of fork evidence held as one\n"
	"JSON line that chain-verify --trust KEY FILE checks.\n"
	"Environment: CHOBO_LEDGER, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 66 no input, 71 system error,\n"
	"74 I/O error, 75 busy, 78 configuration.  See chain-proof(1).\n";

struct request {
	enum { INCLUSION, RECEIPT, CONSISTENCY, CHECKPOINT, FORK } kind;
	const char *log;
	bool has_index, has_size, raw;
	const char *leaf;
	uint64_t index, size, old_size;
};

static json_t *hex_array(uint8_t (*hashes)[32], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		char hex[65];
		hex32(hex, hashes[i]);
		json_array_append_new(a, json_string(hex));
	}
	return a;
}

static json_t *hex_string(const uint8_t h[32])
{
	char hex[65];
	hex32(hex, h);
	return json_string(hex);
}

/* The stored checkpoint of log at size (or the latest), parsed; 0 or an exit code. */
static int load_checkpoint(struct ledger *l, uint32_t log, bool has_size, uint64_t *size,
			   char **note, struct checkpoint *cp)
{
	const char *text;
	size_t len;
	int rc = has_size ? store_checkpoint_get(l->store, log, *size, &text, &len)
			  : store_checkpoint_latest(l->store, log, size, &text, &len);
	if (rc == STORE_NOTFOUND) {
		chobo_warn("no checkpoint of size %llu is stored", (unsigned long long)*size);
		return EX_NOINPUT;
	}
	if (rc != STORE_OK) {
		chobo_warn("%s", store_error(l->store));
		return EX_IOERR;
	}
	struct note_parts parts;
	const char *why;
	if (!note_split(text, len, &parts, &why) ||
	    !checkpoint_parse_text(parts.text, parts.text_len, cp, &why) || cp->size != *size) {
		chobo_warn("stored checkpoint %llu is damaged; run chain-verify", (unsigned long long)*size);
		return EX_DATAERR;
	}
	*note = xmalloc(len + 1);
	memcpy(*note, text, len);
	(*note)[len] = '\0';
	return 0;
}

static int damaged(const char *what)
{
	chobo_warn("the stored %s does not match the checkpoint; the ledger is damaged: run chain-verify", what);
	return EX_DATAERR;
}

/*
 * An inclusion proof made a receipt: the log's origin first, then the
 * proof, then the entry's stored bytes, checked against the proven leaf
 * hash.  0 or an exit code; proof is consumed.
 */
static int receipt_of(struct ledger *l, uint32_t log, uint64_t index, const uint8_t leaf[32],
		      const char *origin, json_t *proof, json_t **out)
{
	const char *bytes;
	size_t len;
	uint8_t hash[32];
	struct chobo_error e;
	int rc = cli_report(ledger_entry(l, log, index, &bytes, &len, &e), &e);
	if (rc == 0) {
		merkle_leaf_hash(hash, bytes, len);
		rc = memcmp(hash, leaf, 32) == 0 ? 0 : damaged("entry");
	}
	if (rc == 0) {
		/* Entries are UTF-8 JSON text (checked on append and import): a JSON string holds them. */
		json_t *entry = json_stringn(bytes, len);
		*out = json_pack("{s:s}", "log", origin);
		if (!entry || !*out || json_object_update(*out, proof) != 0 ||
		    json_object_set_new(*out, "entry", entry) != 0)
			chobo_die(EX_OSERR, "out of memory");
	}
	json_decref(proof);
	return rc;
}

static int prove(struct ledger *l, const struct request *q, json_t **out)
{
	uint32_t log = l->log_id;
	uint64_t log_size;
	if (q->log && store_log_find(l->store, q->log, &log, &log_size) != STORE_OK) {
		chobo_warn("no log named %s", q->log);
		return EX_NOINPUT;
	}
	struct ledger_reader lr;
	ledger_reader_init(&lr, l, log);
	struct checkpoint cp;
	char *note = NULL;
	uint64_t size = q->size;
	int rc = load_checkpoint(l, log, q->has_size, &size, &note, &cp);
	if (rc != 0)
		return rc;
	uint8_t root[32], proof[MERKLE_MAX_PROOF][32];
	size_t n;
	/* Proofs come from stored hashes: check them against the signed root first. */
	if (merkle_root(&lr.r, size, root) != 0 || memcmp(root, cp.root, 32) != 0) {
		free(note);
		return damaged("tree");
	}
	if (q->kind == CHECKPOINT) {
		if (q->raw) {
			fputs(note, stdout);
			free(note);
			return 0;
		}
		*out = json_pack("{s:s, s:I, s:o, s:s}", "log", cp.origin, "tree_size", (json_int_t)size,
				 "root_hash", hex_string(root), "checkpoint", note);
	} else if (q->kind == INCLUSION || q->kind == RECEIPT) {
		uint64_t index = q->index;
		uint8_t leaf[32];
		if (q->leaf) {
			uint8_t prefix[32];
			size_t hexlen = strlen(q->leaf);
			char padded[65];
			uint32_t found_log;
			bool ambiguous;
			snprintf(padded, sizeof padded, "%s%s", q->leaf, hexlen % 2 ? "0" : "");
			if (hexlen < 4 || hexlen > 64 || !hex_decode(prefix, strlen(padded) / 2, padded)) {
				chobo_warn("--leaf: expected at least 4 hex digits of a leaf hash");
				free(note);
				return EX_USAGE;
			}
			rc = store_leaf_find(l->store, prefix, hexlen * 4, leaf, &found_log, &index, &ambiguous);
			if (rc != STORE_OK || found_log != log || ambiguous) {
				chobo_warn("--leaf %s: %s", q->leaf, ambiguous ? "matches more than one entry"
					   : rc == STORE_ERROR ? store_error(l->store) : "no such entry in this log");
				free(note);
				return ambiguous ? EX_USAGE : EX_NOINPUT;
			}
		}
		if (index >= size) {
			chobo_warn("index %llu is not in the tree of size %llu",
				   (unsigned long long)index, (unsigned long long)size);
			free(note);
			return EX_NOINPUT;
		}
		uint8_t stored_leaf[32];
		if (lr.r.read_hash(&lr, 0, index, stored_leaf) != 0 ||
		    merkle_inclusion_proof(&lr.r, index, size, proof, &n) != 0 ||
		    (q->leaf && memcmp(stored_leaf, leaf, 32) != 0) ||
		    !merkle_verify_inclusion(index, size, stored_leaf, (const uint8_t (*)[32])proof, n, root)) {
			free(note);
			return damaged("entry or hashes");
		}
		json_t *inclusion = json_pack("{s:I, s:I, s:o, s:o, s:o, s:s}", "leaf_index", (json_int_t)index,
					      "tree_size", (json_int_t)size, "leaf_hash", hex_string(stored_leaf),
					      "root_hash", hex_string(root), "hashes", hex_array(proof, n),
					      "checkpoint", note);
		if (!inclusion)
			chobo_die(EX_OSERR, "out of memory");
		if (q->kind == RECEIPT) {
			free(note);
			return receipt_of(l, log, index, stored_leaf, cp.origin, inclusion, out);
		}
		*out = inclusion;
	} else {
		uint8_t old_root[32];
		if (q->old_size == 0 || q->old_size > size) {
			chobo_warn("consistency needs 0 < OLD <= NEW (here %llu and %llu)",
				   (unsigned long long)q->old_size, (unsigned long long)size);
			free(note);
			return EX_USAGE;
		}
		if (merkle_root(&lr.r, q->old_size, old_root) != 0 ||
		    merkle_consistency_proof(&lr.r, q->old_size, size, proof, &n) != 0 ||
		    !merkle_verify_consistency(q->old_size, size, old_root, root,
					       (const uint8_t (*)[32])proof, n)) {
			free(note);
			return damaged("hashes");
		}
		*out = json_pack("{s:I, s:I, s:o, s:o, s:o, s:s}", "old_size", (json_int_t)q->old_size,
				 "new_size", (json_int_t)size, "old_root", hex_string(old_root),
				 "new_root", hex_string(root), "hashes", hex_array(proof, n),
				 "checkpoint", note);
	}
	free(note);
	if (!*out)
		chobo_die(EX_OSERR, "out of memory");
	return 0;
}

struct fork_lines {
	const struct log_list *logs;
	const char *only;
	size_t printed;
	bool write_error;
};

static int print_fork(void *ctx, uint32_t log, const char *ours, size_t olen, const char *theirs, size_t tlen,
		      const char *proof, size_t plen)
{
	struct fork_lines *f = ctx;
	const char *origin = log_list_origin(f->logs, log);
	if (!origin || (f->only && strcmp(origin, f->only) != 0))
		return 0;
	f->printed++;
	if (!jsonl_print(fork_evidence_json(origin, ours, olen, theirs, tlen, proof, plen))) {
		f->write_error = true;
		return 1;
	}
	return 0;
}

/* Every piece of fork evidence held (of only, if not NULL), one JSON line each; 0 or an exit code. */
static int print_forks(struct ledger *l, const char *only)
{
	struct log_list logs;
	struct chobo_error e;
	int rc = cli_report(log_list_read(l, NULL, &logs, &e), &e);
	struct fork_lines f = {&logs, only, 0, false};
	if (rc == 0 && store_fork_each(l->store, print_fork, &f) == STORE_ERROR) {
		chobo_warn("%s", store_error(l->store));
		rc = EX_IOERR;
	}
	log_list_free(&logs);
	if (rc == 0 && f.write_error)
		rc = EX_IOERR;
	if (rc == 0 && f.printed == 0) {
		chobo_warn("no fork evidence is held%s%s", only ? " for " : "", only ? only : "");
		rc = EX_NOINPUT;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"log", required_argument, NULL, 'l'},
		{"index", required_argument, NULL, 'i'},
		{"leaf", required_argument, NULL, 'f'},
		{"size", required_argument, NULL, 's'},
		{"raw", no_argument, NULL, 'r'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct request q = {0};
	const char *dir = ledger_default_dir();
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'l': q.log = optarg; break;
		case 'i': q.index = cli_u64("--index", optarg); q.has_index = true; break;
		case 'f': q.leaf = optarg; break;
		case 's': q.size = cli_u64("--size", optarg); q.has_size = true; break;
		case 'r': q.raw = true; break;
		}
	}
	if (optind >= argc)
		cli_usage_error(usage);
	const char *verb = argv[optind++];
	int nargs = argc - optind;
	if ((strcmp(verb, "inclusion") == 0 || strcmp(verb, "receipt") == 0) && nargs == 0 &&
	    (q.has_index != (q.leaf != NULL))) {
		q.kind = strcmp(verb, "inclusion") == 0 ? INCLUSION : RECEIPT;
	} else if (strcmp(verb, "consistency") == 0 && (nargs == 1 || nargs == 2) && !q.has_size) {
		q.kind = CONSISTENCY;
		q.old_size = cli_u64("OLD", argv[optind]);
		if (nargs == 2) {
			q.size = cli_u64("NEW", argv[optind + 1]);
			q.has_size = true;
		}
	} else if (strcmp(verb, "checkpoint") == 0 && nargs == 0) {
		q.kind = CHECKPOINT;
	} else if (strcmp(verb, "fork") == 0 && nargs == 0 && !q.has_size && !q.raw) {
		q.kind = FORK;
	} else {
		cli_usage_error(usage);
	}

	struct ledger l;
	json_t *out = NULL;
	struct chobo_error e;
	int rc = cli_report(ledger_open_read(&l, dir, &e), &e);
	if (rc != 0)
		cli_exit(rc);
	rc = q.kind == FORK ? print_forks(&l, q.log) : prove(&l, &q, &out);
	int crc = cli_report(ledger_close(&l, &e), &e);
	if (rc == 0)
		rc = crc;
	if (out && !jsonl_print(out))
		rc = EX_IOERR;
	cli_exit(rc);
}
