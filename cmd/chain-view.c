/* chain-view: print a view's state (a service's state derived from the ledger), or list the views. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"
#include "service.h"
#include "view.h"
#include "util.h"

static const char usage[] =
	"usage: chain-view [-q] [-L DIR] [--csv [--bom]] VIEW [KEY]\n"
	"       chain-view [-q] --list [--csv [--bom]]\n"
	"Print a view's keys and values in key order as JSON Lines {\"key\":...,\"value\":...},\n"
	"or one key's value; --list names the registered views.\n"
	"Environment: CHOBO_LEDGER, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 66 no input, 71 system error,\n"
	"74 I/O error, 75 busy, 78 configuration.  See chain-view(1).\n";

/* What is printed, gathered under the lock and written once it is released. */
struct output {
	struct view_text text;
	bool csv;
};

static void print_record(struct output *o, const char *key, const char *value, size_t len)
{
	if (o->csv) {
		view_text_csv_field(&o->text, key, strlen(key));
		view_text_add(&o->text, ",", 1);
		view_text_csv_field(&o->text, value, len);
	} else {
		view_text_str(&o->text, "{\"key\":");
		view_text_json_string(&o->text, key);
		view_text_str(&o->text, ",\"value\":");
		view_text_add(&o->text, value, len);
		view_text_str(&o->text, "}");
	}
	view_text_add(&o->text, "\n", 1);
}

static int each_record(void *ctx, const char *key, const char *value, size_t len)
{
	print_record(ctx, key, value, len);
	return 0;
}

/* --list: every registered view with its service, types and summary. */
static void list_views(struct output *o)
{
	if (o->csv)
		view_text_str(&o->text, "view,service,types,summary\n");
	for (const struct service *const *s = service_list(); *s; s++)
		for (const struct view_spec *const *v = (*s)->views; v && *v; v++) {
			struct view_text types = {0};
			for (const char *const *t = (*v)->types; *t; t++) {
				if (o->csv) {
					view_text_str(&types, t == (*v)->types ? "" : " ");
					view_text_str(&types, *t);
				} else {
					view_text_str(&types, t == (*v)->types ? "" : ",");
					view_text_json_string(&types, *t);
				}
			}
			if (o->csv) {
				view_text_csv_field(&o->text, (*v)->name, strlen((*v)->name));
				view_text_str(&o->text, ",");
				view_text_csv_field(&o->text, (*s)->name, strlen((*s)->name));
				view_text_str(&o->text, ",");
				view_text_csv_field(&o->text, types.p ? types.p : "", types.len);
				view_text_str(&o->text, ",");
				view_text_csv_field(&o->text, (*v)->summary, strlen((*v)->summary));
			} else {
				view_text_str(&o->text, "{\"view\":");
				view_text_json_string(&o->text, (*v)->name);
				view_text_str(&o->text, ",\"service\":");
				view_text_json_string(&o->text, (*s)->name);
				view_text_str(&o->text, ",\"types\":[");
				view_text_add(&o->text, types.p ? types.p : "", types.len);
				view_text_str(&o->text, "],\"summary\":");
				view_text_json_string(&o->text, (*v)->summary);
				view_text_str(&o->text, "}");
			}
			view_text_add(&o->text, "\n", 1);
			view_text_free(&types);
		}
}

/* The view (or its value at key) as it stands once brought up to date; 0 or an exit code. */
static int read_view(const char *dir, const struct view_spec *v, const char *key, struct output *o)
{
	struct ledger l;
	struct chobo_error e;
	int rc = ledger_open(&l, dir, STORE_NORMAL, &e);
	/* Stored views may lag the logs; read as they are, they could answer wrongly. */
	if (rc == EX_NOPERM)
		chobo_warn("%s (a view is brought up to date before it is read, which writes: "
			   "read a copy of the ledger on writable storage)", e.msg);
	else if (rc != 0)
		cli_report(rc, &e);
	if (rc != 0)
		return rc;
	/* A view is a cache: one the software has just gained is built here, on first use. */
	rc = cli_report(views_refresh(&l, &e), &e);
	if (rc == 0 && key) {
		struct view_state *s = view_stored(&l, v);
		const char *value;
		size_t len;
		rc = strlen(key) > VIEW_MAX_KEY ? EX_UNAVAILABLE : view_get(s, key, &value, &len, &e);
		if (rc == EX_UNAVAILABLE) {
			chobo_warn("%s: no key \"%s\"", v->name, key);
			rc = EX_NOINPUT;
		} else if (rc != 0) {
			cli_report(rc, &e);
		} else if (o->csv) {
			print_record(o, key, value, len);
		} else {
			view_text_add(&o->text, value, len);
			view_text_add(&o->text, "\n", 1);
		}
		view_state_free(s);
	} else if (rc == 0) {
		rc = cli_report(view_each(&l, v, each_record, o, &e), &e);
	}
	int crc = cli_report(ledger_close(&l, &e), &e);
	return rc ? rc : crc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"list", no_argument, NULL, 'l'},
		{"csv", no_argument, NULL, 'c'},
		{"bom", no_argument, NULL, 'b'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	bool list = false, bom = false;
	struct output o = {0};
	int opt, rc = 0;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'l': list = true; break;
		case 'c': o.csv = true; break;
		case 'b': bom = true; break;
		}
	}
	int nargs = argc - optind;
	if ((list && nargs != 0) || (!list && (nargs < 1 || nargs > 2)))
		cli_usage_error(usage);
	if (bom && !o.csv)
		chobo_die(EX_USAGE, "--bom goes with --csv");
	if (bom)
		view_text_csv_bom(&o.text);

	if (list) {
		list_views(&o);
	} else {
		const struct view_spec *v = service_view(argv[optind]);
		if (!v)
			chobo_die(EX_USAGE, "no view named %s (chain-view --list names them)", argv[optind]);
		if (o.csv)
			view_text_str(&o.text, "key,value\n");
		rc = read_view(dir, v, nargs == 2 ? argv[optind + 1] : NULL, &o);
	}
	if (rc == 0 && o.text.len > 0 && !write_all(1, o.text.p, o.text.len)) {
		chobo_warn_errno("write error on standard output");
		rc = EX_IOERR;
	}
	view_text_free(&o.text);
	cli_exit(rc);
}
