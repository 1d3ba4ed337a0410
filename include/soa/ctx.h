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
 * \brief Per-zone module context and the RCU-protected zone snapshot.
 */

#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <urcu.h>
#include <knot/module.h>

#include "soa/counters.h"
#include "soa/lint.h"
#include "soa/remotes.h"
#include "soa/state.h"

/*! \brief Immutable view of one zone version, swapped with RCU. */
typedef struct {
	struct rcu_head rcu;        /*!< For call_rcu(). */
	const knot_rdata_t *soa_id; /*!< Zone SOA RDATA this describes (identity hint). */
	uint32_t real;              /*!< Real serial. */
	uint32_t ttl;               /*!< SOA RRSet TTL. */
	uint32_t published;         /*!< Serial the world sees. */
	uint32_t neg_ttl;           /*!< Effective negative TTL. */
	uint32_t minimum;           /*!< SOA MINIMUM (floor for minimum-as-floor). */
	uint32_t lint;              /*!< soa_lint_t bit set. */
	uint64_t built_ms;          /*!< When it was built (monotonic ms). */
	uint8_t neg_class;          /*!< soa_neg_class_t of neg_ttl. */
	uint8_t mode;               /*!< soa_mode_t (date mode), SOA_MODE_KEPT otherwise. */
	bool rewrite;               /*!< published != real: patch serials. */
	bool skipped_signed;        /*!< Date mode on a signed zone: rewrites skipped. */
	uint8_t neg_ttl_cell;       /*!< soa_hot_t a negative answer also counts in
	                                 (negative-ttl class, or the sink). */
	uint8_t neg_rw_cell;        /*!< Likewise: serial-rewrite[authority|skipped-signed]. */
	uint8_t soa_rw_cell;        /*!< Likewise for SOA answers: [answer|skipped-signed]. */
	uint16_t rdlen;             /*!< Length of rdata. */
	uint8_t rdata[];            /*!< Copy of the SOA RDATA. */
} soa_snap_t;

/*! \brief Per-zone module context. */
typedef struct soa_ctx {
	knotd_mod_t *mod;           /*!< Owning module instance. */
	knot_dname_t *zone;         /*!< Copy of the zone name (knotd frees its own early). */
	char *zone_str;             /*!< Printable zone name. */

	uint32_t neg_min;           /*!< negative-ttl-min */
	uint32_t neg_max;           /*!< negative-ttl-max */
	uint32_t serial_floor;      /*!< serial-floor */
	bool floor;                 /*!< minimum-as-floor */
	bool lint;                  /*!< lint */
	bool date;                  /*!< serial-format: date */
	bool notify;                /*!< notify-published (date mode only) */
	soa_remote_t *remotes;      /*!< The zone's notify remotes. */
	unsigned remote_count;

	soa_state_t *state;         /*!< Shared state environment (date mode); NULL
	                                 while it cannot be opened (read atomically). */
	char *state_path;           /*!< Its directory, to retry opening it. */

	soa_hot_zone_t hot;         /*!< Per-thread counter cells. */

	soa_snap_t *snap;           /*!< Current snapshot (RCU). */
	soa_snap_t *prev;           /*!< Snapshot it replaced: readers still answering
	                                 from the previous zone version match it. */
	pthread_mutex_t lock;       /*!< Serializes snapshot replacement. */
	bool lock_init;             /*!< The mutex was initialized. */
	bool signed_logged;         /*!< Signed-zone notice given. */
	bool service;               /*!< Holds a reference on the service thread. */
	bool registered;            /*!< Registered with the service thread. */
} soa_ctx_t;

/*!
 * \brief Slow path of soa_snap_get(): builds the snapshot of a new zone
 *        version, allocating its published serial, or finds the snapshot of
 *        the version a late reader still answers from.
 */
const soa_snap_t *soa_snap_observe(soa_ctx_t *ctx, knotd_qdata_t *qdata,
                                   const knot_rrset_t *soa);

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
 * \brief Returns the snapshot describing the given zone SOA RRSet, building
 *        (and allocating a published serial for) a new one if it changed.
 *
 * Called from hooks under knotd's RCU read lock; never blocks on RCU.
 *
 * \param ctx    Context.
 * \param qdata  Query data (for apex lookups and counters).
 * \param soa    SOA RRSet of the zone version being answered from.
 *
 * \return Snapshot, NULL if none could be built (leave the answer alone).
 */
static inline const soa_snap_t *soa_snap_get(soa_ctx_t *ctx, knotd_qdata_t *qdata,
                                             const knot_rrset_t *soa)
{
	const soa_snap_t *s = rcu_dereference(ctx->snap);
	if (__builtin_expect(soa_snap_is(s, soa), 1)) {
		return s;
	}
	return soa_snap_observe(ctx, qdata, soa);
}

/*!
 * \brief Builds the snapshot for the apex SOA of the version qdata answers from.
 *
 * \return Snapshot or NULL.
 */
const soa_snap_t *soa_snap_apex(soa_ctx_t *ctx, knotd_qdata_t *qdata);

/*! \brief The state environment, NULL while unavailable. */
static inline soa_state_t *soa_ctx_state(soa_ctx_t *ctx)
{
	return __atomic_load_n(&ctx->state, __ATOMIC_ACQUIRE);
}

/*!
 * \brief Opens the state environment if it is not open yet (under ctx->lock
 *        or in load()).
 *
 * \return 0 or a state error code.
 */
int soa_ctx_open_state(soa_ctx_t *ctx);

/*! \brief Frees the snapshot at unload (after rcu_barrier). */
void soa_snap_free(soa_ctx_t *ctx);

/*! \brief In-hook for negative and SOA answers. */
knotd_in_state_t soa_query_hook(knotd_in_state_t state, knot_pkt_t *pkt,
                                knotd_qdata_t *qdata, knotd_mod_t *mod);

/*! \brief In-hook variant that also applies minimum-as-floor. */
knotd_in_state_t soa_query_floor_hook(knotd_in_state_t state, knot_pkt_t *pkt,
                                      knotd_qdata_t *qdata, knotd_mod_t *mod);

/*! \brief BEGIN hook: transfers only. */
knotd_state_t soa_xfr_begin(knotd_state_t state, knot_pkt_t *pkt,
                            knotd_qdata_t *qdata, knotd_mod_t *mod);

/*! \brief END hook: transfers only. */
knotd_state_t soa_xfr_end(knotd_state_t state, knot_pkt_t *pkt,
                          knotd_qdata_t *qdata, knotd_mod_t *mod);

/*! \brief Allocates the per-thread transfer slots (process-wide). */
int soa_xfr_init(unsigned threads);

/*! \brief Releases a reference on the transfer slots. */
void soa_xfr_deinit(void);
