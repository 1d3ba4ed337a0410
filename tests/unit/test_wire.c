/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief Wire patching: results checked by re-parsing, every bound tested. */

#include <stdlib.h>
#include <string.h>

#include "soa/wire.h"
#include "tap.h"

#define ORIGIN "example.test."

/* Test fixtures built with libknot, the way knotd builds answers. */

static knot_rrset_t *rrsets[256];
static unsigned rrset_n;

static knot_rrset_t *rrset(const char *owner, uint16_t type, uint32_t ttl)
{
	knot_dname_t *name = knot_dname_from_str_alloc(owner);
	knot_rrset_t *rr = knot_rrset_new(name, type, KNOT_CLASS_IN, ttl, NULL);
	knot_dname_free(name, NULL);
	rrsets[rrset_n++] = rr;
	return rr;
}

static void add(knot_rrset_t *rr, const void *data, uint16_t len)
{
	if (knot_rrset_add_rdata(rr, data, len, NULL) != KNOT_EOK) {
		abort();
	}
}

static uint16_t name_wire(uint8_t *out, const char *name)
{
	knot_dname_t *d = knot_dname_from_str_alloc(name);
	uint16_t len = knot_dname_size(d);
	memcpy(out, d, len);
	knot_dname_free(d, NULL);
	return len;
}

static knot_rrset_t *soa(uint32_t ttl, uint32_t serial, uint32_t minimum)
{
	uint8_t rd[300];
	uint16_t len = name_wire(rd, "ns1." ORIGIN);
	len += name_wire(rd + len, "hostmaster." ORIGIN);
	uint32_t tail[5] = { serial, 7200, 3600, 1209600, minimum };
	for (int i = 0; i < 5; i++) {
		knot_wire_write_u32(rd + len + 4 * i, tail[i]);
	}
	knot_rrset_t *rr = rrset(ORIGIN, KNOT_RRTYPE_SOA, ttl);
	add(rr, rd, len + 20);
	return rr;
}

/*! \brief RRSIG RDATA covering a type, with an Original TTL field. */
static knot_rrset_t *rrsig(const char *owner, uint16_t covered, uint32_t ttl, uint32_t orig_ttl)
{
	uint8_t rd[300] = { 0 };
	knot_wire_write_u16(rd, covered);
	rd[2] = 13;                          // algorithm
	rd[3] = 2;                           // labels
	knot_wire_write_u32(rd + 4, orig_ttl);
	knot_wire_write_u32(rd + 8, 2000000000);
	knot_wire_write_u32(rd + 12, 1000000000);
	knot_wire_write_u16(rd + 16, 12345);
	uint16_t len = 18 + name_wire(rd + 18, ORIGIN);
	memset(rd + len, 0xAB, 64);          // signature
	knot_rrset_t *rr = rrset(owner, KNOT_RRTYPE_RRSIG, ttl);
	add(rr, rd, len + 64);
	return rr;
}

static knot_rrset_t *nsec(const char *owner, uint32_t ttl)
{
	uint8_t rd[300];
	uint16_t len = name_wire(rd, "zz." ORIGIN);
	const uint8_t bitmap[] = { 0, 1, 0x40 }; // A
	memcpy(rd + len, bitmap, sizeof(bitmap));
	knot_rrset_t *rr = rrset(owner, KNOT_RRTYPE_NSEC, ttl);
	add(rr, rd, len + sizeof(bitmap));
	return rr;
}

static knot_rrset_t *nsec3(const char *owner, uint32_t ttl, int count)
{
	knot_rrset_t *rr = rrset(owner, KNOT_RRTYPE_NSEC3, ttl);
	for (int i = 0; i < count; i++) {
		uint8_t rd[64] = { 1, 0, 0, 0, 0, 20 }; // alg, flags, iterations(2), salt len 0, hash len
		memset(rd + 6, 'a' + i, 20);
		rd[26] = 0; rd[27] = 1; rd[28] = 0x40;
		add(rr, rd, 29);
	}
	return rr;
}

