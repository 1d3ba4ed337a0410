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
 * \brief Replication health: which secondaries serve the published serial.
 *
 * Every address of every notify remote of a zone is a secondary. The
 * service thread asks each for the zone's SOA (UDP, RD clear, TSIG-signed
 * with the remote's key): after a new published serial at growing
 * intervals, and between changes once per interval (secondary.h). Transfers
 * seen by the module (xfr.c, queued in observe.h) are observations too.
 * Each secondary's state goes to the replica[...] and replica-serial[...]
 * gauges and, when it changes, to the log; replication-lag follows the
 * newest published serial until every secondary has confirmed it.
 *
 * Cost: checks of all zones are paced process-wide (checks.h: at most
 * SOA_CHECKS_RATE queries a second, SOA_CHECKS_WINDOW in flight).
 *
 * Everything runs in the service thread, under its lock.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "soa/remotes.h"
#include "soa/service.h"

/*! \brief A zone version as detection sees it (detect.c). */
typedef struct {
	uint32_t published;   /*!< Published serial. */
	uint64_t alloc_ms;    /*!< When it was allocated (monotonic ms). */
	uint32_t refresh;     /*!< SOA REFRESH (s). */
	uint32_t retry;       /*!< SOA RETRY (s). */
	bool fresh;           /*!< Allocated while the zone was watched (a change). */
} soa_replica_version_t;

/*! \brief Starts tracking the secondaries of a zone (w->replica set); they are
 *         checked once its version is known. */
int soa_replica_add(soa_watch_t *w);

/*! \brief Stops tracking a zone (it goes away); drops its checks. */
void soa_replica_remove(soa_watch_t *w, uint64_t now);

/*! \brief The zone has a (new) version: a new published serial starts the
 *         retry schedule of every secondary. */
void soa_replica_version(soa_watch_t *w, const soa_replica_version_t *v, uint64_t now);

/*!
 * \brief soa_replica_version() for the zone's current snapshot (the service
 *        thread, after change detection looked at it).
 *
 * \param fresh  A new published serial (soa_detect_changed()'s answer).
 */
void soa_replica_snapshot(soa_watch_t *w, bool fresh, uint64_t now);

/*! \brief Sends due checks and retransmissions, gives up on old ones, takes
 *         transfer observations, refreshes replication-lag. */
void soa_replica_run(uint64_t now, int fd4, int fd6);

/*! \brief Milliseconds until soa_replica_run() has something to do (at most max). */
int soa_replica_timeout(uint64_t now, int max);

/*!
 * \brief Matches a datagram to a check in flight (by ID and source address,
 *        soa_checks_on_reply()) and takes what it says.
 *
 * \return True if it was for a check (whatever it said).
 */
bool soa_replica_on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from,
                          uint64_t now);

/*! \brief Forgets every zone and check (the service stops). */
void soa_replica_clear(void);
