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
 * \brief knotd behaviour mod-soa relies on that knot/module.h does not
 *        promise. Checked against Knot DNS 3.2.6, 3.3.10, 3.4.10 and 3.5.6;
 *        tests/functional/test_compat.py tests each on every series.
 */

#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "soa/knotd_compat.h"
#include "soa/series.h"

/* Series. */

extern knotd_mod_api_t knotd_mod_api;

/*! \brief dl_iterate_phdr() callback: remembers the libknot sonames loaded. */
static int find_libknot(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	char (*names)[2][64] = arg;
	const char *base = strrchr(info->dlpi_name, '/');
	base = (base != NULL) ? base + 1 : info->dlpi_name;
	if (strncmp(base, "libknot.so.", 11) != 0) {
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		if ((*names)[i][0] == '\0') {
			(void)snprintf((*names)[i], sizeof((*names)[i]), "%s", base);
			return 0;
		}
		if (strcmp((*names)[i], base) == 0) {
			return 0;
		}
	}
	return 0;
}

/*!
 * \brief Runs when knotd (or knotc) dlopen()s the library, before it reads
 *        knotd_mod_api.
 *
 * Knot 3.4 and 3.5 share module ABI 600, but 3.5.2 enlarged yp_item_t, the
 * element of the configuration schema (knot/conf/module.c reads
 * api->config with the running release's layout): a 3.4 build in knotd
 * 3.5.6 crashed it while it parsed the configuration, and a 3.5.6 build
 * in knotd 3.4.10 had every option refused, both before load() could
 * check the version (measured, docs/mod-soa.rst "Knot DNS versions").
 * Each series links its own libknot soname (13 in 3.2 to 16 in 3.5), so a
 * library built for another series brings a second libknot into the
 * process: then the ABI version is withdrawn and knotd refuses the module
 * as "incompatible version" (conf/module.c) instead.
 */
__attribute__((constructor))
static void refuse_foreign_libknot(void)
{
	char names[2][64] = { "", "" };
	(void)dl_iterate_phdr(find_libknot, &names);
	if (names[1][0] != '\0') {
		knotd_mod_api.version = 0;
		fprintf(stderr, "mod-soa: built for Knot DNS %s, but this process has both %s "
		        "and %s loaded: build the module against the knotd it runs in\n",
		        SOA_KNOT_BUILT, names[0], names[1]);
	}
}

int soa_knotd_check_series(knotd_mod_t *mod)
{
	// knotd_conf_env() gives PACKAGE_STRING, e.g. "Knot DNS 3.5.6".
	const char *running = knotd_conf_env(mod, KNOTD_CONF_ENV_VERSION).single.string;
	if (soa_series_compatible(SOA_KNOT_BUILT, running)) {
		return KNOT_EOK;
	}
	knotd_mod_log(mod, LOG_ERR, "module built for Knot DNS %s cannot run in %s, "
	              "build it against this knotd", SOA_KNOT_BUILT,
	              running != NULL ? running : "this knotd");
	return KNOT_ENOTSUP;
}

/* Transfers. */

#define C_ACL      ((const yp_name_t *)"\x03""acl")
#define C_ACTION   ((const yp_name_t *)"\x06""action")
#define C_DENY     ((const yp_name_t *)"\x04""deny")
#define C_SERVER   ((const yp_name_t *)"\x06""server")
#define C_AUTO_ACL ((const yp_name_t *)"\x0D""automatic-acl")
#define C_NOTIFY   ((const yp_name_t *)"\x06""notify")

/*! \brief Option value of ACL action "transfer" (acl_action_t, knot/updates/acl.h). */
#define ACL_TRANSFER   2
/*! \brief Highest ACL action value ("update"). */
#define ACL_ACTION_MAX 3

/*!
 * Mirrors process_query_acl_check() (knot/nameserver/process_query.c):
 * with server automatic-acl, the zone's notify remotes may transfer, else
 * an ACL rule with action transfer that is not deny. Any rule this code
 * does not fully understand counts as allowing transfers.
 */
bool soa_knotd_zone_may_transfer(knotd_mod_t *mod)
{
	knotd_conf_t notify = knotd_conf_zone(mod, C_NOTIFY, knotd_mod_zone(mod));
	bool may = notify.count > 0 && knotd_conf(mod, C_SERVER, C_AUTO_ACL, NULL).single.boolean;
	knotd_conf_free(&notify);

	knotd_conf_t acls = knotd_conf_zone(mod, C_ACL, knotd_mod_zone(mod));
	for (size_t i = 0; i < acls.count && !may; i++) {
		knotd_conf_t id = { .single = acls.multi[i] };
		if (knotd_conf(mod, C_ACL, C_DENY, &id).single.boolean) {
			continue;
		}
		knotd_conf_t act = knotd_conf(mod, C_ACL, C_ACTION, &id);
		if (act.count == 0) {
			may = (act.single.option == ACL_TRANSFER || act.single.option > ACL_ACTION_MAX);
		}
		for (size_t j = 0; j < act.count; j++) {
			unsigned opt = act.multi[j].option;
			may = may || opt == ACL_TRANSFER || opt > ACL_ACTION_MAX;
		}
		knotd_conf_free(&act);
	}
	knotd_conf_free(&acls);
	return may;
}
