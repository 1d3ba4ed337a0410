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
 * \brief Zone snapshots: built once per zone version, read lock-free.
 *
 * The hot path compares the SOA RRSet being answered with the current
 * snapshot (soa_snap_is). Only when the zone changed does a worker take the
 * context mutex, allocate the published serial in the state database, run
 * the lint checks, store the gauges and publish the new snapshot with RCU.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soa/ctx.h"
#include "soa/metrics.h"
#include "soa/service.h"
#include "soa/serial.h"
#include "soa/ttl.h"
#include "soa/wire.h"

/*! \brief Reads the fixed SOA fields from the end of the RDATA. */
static void soa_fields(const knot_rdata_t *rd, soa_timers_t *t)
{
	const uint8_t *tail = rd->data + rd->len - SOA_WIRE_SOA_TAIL;
	t->serial = knot_wire_read_u32(tail);
	t->refresh = knot_wire_read_u32(tail + 4);
	t->retry = knot_wire_read_u32(tail + 8);
	t->expire = knot_wire_read_u32(tail + 12);
	t->minimum = knot_wire_read_u32(tail + 16);
}

/*! \brief Checks MNAME and RNAME lie within the RDATA, returns RNAME. */
static const knot_dname_t *soa_rname(const knot_rdata_t *rd)
{
	const uint8_t *end = rd->data + rd->len - SOA_WIRE_SOA_TAIL;
	int mlen = knot_dname_wire_check(rd->data, end, NULL);
	if (mlen <= 0 || knot_dname_wire_check(rd->data + mlen, end, NULL) <= 0) {
		return NULL;
	}
	return rd->data + mlen;
}

/*! \brief Lint checks that need the names and the apex NS set. */
static uint32_t lint_names(knotd_qdata_t *qdata, const knot_rdata_t *rd)
{
	const knot_dname_t *rname = soa_rname(rd);
	if (rname == NULL) {
		return 0;
	}

	uint32_t bits = 0;
	knot_rrset_t ns = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_NS);
	if (!soa_lint_mname_listed(rd->data, &ns.rrs)) {
		bits |= 1u << SOA_LINT_MNAME_NOT_NS;
	}
	if (soa_lint_rname_bad(rname)) {
		bits |= 1u << SOA_LINT_RNAME;
	}
	return bits;
}

/*!
 * \brief A serial that may have been published when state is lost: the
 *        high-water mark kept beside the database, or YYYYMMDD99 of today
 *        (no more than 100 changes a day stay below it), the higher one.
 */
static uint32_t lost_bound(soa_ctx_t *ctx, uint32_t today)
{
	uint32_t bound = today * 100 + 99, hw;
	soa_state_t *st = soa_ctx_state(ctx);
	bool have = (st != NULL) ? soa_state_high_water(st, &hw) :
	                           soa_state_high_water_at(ctx->state_path, &hw);
	if (have && soa_serial_gt(hw, bound)) {
		bound = hw;
	}
	return bound;
}

/*! \brief Logs and counts a recovery or a high-water failure, once each. */
static void report_recovery(soa_ctx_t *ctx, knotd_qdata_t *qdata)
{
	char msg[600];
	if (soa_state_notice(soa_ctx_state(ctx), msg, sizeof(msg))) {
		knotd_mod_log(ctx->mod, LOG_ERR, "%s", msg);
		soa_count(ctx->mod, qdata, SOA_CTR_STATE_ERROR, 0);
	}
}

/*!
 * \brief Published serial when the state database failed: continue from what
 *        this instance published, else from the lost-state bound. Not stored.
 */
static void fallback_alloc(const soa_snap_t *old, const soa_alloc_req_t *req,
                           soa_record_t *rec)
{
	soa_record_t prev;
	if (old != NULL) {
		soa_record_single(&prev, old->real, old->published, old->mode);
	}
	soa_alloc_req_t r = *req;
	r.missing_is_lost = true;
	(void)soa_record_next(old != NULL ? &prev : NULL, &r, rec);
}

