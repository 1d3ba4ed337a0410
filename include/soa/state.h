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
 * \brief A zone's published serials: decided and kept through the store,
 *        or, while the store fails, in memory without ever going back; and
 *        the log lines and state-error counts for what storage met.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <knot/module.h>

#include "soa/metrics.h"
#include "soa/publish.h"
#include "soa/store.h"

/*! \brief One zone's access to its state directory. */
typedef struct {
	knotd_mod_t *mod;            /*!< For logs. */
	const soa_metrics_t *metrics;
	const knot_dname_t *zone;    /*!< The record's key. */
	soa_store_t *store;          /*!< The directory (shared by the process's zones). */
} soa_state_t;

/*!
 * \brief Opens the zone's state directory; a failure is logged and counted,
 *        and opening is tried again at the next zone version.
 *
 * \return KNOT_EOK, or KNOT_ENOMEM (nothing else fails load()).
 */
int soa_state_init(soa_state_t *s, knotd_mod_t *mod, const soa_metrics_t *m,
                   const knot_dname_t *zone, const char *dir);

/*! \brief Reads the zone's stored record; false if there is none or no store. */
bool soa_state_get(soa_state_t *s, soa_record_t *rec);

/*!
 * \brief Decides the published serial of a zone version: in the store
 *        (soa_store_publish()), or, when that fails, by the same rule from
 *        what this instance published last (lost state assumed).
 *
 * \param s     State.
 * \param v     The version.
 * \param mem   The record of what this instance published last, NULL if nothing.
 * \param now   UNIX time.
 * \param tid   Worker thread id, for counters.
 * \param rec   Output: the version's record.
 *
 * \return True if it is a new allocation (to log and count).
 */
bool soa_state_publish(soa_state_t *s, const soa_version_t *v, const soa_record_t *mem,
                       int64_t now, unsigned tid, soa_record_t *rec);

/*! \brief Drops the zone's history up to a real serial (see soa_store_cut_history()). */
void soa_state_cut_history(soa_state_t *s, uint32_t real);
