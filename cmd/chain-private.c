/* chain-private: register, show, list and erase the people and sites behind pseudonymous IDs; make a shared secret. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "jsonl.h"
#include "ledger.h"
#include "private_store.h"
#include "util.h"

static const char usage[] =
	"usage: chain-private add [-q] [-L DIR] [FILE...]\n"
	"       chain-private add [-q] [-L DIR] --identifier ID --name NAME [--role ROLE] [--mail ADDR]\n"
	"       chain-private show [-q] [-L DIR] p-ID\n"
	"       chain-private list [-q] [-L DIR]\n"
	"       chain-private erase [-q] [-L DIR] p-ID\n"
	"       chain-private new-secret FILE\n"
	"Keep what staff need to reach a person or a site in private/, off the ledger,\n"
	"under a pseudonymous ID that entries may carry; new-secret writes a secret the nodes of\n"
	"one programme share (eco.equipment_secret).\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 66 no input, 73 cannot create,\n"
	"74 I/O error, 75 busy, 77 no permission, 78 configuration.  See chain-private(1).\n";


/* People registered in one run. */
#define MAX_PEOPLE 100000

struct people {
	struct person *v;
	size_t n, cap;
};

static struct person *people_next(struct people *pp)
{
	if (pp->n == pp->cap) {
		size_t cap = pp->cap ? pp->cap * 2 : 16;
		struct person *v = xcalloc(cap, sizeof *v);
		if (pp->v) {
			memcpy(v, pp->v, pp->n * sizeof *v);
			sodium_memzero(pp->v, pp->cap * sizeof *v);
			free(pp->v);
		}
		pp->v = v;
		pp->cap = cap;
	}
	return &pp->v[pp->n++];
}

static void people_free(struct people *pp)
{
	if (pp->v)
		sodium_memzero(pp->v, pp->cap * sizeof *pp->v);
	free(pp->v);
	memset(pp, 0, sizeof *pp);
}

/* Read every line of one input into pp; 0 or an exit code after saying why. */
static int read_people(void *ctx, FILE *fp, const char *name)
{
	struct people *pp = ctx;
	struct jsonl_reader r;
	struct json_doc doc = {0};
	char err[256];
	const char *line;
	size_t len;
	enum jsonl_status s;
	jsonl_init_edited(&r, fp, name);
	while ((s = jsonl_next_line(&r, &line, &len, err, sizeof err)) == JSONL_OK) {
		if (pp->n == MAX_PEOPLE) {
			snprintf(err, sizeof err, "more than %d people in one run", MAX_PEOPLE);
			s = JSONL_BAD;
			break;
		}
		/* A table saved as CSV is the likely mistake: say what is read, not where the JSON broke. */
		size_t lead = strspn(line, " \t");
		if (lead == len || line[lead] != '{') {
			snprintf(err, sizeof err, "not a JSON object: chain-private add reads JSON Lines, one object "
				 "(identifier, name, role, mail) a line, not CSV");
			s = JSONL_BAD;
			break;
		}
		if (!person_parse_json(line, len, &doc, false, people_next(pp), err, sizeof err)) {
			s = JSONL_BAD;
			break;
		}
	}
	json_doc_free(&doc);
	int rc = 0;
	if (s == JSONL_BAD) {
		chobo_warn("%s:%lu: %s; nothing was stored", name, r.line, err);
		rc = EX_DATAERR;
	} else if (s == JSONL_IOERR) {
		chobo_warn_errno("%s: read error; nothing was stored", name);
		rc = EX_IOERR;
	}
	/* The reader's buffer held the lines in the clear. */
	if (r.buf)
		sodium_memzero(r.buf, r.cap);
	jsonl_free(&r);
	return rc;
}

/* Copy an option's value into a field of cap bytes, or refuse it. */
static void set_field(char *field, size_t cap, const char *what, const char *value)
{
	if (strlen(value) >= cap)
		chobo_die(EX_DATAERR, "%s longer than %zu bytes; nothing was stored", what, cap - 1);
	memcpy(field, value, strlen(value) + 1);
}

static json_t *record_json(const struct person_record *r)
{
	char id[PERSON_ID_TEXT + 1];
	person_id_format(id, r->id);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "identifier", json_string(r->p.identifier));
	json_object_set_new(o, "name", json_string(r->p.name));
	if (r->p.role[0])
		json_object_set_new(o, "role", json_string(r->p.role));
	if (r->p.mail[0])
		json_object_set_new(o, "mail", json_string(r->p.mail));
	json_object_set_new(o, "registered", json_string(r->p.registered));
	return o;
}

static int print_record(void *ctx, const struct person_record *r)
{
	return jsonl_print(record_json(r)) ? 0 : chobo_fail_errno(ctx, EX_IOERR, "standard output");
}

