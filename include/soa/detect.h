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
 * knotd tells modules nothing when a zone changes. The service thread sends
 * an SOA query to knotd's own listen address for every zone not checked for
 * a while; knotd answers it like any query, so the module's hook sees the
 * zone's current version and publishes its serial. Answers that carried the
 * SOA (negative and SOA answers) checked the zone already. Each pass also
 * looks for new published serials: it sets change-detect-lag and queues
 * the NOTIFY.
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include "soa/remotes.h"
#include "soa/service.h"

/*! \brief Where the checks go. */
typedef struct {
	const soa_addr_t *target;  /*!< knotd's listen address, NULL if unknown. */
	int fd;                    /*!< Socket of the target's family, -1 if none. */
	uint16_t id;               /*!< Message ID of the checks. */
} soa_detect_out_t;

/*! \brief Starts watching a zone; first checks are spread over the period. */
void soa_detect_add(soa_watch_t *w, uint64_t now, size_t index);

/*! \brief One pass over the zones (service thread, its lock held). */
void soa_detect_pass(soa_watch_t *const *watches, size_t count, uint64_t now,
                     const soa_detect_out_t *out);
