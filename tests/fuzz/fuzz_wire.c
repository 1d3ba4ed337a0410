/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*!
 * \file
 *
 * \brief libFuzzer target for the in-place wire edits of module/wire.c.
 *
 * The input is a DNS message; inputs libknot does not parse are skipped.
 * Every function of soa/wire.h runs on it through three descriptions of the
 * same wire:
 *
 *  - the metadata exactly as knot_pkt_parse() leaves it (one RRSet per RR,
 *    a TSIG cut off the wire but kept in the metadata);
 *  - "grouped": consecutive RRs of one owner and type form one RRSet, as in
 *    the responses knotd builds;
 *  - "lying": counts, positions, types and section bounds changed at random.
 *
 * Always checked: pkt->size never changes; only documented codes come back;
 * an error, or a 0 that the header documents as "nothing written", leaves
 * the wire byte for byte as it was; a function that reports a write changed
 * only the fields it may change. With honest metadata the exact result is
 * also predicted from a reference model built from libknot's parse, and the
 * wire after the call must equal the prediction byte for byte.
 *
 * Parameters: the TTL is the last four bytes of the message, the serial the
 * four before them; the message ID seeds the wrong metadata.
 */

#include "common.h"


typedef struct {
	knot_pkt_t *pkt;
	const ref_t *ref;
	const size_t *first; /*!< RRSet -> first ref entry; NULL: lying metadata. */
	bool refused;        /*!< An owner libknot parsed but its name check refuses. */
	uint8_t *before;     /*!< Scratch: wire before a call. */
	uint8_t *expect;     /*!< Scratch: predicted wire after a call. */
	const uint8_t *orig; /*!< The wire as parsed. */
	uint32_t ttl, serial;
} suite_t;

/*!
 * \brief Takes the copy a call is checked against. Every call starts from the
 *        wire as parsed: the reference model describes that wire, and an
 *        earlier call's writes may change what a validating walk sees (a name
 *        compressed through a TTL or serial it wrote).
 */
static void snapshot(suite_t *t)
{
	memcpy(t->pkt->wire, t->orig, t->pkt->size);
	memcpy(t->before, t->pkt->wire, t->pkt->size);
	memcpy(t->expect, t->pkt->wire, t->pkt->size);
}

static bool unchanged(const suite_t *t)
{
	return memcmp(t->before, t->pkt->wire, t->pkt->size) == 0;
}

static bool as_expected(const suite_t *t)
{
	return memcmp(t->expect, t->pkt->wire, t->pkt->size) == 0;
}

/*!
 * \brief libknot's parser took an owner name its own name check refuses
 *        (seen: a compression pointer into the label that leads to it); the
 *        module uses that check, so it refuses the RR too.
 */
static bool owner_refused(const uint8_t *wire, size_t size, const ref_rr_t *r)
{
	return !r->ptr_owner && knot_dname_wire_check(wire + r->pos, wire + size, wire) <= 0;
}

/*! \brief Exact results are predicted: true metadata, every RR acceptable. */
static bool honest(const suite_t *t)
{
	return t->first != NULL && !t->refused;
}

static void put32(uint8_t *w, size_t off, uint32_t v)
{
	knot_wire_write_u32(w + off, v);
}

/* soa_wire_rr_at */

static void check_rr_at_one(const uint8_t *wire, size_t size, size_t pos)
{
	soa_wire_rr_t rr = { 0 };
	int ret = soa_wire_rr_at(wire, size, pos, &rr);
	CHECK(ret == KNOT_EOK || ret == KNOT_EMALF, "rr_at(%zu) returned %d", pos, ret);
	if (ret == KNOT_EOK) {
		CHECK(pos < size && rr.hdr > pos && rr.end <= size, "rr_at(%zu): hdr %zu end %zu size %zu",
		      pos, rr.hdr, rr.end, size);
		CHECK(rr.end == rr.hdr + SOA_WIRE_RR_HDR + rr.rdlen, "rr_at(%zu): inconsistent", pos);
		CHECK(rr.type == knot_wire_read_u16(wire + rr.hdr), "rr_at(%zu): type", pos);
		CHECK(rr.rdlen == knot_wire_read_u16(wire + rr.hdr + 8), "rr_at(%zu): rdlen", pos);
	}
}

