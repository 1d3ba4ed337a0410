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
 *
 * Transfers bypass the in-hooks, so the SOAs of every transfer message are
 * rewritten in the END hook, after knotd has signed the message. A signed
 * message is then stripped of knotd's TSIG and signed again, chained where
 * knotd chains the next message from. The MAC a message is chained from is
 * captured in the BEGIN hook, before knotd overwrites it. (What this needs
 * of knotd beyond module.h is in knotd_compat.c.)
 *
 * On the first message of a TCP IXFR, the BEGIN hook translates the client's
 * published serial to the matching real serial in knotd's parsed copy of the
 * query (never the wire, which the TSIG check covers), so knotd serves its
 * own journal-based IXFR, or answers AXFR-style when there is no such chain.
 */

#include <stdlib.h>

#include "soa/knotd_compat.h"
#include "soa/observe.h"
#include "soa/serial.h"
#include "soa/snap.h"
#include "soa/wire.h"
#include "soa/xfr.h"

/*! \brief How an IXFR was steered. */
typedef enum {
	IXFR_NONE = 0,
	IXFR_CURRENT,  /*!< Client is up to date: one SOA. */
	IXFR_JOURNAL,  /*!< Translated to a real serial: knotd's journal. */
	IXFR_FULL,     /*!< No usable history: AXFR-style. */
} ixfr_kind_t;

/*! \brief Per worker-thread transfer state (one transfer per thread at a time). */
typedef struct {
	soa_knotd_mac_t mac;        /*!< MAC this message is chained from. */
	const knot_pkt_t *query;    /*!< Query of the transfer in progress... */
	uint16_t query_id;          /*!< ...and its ID: later messages are not steered. */
	bool active;                /*!< A transfer is in progress. */
	uint8_t ixfr;               /*!< ixfr_kind_t of the current IXFR. */
} xfr_slot_t;

static xfr_slot_t *slots = NULL;
static unsigned slots_count = 0;

int soa_xfr_init(unsigned threads)
{
	slots = calloc(threads, sizeof(*slots));
	slots_count = (slots != NULL) ? threads : 0;
	return (slots != NULL) ? KNOT_EOK : KNOT_ENOMEM;
}

void soa_xfr_deinit(void)
{
	free(slots);
	slots = NULL;
	slots_count = 0;
}

static xfr_slot_t *slot_of(knotd_qdata_t *qdata)
{
	unsigned tid = qdata->params->thread_id;
	return tid < slots_count ? &slots[tid] : NULL;
}

static bool is_xfr(const knotd_qdata_t *qdata)
{
	return qdata->type == KNOTD_QUERY_TYPE_AXFR || qdata->type == KNOTD_QUERY_TYPE_IXFR;
}

/*! \brief True for the first message of a transfer (later ones see the slot's mark). */
static bool first_message(xfr_slot_t *slot, const knotd_qdata_t *qdata)
{
	uint16_t id = knot_wire_get_id(qdata->query->wire);
	if (slot->active && slot->query == qdata->query && slot->query_id == id) {
		return false;
	}
	slot->active = true;
	slot->query = qdata->query;
	slot->query_id = id;
	return true;
}

/*! \brief Steers the first message of a TCP IXFR (the parsed query copy only). */
static ixfr_kind_t ixfr_steer(soa_zone_t *z, knotd_qdata_t *qdata, const soa_snap_t *snap)
{
	// Signed zones publish their real serials: knotd decides natively.
	uint32_t client;
	if (snap->mode == SOA_MODE_SIGNED || !soa_knotd_ixfr_client_serial(qdata, &client)) {
		return IXFR_NONE;
	}

	// Up to date (or ahead): knotd answers with the current SOA.
	if (client == snap->published || soa_serial_gt(client, snap->published)) {
		soa_knotd_ixfr_set_client_serial(qdata, snap->real);
		return IXFR_CURRENT;
	}

	// An earlier published version on the current chain: its real serial.
	soa_record_t rec;
	if (soa_state_get(&z->state, &rec) && rec.real == snap->real &&
	    rec.published == snap->published) {
		int idx = soa_record_find_published(&rec, client);
		if (idx >= 0) {
			soa_knotd_ixfr_set_client_serial(qdata, rec.hist[idx].real);
			return IXFR_JOURNAL;
		}
	}

	// Anything else: the whole zone, AXFR-style (RFC 1995 §4).
	soa_knotd_force_axfr(qdata);
	return IXFR_FULL;
}

