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
 * \brief knotd behaviour mod-soa relies on that knot/module.h does not
 *        promise. Checked against Knot DNS 3.2.6, 3.3.10, 3.4.10 and 3.5.6;
 *        tests/functional/test_compat.py tests each on every series.
 */

#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "soa/knotd_compat.h"
#include "soa/series.h"

/* Series. */

/*! \brief dl_iterate_phdr() callback: remembers the libknot sonames loaded. */
static int find_libknot(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	char (*names)[2][64] = arg;
	const char *base = strrchr(info->dlpi_name, '/');
	base = (base != NULL) ? base + 1 : info->dlpi_name;
	if (strncmp(base, "libknot.so.", 11) != 0) {
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		if ((*names)[i][0] == '\0') {
			(void)snprintf((*names)[i], sizeof((*names)[i]), "%s", base);
			return 0;
		}
		if (strcmp((*names)[i], base) == 0) {
			return 0;
		}
	}
	return 0;
}

/*!
 * Knot 3.4 and 3.5 share module ABI 600, but 3.5.2 enlarged yp_item_t, the
 * element of the configuration schema (knot/conf/module.c reads
 * api->config with the running release's layout): a 3.4 build in knotd
 * 3.5.6 crashed it while it parsed the configuration, and a 3.5.6 build
 * in knotd 3.4.10 had every option refused, both before load() could
 * check the version (measured, docs/mod-soa.rst "Knot DNS versions").
 * Each series links its own libknot soname (13 in 3.2 to 16 in 3.5), so a
 * library built for another series brings a second libknot into the
 * process: then the ABI version is withdrawn and knotd refuses the module
 * as "incompatible version" (conf/module.c) instead.
 */
void soa_knotd_refuse_foreign_libknot(knotd_mod_api_t *api)
{
	char names[2][64] = { "", "" };
	(void)dl_iterate_phdr(find_libknot, &names);
	if (names[1][0] != '\0') {
		api->version = 0;
		fprintf(stderr, "mod-soa: built for Knot DNS %s, but this process has both %s "
		        "and %s loaded: build the module against the knotd it runs in\n",
		        SOA_KNOT_BUILT, names[0], names[1]);
	}
}

int soa_knotd_check_series(knotd_mod_t *mod)
{
	// knotd_conf_env() gives PACKAGE_STRING, e.g. "Knot DNS 3.5.6".
	const char *running = knotd_conf_env(mod, KNOTD_CONF_ENV_VERSION).single.string;
	if (soa_series_compatible(SOA_KNOT_BUILT, running)) {
		return KNOT_EOK;
	}
	knotd_mod_log(mod, LOG_ERR, "module built for Knot DNS %s cannot run in %s, "
	              "build it against this knotd", SOA_KNOT_BUILT,
	              running != NULL ? running : "this knotd");
	return KNOT_ENOTSUP;
}

/* Transfers. */

#define C_ACL      ((const yp_name_t *)"\x03""acl")
#define C_ACTION   ((const yp_name_t *)"\x06""action")
#define C_DENY     ((const yp_name_t *)"\x04""deny")
#define C_SERVER   ((const yp_name_t *)"\x06""server")
#define C_AUTO_ACL ((const yp_name_t *)"\x0D""automatic-acl")
#define C_NOTIFY   ((const yp_name_t *)"\x06""notify")

/*! \brief Option value of ACL action "transfer" (acl_action_t, knot/updates/acl.h). */
#define ACL_TRANSFER   2
/*! \brief Highest ACL action value ("update"). */
#define ACL_ACTION_MAX 3

/*!
 * Mirrors process_query_acl_check() (knot/nameserver/process_query.c):
 * with server automatic-acl, the zone's notify remotes may transfer, else
 * an ACL rule with action transfer that is not deny. Any rule this code
 * does not fully understand counts as allowing transfers.
 */
