/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief The publish rule. */

#include <string.h>

#include "soa/publish.h"
#include "soa/serial.h"
#include "tap.h"

#define TODAY 20261121
#define LOST (TODAY * 100 + 99)

static soa_version_t ver(uint32_t real)
{
	soa_version_t v = { .real = real, .today = TODAY };
	return v;
}

static void test_rule(void)
{
	soa_record_t a, b, c, d;
	soa_version_t v = ver(501);

	ok(soa_publish(NULL, 0, &v, &a), "first sight allocates");
	is_int(2026112100, a.published, "  today's 00");
	is_int(1, a.hist_count, "  history starts");
	ok(!soa_publish(&a, 0, &v, &b), "same real serial: no allocation");
	v = ver(502);
	ok(soa_publish(&a, 0, &v, &b), "new real allocates");
	is_int(2026112101, b.published, "  +1");
	is_int(2, b.hist_count, "  history grows");
	v = ver(3);
	ok(soa_publish(&b, 0, &v, &c), "reset allocates");
	is_int(2026112102, c.published, "  still forward");
	is_int(1, c.hist_count, "  history restarts: the chain broke");

	v = ver(503);
	v.is_signed = true;
	ok(soa_publish(&b, 0, &v, &d), "signed version allocates");
	is_int(503, d.published, "  publishes the real serial");
	is_int(SOA_MODE_SIGNED, d.mode, "  signed mode");
	ok(!soa_publish(&d, 0, &v, &c), "signed, same serial: nothing");
	v.is_signed = false;
	ok(soa_publish(&d, 0, &v, &c), "unsigned again with the same serial");
	is_int(2026112100, c.published, "  enters the date sequence above 503");

	// Floors: a published serial below a raised floor is replaced.
	v = ver(502);
	v.floor = 2030010100;
	ok(soa_publish(&b, 0, &v, &c), "raised floor re-allocates the same version");
	is_int(2030010100, c.published, "  at the floor");

	// Kept zones become convertible when the floor allows it.
	v = ver(3000000000u);
	ok(soa_publish(NULL, 0, &v, &a), "first sight of 3000000000");
	is_int(SOA_MODE_KEPT, a.mode, "  kept");
	ok(!soa_publish(&a, 0, &v, &b), "kept and nothing new: no allocation");
	v.floor = 3000010100u;
	ok(soa_publish(&a, 0, &v, &b), "a floor that helps converts it");
	is_int(3000010100u, b.published, "  at the floor");
	is_int(SOA_MODE_DATE, b.mode, "  date mode");

	// The history keeps the newest SOA_RECORD_HISTORY versions.
	v = ver(1000);
	soa_publish(NULL, 0, &v, &a);
	for (int i = 1; i <= 40; i++) {
		v = ver(1000 + i);
		soa_publish(&a, 0, &v, &b);
		a = b;
	}
	is_int(SOA_RECORD_HISTORY, a.hist_count, "history bounded");
	is_int(1040, a.hist[SOA_RECORD_HISTORY - 1].real, "  newest last");
	is_int(1040 - SOA_RECORD_HISTORY + 1, a.hist[0].real, "  oldest dropped");
	is_int(SOA_RECORD_HISTORY - 1, soa_record_find_real(&a, 1040), "find by real");
	is_int(0, soa_record_find_published(&a, a.hist[0].published), "find by published");

	// Lost state resumes above the bound, a new zone starts at 00.
	v = ver(7);
	soa_publish(NULL, 0, &v, &a);
	is_int(2026112100, a.published, "new zone: today's 00");
	soa_publish(NULL, LOST, &v, &a);
	is_int(TODAY * 100 + 100, a.published, "lost state: above YYYYMMDD99");

	// A real serial that comes back after a newer one is a restore: it must
	// not take its old published serial back (that would go backwards).
	v = ver(601);
	soa_publish(NULL, 0, &v, &a);
	v = ver(602);
	soa_publish(&a, 0, &v, &b);
	v = ver(601);
	ok(soa_publish(&b, 0, &v, &c), "restored older real serial allocates");
	ok(soa_serial_gt(c.published, b.published), "  and moves forward");
}

static void test_base(void)
{
	soa_record_t stored, mem;
	soa_record_single(&stored, 700, 2026112100, SOA_MODE_DATE);
	soa_record_single(&mem, 700, 2026112150, SOA_MODE_DATE);
	ok(soa_publish_base(&stored, NULL) == &stored, "nothing from memory: stored");
	ok(soa_publish_base(NULL, &mem) == &mem, "nothing stored: memory");
	ok(soa_publish_base(&stored, &mem) == &mem, "memory newer: memory");
	mem.published = 2026112000;
	ok(soa_publish_base(&stored, &mem) == &stored, "memory older: stored");
	ok(soa_publish_base(NULL, NULL) == NULL, "neither");

	// A version published from memory keeps its serial; the next one goes on.
	soa_version_t v = ver(700);
	soa_record_t out;
	mem.published = 2026112150;
	ok(!soa_publish(soa_publish_base(&stored, &mem), 0, &v, &out), "memory version stands");
	is_int(2026112150, out.published, "  its serial");
	v = ver(701);
	ok(soa_publish(soa_publish_base(&stored, &mem), 0, &v, &out), "next version");
	is_int(2026112151, out.published, "  above the memory serial");
}

int main(void)
{
	test_rule();
	test_base();
	return done_testing();
}
