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
 * \brief Per-thread counter cells and their flush into knotd's counters.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "soa/counters.h"
#include "soa/metrics.h"

/*! \brief Most zones with cells; further zones count through knotd directly. */
#define CAPACITY_MAX (1u << 18)
/*! \brief Fewest zones worth reserving pools for. */
#define CAPACITY_MIN (1u << 10)

soa_hot_pool_t soa_hot_pool = { 0 };

static uint32_t capacity;
static size_t reserved;

/*! \brief knotd counter (id, index) of each hot counter. */
static const struct {
	uint8_t ctr;
	uint8_t idx;
} hot_map[SOA_HOT__COUNT] = {
	[SOA_HOT_NEG_NXDOMAIN]  = { SOA_CTR_NEGATIVE, SOA_NEG_NXDOMAIN },
	[SOA_HOT_NEG_NODATA]    = { SOA_CTR_NEGATIVE, SOA_NEG_NODATA },
	[SOA_HOT_NEGTTL_CAPPED] = { SOA_CTR_NEGATIVE_TTL, SOA_NEGTTL_CAPPED },
	[SOA_HOT_NEGTTL_RAISED] = { SOA_CTR_NEGATIVE_TTL, SOA_NEGTTL_RAISED },
	[SOA_HOT_SOA_ANSWER]    = { SOA_CTR_SOA_ANSWER, 0 },
	[SOA_HOT_FLOOR_RAISED]  = { SOA_CTR_FLOOR_RAISED, 0 },
	[SOA_HOT_RW_ANSWER]     = { SOA_CTR_SERIAL_REWRITE, SOA_RW_ANSWER },
	[SOA_HOT_RW_AUTHORITY]  = { SOA_CTR_SERIAL_REWRITE, SOA_RW_AUTHORITY },
	[SOA_HOT_RW_SKIPPED]    = { SOA_CTR_SERIAL_REWRITE, SOA_RW_SKIPPED_SIGNED },
};

/*! \brief Flusher's view of a slot: 32-bit sums seen and 64-bit totals. */
typedef struct {
	knotd_mod_t *mod;
	uint64_t dirty_ms;
	uint32_t prev[SOA_HOT__COUNT];
	uint64_t total[SOA_HOT__COUNT];
} slot_rec_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot_rec_t *recs;        /*!< [capacity], lazily backed. */
static uint32_t *active;        /*!< Used slots, unordered. */
static uint32_t active_count;
static uint32_t *free_slots;    /*!< Released slots. */
static uint32_t free_count;
static uint32_t next_slot;

