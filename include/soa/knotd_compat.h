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

#include "soa/wire.h"

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
 * \brief Defines the module's API table like KNOTD_MOD_API(), but writable,
 *        and a constructor that runs when knotd (or knotc) dlopen()s the
 *        library, before knotd reads the table: in a knotd of another
 *        series it withdraws the ABI version (soa_knotd_refuse_foreign_libknot()),
 *        so knotd refuses the module before it reads the configuration schema.
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
	}; \
	__attribute__((constructor)) static void soa_knotd_check_on_dlopen(void) \
	{ \
		soa_knotd_refuse_foreign_libknot(&knotd_mod_api); \
	}

/*! \brief Withdraws the API version if the process has another libknot
 *         than the module was linked against (another Knot series). */
void soa_knotd_refuse_foreign_libknot(knotd_mod_api_t *api);

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

/* Transfers. */

/*!
 * \brief True for the END state of a transfer message that more messages
 *        follow (knotd's KNOT_STATE_PRODUCE, which knotd_state_t lacks).
 */
bool soa_knotd_xfr_more(knotd_state_t state);

/*! \brief Makes knotd answer this IXFR AXFR-style (what knotd does itself when
 *         its journal cannot serve it). */
void soa_knotd_force_axfr(knotd_qdata_t *qdata);

/*!
 * \brief The client's serial of a TCP IXFR query, as knotd will read it.
 *
 * \return False if the query has no usable SOA in its authority section.
 */
bool soa_knotd_ixfr_client_serial(knotd_qdata_t *qdata, uint32_t *serial);

/*! \brief Changes the client's serial knotd will read (its parsed copy of the
 *         query only: TSIG is checked over the query's wire). */
void soa_knotd_ixfr_set_client_serial(knotd_qdata_t *qdata, uint32_t serial);

/*! \brief Longest MAC (HMAC-SHA512). */
#define SOA_KNOTD_MAC_MAX 64

/*! \brief The MAC a transfer message is chained from, as captured at BEGIN. */
typedef struct {
	uint8_t mac[SOA_KNOTD_MAC_MAX];
	uint16_t len;
	uint32_t pkt_count;  /*!< Messages knotd had signed when captured. */
	bool valid;
} soa_knotd_mac_t;

/*! \brief Captures, at BEGIN, the MAC knotd will chain this message's TSIG
 *         from (knotd overwrites it when it signs). */
void soa_knotd_tsig_capture(const knotd_qdata_t *qdata, soa_knotd_mac_t *out);

/*!
 * \brief At END: how to sign the message again as knotd signed it.
 *
 * \param qdata   Query data.
 * \param prev    The MAC captured at this message's BEGIN.
 * \param out     Output: signing parameters; the new MAC goes where knotd
 *                chains the next message from.
 * \param usable  Output: false if knotd signed the message but it cannot be
 *                signed again (then it must be left as it is).
 *
 * \return True if knotd signed the message.
 */
bool soa_knotd_tsig_resign(knotd_qdata_t *qdata, const soa_knotd_mac_t *prev,
                           soa_wire_tsig_t *out, bool *usable);

/*! \brief Undoes knotd's signing of this message, so that the error reply
 *         knotd sends instead is signed as this message, chained from prev. */
void soa_knotd_tsig_unsign(knotd_qdata_t *qdata, const soa_knotd_mac_t *prev);

/*! \brief The TSIG algorithm of a key section, from knotd's configuration value. */
dnssec_tsig_algorithm_t soa_knotd_tsig_algorithm(const knotd_conf_t *alg);

/* D-Bus. */

/*! \brief Whether knotd's configuration has server dbus-event: zone-updated. */
bool soa_knotd_dbus_zone_updated(knotd_mod_t *mod);
