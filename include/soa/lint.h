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
 * \brief SOA health checks against RFC 1912 §2.2 and RFC 2308 §5 ranges.
 *        Pure: works on SOA field values, names and the apex NS RDATA.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! \brief Lint findings, one bit each; also the lint[...] gauge indexes. */
typedef enum {
	SOA_LINT_REFRESH_RANGE = 0,      /*!< Refresh outside 1200-43200 s. */
	SOA_LINT_RETRY_RANGE,            /*!< Retry >= refresh. */
	SOA_LINT_EXPIRE_RANGE,           /*!< Expire < 7 days or <= refresh + retry. */
	SOA_LINT_MINIMUM_RANGE,          /*!< Minimum > 1 day. */
	SOA_LINT_SERIAL_NOT_DATE,        /*!< Serial is not a past or present YYYYMMDDNN. */
	SOA_LINT_MNAME_NOT_NS,           /*!< MNAME is not an apex NS name. */
	SOA_LINT_RNAME,                  /*!< RNAME has an '@' in its first label or is the root. */
	SOA_LINT_SERIAL_NOT_CONVERTIBLE, /*!< No date serial can follow the real serial. */
	SOA_LINT__COUNT
} soa_lint_t;

/*! \brief SOA values the range checks look at. */
typedef struct {
	uint32_t serial;
	uint32_t refresh;
	uint32_t retry;
	uint32_t expire;
	uint32_t minimum;
} soa_timers_t;

/*!
 * \brief Reads the fixed SOA fields from the end of an SOA RDATA.
 *
 * \param rdata  SOA RDATA of at least SOA_WIRE_SOA_TAIL bytes (wire.h).
 * \param len    Its length.
 * \param t      Output.
 */
void soa_timers_read(const uint8_t *rdata, size_t len, soa_timers_t *t);

/*!
 * \brief Runs the numeric checks (refresh, retry, expire, minimum, serial).
 *
 * \param t      SOA values.
 * \param today  Today's UTC date as YYYYMMDD.
 *
 * \return Bit set of soa_lint_t findings.
 */
uint32_t soa_lint_timers(const soa_timers_t *t, uint32_t today);

/*!
 * \brief Checks whether MNAME is one of the apex NS target names.
 *
 * \param mname  SOA MNAME (uncompressed wire form).
 * \param ns     Apex NS RDATA set (may be empty).
 *
 * \return True if listed (case-insensitive).
 */
bool soa_lint_mname_listed(const knot_dname_t *mname, const knot_rdataset_t *ns);

/*!
 * \brief Checks RNAME for an e-mail address typed verbatim or the root name.
 *
 * \param rname  SOA RNAME (uncompressed wire form).
 *
 * \return True if RNAME is the root or its first label holds an '@'.
 */
bool soa_lint_rname_bad(const knot_dname_t *rname);

/*!
 * \brief Name of a finding as shown in knotc zone-stats (lint[NAME]).
 *
 * \param lint  Finding.
 *
 * \return Static string, NULL if out of range.
 */
const char *soa_lint_name(soa_lint_t lint);

/*!
 * \brief Writes an operator-facing message for a finding.
 *
 * \param lint  Finding.
 * \param t     SOA values the message quotes.
 * \param buf   Output buffer.
 * \param len   Buffer size.
 */
void soa_lint_message(soa_lint_t lint, const soa_timers_t *t, char *buf, size_t len);