/*! \brief Chooses the published serial of a version (serial-format: date). */
static void publish_date(soa_ctx_t *ctx, knotd_qdata_t *qdata, const soa_snap_t *old,
                         soa_snap_t *s, bool is_signed, int64_t now, uint32_t today)
{
	soa_alloc_req_t req = {
		.real = s->real,
		.today = today,
		.floor = ctx->serial_floor,
		.is_signed = is_signed,
		.now = now,
		.lost = lost_bound(ctx, today),
	};
	// What this instance published is a lower bound, stored or not.
	if (old != NULL && old->mode != SOA_MODE_SIGNED) {
		req.have_mem = true;
		req.mem_real = old->real;
		req.mem_pub = old->published;
		req.mem_mode = old->mode;
	}

	soa_record_t rec;
	bool created = false, broken = false;
	int rc = soa_ctx_open_state(ctx);
	if (rc == 0) {
		rc = soa_state_allocate(ctx->state, ctx->zone, &req, &rec, &created, &broken);
		report_recovery(ctx, qdata);
	}
	if (rc != 0) {
		knotd_mod_log(ctx->mod, LOG_ERR, "failed to update state in '%s/data.mdb' (%s), "
		              "publishing from memory", ctx->state_path, soa_state_strerror(rc));
		soa_count(ctx->mod, qdata, SOA_CTR_STATE_ERROR, 0);
		if (old != NULL && old->real == s->real &&
		    (old->mode == SOA_MODE_SIGNED) == is_signed) {
			rec.published = old->published;
			rec.mode = old->mode;
		} else {
			fallback_alloc(old, &req, &rec);
			created = true;
		}
	}
	if (broken) {
		knotd_mod_log(ctx->mod, LOG_ERR, "unreadable state record in '%s', "
		              "resumed above serial %u", soa_state_file(ctx->state), req.lost);
		soa_count(ctx->mod, qdata, SOA_CTR_STATE_ERROR, 0);
	}

	s->published = rec.published;
	s->mode = rec.mode;
	s->rewrite = !is_signed && rec.published != s->real;
	s->skipped_signed = is_signed;
	if (rec.mode == SOA_MODE_KEPT) {
		s->lint |= 1u << SOA_LINT_SERIAL_NOT_CONVERTIBLE;
	}

	if (created) {
		soa_count(ctx->mod, qdata, SOA_CTR_SERIAL_UPDATE, 0);
		knotd_mod_log(ctx->mod, LOG_INFO, "serial %u published as %u",
		              s->real, s->published);
	}
	if (is_signed && !ctx->signed_logged) {
		ctx->signed_logged = true;
		knotd_mod_log(ctx->mod, LOG_NOTICE, "zone is DNSSEC-signed, publishing "
		              "its real serial; use serial-policy: dateserial for zones "
		              "knotd signs");
	}
}

/*! \brief Logs the lint findings of a new version and stores every gauge. */
static void report(soa_ctx_t *ctx, const soa_snap_t *old, const soa_snap_t *s,
                   const soa_timers_t *t, uint32_t ttl)
{
	knotd_mod_t *mod = ctx->mod;

	if (old == NULL || old->real != s->real || old->lint != s->lint) {
		for (unsigned i = 0; i < SOA_LINT__COUNT; i++) {
			if (s->lint & (1u << i)) {
				char msg[256];
				soa_lint_message(i, t, msg, sizeof(msg));
				knotd_mod_log(mod, LOG_WARNING, "lint %s, %s",
				              soa_lint_name(i), msg);
			}
		}
	}

	soa_gauge(mod, SOA_CTR_SOA, SOA_G_SERIAL, t->serial);
	soa_gauge(mod, SOA_CTR_SOA, SOA_G_TTL, ttl);
	soa_gauge(mod, SOA_CTR_SOA, SOA_G_REFRESH, t->refresh);
	soa_gauge(mod, SOA_CTR_SOA, SOA_G_RETRY, t->retry);
	soa_gauge(mod, SOA_CTR_SOA, SOA_G_EXPIRE, t->expire);
	soa_gauge(mod, SOA_CTR_SOA, SOA_G_MINIMUM, t->minimum);
	soa_gauge(mod, SOA_CTR_SOA, SOA_G_NEGATIVE_TTL, s->neg_ttl);
	soa_gauge(mod, SOA_CTR_SOA, SOA_G_PUBLISHED_SERIAL, s->published);
	for (unsigned i = 0; i < SOA_LINT__COUNT; i++) {
		soa_gauge(mod, SOA_CTR_LINT, i, (s->lint >> i) & 1);
	}
}