static knot_rrset_t *a_rr(const char *owner, uint32_t ttl, int count)
{
	knot_rrset_t *rr = rrset(owner, KNOT_RRTYPE_A, ttl);
	for (int i = 0; i < count; i++) {
		uint8_t ip[4] = { 192, 0, 2, (uint8_t)(i + 1) };
		add(rr, ip, 4);
	}
	return rr;
}

static knot_pkt_t *response(const char *qname, uint16_t qtype)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	knot_dname_t *q = knot_dname_from_str_alloc(qname);
	knot_pkt_put_question(pkt, q, KNOT_CLASS_IN, qtype);
	knot_dname_free(q, NULL);
	return pkt;
}

static void put(knot_pkt_t *pkt, knot_section_t sec, knot_rrset_t *rr)
{
	if (pkt->current != sec) {
		knot_pkt_begin(pkt, sec);
	}
	if (knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, rr, 0) != KNOT_EOK) {
		abort();
	}
}

static void free_all(knot_pkt_t *pkt)
{
	knot_pkt_free(pkt);
	for (unsigned i = 0; i < rrset_n; i++) {
		knot_rrset_free(rrsets[i], NULL);
	}
	rrset_n = 0;
}

/*! \brief Re-parses the wire like a client would. */
static knot_pkt_t *reparse(const knot_pkt_t *pkt)
{
	knot_pkt_t *p = knot_pkt_new(NULL, pkt->size, NULL);
	memcpy(p->wire, pkt->wire, pkt->size);
	p->size = pkt->size;
	if (knot_pkt_parse(p, 0) != KNOT_EOK) {
		knot_pkt_free(p);
		return NULL;
	}
	return p;
}

/*! \brief TTL of every parsed RR of a type in a section ("all equal" check). */
static int all_ttl(const knot_pkt_t *p, knot_section_t s, uint16_t type, uint32_t ttl)
{
	const knot_pktsection_t *sec = knot_pkt_section(p, s);
	int n = 0;
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->type == type) {
			if (rr->ttl != ttl) {
				return -1;
			}
			n++;
		}
	}
	return n;
}

static uint32_t parsed_serial(const knot_pkt_t *p, knot_section_t s, int nth)
{
	const knot_pktsection_t *sec = knot_pkt_section(p, s);
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->type == KNOT_RRTYPE_SOA && nth-- == 0) {
			return knot_soa_serial(rr->rrs.rdata);
		}
	}
	return 0;
}

/* Tests. */