static void check_rr_at(suite_t *t, prng_t *rng)
{
	knot_pkt_t *pkt = t->pkt;
	const ref_t *ref = t->ref;
	snapshot(t);

	// Every offset, and a few past the end.
	size_t step = pkt->size > 4096 ? pkt->size / 1024 : 1;
	for (size_t pos = 0; pos < pkt->size + 4; pos += step) {
		check_rr_at_one(pkt->wire, pkt->size, pos);
	}
	check_rr_at_one(pkt->wire, pkt->size, SIZE_MAX / 2);

	// Every real RR is found exactly where libknot found it.
	for (size_t i = 0; i < ref->n; i++) {
		const ref_rr_t *r = &ref->rr[i];
		soa_wire_rr_t rr;
		int ret = soa_wire_rr_at(pkt->wire, pkt->size, r->pos, &rr);
		if (ret == KNOT_EMALF && owner_refused(pkt->wire, pkt->size, r)) {
			continue;
		}
		CHECK(ret == KNOT_EOK, "rr_at(%zu) refused a parsed RR: %d", r->pos, ret);
		CHECK(rr.hdr == r->hdr && rr.end == r->end && rr.type == r->type &&
		      rr.rdlen == r->rdlen, "rr_at(%zu) disagrees with libknot", r->pos);
	}

	// Cut the message short (exactly sized copies, so ASan sees every
	// byte past the cut): an RR is found iff it ends before the cut.
	size_t cuts[4];
	unsigned ncuts = 0;
	if (ref->n > 0) {
		const ref_rr_t *r = &ref->rr[prng_next(rng) % ref->n];
		cuts[ncuts++] = r->end - 1;
		cuts[ncuts++] = r->hdr + 1 + prng_next(rng) % SOA_WIRE_RR_HDR;
		cuts[ncuts++] = r->pos + 1;
	}
	cuts[ncuts++] = prng_next(rng) % (pkt->size + 1);
	for (unsigned c = 0; c < ncuts; c++) {
		size_t cut = cuts[c];
		uint8_t *w = dup_bytes(pkt->wire, cut);
		for (size_t i = 0; i < ref->n; i++) {
			const ref_rr_t *r = &ref->rr[i];
			if (r->pos >= cut) {
				break;
			}
			if (owner_refused(pkt->wire, pkt->size, r)) {
				continue;
			}
			soa_wire_rr_t rr;
			int ret = soa_wire_rr_at(w, cut, r->pos, &rr);
			// A lone pointer is taken as it is; any other owner must be
			// readable within the cut message, pointers followed.
			size_t need = r->end;
			if (!r->ptr_owner) {
				size_t ext = ref_name_extent(pkt->wire, pkt->size, r->pos);
				need = ext > need ? ext : need;
			}
			if (need <= cut) {
				CHECK(ret == KNOT_EOK && rr.end == r->end, "cut %zu: RR at %zu lost", cut, r->pos);
			} else {
				CHECK(ret == KNOT_EMALF, "cut %zu: RR at %zu needing %zu accepted",
				      cut, r->pos, need);
			}
		}
		for (size_t pos = 0; pos < cut + 2 && pos < 512; pos++) {
			check_rr_at_one(w, cut, pos);
		}
		free(w);
	}
	CHECK(unchanged(t), "rr_at wrote");
}

/* soa_wire_tsig_find */