/*! \brief Builds the snapshot of a new zone version. */
static soa_snap_t *build(soa_ctx_t *ctx, knotd_qdata_t *qdata,
                         const knot_rrset_t *soa, const soa_snap_t *old)
{
	const knot_rdata_t *rd = soa->rrs.rdata;
	soa_snap_t *s = calloc(1, sizeof(*s) + rd->len);
	if (s == NULL) {
		return NULL;
	}
	s->soa_id = rd;
	s->built_ms = soa_service_now_ms();
	s->ttl = soa->ttl;
	s->rdlen = rd->len;
	memcpy(s->rdata, rd->data, rd->len);

	soa_timers_t t;
	soa_fields(rd, &t);
	s->real = t.serial;
	s->published = t.serial;
	s->minimum = t.minimum;
	s->mode = SOA_MODE_KEPT;

	soa_neg_class_t cls;
	s->neg_ttl = soa_negative_ttl(soa->ttl, t.minimum, ctx->neg_min, ctx->neg_max, &cls);
	s->neg_class = cls;

	int64_t now = time(NULL);
	uint32_t today = soa_date_from_time(now);
	if (ctx->lint) {
		s->lint = soa_lint_timers(&t, today) | lint_names(qdata, rd);
	}

	if (ctx->date) {
		knot_rrset_t sigs = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_RRSIG);
		publish_date(ctx, qdata, old, s, !knot_rrset_empty(&sigs), now, today);
	}
	if (!ctx->lint) {
		s->lint = 0;
	}

	// The counter cells each kind of answer bumps, chosen once per version.
	s->neg_ttl_cell = (cls == SOA_NEG_CAPPED) ? SOA_HOT_NEGTTL_CAPPED :
	                  (cls == SOA_NEG_RAISED) ? SOA_HOT_NEGTTL_RAISED : SOA_HOT_SINK;
	s->neg_rw_cell = s->rewrite ? SOA_HOT_RW_AUTHORITY :
	                 s->skipped_signed ? SOA_HOT_RW_SKIPPED : SOA_HOT_SINK;
	s->soa_rw_cell = s->rewrite ? SOA_HOT_RW_ANSWER :
	                 s->skipped_signed ? SOA_HOT_RW_SKIPPED : SOA_HOT_SINK;

	report(ctx, old, s, &t, soa->ttl);
	return s;
}

static void snap_free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, soa_snap_t, rcu));
}

/*! \brief True if two RRSets carry the same SOA (another copy of one version). */
static bool same_content(const soa_snap_t *s, const knot_rrset_t *soa)
{
	const knot_rdata_t *rd = soa->rrs.rdata;
	return s != NULL && s->ttl == soa->ttl && s->rdlen == rd->len &&
	       memcmp(s->rdata, rd->data, rd->len) == 0;
}

const soa_snap_t *soa_snap_observe(soa_ctx_t *ctx, knotd_qdata_t *qdata,
                                   const knot_rrset_t *soa)
{
	if (soa->rrs.count < 1 || soa->rrs.rdata->len < SOA_WIRE_SOA_MIN) {
		return NULL;
	}

	pthread_mutex_lock(&ctx->lock);

	// Another worker may have built it meanwhile; a late reader may still
	// answer from the version before (knotd keeps at most two alive).
	soa_snap_t *cur = ctx->snap;
	const soa_snap_t *found = NULL;
	if (soa_snap_is(cur, soa)) {
		found = cur;
	} else if (soa_snap_is(ctx->prev, soa)) {
		found = ctx->prev;
	} else if (same_content(cur, soa)) {
		// The same SOA at another address: a module-made copy, or a reload
		// with nothing changed. Re-point only for the zone's own RRSet.
		knot_rrset_t apex = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_SOA);
		if (apex.rrs.rdata != soa->rrs.rdata) {
			found = cur;
		}
	}
	if (found != NULL) {
		pthread_mutex_unlock(&ctx->lock);
		return found;
	}

	soa_snap_t *s = build(ctx, qdata, soa, cur);
	if (s == NULL) {
		pthread_mutex_unlock(&ctx->lock);
		return NULL;
	}

	// Publish; retire the snapshot before the previous one.
	rcu_assign_pointer(ctx->snap, s);
	if (ctx->prev != NULL) {
		call_rcu(&ctx->prev->rcu, snap_free_rcu);
	}
	ctx->prev = cur;

	pthread_mutex_unlock(&ctx->lock);
	return s;
}

const soa_snap_t *soa_snap_apex(soa_ctx_t *ctx, knotd_qdata_t *qdata)
{
	knot_rrset_t soa = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_SOA);
	if (knot_rrset_empty(&soa)) {
		return NULL;
	}
	return soa_snap_get(ctx, qdata, &soa);
}

void soa_snap_free(soa_ctx_t *ctx)
{
	free(ctx->snap);
	free(ctx->prev);
	ctx->snap = NULL;
	ctx->prev = NULL;
}
