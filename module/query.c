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
 * TSIG, so knotd's own TSIG covers the edits.
 *
 * Cost matters here: every answer of the zone passes. A positive answer to
 * anything but SOA/ANY leaves after two compares without saving a register;
 * the common negative answer is one compare against the zone snapshot, one
 * bounded edit of the lone SOA and the counters the version's plan names.
 */

#include <time.h>

#include "soa/nxtable.h"
#include "soa/query.h"
#include "soa/service.h"
#include "soa/snap.h"
#include "soa/wire.h"

/*! \brief The zone's SOA RRSet in a section, found by metadata. */
static inline const knot_rrset_t *section_soa(const knot_pkt_t *pkt, knot_section_t sec_id)
{
	const knot_pktsection_t *sec = &pkt->sections[sec_id];
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = &pkt->rr[sec->pos + i];
		if (rr->type == KNOT_RRTYPE_SOA) {
			return rr;
		}
	}
	return NULL;
}

/*! \brief What a negative answer does besides the zone-wide policy. */
enum {
	NEG_RULES  = 1 << 0,  /*!< negative-ttl-rule: a rule may set the TTL. */
	NEG_EXPOSE = 1 << 1,  /*!< negative-exposure: NXDOMAIN names are remembered. */
};

/*!
 * \brief NXDOMAIN or NODATA: the negative TTL (and the published serial).
 *        Inlined into one function per set of features, so that a zone
 *        without rules or exposure pays no instruction for them.
 */
static inline __attribute__((always_inline))
knotd_in_state_t negative(knotd_in_state_t state, knot_pkt_t *pkt, knotd_qdata_t *qdata,
                          knotd_mod_t *mod, unsigned features)
{
	// knotd writes the SOA first; anything else takes the general path.
	const knot_pktsection_t *sec = &pkt->sections[KNOT_AUTHORITY];
	if (sec->count == 0 || sec->pos >= pkt->rrset_count) {
		return state;
	}
	const knot_rrset_t *soa = &pkt->rr[sec->pos];
	bool lone = (sec->count == 1 && soa->type == KNOT_RRTYPE_SOA);
	if (soa->type != KNOT_RRTYPE_SOA && (soa = section_soa(pkt, KNOT_AUTHORITY)) == NULL) {
		return state;
	}

	soa_zone_t *z = knotd_mod_ctx(mod);
	const soa_snap_t *snap = soa_snap_get(z, qdata, soa);
	if (snap == NULL) {
		return state;
	}

	// A rule matching the question caps the TTL (ttl.h).
	uint32_t ttl = snap->neg_ttl, cap;
	soa_count_slot_t ttl_slot = snap->plan.neg_ttl;
	if ((features & NEG_RULES) && soa_rules_match(&z->rules, knot_pkt_qname(pkt), pkt->qname_size, &cap)) {
		ttl = (cap < snap->neg_cap) ? cap : snap->neg_cap;
		ttl_slot = snap->plan.neg_rule;
	}

	// A message that does not parse as expected is left alone.
	const uint32_t *serial = snap->rewrite ? &snap->published : NULL;
	int ret = lone ? soa_wire_soa_at(pkt, sec->pos, &ttl, serial) : KNOT_ENOENT;
	if (ret == KNOT_ENOENT) {
		unsigned written;
		ret = soa_wire_negative(pkt, ttl, serial, &written);
	}
	if (ret != KNOT_EOK) {
		return state;
	}

	// The module's own lookups (exposure.c) are neither counted nor remembered.
	if ((features & NEG_EXPOSE) && soa_service_is_lookup(qdata)) {
		return state;
	}
	unsigned tid = qdata->params->thread_id;
	const soa_metrics_t *m = &z->metrics;
	soa_count(m, tid, SOA_CTR_NEGATIVE,
	          state == KNOTD_IN_STATE_MISS ? SOA_NEG_NXDOMAIN : SOA_NEG_NODATA);
	soa_count_slot(m, tid, ttl_slot);
	soa_count_slot(m, tid, snap->plan.neg_rw);
	soa_watch_seen(&z->watch);
	if ((features & NEG_EXPOSE) && state == KNOTD_IN_STATE_MISS) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME_COARSE, &now);
		soa_nxtable_record(z->nxtable, knot_pkt_qname(pkt), pkt->qname_size, now.tv_sec, ttl);
	}
	return state;
}

