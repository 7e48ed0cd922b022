/* The registry of services: the built-in tables, and those registered at run time. */
#include "config.h"

#include <string.h>

#include "service.h"
#include "eco/eco.h"
#include "points/points.h"
#include "supply/supply.h"
#include "volunteer/volunteer.h"
#include "view.h"

#define MAX_SERVICES 16

/* The built-in services, in registry order. */
static const struct service *services[MAX_SERVICES + 1] = {
	&core_service,
	&supply_service,
	&points_service,
	&eco_service,
	&volunteer_service,
};

static size_t service_count(void)
{
	size_t n = 0;
	while (services[n])
		n++;
	return n;
}

/* True when name is the service's own ("svc.x"), or any name for the core service. */
static bool named_after(const struct service *s, const char *name)
{
	size_t n = strlen(s->name);
	return strcmp(s->name, "core") == 0 ||
	       (strncmp(name, s->name, n) == 0 && name[n] == '.' && name[n + 1] != '\0');
}

int service_register(const struct service *s, struct chobo_error *err)
{
	size_t n = service_count();
	if (n == MAX_SERVICES)
		return chobo_fail(err, EX_SOFTWARE, "too many services");
	for (size_t i = 0; i < n; i++)
		if (strcmp(services[i]->name, s->name) == 0)
			return chobo_fail(err, EX_SOFTWARE, "service %s is registered twice", s->name);
	for (const struct entry_type *t = s->types; t && t->name; t++)
		if (!named_after(s, t->name) || service_entry_type(t->name))
			return chobo_fail(err, EX_SOFTWARE, "entry type %s: taken or not named %s.*", t->name,
					  s->name);
	for (const struct setting_spec *k = s->settings; k && k->key; k++)
		if (!named_after(s, k->key) || service_setting(k->key))
			return chobo_fail(err, EX_SOFTWARE, "setting %s: taken or not named %s.*", k->key,
					  s->name);
	for (const struct view_spec *const *v = s->views; v && *v; v++)
		if (!named_after(s, (*v)->name) || service_view((*v)->name) ||
		    strlen((*v)->name) > VIEW_MAX_NAME)
			return chobo_fail(err, EX_SOFTWARE, "view %s: taken, too long or not named %s.*",
					  (*v)->name, s->name);
	services[n] = s;
	return 0;
}

const struct service *const *service_list(void)
{
	return services;
}

const struct entry_type *service_entry_type(const char *name)
{
	for (size_t i = 0; services[i]; i++)
		for (const struct entry_type *t = services[i]->types; t && t->name; t++)
			if (strcmp(t->name, name) == 0)
				return t;
	return NULL;
}

const struct setting_spec *service_setting(const char *key)
{
	for (size_t i = 0; services[i]; i++)
		for (const struct setting_spec *k = services[i]->settings; k && k->key; k++)
			if (strcmp(k->key, key) == 0)
				return k;
	return NULL;
}

const struct view_spec *service_view(const char *name)
{
	for (size_t i = 0; services[i]; i++)
		for (const struct view_spec *const *v = services[i]->views; v && *v; v++)
			if (strcmp((*v)->name, name) == 0)
				return *v;
	return NULL;
}
