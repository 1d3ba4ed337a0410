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
 *
 * One hook serves every normal answer. It runs at the AUTHORITY stage (the
 * ADDITIONAL stage with minimum-as-floor, to see glue too), i.e. after knotd
 * has written the SOA, NSEC/NSEC3 and RRSIGs and before it adds OPT and
 * TSIG, so knotd's own TSIG covers our edits. A positive answer to anything
 * but SOA/ANY returns after two compares.
 */

#include "soa/ctx.h"
#include "soa/metrics.h"
#include "soa/ttl.h"
#include "soa/wire.h"

/*! \brief Finds the first RRSet of a type in a section by metadata. */
static const knot_rrset_t *find_rrset(const knot_pkt_t *pkt, knot_section_t sec_id,
                                      uint16_t type)
{
	const knot_pktsection_t *sec = &pkt->sections[sec_id];
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = &pkt->rr[sec->pos + i];
		if (rr->type == type) {
			return rr;
		}
	}
	return NULL;
}

/*! \brief NXDOMAIN or NODATA: align TTLs (and the serial) in the authority section. */
static void negative(knot_pkt_t *pkt, knotd_qdata_t *qdata, knotd_mod_t *mod,
                     uint32_t kind)
{
	const knot_rrset_t *soa = find_rrset(pkt, KNOT_AUTHORITY, KNOT_RRTYPE_SOA);
	if (soa == NULL) {
		return;
	}

	soa_ctx_t *ctx = knotd_mod_ctx(mod);
	const soa_snap_t *snap = soa_snap_get(ctx, qdata, soa);
	if (snap == NULL) {
		return;
	}

	// A message that does not parse as expected is left alone.
	const uint32_t *serial = snap->rewrite ? &snap->published : NULL;
	if (soa_wire_negative(pkt, snap->neg_ttl, serial) <= 0) {
		return;
	}

	soa_count(mod, qdata, SOA_CTR_NEGATIVE, kind);
	if (snap->neg_class != SOA_NEG_AS_IS) {
		soa_count(mod, qdata, SOA_CTR_NEGATIVE_TTL, snap->neg_class - 1);
	}
	if (snap->rewrite) {
		soa_count(mod, qdata, SOA_CTR_SERIAL_REWRITE, SOA_RW_AUTHORITY);
	} else if (snap->skipped_signed) {
		soa_count(mod, qdata, SOA_CTR_SERIAL_REWRITE, SOA_RW_SKIPPED_SIGNED);
	}
}

/*! \brief Positive answer carrying the zone SOA: publish the serial. */
static const soa_snap_t *soa_answer(knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                    knotd_mod_t *mod)
{
	const knot_rrset_t *soa = find_rrset(pkt, KNOT_ANSWER, KNOT_RRTYPE_SOA);
	if (soa == NULL) {
		return NULL;
	}

	soa_ctx_t *ctx = knotd_mod_ctx(mod);
	const soa_snap_t *snap = soa_snap_get(ctx, qdata, soa);
	if (snap == NULL) {
		return NULL;
	}

	soa_count(mod, qdata, SOA_CTR_SOA_ANSWER, 0);
	if (snap->rewrite) {
		if (soa_wire_answer_serial(pkt, snap->real, snap->published) > 0) {
			soa_count(mod, qdata, SOA_CTR_SERIAL_REWRITE, SOA_RW_ANSWER);
		}
	} else if (snap->skipped_signed) {
		soa_count(mod, qdata, SOA_CTR_SERIAL_REWRITE, SOA_RW_SKIPPED_SIGNED);
	}
	return snap;
}

/*! \brief True if the question can be answered with the SOA itself. */
static inline bool soa_question(const knot_pkt_t *pkt)
{
	uint16_t qtype = knot_pkt_qtype(pkt);
	return qtype == KNOT_RRTYPE_SOA || qtype == KNOT_RRTYPE_ANY;
}

knotd_in_state_t soa_query_hook(knotd_in_state_t state, knot_pkt_t *pkt,
                                knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	switch (state) {
	case KNOTD_IN_STATE_HIT:
		if (soa_question(pkt)) {
			(void)soa_answer(pkt, qdata, mod);
		}
		break;
	case KNOTD_IN_STATE_MISS:
		negative(pkt, qdata, mod, SOA_NEG_NXDOMAIN);
		break;
	case KNOTD_IN_STATE_NODATA:
		negative(pkt, qdata, mod, SOA_NEG_NODATA);
		break;
	default:
		break;
	}
	return state;
}

knotd_in_state_t soa_query_floor_hook(knotd_in_state_t state, knot_pkt_t *pkt,
                                      knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	if (state != KNOTD_IN_STATE_HIT) {
		return soa_query_hook(state, pkt, qdata, mod);
	}

	// The SOA answer may already have the snapshot; otherwise use the apex.
	soa_ctx_t *ctx = knotd_mod_ctx(mod);
	const soa_snap_t *snap = soa_question(pkt) ? soa_answer(pkt, qdata, mod) : NULL;
	if (snap == NULL) {
		snap = soa_snap_apex(ctx, qdata);
		if (snap == NULL) {
			return state;
		}
	}

	// RFC 1035 §3.3.13: MINIMUM bounds every TTL exported with any RR.
	if (soa_wire_floor(pkt, snap->minimum) > 0) {
		soa_count(mod, qdata, SOA_CTR_FLOOR_RAISED, 0);
	}
	return state;
}
