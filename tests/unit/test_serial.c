/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief Serial arithmetic, calendar and the allocation rule. */

#include <stdlib.h>
#include <time.h>

#include "soa/serial.h"
#include "tap.h"

static void test_compare(void)
{
	is_int(SOA_SERIAL_EQUAL, soa_serial_cmp(5, 5), "equal");
	is_int(SOA_SERIAL_GREATER, soa_serial_cmp(6, 5), "greater");
	is_int(SOA_SERIAL_LOWER, soa_serial_cmp(5, 6), "lower");
	is_int(SOA_SERIAL_GREATER, soa_serial_cmp(0, UINT32_MAX), "0 follows 2^32-1 (RFC 1982 3.2)");
	is_int(SOA_SERIAL_GREATER, soa_serial_cmp(0x7FFFFFFF, 0), "largest increment 2^31-1 is greater");
	is_int(SOA_SERIAL_INCOMPARABLE, soa_serial_cmp(0x80000000, 0), "2^31 apart is undefined");
	is_int(SOA_SERIAL_INCOMPARABLE, soa_serial_cmp(0, 0x80000000), "undefined both ways");
	is_int(SOA_SERIAL_LOWER, soa_serial_cmp(0x80000001, 0), "2^31+1 ahead reads as lower");
	ok(soa_serial_gt(2026112100, 501), "date serial is greater than a small counter");
	ok(soa_serial_gt(501, 3000000000u), "501 follows 3000000000 (the sum wraps below 2^31)");
	ok(!soa_serial_gt(2026112100, 3000000000u), "2026112100 does not follow 3000000000");
}

static void test_calendar(void)
{
	is_int(19700101, soa_date_from_time(0), "epoch");
	is_int(19700101, soa_date_from_time(86399), "last second of the first day");
	is_int(19700102, soa_date_from_time(86400), "midnight starts the next day");
	is_int(20000229, soa_date_from_time(951782400), "2000-02-29 (400-year leap)");
	is_int(20240229, soa_date_from_time(1709164800), "2024-02-29");
	is_int(21000301, soa_date_from_time(4107542400LL), "2100-03-01 (no Feb 29 in 2100)");
	is_int(20261121, soa_date_from_time(1795219200), "2026-11-21");
	is_int(20261120, soa_date_from_time(1795219199), "one second before");
	is_int(0, soa_date_from_time(-1), "before 1970 is out of range");

	// Cross-check against the C library over a wide spread of instants.
	srandom(1982);
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		time_t t = (time_t)((uint64_t)random() * 64 % 16725225600ULL); // up to 2500
		struct tm tm;
		gmtime_r(&t, &tm);
		uint32_t want = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
		if (soa_date_from_time(t) != want) {
			bad++;
		}
	}
	is_int(0, bad, "date_from_time agrees with gmtime_r at 200000 instants");

	ok(soa_date_valid(20240229), "2024-02-29 valid");
	ok(!soa_date_valid(20260229), "2026-02-29 invalid");
	ok(!soa_date_valid(21000229), "2100-02-29 invalid");
	ok(soa_date_valid(20000229), "2000-02-29 valid");
	ok(!soa_date_valid(20261131), "Nov 31 invalid");
	ok(soa_date_valid(20261231), "Dec 31 valid");
	ok(!soa_date_valid(20261301), "month 13 invalid");
	ok(!soa_date_valid(20261200), "day 0 invalid");
	ok(!soa_date_valid(20260001), "month 0 invalid");
	ok(!soa_date_valid(19691231), "before 1970 rejected");
	ok(soa_serial_is_date(2026112199), "NN 99 is a date serial");
	ok(!soa_serial_is_date(501), "501 is not");
	ok(!soa_serial_is_date(3000000000u), "3000000000 is not (month 00)");

	// Every date the calendar produces is valid, and its successor day too.
	int invalid = 0;
	for (int64_t t = 0; t < 4102444800LL; t += 86400) { // 1970..2100
		if (!soa_date_valid(soa_date_from_time(t))) {
			invalid++;
		}
	}
	is_int(0, invalid, "every day 1970-2100 is a valid date");
}

static uint32_t alloc(bool have_prev, bool prev_date, uint32_t prev, uint32_t real,
                      uint32_t today, uint32_t floor, soa_alloc_kind_t *kind)
{
	soa_alloc_in_t in = { have_prev, prev_date, prev, real, today, floor };
	uint32_t out = 0;
	*kind = soa_serial_alloc(&in, &out);
	return out;
}

