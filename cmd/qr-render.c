/* qr-render: draw chobo payloads as QR labels (PNG, SVG, PDF or terminal text). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "cli.h"
#include "jsonl.h"
#include "label_render.h"
#include "qr_code.h"
#include "util.h"

/* Labels in one run, copies included. */
#define MAX_LABELS 1000
/* Bytes read for the payload "-": more than the 2420 characters that QR version 40 holds. */
#define STDIN_MAX 8192

static const char usage[] =
	"usage: qr-render [--format term|png|svg|pdf] [--label a6 | --sheet a4] [--copies N]\n"
	"                 [--text LINE]... [--max-version N] [-o FILE] PAYLOAD...\n"
	"Draw each PAYLOAD (QR alphanumeric characters: 0-9 A-Z space $%*+-./:) as a QR code\n"
	"at level Q, with the text lines beside or under it.  A PAYLOAD of - (once) is read\n"
	"from stdin: all of it, less one trailing newline.  png, svg and term take one\n"
	"payload; pdf takes several (one A6 page each, or 8 to an A4 sheet).  With -o, one\n"
	"JSON line per payload on stdout: version, modules, ecc, length.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 69 unavailable, 73 cannot create,\n"
	"74 I/O error; other codes as in chobo(7).  See qr-render(1).\n";

static enum label_format parse_format(const char *s)
{
	enum label_format f;
	if (!label_format_parse(s, &f))
		chobo_die(EX_USAGE, "--format %s: expected term, png, svg or pdf", s);
	return f;
}

/*
 * The payload given as "-": all of stdin without one trailing newline (what
 * echo or a file adds), NUL-terminated.  Exits with EX_DATAERR for an empty
 * stdin, a NUL byte or more than STDIN_MAX bytes, EX_IOERR when reading fails.
 */
static char *read_stdin_payload(void)
{
	char *buf = xmalloc(STDIN_MAX + 2);
	size_t n = 0, got;
	while (n <= STDIN_MAX && (got = fread(buf + n, 1, STDIN_MAX + 1 - n, stdin)) > 0)
		n += got;
	if (ferror(stdin))
		chobo_die(EX_IOERR, "-: cannot read the payload from standard input: %s", strerror(errno));
	if (n > STDIN_MAX)
		chobo_die(EX_DATAERR, "-: standard input holds more than %d bytes; no QR code holds that many",
			  STDIN_MAX);
	if (n == 0)
		chobo_die(EX_DATAERR, "-: standard input is empty; expected the payload to encode");
	if (buf[n - 1] == '\n')
		n--;
	/* A NUL would end the payload early and draw a code of less than was given. */
	const char *nul = memchr(buf, '\0', n);
	if (nul)
		chobo_die(EX_DATAERR, "-: standard input holds a NUL byte at offset %zu", (size_t)(nul - buf));
	buf[n] = '\0';
	return buf;
}

