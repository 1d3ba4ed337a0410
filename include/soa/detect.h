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
 * \brief Change detection: noticing that a zone changed although nobody asks,
 *        so its new version gets a published serial and its NOTIFY.
 *
 * knotd does not tell modules when a zone changes, but the module's hook
 * sees a zone's current version whenever knotd answers a query that
 * carries its SOA. A check is such a query, sent by the service thread to
 * knotd's own listen address. Which zones get one, and when:
 *
 *  - D-Bus (change-detect: auto or dbus): knotd announces every change
 *    (dbus.h); the announced zone is checked at once.
 *  - Polling (change-detect: poll, or auto/dbus while D-Bus is unusable):
 *    zones take turns, at most SOA_DETECT_POLL_RATE checks a second for the
 *    whole process, none more often than every SOA_DETECT_POLL_MS; a zone
 *    whose answers carried its SOA meanwhile was checked by them.
 *  - Off: only answers that carry the SOA.
 *
 * At most SOA_DETECT_WINDOW checks are in flight; one unanswered for a
 * second is sent again (a flood of announcements is paced, none lost).
 * Every new snapshot a worker builds reaches the service thread
 * (soa_service_changed()): a new published serial sets change-detect-lag
 * and queues the NOTIFY. All functions run in the service thread, under
 * its lock.
 */

#pragma once

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "soa/remotes.h"
#include "soa/service.h"

/*! \brief Most checks a second polling sends for the whole process. */
#define SOA_DETECT_POLL_RATE 500
/*! \brief A zone is polled at most this often (ms). */
#define SOA_DETECT_POLL_MS 850
/*! \brief Most checks in flight. */
#define SOA_DETECT_WINDOW 64

/*! \brief Where the checks go. */
typedef struct {
	const soa_addr_t *target;  /*!< knotd's listen address, NULL if unknown. */
	int fd[2];                 /*!< Shared IPv4 and IPv6 sockets. */
	uint16_t id;               /*!< Message ID of the checks. */
} soa_detect_io_t;

/*! \brief Starts watching a zone. */
int soa_detect_add(soa_watch_t *w, uint64_t now);

/*! \brief Stops watching a zone (it goes away). */
void soa_detect_remove(soa_watch_t *w);

/*! \brief Whether knotd emits zone-updated on D-Bus (its configuration). */
void soa_detect_set_dbus(bool zone_updated);

/*!
 * \brief A zone got a new snapshot (drained from the workers' list).
 *
 * \return True if it has a new published serial (not the first one seen).
 */
bool soa_detect_changed(soa_watch_t *w, uint64_t now);

/*! \brief An answer to a check arrived. */
void soa_detect_on_answer(const uint8_t *buf, size_t len);

/*! \brief Adds the D-Bus descriptor to a poll set; returns how many (0 or 1). */
size_t soa_detect_poll_fds(struct pollfd *fds, size_t room);

/*! \brief Processes the D-Bus descriptor's events. */
void soa_detect_on_fds(const struct pollfd *fds, size_t count, uint64_t now);

/*! \brief A pass (after every wake-up, at least every 100 ms): the bus,
 *         retries, polling, sending what is queued. */
void soa_detect_run(uint64_t now, const soa_detect_io_t *io);

/*! \brief Forgets every zone and closes the bus (the service stops). */
void soa_detect_clear(void);