static void *reserve(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void release(void *p, size_t size)
{
	if (p != NULL) {
		munmap(p, size);
	}
}

/*! \brief Releases the cells (base, base_size) and the per-slot arrays of cap slots. */
static void release_pools(void *base, size_t base_size, uint32_t cap)
{
	release(base, base_size);
	release(recs, cap * sizeof(slot_rec_t));
	release(active, cap * sizeof(uint32_t));
	release(free_slots, cap * sizeof(uint32_t));
	recs = NULL;
	active = free_slots = NULL;
}

void soa_hot_deinit(void)
{
	pthread_mutex_lock(&lock);
	release_pools(soa_hot_pool.base, reserved, capacity);
	memset(&soa_hot_pool, 0, sizeof(soa_hot_pool));
	capacity = active_count = free_count = next_slot = 0;
	reserved = 0;
	pthread_mutex_unlock(&lock);
}

int soa_hot_init(unsigned threads)
{
	pthread_mutex_lock(&lock);
	if (soa_hot_pool.base != NULL) {
		// Worker counts only change with a restart: keep the first size.
		pthread_mutex_unlock(&lock);
		return KNOT_EOK;
	}

	// Reserve address space only; where even that is refused (strict
	// overcommit), try fewer zones, and below that use knotd's counters.
	for (uint32_t cap = CAPACITY_MAX; cap >= CAPACITY_MIN; cap /= 2) {
		size_t stride = (size_t)cap * sizeof(soa_hot_cells_t);
		uint8_t *base = reserve(stride * threads);
		recs = reserve(cap * sizeof(slot_rec_t));
		active = reserve(cap * sizeof(uint32_t));
		free_slots = reserve(cap * sizeof(uint32_t));
		if (base != NULL && recs != NULL && active != NULL && free_slots != NULL) {
			capacity = cap;
			reserved = stride * threads;
			soa_hot_pool.base = base;
			soa_hot_pool.stride = stride;
			__atomic_store_n(&soa_hot_pool.threads, threads, __ATOMIC_RELEASE);
			pthread_mutex_unlock(&lock);
			return KNOT_EOK;
		}
		release_pools(base, stride * threads, cap);
	}
	pthread_mutex_unlock(&lock);
	return KNOT_ENOMEM;
}

static soa_hot_cells_t *cells_at(unsigned t, uint32_t slot)
{
	return (soa_hot_cells_t *)(soa_hot_pool.base + t * soa_hot_pool.stride +
	                           slot * sizeof(soa_hot_cells_t));
}

void soa_hot_attach(soa_hot_zone_t *z, knotd_mod_t *mod)
{
	z->mod = mod;
	z->slot = UINT32_MAX;
	z->offset = 0;

	pthread_mutex_lock(&lock);
	if (soa_hot_pool.base != NULL) {
		uint32_t slot = UINT32_MAX;
		if (free_count > 0) {
			slot = free_slots[--free_count];
		} else if (next_slot < capacity) {
			slot = next_slot++;
		}
		if (slot != UINT32_MAX) {
			// Cells of a reused slot were zeroed when it was released.
			memset(&recs[slot], 0, sizeof(recs[slot]));
			recs[slot].mod = mod;
			active[active_count++] = slot;
			z->slot = slot;
			z->offset = slot * sizeof(soa_hot_cells_t);
		}
	}
	pthread_mutex_unlock(&lock);
}

void soa_hot_detach(soa_hot_zone_t *z)
{
	if (z->slot == UINT32_MAX) {
		return;
	}

	pthread_mutex_lock(&lock);
	for (uint32_t i = 0; i < active_count; i++) {
		if (active[i] == z->slot) {
			active[i] = active[--active_count];
			break;
		}
	}
	// knotd runs no hook of this instance any more: the cells are ours.
	for (unsigned t = 0; t < soa_hot_pool.threads; t++) {
		memset(cells_at(t, z->slot), 0, sizeof(soa_hot_cells_t));
	}
	recs[z->slot].mod = NULL;
	free_slots[free_count++] = z->slot;
	pthread_mutex_unlock(&lock);
	z->slot = UINT32_MAX;
}

void soa_hot_slow(const soa_hot_zone_t *z, unsigned tid, soa_hot_t ctr)
{
	knotd_mod_stats_incr(z->mod, tid, hot_map[ctr].ctr, hot_map[ctr].idx, 1);
}

/*! \brief Folds one slot; the caller holds the lock. */
static void flush_slot(uint32_t slot, uint64_t now)
{
	// Claim the dirty marks first: the exchange reads the owner's release
	// store, so its counts are visible below; later counts mark again.
	bool dirty = false;
	for (unsigned t = 0; t < soa_hot_pool.threads; t++) {
		soa_hot_cells_t *c = cells_at(t, slot);
		if (__atomic_load_n(&c->dirty, __ATOMIC_RELAXED) != 0 &&
		    __atomic_exchange_n(&c->dirty, 0, __ATOMIC_ACQUIRE) != 0) {
			dirty = true;
		}
	}
	if (!dirty) {
		return;
	}

	slot_rec_t *rec = &recs[slot];
	rec->dirty_ms = now;
	for (unsigned i = 0; i < SOA_HOT__COUNT; i++) {
		uint32_t sum = 0;
		for (unsigned t = 0; t < soa_hot_pool.threads; t++) {
			sum += __atomic_load_n(&cells_at(t, slot)->cell[i], __ATOMIC_RELAXED);
		}
		// Cells wrap at 2^32; a flush period is far too short to lose a lap.
		uint32_t delta = sum - rec->prev[i];
		if (delta != 0) {
			rec->prev[i] = sum;
			rec->total[i] += delta;
			// Thread slot 0 holds the total, knotd sums the slots.
			knotd_mod_stats_store(rec->mod, 0, hot_map[i].ctr, hot_map[i].idx,
			                      rec->total[i]);
		}
	}
}

void soa_hot_flush(uint64_t now)
{
	pthread_mutex_lock(&lock);
	for (uint32_t i = 0; i < active_count; i++) {
		flush_slot(active[i], now);
	}
	pthread_mutex_unlock(&lock);
}

uint64_t soa_hot_last_dirty(const soa_hot_zone_t *z)
{
	// Written by soa_hot_flush() in the same thread; the slot outlives the
	// zone's registration with the service thread.
	return (z->slot != UINT32_MAX && recs != NULL) ? recs[z->slot].dirty_ms : 0;
}
