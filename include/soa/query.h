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
 * \brief The in-hook: negative answers, SOA answers, minimum-as-floor.
 */

#pragma once

#include <knot/module.h>

/*! \brief In-hook (AUTHORITY stage) for negative and SOA answers. */
knotd_in_state_t soa_query_hook(knotd_in_state_t state, knot_pkt_t *pkt,
                                knotd_qdata_t *qdata, knotd_mod_t *mod);

/*! \brief In-hook variant (ADDITIONAL stage) that also applies minimum-as-floor. */
knotd_in_state_t soa_query_floor_hook(knotd_in_state_t state, knot_pkt_t *pkt,
                                      knotd_qdata_t *qdata, knotd_mod_t *mod);