static void test_rr_at(void)
{
	// Message: header, then one RR with an uncompressed owner "a." TYPE A.
	uint8_t w[64] = { 0 };
	size_t pos = 12;
	w[pos] = 1; w[pos + 1] = 'a'; w[pos + 2] = 0;          // owner
	knot_wire_write_u16(w + pos + 3, KNOT_RRTYPE_A);
	knot_wire_write_u16(w + pos + 5, KNOT_CLASS_IN);
	knot_wire_write_u32(w + pos + 7, 300);
	knot_wire_write_u16(w + pos + 11, 4);
	memcpy(w + pos + 13, "\xc0\x00\x02\x01", 4);
	size_t size = pos + 17;

	soa_wire_rr_t rr;
	is_int(KNOT_EOK, soa_wire_rr_at(w, size, pos, &rr), "exact fit parses");
	is_int(pos + 3, rr.hdr, "header after the 3-byte owner");
	is_int(size, rr.end, "end of RDATA");
	is_int(KNOT_RRTYPE_A, rr.type, "type");
	is_int(300, soa_wire_ttl(w, &rr), "ttl");
	is_int(KNOT_EMALF, soa_wire_rr_at(w, size - 1, pos, &rr), "RDATA cut by one byte");
	is_int(KNOT_EMALF, soa_wire_rr_at(w, pos + 3 + 9, pos, &rr), "fixed header cut");
	is_int(KNOT_EMALF, soa_wire_rr_at(w, size, size, &rr), "position at the end");
	is_int(KNOT_EMALF, soa_wire_rr_at(w, size, size + 100, &rr), "position past the end");
	is_int(KNOT_EMALF, soa_wire_rr_at(w, pos + 2, pos, &rr), "owner cut");

	// A compression pointer owner (2 bytes), as knotd writes most owners.
	uint8_t c[32] = { 0 };
	c[12] = 0xC0; c[13] = 0x0C;
	knot_wire_write_u16(c + 14, KNOT_RRTYPE_A);
	knot_wire_write_u16(c + 22, 0);
	is_int(KNOT_EOK, soa_wire_rr_at(c, 24, 12, &rr), "pointer owner, empty RDATA");
	is_int(14, rr.hdr, "pointer owner is 2 bytes");

	// Invalid names go through the bounded libknot check.
	uint8_t bad[32] = { 0 };
	bad[12] = 64;                                           // label too long
	is_int(KNOT_EMALF, soa_wire_rr_at(bad, sizeof(bad), 12, &rr), "label over 63");
	bad[12] = 0x80;                                         // reserved label type
	is_int(KNOT_EMALF, soa_wire_rr_at(bad, sizeof(bad), 12, &rr), "reserved label bits");
	bad[12] = 5; bad[13] = 'a';                             // runs past the end
	is_int(KNOT_EMALF, soa_wire_rr_at(bad, 14, 12, &rr), "name runs past the end");

	// SOA serial accessors refuse short or non-SOA RDATA.
	uint8_t s[64] = { 0 };
	soa_wire_rr_t srr = { .hdr = 0, .end = 10 + 21, .type = KNOT_RRTYPE_SOA, .rdlen = 21 };
	uint32_t serial = 7;
	is_int(KNOT_EMALF, soa_wire_soa_serial(s, &srr, &serial), "SOA RDATA of 21 bytes");
	is_int(KNOT_EMALF, soa_wire_set_soa_serial(s, &srr, 99), "no write into short SOA");
	uint8_t zero[64] = { 0 };
	ok(memcmp(s, zero, sizeof(s)) == 0, "buffer untouched");
	srr.rdlen = 22; srr.end = 32; srr.type = KNOT_RRTYPE_A;
	is_int(KNOT_EMALF, soa_wire_set_soa_serial(s, &srr, 99), "not an SOA");
	srr.type = KNOT_RRTYPE_SOA;
	is_int(KNOT_EOK, soa_wire_set_soa_serial(s, &srr, 0x01020304), "minimal SOA");
	is_int(KNOT_EOK, soa_wire_soa_serial(s, &srr, &serial), "read back");
	is_int(0x01020304, serial, "serial at end - 20");
	is_int(0x01020304, knot_wire_read_u32(s + 12), "written at RDATA + names");
}

static void test_negative_plain(void)
{
	knot_pkt_t *pkt = response("nx." ORIGIN, KNOT_RRTYPE_A);
	put(pkt, KNOT_AUTHORITY, soa(7200, 501, 300));

	uint32_t serial = 2026112100;
	unsigned n = 99;
	is_int(KNOT_EOK, soa_wire_negative(pkt, 60, &serial, &n), "patched");
	is_int(1, n, "  one SOA written");
	knot_pkt_t *p = reparse(pkt);
	ok(p != NULL, "still parses");
	is_int(1, all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_SOA, 60), "SOA TTL 60");
	is_int(2026112100, parsed_serial(p, KNOT_AUTHORITY, 0), "serial published");
	knot_pkt_free(p);

	is_int(KNOT_EOK, soa_wire_negative(pkt, 30, NULL, &n), "again without serial");
	is_int(1, n, "  one RR written");
	p = reparse(pkt);
	is_int(1, all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_SOA, 30), "SOA TTL 30");
	is_int(2026112100, parsed_serial(p, KNOT_AUTHORITY, 0), "serial left alone");
	knot_pkt_free(p);
	free_all(pkt);
}

