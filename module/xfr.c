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
 * message is then stripped of knotd's TSIG and signed again, and the new MAC
 * is written back where knotd chains the next message from
 * (qdata->sign.tsig_digest). The MAC a message is chained from is captured
 * in the BEGIN hook, before knotd overwrites it.
 *
 * On the first message of an IXFR, the BEGIN hook translates the client's
 * published serial in the parsed query (never the wire, which the TSIG
 * check covers) to the matching real serial, so knotd serves its own
 * journal-based IXFR, or answers AXFR-style when there is no such chain.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "soa/ctx.h"
#include "soa/knotd_compat.h"
#include "soa/metrics.h"
#include "soa/serial.h"
#include "soa/wire.h"

/*! \brief knotd's layer state for "message done, more follow" (knot_layer_state_t
 *         KNOT_STATE_PRODUCE, not in the module API): END of every transfer
 *         message but the last sees it. */
#define STATE_PRODUCE 2

/*! \brief Longest MAC (HMAC-SHA512). */
#define MAC_MAX 64

/*! \brief How the first message of an IXFR was steered. */
typedef enum {
	IXFR_NONE = 0,
	IXFR_CURRENT,  /*!< Client is up to date: one SOA. */
	IXFR_JOURNAL,  /*!< Translated to a real serial: knotd's journal. */
	IXFR_FULL,     /*!< No usable history: AXFR-style. */
} ixfr_kind_t;

/*! \brief Per worker-thread transfer state (one transfer per thread at a time). */
typedef struct {
	uint8_t mac[MAC_MAX];  /*!< MAC this message is chained from. */
	uint16_t mac_len;
	bool mac_valid;
	uint32_t pkt_count;    /*!< qdata->sign.pkt_count when captured. */
	uint8_t ixfr;          /*!< ixfr_kind_t of the current IXFR. */
} xfr_slot_t;

/*! \brief Marks a parsed IXFR query SOA as already steered. */
static const uint8_t steered_marker;

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static xfr_slot_t *slots = NULL;
static unsigned slots_count = 0;
static unsigned slots_refs = 0;

int soa_xfr_init(unsigned threads)
{
	int ret = KNOT_EOK;
	pthread_mutex_lock(&slots_lock);
	// Worker counts only change with a restart: the first size stays.
	if (slots == NULL) {
		slots = calloc(threads, sizeof(*slots));
		slots_count = slots != NULL ? threads : 0;
	}
	if (slots == NULL) {
		ret = KNOT_ENOMEM;
	} else {
		slots_refs++;
	}
	pthread_mutex_unlock(&slots_lock);
	return ret;
}

