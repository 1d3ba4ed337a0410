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
 * \brief The names a zone recently answered NXDOMAIN for.
 */

#include <string.h>

#include "soa/nxtable.h"

static uint32_t name_hash(const knot_dname_t *name, size_t len)
{
	// Eight bytes a step (a name is at most 255 bytes); 0 is kept for "empty".
	uint64_t h = len * 0x9E3779B97F4A7C15ull;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, name + i, 8);
		h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
		h ^= h >> 31;
	}
	uint64_t tail = 0;
	memcpy(&tail, name + i, len - i);
	h = (h ^ tail) * 0x94D049BB133111EBull;
	uint32_t out = (uint32_t)(h ^ (h >> 32));
	return out != 0 ? out : 1;
}

/*! \brief Takes a slot for writing (its sequence number made odd); false if
 *         another writer has it. */
static bool slot_take(soa_nx_slot_t *s, uint32_t *seq)
{
	*seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	return !(*seq & 1) && __atomic_compare_exchange_n(&s->seq, seq, *seq + 1, false,
	                                                   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void soa_nxtable_record(soa_nxtable_t *t, const knot_dname_t *name, size_t len, uint32_t now,
                        uint32_t ttl)
{
	uint32_t hash = name_hash(name, len);
	soa_nx_slot_t *s = &t->slot[hash & (SOA_NXTABLE_SLOTS - 1)];

	// Take the slot, or leave it to the writer that has it.
	uint32_t seq;
	if (!slot_take(s, &seq)) {
		return;
	}
	s->hash = hash;
	s->nx.at = now;
	s->nx.ttl = ttl;
	memcpy(s->nx.name, name, len);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

/*! \brief A consistent copy of a slot; false if it is empty or being written. */
static bool read_slot(soa_nx_slot_t *s, soa_nx_t *out, uint32_t *hash)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	if ((seq & 1) || s->hash == 0) {
		return false;
	}
	*hash = s->hash;
	out->at = s->nx.at;
	out->ttl = s->nx.ttl;
	memcpy(out->name, s->nx.name, KNOT_DNAME_MAXLEN);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	// Rewritten meanwhile, or torn: not this time.
	int len = knot_dname_wire_check(out->name, out->name + KNOT_DNAME_MAXLEN, NULL);
	return __atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq && len > 0 &&
	       name_hash(out->name, len) == *hash;
}

size_t soa_nxtable_live(soa_nxtable_t *t, uint32_t now, soa_nx_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < SOA_NXTABLE_SLOTS; i++) {
		uint32_t hash;
		if (read_slot(&t->slot[i], &out[n], &hash) &&
		    (uint64_t)out[n].at + out[n].ttl > now) {
			n++;
		}
	}
	return n;
}

void soa_nxtable_forget(soa_nxtable_t *t, const knot_dname_t *name)
{
	size_t len = knot_dname_size(name);
	uint32_t hash = name_hash(name, len);
	soa_nx_slot_t *s = &t->slot[hash & (SOA_NXTABLE_SLOTS - 1)];
	uint32_t seq;
	if (!slot_take(s, &seq)) {
		return;
	}
	if (s->hash == hash && memcmp(s->nx.name, name, len) == 0) {
		s->hash = 0;
	}
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}
