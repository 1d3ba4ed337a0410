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
 * \brief Negative-caching TTL policy.
 */

#include "soa/ttl.h"

uint32_t soa_negative_ttl(uint32_t soa_ttl, uint32_t minimum, uint32_t lo,
                          uint32_t hi, soa_neg_class_t *cls)
{
	// RFC 2308 §3: the lesser of the SOA TTL and MINIMUM.
	uint32_t ttl = soa_ttl < minimum ? soa_ttl : minimum;

	// Operator bounds, like a resolver's max-ncache-ttl (RFC 2308 §5).
	if (ttl > hi) {
		*cls = SOA_NEG_CAPPED;
		return hi;
	} else if (ttl < lo) {
		*cls = SOA_NEG_RAISED;
		return lo;
	}
	*cls = SOA_NEG_AS_IS;
	return ttl;
}
