/*  Copyright (C) 2026 mod-soa contributors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    This program is distributed in the hope that it will be useful,
    but WITHOUT ANY WARRANTY; without even the implied warranty of
    MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
    GNU General Public License for more details.

    You should have received a copy of the GNU General Public License
    along with this program.  If not, see <https://www.gnu.org/licenses/>.
 */
/*!
 * \file
 *
 * \brief The mod-soa configuration section.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soa/conf.h"
#include "soa/metrics.h"
#include "soa/service.h"

static const knot_lookup_t serial_formats[] = {
	{ SOA_FORMAT_DATE, "date" },
	{ SOA_FORMAT_KEEP, "keep" },
	{ 0, NULL }
};

static const knot_lookup_t change_detect[] = {
	{ SOA_DETECT_AUTO, "auto" },
	{ SOA_DETECT_DBUS, "dbus" },
	{ SOA_DETECT_POLL, "poll" },
	{ SOA_DETECT_OFF,  "off" },
	{ 0, NULL }
};

static const knot_lookup_t statistics[] = {
	{ SOA_STATISTICS_NONE, "none" },
	{ SOA_STATISTICS_ALL,  "all" },
	{ SOA_GROUP_NEGATIVE,  "negative" },
	{ SOA_GROUP_SOA,       "soa" },
	{ SOA_GROUP_LINT,      "lint" },
	{ SOA_GROUP_SERIAL,    "serial" },
	{ SOA_GROUP_TRANSFER,  "transfer" },
	{ SOA_GROUP_NOTIFY,    "notify" },
	{ SOA_GROUP_STATE,     "state" },
	{ SOA_GROUP_REPLICA,   "replica" },
	{ 0, NULL }
};

/*! \brief TTLs are at most 2^31 - 1 (RFC 2181 §8). */
#define TTL_MAX INT32_MAX
/*! \brief Longest replica-check-interval: a week. */
#define REPLICA_INTERVAL_MAX (7 * 86400)

const yp_item_t soa_conf[] = {
	{ MOD_NEG_TTL_MIN,   YP_TINT,  YP_VINT = { 0, TTL_MAX, 0, YP_STIME } },
	{ MOD_NEG_TTL_MAX,   YP_TINT,  YP_VINT = { 0, TTL_MAX, 10800, YP_STIME } },
	{ MOD_MIN_AS_FLOOR,  YP_TBOOL, YP_VNONE },
	{ MOD_LINT,          YP_TBOOL, YP_VBOOL = { true } },
	{ MOD_SERIAL_FORMAT, YP_TOPT,  YP_VOPT = { serial_formats, SOA_FORMAT_DATE } },
	{ MOD_SERIAL_FLOOR,  YP_TINT,  YP_VINT = { 0, UINT32_MAX, 0 } },
	{ MOD_STATE_DB,      YP_TSTR,  YP_VNONE },
	{ MOD_NOTIFY_PUB,    YP_TBOOL, YP_VBOOL = { true } },
	{ MOD_CHANGE_DETECT, YP_TOPT,  YP_VOPT = { change_detect, SOA_DETECT_AUTO } },
	{ MOD_STATISTICS,    YP_TOPT,  YP_VOPT = { statistics, SOA_STATISTICS_ALL }, YP_FMULTI },
	{ MOD_NEG_TTL_RULE,  YP_TSTR,  YP_VNONE, YP_FMULTI },
	{ MOD_NEG_EXPOSURE,  YP_TBOOL, YP_VNONE },
	// Replication health.
	{ MOD_REPLICA_CHECK,    YP_TBOOL, YP_VBOOL = { true } },
	{ MOD_REPLICA_INTERVAL, YP_TINT,  YP_VINT = { 0, REPLICA_INTERVAL_MAX, 0, YP_STIME } },
	{ NULL }
};

