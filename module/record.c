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
 * \brief The state record of one zone and its format.
 *
 * Storage (store.c) keeps one record per zone under the zone name in wire
 * format (lower case, as knotd holds it). The value is a versioned record;
 * all integers are in network byte order:
 *
 *   VERSION(1) ITEM*          VERSION is 1
 *   ITEM = TYPE(1) LENGTH(2) VALUE(LENGTH)
 *
 *   TYPE 1  CURRENT  LENGTH 9    real(4) published(4) mode(1)
 *   TYPE 2  UPDATED  LENGTH 8    UNIX time of the allocation(8)
 *   TYPE 3  HISTORY  LENGTH 8n   n x (real(4) published(4)), oldest first,
 *                                the last pair equal to CURRENT
 *
 * mode: 0 date serial, 1 kept real serial (not convertible), 2 signed zone.
 * Unknown TYPEs are skipped, so a later version can add items this code
 * ignores; a different VERSION is refused. A record without CURRENT, with an
 * item running past the end, or with a HISTORY length not a multiple of 8 is
 * invalid. A HISTORY that does not end in CURRENT is dropped (history is an
 * optimisation for IXFR, CURRENT is what must never be lost).
 *
 * Example: real serial 501 published as 2026112100 in date mode at
 * 1763683200, with one history entry:
 *
 *   01
 *   01 0009 000001f5 78c40464 00
 *   02 0008 00000000 691fab80
 *   03 0008 000001f5 78c40464
 */

#include <string.h>

#include <libknot/libknot.h>

#include "soa/record.h"

#define FORMAT_VERSION 1
#define ITEM_CURRENT   1
#define ITEM_UPDATED   2
#define ITEM_HISTORY   3

static uint8_t *put_item(uint8_t *p, uint8_t type, uint16_t len)
{
	*p++ = type;
	knot_wire_write_u16(p, len);
	return p + 2;
}

size_t soa_record_encode(const soa_record_t *rec, uint8_t *buf)
{
	uint8_t *p = buf;
	*p++ = FORMAT_VERSION;

	p = put_item(p, ITEM_CURRENT, 9);
	knot_wire_write_u32(p, rec->real);
	knot_wire_write_u32(p + 4, rec->published);
	p[8] = rec->mode;
	p += 9;

	p = put_item(p, ITEM_UPDATED, 8);
	knot_wire_write_u64(p, rec->updated);
	p += 8;

	unsigned n = rec->hist_count > SOA_RECORD_HISTORY ? SOA_RECORD_HISTORY : rec->hist_count;
	p = put_item(p, ITEM_HISTORY, 8 * n);
	for (unsigned i = 0; i < n; i++) {
		knot_wire_write_u32(p, rec->hist[i].real);
		knot_wire_write_u32(p + 4, rec->hist[i].published);
		p += 8;
	}

	return p - buf;
}

int soa_record_decode(const uint8_t *buf, size_t len, soa_record_t *rec)
{
	memset(rec, 0, sizeof(*rec));
	if (len < 1) {
		return KNOT_EMALF;
	}
	if (buf[0] != FORMAT_VERSION) {
		return KNOT_ENOTSUP;
	}

	bool have_current = false;
	const uint8_t *hist = NULL;
	size_t hist_len = 0;

	// Walk the items; each must lie entirely within the record.
	size_t off = 1;
	while (off < len) {
		if (len - off < 3) {
			return KNOT_EMALF;
		}
		uint8_t type = buf[off];
		size_t ilen = knot_wire_read_u16(buf + off + 1);
		const uint8_t *val = buf + off + 3;
		if (len - off - 3 < ilen) {
			return KNOT_EMALF;
		}
		off += 3 + ilen;

		switch (type) {
		case ITEM_CURRENT:
			if (ilen != 9 || val[8] >= SOA_MODE__COUNT) {
				return KNOT_EMALF;
			}
			rec->real = knot_wire_read_u32(val);
			rec->published = knot_wire_read_u32(val + 4);
			rec->mode = val[8];
			have_current = true;
			break;
		case ITEM_UPDATED:
			if (ilen != 8) {
				return KNOT_EMALF;
			}
			rec->updated = knot_wire_read_u64(val);
			break;
		case ITEM_HISTORY:
			if (ilen % 8 != 0) {
				return KNOT_EMALF;
			}
			hist = val;
			hist_len = ilen;
			break;
		default:
			// Written by a later version: not ours to interpret.
			break;
		}
	}
	if (!have_current) {
		return KNOT_EMALF;
	}

	// Keep the newest pairs; a history not ending in CURRENT is dropped.
	size_t n = hist_len / 8;
	size_t skip = n > SOA_RECORD_HISTORY ? n - SOA_RECORD_HISTORY : 0;
	for (size_t i = skip; i < n; i++) {
		rec->hist[i - skip].real = knot_wire_read_u32(hist + 8 * i);
		rec->hist[i - skip].published = knot_wire_read_u32(hist + 8 * i + 4);
	}
	rec->hist_count = n - skip;
	if (rec->hist_count == 0 ||
	    rec->hist[rec->hist_count - 1].real != rec->real ||
	    rec->hist[rec->hist_count - 1].published != rec->published) {
		rec->hist[0].real = rec->real;
		rec->hist[0].published = rec->published;
		rec->hist_count = 1;
	}

	return KNOT_EOK;
}

void soa_record_single(soa_record_t *rec, uint32_t real, uint32_t published, uint8_t mode)
{
	memset(rec, 0, sizeof(*rec));
	rec->real = real;
	rec->published = published;
	rec->mode = mode;
	rec->hist[0].real = real;
	rec->hist[0].published = published;
	rec->hist_count = 1;
}

int soa_record_find_real(const soa_record_t *rec, uint32_t real)
{
	for (int i = rec->hist_count - 1; i >= 0; i--) {
		if (rec->hist[i].real == real) {
			return i;
		}
	}
	return -1;
}

int soa_record_find_published(const soa_record_t *rec, uint32_t published)
{
	for (int i = rec->hist_count - 1; i >= 0; i--) {
		if (rec->hist[i].published == published) {
			return i;
		}
	}
	return -1;
}

bool soa_record_same(const soa_record_t *a, const soa_record_t *b)
{
	return a->real == b->real && a->published == b->published && a->mode == b->mode;
}

bool soa_record_cut(soa_record_t *rec, uint32_t real)
{
	int idx = soa_record_find_real(rec, real);
	if (idx < 0 || idx == rec->hist_count - 1) {
		return false;
	}
	unsigned keep = rec->hist_count - (idx + 1);
	memmove(rec->hist, rec->hist + idx + 1, keep * sizeof(soa_pair_t));
	rec->hist_count = keep;
	return true;
}
