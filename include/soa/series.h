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
 * \brief Which knotd a module binary may run in. Pure.
 *
 * A module is built against the headers of one Knot DNS release and is good
 * only for that release's series (major.minor): the module ABI changes
 * between series (400 in 3.2, 500 in 3.3, 600 in 3.4 and 3.5) but 3.4 and
 * 3.5 share 600 while linking different libknot sonames, and in 3.5.2
 * yp_item_t, the type of the configuration schema, grew without an ABI
 * bump, so 3.5.0/3.5.1 and 3.5.2+ are incompatible too.
 */

#pragma once

#include <stdbool.h>

/*!
 * \brief Decides whether a module built against Knot DNS `built` may be
 *        loaded into knotd `running` (versions as "X.Y.Z", any prefix before
 *        it and suffix after it ignored: knotd says "Knot DNS 3.2.6", Debian's
 *        packages "3.4.6-1").
 *
 * \param built    Version of the headers the module was built against.
 * \param running  Version of the running knotd.
 *
 * \return True if both are the same series (and on the same side of 3.5.2).
 */
bool soa_series_compatible(const char *built, const char *running);