bool soa_knotd_zone_may_transfer(knotd_mod_t *mod)
{
	knotd_conf_t notify = knotd_conf_zone(mod, C_NOTIFY, knotd_mod_zone(mod));
	bool may = notify.count > 0 && knotd_conf(mod, C_SERVER, C_AUTO_ACL, NULL).single.boolean;
	knotd_conf_free(&notify);

	knotd_conf_t acls = knotd_conf_zone(mod, C_ACL, knotd_mod_zone(mod));
	for (size_t i = 0; i < acls.count && !may; i++) {
		knotd_conf_t id = { .single = acls.multi[i] };
		if (knotd_conf(mod, C_ACL, C_DENY, &id).single.boolean) {
			continue;
		}
		knotd_conf_t act = knotd_conf(mod, C_ACL, C_ACTION, &id);
		if (act.count == 0) {
			may = (act.single.option == ACL_TRANSFER || act.single.option > ACL_ACTION_MAX);
		}
		for (size_t j = 0; j < act.count; j++) {
			unsigned opt = act.multi[j].option;
			may = may || opt == ACL_TRANSFER || opt > ACL_ACTION_MAX;
		}
		knotd_conf_free(&act);
	}
	knotd_conf_free(&acls);
	return may;
}

/*!
 * knot_layer_state_t KNOT_STATE_PRODUCE (knot/query/layer.h: NOOP 0,
 * CONSUME 1, PRODUCE 2, RESET 3, DONE 4, FAIL 5), which axfr.c and ixfr.c
 * return while a message is full and more follow; knotd_state_t has DONE
 * and FAIL with the same values but not PRODUCE.
 */
bool soa_knotd_xfr_more(knotd_state_t state)
{
	return (int)state == 2;
}

/*! The fallback of ixfr_process_query() (knot/nameserver/ixfr.c) sets this. */
void soa_knotd_force_axfr(knotd_qdata_t *qdata)
{
	qdata->type = KNOTD_QUERY_TYPE_AXFR;
}

/*! The SOA ixfr_answer_init() reads (ixfr.c): the first RR of the parsed
 *  query's authority section. */
static knot_rrset_t *ixfr_client_soa(knotd_qdata_t *qdata)
{
	const knot_pktsection_t *auth = knot_pkt_section(qdata->query, KNOT_AUTHORITY);
	if (auth->count < 1) {
		return NULL;
	}
	knot_rrset_t *their = (knot_rrset_t *)knot_pkt_rr(auth, 0);
	if (their->type != KNOT_RRTYPE_SOA || their->rrs.count < 1 ||
	    their->rrs.rdata->len < SOA_WIRE_SOA_MIN) {
		return NULL;
	}
	return their;
}

bool soa_knotd_ixfr_client_serial(knotd_qdata_t *qdata, uint32_t *serial)
{
	knot_rrset_t *their = ixfr_client_soa(qdata);
	if (their == NULL) {
		return false;
	}
	*serial = knot_soa_serial(their->rrs.rdata);
	return true;
}

/*! The parsed copy lives in the query's memory (libknot parses RDATA into
 *  it); process_query_acl_check() verifies TSIG over query->wire. */
void soa_knotd_ixfr_set_client_serial(knotd_qdata_t *qdata, uint32_t serial)
{
	knot_rrset_t *their = ixfr_client_soa(qdata);
	if (their != NULL) {
		knot_soa_serial_set(their->rrs.rdata, serial);
	}
}

/*!
 * process_query_sign_response() (knot/nameserver/process_query.c) signs
 * message 1 from the request MAC, which tsig_digest aliases until then
 * (NULL before verification), and message N from tsig_digest, then
 * overwrites tsig_digest with the new MAC and increments pkt_count.
 */
void soa_knotd_tsig_capture(const knotd_qdata_t *qdata, soa_knotd_mac_t *out)
{
	const knot_sign_context_t *sign = &qdata->sign;
	const uint8_t *mac = NULL;
	size_t len = 0;

	out->valid = false;
	if (sign->tsig_digest != NULL) {
		mac = sign->tsig_digest;
		len = sign->tsig_digestlen;
	} else if (qdata->query->tsig_rr != NULL) {
		mac = knot_tsig_rdata_mac(qdata->query->tsig_rr);
		len = knot_tsig_rdata_mac_length(qdata->query->tsig_rr);
	}
	if (mac == NULL || len == 0 || len > SOA_KNOTD_MAC_MAX) {
		return;
	}
	memcpy(out->mac, mac, len);
	out->len = len;
	out->pkt_count = sign->pkt_count;
	out->valid = true;
}

