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
 * \brief Replica checks on the wire: when each secondary is asked, the
 *        queries in flight, and the pace of all of them.
 *
 * Every secondary waits in one min-heap by the time of its next check. Due
 * checks leave while the process-wide token bucket and the window of checks
 * in flight allow; a check in flight is found again by its message ID and
 * the answer's source address, retransmitted, or given up. A remote with a
 * via address gets a socket bound to it, shared by the remotes with the
 * same one.
 *
 * What a check finds is the caller's (replica.c): a check that is over is
 * handed back (soa_check_over_t) and rescheduled by the caller.
 *
 * Cost: at most SOA_CHECKS_RATE queries a second plus a saved burst of
 * SOA_CHECKS_BURST, at most SOA_CHECKS_WINDOW in flight; a check is given
 * up (unreachable) after SOA_CHECKS_TRIES sends without an answer.
 *
 * Everything runs in the service thread, under its lock.
 */

#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "soa/remotes.h"
#include "soa/service.h"

/*! \brief Most check queries a second, process-wide (retransmissions included). */
#define SOA_CHECKS_RATE 400
/*! \brief Most queries saved up while idle, sent at once at most. */
#define SOA_CHECKS_BURST 40
/*! \brief Most checks in flight. */
#define SOA_CHECKS_WINDOW 1024
/*! \brief Sends of one check: 1 s, 2 s, 2 s apart, then unreachable (5 s). */
#define SOA_CHECKS_TRIES 3
/*! \brief Room for why a check failed ("timeout", an RCODE, a TSIG error). */
#define SOA_CHECKS_CAUSE 48

/*! \brief A secondary as its checks see it (the first member of replica.c's). */
typedef struct {
	soa_watch_t *w;              /*!< Its zone (name, counters, log). */
	const soa_remote_t *rmt;     /*!< Its remote (key, via). */
	const soa_addr_t *addr;      /*!< Its address. */
	int8_t via;                  /*!< Via socket, -1: the shared ones. */
	int32_t flight;              /*!< Its check in flight, -1 if none. */
	size_t heap;                 /*!< Position in the heap, SIZE_MAX if none. */
	uint64_t due;                /*!< Next check. */
} soa_checked_t;

/*! \brief A check that is over; its flight has ended, the secondary waits
 *         for soa_checks_schedule(). */
typedef struct {
	soa_checked_t *sec;          /*!< The secondary, NULL: no check is over. */
	bool reached;                /*!< It answered with a serial. */
	uint32_t serial;             /*!< That serial. */
	char cause[SOA_CHECKS_CAUSE];/*!< What the answer said, or why there was none. */
} soa_check_over_t;

/*! \brief Makes room for n more secondaries (the first call starts the
 *         checks, see soa_checks_ready()); KNOT_ENOMEM if there is none. */
int soa_checks_reserve(size_t n);

/*! \brief True once soa_checks_reserve() ran (until soa_checks_clear()). */
bool soa_checks_ready(void);

/*! \brief Adds a secondary (w, rmt and addr set, room reserved): its via
 *         socket if its remote has one; not scheduled yet. */
void soa_checks_add(soa_checked_t *c);

/*! \brief Removes a secondary: unscheduled, its check in flight dropped,
 *         its via socket released. */
void soa_checks_drop(soa_checked_t *c);

/*! \brief (Re)schedules the next check of a secondary. */
void soa_checks_schedule(soa_checked_t *c, uint64_t due);

/*! \brief Adds the tokens earned since the last call (before expiry and
 *         new checks of a pass). */
void soa_checks_refill(uint64_t now);

/*!
 * \brief Retransmits the checks whose wait is over, as the rate allows, and
 *        gives up those sent SOA_CHECKS_TRIES times: one at a time, so the
 *        caller may reschedule each before the walk goes on.
 *
 * \return True with a given-up check in *over: call again (same now) until
 *         it returns false.
 */
bool soa_checks_expire(uint64_t now, int fd4, int fd6, soa_check_over_t *over);

/*! \brief Starts the due checks, as the rate and the window allow. */
void soa_checks_start_due(uint64_t now, int fd4, int fd6);

/*! \brief Milliseconds until a check is due or a wait is over (at most max). */
int soa_checks_timeout(uint64_t now, int max);

/*! \brief Adds the via sockets to a poll set of room entries; returns how many. */
size_t soa_checks_poll_fds(struct pollfd *fds, size_t room);

/*!
 * \brief Matches a datagram to a check in flight (by ID and source address).
 *
 * \param over  Set to the check if the datagram ended it (over->sec NULL
 *              while the check still waits: no valid answer, or one
 *              that is not authentic).
 *
 * \return True if it was for a check (whatever it said).
 */
bool soa_checks_on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from,
                         soa_check_over_t *over);

/*! \brief Forgets every secondary and check, closes the via sockets. */
void soa_checks_clear(void);
