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
 * \brief Zone snapshots: what the module knows of one zone version, built
 *        once per version (its published serial decided, lint run, gauges
 *        set), read lock-free by every answer.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <urcu.h>
#include <knot/module.h>

#include "soa/metrics.h"
#include "soa/zone.h"

/*! \brief Immutable view of one zone version, swapped with RCU. */
typedef struct soa_snap {
	struct rcu_head rcu;        /*!< For call_rcu(). */
	const knot_rdata_t *soa_id; /*!< Zone SOA RDATA this describes (identity hint). */
	uint32_t real;              /*!< Real serial. */
	uint32_t ttl;               /*!< SOA RRSet TTL. */
	uint32_t published;         /*!< Serial the world sees. */
	uint32_t neg_ttl;           /*!< Effective negative TTL. */
	uint32_t neg_cap;           /*!< What a negative-ttl-rule caps (ttl.h). */
	uint32_t minimum;           /*!< SOA MINIMUM (floor for minimum-as-floor). */
	uint32_t lint;              /*!< soa_lint_t bit set. */
	uint64_t built_ms;          /*!< When it was built (monotonic ms). */
	uint8_t mode;               /*!< soa_mode_t (date serials), SOA_MODE_KEPT otherwise. */
	bool rewrite;               /*!< published != real: answers get the published serial. */
	soa_count_plan_t plan;      /*!< What its answers count (metrics.h). */
	uint16_t rdlen;             /*!< Length of rdata. */
	uint8_t rdata[];            /*!< Copy of the SOA RDATA. */
} soa_snap_t;

/*!
 * \brief Checks that a snapshot describes a zone SOA RRSet.
 *
 * Identity is the RDATA pointer into the zone contents (live while the
 * caller holds the RCU read lock, so it cannot be reused meanwhile) plus the
 * serial and TTL. The serial is read at the fixed offset from the end, so no
 * name is parsed.
 */
static inline bool soa_snap_is(const soa_snap_t *s, const knot_rrset_t *soa)
{
	const knot_rdata_t *rd = soa->rrs.rdata;
	return s != NULL && s->soa_id == rd && s->ttl == soa->ttl &&
	       s->real == knot_wire_read_u32(rd->data + rd->len - 20);
}

/*!
 * \brief Slow path of soa_snap_get(): builds the snapshot of a new zone
 *        version, or finds the one a late reader still answers from.
 */
const soa_snap_t *soa_snap_observe(soa_zone_t *z, knotd_qdata_t *qdata,
                                   const knot_rrset_t *soa);

/*!
 * \brief Returns the snapshot describing the given zone SOA RRSet, building
 *        (and publishing a serial for) a new one if the zone changed.
 *
 * Called from hooks under knotd's RCU read lock; never blocks on RCU.
 *
 * \return Snapshot, NULL if none could be built (leave the answer alone).
 */
static inline const soa_snap_t *soa_snap_get(soa_zone_t *z, knotd_qdata_t *qdata,
                                             const knot_rrset_t *soa)
{
	const soa_snap_t *s = rcu_dereference(z->snap);
	if (__builtin_expect(soa_snap_is(s, soa), 1)) {
		return s;
	}
	return soa_snap_observe(z, qdata, soa);
}

/*! \brief The snapshot of the apex SOA of the version qdata answers from. */
const soa_snap_t *soa_snap_apex(soa_zone_t *z, knotd_qdata_t *qdata);

/*! \brief Frees a zone's snapshots (unload, no reader left). */
void soa_snap_free(soa_zone_t *z);
