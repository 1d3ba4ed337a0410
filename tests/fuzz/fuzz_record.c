/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*!
 * \file
 *
 * \brief libFuzzer target for the state record codec (module/record.c:
 *        soa_record_decode, soa_record_encode, soa_record_find_*) and the
 *        publish rule (module/publish.c: soa_publish).
 *
 * Input: RECORD || REQUEST, REQUEST being the last REQ_LEN bytes (fewer
 * inputs are zero-padded requests). The decoder runs on the whole input and
 * on RECORD; soa_publish runs on the decoded RECORD (or NULL) with the
 * request below (lost counts only with missing_is_lost, as the store passes
 * it; now is the time the store records).
 *
 *   REQUEST = flags(1) real(4) today(4) floor(4) now(8) lost(4)
 *   flags: 0x01 rec NULL           0x02 is_signed      0x04 missing_is_lost
 *          0x08 real = rec->real   0x10 real = rec->real + (real & 0xff)
 *          0x20 today = date of now
 *          0x40 floor = rec->published + (floor & 0xff)
 *          0x80 real = rec->published (+ real & 0xff)
 */

#include "common.h"
#include "soa/serial.h"
#include "soa/publish.h"
#include "soa/record.h"

#define REQ_LEN 25

/*! \brief The meaningful part of a record (hist entries past hist_count are not). */
static bool same_record(const soa_record_t *a, const soa_record_t *b)
{
	if (a->real != b->real || a->published != b->published || a->mode != b->mode ||
	    a->updated != b->updated || a->hist_count != b->hist_count) {
		return false;
	}
	return memcmp(a->hist, b->hist, a->hist_count * sizeof(soa_pair_t)) == 0;
}

/*! \brief A lookup of any value: the newest match, or -1 if none. */
static void check_find(const soa_record_t *rec, uint32_t v, const char *what)
{
	int want_r = -1, want_p = -1;
	for (int k = 0; k < rec->hist_count; k++) {
		want_r = rec->hist[k].real == v ? k : want_r;
		want_p = rec->hist[k].published == v ? k : want_p;
	}
	int i = soa_record_find_real(rec, v);
	CHECK(i == want_r, "%s: find_real(%u) = %d, expected %d", what, v, i, want_r);
	i = soa_record_find_published(rec, v);
	CHECK(i == want_p, "%s: find_published(%u) = %d, expected %d", what, v, i, want_p);
}

/*! \brief What every record handed out by the module must satisfy. */
static void check_record(const soa_record_t *rec, const char *what)
{
	CHECK(rec->mode < SOA_MODE__COUNT, "%s: mode %u", what, rec->mode);
	CHECK(rec->hist_count >= 1 && rec->hist_count <= SOA_RECORD_HISTORY,
	      "%s: hist_count %u", what, rec->hist_count);
	const soa_pair_t *last = &rec->hist[rec->hist_count - 1];
	CHECK(last->real == rec->real && last->published == rec->published,
	      "%s: last history pair (%u, %u) is not (%u, %u)", what,
	      last->real, last->published, rec->real, rec->published);

	// The lookups return the newest matching entry.
	int i = soa_record_find_real(rec, rec->real);
	CHECK(i == rec->hist_count - 1, "%s: find_real(current) = %d", what, i);
	i = soa_record_find_published(rec, rec->published);
	CHECK(i == rec->hist_count - 1, "%s: find_published(current) = %d", what, i);
	for (int k = 0; k < rec->hist_count; k++) {
		i = soa_record_find_real(rec, rec->hist[k].real);
		CHECK(i >= k && i < rec->hist_count && rec->hist[i].real == rec->hist[k].real,
		      "%s: find_real(hist[%d]) = %d", what, k, i);
		i = soa_record_find_published(rec, rec->hist[k].published);
		CHECK(i >= k && i < rec->hist_count &&
		      rec->hist[i].published == rec->hist[k].published,
		      "%s: find_published(hist[%d]) = %d", what, k, i);
	}
}

