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
 * \brief The module's one background thread, shared by every zone of every
 *        module instance: change detection (detect.h) and NOTIFY with the
 *        published serial (notify.h) run in it.
 *
 * process.c starts it with the first module instance and stops (joins) it
 * with the last, so no module code runs once knotd may unload the library.
 * Zones register a watch; the thread reads what the watch points to and
 * never blocks a worker thread.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <knot/module.h>

#include "soa/metrics.h"
#include "soa/remotes.h"

struct soa_snap;

/*! \brief The message ID of the module's own SOA checks (hooks recognize
 *         them by it and by their source port); no other query uses it. */
#define SOA_SERVICE_SELF_ID 0x50A0
/*! \brief The message ID of the module's other lookups (negative-exposure). */
#define SOA_SERVICE_LOOKUP_ID 0x50A1

/*! \brief change-detect values: how the service thread learns of zone changes. */
typedef enum {
	SOA_DETECT_AUTO = 0, /*!< D-Bus when knotd emits zone-updated there, else polling. */
	SOA_DETECT_DBUS,     /*!< D-Bus; polling (with a warning) while it is unusable. */
	SOA_DETECT_POLL,     /*!< Polling. */
	SOA_DETECT_OFF,      /*!< Only answers that carry the SOA. */
} soa_detect_mode_t;

/*! \brief The service thread's side of a zone. */
typedef struct soa_watch {
	// Set by the zone before soa_service_add(), read-only afterwards.
	knotd_mod_t *mod;                 /*!< For logs. */
	const soa_metrics_t *metrics;     /*!< For counters and gauges. */
	const knot_dname_t *zone;         /*!< Zone name (lower case, as knotd keeps it). */
	const soa_remote_t *remotes;      /*!< Notify remotes. */
	unsigned remote_count;
	bool notify;                      /*!< notify-published. */
	uint8_t detect;                   /*!< soa_detect_mode_t. */
	struct soa_snap *const *snap;     /*!< The zone's current snapshot (RCU). */
	void *nxtable;                    /*!< NXDOMAIN names (soa_nxtable_t), NULL: off. */

	// Set by workers (atomically).
	bool seen;                        /*!< An answer carrying the SOA checked the zone. */
	bool changed;                     /*!< A new snapshot waits to be looked at. */
	struct soa_watch *changed_next;   /*!< Link of the list of those. */

	// The service thread's own (detect.c), under its lock.
	uint64_t checked;                 /*!< Last check: own SOA query or traffic. */
	uint64_t checked_before;          /*!< The check before that one. */
	uint32_t published;               /*!< Published serial last seen. */
	bool have_published;
	bool queued;                      /*!< Waits in the check queue. */
	bool in_flight;                   /*!< Its SOA query was sent, no answer yet. */
	bool have_want;                   /*!< knotd announced a serial not seen yet. */
	uint8_t tries;                    /*!< Checks sent for that announcement. */
	uint32_t want;                    /*!< That serial. */
	uint64_t signal_ms;               /*!< When it was announced. */
	uint64_t sent_ms;                 /*!< When the last check was sent. */
	struct soa_watch *q_prev, *q_next;/*!< Check queue links. */
	struct soa_watch *h_next;         /*!< Name hash chain. */
	size_t index;                     /*!< Position in the zone list. */

	// The service thread's own (exposure.c), under its lock.
	void *expo_names;                 /*!< Names being looked up (soa_nx_t[]). */
	uint16_t expo_count, expo_next;   /*!< How many, and the next to send. */
	uint32_t expo_until;              /*!< Longest exposure found (UNIX time). */
	struct soa_watch *expo_link;      /*!< Zones with lookups or a gauge to count down. */
	bool expo_listed;

	// Replication health (replica.h): set by the zone before
	// soa_service_add(), read-only afterwards; rz is replica.c's own.
	bool replica;                     /*!< replica-check, with secondaries. */
	bool date;                        /*!< serial-format: date (for the logs). */
	uint32_t replica_interval;        /*!< replica-check-interval (s), 0: SOA REFRESH. */
	int64_t published_at;             /*!< UNIX time the stored published serial
	                                       was allocated, 0 if unknown. */
	struct soa_replica_zone *rz;      /*!< The zone's secondaries (service thread). */
} soa_watch_t;

/*! \brief Starts the thread (process.c, first instance). */
int soa_service_start(void);

/*! \brief Stops and joins the thread (process.c, last instance). */
void soa_service_stop(void);

/*! \brief Where to send the SOA queries that check zones (first call wins). */
void soa_service_set_target(const soa_addr_t *addr);

/*!
 * \brief Registers a zone.
 *
 * \param w  Watch, filled in by the zone (with the published serial known
 *           from the state, if any: allocations above it are announced);
 *           it stays valid until soa_service_remove().
 */
void soa_service_add(soa_watch_t *w);

/*! \brief Unregisters a zone and drops its pending work. */
void soa_service_remove(soa_watch_t *w);

/*!
 * \brief True if a query came from the module's own SOA checks, which are
 *        not counted as answers.
 */
bool soa_service_is_self(const knotd_qdata_t *qdata);

/*! \brief True if a query is one of the module's negative-exposure lookups. */
bool soa_service_is_lookup(const knotd_qdata_t *qdata);

/*! \brief Tells the service thread that the zone has a new snapshot
 *         (a worker, in the slow path). */
void soa_service_changed(soa_watch_t *w);

/*! \brief Tells the service thread whether knotd emits zone-updated on D-Bus
 *         (server dbus-event; the first call wins). */
void soa_service_set_dbus(bool zone_updated);

/*! \brief Notes that an answer carrying the zone's SOA checked its version
 *         (a worker; cheap when repeated). */
static inline void soa_watch_seen(soa_watch_t *w)
{
	if (!__atomic_load_n(&w->seen, __ATOMIC_RELAXED)) {
		__atomic_store_n(&w->seen, true, __ATOMIC_RELAXED);
	}
}
