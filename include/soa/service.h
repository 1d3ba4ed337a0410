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
 * \brief The module's one background thread, shared by all zones: counter
 *        flush, change detection and NOTIFY with the published serial
 *        (details in service.c).
 *
 * Started by the first module instance, stopped (and joined) when the last
 * one unloads, so no module code runs once knotd may unload the library.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "soa/remotes.h"

struct soa_ctx;

/*!
 * \brief Starts the thread if this is the first user.
 *
 * \return KNOT_EOK or an error (the caller then counts through knotd).
 */
int soa_service_start(void);

/*! \brief Drops a user; the last one stops and joins the thread. */
void soa_service_stop(void);

/*! \brief Where to send the SOA queries that check zones (first call wins). */
void soa_service_set_target(const soa_addr_t *addr);

/*!
 * \brief Registers a zone for checks and NOTIFY.
 *
 * \param ctx             Zone context (stays valid until soa_service_remove).
 * \param have_published  A published serial is known from the state.
 * \param published       That serial: allocations above it are announced.
 */
void soa_service_add(struct soa_ctx *ctx, bool have_published, uint32_t published);

/*! \brief Unregisters a zone and drops its pending NOTIFYs. */
void soa_service_remove(struct soa_ctx *ctx);

/*!
 * \brief True if a query came from the module's own SOA checks, which are
 *        not counted as answers.
 */
bool soa_service_is_self(const struct sockaddr_storage *remote);

/*! \brief Monotonic clock in milliseconds. */
uint64_t soa_service_now_ms(void);
