/* supply-label: the labels of shipped boxes: the signed payload as a QR code and the box's text in Japanese. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "label_render.h"
#include "ledger.h"
#include "payload.h"
#include "qr_code.h"
#include "supply/supply.h"
#include "util.h"

/* Labels in one run. */
#define MAX_LABELS 1000

static const char usage[] =
	"usage: supply-label [-q] [-L DIR] [--format pdf|png|svg|term] [--label a6 | --sheet a4]\n"
	"                    [-o FILE] (SHIPMENT... | --request REQUEST)\n"
	"Draw the label of each shipment (a leaf hash or an unambiguous prefix), or of every\n"
	"box of REQUEST (the same, or ref:ID for this node's request posted with ref ID):\n"
	"the signed payload as a QR code, and the destination site, item,\n"
	"quantity and unit, expiry and box number in Japanese.  png, svg and term draw one\n"
	"label; pdf several (one A6 page each, or 8 to an A4 sheet).\n"
	"Environment: CHOBO_LEDGER, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data; other codes as in chobo(7).\n"
	"See supply-label(1).\n";


/* One label to draw: the box, its payload, its code and its text. */
struct box_label {
	struct supply_line box;
	char *payload;
	struct qr_code code;
	char text[5][LABEL_MAX_LINE_BYTES + 1];
	const char *lines[5];
	size_t nlines;
};

struct boxes {
	struct box_label *v;
	size_t n, cap;
	const char *request;    /* --request: the whole leaf hash */
	int rc;
};

static struct box_label *boxes_add(struct boxes *b)
{
	if (b->n == MAX_LABELS)
		return NULL;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	memset(&b->v[b->n], 0, sizeof b->v[b->n]);
	return &b->v[b->n++];
}

/* view_each: the boxes of b->request. */
static int each_box(void *ctx, const char *key, const char *value, size_t len)
{
	struct boxes *b = ctx;
	struct supply_line ln;
	if (strncmp(key, "box/", 4) != 0)
		return 0;
	if (!supply_line_parse(value, len, &ln)) {
		chobo_warn("supply.lines %s is malformed; run chain-verify --views", key);
		b->rc = EX_DATAERR;
		return 1;
	}
	if (strcmp(ln.request, b->request) != 0 || ln.unfilled)
		return 0;
	struct box_label *bl = boxes_add(b);
	if (!bl) {
		chobo_warn("more than %d boxes in one run", MAX_LABELS);
		b->rc = EX_USAGE;
		return 1;
	}
	bl->box = ln;
	return 0;
}

static int by_box_number(const void *x, const void *y)
{
	const struct box_label *a = x, *b = y;
	return a->box.box < b->box.box ? -1 : a->box.box > b->box.box;
}

/* The box line of one shipment argument; 0 or a code (reported). */
static int find_box(struct ledger *l, struct view_state *lines, const char *ref, struct supply_line *out)
{
	char hex[65];
	struct chobo_error e;
	int rc = cli_report(ledger_leaf_resolve(l, ref, hex, &e), &e);
	if (rc != 0)
		return rc;
	rc = supply_line_get(lines, SUPPLY_BOX, hex, out, &e);
	if (rc == EX_UNAVAILABLE) {
		chobo_warn("%s: not a shipment", ref);
		return EX_DATAERR;
	}
	if (rc == 0 && out->unfilled) {
		chobo_warn("%s: box %" PRIu64 " is unfilled (beyond what its request had left): no label", ref,
			   out->box);
		return EX_DATAERR;
	}
	return cli_report(rc, &e);
}

