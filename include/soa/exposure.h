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
 * \brief NXDOMAIN exposure of newly added names (negative-exposure): when a
 *        zone gets a new published serial, each name it recently answered
 *        NXDOMAIN for (nxtable.h), whose negative TTL has not passed, is
 *        looked up in the new version by a query to knotd itself; a name
 *        that now exists is logged once, with until when resolvers may keep
 *        the NXDOMAIN, and counted. Runs in the service thread, under its
 *        lock; at most SOA_EXPOSURE_WINDOW lookups are in flight.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "soa/remotes.h"
#include "soa/service.h"

/*! \brief Most lookups in flight, for every zone together. */
#define SOA_EXPOSURE_WINDOW 64

/*! \brief The zone has a new published serial: look its NXDOMAIN names up. */
void soa_exposure_start(soa_watch_t *w);

/*!
 * \brief Sends lookups, gives up on old ones, counts the exposure gauge down.
 *
 * \param now     Monotonic ms.
 * \param target  knotd's listen address (NULL: unknown).
 * \param fd      Socket of the target's family.
 */
void soa_exposure_run(uint64_t now, const soa_addr_t *target, int fd);

/*! \brief An answer with the lookups' ID (SOA_SERVICE_LOOKUP_ID). */
void soa_exposure_on_answer(const uint8_t *buf, size_t len);

/*! \brief Forgets a zone's lookups (the zone goes away). */
void soa_exposure_drop(soa_watch_t *w);

/*! \brief Forgets everything (the service stops). */
void soa_exposure_clear(void);
