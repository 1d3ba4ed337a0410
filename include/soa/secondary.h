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
 * \brief One secondary as the primary sees it: its state (current, behind,
 *        ahead, unreachable), when its state change is logged, and when it
 *        is checked next. Pure: times are arguments (monotonic ms).
 *
 * The schedule:
 *
 *  - After a new published serial: a check SOA_SECONDARY_FIRST_MS after the
 *    allocation (its NOTIFY is out by then), then at growing intervals
 *    (1, 2, 4, 8 ... s, each at most the zone's SOA retry) until the
 *    secondary reports the published serial or 10 x SOA retry has passed.
 *  - Otherwise once per interval (replica-check-interval, or SOA REFRESH),
 *    at a fixed phase of the interval per secondary, so that the checks of
 *    many zones spread over the interval; an unreachable secondary again
 *    after the SOA retry (at most an interval), as secondaries retry a
 *    failed refresh.
 *
 * Logging: every state change is logged once. A secondary that has not yet
 * followed a new serial is behind, but normally only for the moment it
 * takes to transfer: `behind` is logged once the secondary has lacked the
 * published serial for SOA_SECONDARY_BEHIND_GRACE_MS, and a secondary that
 * catches up before that logs nothing.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! \brief Delay of the first check after a new published serial (ms). */
#define SOA_SECONDARY_FIRST_MS 1000
/*! \brief Longest retry interval, whatever the SOA retry (ms). */
#define SOA_SECONDARY_RETRY_CAP_MS 3600000ULL
/*! \brief How long a secondary may lack the published serial before being
 *         behind is logged (ms). */
#define SOA_SECONDARY_BEHIND_GRACE_MS 10000
/*! \brief The first checks of a zone spread over at most this (ms); the
 *         process-wide rate (checks.h) paces them further. */
#define SOA_SECONDARY_START_SPREAD_MS 5000

/*! \brief A secondary's state (the replica[...] gauge indexes). */
typedef enum {
	SOA_REPLICA_CURRENT = 0,   /*!< Answered with the published serial. */
	SOA_REPLICA_BEHIND,        /*!< Answered with an older serial (RFC 1982). */
	SOA_REPLICA_AHEAD,         /*!< Greater or incomparable: it will not follow. */
	SOA_REPLICA_UNREACHABLE,   /*!< No valid answer to the last check (or not checked yet). */
	SOA_REPLICA__COUNT
} soa_replica_state_t;

/*! \brief The state of a secondary holding `held` when `published` is published. */
soa_replica_state_t soa_secondary_classify(uint32_t held, uint32_t published);

/*! \brief State name as in logs and counters ("current", ...). */
const char *soa_replica_state_name(soa_replica_state_t state);

/*! \brief What the primary knows of one secondary. */
typedef struct {
	uint8_t state;          /*!< soa_replica_state_t. */
	uint8_t logged;         /*!< The state last logged (initially current). */
	uint8_t step;           /*!< Checks sent in the current retry schedule. */
	bool answered;          /*!< Some check or transfer told its serial. */
	bool confirmed;         /*!< It was seen holding the newest published serial. */
	uint32_t serial;        /*!< Last serial it reported, 0 before the first. */
	uint64_t last_current;  /*!< When it was last seen current (0 never). */
	uint64_t lacking_from;  /*!< Behind: since when it lacks the published serial. */
} soa_secondary_t;

/*! \brief A new secondary: unreachable (not checked yet), nothing logged. */
void soa_secondary_init(soa_secondary_t *s);

/*! \brief What a result did to a secondary. */
typedef struct {
	uint8_t from, to;       /*!< soa_replica_state_t before and after. */
	bool log;               /*!< A state change to log now (see to). */
	bool confirmed;         /*!< It confirmed the newest published serial just now. */
	uint64_t behind_ms;     /*!< For a behind line: how long it lacked the serial. */
} soa_secondary_event_t;

/*!
 * \brief Applies a result: the secondary reported a serial (a check, or a
 *        transfer), or a check got no valid answer.
 *
 * \param s          The secondary.
 * \param reached    True if it reported a serial.
 * \param serial     The serial (if reached).
 * \param published  The zone's published serial.
 * \param alloc_ms   When that serial was allocated.
 * \param now        Current time.
 * \param ev         Output: what changed.
 */
void soa_secondary_result(soa_secondary_t *s, bool reached, uint32_t serial,
                          uint32_t published, uint64_t alloc_ms, uint64_t now,
                          soa_secondary_event_t *ev);

/*!
 * \brief The zone published a new serial: nobody has confirmed it yet, and
 *        a secondary that answered before is compared with it again (it
 *        holds what it answered last), so the gauges move at once.
 */
void soa_secondary_new_serial(soa_secondary_t *s, uint32_t published, uint64_t alloc_ms,
                              uint64_t now, soa_secondary_event_t *ev);

/*! \brief Interval n (0-based) of the retry schedule, capped by SOA retry (ms). */
uint64_t soa_secondary_retry_delay(unsigned step, uint32_t soa_retry);

/*!
 * \brief When to check a secondary next, after a check ended now.
 *
 * \param s            The secondary (its state and step).
 * \param now          Current time.
 * \param change_ms    When the newest published serial was allocated, 0 if
 *                     no retry schedule runs (serial known from before).
 * \param soa_retry    The zone's SOA retry (s).
 * \param interval_ms  The periodic interval.
 * \param phase_ms     The secondary's phase within the interval.
 *
 * \return Monotonic ms of the next check.
 */
uint64_t soa_secondary_next(const soa_secondary_t *s, uint64_t now, uint64_t change_ms,
                            uint32_t soa_retry, uint64_t interval_ms, uint64_t phase_ms);

/*!
 * \brief The first time t >= from with t = phase (mod interval).
 */
uint64_t soa_secondary_slot(uint64_t from, uint64_t interval_ms, uint64_t phase_ms);

/*! \brief What a log line needs besides the event. */
typedef struct {
	const char *remote;     /*!< knotd's remote notation, address@port. */
	uint32_t serial;        /*!< Serial held (last reported, 0 if none). */
	uint32_t published;     /*!< The zone's published serial. */
	const char *cause;      /*!< Unreachable: why ("timeout", "REFUSED", ...). */
	bool date;              /*!< serial-format date (the ahead remedy differs). */
} soa_secondary_line_t;

/*!
 * \brief Writes the log line of a state change (to = ev->to), e.g.
 *        "replica 192.0.2.3@53 behind, serial 2026113001, published
 *        2026113003, for 95 s".
 *
 * \return Length written (truncated to len - 1).
 */
size_t soa_secondary_log_line(char *buf, size_t len, const soa_secondary_event_t *ev,
                              const soa_secondary_line_t *line);

/*!
 * \brief A stable 32-bit hash of a byte string (FNV-1a), for phases.
 */
uint32_t soa_secondary_hash(uint32_t seed, const void *data, size_t len);
