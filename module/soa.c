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
 * \brief mod-soa: negative caching policy, date-format published serials and
 *        SOA metrics for Knot DNS. The module API: load, unload, hooks.
 */

#include "soa/conf.h"
#include "soa/knotd_compat.h"
#include "soa/process.h"
#include "soa/query.h"
#include "soa/xfr.h"
#include "soa/zone.h"

int soa_load(knotd_mod_t *mod)
{
	// A binary is good for the Knot series it was built against only.
	int ret = soa_knotd_check_series(mod);
	if (ret != KNOT_EOK) {
		return ret;
	}

	bool service;
	ret = soa_process_acquire(mod, &service);
	if (ret != KNOT_EOK) {
		return ret;
	}
	soa_zone_t *z = NULL;
	ret = soa_zone_new(mod, &z);
	if (ret != KNOT_EOK) {
		soa_process_release();
		return ret;
	}

	// Store the context before any hook (or the service thread) can use it.
	knotd_mod_ctx_set(mod, z);
	if (service) {
		soa_zone_watch(z);
	} else {
		knotd_mod_log(mod, LOG_WARNING, "no service thread, changes are seen by "
		              "queries only and no NOTIFY is sent");
	}

	// Transfers need the BEGIN and END hooks, which every query pays for.
	if (z->opt.date && soa_knotd_zone_may_transfer(mod)) {
		(void)knotd_mod_hook(mod, KNOTD_STAGE_BEGIN, soa_xfr_begin);
		(void)knotd_mod_hook(mod, KNOTD_STAGE_END, soa_xfr_end);
	} else if (z->opt.date) {
		knotd_mod_log(mod, LOG_DEBUG, "no ACL allows transfers, transfer hooks not needed");
	}
	knotd_mod_in_hook_f hook = soa_query_hook(z->rules.label_slots + z->rules.subtree_count > 0,
	                                          z->nxtable != NULL, z->opt.min_floor);
	(void)knotd_mod_in_hook(mod, z->opt.min_floor ? KNOTD_STAGE_ADDITIONAL :
	                        KNOTD_STAGE_AUTHORITY, hook);
	return KNOT_EOK;
}

void soa_unload(knotd_mod_t *mod)
{
	// No knotd_mod_log() or knotd_mod_zone() here: the zone name is gone.
	soa_zone_t *z = knotd_mod_ctx(mod);
	if (z == NULL) {
		return;
	}
	// knotd removed the query plan and waited for readers before this call.
	soa_zone_free(z);
	// knotd 3.5.4+ may call unload() again after a failed reload.
	knotd_mod_ctx_set(mod, NULL);
	soa_process_release();
}

SOA_KNOTD_MOD_API(soa, KNOTD_MOD_FLAG_SCOPE_ZONE | KNOTD_MOD_FLAG_OPT_CONF,
                  soa_load, soa_unload, soa_conf, soa_conf_check);
