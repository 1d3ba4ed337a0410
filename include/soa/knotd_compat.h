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
 * \brief Everything mod-soa assumes about knotd beyond what knot/module.h
 *        promises, in one place, and the differences between the Knot
 *        series it supports (3.2 to 3.5).
 *
 * Each function names, in knotd_compat.c, the knotd source it mirrors and
 * the releases it was checked against; tests/functional/test_compat.py has
 * a test per assumption that fails if a knotd release breaks it, run on
 * every series make check covers.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <knot/module.h>

#if KNOTD_MOD_ABI_VERSION != 400 && KNOTD_MOD_ABI_VERSION != 500 && \
    KNOTD_MOD_ABI_VERSION != 600
#error "mod-soa supports Knot DNS 3.2 to 3.5 (module ABI 400, 500 and 600): \
these knotd headers have another ABI"
#endif

// Knot 3.6 moves the libdnssec headers into libknot.
#if __has_include(<libdnssec/tsig.h>)
#include <libdnssec/random.h>
#include <libdnssec/tsig.h>
#else
#include <libknot/dnssec/random.h>
#include <libknot/dnssec/tsig.h>
#endif

/*!
 * \brief Defines the module's API table like KNOTD_MOD_API(), but writable:
 *        when the library finds itself in a knotd of another series, it
 *        makes knotd refuse it before knotd reads its configuration schema
 *        (see knotd_compat.c).
 */
#define SOA_KNOTD_MOD_API(mod_name, mod_flags, mod_load, mod_unload, mod_conf, mod_check) \
	__attribute__((visibility("default"))) \
	knotd_mod_api_t knotd_mod_api = { \
		.version = KNOTD_MOD_ABI_VERSION, \
		.name = KNOTD_MOD_NAME_PREFIX #mod_name, \
		.flags = mod_flags, \
		.load = mod_load, \
		.unload = mod_unload, \
		.config = mod_conf, \
		.config_check = mod_check, \
	}

/*!
 * \brief Refuses a knotd of another Knot series than the module was built
 *        for (logged, naming both versions).
 *
 * \return KNOT_EOK, or KNOT_ENOTSUP: load() must fail.
 */
int soa_knotd_check_series(knotd_mod_t *mod);

/*!
 * \brief False only if nothing in the zone's configuration can allow an
 *        outgoing transfer (ACL rules, automatic ACL for notify remotes).
 */
bool soa_knotd_zone_may_transfer(knotd_mod_t *mod);