static void test_negative_dnssec(void)
{
	knot_pkt_t *pkt = response("nx." ORIGIN, KNOT_RRTYPE_A);
	put(pkt, KNOT_AUTHORITY, soa(7200, 501, 300));
	put(pkt, KNOT_AUTHORITY, nsec("a." ORIGIN, 300));
	put(pkt, KNOT_AUTHORITY, nsec3("h." ORIGIN, 300, 3));
	put(pkt, KNOT_AUTHORITY, rrsig(ORIGIN, KNOT_RRTYPE_SOA, 300, 7200));
	put(pkt, KNOT_AUTHORITY, rrsig("a." ORIGIN, KNOT_RRTYPE_NSEC, 300, 300));
	put(pkt, KNOT_AUTHORITY, rrsig("h." ORIGIN, KNOT_RRTYPE_NSEC3, 300, 300));
	put(pkt, KNOT_AUTHORITY, rrsig("x." ORIGIN, KNOT_RRTYPE_A, 3600, 3600));
	put(pkt, KNOT_AUTHORITY, a_rr("x." ORIGIN, 3600, 1));

	uint32_t serial = 2026112100;
	unsigned n = 0;
	is_int(KNOT_EOK, soa_wire_negative(pkt, 45, &serial, &n), "patched");
	is_int(1 + 1 + 3 + 3, n, "  SOA, NSEC, three NSEC3 and three RRSIGs written");
	knot_pkt_t *p = reparse(pkt);
	ok(p != NULL, "still parses");
	is_int(1, all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_SOA, 45), "SOA");
	is_int(1, all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_NSEC, 45), "NSEC");
	is_int(3, all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_NSEC3, 45), "all three NSEC3 RRs");
	is_int(1, all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_A, 3600), "unrelated RRs untouched");

	// RRSIG header TTLs follow their type; Original TTL fields never change.
	const knot_pktsection_t *sec = knot_pkt_section(p, KNOT_AUTHORITY);
	int sigs_ok = 0, orig_ok = 0;
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->type != KNOT_RRTYPE_RRSIG) {
			continue;
		}
		uint16_t covered = knot_rrsig_type_covered(rr->rrs.rdata);
		uint32_t orig = knot_rrsig_original_ttl(rr->rrs.rdata);
		uint32_t want_ttl = covered == KNOT_RRTYPE_A ? 3600 : 45;
		uint32_t want_orig = covered == KNOT_RRTYPE_SOA ? 7200 :
		                     covered == KNOT_RRTYPE_A ? 3600 : 300;
		sigs_ok += (rr->ttl == want_ttl);
		orig_ok += (orig == want_orig);
	}
	is_int(4, sigs_ok, "RRSIG TTLs: covered SOA/NSEC/NSEC3 aligned, covered A kept");
	is_int(4, orig_ok, "RRSIG Original TTL fields untouched");
	knot_pkt_free(p);
	free_all(pkt);
}

static void test_negative_many(void)
{
	// More RRs than the single-pass edit list holds.
	knot_pkt_t *pkt = response("nx." ORIGIN, KNOT_RRTYPE_A);
	put(pkt, KNOT_AUTHORITY, soa(7200, 501, 300));
	put(pkt, KNOT_AUTHORITY, nsec3("h." ORIGIN, 300, 40));
	uint32_t serial = 77;
	unsigned n = 0;
	is_int(KNOT_EOK, soa_wire_negative(pkt, 5, &serial, &n), "patched");
	is_int(41, n, "  beyond the remembered edits: a second pass wrote all 41");
	knot_pkt_t *p = reparse(pkt);
	is_int(40, all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_NSEC3, 5), "all 40 NSEC3 RRs");
	is_int(77, parsed_serial(p, KNOT_AUTHORITY, 0), "serial");
	knot_pkt_free(p);
	free_all(pkt);
}

