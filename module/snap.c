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
 * snapshot (soa_snap_is()). Only when the zone changed does a worker take
 * the zone's lock and build the new version's snapshot in one pass: its
 * fields and negative TTL, lint, its published serial (state.h: the
 * publish rule runs once, in the store or from memory), its counting plan,
 * then logs and gauges, and publishes it with RCU.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soa/lint.h"
#include "soa/serial.h"
#include "soa/snap.h"
#include "soa/ttl.h"
#include "soa/wire.h"

/*! \brief Monotonic clock in milliseconds. */
static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*! \brief Lint checks that need the names and the apex NS set. */
static uint32_t lint_names(knotd_qdata_t *qdata, const knot_rdata_t *rd)
{
	// MNAME and RNAME must lie within the RDATA.
	const uint8_t *end = rd->data + rd->len - SOA_WIRE_SOA_TAIL;
	int mlen = knot_dname_wire_check(rd->data, end, NULL);
	if (mlen <= 0 || knot_dname_wire_check(rd->data + mlen, end, NULL) <= 0) {
		return 0;
	}

	uint32_t bits = 0;
	knot_rrset_t ns = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_NS);
	if (!soa_lint_mname_listed(rd->data, &ns.rrs)) {
		bits |= 1u << SOA_LINT_MNAME_NOT_NS;
	}
	if (soa_lint_rname_bad(rd->data + mlen)) {
		bits |= 1u << SOA_LINT_RNAME;
	}
	return bits;
}

/*! \brief Decides the published serial of the version (serial-format: date). */
static void publish(soa_zone_t *z, const soa_snap_t *old, soa_snap_t *s, bool is_signed,
                    int64_t now, uint32_t today, unsigned tid)
{
	soa_version_t v = { s->real, is_signed, today, z->opt.serial_floor };
	soa_record_t mem, rec;
	if (old != NULL) {
		soa_record_single(&mem, old->real, old->published, old->mode);
	}
	bool created = soa_state_publish(&z->state, &v, old != NULL ? &mem : NULL, now, tid, &rec);

	s->published = rec.published;
	s->mode = rec.mode;
	s->rewrite = !is_signed && rec.published != s->real;
	if (rec.mode == SOA_MODE_KEPT) {
		s->lint |= 1u << SOA_LINT_SERIAL_NOT_CONVERTIBLE;
	}

	if (created) {
		soa_count(&z->metrics, tid, SOA_CTR_SERIAL_UPDATE, 0);
		knotd_mod_log(z->mod, LOG_INFO, "serial %u published as %u", s->real, s->published);
	}
	if (is_signed && !z->signed_logged) {
		z->signed_logged = true;
		knotd_mod_log(z->mod, LOG_NOTICE, "zone is DNSSEC-signed, publishing its real "
		              "serial; use serial-policy: dateserial for zones knotd signs");
	}
}

/*! \brief Logs the lint findings of a new version and stores every gauge. */
static void report(soa_zone_t *z, const soa_snap_t *old, const soa_snap_t *s,
                   const soa_timers_t *t)
{
	if (old == NULL || old->real != s->real || old->lint != s->lint) {
		for (unsigned i = 0; i < SOA_LINT__COUNT; i++) {
			if (s->lint & (1u << i)) {
				char msg[256];
				soa_lint_message(i, t, msg, sizeof(msg));
				knotd_mod_log(z->mod, LOG_WARNING, "lint %s, %s", soa_lint_name(i), msg);
			}
		}
	}

	const soa_metrics_t *m = &z->metrics;
	soa_gauge(m, SOA_CTR_SOA, SOA_G_SERIAL, t->serial);
	soa_gauge(m, SOA_CTR_SOA, SOA_G_TTL, s->ttl);
	soa_gauge(m, SOA_CTR_SOA, SOA_G_REFRESH, t->refresh);
	soa_gauge(m, SOA_CTR_SOA, SOA_G_RETRY, t->retry);
	soa_gauge(m, SOA_CTR_SOA, SOA_G_EXPIRE, t->expire);
	soa_gauge(m, SOA_CTR_SOA, SOA_G_MINIMUM, t->minimum);
	soa_gauge(m, SOA_CTR_SOA, SOA_G_NEGATIVE_TTL, s->neg_ttl);
	soa_gauge(m, SOA_CTR_SOA, SOA_G_PUBLISHED_SERIAL, s->published);
	for (unsigned i = 0; i < SOA_LINT__COUNT; i++) {
		soa_gauge(m, SOA_CTR_LINT, i, (s->lint >> i) & 1);
	}
}

