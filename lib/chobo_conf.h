/*
 * chobo.conf: a ledger's configuration.
 *
 * "key = value" lines, '#' comments.  The core keys are origin, witness,
 * peer (repeatable: "peer = NAME DESTINATION") and testing ("testing = yes",
 * written by chain-init --testing only).  Every other key belongs to
 * a service and is named "service.key" (e.g. "eco.point_rate"); a service
 * declares its keys, defaults and validity rule in its struct setting_spec
 * table (see service.h), so that adding a setting never touches this parser.
 * An unknown key is an error: a typo must not silently become a default.
 */
#ifndef CHOBO_CONF_H
#define CHOBO_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A peer node: a name and an ssh destination. */
struct peer {
	char *name;
	char *destination;
};

/* A service's setting: its full key, what it means, its default and its rule. */
struct setting_spec {
	const char *key;            /* "service.name" */
	const char *summary;
	const char *default_value;  /* NULL when the setting has no default */
	/* true when value is acceptable; else a reason in why (NULL: any non-empty value) */
	bool (*valid)(const char *value, char *why, size_t whylen);
};

struct setting {
	const struct setting_spec *spec;
	char *value;
};

struct ledger_config {
	char *origin;        /* this node's log */
	char *witness;       /* this node's cosigner name */
	bool testing;        /* "testing = yes" (chain-init --testing): CHOBO_NOW may set the clock */
	struct peer *peers;
	size_t npeers;
	struct setting *settings;   /* the service settings given in the file */
	size_t nsettings;
};

/* Read dir/chobo.conf into c; 0, EX_NOINPUT (no ledger there) or EX_CONFIG, with the reason in err. */
int config_read(const char *dir, struct ledger_config *c, struct chobo_error *err);
/* Free what config_read filled and zero c. */
void config_free(struct ledger_config *c);

/* A registered service setting's value: the file's, else its default, else NULL. */
const char *config_setting(const struct ledger_config *c, const char *key);
/*
 * A setting as an unsigned decimal: 0 with *out set, EX_CONFIG when the value
 * is not one (reason in err), EX_SOFTWARE for an unregistered key or a
 * setting that is unset and has no default.
 */
int config_setting_u64(const struct ledger_config *c, const char *key, uint64_t *out,
		       struct chobo_error *err);
/*
 * A setting that names a file, as a path newly allocated: a relative one is
 * taken from dir, the ledger directory holding chobo.conf, not from where
 * the program runs; NULL when the setting is unset and has no default.
 */
char *config_setting_path(const struct ledger_config *c, const char *dir, const char *key);

/* The text of a new chobo.conf for chain-init (a ledger for testing with testing), newly allocated. */
char *config_new_text(const char *origin, const char *witness, bool testing);

#endif