static void test_negative_malformed(void)
{
	knot_pkt_t *pkt = response("nx." ORIGIN, KNOT_RRTYPE_A);
	put(pkt, KNOT_AUTHORITY, soa(7200, 501, 300));
	put(pkt, KNOT_AUTHORITY, nsec3("h." ORIGIN, 300, 2));
	uint8_t before[KNOT_WIRE_MAX_PKTSIZE];
	memcpy(before, pkt->wire, pkt->size);
	size_t size = pkt->size;
	uint32_t serial = 2026112100;
	unsigned n;

	// Metadata claiming more RRs than the wire has.
	uint16_t idx = pkt->sections[KNOT_AUTHORITY].pos + 1;
	pkt->rr[idx].rrs.count = 3;
	is_int(KNOT_EMALF, soa_wire_negative(pkt, 60, &serial, &n), "RR count beyond the wire");
	is_int(0, n, "  none written");
	ok(memcmp(before, pkt->wire, size) == 0, "  nothing written");
	pkt->rr[idx].rrs.count = 2;

	// The message cut inside the last RR.
	pkt->size = size - 1;
	is_int(KNOT_EMALF, soa_wire_negative(pkt, 60, &serial, &n), "last RR cut");
	ok(memcmp(before, pkt->wire, size) == 0, "  nothing written");
	pkt->size = size;

	// A position outside the message.
	uint16_t saved = pkt->rr_info[idx].pos;
	pkt->rr_info[idx].pos = size + 10;
	is_int(KNOT_EMALF, soa_wire_negative(pkt, 60, &serial, &n), "position past the end");
	ok(memcmp(before, pkt->wire, size) == 0, "  nothing written");
	pkt->rr_info[idx].pos = saved;

	// A section pointing past the RRs the packet has.
	pkt->sections[KNOT_AUTHORITY].count = 5;
	is_int(KNOT_EMALF, soa_wire_negative(pkt, 60, &serial, &n), "section beyond rrset_count");
	ok(memcmp(before, pkt->wire, size) == 0, "  nothing written");
	pkt->sections[KNOT_AUTHORITY].count = 2;

	is_int(KNOT_EOK, soa_wire_negative(pkt, 60, &serial, &n), "intact again: patched");
	is_int(3, n, "  SOA and two NSEC3 RRs");
	free_all(pkt);
}

static void test_answer_serial(void)
{
	knot_pkt_t *pkt = response(ORIGIN, KNOT_RRTYPE_ANY);
	put(pkt, KNOT_ANSWER, a_rr(ORIGIN, 300, 1));
	put(pkt, KNOT_ANSWER, soa(7200, 501, 300));
	unsigned n = 99;
	is_int(KNOT_EOK, soa_wire_answer_serial(pkt, 777, 2026112100, &n), "other serial");
	is_int(0, n, "  nothing rewritten");
	is_int(KNOT_EOK, soa_wire_answer_serial(pkt, 501, 2026112100, &n), "matching serial");
	is_int(1, n, "  rewritten");
	knot_pkt_t *p = reparse(pkt);
	is_int(2026112100, parsed_serial(p, KNOT_ANSWER, 0), "published in the answer");
	is_int(1, all_ttl(p, KNOT_ANSWER, KNOT_RRTYPE_SOA, 7200), "answer TTL unchanged");
	knot_pkt_free(p);
	pkt->size -= 1;
	uint8_t before[512];
	memcpy(before, pkt->wire, pkt->size);
	is_int(KNOT_EMALF, soa_wire_answer_serial(pkt, 2026112100, 5, &n), "cut message refused");
	ok(memcmp(before, pkt->wire, pkt->size) == 0, "  nothing written");
	free_all(pkt);
}

static void test_floor(void)
{
	knot_pkt_t *pkt = response("www." ORIGIN, KNOT_RRTYPE_A);
	put(pkt, KNOT_ANSWER, a_rr("www." ORIGIN, 60, 3));
	put(pkt, KNOT_AUTHORITY, a_rr("ns." ORIGIN, 600, 1));
	put(pkt, KNOT_ADDITIONAL, a_rr("x." ORIGIN, 10, 1));
	knot_rrset_t opt;
	knot_edns_init(&opt, 1232, 0, 0, NULL);
	knot_pkt_begin(pkt, KNOT_ADDITIONAL);
	knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, 0);
	uint32_t opt_ttl_before = 0;
	knot_pkt_t *p0 = reparse(pkt);
	opt_ttl_before = p0->opt_rr->ttl;
	knot_pkt_free(p0);

	unsigned n = 0;
	is_int(KNOT_EOK, soa_wire_floor(pkt, 300, &n), "floor");
	is_int(4, n, "  three answer RRs and one glue RR raised");
	knot_pkt_t *p = reparse(pkt);
	is_int(3, all_ttl(p, KNOT_ANSWER, KNOT_RRTYPE_A, 300), "answer raised to 300");
	is_int(1, all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_A, 600), "600 kept");
	ok(p->opt_rr != NULL && p->opt_rr->ttl == opt_ttl_before, "OPT flags untouched");
	knot_pkt_free(p);
	is_int(KNOT_EOK, soa_wire_floor(pkt, 300, &n), "again");
	is_int(0, n, "  idempotent");
	knot_rrset_clear(&opt, NULL);
	free_all(pkt);
}