/*! \brief Decodes, checks, and checks that encode/decode is a fixed point. */
static int decode_checked(const uint8_t *buf, size_t len, soa_record_t *rec)
{
	uint8_t *copy = dup_bytes(buf, len); // exactly sized: ASan sees over-reads
	int ret = soa_record_decode(copy, len, rec);
	free(copy);
	CHECK(ret == 0 || ret == KNOT_EMALF || ret == KNOT_ENOTSUP,
	      "decode: %d", ret);
	CHECK((ret == KNOT_ENOTSUP) == (len >= 1 && buf[0] != 1),
	      "decode: %d for version byte %d", ret, len >= 1 ? buf[0] : -1);
	if (ret != 0) {
		return ret;
	}
	check_record(rec, "decoded");

	uint8_t enc[SOA_RECORD_MAX + 16];
	memset(enc, 0xEE, sizeof(enc));
	size_t elen = soa_record_encode(rec, enc);
	CHECK(elen <= SOA_RECORD_MAX, "encode: %zu bytes", elen);
	CHECK(enc[SOA_RECORD_MAX] == 0xEE, "encode wrote past SOA_RECORD_MAX");
	CHECK(elen == 1 + 12 + 11 + 3 + 8u * rec->hist_count, "encode: %zu bytes", elen);

	soa_record_t back;
	int ret2 = soa_record_decode(enc, elen, &back);
	CHECK(ret2 == 0, "re-decode: %d", ret2);
	CHECK(same_record(rec, &back), "decode(encode(rec)) != rec");

	uint8_t enc2[SOA_RECORD_MAX];
	size_t elen2 = soa_record_encode(&back, enc2);
	CHECK(elen2 == elen && memcmp(enc, enc2, elen) == 0, "encoding not stable");
	return 0;
}

/*! \brief A request: the version, the lost-state bound and the time. */
typedef struct {
	soa_version_t v;
	uint32_t lost;
	int64_t now;
} req_t;

static void build_req(const uint8_t *p, const soa_record_t *rec, req_t *r)
{
	uint8_t f = p[0];
	r->v.real = knot_wire_read_u32(p + 1);
	r->v.today = knot_wire_read_u32(p + 5);
	r->v.floor = knot_wire_read_u32(p + 9);
	r->now = (int64_t)knot_wire_read_u64(p + 13);
	r->lost = (f & 0x04) ? knot_wire_read_u32(p + 21) : 0;
	r->v.is_signed = f & 0x02;
	if (f & 0x20) {
		r->v.today = soa_date_from_time(r->now);
	}
	if (rec != NULL) {
		if (f & 0x08) {
			r->v.real = rec->real;
		} else if (f & 0x10) {
			r->v.real = rec->real + (r->v.real & 0xff);
		} else if (f & 0x80) {
			r->v.real = rec->published + (r->v.real & 0xff);
		}
		if (f & 0x40) {
			r->v.floor = rec->published + (r->v.floor & 0xff);
		}
	}
}

/*!
 * \brief Checks one soa_publish() decision (stored with req->now, as the
 *        store does).
 *
 * What the code guarantees (soa_publish, soa_serial_alloc):
 *  - a false return hands back rec unchanged (rec is never NULL then);
 *  - a true return is a new allocation for the requested real serial;
 *  - signed (req->is_signed): the real serial is published as is, mode
 *    SIGNED, history restarted: the published serial may go backwards (the
 *    documented exception: the module does not rewrite signed zones);
 *  - unsigned with a previous record: every rule of soa_serial_alloc with
 *    have_prev yields a serial greater (RFC 1982) than rec->published,
 *    whatever rec's mode (also from SIGNED back to unsigned);
 *  - unsigned without a record and a lost-state bound: greater than it;
 *  - the history grows by one along a chain of one unsigned mode, else it
 *    restarts with the current pair.
 */
