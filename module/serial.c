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
 * \brief Serial arithmetic and the published-serial allocation rule.
 */

#include "soa/serial.h"

#define HALF 0x80000000u

soa_serial_cmp_t soa_serial_cmp(uint32_t a, uint32_t b)
{
	// RFC 1982 §3.2: the difference decides, 2^31 apart is undefined.
	uint32_t diff = a - b;
	if (diff == 0) {
		return SOA_SERIAL_EQUAL;
	} else if (diff == HALF) {
		return SOA_SERIAL_INCOMPARABLE;
	} else if (diff < HALF) {
		return SOA_SERIAL_GREATER;
	} else {
		return SOA_SERIAL_LOWER;
	}
}

uint32_t soa_date_from_time(int64_t unix_time)
{
	// Days since the epoch, rounded towards minus infinity.
	int64_t days = unix_time / 86400;
	if (unix_time % 86400 < 0) {
		days--;
	}

	// Civil date from a day count (proleptic Gregorian, era of 400 years).
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2) {
		y++;
	}

	// YYYYMMDD must fit a serial's first eight digits (RFC 1912 §2.2).
	if (y < 1970 || y > 4294) {
		return 0;
	}
	return (uint32_t)(y * 10000 + m * 100 + d);
}

static bool leap_year(uint32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool soa_date_valid(uint32_t yyyymmdd)
{
	static const uint8_t mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	uint32_t y = yyyymmdd / 10000;
	uint32_t m = yyyymmdd / 100 % 100;
	uint32_t d = yyyymmdd % 100;
	if (y < 1970 || m < 1 || m > 12 || d < 1) {
		return false;
	}
	uint32_t max = mdays[m - 1] + (m == 2 && leap_year(y) ? 1 : 0);
	return d <= max;
}

/*!
 * \brief Smallest value numerically >= base that is greater than prev.
 *
 * The values greater than prev (RFC 1982) are prev+1 .. prev+2^31-1 modulo
 * 2^32, one or two numeric runs.
 *
 * \return True and *out if such a value exists.
 */
static bool smallest_above(uint32_t base, uint32_t prev, uint32_t *out)
{
	// The base itself is in the window.
	if (soa_serial_gt(base, prev)) {
		*out = base;
		return true;
	}

	// Otherwise the window lies numerically above the base only from prev+1
	// on, and only while prev+1 does not wrap to zero.
	if (prev != UINT32_MAX && prev + 1 >= base) {
		*out = prev + 1;
		return true;
	}
	return false;
}

soa_alloc_kind_t soa_serial_alloc(const soa_alloc_in_t *in, uint32_t *out)
{
	uint32_t real = in->real;

	// Rule 1: a date serial that moves forward is published as it is.
	if (soa_serial_is_date(real) && real >= in->floor &&
	    (!in->have_prev || soa_serial_gt(real, in->prev_pub))) {
		*out = real;
		return SOA_ALLOC_AS_IS;
	}

	uint64_t today_base = (uint64_t)in->today * 100;
	uint32_t base = today_base > UINT32_MAX ? UINT32_MAX : (uint32_t)today_base;
	if (in->floor > base) {
		base = in->floor;
	}

	// Rule 2: continue a date sequence, spilling past NN=99 if needed.
	if (in->have_prev && in->prev_is_date) {
		if (!smallest_above(base, in->prev_pub, out)) {
			*out = in->prev_pub + 1;
		}
		return SOA_ALLOC_DATE;
	}

	// Rule 3: enter the date sequence above everything secondaries may hold.
	uint32_t cand;
	bool found = smallest_above(base, real, &cand);
	if (found && in->have_prev && !soa_serial_gt(cand, in->prev_pub)) {
		found = smallest_above(base, in->prev_pub, &cand) &&
		        soa_serial_gt(cand, real);
	}
	if (found && (cand == base || soa_serial_is_date(cand))) {
		*out = cand;
		return SOA_ALLOC_DATE;
	}

	// Not convertible: keep the real serial unless it would go backwards.
	if (in->have_prev && !soa_serial_gt(real, in->prev_pub)) {
		*out = in->prev_pub + 1;
	} else {
		*out = real;
	}
	return SOA_ALLOC_KEPT;
}