static void check_tsig_find(suite_t *t)
{
	snapshot(t);
	size_t pos = SIZE_MAX;
	int ret = soa_wire_tsig_find(t->pkt, &pos);
	CHECK(ret == KNOT_EOK || ret == KNOT_ENOENT || ret == KNOT_EMALF, "tsig_find: %d", ret);
	CHECK(unchanged(t), "tsig_find wrote");
	if (ret == KNOT_EOK) {
		soa_wire_rr_t rr;
		CHECK(pos < t->pkt->size, "tsig_find: pos %zu", pos);
		CHECK(soa_wire_rr_at(t->pkt->wire, t->pkt->size, pos, &rr) == KNOT_EOK &&
		      rr.type == KNOT_RRTYPE_TSIG && rr.end == t->pkt->size, "tsig_find: not a TSIG at the end");
	}
	if (honest(t)) {
		// A parsed message: no TSIG on the wire; a stripped one in the
		// metadata lies past the end.
		int want = t->ref->tsig_meta ? KNOT_EMALF : KNOT_ENOENT;
		CHECK(ret == want, "tsig_find: %d, expected %d", ret, want);
	}
}

/* soa_wire_soa_at */

/*!
 * \brief Checks the result of a write to the lone SOA RR of RRSet i.
 *
 * \param want  Predicted result (honest metadata), or INT32_MIN.
 */
static void check_soa_write(suite_t *t, uint16_t i, int ret, int want,
                            const uint32_t *ttl, const uint32_t *serial, const char *what)
{
	knot_pkt_t *pkt = t->pkt;
	CHECK(ret == KNOT_EOK || ret == KNOT_ENOENT || ret == KNOT_EMALF, "%s(%u): %d", what, i, ret);
	if (ret != KNOT_EOK) {
		CHECK(unchanged(t), "%s(%u) returned %d but wrote", what, i, ret);
	} else {
		// Only the TTL and SERIAL of the RR at rr_info[i].pos may change.
		size_t pos = pkt->rr_info[i].pos;
		size_t hdr = pos + 2;
		uint16_t rdlen = knot_wire_read_u16(pkt->wire + hdr + 8);
		CHECK((pkt->wire[pos] & 0xC0) == 0xC0, "%s: owner not a pointer", what);
		CHECK(knot_wire_read_u16(pkt->wire + hdr) == KNOT_RRTYPE_SOA, "%s: not an SOA", what);
		CHECK(rdlen >= SOA_WIRE_SOA_MIN && hdr + SOA_WIRE_RR_HDR + rdlen <= pkt->size,
		      "%s: RDATA %u out of bounds", what, rdlen);
		if (ttl != NULL) {
			put32(t->expect, hdr + 4, *ttl);
		}
		if (serial != NULL) {
			put32(t->expect, hdr + SOA_WIRE_RR_HDR + rdlen - SOA_WIRE_SOA_TAIL, *serial);
		}
		CHECK(as_expected(t), "%s(%u): wrote outside the TTL and SERIAL", what, i);
	}
	if (want != INT32_MIN) {
		CHECK(ret == want, "%s(%u): %d, expected %d", what, i, ret, want);
	}
}

/*! \brief Predicted result of soa_at on RRSet i with honest metadata. */
static int predict_soa_at(const suite_t *t, uint16_t i)
{
	if (!honest(t)) {
		return INT32_MIN;
	}
	size_t j = t->first[i];
	const ref_rr_t *r = &t->ref->rr[j];
	CHECK(j != SIZE_MAX && r->type == KNOT_RRTYPE_SOA, "harness: not an SOA");
	if (!r->ptr_owner) {
		return KNOT_ENOENT;
	}
	// libknot accepts an SOA without RDATA (class ANY/NONE): not intact.
	return r->rdlen < SOA_WIRE_SOA_MIN ? KNOT_EMALF : KNOT_EOK;
}

