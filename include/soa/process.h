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
 * \brief What mod-soa keeps for the whole knotd process, behind one
 *        refcount: the service thread, the state stores and the transfer
 *        slots. The first module instance sets them up, the last takes
 *        them down (and waits for pending RCU callbacks), so no module code
 *        runs once knotd may unload the library.
 */

#pragma once

#include <stdbool.h>

#include <knot/module.h>

/*!
 * \brief Takes a reference; the first one sets everything up.
 *
 * \param mod      The instance (for the worker count).
 * \param service  Output: the service thread runs (if not: no change
 *                 detection and no NOTIFY; the caller logs it).
 *
 * \return KNOT_EOK (a reference is held), or KNOT_ENOMEM without the
 *         transfer slots (none is).
 */
int soa_process_acquire(knotd_mod_t *mod, bool *service);

/*! \brief Drops a reference; the last one takes everything down. */
void soa_process_release(void);