/*! \brief Builds the snapshot of a new zone version. */
static soa_snap_t *build(soa_zone_t *z, knotd_qdata_t *qdata, const knot_rrset_t *soa,
                         const soa_snap_t *old)
{
	const knot_rdata_t *rd = soa->rrs.rdata;
	soa_snap_t *s = calloc(1, sizeof(*s) + rd->len);
	if (s == NULL) {
		return NULL;
	}
	int64_t now = time(NULL);
	uint32_t today = soa_date_from_time(now);
	unsigned tid = qdata->params->thread_id;

	s->soa_id = rd;
	s->built_ms = now_ms();
	s->ttl = soa->ttl;
	s->rdlen = rd->len;
	memcpy(s->rdata, rd->data, rd->len);

	soa_timers_t t;
	soa_timers_read(rd->data, rd->len, &t);
	s->real = t.serial;
	s->published = t.serial;
	s->minimum = t.minimum;
	s->mode = SOA_MODE_KEPT;

	soa_neg_class_t neg;
	s->neg_ttl = soa_negative_ttl(soa->ttl, t.minimum, z->opt.neg_min, z->opt.neg_max, &neg);
	s->neg_cap = soa_negative_cap(soa->ttl, t.minimum);

	if (z->opt.lint) {
		s->lint = soa_lint_timers(&t, today) | lint_names(qdata, rd);
	}
	bool is_signed = false;
	if (z->opt.date) {
		knot_rrset_t sigs = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_RRSIG);
		is_signed = !knot_rrset_empty(&sigs);
		publish(z, old, s, is_signed, now, today, tid);
	}
	if (!z->opt.lint) {
		s->lint = 0;
	}

	soa_metrics_plan(&z->metrics, neg, s->rewrite ? SOA_SERIAL_REWRITTEN :
	                 is_signed ? SOA_SERIAL_SKIPPED : SOA_SERIAL_AS_IS, &s->plan);
	report(z, old, s, &t);
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

/*! \brief An existing snapshot describing soa, if any (the lock is held). */
static const soa_snap_t *find(soa_zone_t *z, knotd_qdata_t *qdata, const knot_rrset_t *soa)
{
	// Another worker may have built it meanwhile; a late reader may still
	// answer from the version before (knotd keeps at most two alive).
	if (soa_snap_is(z->snap, soa)) {
		return z->snap;
	} else if (soa_snap_is(z->prev, soa)) {
		return z->prev;
	} else if (same_content(z->snap, soa)) {
		// The same SOA at another address: a module-made copy, or a reload
		// with nothing changed. Re-point only for the zone's own RRSet.
		knot_rrset_t apex = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_SOA);
		if (apex.rrs.rdata != soa->rrs.rdata) {
			return z->snap;
		}
	}
	return NULL;
}

const soa_snap_t *soa_snap_observe(soa_zone_t *z, knotd_qdata_t *qdata,
                                   const knot_rrset_t *soa)
{
	if (soa->rrs.count < 1 || soa->rrs.rdata->len < SOA_WIRE_SOA_MIN) {
		return NULL;
	}

	pthread_mutex_lock(&z->lock);
	const soa_snap_t *found = find(z, qdata, soa);
	soa_snap_t *s = (found == NULL) ? build(z, qdata, soa, z->snap) : NULL;
	if (s != NULL) {
		// Publish; retire the snapshot before the previous one.
		soa_snap_t *cur = z->snap;
		rcu_assign_pointer(z->snap, s);
		if (z->prev != NULL) {
			call_rcu(&z->prev->rcu, snap_free_rcu);
		}
		z->prev = cur;
		found = s;
	}
	pthread_mutex_unlock(&z->lock);
	// The service thread sets change-detect-lag and sends the NOTIFY.
	if (s != NULL && z->watched) {
		soa_service_changed(&z->watch);
	}
	return found;
}

const soa_snap_t *soa_snap_apex(soa_zone_t *z, knotd_qdata_t *qdata)
{
	knot_rrset_t soa = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_SOA);
	if (knot_rrset_empty(&soa)) {
		return NULL;
	}
	return soa_snap_get(z, qdata, &soa);
}

void soa_snap_free(soa_zone_t *z)
{
	free(z->snap);
	free(z->prev);
	z->snap = NULL;
	z->prev = NULL;
}
