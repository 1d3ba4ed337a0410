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
 * \brief SOA health checks.
 */

#include <stdio.h>
#include <string.h>

#include "soa/lint.h"
#include "soa/serial.h"
#include "soa/wire.h"

#define REFRESH_LO 1200    // RFC 1912 §2.2: 20 minutes.
#define REFRESH_HI 43200   // RFC 1912 §2.2 recommends up to 12 hours for slow links.
#define EXPIRE_LO  604800  // One week; RFC 1912 §2.2 suggests 2-4 weeks.
#define MINIMUM_HI 86400   // RFC 2308 §5: more than a day is problematic.

void soa_timers_read(const uint8_t *rdata, size_t len, soa_timers_t *t)
{
	const uint8_t *tail = rdata + len - SOA_WIRE_SOA_TAIL;
	t->serial = knot_wire_read_u32(tail);
	t->refresh = knot_wire_read_u32(tail + 4);
	t->retry = knot_wire_read_u32(tail + 8);
	t->expire = knot_wire_read_u32(tail + 12);
	t->minimum = knot_wire_read_u32(tail + 16);
}

uint32_t soa_lint_timers(const soa_timers_t *t, uint32_t today)
{
	uint32_t bits = 0;

	if (t->refresh < REFRESH_LO || t->refresh > REFRESH_HI) {
		bits |= 1u << SOA_LINT_REFRESH_RANGE;
	}
	if (t->retry >= t->refresh) {
		bits |= 1u << SOA_LINT_RETRY_RANGE;
	}
	// Widen before adding: refresh + retry may exceed 32 bits.
	if (t->expire < EXPIRE_LO ||
	    (uint64_t)t->expire <= (uint64_t)t->refresh + t->retry) {
		bits |= 1u << SOA_LINT_EXPIRE_RANGE;
	}
	if (t->minimum > MINIMUM_HI) {
		bits |= 1u << SOA_LINT_MINIMUM_RANGE;
	}
	if (!soa_serial_is_date(t->serial) || t->serial / 100 > today) {
		bits |= 1u << SOA_LINT_SERIAL_NOT_DATE;
	}

	return bits;
}

bool soa_lint_mname_listed(const knot_dname_t *mname, const knot_rdataset_t *ns)
{
	knot_rdata_t *rd = ns->rdata;
	for (uint16_t i = 0; i < ns->count; i++) {
		if (knot_dname_is_case_equal(rd->data, mname)) {
			return true;
		}
		rd = knot_rdataset_next(rd);
	}
	return false;
}

bool soa_lint_rname_bad(const knot_dname_t *rname)
{
	// The root name as a mailbox means nobody.
	if (rname[0] == 0) {
		return true;
	}
	// "hostmaster@example.com." loads as a first label holding the '@'.
	return memchr(rname + 1, '@', rname[0]) != NULL;
}

static const char *names[SOA_LINT__COUNT] = {
	[SOA_LINT_REFRESH_RANGE]          = "refresh-range",
	[SOA_LINT_RETRY_RANGE]            = "retry-range",
	[SOA_LINT_EXPIRE_RANGE]           = "expire-range",
	[SOA_LINT_MINIMUM_RANGE]          = "minimum-range",
	[SOA_LINT_SERIAL_NOT_DATE]        = "serial-not-date",
	[SOA_LINT_MNAME_NOT_NS]           = "mname-not-ns",
	[SOA_LINT_RNAME]                  = "rname",
	[SOA_LINT_SERIAL_NOT_CONVERTIBLE] = "serial-not-convertible",
};

const char *soa_lint_name(soa_lint_t lint)
{
	return (unsigned)lint < SOA_LINT__COUNT ? names[lint] : NULL;
}

void soa_lint_message(soa_lint_t lint, const soa_timers_t *t, char *buf, size_t len)
{
	switch (lint) {
	case SOA_LINT_REFRESH_RANGE:
		(void)snprintf(buf, len, "refresh %u s is outside %u-%u s (RFC 1912, section 2.2)",
		               t->refresh, REFRESH_LO, REFRESH_HI);
		break;
	case SOA_LINT_RETRY_RANGE:
		(void)snprintf(buf, len, "retry %u s is not shorter than refresh %u s",
		               t->retry, t->refresh);
		break;
	case SOA_LINT_EXPIRE_RANGE:
		(void)snprintf(buf, len, "expire %u s is under %u s or not above refresh + retry "
		               "(RFC 1912, section 2.2)", t->expire, EXPIRE_LO);
		break;
	case SOA_LINT_MINIMUM_RANGE:
		(void)snprintf(buf, len, "minimum %u s makes negative answers live over %u s "
		               "(RFC 2308, section 5)", t->minimum, MINIMUM_HI);
		break;
	case SOA_LINT_SERIAL_NOT_DATE:
		(void)snprintf(buf, len, "serial %u is not YYYYMMDDNN with a past or present date",
		               t->serial);
		break;
	case SOA_LINT_MNAME_NOT_NS:
		(void)snprintf(buf, len, "MNAME is not among the apex NS names");
		break;
	case SOA_LINT_RNAME:
		(void)snprintf(buf, len, "RNAME is the root or has an '@' in its first label "
		               "(write hostmaster.example.com., not hostmaster@example.com.)");
		break;
	case SOA_LINT_SERIAL_NOT_CONVERTIBLE:
		(void)snprintf(buf, len, "serial %u cannot be followed by a date serial; "
		               "set serial-floor or step the serial (RFC 1912, section 3.1)",
		               t->serial);
		break;
	default:
		(void)snprintf(buf, len, "unknown finding");
		break;
	}
}