/*! \brief soa_at on every RRSet the metadata calls one SOA RR. */
static void check_soa_at(suite_t *t)
{
	knot_pkt_t *pkt = t->pkt;
	for (uint16_t i = 0; i < pkt->rrset_count; i++) {
		if (pkt->rr[i].type != KNOT_RRTYPE_SOA || pkt->rr[i].rrs.count != 1) {
			continue;
		}
		for (int c = 0; c < 4; c++) {
			const uint32_t *ttl = (c & 1) ? &t->ttl : NULL;
			const uint32_t *serial = (c & 2) ? &t->serial : NULL;
			int want = predict_soa_at(t, i);
			snapshot(t);
			int ret = soa_wire_soa_at(pkt, i, ttl, serial);
			check_soa_write(t, i, ret, want, ttl, serial, "soa_at");
		}
	}
}

/* soa_wire_negative */

static bool negative_type(const uint8_t *w, const ref_rr_t *r)
{
	uint16_t type = r->type;
	if (type == KNOT_RRTYPE_RRSIG && r->rdlen >= 2) {
		type = knot_wire_read_u16(w + r->hdr + SOA_WIRE_RR_HDR);
	} else if (type == KNOT_RRTYPE_RRSIG) {
		return false;
	}
	return type == KNOT_RRTYPE_SOA || type == KNOT_RRTYPE_NSEC || type == KNOT_RRTYPE_NSEC3;
}

static void check_negative(suite_t *t, uint32_t ttl, const uint32_t *serial)
{
	snapshot(t);
	size_t size = t->pkt->size;
	unsigned n;
	int ret = as_count(soa_wire_negative(t->pkt, ttl, serial, &n), n);
	CHECK(t->pkt->size == size, "negative changed the size");
	CHECK(ret >= 0 || ret == KNOT_EMALF, "negative: %d", ret);
	if (ret < 0) {
		CHECK(unchanged(t), "negative failed with %d but wrote", ret);
	}
	if (!honest(t)) {
		return;
	}
	const ref_t *ref = t->ref;
	if (ref_short_soa(ref, KNOT_AUTHORITY)) {
		CHECK(ret == KNOT_EMALF, "negative: %d with an SOA too short for a serial", ret);
		return;
	}
	int written = 0;
	for (size_t k = 0; k < ref->sec_count[KNOT_AUTHORITY]; k++) {
		const ref_rr_t *r = &ref->rr[ref->sec_first[KNOT_AUTHORITY] + k];
		if (!negative_type(t->before, r)) {
			continue;
		}
		put32(t->expect, r->hdr + 4, ttl);
		written++;
		if (r->type == KNOT_RRTYPE_SOA && serial != NULL) {
			put32(t->expect, ref_serial_off(r), *serial);
		}
	}
	CHECK(ret == written, "negative: %d, expected %d RRs written", ret, written);
	CHECK(as_expected(t), "negative: wire differs from the prediction");
}

/* soa_wire_answer_serial */

static void check_answer_serial(suite_t *t, uint32_t real, uint32_t serial)
{
	snapshot(t);
	size_t size = t->pkt->size;
	unsigned n;
	int ret = as_count(soa_wire_answer_serial(t->pkt, real, serial, &n), n);
	CHECK(t->pkt->size == size, "answer_serial changed the size");
	CHECK(ret >= 0 || ret == KNOT_EMALF, "answer_serial: %d", ret);
	if (ret <= 0) {
		CHECK(unchanged(t), "answer_serial returned %d but wrote", ret);
	}
	if (!honest(t)) {
		return;
	}
	const ref_t *ref = t->ref;
	if (ref_short_soa(ref, KNOT_ANSWER)) {
		CHECK(ret == KNOT_EMALF, "answer_serial: %d with an SOA too short for a serial", ret);
		return;
	}
	int count = 0;
	for (size_t k = 0; k < ref->sec_count[KNOT_ANSWER]; k++) {
		const ref_rr_t *r = &ref->rr[ref->sec_first[KNOT_ANSWER] + k];
		if (r->type == KNOT_RRTYPE_SOA &&
		    knot_wire_read_u32(t->before + ref_serial_off(r)) == real) {
			put32(t->expect, ref_serial_off(r), serial);
			count++;
		}
	}
	CHECK(ret == count, "answer_serial: %d, expected %d", ret, count);
	CHECK(as_expected(t), "answer_serial: wire differs from the prediction");
}

