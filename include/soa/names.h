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
 * \brief Index names known at run time (replica-serial[192.0.2.3@53]) for
 *        knotd's counters. Pure.
 *
 * knotd names a counter's indexes through a callback that gets the index and
 * the index count, no context. So the module has a fixed pool of callbacks,
 * each bound to one list of names; zones with the same list (most zones
 * share their secondaries) share one callback. A list stays bound while a
 * module instance that registered it exists, i.e. until its unload(), after
 * which knotd no longer lists that instance's counters (knotd_compat.h).
 * Lists no instance uses any more are rebound when the pool runs out.
 */

#pragma once

#include <stdint.h>

/*! \brief A counter's index-to-name callback (knotd_mod_idx_to_str_f). */
typedef char *(*soa_names_fn_t)(uint32_t idx, uint32_t count);

/*! \brief Distinct name lists bound at once, process-wide. */
#define SOA_NAMES_POOL 128

/*!
 * \brief Binds a list of names to a callback: the one of an equal list
 *        already bound, else a free one.
 *
 * \param names  Names (copied), index order.
 * \param count  How many (at least 1).
 * \param fn     Output: the callback; it returns a copy of names[idx] that
 *               the caller (knotd) frees, NULL beyond the list.
 *
 * \return A handle (>= 0) for soa_names_release(), KNOT_ELIMIT if every
 *         callback is bound to a list in use, KNOT_ENOMEM, KNOT_EINVAL.
 */
int soa_names_intern(const char *const *names, unsigned count, soa_names_fn_t *fn);

/*! \brief The caller no longer uses the list (unload()). */
void soa_names_release(int handle);

/*! \brief How many callbacks are bound to a list in use (tests, logs). */
unsigned soa_names_in_use(void);

/*! \brief Frees every list (the last module instance is gone). */
void soa_names_clear(void);