/*! \brief Replication health: an IXFR's client holds the serial it sends. */
static void replica_ixfr(soa_zone_t *z, knotd_qdata_t *qdata)
{
	uint32_t client;
	if (z->watched && z->watch.replica && soa_knotd_ixfr_client_serial(qdata, &client)) {
		soa_observe_push(&z->watch, knotd_qdata_remote_addr(qdata), client);
	}
}

/*! \brief BEGIN of a transfer message. */
__attribute__((noinline))
static knotd_state_t xfr_begin(knotd_state_t state, knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	xfr_slot_t *slot = slot_of(qdata);
	if (slot == NULL) {
		return state;
	}
	soa_knotd_tsig_capture(qdata, &slot->mac);

	// Publish before knotd writes the first SOA of a new version.
	soa_zone_t *z = knotd_mod_ctx(mod);
	const soa_snap_t *snap = soa_snap_apex(z, qdata);

	// Decide once per transfer.
	if (first_message(slot, qdata) && qdata->type == KNOTD_QUERY_TYPE_IXFR) {
		// Before steering: the serial as the client sent it.
		replica_ixfr(z, qdata);
		slot->ixfr = IXFR_CURRENT;
		if (snap != NULL && qdata->params->proto != KNOTD_QUERY_PROTO_UDP) {
			slot->ixfr = ixfr_steer(z, qdata, snap);
		}
	}
	return state;
}

knotd_state_t soa_xfr_begin(knotd_state_t state, knot_pkt_t *pkt,
                            knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	(void)pkt;
	// Every query passes here: leave before saving any register.
	if (__builtin_expect(!is_xfr(qdata), 1)) {
		return state;
	}
	return xfr_begin(state, qdata, mod);
}

/*! \brief Context for mapping the SOA serials of one transfer message. */
typedef struct {
	soa_zone_t *zone;
	const soa_snap_t *snap;  /*!< Version the transfer is taken from. */
	soa_record_t rec;        /*!< History (IXFR). */
	bool have_rec;
	uint32_t missing;        /*!< First serial with no published counterpart. */
} map_ctx_t;

static int map_current(void *arg, uint32_t *serial)
{
	map_ctx_t *mc = arg;
	if (*serial == mc->snap->real) {
		*serial = mc->snap->published;
	}
	return KNOT_EOK;
}

static int map_history(void *arg, uint32_t *serial)
{
	map_ctx_t *mc = arg;
	if (*serial == mc->snap->real) {
		*serial = mc->snap->published;
		return KNOT_EOK;
	}
	if (!mc->have_rec && !(mc->have_rec = soa_state_get(&mc->zone->state, &mc->rec))) {
		mc->missing = *serial;
		return KNOT_ENOENT;
	}
	int idx = soa_record_find_real(&mc->rec, *serial);
	if (idx < 0) {
		mc->missing = *serial;
		return KNOT_ENOENT;
	}
	*serial = mc->rec.hist[idx].published;
	return KNOT_EOK;
}

/*! \brief Transfer counters, once the last message is out. */
static void count_transfer(const soa_metrics_t *m, knotd_qdata_t *qdata, const xfr_slot_t *slot)
{
	unsigned tid = qdata->params->thread_id;
	if (knot_pkt_qtype(qdata->query) == KNOT_RRTYPE_AXFR) {
		soa_count(m, tid, SOA_CTR_TRANSFER, SOA_XFR_AXFR);
	} else if (qdata->type == KNOTD_QUERY_TYPE_AXFR) {
		soa_count(m, tid, SOA_CTR_TRANSFER, SOA_XFR_IXFR_FULL);
	} else if (slot->ixfr == IXFR_JOURNAL) {
		soa_count(m, tid, SOA_CTR_TRANSFER, SOA_XFR_IXFR_JOURNAL);
	} else {
		soa_count(m, tid, SOA_CTR_TRANSFER, SOA_XFR_IXFR_CURRENT);
	}
}

/*! \brief Replication health: the client of a completed AXFR (or IXFR with
 *         changes) now holds the published serial. */
static void replica_transferred(soa_zone_t *z, knotd_qdata_t *qdata, const xfr_slot_t *slot,
                                const soa_snap_t *snap)
{
	bool full = (qdata->type == KNOTD_QUERY_TYPE_AXFR);  // also IXFR answered AXFR-style
	if (snap != NULL && z->watched && z->watch.replica &&
	    (full || slot->ixfr == IXFR_JOURNAL)) {
		soa_observe_push(&z->watch, knotd_qdata_remote_addr(qdata), snap->published);
	}
}

