/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief The state record and its format. */

#include <string.h>

#include <libknot/libknot.h>

#include "soa/record.h"
#include "tap.h"

static void test_codec(void)
{
	// The example documented at the top of record.c, byte for byte.
	const uint8_t doc[] = {
		0x01,
		0x01, 0x00, 0x09, 0x00, 0x00, 0x01, 0xf5, 0x78, 0xc4, 0x04, 0x64, 0x00,
		0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x69, 0x1f, 0xab, 0x80,
		0x03, 0x00, 0x08, 0x00, 0x00, 0x01, 0xf5, 0x78, 0xc4, 0x04, 0x64,
	};
	soa_record_t rec;
	is_int(0, soa_record_decode(doc, sizeof(doc), &rec), "documented example decodes");
	is_int(501, rec.real, "  real");
	is_int(2026112100, rec.published, "  published");
	is_int(SOA_MODE_DATE, rec.mode, "  mode");
	is_int(1763683200, rec.updated, "  updated");
	is_int(1, rec.hist_count, "  history");

	uint8_t buf[SOA_RECORD_MAX];
	size_t len = soa_record_encode(&rec, buf);
	ok(len == sizeof(doc) && memcmp(buf, doc, len) == 0, "encoding gives the documented bytes");

	// Round trip of a full history.
	soa_record_t full = { .real = 9, .published = 2026112131, .mode = SOA_MODE_DATE,
	                      .updated = 42, .hist_count = SOA_RECORD_HISTORY };
	for (unsigned i = 0; i < SOA_RECORD_HISTORY; i++) {
		full.hist[i].real = i - 22;
		full.hist[i].published = 2026112100 + i;
	}
	full.hist[SOA_RECORD_HISTORY - 1].real = 9;
	full.hist[SOA_RECORD_HISTORY - 1].published = 2026112131;
	len = soa_record_encode(&full, buf);
	ok(len <= SOA_RECORD_MAX, "fits the declared maximum");
	soa_record_t back;
	is_int(0, soa_record_decode(buf, len, &back), "full record decodes");
	ok(memcmp(&full, &back, sizeof(full)) == 0, "round trip is exact");

	// Unknown items are skipped; an unknown version is refused.
	uint8_t ext[sizeof(doc) + 6];
	memcpy(ext, doc, sizeof(doc));
	memcpy(ext + sizeof(doc), "\x7f\x00\x03xyz", 6);
	is_int(0, soa_record_decode(ext, sizeof(ext), &rec), "unknown item skipped");
	is_int(2026112100, rec.published, "  data intact");
	uint8_t v2[sizeof(doc)];
	memcpy(v2, doc, sizeof(doc));
	v2[0] = 2;
	is_int(KNOT_ENOTSUP, soa_record_decode(v2, sizeof(v2), &rec), "version 2 refused");

	// Every truncation is either refused or a valid prefix with CURRENT.
	int wrong = 0;
	for (size_t cut = 0; cut < sizeof(doc); cut++) {
		int rc = soa_record_decode(doc, cut, &rec);
		bool complete_items = (cut == 13 || cut == 24);
		if (complete_items ? rc != 0 || rec.published != 2026112100 : rc != KNOT_EMALF) {
			wrong++;
		}
	}
	is_int(0, wrong, "every truncation handled (EBADREC or whole items)");

	uint8_t bad[sizeof(doc)];
	memcpy(bad, doc, sizeof(doc));
	bad[12] = SOA_MODE__COUNT;
	is_int(KNOT_EMALF, soa_record_decode(bad, sizeof(bad), &rec), "unknown mode");
	memcpy(bad, doc, sizeof(doc));
	bad[26] = 0x07;
	is_int(KNOT_EMALF, soa_record_decode(bad, sizeof(bad), &rec),
	       "history length not a multiple of 8");
	memcpy(bad, doc, sizeof(doc));
	bad[34] = 0x65;
	is_int(0, soa_record_decode(bad, sizeof(bad), &rec), "history not ending in CURRENT");
	ok(rec.hist_count == 1 && rec.hist[0].published == 2026112100, "  history replaced");
	is_int(KNOT_EMALF, soa_record_decode(doc, 1, &rec), "version only: no CURRENT");
}

static void test_history(void)
{
	soa_record_t rec;
	soa_record_single(&rec, 10, 2026112100, SOA_MODE_DATE);
	rec.hist[1] = (soa_pair_t){ 11, 2026112101 };
	rec.hist[2] = (soa_pair_t){ 12, 2026112102 };
	rec.hist_count = 3;
	rec.real = 12;
	rec.published = 2026112102;
	is_int(1, soa_record_find_real(&rec, 11), "find by real");
	is_int(2, soa_record_find_published(&rec, 2026112102), "find by published");
	is_int(-1, soa_record_find_real(&rec, 5), "absent");
	ok(!soa_record_cut(&rec, 12), "the current version is never cut");
	ok(!soa_record_cut(&rec, 99), "an unknown serial cuts nothing");
	ok(soa_record_cut(&rec, 11), "cut up to 11");
	ok(rec.hist_count == 1 && rec.hist[0].real == 12, "  only 12 is left");

	soa_record_t a, b;
	soa_record_single(&a, 1, 2, SOA_MODE_DATE);
	soa_record_single(&b, 1, 2, SOA_MODE_DATE);
	b.updated = 99;
	ok(soa_record_same(&a, &b), "same version, other time");
	b.mode = SOA_MODE_KEPT;
	ok(!soa_record_same(&a, &b), "other mode");
}

int main(void)
{
	test_codec();
	test_history();
	return done_testing();
}
