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
 * \brief A zone's published serials through the store, or from memory.
 */

#include <string.h>

#include "soa/recovery.h"
#include "soa/state.h"

/*! \brief Logs (and counts) what the store met, if anything. */
static void report_event(soa_state_t *s, unsigned tid)
{
	soa_store_event_t ev;
	if (!soa_store_take_event(s->store, &ev)) {
		return;
	}
	switch (ev.kind) {
	case SOA_STORE_EVENT_DAMAGED:
		knotd_mod_log(s->mod, LOG_ERR, "state file '%s' is damaged, moved to '%s' and "
		              "started a new one; serials resume above the last one published",
		              ev.file, ev.aside);
		break;
	case SOA_STORE_EVENT_MISSING:
		knotd_mod_log(s->mod, LOG_ERR, "state file '%s' is missing (the high-water file "
		              "remains), started a new one; serials resume above the last one "
		              "published", ev.file);
		break;
	case SOA_STORE_EVENT_HW_FAILED:
		knotd_mod_log(s->mod, LOG_ERR, "failed to write high-water file '%s' (%s), "
		              "serial %u is stored in the database only", ev.file,
		              knot_strerror(ev.err), ev.serial);
		break;
	default:
		return;
	}
	soa_count(s->metrics, tid, SOA_CTR_STATE_ERROR, 0);
}

int soa_state_init(soa_state_t *s, knotd_mod_t *mod, const soa_metrics_t *m,
                   const knot_dname_t *zone, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->mod = mod;
	s->metrics = m;
	s->zone = zone;
	int ret = soa_store_get_dir(dir, &s->store);
	if (ret != KNOT_EOK) {
		return ret;
	}

	// Without the store the zone is still served: serials come from memory
	// (never lower than published) and opening is tried per new version.
	ret = soa_store_open(s->store);
	report_event(s, 0);
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "failed to open state database '%s/data.mdb' (%s), "
		              "will retry at the next zone version", dir, knot_strerror(ret));
		soa_count(m, 0, SOA_CTR_STATE_ERROR, 0);
	}
	return KNOT_EOK;
}

bool soa_state_get(soa_state_t *s, soa_record_t *rec)
{
	return s->store != NULL && soa_store_get(s->store, s->zone, rec) == KNOT_EOK;
}

bool soa_state_publish(soa_state_t *s, const soa_version_t *v, const soa_record_t *mem,
                       int64_t now, unsigned tid, soa_record_t *rec)
{
	// The lost-state bound: the high-water mark (or its file), or YYYYMMDD99.
	uint32_t hw = 0;
	bool have_hw = soa_store_high_water(s->store, &hw);
	uint32_t lost = soa_recovery_bound(v->today, have_hw, hw);

	// What this instance published is a lower bound, stored or not (a
	// signed version's serial is its real one and bounds nothing).
	const soa_record_t *bound = (mem != NULL && mem->mode != SOA_MODE_SIGNED) ? mem : NULL;
	unsigned flags = 0;
	int ret = soa_store_publish(s->store, s->zone, v, lost, bound, now, rec, &flags);
	report_event(s, tid);
	if (ret != KNOT_EOK) {
		knotd_mod_log(s->mod, LOG_ERR, "failed to update state in '%s/data.mdb' (%s), "
		              "publishing from memory", soa_store_dir(s->store), knot_strerror(ret));
		soa_count(s->metrics, tid, SOA_CTR_STATE_ERROR, 0);
		// The same rule from memory; without a record the state counts as lost.
		return soa_publish(mem, lost, v, rec);
	}
	if (flags & SOA_STORE_BROKEN) {
		knotd_mod_log(s->mod, LOG_ERR, "unreadable state record in '%s', "
		              "resumed above serial %u", soa_store_file(s->store), lost);
		soa_count(s->metrics, tid, SOA_CTR_STATE_ERROR, 0);
	}
	return flags & SOA_STORE_CREATED;
}

void soa_state_cut_history(soa_state_t *s, uint32_t real)
{
	int ret = soa_store_cut_history(s->store, s->zone, real);
	if (ret != KNOT_EOK) {
		knotd_mod_log(s->mod, LOG_ERR, "failed to update state in '%s/data.mdb' (%s)",
		              soa_store_dir(s->store), knot_strerror(ret));
	}
}