/*!
 * \brief The history lacks a version the journal holds: forget the history
 *        before it and fail this transfer; the retry is answered AXFR-style.
 */
static knotd_state_t history_gap(soa_zone_t *z, knotd_qdata_t *qdata,
                                 const map_ctx_t *mc, const xfr_slot_t *slot)
{
	knotd_mod_log(z->mod, LOG_WARNING, "IXFR passes serial %u, a version the module "
	              "never saw; older history dropped, the client is to retry",
	              mc->missing);
	if (mc->have_rec && mc->rec.hist_count > 1) {
		soa_state_cut_history(&z->state, mc->rec.hist[mc->rec.hist_count - 2].real);
	}
	soa_knotd_tsig_unsign(qdata, &slot->mac);
	qdata->rcode = KNOT_RCODE_SERVFAIL;
	return KNOTD_STATE_FAIL;
}

/*! \brief Rewrites the SOA serials of a transfer message; signs it again. */
static knotd_state_t xfr_edit(soa_zone_t *z, knot_pkt_t *pkt, knotd_qdata_t *qdata,
                              const xfr_slot_t *slot, const soa_snap_t *snap,
                              knotd_state_t state)
{
	// A signed message can only be edited if it can be signed again.
	soa_wire_tsig_t tsig;
	bool usable = true;
	bool signed_msg = soa_knotd_tsig_resign(qdata, &slot->mac, &tsig, &usable);
	if (!usable) {
		return state;
	}

	// Journal IXFR carries older versions; everything else only the current one.
	map_ctx_t mc = { .zone = z, .snap = snap };
	bool journal = qdata->type == KNOTD_QUERY_TYPE_IXFR &&
	               qdata->params->proto != KNOTD_QUERY_PROTO_UDP;
	unsigned mapped;
	bool changed;
	int ret = soa_wire_xfr_edit(pkt, journal ? map_history : map_current, &mc,
	                            signed_msg ? &tsig : NULL, &mapped, &changed);
	if (ret == KNOT_ENOENT && !changed) {
		return history_gap(z, qdata, &mc, slot);
	} else if (ret != KNOT_EOK && changed) {
		knotd_mod_log(z->mod, LOG_ERR, "failed to sign transfer message (%s)",
		              knot_strerror(ret));
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_STATE_FAIL;
	} else if (ret == KNOT_EOK && mapped > 0) {
		unsigned tid = qdata->params->thread_id;
		soa_count_n(&z->metrics, tid, SOA_CTR_SERIAL_REWRITE,
		            qdata->type == KNOTD_QUERY_TYPE_AXFR ? SOA_RW_AXFR : SOA_RW_IXFR, mapped);
		if (signed_msg) {
			soa_count(&z->metrics, tid, SOA_CTR_TRANSFER, SOA_XFR_TSIG_RESIGNED);
		}
	}
	return state;
}

/*! \brief END of a transfer message. */
__attribute__((noinline))
static knotd_state_t xfr_end(knotd_state_t state, knot_pkt_t *pkt,
                             knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	xfr_slot_t *slot = slot_of(qdata);
	if (slot == NULL) {
		return state;
	}

	// Only answers knotd produced successfully; errors stay as they are.
	if ((state == KNOTD_STATE_DONE || soa_knotd_xfr_more(state)) &&
	    qdata->rcode == KNOT_RCODE_NOERROR &&
	    knot_wire_get_rcode(pkt->wire) == KNOT_RCODE_NOERROR) {
		soa_zone_t *z = knotd_mod_ctx(mod);
		const soa_snap_t *snap = soa_snap_apex(z, qdata);
		if (snap != NULL && snap->mode != SOA_MODE_SIGNED) {
			state = xfr_edit(z, pkt, qdata, slot, snap, state);
		}
		if (state == KNOTD_STATE_DONE) {
			count_transfer(&z->metrics, qdata, slot);
			replica_transferred(z, qdata, slot, snap);
		}
	}

	// The transfer goes on only while more messages follow.
	slot->active = slot->active && soa_knotd_xfr_more(state);
	return state;
}

knotd_state_t soa_xfr_end(knotd_state_t state, knot_pkt_t *pkt,
                          knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	if (__builtin_expect(!is_xfr(qdata), 1)) {
		return state;
	}
	return xfr_end(state, pkt, qdata, mod);
}