/* soa_wire_floor */

static void check_floor(suite_t *t, uint32_t minimum)
{
	snapshot(t);
	size_t size = t->pkt->size;
	unsigned n;
	int ret = as_count(soa_wire_floor(t->pkt, minimum, &n), n);
	CHECK(t->pkt->size == size, "floor changed the size");
	CHECK(ret >= 0 || ret == KNOT_EMALF, "floor: %d", ret);
	if (ret <= 0) {
		CHECK(unchanged(t), "floor returned %d but wrote", ret);
	}
	if (!honest(t)) {
		return;
	}
	const ref_t *ref = t->ref;
	if (ref->tsig_meta) {
		// The metadata's TSIG lies past the end: the walk must refuse.
		CHECK(ret == KNOT_EMALF, "floor: %d with a TSIG past the end", ret);
		return;
	}
	int count = 0;
	for (size_t i = ref->sec_first[KNOT_ANSWER]; i < ref->n; i++) {
		const ref_rr_t *r = &ref->rr[i];
		if (r->type == KNOT_RRTYPE_OPT || r->type == KNOT_RRTYPE_TSIG) {
			continue;
		}
		if (knot_wire_read_u32(t->before + r->hdr + 4) < minimum) {
			put32(t->expect, r->hdr + 4, minimum);
			count++;
		}
	}
	CHECK(ret == count, "floor: %d, expected %d", ret, count);
	CHECK(as_expected(t), "floor: wire differs from the prediction");
}

/* soa_wire_xfr_map */

static void check_xfr_map(suite_t *t, uint32_t delta, bool fail, uint32_t fail_on)
{
	map_ctx_t m = { .delta = delta, .fail = fail, .fail_on = fail_on };
	snapshot(t);
	size_t size = t->pkt->size;
	unsigned n;
	int ret = as_count(soa_wire_xfr_map(t->pkt, map_fn, &m, &n), n);
	CHECK(t->pkt->size == size, "xfr_map changed the size");
	CHECK(ret >= 0 || ret == KNOT_EMALF || ret == MAP_ERROR, "xfr_map: %d", ret);
	if (ret <= 0) {
		CHECK(unchanged(t), "xfr_map returned %d but wrote", ret);
	}
	if (!honest(t)) {
		return;
	}
	int want = ref_predict_xfr(t->ref, t->before, delta, fail, fail_on, MAP_ERROR, t->expect);
	CHECK(ret == want, "xfr_map: %d, expected %d", ret, want);
	if (want >= 0) {
		CHECK(as_expected(t), "xfr_map: wire differs from the prediction");
		unsigned soas = 0;
		for (size_t k = 0; k < t->ref->sec_count[KNOT_ANSWER]; k++) {
			soas += t->ref->rr[t->ref->sec_first[KNOT_ANSWER] + k].type == KNOT_RRTYPE_SOA;
		}
		// Once per SOA; twice when more are rewritten than the walker remembers.
		unsigned calls = (want > SOA_WIRE_EDITS_MAX) ? 2 * soas : soas;
		CHECK(m.calls == calls, "xfr_map: %u map calls for %u SOAs", m.calls, soas);
	}
}

/* Driver */

static uint32_t first_answer_serial(const suite_t *t, uint32_t dflt)
{
	const ref_t *ref = t->ref;
	for (size_t k = 0; k < ref->sec_count[KNOT_ANSWER]; k++) {
		const ref_rr_t *r = &ref->rr[ref->sec_first[KNOT_ANSWER] + k];
		if (r->type == KNOT_RRTYPE_SOA && r->rdlen >= SOA_WIRE_SOA_MIN) {
			return knot_wire_read_u32(t->pkt->wire + ref_serial_off(r));
		}
	}
	return dflt;
}