static void test_alloc(void)
{
	soa_alloc_kind_t k;

	is_int(2026111505, alloc(false, false, 0, 2026111505, 20261121, 0, &k),
	       "a date serial is published as is");
	is_int(SOA_ALLOC_AS_IS, k, "  kind as-is");
	is_int(2099010100, alloc(false, false, 0, 2099010100, 20261121, 0, &k),
	       "a future date serial is still a date serial");
	is_int(2026112100, alloc(false, false, 0, 501, 20261121, 0, &k),
	       "first sight of 501 publishes today's 00");
	is_int(SOA_ALLOC_DATE, k, "  kind date");
	is_int(2026112101, alloc(true, true, 2026112100, 502, 20261121, 0, &k),
	       "next change the same day is +1");
	is_int(2026112200, alloc(true, true, 2026112199, 600, 20261121, 0, &k),
	       "after NN=99 it spills into the next numbers");
	is_int(2026112201, alloc(true, true, 2026112200, 601, 20261122, 0, &k),
	       "the spilled day continues +1 the next day");
	is_int(2026112106, alloc(true, true, 2026112105, 1, 20261121, 0, &k),
	       "a reset real serial still moves the published one forward");
	is_int(2026112100, alloc(true, true, 2026112005, 7, 20261121, 0, &k),
	       "a new day starts at 00");
	is_int(2026112106, alloc(true, true, 2026112105, 2026111501, 20261121, 0, &k),
	       "a date serial lower than the last published is not used");
	is_int(2030010100, alloc(false, false, 0, 501, 20261121, 2030010100, &k),
	       "serial-floor is the base when higher than today");
	is_int(2030010100, alloc(false, false, 0, 2026112105, 20261121, 2030010100, &k),
	       "a date serial below the floor is not used");
	is_int(2030010101, alloc(true, true, 2030010100, 9, 20261121, 2030010100, &k),
	       "above the floor it counts on");
	is_int(3000000000u, alloc(false, false, 0, 3000000000u, 20261121, 0, &k),
	       "3000000000 cannot be followed by a date serial: kept");
	is_int(SOA_ALLOC_KEPT, k, "  kind kept");
	is_int(3000000005u, alloc(true, false, 3000000000u, 3000000005u, 20261121, 0, &k),
	       "kept zones keep following their real serial");
	is_int(3000000001u, alloc(true, false, 3000000000u, 2999999999u, 20261121, 0, &k),
	       "a kept zone whose real serial goes down still goes forward");
	is_int(3000010100u, alloc(false, false, 0, 3000000000u, 20261121, 3000010100u, &k),
	       "serial-floor makes an unconvertible serial convertible");
	is_int(SOA_ALLOC_DATE, k, "  kind date");
	is_int(2026112100, alloc(true, true, 1000000000, 5, 20261121, 0, &k),
	       "a jump below 2^31 is taken");
	is_int(4000000001u, alloc(true, true, 4000000000u, 5, 20261121, 0, &k),
	       "a published serial far ahead continues +1");
	is_int(2026112100, alloc(true, true, UINT32_MAX, 5, 20261121, 0, &k),
	       "after 2^32-1 the date base is ahead again");
	is_int(2026112100, alloc(true, false, 501, 502, 20261121, 0, &k),
	       "a kept zone becomes convertible when the date passes it");
}

/*! \brief Random walks: the published sequence always moves forward. */
static void test_alloc_property(void)
{
	srandom(2308);
	int backwards = 0, below_base = 0;
	for (int walk = 0; walk < 2000; walk++) {
		uint32_t today = 20260101 + (random() % 28);
		uint32_t floor = (random() % 4 == 0) ? 2026110000 + random() % 100000 : 0;
		uint32_t real = random() % 4 == 0 ? 2026010100 + random() % 1000 : random() % 100000;
		bool have = false, date = false;
		uint32_t pub = 0;
		for (int step = 0; step < 300; step++) {
			soa_alloc_in_t in = { have, date, pub, real, today, floor };
			uint32_t out;
			soa_alloc_kind_t kind = soa_serial_alloc(&in, &out);
			if (have && !soa_serial_gt(out, pub)) {
				backwards++;
			}
			if (kind == SOA_ALLOC_DATE && !have && out < floor) {
				below_base++;
			}
			have = true;
			date = (kind != SOA_ALLOC_KEPT);
			pub = out;
			// Next version: mostly +1, sometimes a reset or a jump; days pass.
			switch (random() % 10) {
			case 0:  real = random() % 10; break;
			case 1:  real += random() % 100000; break;
			default: real += 1; break;
			}
			if (random() % 20 == 0) {
				today += 1;
			}
		}
	}
	is_int(0, backwards, "600000 random allocations never go backwards (RFC 1982)");
	is_int(0, below_base, "first allocations are never below serial-floor");
}

int main(void)
{
	test_compare();
	test_calendar();
	test_alloc();
	test_alloc_property();
	return done_testing();
}
