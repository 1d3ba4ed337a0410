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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soa/recovery.h"
#include "soa/state.h"

/*! \brief Logs (and counts) what the store met, if anything. */
static void report_event(soa_state_t *s, soa_store_t *st, unsigned tid)
{
	soa_store_event_t ev;
	if (st == NULL || !soa_store_take_event(st, &ev)) {
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

/*! \brief The store, opening it if it is not open yet. */
static soa_store_t *store(soa_state_t *s, unsigned tid, int *ret)
{
	soa_store_t *st = __atomic_load_n(&s->store, __ATOMIC_ACQUIRE);
	*ret = KNOT_EOK;
	if (st == NULL) {
		*ret = soa_store_open(s->dir, &st);
		if (*ret == KNOT_EOK) {
			__atomic_store_n(&s->store, st, __ATOMIC_RELEASE);
		}
	}
	report_event(s, st, tid);
	return st;
}

int soa_state_init(soa_state_t *s, knotd_mod_t *mod, const soa_metrics_t *m,
                   const knot_dname_t *zone, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->mod = mod;
	s->metrics = m;
	s->zone = zone;
	s->dir = strdup(dir);
	size_t len = strlen(dir) + sizeof("/" SOA_RECOVERY_HW_NAME);
	s->hw_file = malloc(len);
	if (s->dir == NULL || s->hw_file == NULL) {
		soa_state_deinit(s);
		return KNOT_ENOMEM;
	}
	(void)snprintf(s->hw_file, len, "%s/" SOA_RECOVERY_HW_NAME, dir);

	// Without the store the zone is still served: serials come from memory
	// (never lower than published) and opening is tried per new version.
	int ret;
	if (store(s, 0, &ret) == NULL) {
		knotd_mod_log(mod, LOG_ERR, "failed to open state database '%s/data.mdb' (%s), "
		              "will retry at the next zone version", dir, knot_strerror(ret));
		soa_count(m, 0, SOA_CTR_STATE_ERROR, 0);
	}
	return KNOT_EOK;
}

void soa_state_deinit(soa_state_t *s)
{
	free(s->dir);
	free(s->hw_file);
	s->dir = s->hw_file = NULL;
}

bool soa_state_get(soa_state_t *s, soa_record_t *rec)
{
	soa_store_t *st = __atomic_load_n(&s->store, __ATOMIC_ACQUIRE);
	return st != NULL && soa_store_get(st, s->zone, rec) == KNOT_EOK;
}

/*! \brief The lost-state bound: from the store's high-water mark, or its file. */
static uint32_t lost_bound(soa_state_t *s, soa_store_t *st, uint32_t today)
{
	uint32_t hw = 0;
	bool have = (st != NULL) ? soa_store_high_water(st, &hw) :
	                           soa_recovery_hw_read(s->hw_file, &hw);
	return soa_recovery_bound(today, have, hw);
}

bool soa_state_publish(soa_state_t *s, const soa_version_t *v, const soa_record_t *mem,
                       int64_t now, unsigned tid, soa_record_t *rec)
{
	int ret;
	soa_store_t *st = store(s, tid, &ret);
	uint32_t lost = lost_bound(s, st, v->today);

	// What this instance published is a lower bound, stored or not (a
	// signed version's serial is its real one and bounds nothing).
	const soa_record_t *bound = (mem != NULL && mem->mode != SOA_MODE_SIGNED) ? mem : NULL;
	unsigned flags = 0;
	if (st != NULL) {
		ret = soa_store_publish(st, s->zone, v, lost, bound, now, rec, &flags);
		report_event(s, st, tid);
	}
	if (ret != KNOT_EOK) {
		knotd_mod_log(s->mod, LOG_ERR, "failed to update state in '%s/data.mdb' (%s), "
		              "publishing from memory", s->dir, knot_strerror(ret));
		soa_count(s->metrics, tid, SOA_CTR_STATE_ERROR, 0);
		// The same rule from memory; without a record the state counts as lost.
		return soa_publish(mem, lost, v, rec);
	}
	if (flags & SOA_STORE_BROKEN) {
		knotd_mod_log(s->mod, LOG_ERR, "unreadable state record in '%s', "
		              "resumed above serial %u", soa_store_file(st), lost);
		soa_count(s->metrics, tid, SOA_CTR_STATE_ERROR, 0);
	}
	return flags & SOA_STORE_CREATED;
}

void soa_state_cut_history(soa_state_t *s, uint32_t real)
{
	soa_store_t *st = __atomic_load_n(&s->store, __ATOMIC_ACQUIRE);
	int ret = (st != NULL) ? soa_store_cut_history(st, s->zone, real) : KNOT_EOK;
	if (ret != KNOT_EOK) {
		knotd_mod_log(s->mod, LOG_ERR, "failed to update state in '%s/data.mdb' (%s)",
		              s->dir, knot_strerror(ret));
	}
}
