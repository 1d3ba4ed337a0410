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
 * \brief Transfers as observations of a secondary's serial: queued by the
 *        workers that run them (xfr.c), without a lock and bounded, for the
 *        service thread, which attributes them to a secondary (replica.c).
 *
 * soa_observe_push() runs in workers; the others in the service thread.
 */

#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "soa/remotes.h"
#include "soa/service.h"

/*! \brief Most transfer observations waiting for the service thread. */
#define SOA_OBSERVE_MAX 1024

/*! \brief A transfer observation. */
typedef struct soa_observation {
	struct soa_observation *next;
	soa_watch_t *w;              /*!< The zone's watch. */
	soa_addr_t addr;             /*!< The client's address. */
	uint32_t serial;             /*!< The serial it holds. */
} soa_observation_t;

/*!
 * \brief A transfer told a client's serial (a worker, off the common path):
 *        the client of an IXFR holds its query's serial, the client of a
 *        completed transfer the published one. Queued without blocking;
 *        dropped if SOA_OBSERVE_MAX wait already.
 *
 * \param w       The zone's watch (w->replica set).
 * \param client  The client's address.
 * \param serial  The serial it holds.
 */
void soa_observe_push(soa_watch_t *w, const struct sockaddr_storage *client,
                      uint32_t serial);

/*! \brief Takes the queued observations, oldest first (linked by next);
 *         each goes back with soa_observe_free() once read. */
soa_observation_t *soa_observe_take(void);

/*! \brief Frees an observation taken with soa_observe_take(). */
void soa_observe_free(soa_observation_t *o);

/*! \brief Drops every queued observation (no zone is left). */
void soa_observe_clear(void);
