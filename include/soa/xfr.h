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
 * \brief Zone transfers: published serials in AXFR and IXFR, TSIG re-signing.
 */

#pragma once

#include <knot/module.h>

/*! \brief BEGIN hook: transfers only. */
knotd_state_t soa_xfr_begin(knotd_state_t state, knot_pkt_t *pkt,
                            knotd_qdata_t *qdata, knotd_mod_t *mod);

/*! \brief END hook: transfers only. */
knotd_state_t soa_xfr_end(knotd_state_t state, knot_pkt_t *pkt,
                          knotd_qdata_t *qdata, knotd_mod_t *mod);

/*! \brief Allocates the per-worker transfer slots (process.c, first instance). */
int soa_xfr_init(unsigned threads);

/*! \brief Frees them (process.c, last instance). */
void soa_xfr_deinit(void);