/*! \brief Checks every negative-ttl-rule, and that no name has two. */
static int check_rules(knotd_conf_check_args_t *args)
{
	static char err[KNOT_DNAME_TXT_MAXLEN + 160];
	knotd_conf_t rules = knotd_conf_check_item(args, MOD_NEG_TTL_RULE);
	soa_rule_t *parsed = calloc(rules.count + 1, sizeof(*parsed));
	int ret = (parsed != NULL) ? KNOT_EOK : KNOT_ENOMEM;
	for (size_t i = 0; i < rules.count && ret == KNOT_EOK; i++) {
		const char *value = rules.multi[i].string;
		const char *why = soa_rule_parse(value, &parsed[i]);
		for (size_t j = 0; j < i && why == NULL; j++) {
			if (parsed[j].subtree == parsed[i].subtree &&
			    knot_dname_is_equal(parsed[j].name, parsed[i].name)) {
				why = "the name has another rule";
			}
		}
		if (why != NULL) {
			(void)snprintf(err, sizeof(err), "negative-ttl-rule '%s': %s", value, why);
			args->err_str = err;
			ret = KNOT_EINVAL;
		}
	}
	free(parsed);
	knotd_conf_free(&rules);
	return ret;
}

int soa_conf_check(knotd_conf_check_args_t *args)
{
	knotd_conf_t lo = knotd_conf_check_item(args, MOD_NEG_TTL_MIN);
	knotd_conf_t hi = knotd_conf_check_item(args, MOD_NEG_TTL_MAX);
	if (lo.single.integer > hi.single.integer) {
		args->err_str = "negative-ttl-min must not exceed negative-ttl-max";
		return KNOT_EINVAL;
	}

	// Serial options that would silently do nothing are mistakes.
	knotd_conf_t format = knotd_conf_check_item(args, MOD_SERIAL_FORMAT);
	knotd_conf_t floor = knotd_conf_check_item(args, MOD_SERIAL_FLOOR);
	knotd_conf_t db = knotd_conf_check_item(args, MOD_STATE_DB);
	if (format.single.option == SOA_FORMAT_KEEP) {
		if (floor.count > 0) {
			args->err_str = "serial-floor requires serial-format date";
			return KNOT_EINVAL;
		}
		if (db.count > 0) {
			args->err_str = "state-db requires serial-format date";
			return KNOT_EINVAL;
		}
		knotd_conf_t notify = knotd_conf_check_item(args, MOD_NOTIFY_PUB);
		if (notify.count > 0 && notify.single.boolean) {
			args->err_str = "notify-published requires serial-format date";
			return KNOT_EINVAL;
		}
	}
	if (db.count > 0 && db.single.string[0] == '\0') {
		args->err_str = "state-db must not be empty";
		return KNOT_EINVAL;
	}

	// "none" and "all" stand alone.
	knotd_conf_t stats = knotd_conf_check_item(args, MOD_STATISTICS);
	for (size_t i = 0; i < stats.count && stats.count > 1; i++) {
		unsigned v = stats.multi[i].option;
		if (v == SOA_STATISTICS_NONE || v == SOA_STATISTICS_ALL) {
			args->err_str = "statistics none or all cannot be combined with groups";
			knotd_conf_free(&stats);
			return KNOT_EINVAL;
		}
	}
	knotd_conf_free(&stats);

	// An interval for checks that are off is a mistake too.
	knotd_conf_t replica = knotd_conf_check_item(args, MOD_REPLICA_CHECK);
	knotd_conf_t interval = knotd_conf_check_item(args, MOD_REPLICA_INTERVAL);
	if (replica.count > 0 && !replica.single.boolean && interval.count > 0) {
		args->err_str = "replica-check-interval requires replica-check on";
		return KNOT_EINVAL;
	}

	return check_rules(args);
}

/*! \brief Joins a directory and a path unless the path is absolute. */
static char *join_path(const char *dir, const char *path)
{
	if (path[0] == '/') {
		return strdup(path);
	}
	size_t len = strlen(dir) + 1 + strlen(path) + 1;
	char *out = malloc(len);
	if (out != NULL) {
		(void)snprintf(out, len, "%s/%s", dir, path);
	}
	return out;
}

/*! \brief state-db, or mod-soa under knotd's database storage (like knotd,
 *         relative paths start from the working directory). */