/* Print what was drawn for each code: one JSON line each. */
static int print_codes(const struct qr_code *codes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:i, s:i, s:s, s:I}", "version", codes[i].version,
			"modules", codes[i].width, "ecc", "Q", "length", (json_int_t)codes[i].length);
		if (!o)
			chobo_die(EX_SOFTWARE, "cannot build the JSON report");
		if (!jsonl_print(o))
			return EX_IOERR;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'},
		{"label", required_argument, NULL, 'l'},
		{"sheet", required_argument, NULL, 's'},
		{"copies", required_argument, NULL, 'n'},
		{"text", required_argument, NULL, 't'},
		{"max-version", required_argument, NULL, 'm'},
		{"output", required_argument, NULL, 'o'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	enum label_format format = LABEL_TERM;
	bool sheet = false;
	unsigned long long copies = 1, max_version = QR_VERSION_CHOBO;
	const char *output = NULL;
	const char *lines[LABEL_MAX_LINES];
	size_t nlines = 0;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "f:t:o:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'f': format = parse_format(optarg); break;
		case 'l':
		case 's':
			if (!label_layout_parse(opt == 's', optarg, &sheet))
				chobo_die(EX_USAGE, "--%s %s: the one size is %s", opt == 's' ? "sheet" : "label", optarg,
					  opt == 's' ? "a4" : "a6");
			break;
		case 'n': copies = cli_u64("--copies", optarg); break;
		case 'm': max_version = cli_u64("--max-version", optarg); break;
		case 'o': output = strcmp(optarg, "-") == 0 ? NULL : optarg; break;
		case 't': {
			char why[160];
			if (nlines == LABEL_MAX_LINES)
				chobo_die(EX_USAGE, "at most %d --text lines", LABEL_MAX_LINES);
			if (!label_text_valid(optarg, why, sizeof why))
				chobo_die(EX_DATAERR, "--text %zu: %s", nlines + 1, why);
			lines[nlines++] = optarg;
			break;
		}
		}
	}
	size_t npayloads = (size_t)(argc - optind);
	if (npayloads == 0)
		cli_usage_error(usage);
	if (max_version < 1 || max_version > QR_VERSION_MAX)
		chobo_die(EX_USAGE, "--max-version %llu: expected 1 to %d", max_version, QR_VERSION_MAX);
	if (copies < 1 || copies > MAX_LABELS || npayloads > MAX_LABELS / copies)
		chobo_die(EX_USAGE, "at most %d labels in one run (payloads times --copies)", MAX_LABELS);
	if (format != LABEL_PDF && (npayloads > 1 || copies > 1))
		chobo_die(EX_USAGE, "--format %s draws one label; use --format pdf for several",
			label_format_name(format));
	if (!output && (format == LABEL_PNG || format == LABEL_PDF) && isatty(1))
		chobo_die(EX_USAGE, "not writing a binary image to a terminal (use -o FILE or redirect)");

	/* stdin can be read only once, so "-" names it once. */
	int dashes = 0;
	for (int i = optind; i < argc; i++)
		dashes += strcmp(argv[i], "-") == 0;
	if (dashes > 1)
		chobo_die(EX_USAGE, "the payload - (standard input) may be given once");
	char *from_stdin = dashes ? read_stdin_payload() : NULL;

	/* Every payload is encoded before the output file is created, so a refusal leaves nothing behind. */
	struct qr_code *codes = xcalloc(npayloads, sizeof *codes);
	struct chobo_error e;
	int rc = 0;
	for (size_t i = 0; i < npayloads && rc == 0; i++) {
		const char *arg = argv[optind + (int)i];
		rc = qr_code_encode(&codes[i], strcmp(arg, "-") == 0 ? from_stdin : arg, (int)max_version, &e);
		if (rc != 0 && npayloads > 1)
			chobo_warn("payload %zu: %s", i + 1, e.msg);
		else
			cli_report(rc, &e);
	}
	/* Written beside FILE and renamed over it when complete: a failure leaves FILE as it was. */
	struct replacement file = {.fp = stdout};
	if (rc == 0 && output)
		rc = cli_report(replace_open(&file, output, 0644, &e), &e);
	if (rc == 0) {
		size_t n = npayloads * copies;
		struct label *labels = xcalloc(n, sizeof *labels);
		for (size_t i = 0; i < n; i++)
			labels[i] = (struct label){&codes[i / copies], lines, nlines, 0};
		cli_report(rc = label_write(file.fp, format, sheet, labels, n, &e), &e);
		free(labels);
		if (output && rc == 0 && (rc = cli_report(replace_commit(&file, &e), &e)) == 0)
			rc = print_codes(codes, npayloads);
		else if (output && rc != 0)
			replace_abort(&file);
	}
	for (size_t i = 0; i < npayloads; i++)
		qr_code_free(&codes[i]);
	free(codes);
	free(from_stdin);
	cli_exit(rc);
}