/* The text of bl in Japanese: destination, item, quantity and unit, expiry, box number. */
static int box_text(struct box_label *bl, struct view_state *sites, struct view_state *items)
{
	char site[SUPPLY_NAME_MAX + 1], item[SUPPLY_NAME_MAX + 1];
	struct chobo_error e;
	int rc = supply_registry_field(sites, bl->box.site, "name", site, sizeof site, &e);
	if (rc == EX_UNAVAILABLE)
		snprintf(site, sizeof site, "%s", bl->box.site);
	else if (rc != 0)
		return cli_report(rc, &e);
	rc = supply_registry_field(items, bl->box.item, "name", item, sizeof item, &e);
	if (rc == EX_UNAVAILABLE)
		snprintf(item, sizeof item, "%s", bl->box.item);
	else if (rc != 0)
		return cli_report(rc, &e);
	size_t n = 0;
	snprintf(bl->text[n++], sizeof bl->text[0], "宛先 %s（%s）", site, bl->box.site);
	snprintf(bl->text[n++], sizeof bl->text[0], "品名 %s", item);
	snprintf(bl->text[n++], sizeof bl->text[0], "数量 %" PRId64 " %s", bl->box.quantity, bl->box.unit);
	if (bl->box.expiry[0])
		snprintf(bl->text[n++], sizeof bl->text[0], "期限 %s", bl->box.expiry);
	snprintf(bl->text[n++], sizeof bl->text[0], "箱番号 %" PRIu64, bl->box.box);
	for (size_t i = 0; i < n; i++) {
		char why[160];
		if (!label_text_valid(bl->text[i], why, sizeof why)) {
			chobo_warn("box %" PRIu64 ": %s", bl->box.box, why);
			return EX_DATAERR;
		}
		bl->lines[i] = bl->text[i];
	}
	bl->nlines = n;
	return 0;
}

/* Find the boxes and make their text, with the ledger open; 0 or a code (reported). */
static int collect(struct ledger *l, char *const *refs, size_t nrefs, const char *request, struct boxes *b)
{
	struct chobo_error e;
	int rc = 0;
	char req[65];
	if ((rc = cli_report(views_refresh(l, &e), &e)) != 0)
		return rc;
	struct view_state *lines = view_stored(l, &supply_lines_view);
	struct view_state *sites = view_stored(l, &supply_sites_view);
	struct view_state *items = view_stored(l, &supply_catalogue_view);
	if (request) {
		struct supply_line r;
		/* A failure of either lookup is reported once, below. */
		if ((rc = supply_leaf_resolve(l, request, req, &e)) == 0 &&
		    (rc = supply_line_get(lines, SUPPLY_REQUEST, req, &r, &e)) == EX_UNAVAILABLE) {
			chobo_warn("--request %s: not a request", request);
			rc = EX_DATAERR;
		} else if (rc == 0) {
			b->request = req;
			rc = cli_report(view_each(l, &supply_lines_view, each_box, b, &e), &e);
			if (rc == 0)
				rc = b->rc;
			if (rc == 0 && b->n == 0) {
				chobo_warn("--request %s: no box of it is shipped", request);
				rc = EX_DATAERR;
			}
			qsort(b->v, b->n, sizeof *b->v, by_box_number);
		} else {
			cli_report(rc, &e);
		}
	}
	for (size_t i = 0; rc == 0 && i < nrefs; i++) {
		struct box_label *bl = boxes_add(b);
		if (!bl) {
			chobo_warn("more than %d boxes in one run", MAX_LABELS);
			rc = EX_USAGE;
		} else {
			rc = find_box(l, lines, refs[i], &bl->box);
		}
	}
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		/* Only the log's own node holds the key that signs its payloads. */
		if (strcmp(b->v[i].box.log, l->conf.origin) != 0) {
			chobo_warn("box %" PRIu64 " (%.16s) was shipped from %s: its label is printed there", b->v[i].box.box,
				   b->v[i].box.leaf_hash, b->v[i].box.log);
			rc = EX_DATAERR;
		} else {
			rc = box_text(&b->v[i], sites, items);
		}
	}
	view_state_free(lines);
	view_state_free(sites);
	view_state_free(items);
	return rc;
}

