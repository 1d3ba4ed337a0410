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
 * \brief The publish rule.
 */

#include <string.h>

#include "soa/publish.h"
#include "soa/serial.h"

/*! \brief Date rule input for a record, or for the lost-state bound without one. */
static soa_alloc_kind_t alloc_date(const soa_record_t *known, uint32_t lost,
                                   const soa_version_t *v, uint32_t *pub)
{
	soa_alloc_in_t in = { .real = v->real, .today = v->today, .floor = v->floor };
	if (known != NULL) {
		in.have_prev = true;
		in.prev_is_date = (known->mode == SOA_MODE_DATE);
		in.prev_pub = known->published;
	} else if (lost != 0) {
		// Whatever was published before the loss was a date serial at most lost.
		in.have_prev = true;
		in.prev_is_date = true;
		in.prev_pub = lost;
	}
	return soa_serial_alloc(&in, pub);
}

bool soa_publish(const soa_record_t *known, uint32_t lost, const soa_version_t *v,
                 soa_record_t *next)
{
	uint32_t real = v->real;
	uint32_t pub = real;
	soa_mode_t mode = SOA_MODE_SIGNED;

	// A known version keeps its serial unless it is now convertible or below the floor.
	bool same = known != NULL && known->real == real &&
	            (known->mode == SOA_MODE_SIGNED) == v->is_signed;
	if (same && (known->mode == SOA_MODE_SIGNED ||
	             (known->mode == SOA_MODE_DATE && known->published >= v->floor))) {
		*next = *known;
		return false;
	}

	if (!v->is_signed) {
		soa_alloc_kind_t kind = alloc_date(known, lost, v, &pub);
		mode = (kind == SOA_ALLOC_KEPT) ? SOA_MODE_KEPT : SOA_MODE_DATE;
		if (same && mode == SOA_MODE_KEPT) {
			*next = *known;
			return false;
		}
	}

	memset(next, 0, sizeof(*next));
	next->real = real;
	next->published = pub;
	next->mode = mode;

	// Extend the history only along one increasing chain of one mode.
	bool chain = known != NULL && known->mode == mode && mode != SOA_MODE_SIGNED &&
	             known->hist_count > 0 && soa_serial_gt(real, known->real) &&
	             soa_serial_gt(pub, known->published);
	if (chain) {
		unsigned keep = known->hist_count;
		unsigned skip = (keep == SOA_RECORD_HISTORY) ? 1 : 0;
		memcpy(next->hist, known->hist + skip, (keep - skip) * sizeof(soa_pair_t));
		next->hist_count = keep - skip;
	}
	next->hist[next->hist_count].real = real;
	next->hist[next->hist_count].published = pub;
	next->hist_count++;

	return true;
}

const soa_record_t *soa_publish_base(const soa_record_t *stored, const soa_record_t *mem)
{
	if (mem == NULL || (stored != NULL && !soa_serial_gt(mem->published, stored->published))) {
		return stored;
	}
	return mem;
}