static int add(struct private_store *ps, struct people *pp)
{
	struct chobo_error err;
	int64_t now;
	struct private_added *out = xcalloc(pp->n, sizeof *out);
	if (!chobo_now(&now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");
	int rc = private_add(ps, pp->v, pp->n, now, out, &err);
	if (rc != 0)
		chobo_warn("%s; nothing was stored", err.msg);
	/* The IDs are printed once the new version of the store is in place. */
	for (size_t i = 0; rc == 0 && i < pp->n; i++) {
		char id[PERSON_ID_TEXT + 1];
		person_id_format(id, out[i].id);
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(id));
		json_object_set_new(o, "created", json_boolean(out[i].created));
		json_object_set_new(o, "updated", json_boolean(out[i].updated));
		if (!jsonl_print(o))
			rc = EX_IOERR;
	}
	free(out);
	return rc;
}

static int show_or_erase(struct private_store *ps, const char *verb, const uint8_t id[PERSON_ID_BYTES],
			 const char *idtext)
{
	struct chobo_error err;
	struct person_record *r = sodium_malloc(sizeof *r);
	bool found = true;
	int rc;
	if (!r)
		chobo_die(EX_OSERR, "out of memory");
	if (strcmp(verb, "erase") == 0)
		rc = private_erase(ps, id, r, &err);
	else
		rc = private_get(ps, id, r, &found, &err);
	if (rc == 0 && !found)
		rc = chobo_fail(&err, EX_NOINPUT, "%s: no such person", idtext);
	if (rc != 0) {
		chobo_warn("%s", err.msg);
	} else {
		json_t *o = record_json(r);
		if (strcmp(verb, "erase") == 0)
			json_object_set_new(o, "erased", json_true());
		if (!jsonl_print(o))
			rc = EX_IOERR;
	}
	sodium_free(r);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"identifier", required_argument, NULL, 'i'},
		{"name", required_argument, NULL, 'n'},
		{"role", required_argument, NULL, 'r'},
		{"mail", required_argument, NULL, 'm'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	struct person given;
	bool from_options = false;
	int opt;
	memset(&given, 0, sizeof given);
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L':
			dir = optarg;
			break;
		case 'i':
			set_field(given.identifier, sizeof given.identifier, "identifier", optarg);
			from_options = true;
			break;
		case 'n':
			set_field(given.name, sizeof given.name, "name", optarg);
			from_options = true;
			break;
		case 'r':
			set_field(given.role, sizeof given.role, "role", optarg);
			from_options = true;
			break;
		case 'm':
			set_field(given.mail, sizeof given.mail, "mail", optarg);
			from_options = true;
			break;
		}
	}
	if (optind == argc)
		cli_usage_error(usage);
	const char *verb = argv[optind++];
	/* A secret the nodes of one programme share (eco.equipment_secret): no ledger is opened. */
	if (strcmp(verb, "new-secret") == 0) {
		struct chobo_error err;
		if (from_options || argc - optind != 1)
			cli_usage_error(usage);
		int rc = cli_report(private_shared_secret_make(argv[optind], &err), &err);
		if (rc == 0)
			chobo_info("%s: a new shared secret; copy it, mode 600, to every node of the programme", argv[optind]);
		cli_exit(rc);
	}
	bool adding = strcmp(verb, "add") == 0;
	bool one_id = strcmp(verb, "show") == 0 || strcmp(verb, "erase") == 0;
	uint8_t id[PERSON_ID_BYTES];
	if ((!adding && from_options) || (adding && from_options && optind < argc) ||
	    (one_id && argc - optind != 1) || (strcmp(verb, "list") == 0 && optind != argc) ||
	    (!adding && !one_id && strcmp(verb, "list") != 0))
		cli_usage_error(usage);
	if (one_id && !person_id_parse(argv[optind], id))
		chobo_die(EX_USAGE, "%s: not an ID (p- and 32 lowercase hex digits)", argv[optind]);

	/* Input is read and checked whole before the ledger is locked. */
	struct people pp = {0};
	int rc = 0;
	if (adding && from_options && (!given.identifier[0] || !given.name[0])) {
		sodium_memzero(&given, sizeof given);
		chobo_die(EX_USAGE, "add from options needs --identifier and --name; nothing was stored");
	}
	if (adding && from_options) {
		char why[256];
		if (!person_check(&given, why, sizeof why))
			chobo_die(EX_DATAERR, "%s; nothing was stored", why);
		*people_next(&pp) = given;
		sodium_memzero(&given, sizeof given);
	} else if (adding) {
		rc = jsonl_read_inputs(argv + optind, argc - optind, "nothing was stored", read_people, &pp);
	}
	if (rc == 0 && adding && pp.n == 0) {
		chobo_info("no people in the input; nothing was stored");
		cli_exit(0);
	}

	struct ledger l;
	struct private_store *ps = NULL;
	struct chobo_error err;
	if (rc == 0 && (rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &err), &err)) == 0) {
		if ((rc = cli_report(private_open(&l, adding, &ps, &err), &err)) != 0)
			;
		else if (adding)
			rc = add(ps, &pp);
		else if (one_id)
			rc = show_or_erase(ps, verb, id, argv[optind]);
		else
			rc = cli_report(private_each(ps, print_record, &err, &err), &err);
		private_close(ps);
		int crc = cli_report(ledger_close(&l, &err), &err);
		if (rc == 0)
			rc = crc;
	}
	people_free(&pp);
	cli_exit(rc);
}