static void check_next(const soa_record_t *rec, const req_t *r, soa_record_t *next)
{
	const soa_version_t *req = &r->v;
	memset(next, 0xA5, sizeof(*next));
	bool changed = soa_publish(rec, r->lost, req, next);
	check_record(next, "next");

	if (!changed) {
		CHECK(rec != NULL, "next: no change without a record");
		CHECK(same_record(next, rec), "next: unchanged but differs");
		CHECK(rec->real == req->real, "next: kept a record of another real serial");
		CHECK((rec->mode == SOA_MODE_SIGNED) == req->is_signed, "next: kept across signing");
		return;
	}

	CHECK(next->real == req->real, "next: real %u, requested %u", next->real, req->real);
	CHECK(next->updated == 0, "next: updated is the store's");
	next->updated = r->now;
	if (rec != NULL) {
		CHECK(next->real != rec->real || next->published != rec->published ||
		      next->mode != rec->mode, "next: a new allocation equal to the old one");
	}

	if (req->is_signed) {
		CHECK(next->mode == SOA_MODE_SIGNED && next->published == req->real,
		      "next: signed zone must publish its real serial");
		CHECK(next->hist_count == 1, "next: signed history");
		return;
	}

	CHECK(next->mode == SOA_MODE_DATE || next->mode == SOA_MODE_KEPT, "next: mode %u", next->mode);
	if (rec != NULL) {
		CHECK(soa_serial_gt(next->published, rec->published),
		      "next: published went from %u to %u (modes %u -> %u, real %u -> %u, floor %u, today %u)",
		      rec->published, next->published, rec->mode, next->mode, rec->real,
		      req->real, req->floor, req->today);
	} else if (r->lost != 0) {
		CHECK(soa_serial_gt(next->published, r->lost),
		      "next: published %u not above the lost serial %u", next->published, r->lost);
	}

	// History: kept along one chain of one unsigned mode, else restarted.
	bool chain = rec != NULL && rec->mode == next->mode &&
	             soa_serial_gt(req->real, rec->real) &&
	             soa_serial_gt(next->published, rec->published);
	if (chain) {
		unsigned skip = rec->hist_count == SOA_RECORD_HISTORY ? 1 : 0;
		CHECK(next->hist_count == rec->hist_count - skip + 1, "next: history length");
		CHECK(memcmp(next->hist, rec->hist + skip,
		             (rec->hist_count - skip) * sizeof(soa_pair_t)) == 0, "next: history copy");
	} else {
		CHECK(next->hist_count == 1, "next: history not restarted (%u)", next->hist_count);
	}
}

/*!
 * \brief The same request again settles: at most one more allocation, and
 *        only in the documented case "below the floor" (a date serial under
 *        the floor is allocated again, see soa_publish).
 */
static void check_settles(const soa_record_t *first, const req_t *req)
{
	soa_record_t cur = *first, next;
	for (int k = 0; k < 3; k++) {
		bool below_floor = cur.mode == SOA_MODE_DATE && cur.published < req->v.floor;
		bool kept_flip = cur.mode == SOA_MODE_KEPT;
		check_next(&cur, req, &next);
		bool changed = !same_record(&cur, &next);
		if (!changed) {
			return;
		}
		// KEPT -> DATE: "now convertible" (e.g. the previous allocation
		// moved the last published serial so that real now follows it).
		CHECK(below_floor || (kept_flip && next.mode == SOA_MODE_DATE),
		      "same request allocated again: (%u,%u,mode %u) -> (%u,%u,mode %u)",
		      cur.real, cur.published, cur.mode, next.real, next.published, next.mode);
		cur = next;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	soa_record_t rec, next;

	// The whole input as a record.
	fuzz_context = "decode";
	(void)decode_checked(data, len, &rec);

	// RECORD || REQUEST.
	uint8_t req_bytes[REQ_LEN] = { 0 };
	size_t rlen = len >= REQ_LEN ? len - REQ_LEN : 0;
	memcpy(req_bytes, data + rlen, len - rlen);
	bool have = decode_checked(data, rlen, &rec) == 0;
	if (have) {
		check_find(&rec, knot_wire_read_u32(req_bytes + 1), "decoded");
		check_find(&rec, knot_wire_read_u32(req_bytes + 21), "decoded");
	}

	const soa_record_t *prev = (have && !(req_bytes[0] & 0x01)) ? &rec : NULL;
	req_t req = { 0 };
	build_req(req_bytes, prev, &req);

	fuzz_context = prev != NULL ? "next" : "next from no record";
	check_next(prev, &req, &next);
	fuzz_context = "same request again";
	check_settles(&next, &req);
	fuzz_context = "store";

	// The result stored and read back is the same record.
	uint8_t enc[SOA_RECORD_MAX];
	size_t elen = soa_record_encode(&next, enc);
	soa_record_t back;
	CHECK(decode_checked(enc, elen, &back) == 0 && same_record(&back, &next),
	      "next does not survive storage");
	return 0;
}