static void run_suite(knot_pkt_t *pkt, const ref_t *ref, const size_t *first,
                      const uint8_t *orig, uint32_t ttl, uint32_t serial, prng_t *rng)
{
	size_t size = pkt->size;
	memcpy(pkt->wire, orig, size);
	suite_t t = {
		.pkt = pkt, .ref = ref, .first = first,
		.before = malloc(size), .expect = malloc(size),
		.orig = orig,
		.ttl = ttl, .serial = serial,
	};
	for (size_t i = 0; i < ref->n; i++) {
		t.refused |= owner_refused(orig, size, &ref->rr[i]);
	}
	if (t.before == NULL || t.expect == NULL) {
		abort();
	}

	check_rr_at(&t, rng);
	check_tsig_find(&t);
	check_soa_at(&t);

	check_negative(&t, ttl, &serial);
	check_negative(&t, ttl ^ 0x5a5a, NULL);

	check_answer_serial(&t, first_answer_serial(&t, serial), serial + 1);
	check_answer_serial(&t, serial, ttl);

	check_floor(&t, ttl);
	check_floor(&t, 0);
	check_floor(&t, UINT32_MAX);

	check_xfr_map(&t, 1, false, 0);
	check_xfr_map(&t, 0, false, 0);
	check_xfr_map(&t, serial, true, first_answer_serial(&t, ttl));
	check_xfr_map(&t, UINT32_MAX, true, ttl);

	CHECK(pkt->size == size, "size changed");
	free(t.before);
	free(t.expect);
}

static void fuzz_message(const uint8_t *data, size_t len)
{
	uint8_t *buf = NULL;
	knot_pkt_t *pkt = parse_exact(data, len, &buf);
	if (pkt == NULL) {
		return;
	}

	ref_t ref;
	ref_build(pkt, &ref);

	uint32_t ttl = knot_wire_read_u32(data + len - 4);
	uint32_t serial = knot_wire_read_u32(data + len - 8);
	prng_t rng = { .s = ((uint64_t)knot_wire_read_u16(data) << 32) ^ len };

	// The original wire (with a stripped TSIG, the parser's decremented
	// ARCOUNT): every description starts from it.
	uint8_t *orig = dup_bytes(pkt->wire, pkt->size);

	// 1. Metadata as parsed.
	size_t *ident = calloc(pkt->rrset_count + 1, sizeof(size_t));
	if (ident == NULL) {
		abort();
	}
	for (uint16_t i = 0, r = 0; i < pkt->rrset_count; i++) {
		bool tsig = ref.tsig_meta && i == pkt->rrset_count - 1;
		ident[i] = tsig ? SIZE_MAX : r++;
	}
	fuzz_context = "metadata as parsed";
	run_suite(pkt, &ref, ident, orig, ttl, serial, &rng);
	free(ident);

	// 2. knotd-style RRSets, if any RRSet has several RRs.
	view_t v;
	if (view_grouped(&v, pkt, &ref) > 0) {
		fuzz_context = "grouped metadata";
		run_suite(&v.pkt, &ref, v.first, orig, ttl, serial, &rng);
	}
	view_free(&v);

	// 3. Wrong metadata, twice.
	for (int k = 0; k < 2; k++) {
		view_lying(&v, pkt, &rng);
		fuzz_context = "wrong metadata";
		run_suite(&v.pkt, &ref, NULL, orig, ttl, serial, &rng);
		view_free(&v);
	}

	CHECK(pkt->size == ref.rr_end, "size changed");
	free(orig);
	ref_free(&ref);
	knot_pkt_free(pkt);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_message(data, len);
	return 0;
}
