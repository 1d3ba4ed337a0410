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
 * \brief The per-zone module context (knotd_mod_ctx()), created in load()
 *        and freed in unload().
 */

#pragma once

#include <pthread.h>
#include <stdbool.h>

#include <knot/module.h>

#include "soa/conf.h"
#include "soa/metrics.h"
#include "soa/remotes.h"
#include "soa/service.h"
#include "soa/state.h"

struct soa_snap;

/*! \brief Per-zone module context. */
typedef struct soa_zone {
	knotd_mod_t *mod;           /*!< Owning module instance. */
	knot_dname_t *name;         /*!< Copy of the zone name (knotd frees its own early). */
	soa_options_t opt;          /*!< The instance's options. */
	soa_metrics_t metrics;      /*!< Its counters. */
	soa_state_t state;          /*!< Its published serials (date serials only). */
	soa_remote_t *remotes;      /*!< Its notify remotes (notify-published or
	                                 replica-check). */
	unsigned remote_count;
	soa_rules_t rules;          /*!< negative-ttl-rule, ready for matching. */
	struct soa_nxtable *nxtable;/*!< NXDOMAIN names (negative-exposure), NULL if off. */

	struct soa_snap *snap;      /*!< Current snapshot (RCU; snap.h). */
	struct soa_snap *prev;      /*!< The one it replaced: readers still answering
	                                 from the previous zone version match it. */
	pthread_mutex_t lock;       /*!< Serializes snapshot replacement. */
	bool signed_logged;         /*!< Signed-zone notice given. */

	soa_watch_t watch;          /*!< The service thread's side. */
	bool watched;               /*!< Registered with the service thread. */
	int names;                  /*!< replica-serial's names (names.h), -1 if none. */
} soa_zone_t;

/*!
 * \brief Creates the context of a module instance: options, counters,
 *        state, remotes, and the gauges of the last version stored.
 *
 * \return KNOT_EOK or KNOT_ENOMEM (everything else degrades and is logged).
 */
int soa_zone_new(knotd_mod_t *mod, soa_zone_t **out);

/*! \brief Registers the zone with the service thread (after
 *         knotd_mod_ctx_set(): hooks may run from then on). */
void soa_zone_watch(soa_zone_t *z);

/*! \brief Unregisters and frees a context (knotd runs no hook of it any more). */
void soa_zone_free(soa_zone_t *z);