/*! \brief Positive answer carrying the zone SOA: publish the serial. */
__attribute__((noinline))
static const soa_snap_t *soa_answer(knot_pkt_t *pkt, knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	const knot_rrset_t *soa = section_soa(pkt, KNOT_ANSWER);
	if (soa == NULL) {
		return NULL;
	}
	soa_zone_t *z = knotd_mod_ctx(mod);
	const soa_snap_t *snap = soa_snap_get(z, qdata, soa);
	if (snap == NULL) {
		return NULL;
	}

	soa_count_slot_t rw = snap->plan.soa_rw;
	if (snap->rewrite) {
		const knot_pktsection_t *sec = &pkt->sections[KNOT_ANSWER];
		int ret = (sec->count == 1) ?
		          soa_wire_soa_at(pkt, soa - pkt->rr, NULL, &snap->published) : KNOT_ENOENT;
		if (ret == KNOT_ENOENT) {
			unsigned written;
			ret = soa_wire_answer_serial(pkt, snap->real, snap->published, &written);
			ret = (ret == KNOT_EOK && written == 0) ? KNOT_ENOENT : ret;
		}
		rw.id = (ret == KNOT_EOK) ? rw.id : -1;
	}

	// The module's own checks see (and publish) versions but are not answers
	// anybody asked for: they stay out of the counts.
	soa_watch_seen(&z->watch);
	if (soa_service_is_self(qdata)) {
		return snap;
	}
	unsigned tid = qdata->params->thread_id;
	soa_count(&z->metrics, tid, SOA_CTR_SOA_ANSWER, 0);
	soa_count_slot(&z->metrics, tid, rw);
	return snap;
}

/*! \brief True if the question can be answered with the SOA itself. */
static inline bool soa_question(const knot_pkt_t *pkt)
{
	// knotd only runs in-hooks for answers to a parsed question.
	uint16_t qtype = knot_wire_read_u16(pkt->wire + KNOT_WIRE_HEADER_SIZE + pkt->qname_size);
	return qtype == KNOT_RRTYPE_SOA || qtype == KNOT_RRTYPE_ANY;
}

/*! \brief soa_answer() returning the state, for a tail call. */
__attribute__((noinline))
static knotd_in_state_t positive_soa(knotd_in_state_t state, knot_pkt_t *pkt,
                                     knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	(void)soa_answer(pkt, qdata, mod);
	return state;
}

/*! \brief minimum-as-floor on a positive answer. */
__attribute__((noinline))
static knotd_in_state_t positive_floor(knotd_in_state_t state, knot_pkt_t *pkt,
                                       knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	// The SOA answer may already have the snapshot; otherwise use the apex.
	soa_zone_t *z = knotd_mod_ctx(mod);
	const soa_snap_t *snap = soa_question(pkt) ? soa_answer(pkt, qdata, mod) : NULL;
	if (snap == NULL && (snap = soa_snap_apex(z, qdata)) == NULL) {
		return state;
	}

	// RFC 1035 §3.3.13: MINIMUM bounds every TTL exported with any RR.
	unsigned raised;
	if (soa_wire_floor(pkt, snap->minimum, &raised) == KNOT_EOK && raised > 0) {
		soa_count(&z->metrics, qdata->params->thread_id, SOA_CTR_FLOOR_RAISED, 0);
	}
	return state;
}

/*!
 * \brief Defines the in-hooks of one set of negative-answer features: one
 *        for the AUTHORITY stage and one, with minimum-as-floor, for the
 *        ADDITIONAL stage. The common exits are kept free of calls, so that
 *        they save no registers.
 */
#define SOA_QUERY_HOOKS(suffix, features) \
	__attribute__((noinline)) \
	static knotd_in_state_t negative_##suffix(knotd_in_state_t state, knot_pkt_t *pkt, \
	                                          knotd_qdata_t *qdata, knotd_mod_t *mod) \
	{ \
		return negative(state, pkt, qdata, mod, features); \
	} \
	static knotd_in_state_t hook_##suffix(knotd_in_state_t state, knot_pkt_t *pkt, \
	                                      knotd_qdata_t *qdata, knotd_mod_t *mod) \
	{ \
		if (state == KNOTD_IN_STATE_HIT) { \
			if (!soa_question(pkt)) { \
				return state; \
			} \
			return positive_soa(state, pkt, qdata, mod); \
		} \
		if (state == KNOTD_IN_STATE_MISS || state == KNOTD_IN_STATE_NODATA) { \
			return negative_##suffix(state, pkt, qdata, mod); \
		} \
		return state; \
	} \
	static knotd_in_state_t floor_##suffix(knotd_in_state_t state, knot_pkt_t *pkt, \
	                                       knotd_qdata_t *qdata, knotd_mod_t *mod) \
	{ \
		if (state == KNOTD_IN_STATE_HIT) { \
			return positive_floor(state, pkt, qdata, mod); \
		} \
		return hook_##suffix(state, pkt, qdata, mod); \
	}

SOA_QUERY_HOOKS(plain, 0)
SOA_QUERY_HOOKS(rules, NEG_RULES)
SOA_QUERY_HOOKS(expose, NEG_EXPOSE)
SOA_QUERY_HOOKS(rules_expose, NEG_RULES | NEG_EXPOSE)

knotd_mod_in_hook_f soa_query_hook(bool rules, bool exposure, bool floor)
{
	static const knotd_mod_in_hook_f hooks[2][4] = {
		{ hook_plain, hook_rules, hook_expose, hook_rules_expose },
		{ floor_plain, floor_rules, floor_expose, floor_rules_expose },
	};
	return hooks[floor][(rules ? NEG_RULES : 0) | (exposure ? NEG_EXPOSE : 0)];
}
