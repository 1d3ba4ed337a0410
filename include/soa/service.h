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
 * \brief The module's one background thread, shared by all zones: it folds
 *        per-thread counter cells into knotd's counters.
 *
 * Started by the first module instance, stopped (and joined) when the last
 * one unloads, so no module code runs once knotd may unload the library.
 */

#pragma once

/*!
 * \brief Starts the thread if this is the first user.
 *
 * \return KNOT_EOK or an error (the caller then counts through knotd).
 */
int soa_service_start(void);

/*! \brief Drops a user; the last one stops and joins the thread. */
void soa_service_stop(void);