typedef struct {
	uint32_t from, to, fail;
	int calls;
} map_t;

static int map_fn(void *ctx, uint32_t *serial)
{
	map_t *m = ctx;
	m->calls++;
	if (*serial == m->fail) {
		return KNOT_ENOENT;
	}
	if (*serial == m->from) {
		*serial = m->to;
	}
	return KNOT_EOK;
}

static void test_xfr_map(void)
{
	knot_pkt_t *pkt = response(ORIGIN, KNOT_RRTYPE_AXFR);
	put(pkt, KNOT_ANSWER, soa(7200, 501, 300));
	put(pkt, KNOT_ANSWER, a_rr("www." ORIGIN, 60, 2));
	put(pkt, KNOT_ANSWER, soa(7200, 400, 300));
	put(pkt, KNOT_ANSWER, soa(7200, 501, 300));
	uint8_t before[512];
	memcpy(before, pkt->wire, pkt->size);

	map_t m = { .from = 501, .to = 2026112100, .fail = 400 };
	unsigned n = 99;
	is_int(KNOT_ENOENT, soa_wire_xfr_map(pkt, map_fn, &m, &n), "failing map stops the walk");
	is_int(0, n, "  none mapped");
	ok(memcmp(before, pkt->wire, pkt->size) == 0, "  nothing written, not even the first SOA");

	m.fail = 1;
	is_int(KNOT_EOK, soa_wire_xfr_map(pkt, map_fn, &m, &n), "map");
	is_int(2, n, "  first and last SOA mapped");
	knot_pkt_t *p = reparse(pkt);
	is_int(2026112100, parsed_serial(p, KNOT_ANSWER, 0), "first");
	is_int(400, parsed_serial(p, KNOT_ANSWER, 1), "unmapped serial left");
	is_int(2026112100, parsed_serial(p, KNOT_ANSWER, 2), "last");
	knot_pkt_free(p);
	free_all(pkt);
}

static void test_tsig_find(void)
{
	knot_tsig_key_t key;
	is_int(KNOT_EOK, knot_tsig_key_init(&key, "hmac-sha256", "k.", "c2VjcmV0c2VjcmV0c2VjcmV0"),
	       "test key");
	knot_pkt_t *pkt = response(ORIGIN, KNOT_RRTYPE_AXFR);
	put(pkt, KNOT_ANSWER, soa(7200, 501, 300));
	is_int(KNOT_ENOENT, ({ size_t x; soa_wire_tsig_find(pkt, &x); }), "unsigned: no TSIG");

	size_t unsigned_size = pkt->size;
	uint8_t digest[64];
	size_t dlen = sizeof(digest);
	is_int(KNOT_EOK, knot_tsig_sign(pkt->wire, &pkt->size, pkt->max_size, NULL, 0,
	                                digest, &dlen, &key, 0, 0), "signed");
	size_t pos = 0;
	is_int(KNOT_EOK, soa_wire_tsig_find(pkt, &pos), "TSIG found");
	is_int(unsigned_size, pos, "right after the last RR");

	pkt->size += 1;
	is_int(KNOT_EMALF, soa_wire_tsig_find(pkt, &pos), "trailing byte refused");
	pkt->size -= 2;
	is_int(KNOT_EMALF, soa_wire_tsig_find(pkt, &pos), "cut TSIG refused");
	knot_tsig_key_deinit(&key);
	free_all(pkt);
}