/* Sign each box's payload and encode its QR code; 0 or a code (reported). */
static int encode(struct boxes *b, const struct note_signer *key)
{
	struct chobo_error e;
	for (size_t i = 0; i < b->n; i++) {
		struct payload p;
		int rc = supply_box_payload(&b->v[i].box, &p, &e);
		if (rc == 0)
			rc = payload_encode(&p, key, &b->v[i].payload, &e);
		if (rc == 0)
			rc = qr_code_encode(&b->v[i].code, b->v[i].payload, QR_VERSION_CHOBO, &e);
		if (rc != 0) {
			chobo_warn("box %" PRIu64 ": %s", b->v[i].box.box, e.msg);
			return rc;
		}
	}
	return 0;
}

static int draw(FILE *out, enum label_format format, bool sheet, const struct boxes *b)
{
	struct label *labels = xcalloc(b->n, sizeof *labels);
	struct chobo_error e;
	for (size_t i = 0; i < b->n; i++)
		labels[i] = (struct label){&b->v[i].code, b->v[i].lines, b->v[i].nlines, 0};
	int rc = label_write(out, format, sheet, labels, b->n, &e);
	free(labels);
	return cli_report(rc, &e);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"format", required_argument, NULL, 'f'},
		{"label", required_argument, NULL, 'l'},
		{"sheet", required_argument, NULL, 's'},
		{"request", required_argument, NULL, 'r'},
		{"output", required_argument, NULL, 'o'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir(), *output = NULL, *request = NULL;
	enum label_format format = LABEL_TERM;
	bool sheet = false, format_set = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:f:o:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'f':
			if (!label_format_parse(optarg, &format))
				chobo_die(EX_USAGE, "--format %s: expected pdf, png, svg or term", optarg);
			format_set = true;
			break;
		case 'l':
		case 's':
			if (!label_layout_parse(opt == 's', optarg, &sheet))
				chobo_die(EX_USAGE, "--%s %s: the one size is %s", opt == 's' ? "sheet" : "label", optarg,
					  opt == 's' ? "a4" : "a6");
			break;
		case 'r': request = optarg; break;
		case 'o': output = strcmp(optarg, "-") == 0 ? NULL : optarg; break;
		}
	}
	size_t nrefs = (size_t)(argc - optind);
	if ((nrefs == 0) == (request == NULL))
		cli_usage_error(usage);
	if (sheet && !format_set)
		format = LABEL_PDF;
	if (!output && (format == LABEL_PNG || format == LABEL_PDF) && isatty(1))
		chobo_die(EX_USAGE, "not writing a binary image to a terminal (use -o FILE or redirect)");

	struct ledger l;
	struct note_signer key;
	struct boxes b = {0};
	struct chobo_error e;
	int rc = cli_report(ledger_log_key(dir, &key, &e), &e);
	if (rc == 0) {
		if ((rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e)) == 0) {
			if (strcmp(key.pub.name, l.conf.origin) != 0) {
				chobo_warn("%s/keys/node.key: a log key named %s, not %s", dir, key.pub.name, l.conf.origin);
				rc = EX_CONFIG;
			}
			if (rc == 0)
				rc = collect(&l, argv + optind, nrefs, request, &b);
			int crc = cli_report(ledger_close(&l, &e), &e);
			if (rc == 0)
				rc = crc;
		}
		if (rc == 0)
			rc = encode(&b, &key);
		note_signer_clear(&key);
	}
	if (rc == 0 && format != LABEL_PDF && b.n > 1) {
		chobo_warn("%zu boxes: --format %s draws one label; use --format pdf for several", b.n,
			   label_format_name(format));
		rc = EX_USAGE;
	}

	/* Everything is encoded before the output file is created, so a refusal leaves nothing behind. */
	/* Written beside FILE and renamed over it when complete: a failure leaves FILE as it was. */
	struct replacement file = {.fp = stdout};
	if (rc == 0 && output)
		rc = cli_report(replace_open(&file, output, 0644, &e), &e);
	if (rc == 0) {
		rc = draw(file.fp, format, sheet, &b);
		if (output && rc == 0)
			rc = cli_report(replace_commit(&file, &e), &e);
		else if (output)
			replace_abort(&file);
	}
	for (size_t i = 0; i < b.n; i++) {
		free(b.v[i].payload);
		qr_code_free(&b.v[i].code);
	}
	free(b.v);
	cli_exit(rc);
}
