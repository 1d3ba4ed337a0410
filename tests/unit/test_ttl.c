/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief Negative TTL policy. */

#include "soa/ttl.h"
#include "tap.h"

static void check(uint32_t ttl, uint32_t minimum, uint32_t lo, uint32_t hi,
                  uint32_t want, soa_neg_class_t want_cls, const char *what)
{
	soa_neg_class_t cls = 99;
	uint32_t got = soa_negative_ttl(ttl, minimum, lo, hi, &cls);
	is_int(want, got, "%s: ttl", what);
	is_int(want_cls, cls, "%s: class", what);
}

int main(void)
{
	check(7200, 300, 0, 10800, 300, SOA_NEG_AS_IS, "MINIMUM below SOA TTL wins (RFC 2308 3)");
	check(60, 300, 0, 10800, 60, SOA_NEG_AS_IS, "SOA TTL below MINIMUM wins");
	check(86400, 86400, 0, 10800, 10800, SOA_NEG_CAPPED, "one day is capped to 3h");
	check(7200, 300, 0, 60, 60, SOA_NEG_CAPPED, "cap below RFC value");
	check(7200, 300, 600, 10800, 600, SOA_NEG_RAISED, "floor above RFC value");
	check(7200, 300, 300, 300, 300, SOA_NEG_AS_IS, "bounds equal to the value");
	check(7200, 0, 0, 10800, 0, SOA_NEG_AS_IS, "MINIMUM 0 means do not cache");
	check(7200, 0, 5, 10800, 5, SOA_NEG_RAISED, "MINIMUM 0 raised by the floor");
	check(4294967295u, 4294967295u, 0, 2147483647, 2147483647, SOA_NEG_CAPPED,
	      "out-of-range values are capped");
	check(100, 200, 150, 150, 150, SOA_NEG_RAISED, "lo == hi pins the value");

	is_int(300, soa_floor_ttl(60, 300), "floor raises");
	is_int(3600, soa_floor_ttl(3600, 300), "floor keeps higher TTLs");
	is_int(300, soa_floor_ttl(300, 300), "floor equal");
	return done_testing();
}
