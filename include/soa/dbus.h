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
 * \brief knotd's zone-updated events on D-Bus (sd-bus from libsystemd, as
 *        knotd uses it): with server dbus-event: zone-updated, knotd emits
 *        signal zone_updated (zone name, real serial) on interface
 *        cz.nic.knotd.events, path /cz/nic/knotd, as cz.nic.knotd on the
 *        system bus (DBUS_SYSTEM_BUS_ADDRESS honoured) from
 *        zone_update_commit(), after the new contents are in place: every
 *        change of a zone (load, reload, DDNS, incoming transfer, knotc zone
 *        transactions, signing) is announced.
 *
 * The connection is the service thread's own; it is used from that thread
 * only (sd-bus objects are not thread-safe). Every call is bounded by a
 * short method-call timeout, so a hung bus cannot stall the thread.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

/*! \brief A connection (opaque). */
typedef struct soa_dbus soa_dbus_t;

/*! \brief Called for every zone_updated signal of this knotd. */
typedef void (*soa_dbus_signal_f)(void *ctx, const char *zone, uint32_t serial);

/*!
 * \brief Connects to the system bus and subscribes to knotd's zone_updated.
 *
 * \param cb   Callback for each signal.
 * \param ctx  Its context.
 * \param out  Output: the connection.
 *
 * \return KNOT_EOK or a KNOT_E* error (no bus).
 */
int soa_dbus_open(soa_dbus_signal_f cb, void *ctx, soa_dbus_t **out);

/*!
 * \brief Whether this process owns cz.nic.knotd on the bus, i.e. knotd is
 *        connected and will emit its signals (after a bus restart it is
 *        not: knotd connects once, at start).
 *
 * \return KNOT_EOK if it does, KNOT_ENOENT if another process or nobody
 *         does, another error if the bus does not answer.
 */
int soa_dbus_knotd_here(soa_dbus_t *d);

/*! \brief The connection's descriptor and the poll events it waits for. */
int soa_dbus_fd(soa_dbus_t *d, short *events);

/*!
 * \brief Processes what arrived (calls the callback for each signal).
 *
 * \return KNOT_EOK, or an error if the connection is lost (close it).
 */
int soa_dbus_process(soa_dbus_t *d);

/*! \brief Closes a connection. */
void soa_dbus_close(soa_dbus_t *d);