static void test_xfr_edit(void)
{
	knot_tsig_key_t key;
	knot_tsig_key_init(&key, "hmac-sha256", "k.", "c2VjcmV0c2VjcmV0c2VjcmV0");
	uint8_t request_mac[32];
	memset(request_mac, 0x5a, sizeof(request_mac));

	// Message 1 of a transfer, signed the way knotd signs it.
	knot_pkt_t *pkt = response(ORIGIN, KNOT_RRTYPE_AXFR);
	put(pkt, KNOT_ANSWER, soa(7200, 501, 300));
	put(pkt, KNOT_ANSWER, a_rr("www." ORIGIN, 60, 2));
	uint8_t knot_mac[64];
	size_t dlen = sizeof(knot_mac);
	knot_tsig_sign(pkt->wire, &pkt->size, pkt->max_size, request_mac, sizeof(request_mac),
	               knot_mac, &dlen, &key, 0, 0);
	uint8_t signed_copy[512];
	size_t signed_size = pkt->size;
	memcpy(signed_copy, pkt->wire, signed_size);

	uint8_t new_mac[64];
	soa_wire_tsig_t t = { .key = &key, .prev_mac = request_mac, .prev_len = sizeof(request_mac),
	                      .first = true, .digest = new_mac, .digest_len = 32 };

	// A map that changes nothing leaves the signed message byte for byte.
	map_t m = { .from = 777, .to = 1, .fail = 1 };
	unsigned n = 99;
	bool changed = true;
	is_int(KNOT_EOK, soa_wire_xfr_edit(pkt, map_fn, &m, &t, &n, &changed), "nothing to map");
	ok(n == 0 && !changed, "  none mapped, not changed");
	ok(pkt->size == signed_size && memcmp(pkt->wire, signed_copy, signed_size) == 0,
	   "  message unchanged, TSIG kept");

	// A failing map also leaves it whole.
	m = (map_t){ .from = 501, .to = 2026112100, .fail = 501 };
	is_int(KNOT_ENOENT, soa_wire_xfr_edit(pkt, map_fn, &m, &t, &n, &changed), "failing map");
	ok(!changed, "  not changed");
	ok(pkt->size == signed_size && memcmp(pkt->wire, signed_copy, signed_size) == 0,
	   "  message unchanged");

	// A real edit: the serial changes and a new TSIG verifies.
	m = (map_t){ .from = 501, .to = 2026112100, .fail = 1 };
	is_int(KNOT_EOK, soa_wire_xfr_edit(pkt, map_fn, &m, &t, &n, &changed), "edit");
	ok(n == 1 && changed, "  SOA rewritten, message changed");
	is_int(signed_size, pkt->size, "  same size");
	knot_pkt_t *p = reparse(pkt);
	ok(p != NULL && p->tsig_rr != NULL, "  parses with a TSIG");
	is_int(2026112100, parsed_serial(p, KNOT_ANSWER, 0), "  serial published");
	is_int(KNOT_EOK, knot_tsig_client_check(p->tsig_rr, p->wire, p->size, request_mac,
	                                        sizeof(request_mac), &key, 0),
	       "  client check of the new TSIG passes");
	ok(memcmp(new_mac, knot_tsig_rdata_mac(p->tsig_rr), 32) == 0, "  new MAC handed back");
	knot_pkt_free(p);

	free_all(pkt);

	// Unsigned message without TSIG: refused as signed, edited as unsigned.
	pkt = response(ORIGIN, KNOT_RRTYPE_AXFR);
	put(pkt, KNOT_ANSWER, soa(7200, 501, 300));
	is_int(KNOT_EMALF, soa_wire_xfr_edit(pkt, map_fn, &m, &t, &n, &changed), "no TSIG to replace");
	ok(!changed, "  not changed");
	is_int(KNOT_EOK, soa_wire_xfr_edit(pkt, map_fn, &m, NULL, &n, &changed), "unsigned edit");
	ok(n == 1 && changed, "  rewritten");

	// A signature that fails: the message was changed and must not be sent.
	knot_pkt_t *sig = response(ORIGIN, KNOT_RRTYPE_AXFR);
	put(sig, KNOT_ANSWER, soa(7200, 501, 300));
	uint8_t mac2[64];
	size_t mlen = sizeof(mac2);
	knot_tsig_sign(sig->wire, &sig->size, sig->max_size, request_mac, sizeof(request_mac),
	               mac2, &mlen, &key, 0, 0);
	sig->max_size = sig->size - 1;           // no room to sign again
	is_int(KNOT_ESPACE, soa_wire_xfr_edit(sig, map_fn, &m, &t, &n, &changed), "no room to sign");
	ok(changed, "  reported changed: not to be sent");
	knot_pkt_free(sig);
	free_all(pkt);
	knot_tsig_key_deinit(&key);
}

