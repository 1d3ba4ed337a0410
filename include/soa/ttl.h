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
 * \brief Negative-caching TTL policy (RFC 2308 §3 and §5, RFC 9077) and the
 *        RFC 1035 §3.3.13 reading of MINIMUM as a floor. Pure.
 */

#pragma once

#include <stdint.h>

/*! \brief How the operator policy changed the RFC 2308 negative TTL (the
 *         classes but the first are the indexes of negative-ttl[...] + 1). */
typedef enum {
	SOA_NEG_AS_IS = 0, /*!< min(SOA TTL, MINIMUM) was within bounds. */
	SOA_NEG_CAPPED,    /*!< Lowered to negative-ttl-max. */
	SOA_NEG_RAISED,    /*!< Raised to negative-ttl-min. */
	SOA_NEG_CLASS__COUNT
} soa_neg_class_t;

/*! \brief Classes that count: negative-ttl[...] has one index each. */
#define SOA_NEG_CLASSES (SOA_NEG_CLASS__COUNT - 1)

/*!
 * \brief Computes the TTL of every record in a negative answer's authority
 *        section: clamp(min(SOA TTL, MINIMUM), lo, hi).
 *
 * \param soa_ttl  TTL of the SOA RRSet.
 * \param minimum  SOA MINIMUM field.
 * \param lo       negative-ttl-min (lo <= hi, enforced by the config check).
 * \param hi       negative-ttl-max.
 * \param cls      Output: whether and how the bounds changed the value.
 *
 * \return Effective negative TTL.
 */
uint32_t soa_negative_ttl(uint32_t soa_ttl, uint32_t minimum, uint32_t lo,
                          uint32_t hi, soa_neg_class_t *cls);

/*!
 * \brief Applies MINIMUM as a floor (RFC 1035 §3.3.13).
 *
 * \param ttl      Record TTL.
 * \param minimum  SOA MINIMUM.
 *
 * \return max(ttl, minimum).
 */
static inline uint32_t soa_floor_ttl(uint32_t ttl, uint32_t minimum)
{
	return ttl < minimum ? minimum : ttl;
}
