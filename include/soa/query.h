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

#include <stdbool.h>

#include <knot/module.h>

/*!
 * \brief The in-hook for a zone's options: for negative and SOA answers,
 *        registered at the AUTHORITY stage; with minimum-as-floor, for every
 *        answer, at the ADDITIONAL stage (to see glue too).
 *
 * \param rules     negative-ttl-rule values exist.
 * \param exposure  negative-exposure is on.
 * \param floor     minimum-as-floor is on.
 */
knotd_mod_in_hook_f soa_query_hook(bool rules, bool exposure, bool floor);
