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
 * seen by the module (xfr.c) are observations too. Each secondary's state
 * goes to the replica[...] and replica-serial[...] gauges and, when it
 * changes, to the log; replication-lag follows the newest published serial
 * until every secondary has confirmed it.
 *
 * Cost: checks of all zones are paced process-wide, at most
 * SOA_REPLICA_RATE queries a second plus a saved burst of
 * SOA_REPLICA_BURST, at most SOA_REPLICA_WINDOW in flight; a check is given
 * up (unreachable) after SOA_REPLICA_TRIES sends without an answer.
 *
 * All functions but soa_replica_observe() run in the service thread, under
 * its lock.
 */

#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "soa/remotes.h"
#include "soa/service.h"

/*! \brief Most check queries a second, process-wide (retransmissions included). */
#define SOA_REPLICA_RATE 400
/*! \brief Most queries saved up while idle, sent at once at most. */
#define SOA_REPLICA_BURST 40
/*! \brief Most checks in flight. */
#define SOA_REPLICA_WINDOW 1024
/*! \brief Sends of one check: 1 s, 2 s, 2 s apart, then unreachable (5 s). */
#define SOA_REPLICA_TRIES 3
/*! \brief Most transfer observations waiting for the service thread. */
#define SOA_REPLICA_OBSERVATIONS 1024

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
int soa_replica_add(soa_watch_t *w, uint64_t now);

/*! \brief Stops tracking a zone (it goes away); drops its checks. */
void soa_replica_remove(soa_watch_t *w);

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

/*! \brief Adds the checks' own sockets (remotes with a via source) to a poll
 *         set of room entries; returns how many. */
size_t soa_replica_poll_fds(struct pollfd *fds, size_t room);

/*!
 * \brief Matches a datagram to a check in flight (by ID and source address).
 *
 * \return True if it was for a check (whatever it said).
 */
bool soa_replica_on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from);

/*! \brief Forgets every zone and check (the service stops). */
void soa_replica_clear(void);

/*!
 * \brief A transfer told a client's serial (a worker, off the common path):
 *        the client of an IXFR holds its query's serial, the client of a
 *        completed transfer the published one. Queued without blocking for
 *        the service thread, which attributes it to a secondary by address.
 *
 * \param w       The zone's watch (w->replica set).
 * \param client  The client's address.
 * \param serial  The serial it holds.
 */
void soa_replica_observe(soa_watch_t *w, const struct sockaddr_storage *client,
                         uint32_t serial);
