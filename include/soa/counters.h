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
 * \brief Per-thread cells for the counters bumped on every answer.
 *
 * A knotd_mod_stats_incr() call costs about 25 instructions; a negative
 * answer bumps up to three counters. Instead, each worker thread increments
 * plain 32-bit cells in its own pool (so no two threads share a cache line),
 * and the service thread folds dirty cells into knotd's counters every
 * SOA_HOT_FLUSH_MS milliseconds, extending them to 64 bits.
 *
 * The pools are one reserved, lazily backed region: thread t's pool starts at
 * t * stride and holds one 44-byte block per zone slot; a zone's blocks sit
 * at the same offset in every thread's pool.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <knot/module.h>

/*! \brief How often dirty cells reach knotd's counters. */
#define SOA_HOT_FLUSH_MS 100

/*! \brief Hot counters, one cell each. */
typedef enum {
	SOA_HOT_NEG_NXDOMAIN = 0, /*!< negative[nxdomain] */
	SOA_HOT_NEG_NODATA,       /*!< negative[nodata] */
	SOA_HOT_NEGTTL_CAPPED,    /*!< negative-ttl[capped] */
	SOA_HOT_NEGTTL_RAISED,    /*!< negative-ttl[raised] */
	SOA_HOT_SOA_ANSWER,       /*!< soa-answer */
	SOA_HOT_FLOOR_RAISED,     /*!< floor-raised */
	SOA_HOT_RW_ANSWER,        /*!< serial-rewrite[answer] */
	SOA_HOT_RW_AUTHORITY,     /*!< serial-rewrite[authority] */
	SOA_HOT_RW_SKIPPED,       /*!< serial-rewrite[skipped-signed] */
	SOA_HOT__COUNT,
	SOA_HOT_SINK = SOA_HOT__COUNT /*!< Never flushed: target of "count nothing",
	                                   so answers count without branches. */
} soa_hot_t;

/*! \brief One thread's cells of one zone. */
typedef struct {
	uint32_t cell[SOA_HOT__COUNT + 1]; /*!< Written by the owning thread only. */
	uint32_t dirty;                    /*!< Set by the owner, cleared by the flusher. */
} soa_hot_cells_t;

/*! \brief The pools: one reservation, thread t's pool at base + t * stride. */
typedef struct {
	uint8_t *base;     /*!< NULL: no pools, count through knotd. */
	size_t stride;     /*!< Bytes per thread. */
	unsigned threads;  /*!< Threads with a pool. */
} soa_hot_pool_t;

extern soa_hot_pool_t soa_hot_pool;

/*! \brief A zone's handle on its cells. */
typedef struct {
	knotd_mod_t *mod;   /*!< Module instance (knotd counters). */
	uint32_t slot;      /*!< Block index in every pool; UINT32_MAX: none. */
	size_t offset;      /*!< slot * sizeof(soa_hot_cells_t). */
} soa_hot_zone_t;

/*!
 * \brief The calling thread's cells of a zone.
 *
 * \return Cells, or NULL to count through knotd_mod_stats_incr() instead.
 */
static inline soa_hot_cells_t *soa_hot_cells(const soa_hot_zone_t *z, unsigned tid)
{
	if (__builtin_expect(tid < soa_hot_pool.threads && z->slot != UINT32_MAX, 1)) {
		return (soa_hot_cells_t *)(soa_hot_pool.base + tid * soa_hot_pool.stride + z->offset);
	}
	return NULL;
}

/*! \brief Counts an event in cells (single writer: no atomic read-modify-write). */
static inline void soa_hot_add(soa_hot_cells_t *c, soa_hot_t ctr)
{
	__atomic_store_n(&c->cell[ctr], c->cell[ctr] + 1, __ATOMIC_RELAXED);
}

/*! \brief Marks cells dirty after counting, publishing the counts. */
static inline void soa_hot_mark(soa_hot_cells_t *c)
{
	__atomic_store_n(&c->dirty, 1, __ATOMIC_RELEASE);
}

/*!
 * \brief Counts an event, through the cells if the thread has them.
 *
 * \param z    Zone handle.
 * \param c    Cells from soa_hot_cells() (may be NULL).
 * \param tid  Worker thread id.
 * \param ctr  Counter.
 */
void soa_hot_slow(const soa_hot_zone_t *z, unsigned tid, soa_hot_t ctr);

static inline void soa_hot_count(const soa_hot_zone_t *z, soa_hot_cells_t *c,
                                 unsigned tid, soa_hot_t ctr)
{
	if (__builtin_expect(c != NULL, 1)) {
		soa_hot_add(c, ctr);
	} else if (ctr != SOA_HOT_SINK) {
		soa_hot_slow(z, tid, ctr);
	}
}

/*!
 * \brief Prepares the pools for a number of worker threads (first load).
 *
 * \return KNOT_EOK; without pools (ENOMEM) counting falls back to knotd.
 */
int soa_hot_init(unsigned threads);

/*! \brief Gives a zone a slot and registers it with the flusher. */
void soa_hot_attach(soa_hot_zone_t *z, knotd_mod_t *mod);

/*! \brief Unregisters a zone (waits for a flush in progress) and frees its slot. */
void soa_hot_detach(soa_hot_zone_t *z);

/*!
 * \brief Folds dirty cells into knotd's counters (service thread).
 *
 * \param now  Monotonic ms, remembered for zones that had dirty cells.
 */
void soa_hot_flush(uint64_t now);

/*!
 * \brief When the zone's cells were last found dirty: answers carrying its
 *        SOA had then checked its version (service thread only).
 *
 * \return Monotonic ms, 0 if never or without cells.
 */
uint64_t soa_hot_last_dirty(const soa_hot_zone_t *z);

/*! \brief Releases the pools (last unload, service thread stopped). */
void soa_hot_deinit(void);