static void test_soa_at(void)
{
	// knotd's negative answer: one SOA, its owner a pointer to the question.
	knot_pkt_t *pkt = response(ORIGIN, KNOT_RRTYPE_A);
	knot_pkt_begin(pkt, KNOT_AUTHORITY);
	knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, soa(7200, 501, 300), 0);
	uint32_t ttl = 60, serial = 2026112100;
	is_int(KNOT_EOK, soa_wire_soa_at(pkt, 0, &ttl, &serial), "lone SOA written");
	knot_pkt_t *p = reparse(pkt);
	ok(p != NULL && all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_SOA, 60) == 1 &&
	   parsed_serial(p, KNOT_AUTHORITY, 0) == 2026112100, "  TTL and serial as asked");
	knot_pkt_free(p);
	ttl = 30;
	is_int(KNOT_EOK, soa_wire_soa_at(pkt, 0, &ttl, NULL), "TTL only");
	p = reparse(pkt);
	ok(p != NULL && all_ttl(p, KNOT_AUTHORITY, KNOT_RRTYPE_SOA, 30) == 1 &&
	   parsed_serial(p, KNOT_AUTHORITY, 0) == 2026112100, "  serial kept");
	knot_pkt_free(p);

	uint8_t before[512];
	memcpy(before, pkt->wire, pkt->size);
	pkt->size -= 1;
	is_int(KNOT_EMALF, soa_wire_soa_at(pkt, 0, &ttl, &serial), "cut RDATA");
	pkt->size += 1;
	pkt->wire[pkt->rr_info[0].pos + 3] = KNOT_RRTYPE_A;        // TYPE low byte
	is_int(KNOT_EMALF, soa_wire_soa_at(pkt, 0, &ttl, &serial), "not an SOA");
	ok(memcmp(before + 4, pkt->wire + 4, pkt->rr_info[0].pos - 4) == 0, "  nothing written");
	pkt->size = pkt->rr_info[0].pos + 11;
	is_int(KNOT_ENOENT, soa_wire_soa_at(pkt, 0, &ttl, &serial), "header cut: not the shape");
	free_all(pkt);

	// An uncompressed owner (nothing to point to): the general edit's job.
	pkt = response("x.invalid.", KNOT_RRTYPE_A);
	put(pkt, KNOT_AUTHORITY, soa(7200, 501, 300));
	is_int(KNOT_ENOENT, soa_wire_soa_at(pkt, 0, &ttl, &serial), "owner not a pointer");
	free_all(pkt);

	// Two RRs in the RRSet: the general edit's job.
	pkt = response(ORIGIN, KNOT_RRTYPE_A);
	knot_rrset_t *two = a_rr(ORIGIN, 60, 2);
	knot_pkt_begin(pkt, KNOT_ANSWER);
	knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, two, 0);
	is_int(KNOT_ENOENT, soa_wire_soa_at(pkt, 0, &ttl, NULL), "two RRs: not the shape");
	free_all(pkt);
}

int main(void)
{
	test_rr_at();
	test_soa_at();
	test_negative_plain();
	test_negative_dnssec();
	test_negative_many();
	test_negative_malformed();
	test_answer_serial();
	test_floor();
	test_xfr_map();
	test_tsig_find();
	test_xfr_edit();
	return done_testing();
}