static char *state_path(knotd_mod_t *mod)
{
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		strcpy(cwd, "/");
	}

	knotd_conf_t st = knotd_conf(mod, (const yp_name_t *)"\x08""database",
	                             (const yp_name_t *)"\x07""storage", NULL);
	char *storage = join_path(cwd, st.single.string != NULL ? st.single.string : ".");
	if (storage == NULL) {
		return NULL;
	}

	knotd_conf_t db = knotd_conf_mod(mod, MOD_STATE_DB);
	const char *rel = (db.count > 0) ? db.single.string : SOA_STATE_DIR;
	char *path = join_path(storage, rel);
	free(storage);
	return path;
}

/*! \brief The statistics groups chosen (soa_group_t bits). */
static unsigned groups(knotd_mod_t *mod)
{
	knotd_conf_t stats = knotd_conf_mod(mod, MOD_STATISTICS);
	// Not set: every group (knotd hands no default for a multi-valued item).
	unsigned bits = (stats.count == 0) ? SOA_GROUPS_ALL : 0;
	for (size_t i = 0; i < stats.count; i++) {
		unsigned v = stats.multi[i].option;
		bits |= (v == SOA_STATISTICS_ALL) ? SOA_GROUPS_ALL :
		        (v == SOA_STATISTICS_NONE) ? 0 : 1u << v;
	}
	knotd_conf_free(&stats);
	return bits;
}

/*! \brief The negative-ttl-rule values (checked by soa_conf_check()). */
static int read_rules(knotd_mod_t *mod, soa_options_t *opt)
{
	knotd_conf_t rules = knotd_conf_mod(mod, MOD_NEG_TTL_RULE);
	if (rules.count > 0) {
		opt->rules = calloc(rules.count, sizeof(*opt->rules));
		if (opt->rules == NULL) {
			knotd_conf_free(&rules);
			return KNOT_ENOMEM;
		}
	}
	for (size_t i = 0; i < rules.count; i++) {
		if (soa_rule_parse(rules.multi[i].string, &opt->rules[opt->rule_count]) == NULL) {
			opt->rule_count++;
		}
	}
	knotd_conf_free(&rules);
	return KNOT_EOK;
}

int soa_conf_read(knotd_mod_t *mod, soa_options_t *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->neg_min = knotd_conf_mod(mod, MOD_NEG_TTL_MIN).single.integer;
	opt->neg_max = knotd_conf_mod(mod, MOD_NEG_TTL_MAX).single.integer;
	opt->min_floor = knotd_conf_mod(mod, MOD_MIN_AS_FLOOR).single.boolean;
	opt->lint = knotd_conf_mod(mod, MOD_LINT).single.boolean;
	opt->date = knotd_conf_mod(mod, MOD_SERIAL_FORMAT).single.option == SOA_FORMAT_DATE;
	opt->serial_floor = knotd_conf_mod(mod, MOD_SERIAL_FLOOR).single.integer;
	opt->notify = opt->date && knotd_conf_mod(mod, MOD_NOTIFY_PUB).single.boolean;
	opt->detect = knotd_conf_mod(mod, MOD_CHANGE_DETECT).single.option;
	opt->exposure = knotd_conf_mod(mod, MOD_NEG_EXPOSURE).single.boolean;
	int ret = read_rules(mod, opt);
	if (ret != KNOT_EOK) {
		return ret;
	}
	opt->groups = groups(mod);
	opt->replica = knotd_conf_mod(mod, MOD_REPLICA_CHECK).single.boolean;
	opt->replica_interval = knotd_conf_mod(mod, MOD_REPLICA_INTERVAL).single.integer;
	if (opt->date) {
		opt->state_dir = state_path(mod);
		if (opt->state_dir == NULL) {
			return KNOT_ENOMEM;
		}
	}
	return KNOT_EOK;
}

void soa_conf_free(soa_options_t *opt)
{
	free(opt->state_dir);
	free(opt->rules);
	opt->state_dir = NULL;
	opt->rules = NULL;
	opt->rule_count = 0;
}
