/*
 * The registry of services.  A service is a table: its name, its entry
 * types, its chobo.conf settings and its views.  Adding a service means
 * writing its files and naming its table in service.c's list; nothing else
 * in lib/ changes.
 *
 * Entry types are namespaced by their service ("supply.need"); the core
 * service's types ("note", "doc.attest") are the only ones without a prefix.
 */
#ifndef CHOBO_SERVICE_H
#define CHOBO_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "chobo_conf.h"
#include "entry.h"
#include "util.h"

struct view_spec;
struct ledger;
struct batch_written;

struct service {
	const char *name;
	const char *summary;
	const struct entry_type *types;       /* terminated by a NULL name */
	const struct setting_spec *settings;  /* terminated by a NULL key; may be NULL */
	const struct view_spec *const *views; /* terminated by NULL; may be NULL */
	/*
	 * The service's rules over a batch that holds entries of its types or
	 * of a type one of its views reads (points credited by another
	 * service's entry are the points service's to judge), run by every append (chain-append's too) inside its transaction, once the
	 * batch is written (w) and the views include it: 0, or a code with err
	 * that aborts the append (EX_DATAERR: the rules refuse it).  NULL: no
	 * rules.
	 */
	int (*append_check)(struct ledger *l, const struct batch_written *w, struct chobo_error *err);
};

/*
 * Add a service to the registry (for a program or test that brings its own):
 * 0, or EX_SOFTWARE with the reason in err when its name, a type, a setting
 * or a view is already registered or not named after the service.
 */
int service_register(const struct service *s, struct chobo_error *err);

/* The registered services in order (built-in first), terminated by NULL. */
const struct service *const *service_list(void);

/* The registered entry type, setting or view called name, or NULL. */
const struct entry_type *service_entry_type(const char *name);
const struct setting_spec *service_setting(const char *key);
const struct view_spec *service_view(const char *name);

/* The built-in services' tables. */
extern const struct service core_service;

#endif
