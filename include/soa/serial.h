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
 * \brief Serial number arithmetic (RFC 1982) and the date-serial
 *        allocation rule. Pure: the current time is always an argument.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

/*! \brief Result of comparing serial a with serial b (RFC 1982 §3.2). */
typedef enum {
	SOA_SERIAL_EQUAL = 0,    /*!< a == b. */
	SOA_SERIAL_LOWER,        /*!< a < b. */
	SOA_SERIAL_GREATER,      /*!< a > b. */
	SOA_SERIAL_INCOMPARABLE, /*!< a and b are 2^31 apart: undefined. */
} soa_serial_cmp_t;

/*!
 * \brief Compares two serials in sequence space arithmetic.
 *
 * \param a  Left operand.
 * \param b  Right operand.
 *
 * \return Relation of a to b.
 */
soa_serial_cmp_t soa_serial_cmp(uint32_t a, uint32_t b);

/*! \brief True if a is greater than b (RFC 1982 §3.2). */
static inline bool soa_serial_gt(uint32_t a, uint32_t b)
{
	return soa_serial_cmp(a, b) == SOA_SERIAL_GREATER;
}

/*!
 * \brief Converts a UNIX time to the UTC calendar date as YYYYMMDD.
 *
 * \param unix_time  Seconds since the epoch (may be negative).
 *
 * \return Date as a decimal YYYYMMDD number, 0 if out of range.
 */
uint32_t soa_date_from_time(int64_t unix_time);

/*!
 * \brief Checks that YYYYMMDD is a real Gregorian calendar date.
 *
 * Years before 1970 are rejected: a serial that reads as such a date was
 * not meant as one.
 *
 * \param yyyymmdd  Candidate date.
 *
 * \return True if valid.
 */
bool soa_date_valid(uint32_t yyyymmdd);

/*!
 * \brief Checks that a serial is YYYYMMDDNN with a real calendar date.
 *
 * \param serial  Serial to check.
 *
 * \return True if the first eight digits form a valid date.
 */
static inline bool soa_serial_is_date(uint32_t serial)
{
	return soa_date_valid(serial / 100);
}

/*! \brief Inputs of one published-serial allocation. */
typedef struct {
	bool have_prev;     /*!< A published serial is on record. */
	bool prev_is_date;  /*!< The record was allocated as a date serial. */
	uint32_t prev_pub;  /*!< Last published serial (if have_prev). */
	uint32_t real;      /*!< The zone's new real serial. */
	uint32_t today;     /*!< Today's UTC date as YYYYMMDD. */
	uint32_t floor;     /*!< Configured serial-floor. */
} soa_alloc_in_t;

/*! \brief How an allocated serial relates to the real one. */
typedef enum {
	SOA_ALLOC_AS_IS = 0, /*!< The real serial is a date serial and is published unchanged. */
	SOA_ALLOC_DATE,      /*!< A date serial was computed. */
	SOA_ALLOC_KEPT,      /*!< No date serial is possible: the real serial (or, if that
	                          would go backwards, last+1) is published. */
} soa_alloc_kind_t;

/*!
 * \brief Allocates the published serial for a new real serial.
 *
 * Rules, in order:
 *  1. A real serial that is a valid date serial, at least the floor and
 *     greater (RFC 1982) than the last published one is published as is.
 *  2. Otherwise the smallest value >= max(today*100, floor) that is greater
 *     than the last published one (after NN=99 it runs on into the next
 *     numbers, like Knot's serial-policy dateserial).
 *  3. On first sight (or while not convertible) the result must also be
 *     greater than the real serial, which secondaries may hold, and must be
 *     a date serial or exactly the base; if not, the zone is not convertible
 *     and keeps its real serial, never going backwards.
 *
 * \param in   Allocation inputs.
 * \param out  Allocated published serial.
 *
 * \return Kind of the allocation.
 */
soa_alloc_kind_t soa_serial_alloc(const soa_alloc_in_t *in, uint32_t *out);
