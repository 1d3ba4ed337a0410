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
 * \brief NOTIFY with the published serial (RFC 1996): queued when a zone
 *        gets a new published serial, sent over UDP to each notify remote,
 *        retransmitted 1, 2, 4, 4 and 4 s apart, given up 15 s after the
 *        first send. Runs in the service thread, under its lock.
 */

#pragma once

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "soa/remotes.h"
#include "soa/service.h"
#include "soa/snap.h"

/*! \brief Queues (or refreshes) a NOTIFY of the snapshot to every remote of
 *         the zone: only the newest serial matters. */
void soa_notify_queue(soa_watch_t *w, const soa_snap_t *snap, uint64_t now);

/*!
 * \brief Sends due NOTIFYs and retransmissions, gives up on old ones.
 *
 * \param now   Monotonic ms.
 * \param fd4   Shared IPv4 socket.
 * \param fd6   Shared IPv6 socket.
 */
void soa_notify_run(uint64_t now, int fd4, int fd6);

/*! \brief Milliseconds until the next send is due (at most max). */
int soa_notify_timeout(uint64_t now, int max);

/*! \brief Adds the NOTIFYs' own sockets (remotes with a via source) to a poll
 *         set of room entries; returns how many. */
size_t soa_notify_poll_fds(struct pollfd *fds, size_t room);

/*! \brief Matches a datagram to a NOTIFY in flight. */
void soa_notify_on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from);

/*! \brief Drops a zone's pending NOTIFYs (the zone goes away). */
void soa_notify_drop(const soa_watch_t *w);

/*! \brief Drops every pending NOTIFY (the service stops). */
void soa_notify_clear(void);