/*! knotd signed this message if it has a key, signed at least one message
 *  and the TSIG error lets it sign (process_query_sign_response()). */
static bool tsig_signed(const knotd_qdata_t *qdata)
{
	return qdata->sign.tsig_key.name != NULL && qdata->sign.pkt_count > 0 &&
	       knot_tsig_can_sign(qdata->rcode_tsig);
}

/*! The captured MAC is the one of this message only if knotd signed exactly
 *  one message since; knotd chains the next message from tsig_digest. */
bool soa_knotd_tsig_resign(knotd_qdata_t *qdata, const soa_knotd_mac_t *prev,
                           soa_wire_tsig_t *out, bool *usable)
{
	*usable = true;
	if (!tsig_signed(qdata)) {
		return false;
	}
	if (!prev->valid || prev->pkt_count + 1 != qdata->sign.pkt_count) {
		*usable = false;
		return true;
	}
	*out = (soa_wire_tsig_t){
		.key = &qdata->sign.tsig_key,
		.prev_mac = prev->mac,
		.prev_len = prev->len,
		.first = (qdata->sign.pkt_count == 1),
		.tsig_rcode = qdata->rcode_tsig,
		.time_signed = qdata->sign.tsig_time_signed,
		.digest = qdata->sign.tsig_digest,
		.digest_len = dnssec_tsig_algorithm_size(qdata->sign.tsig_key.algorithm),
	};
	return true;
}

/*! process_query_err() signs the error reply with the same context: with
 *  pkt_count and tsig_digest as before this message, it is signed as it. */
void soa_knotd_tsig_unsign(knotd_qdata_t *qdata, const soa_knotd_mac_t *prev)
{
	if (tsig_signed(qdata) && prev->valid && prev->pkt_count + 1 == qdata->sign.pkt_count) {
		memcpy(qdata->sign.tsig_digest, prev->mac, prev->len);
		qdata->sign.pkt_count--;
	}
}

/*! The key section's algorithm item is an option whose values are
 *  dnssec_tsig_algorithm_t (tsig_key_algs, knot/conf/schema.c). */
dnssec_tsig_algorithm_t soa_knotd_tsig_algorithm(const knotd_conf_t *alg)
{
	return (dnssec_tsig_algorithm_t)alg->single.option;
}

/* D-Bus. */

#define C_DBUS_EVENT ((const yp_name_t *)"\x0A""dbus-event")

/*! server dbus-event is an option of bit values (dbus_events,
 *  knot/conf/schema.c): zone-updated is DBUS_EVENT_ZONE_UPDATED, 1 << 1. */
#define DBUS_EVENT_ZONE_UPDATED (1 << 1)

bool soa_knotd_dbus_zone_updated(knotd_mod_t *mod)
{
	knotd_conf_t ev = knotd_conf(mod, C_SERVER, C_DBUS_EVENT, NULL);
	bool on = false;
	for (size_t i = 0; i < ev.count; i++) {
		on = on || (ev.multi[i].option & DBUS_EVENT_ZONE_UPDATED);
	}
	knotd_conf_free(&ev);
	return on;
}

/* Counters. */

/*
 * Relied on without code of its own (names.h, metrics.c; tests in
 * test_compat.py, test_counter_names_*):
 *
 *  - knotd keeps a counter's idx_to_str callback and calls it whenever it
 *    lists the instance's counters (knotc zone-stats, the statistics file),
 *    with the index count given at registration; it frees the string.
 *  - It lists an instance's counters only until the instance's unload():
 *    module_reset() frees them right after (knotd_mod_stats_free(),
 *    knot/nameserver/query_module.c, 3.2.6 to 3.5.6). A name list no loaded
 *    instance uses may therefore be bound to another list. On knotc reload
 *    the new instances load before the old ones unload, so both are held.
 *  - A counter of one index is listed without an index name, and an index
 *    whose name is NULL is left out (stats_counter(), stats_counters(),
 *    knot/common/stats.c; knot/ctl/commands.c in 3.2): a lone secondary's
 *    replica-serial gets a second, unnamed index so that its name shows.
 */
