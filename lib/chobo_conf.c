/* chobo.conf: the core keys, and the services' settings through their tables. */
#include "config.h"

#include "chobo_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "service.h"

#define CONF_MAX (1 << 16)

static const char peer_name_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

/* "peer = NAME DESTINATION": a plain name and one ssh destination that is not an option. */
static bool add_peer(struct ledger_config *c, char *val)
{
	char *name = val, *dest = val + strcspn(val, " \t");
	if (*dest)
		*dest++ = '\0';
	dest += strspn(dest, " \t");
	if (!*name || !*dest || strcspn(dest, " \t") != strlen(dest) ||
	    strspn(name, peer_name_chars) != strlen(name) || dest[0] == '-')
		return false;
	c->peers = xrealloc(c->peers, (c->npeers + 1) * sizeof *c->peers);
	c->peers[c->npeers].name = xstrdup(name);
	c->peers[c->npeers].destination = xstrdup(dest);
	c->npeers++;
	return true;
}

/* A service setting: registered, valid, and given once. */
static int add_setting(struct ledger_config *c, const char *where, const char *key, const char *val,
		       struct chobo_error *err)
{
	const struct setting_spec *spec = service_setting(key);
	char why[256] = "";
	if (!spec)
		return chobo_fail(err, EX_CONFIG, "%s: unknown setting \"%s\"", where, key);
	for (size_t i = 0; i < c->nsettings; i++)
		if (c->settings[i].spec == spec)
			return chobo_fail(err, EX_CONFIG, "%s: \"%s\" is set twice", where, key);
	if (!*val || (spec->valid && !spec->valid(val, why, sizeof why)))
		return chobo_fail(err, EX_CONFIG, "%s: %s = %s: %s", where, key, val,
				  *why ? why : "a value is needed");
	c->settings = xrealloc(c->settings, (c->nsettings + 1) * sizeof *c->settings);
	c->settings[c->nsettings].spec = spec;
	c->settings[c->nsettings].value = xstrdup(val);
	c->nsettings++;
	return 0;
}

/* One "key = value" line, already stripped of comments and leading blanks. */
static int config_line(struct ledger_config *c, const char *where, char *line, struct chobo_error *err)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return chobo_fail(err, EX_CONFIG, "%s: expected key = value", where);
	char *key = line, *val = eq + 1;
	for (char *e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = '\0';
	*eq = '\0';
	val += strspn(val, " \t");
	for (size_t n = strlen(val); n > 0 && strchr(" \t\r", val[n - 1]); n--)
		val[n - 1] = '\0';
	if (strcmp(key, "origin") == 0) {
		free(c->origin);
		c->origin = xstrdup(val);
	} else if (strcmp(key, "witness") == 0) {
		free(c->witness);
		c->witness = xstrdup(val);
	} else if (strcmp(key, "testing") == 0) {
		if (strcmp(val, "yes") != 0)
			return chobo_fail(err, EX_CONFIG, "%s: testing = yes is the only value (a production "
					  "ledger has no testing line)", where);
		c->testing = true;
	} else if (strcmp(key, "peer") == 0) {
		if (!add_peer(c, val))
			return chobo_fail(err, EX_CONFIG, "%s: expected peer = NAME DESTINATION", where);
	} else {
		return add_setting(c, where, key, val, err);
	}
	return 0;
}

int config_read(const char *dir, struct ledger_config *c, struct chobo_error *err)
{
	memset(c, 0, sizeof *c);
	char *path = path_join(dir, "chobo.conf");
	size_t len;
	char *text = read_file(path, CONF_MAX, &len);
	int rc = 0;
	if (!text) {
		if (errno == ENOENT)
			rc = chobo_fail(err, EX_NOINPUT, "%s: not a ledger (no chobo.conf); create one with chain-init",
					dir);
		else
			rc = chobo_fail_errno(err, EX_NOINPUT, "%s", path);
		free(path);
		return rc;
	}
	unsigned long lineno = 0;
	for (char *line = text, *next; rc == 0 && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		char where[512 + 32];
		snprintf(where, sizeof where, "%.512s:%lu", path, lineno);
		rc = config_line(c, where, line, err);
	}
	if (rc == 0 && (!c->origin || !checkpoint_origin_valid(c->origin)))
		rc = chobo_fail(err, EX_CONFIG, "%s: missing or invalid origin", path);
	free(text);
	free(path);
	if (rc != 0)
		config_free(c);
	return rc;
}

void config_free(struct ledger_config *c)
{
	for (size_t i = 0; i < c->npeers; i++) {
		free(c->peers[i].name);
		free(c->peers[i].destination);
	}
	for (size_t i = 0; i < c->nsettings; i++)
		free(c->settings[i].value);
	free(c->peers);
	free(c->settings);
	free(c->origin);
	free(c->witness);
	memset(c, 0, sizeof *c);
}

const char *config_setting(const struct ledger_config *c, const char *key)
{
	const struct setting_spec *spec = service_setting(key);
	if (!spec)
		return NULL;
	for (size_t i = 0; i < c->nsettings; i++)
		if (c->settings[i].spec == spec)
			return c->settings[i].value;
	return spec->default_value;
}

int config_setting_u64(const struct ledger_config *c, const char *key, uint64_t *out,
		       struct chobo_error *err)
{
	const char *v = config_setting(c, key);
	if (!v)
		return chobo_fail(err, EX_SOFTWARE, "setting %s is not registered or has no value", key);
	if (!parse_u64(v, out))
		return chobo_fail(err, EX_CONFIG, "chobo.conf: %s = %s is not a whole number", key, v);
	return 0;
}

char *config_setting_path(const struct ledger_config *c, const char *dir, const char *key)
{
	const char *v = config_setting(c, key);
	if (!v)
		return NULL;
	/* A cron job runs from elsewhere: the file sits beside chobo.conf, whatever the working directory. */
	return v[0] == '/' ? xstrdup(v) : path_join(dir, v);
}

char *config_new_text(const char *origin, const char *witness, bool testing)
{
	size_t n = strlen(origin) + strlen(witness) + 160;
	char *text = xmalloc(n);
	snprintf(text, n, "# chobo ledger\norigin = %s\nwitness = %s\n%s", origin, witness,
		 testing ? "# made for testing: CHOBO_NOW may set the clock, and every entry it times says so\n"
			   "testing = yes\n" : "");
	return text;
}
