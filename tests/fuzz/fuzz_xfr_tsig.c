/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*!
 * \file
 *
 * \brief libFuzzer target for soa_wire_xfr_edit(): strip the TSIG, map the
 *        SOA serials, sign again.
 *
 * The input is a DNS message (a TSIG it carries is stripped by the parser
 * and the rest re-parsed, so the metadata describes every RR, as knotd's
 * does before signing). The message is then signed with a fixed key the way
 * knotd signs transfer messages, and soa_wire_xfr_edit() is called with a
 * map adding 1 to every SOA serial:
 *
 *  - first message: knot_tsig_sign() from a request MAC (also as a BADTIME
 *    answer, with the client's time), checked with knot_tsig_client_check();
 *  - later message: knot_tsig_sign_next() from the previous MAC, checked
 *    with knot_tsig_client_check_next();
 *  - unsigned: no TSIG at all.
 *
 * With SOAs in the answer the call must return their number, keep the size,
 * verify with the new MAC (also handed back in the digest buffer) and move
 * exactly the answer SOA serials by +1. Without SOAs, with a map that fails,
 * or with a damaged TSIG, it must return 0, the map's error, KNOT_EMALF or
 * KNOT_ENOENT and leave the message byte for byte as signed.
 *
 * The message ID chooses: bit 0 BADTIME first message, bit 1 an empty
 * request MAC, the rest where a damaged copy is cut. It also runs through
 * a grouped (knotd-style multi-RR RRSets) view when that differs.
 */

#include <time.h>

#include "common.h"

#define ROOM 512 /* Space past the message for the TSIG RR. */
#define MAC_MAX 64 /* Largest HMAC (SHA-512). */

static knot_tsig_key_t key;
static bool key_ok;

static const uint8_t REQUEST_MAC[32] = {
	0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	// 32 bytes of secret, base64.
	int ret = knot_tsig_key_init(&key, "hmac-sha256", "fuzz.",
	                             "Zm96LWtleS1mb3ItbW9kLXNvYS10c2lnLWZ1enppbmc=");
	CHECK(ret == KNOT_EOK, "key: %s", knot_strerror(ret));
	key_ok = true;
	return 0;
}

typedef enum { SIGN_FIRST, SIGN_BADTIME, SIGN_NEXT, SIGN_NONE } sign_t;

typedef struct {
	knot_pkt_t *pkt;      /*!< Message (or view) with room for the TSIG. */
	const ref_t *ref;     /*!< Reference model of the unsigned message. */
	const uint8_t *plain; /*!< Unsigned wire. */
	size_t plain_size;
	uint16_t plain_arcount;
	uint16_t id;
} xfr_t;

/*! \brief Signs the unsigned message as knotd would; false if it does not fit. */
static bool sign(xfr_t *x, sign_t how, const uint8_t *prev, size_t prev_len,
                 uint64_t time_signed, uint8_t *mac, size_t *mac_len)
{
	knot_pkt_t *pkt = x->pkt;
	memcpy(pkt->wire, x->plain, x->plain_size);
	pkt->size = x->plain_size;
	*mac_len = MAC_MAX;
	int ret;
	switch (how) {
	case SIGN_FIRST:
		ret = knot_tsig_sign(pkt->wire, &pkt->size, pkt->max_size, prev, prev_len,
		                     mac, mac_len, &key, 0, 0);
		break;
	case SIGN_BADTIME:
		ret = knot_tsig_sign(pkt->wire, &pkt->size, pkt->max_size, prev, prev_len,
		                     mac, mac_len, &key, KNOT_RCODE_BADTIME, time_signed);
		break;
	case SIGN_NEXT:
		ret = knot_tsig_sign_next(pkt->wire, &pkt->size, pkt->max_size, prev, prev_len,
		                          mac, mac_len, &key, pkt->wire, pkt->size);
		break;
	default:
		return true;
	}
	if (ret != KNOT_EOK) {
		CHECK(pkt->size == x->plain_size, "harness: failed signing changed the size");
		return false;
	}
	return true;
}

/*! \brief What the receiving end sees of a signed message's TSIG. */
typedef struct {
	int check;        /*!< knot_tsig_client_check(_next) result. */
	uint8_t mac[MAC_MAX];
	size_t mac_len;
	uint16_t error;
	uint64_t time_signed;
	uint16_t orig_id;
} seen_t;

/*!
 * \brief Verifies a signed message the way the receiving end would: the
 *        TSIG RR must end the message right after plain_size bytes; it is
 *        checked over the message without it (ARCOUNT one less).
 *
 * Only the TSIG RR is parsed, not the message: a fuzzed message may hold
 * compression pointers into bytes that signing or the edit changes.
 */
static void verify(const uint8_t *wire, size_t size, size_t plain_size, sign_t how,
                   const uint8_t *prev, size_t prev_len, seen_t *seen)
{
	CHECK(size > plain_size, "no room for a TSIG: %zu of %zu", size, plain_size);
	uint8_t *copy = dup_bytes(wire, size);
	knot_rrset_t rr;
	memset(&rr, 0, sizeof(rr));
	size_t pos = plain_size;
	int ret = knot_rrset_rr_from_wire(copy, &pos, size, &rr, NULL, true);
	CHECK(ret == KNOT_EOK && pos == size && rr.type == KNOT_RRTYPE_TSIG &&
	      knot_tsig_rdata_is_ok(&rr), "no TSIG RR ends the message: %s", knot_strerror(ret));
	knot_wire_set_arcount(copy, knot_wire_get_arcount(copy) - 1);
	seen->check = (how == SIGN_NEXT) ?
		knot_tsig_client_check_next(&rr, copy, plain_size, prev, prev_len, &key, 0) :
		knot_tsig_client_check(&rr, copy, plain_size, prev, prev_len, &key, 0);
	seen->mac_len = knot_tsig_rdata_mac_length(&rr);
	CHECK(seen->mac_len <= MAC_MAX, "MAC length %zu", seen->mac_len);
	memcpy(seen->mac, knot_tsig_rdata_mac(&rr), seen->mac_len);
	seen->error = knot_tsig_rdata_error(&rr);
	seen->time_signed = knot_tsig_rdata_time_signed(&rr);
	seen->orig_id = knot_tsig_rdata_orig_id(&rr);
	knot_rrset_clear(&rr, NULL);
	free(copy);
}

/*!
 * \brief A signed message whose TSIG is damaged (or missing) must be refused
 *        with the message left exactly as it was.
 */
static void check_damaged(xfr_t *x, const soa_wire_tsig_t *tp,
                          const uint8_t *signed_copy, size_t signed_size)
{
	knot_pkt_t *pkt = x->pkt;
	size_t tsig_len = signed_size - x->plain_size;
	for (int kind = 0; kind < 6; kind++) {
		memcpy(pkt->wire, signed_copy, signed_size);
		pkt->size = signed_size;
		size_t tsig_hdr = x->plain_size + 6; // owner "fuzz." is 6 bytes
		switch (kind) {
		case 0: // cut inside the TSIG
			pkt->size = signed_size - 1 - (x->id >> 2) % tsig_len;
			break;
		case 1: // cut inside the last RR before it
			pkt->size = x->plain_size - 1;
			break;
		case 2: // not a TSIG
			pkt->wire[tsig_hdr + 1] ^= 0x01;
			break;
		case 3: // RDLENGTH too long
			knot_wire_write_u16(pkt->wire + tsig_hdr + 8,
			                    knot_wire_read_u16(pkt->wire + tsig_hdr + 8) + 1);
			break;
		case 4: // a byte after it
			pkt->wire[pkt->size++] = 0;
			break;
		case 5: // no TSIG at all, ARCOUNT as before signing
			pkt->size = x->plain_size;
			knot_wire_set_arcount(pkt->wire, x->plain_arcount);
			break;
		}
		if (pkt->size < KNOT_WIRE_HEADER_SIZE) {
			continue;
		}
		size_t size = pkt->size;
		uint8_t *before = dup_bytes(pkt->wire, size);
		unsigned n;
		bool changed;
		int ret = soa_wire_xfr_edit(pkt, map_fn, &(map_ctx_t){ .delta = 1 }, tp, &n, &changed);
		CHECK(ret == KNOT_EMALF && !changed, "damaged TSIG (kind %d): %d", kind, ret);
		CHECK(pkt->size == size && memcmp(pkt->wire, before, size) == 0,
		      "damaged TSIG (kind %d): message changed", kind);
		free(before);
	}
	memcpy(pkt->wire, signed_copy, signed_size);
	pkt->size = signed_size;
}

static void scenario(xfr_t *x, sign_t how)
{
	knot_pkt_t *pkt = x->pkt;
	const ref_t *ref = x->ref;
	bool empty_mac = x->id & 2;
	const uint8_t *prev = empty_mac && how != SIGN_NEXT ? NULL : REQUEST_MAC;
	size_t prev_len = prev == NULL ? 0 : sizeof(REQUEST_MAC);
	uint64_t client_time = (uint64_t)time(NULL) - 1;

	uint8_t knot_mac[MAC_MAX];
	size_t knot_mac_len = 0;
	if (!sign(x, how, prev, prev_len, client_time, knot_mac, &knot_mac_len)) {
		return;
	}
	size_t signed_size = pkt->size;
	uint8_t *signed_copy = dup_bytes(pkt->wire, signed_size);
	seen_t seen;
	if (how != SIGN_NONE) {
		verify(signed_copy, signed_size, x->plain_size, how, prev, prev_len, &seen);
		CHECK(seen.check == KNOT_EOK, "harness: knot's own signature does not verify: %s",
		      knot_strerror(seen.check));
	}

	uint8_t new_mac[MAC_MAX];
	memset(new_mac, 0xCC, sizeof(new_mac));
	soa_wire_tsig_t t = {
		.key = &key, .prev_mac = prev, .prev_len = prev_len,
		.first = how != SIGN_NEXT,
		.tsig_rcode = how == SIGN_BADTIME ? KNOT_RCODE_BADTIME : 0,
		.time_signed = how == SIGN_BADTIME ? client_time : 0,
		.digest = new_mac, .digest_len = sizeof(new_mac),
	};
	const soa_wire_tsig_t *tp = how == SIGN_NONE ? NULL : &t;

	// A map that changes nothing: 0 (or KNOT_EMALF for an SOA without a
	// serial), message untouched.
	map_ctx_t same = { .delta = 0 };
	int want = ref_predict_xfr(ref, x->plain, 0, false, 0, MAP_ERROR, NULL);
	unsigned n;
	bool changed;
	int ret = as_count(soa_wire_xfr_edit(pkt, map_fn, &same, tp, &n, &changed), n);
	CHECK(ret == want && !changed, "identity map: %d, expected %d", ret, want);
	CHECK(pkt->size == signed_size && memcmp(pkt->wire, signed_copy, signed_size) == 0,
	      "identity map: %d but the message changed", ret);

	// A map failing on the last answer SOA's serial.
	const ref_rr_t *last = NULL;
	for (size_t k = 0; k < ref->sec_count[KNOT_ANSWER]; k++) {
		const ref_rr_t *r = &ref->rr[ref->sec_first[KNOT_ANSWER] + k];
		if (r->type == KNOT_RRTYPE_SOA && r->rdlen >= SOA_WIRE_SOA_MIN) {
			last = r;
		}
	}
	if (last != NULL) {
		map_ctx_t failing = { .delta = 1, .fail = true,
		                      .fail_on = knot_wire_read_u32(x->plain + ref_serial_off(last)) };
		want = ref_predict_xfr(ref, x->plain, 1, true, failing.fail_on, MAP_ERROR, NULL);
		ret = as_count(soa_wire_xfr_edit(pkt, map_fn, &failing, tp, &n, &changed), n);
		CHECK(ret == want && !changed, "failing map: %d, expected %d", ret, want);
		CHECK(pkt->size == signed_size && memcmp(pkt->wire, signed_copy, signed_size) == 0,
		      "failing map: %d but the message changed", ret);
	}

	// A damaged TSIG: refused, message untouched.
	if (how != SIGN_NONE) {
		check_damaged(x, tp, signed_copy, signed_size);
	}

	// The real edit: +1 on every answer SOA serial.
	uint8_t *expect = dup_bytes(signed_copy, signed_size);
	want = ref_predict_xfr(ref, x->plain, 1, false, 0, MAP_ERROR, expect);
	map_ctx_t plus1 = { .delta = 1 };
	ret = as_count(soa_wire_xfr_edit(pkt, map_fn, &plus1, tp, &n, &changed), n);
	CHECK(ret >= 0 || !changed, "re-signing failed: %s", knot_strerror(ret));
	CHECK(changed == (ret > 0), "edit: %d, changed %d", ret, changed);
	CHECK(pkt->size == signed_size, "edit: %d, size %zu, was %zu", ret, pkt->size, signed_size);
	if (ret <= 0) {
		CHECK(memcmp(pkt->wire, signed_copy, signed_size) == 0,
		      "edit: %d but the message changed", ret);
	}
	CHECK(ret == want, "edit: %d, expected %d", ret, want);
	if (ret > 0) {
		// Everything before the TSIG: the answer SOA serials moved, nothing else.
		CHECK(memcmp(pkt->wire, expect, x->plain_size) == 0,
		      "edit: more than the answer SOA serials changed");
	}
	if (ret > 0 && how != SIGN_NONE) {
		verify(pkt->wire, pkt->size, x->plain_size, how, prev, prev_len, &seen);
		CHECK(seen.check == KNOT_EOK, "edited message does not verify: %s",
		      knot_strerror(seen.check));
		CHECK(seen.mac_len == knot_mac_len && memcmp(seen.mac, new_mac, seen.mac_len) == 0,
		      "the new MAC is not handed back");
		CHECK(seen.error == (how == SIGN_BADTIME ? KNOT_RCODE_BADTIME : 0),
		      "TSIG error %u", seen.error);
		if (how == SIGN_BADTIME) {
			CHECK(seen.time_signed == client_time, "BADTIME: client time not kept");
		}
		CHECK(seen.orig_id == x->id, "TSIG original ID %u, message %u", seen.orig_id, x->id);
	}
	free(expect);
	free(signed_copy);
}

static void run_all(xfr_t *x)
{
	fuzz_context = (x->id & 1) ? "first message, BADTIME" : "first message";
	scenario(x, (x->id & 1) ? SIGN_BADTIME : SIGN_FIRST);
	fuzz_context = "later message";
	scenario(x, SIGN_NEXT);
	fuzz_context = "unsigned";
	scenario(x, SIGN_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (!key_ok || len + ROOM > UINT16_MAX) {
		return 0;
	}

	// Parse; a TSIG the input carries is cut off by libknot.
	uint8_t *buf0 = NULL;
	knot_pkt_t *p0 = parse_exact(data, len, &buf0);
	if (p0 == NULL) {
		return 0;
	}

	// The message as knotd holds it before signing: metadata for every
	// RR, room behind it. Exactly sized for that room.
	size_t plain_size = p0->size;
	knot_pkt_t *pkt = knot_pkt_new(NULL, plain_size + ROOM, NULL);
	CHECK(pkt != NULL, "harness: allocation");
	memcpy(pkt->wire, p0->wire, plain_size);
	pkt->size = plain_size;
	knot_pkt_free(p0);
	free(buf0);
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		knot_pkt_free(pkt);
		return 0;
	}
	CHECK(pkt->tsig_rr == NULL && pkt->size == plain_size, "harness: TSIG left");

	ref_t ref;
	ref_build(pkt, &ref);
	for (size_t i = 0; i < ref.n; i++) {
		// Signing changes ARCOUNT: an owner name compressed through it
		// (never in knotd's messages) would change meaning.
		if (!ref.rr[i].ptr_owner && ref_name_touches(pkt->wire, plain_size, ref.rr[i].pos, 10, 12)) {
			ref_free(&ref);
			knot_pkt_free(pkt);
			return 0;
		}
	}
	uint8_t *plain = dup_bytes(pkt->wire, plain_size);
	xfr_t x = {
		.pkt = pkt, .ref = &ref, .plain = plain, .plain_size = plain_size,
		.plain_arcount = knot_wire_get_arcount(plain), .id = knot_wire_get_id(plain),
	};
	run_all(&x);

	view_t v;
	if (view_grouped(&v, pkt, &ref) > 0) {
		v.pkt.size = plain_size;
		x.pkt = &v.pkt;
		run_all(&x);
	}
	view_free(&v);

	free(plain);
	ref_free(&ref);
	knot_pkt_free(pkt);
	return 0;
}