void soa_xfr_deinit(void)
{
	pthread_mutex_lock(&slots_lock);
	if (slots_refs > 0 && --slots_refs == 0) {
		free(slots);
		slots = NULL;
		slots_count = 0;
	}
	pthread_mutex_unlock(&slots_lock);
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

/*! \brief Saves the MAC knotd will chain this message's TSIG from. */
static void capture_mac(knotd_qdata_t *qdata, xfr_slot_t *slot)
{
	const knot_sign_context_t *sign = &qdata->sign;
	const uint8_t *mac = NULL;
	size_t len = 0;

	slot->mac_valid = false;
	if (sign->tsig_digest != NULL) {
		// Later messages: the MAC of the message sent before.
		mac = sign->tsig_digest;
		len = sign->tsig_digestlen;
	} else if (qdata->query->tsig_rr != NULL) {
		// First message: the request MAC (knotd overwrites it when signing).
		mac = knot_tsig_rdata_mac(qdata->query->tsig_rr);
		len = knot_tsig_rdata_mac_length(qdata->query->tsig_rr);
	}
	if (mac == NULL || len == 0 || len > MAC_MAX) {
		return;
	}
	memcpy(slot->mac, mac, len);
	slot->mac_len = len;
	slot->pkt_count = sign->pkt_count;
	slot->mac_valid = true;
}

/*! \brief Reads the client serial of a parsed IXFR query, if steerable. */
static knot_rrset_t *ixfr_their_soa(knotd_qdata_t *qdata)
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

static uint32_t rdata_serial(const knot_rdata_t *rd)
{
	return knot_wire_read_u32(rd->data + rd->len - SOA_WIRE_SOA_TAIL);
}

static void rdata_set_serial(knot_rdata_t *rd, uint32_t serial)
{
	knot_wire_write_u32(rd->data + rd->len - SOA_WIRE_SOA_TAIL, serial);
}

/*! \brief Steers the first message of a TCP IXFR (the parsed query copy only). */
static ixfr_kind_t ixfr_steer(soa_ctx_t *ctx, knotd_qdata_t *qdata,
                              knot_rrset_t *their, const soa_snap_t *snap)
{
	// Signed zones publish their real serials: knotd decides natively.
	if (snap->mode == SOA_MODE_SIGNED) {
		return IXFR_NONE;
	}

	knot_rdata_t *rd = their->rrs.rdata;
	uint32_t client = rdata_serial(rd);

	// Up to date (or ahead): knotd answers with the current SOA.
	if (client == snap->published || soa_serial_gt(client, snap->published)) {
		rdata_set_serial(rd, snap->real);
		return IXFR_CURRENT;
	}

	// An earlier published version on the current chain: its real serial.
	soa_record_t rec;
	if (soa_state_get(soa_ctx_state(ctx), ctx->zone, &rec) == 0 &&
	    rec.real == snap->real && rec.published == snap->published) {
		int idx = soa_record_find_published(&rec, client);
		if (idx >= 0) {
			rdata_set_serial(rd, rec.hist[idx].real);
			return IXFR_JOURNAL;
		}
	}

	// Anything else: the whole zone, AXFR-style (RFC 1995 §4).
	qdata->type = KNOTD_QUERY_TYPE_AXFR;
	return IXFR_FULL;
}

/*! \brief BEGIN of a transfer message. */
__attribute__((noinline))
static knotd_state_t xfr_begin(knotd_state_t state, knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	xfr_slot_t *slot = slot_of(qdata);
	if (slot == NULL) {
		return state;
	}
	capture_mac(qdata, slot);

	// Allocate before knotd writes the first SOA of a new version.
	soa_ctx_t *ctx = knotd_mod_ctx(mod);
	const soa_snap_t *snap = soa_snap_apex(ctx, qdata);

	if (qdata->type == KNOTD_QUERY_TYPE_IXFR) {
		// Decide once per transfer: later messages find the marker.
		knot_rrset_t *their = ixfr_their_soa(qdata);
		if (their != NULL && their->additional != &steered_marker) {
			their->additional = (void *)&steered_marker;
			slot->ixfr = IXFR_CURRENT;
			if (snap != NULL && qdata->params->proto != KNOTD_QUERY_PROTO_UDP) {
				slot->ixfr = ixfr_steer(ctx, qdata, their, snap);
			}
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
	soa_ctx_t *ctx;
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
	if (!mc->have_rec) {
		if (soa_state_get(soa_ctx_state(mc->ctx), mc->ctx->zone, &mc->rec) != 0) {
			mc->missing = *serial;
			return KNOT_ENOENT;
		}
		mc->have_rec = true;
	}
	int idx = soa_record_find_real(&mc->rec, *serial);
	if (idx < 0) {
		mc->missing = *serial;
		return KNOT_ENOENT;
	}
	*serial = mc->rec.hist[idx].published;
	return KNOT_EOK;
}

/*! \brief True if knotd signed this message with a key we can sign with. */
static bool signed_by_knotd(const knotd_qdata_t *qdata)
{
	return qdata->sign.tsig_key.name != NULL && qdata->sign.pkt_count > 0 &&
	       knot_tsig_can_sign(qdata->rcode_tsig);
}

/*! \brief Transfer counters, once the last message is out. */
static void count_transfer(knotd_mod_t *mod, knotd_qdata_t *qdata, const xfr_slot_t *slot)
{
	if (knot_pkt_qtype(qdata->query) == KNOT_RRTYPE_AXFR) {
		soa_count(mod, qdata, SOA_CTR_TRANSFER, SOA_XFR_AXFR);
	} else if (qdata->type == KNOTD_QUERY_TYPE_AXFR) {
		soa_count(mod, qdata, SOA_CTR_TRANSFER, SOA_XFR_IXFR_FULL);
	} else if (slot->ixfr == IXFR_JOURNAL) {
		soa_count(mod, qdata, SOA_CTR_TRANSFER, SOA_XFR_IXFR_JOURNAL);
	} else {
		soa_count(mod, qdata, SOA_CTR_TRANSFER, SOA_XFR_IXFR_CURRENT);
	}
}

/*!
 * \brief The history lacks a version the journal holds: forget the history
 *        before it and fail this transfer; the retry is answered AXFR-style.
 */
static knotd_state_t history_gap(soa_ctx_t *ctx, knotd_qdata_t *qdata,
                                 const map_ctx_t *mc, xfr_slot_t *slot)
{
	knotd_mod_log(ctx->mod, LOG_WARNING, "IXFR passes serial %u, a version the module "
	              "never saw; older history dropped, the client is to retry",
	              mc->missing);
	if (mc->have_rec && mc->rec.hist_count > 1) {
		uint32_t before = mc->rec.hist[mc->rec.hist_count - 2].real;
		int rc = soa_state_cut_history(soa_ctx_state(ctx), ctx->zone, before);
		if (rc != 0) {
			knotd_mod_log(ctx->mod, LOG_ERR, "failed to update state in '%s/data.mdb' (%s)",
			              ctx->state_path, soa_state_strerror(rc));
		}
	}

	// knotd signs the error reply as this message: chain it from the last MAC sent.
	if (signed_by_knotd(qdata) && slot->mac_valid &&
	    slot->pkt_count + 1 == qdata->sign.pkt_count) {
		memcpy(qdata->sign.tsig_digest, slot->mac, slot->mac_len);
		qdata->sign.pkt_count--;
	}
	qdata->rcode = KNOT_RCODE_SERVFAIL;
	return KNOTD_STATE_FAIL;
}

/*! \brief END of a transfer message. */
__attribute__((noinline))
static knotd_state_t xfr_end(knotd_state_t state, knot_pkt_t *pkt,
                             knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	// Only answers knotd produced successfully; errors stay as they are.
	if ((state != KNOTD_STATE_DONE && state != STATE_PRODUCE) ||
	    qdata->rcode != KNOT_RCODE_NOERROR ||
	    knot_wire_get_rcode(pkt->wire) != KNOT_RCODE_NOERROR) {
		return state;
	}
	xfr_slot_t *slot = slot_of(qdata);
	if (slot == NULL) {
		return state;
	}
	soa_ctx_t *ctx = knotd_mod_ctx(mod);

	map_ctx_t mc = { .ctx = ctx, .snap = soa_snap_apex(ctx, qdata) };
	if (mc.snap == NULL || mc.snap->mode == SOA_MODE_SIGNED) {
		goto done;
	}

	// A signed message can only be edited if it can be signed again.
	soa_wire_tsig_t tsig = { 0 };
	bool signed_msg = signed_by_knotd(qdata);
	if (signed_msg) {
		if (!slot->mac_valid || slot->pkt_count + 1 != qdata->sign.pkt_count) {
			goto done;
		}
		tsig.key = &qdata->sign.tsig_key;
		tsig.prev_mac = slot->mac;
		tsig.prev_len = slot->mac_len;
		tsig.first = (qdata->sign.pkt_count == 1);
		tsig.tsig_rcode = qdata->rcode_tsig;
		tsig.time_signed = qdata->sign.tsig_time_signed;
		tsig.digest = qdata->sign.tsig_digest;
		tsig.digest_len = dnssec_tsig_algorithm_size(qdata->sign.tsig_key.algorithm);
	}

	// Journal IXFR carries older versions; everything else only the current one.
	bool journal = qdata->type == KNOTD_QUERY_TYPE_IXFR &&
	               qdata->params->proto != KNOTD_QUERY_PROTO_UDP;
	unsigned mapped;
	bool changed;
	int ret = soa_wire_xfr_edit(pkt, journal ? map_history : map_current, &mc,
	                            signed_msg ? &tsig : NULL, &mapped, &changed);
	if (ret == KNOT_ENOENT && !changed) {
		return history_gap(ctx, qdata, &mc, slot);
	} else if (ret != KNOT_EOK && changed) {
		knotd_mod_log(mod, LOG_ERR, "failed to sign transfer message (%s)",
		              knot_strerror(ret));
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_STATE_FAIL;
	} else if (ret == KNOT_EOK && mapped > 0) {
		soa_count_n(mod, qdata, SOA_CTR_SERIAL_REWRITE,
		            qdata->type == KNOTD_QUERY_TYPE_AXFR ? SOA_RW_AXFR : SOA_RW_IXFR, mapped);
		if (signed_msg) {
			soa_count(mod, qdata, SOA_CTR_TRANSFER, SOA_XFR_TSIG_RESIGNED);
		}
	}

done:
	if (state == KNOTD_STATE_DONE) {
		count_transfer(mod, qdata, slot);
	}
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
