/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief SOA queries and NOTIFY messages, checked by re-parsing. */

#include <string.h>

#include "soa/msg.h"
#include "tap.h"

static const knot_dname_t *ZONE = (const knot_dname_t *)"\x07""example\x04test";

static uint16_t soa_rdata(uint8_t *rd)
{
	memcpy(rd, "\x03ns1\x07""example\x04test\x00\x0ahostmaster\x07""example\x04test\x00", 43);
	uint32_t tail[5] = { 501, 7200, 3600, 1209600, 300 };
	for (int i = 0; i < 5; i++) {
		knot_wire_write_u32(rd + 43 + 4 * i, tail[i]);
	}
	return 63;
}

/*! \brief Parses a copy: libknot's parser strips a TSIG by editing ARCOUNT in place. */
static knot_pkt_t *parse(const uint8_t *buf, size_t len)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, len, NULL);
	memcpy(pkt->wire, buf, len);
	pkt->size = len;
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		knot_pkt_free(pkt);
		return NULL;
	}
	return pkt;
}

/*! \brief Turns a NOTIFY into the reply a secondary sends, signed if keyed. */
static size_t reply(uint8_t *buf, size_t len, uint16_t rcode, const knot_tsig_key_t *key,
                    const uint8_t *mac, size_t mac_len)
{
	knot_pkt_t *q = parse(buf, len);
	size_t qsize = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(q);
	knot_pkt_free(q);
	knot_wire_set_qr(buf);
	knot_wire_set_rcode(buf, rcode);
	knot_wire_set_ancount(buf, 0);
	knot_wire_set_arcount(buf, 0);
	size_t size = qsize;
	if (key != NULL) {
		uint8_t out[64];
		size_t olen = sizeof(out);
		knot_tsig_sign(buf, &size, SOA_MSG_MAX, mac, mac_len, out, &olen, key, 0, 0);
	}
	return size;
}

static void test_query(void)
{
	uint8_t buf[SOA_MSG_MAX];
	size_t len = 0;
	is_int(KNOT_EOK, soa_msg_query(buf, sizeof(buf), 0x1234, ZONE, KNOT_RRTYPE_SOA, &len),
	       "SOA query built");
	knot_pkt_t *p = parse(buf, len);
	ok(p != NULL, "  parses");
	is_int(0x1234, knot_wire_get_id(buf), "  id");
	is_int(KNOT_OPCODE_QUERY, knot_wire_get_opcode(buf), "  opcode QUERY");
	ok(!knot_wire_get_rd(buf) && !knot_wire_get_qr(buf), "  RD and QR clear");
	ok(knot_dname_is_equal(knot_pkt_qname(p), ZONE) && knot_pkt_qtype(p) == KNOT_RRTYPE_SOA,
	   "  question ZONE SOA");
	knot_pkt_free(p);

	is_int(KNOT_EOK, soa_msg_query(buf, sizeof(buf), 7, ZONE, KNOT_RRTYPE_A, &len), "A query");
	p = parse(buf, len);
	ok(p != NULL && knot_pkt_qtype(p) == KNOT_RRTYPE_A, "  question type A");
	knot_pkt_free(p);
	is_int(KNOT_ESPACE, soa_msg_query(buf, KNOT_WIRE_HEADER_SIZE + 4, 7, ZONE, KNOT_RRTYPE_A, &len),
	       "too small a buffer");
}

static void test_notify(void)
{
	uint8_t rd[64];
	soa_msg_soa_t soa = { ZONE, 7200, rd, soa_rdata(rd), 2026112101 };
	uint8_t buf[SOA_MSG_MAX], mac[64];
	size_t len = 0, mac_len = sizeof(mac);

	is_int(KNOT_EOK, soa_msg_notify(buf, sizeof(buf), 77, &soa, NULL, mac, &mac_len, &len),
	       "unsigned NOTIFY built");
	is_int(0, mac_len, "  no MAC");
	knot_pkt_t *p = parse(buf, len);
	ok(p != NULL, "  parses");
	is_int(KNOT_OPCODE_NOTIFY, knot_wire_get_opcode(buf), "  opcode NOTIFY");
	ok(knot_wire_get_aa(buf), "  AA set (RFC 1996 3.7)");
	const knot_pktsection_t *an = knot_pkt_section(p, KNOT_ANSWER);
	ok(an->count == 1 && knot_pkt_rr(an, 0)->type == KNOT_RRTYPE_SOA, "  SOA in the answer");
	is_int(2026112101, knot_soa_serial(knot_pkt_rr(an, 0)->rrs.rdata), "  published serial");
	is_int(7200, knot_pkt_rr(an, 0)->ttl, "  SOA TTL");
	is_int(501, knot_wire_read_u32(rd + 43), "  caller's RDATA untouched");
	knot_pkt_free(p);

	uint8_t copy[SOA_MSG_MAX];
	memcpy(copy, buf, len);
	uint16_t rcode = 99;
	size_t rlen = reply(copy, len, KNOT_RCODE_NOERROR, NULL, NULL, 0);
	is_int(KNOT_EOK, soa_msg_notify_reply(copy, rlen, 77, ZONE, NULL, NULL, 0, &rcode),
	       "reply recognized");
	is_int(KNOT_RCODE_NOERROR, rcode, "  NOERROR");
	is_int(KNOT_ENOENT, soa_msg_notify_reply(copy, rlen, 78, ZONE, NULL, NULL, 0, &rcode),
	       "other id");
	is_int(KNOT_ENOENT, soa_msg_notify_reply(copy, rlen, 77,
	       (const knot_dname_t *)"\x05other\x04test", NULL, NULL, 0, &rcode), "other zone");
	is_int(KNOT_ENOENT, soa_msg_notify_reply(buf, len, 77, ZONE, NULL, NULL, 0, &rcode),
	       "our own NOTIFY is not a reply (QR clear)");
	is_int(KNOT_EMALF, soa_msg_notify_reply(copy, 5, 77, ZONE, NULL, NULL, 0, &rcode),
	       "short datagram");
	memcpy(copy, buf, len);
	rlen = reply(copy, len, KNOT_RCODE_REFUSED, NULL, NULL, 0);
	soa_msg_notify_reply(copy, rlen, 77, ZONE, NULL, NULL, 0, &rcode);
	is_int(KNOT_RCODE_REFUSED, rcode, "refusal reported");

	// Signed: the reply must be signed with the request MAC.
	knot_tsig_key_t key;
	knot_tsig_key_init(&key, "hmac-sha256", "notify-key.", "c2VjcmV0c2VjcmV0c2VjcmV0");
	mac_len = sizeof(mac);
	is_int(KNOT_EOK, soa_msg_notify(buf, sizeof(buf), 88, &soa, &key, mac, &mac_len, &len),
	       "signed NOTIFY built");
	is_int(32, mac_len, "  request MAC kept");
	p = parse(buf, len);
	ok(p != NULL && p->tsig_rr != NULL, "  carries a TSIG");
	is_int(KNOT_EOK, knot_tsig_server_check(p->tsig_rr, p->wire, p->size, &key),
	       "  a secondary's server check passes");
	knot_pkt_free(p);

	memcpy(copy, buf, len);
	rlen = reply(copy, len, KNOT_RCODE_NOERROR, &key, mac, mac_len);
	is_int(KNOT_EOK, soa_msg_notify_reply(copy, rlen, 88, ZONE, &key, mac, mac_len, &rcode),
	       "signed reply verified");
	memcpy(copy, buf, len);
	rlen = reply(copy, len, KNOT_RCODE_NOERROR, NULL, NULL, 0);
	ok(soa_msg_notify_reply(copy, rlen, 88, ZONE, &key, mac, mac_len, &rcode) != KNOT_EOK,
	   "unsigned reply to a signed NOTIFY refused");
	memcpy(copy, buf, len);
	rlen = reply(copy, len, KNOT_RCODE_NOERROR, &key, mac, mac_len);
	copy[2] ^= 0x04;                                // flip AA after signing
	ok(soa_msg_notify_reply(copy, rlen, 88, ZONE, &key, mac, mac_len, &rcode) != KNOT_EOK,
	   "tampered reply refused");
	knot_tsig_key_deinit(&key);

	soa.rdlen = 21;
	is_int(KNOT_EINVAL, soa_msg_notify(buf, sizeof(buf), 1, &soa, NULL, NULL, NULL, &len),
	       "short SOA RDATA refused");
}

/*!
 * \brief Turns a check into a secondary's answer: QR, flags, RCODE, an SOA
 *        with the serial (0: none) in the answer section, signed if keyed
 *        (tsig_error: an unsigned TSIG with that error, as servers send
 *        when the check does not verify).
 */
static size_t answer(uint8_t *buf, size_t len, bool aa, uint16_t rcode, uint32_t serial,
                     const knot_tsig_key_t *key, const uint8_t *mac, size_t mac_len,
                     uint16_t tsig_error)
{
	knot_pkt_t *q = parse(buf, len);
	size_t qsize = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(q);
	knot_pkt_free(q);
	knot_wire_set_qr(buf);
	if (aa) {
		knot_wire_set_aa(buf);
	}
	knot_wire_set_rcode(buf, rcode);
	knot_wire_set_ancount(buf, 0);
	knot_wire_set_arcount(buf, 0);
	size_t size = qsize;
	if (serial != 0) {
		uint8_t rd[64];
		uint16_t rdlen = soa_rdata(rd);
		knot_wire_write_u32(rd + rdlen - 20, serial);
		knot_wire_write_u16(buf + size, 0xc00c);               // owner: the qname
		knot_wire_write_u16(buf + size + 2, KNOT_RRTYPE_SOA);
		knot_wire_write_u16(buf + size + 4, KNOT_CLASS_IN);
		knot_wire_write_u32(buf + size + 6, 3600);
		knot_wire_write_u16(buf + size + 10, rdlen);
		memcpy(buf + size + 12, rd, rdlen);
		size += 12 + rdlen;
		knot_wire_set_ancount(buf, 1);
	}
	if (key != NULL && tsig_error == 0) {
		uint8_t out[64];
		size_t olen = sizeof(out);
		knot_tsig_sign(buf, &size, SOA_MSG_MAX, mac, mac_len, out, &olen, key, 0, 0);
	} else if (key != NULL) {
		knot_rrset_t *tsig = knot_rrset_new(key->name, KNOT_RRTYPE_TSIG, KNOT_CLASS_ANY, 0, NULL);
		knot_tsig_create_rdata(tsig, dnssec_tsig_algorithm_to_dname(key->algorithm), 0,
		                       tsig_error);
		knot_tsig_rdata_set_orig_id(tsig, knot_wire_get_id(buf));
		knot_tsig_append(buf, &size, SOA_MSG_MAX, tsig);
		knot_rrset_free(tsig, NULL);
	}
	return size;
}

static void test_check(void)
{
	uint8_t buf[SOA_MSG_MAX], copy[SOA_MSG_MAX], mac[64];
	size_t len = 0, mac_len = sizeof(mac), rlen;
	soa_check_answer_t a;
	char cause[64];

	is_int(KNOT_EOK, soa_msg_soa_check(buf, sizeof(buf), 4242, ZONE, NULL, mac, &mac_len, &len),
	       "unsigned check built");
	is_int(0, mac_len, "  no MAC");
	ok(!knot_wire_get_rd(buf) && knot_wire_get_arcount(buf) == 0, "  RD clear, no EDNS");

	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_NOERROR, 2026113003, NULL, NULL, 0, 0);
	is_int(KNOT_EOK, soa_msg_soa_answer(copy, rlen, 4242, ZONE, NULL, NULL, 0, &a), "answer read");
	ok(a.kind == SOA_CHECK_SERIAL && a.serial == 2026113003, "  serial 2026113003");
	is_int(KNOT_ENOENT, soa_msg_soa_answer(copy, rlen, 4243, ZONE, NULL, NULL, 0, &a), "other id");
	is_int(KNOT_ENOENT, soa_msg_soa_answer(copy, rlen, 4242,
	       (const knot_dname_t *)"\x05other\x04test", NULL, NULL, 0, &a), "other zone");
	is_int(KNOT_ENOENT, soa_msg_soa_answer(buf, len, 4242, ZONE, NULL, NULL, 0, &a),
	       "the check itself is no answer");
	is_int(KNOT_EMALF, soa_msg_soa_answer(copy, 7, 4242, ZONE, NULL, NULL, 0, &a), "short");
	is_int(KNOT_EMALF, soa_msg_soa_answer(copy, rlen - 3, 4242, ZONE, NULL, NULL, 0, &a),
	       "truncated RR");

	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_REFUSED, 0, NULL, NULL, 0, 0);
	soa_msg_soa_answer(copy, rlen, 4242, ZONE, NULL, NULL, 0, &a);
	soa_msg_check_cause(&a, cause, sizeof(cause));
	ok(a.kind == SOA_CHECK_RCODE && strcmp(cause, "REFUSED") == 0, "REFUSED: %s", cause);
	memcpy(copy, buf, len);
	rlen = answer(copy, len, false, KNOT_RCODE_NOERROR, 2026113003, NULL, NULL, 0, 0);
	soa_msg_soa_answer(copy, rlen, 4242, ZONE, NULL, NULL, 0, &a);
	soa_msg_check_cause(&a, cause, sizeof(cause));
	ok(a.kind == SOA_CHECK_NOT_AUTH && strcmp(cause, "not authoritative") == 0,
	   "no AA: %s", cause);
	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_NOERROR, 0, NULL, NULL, 0, 0);
	soa_msg_soa_answer(copy, rlen, 4242, ZONE, NULL, NULL, 0, &a);
	ok(a.kind == SOA_CHECK_NO_SOA, "no SOA in the answer");

	// An SOA whose RDATA is no SOA (found by fuzz_check: libknot parses it).
	static const uint8_t bad_soa[] = {
		0x11, 0x10, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 't', 'e', 's', 't', 0x00,
		0x00, 0x06, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x06, 0x00, 0x12, 0x75, 0x00,
		0x00, 0x00, 0x00, 0x00 };
	is_int(KNOT_EOK, soa_msg_soa_answer(bad_soa, sizeof(bad_soa), 0x1110, ZONE, NULL, NULL, 0,
	       &a), "empty SOA RDATA read");
	is_int(SOA_CHECK_NO_SOA, a.kind, "  as no SOA");
	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_NOERROR, 2026113003, NULL, NULL, 0, 0);
	copy[rlen - 21] ^= 0x3f;                        // RNAME's root label: now a label
	soa_msg_soa_answer(copy, rlen, 4242, ZONE, NULL, NULL, 0, &a);
	ok(a.kind == SOA_CHECK_NO_SOA, "SOA RDATA whose names do not end where the serial starts");

	// Signed: the answer must be signed with the request MAC.
	knot_tsig_key_t key, wrong;
	knot_tsig_key_init(&key, "hmac-sha256", "check-key.", "c2VjcmV0c2VjcmV0c2VjcmV0");
	knot_tsig_key_init(&wrong, "hmac-sha256", "check-key.", "d3JvbmcgZW5vdWdoIHNlY3JldA==");
	mac_len = sizeof(mac);
	is_int(KNOT_EOK, soa_msg_soa_check(buf, sizeof(buf), 77, ZONE, &key, mac, &mac_len, &len),
	       "signed check built");
	is_int(32, mac_len, "  request MAC kept");
	knot_pkt_t *p = parse(buf, len);
	ok(p != NULL && p->tsig_rr != NULL &&
	   knot_tsig_server_check(p->tsig_rr, p->wire, p->size, &key) == KNOT_EOK,
	   "  a secondary's server check passes");
	ok(p != NULL && knot_tsig_server_check(p->tsig_rr, p->wire, p->size, &wrong) != KNOT_EOK,
	   "  and fails with another secret");
	knot_pkt_free(p);

	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_NOERROR, 2026113003, &key, mac, mac_len, 0);
	soa_msg_soa_answer(copy, rlen, 77, ZONE, &key, mac, mac_len, &a);
	ok(a.kind == SOA_CHECK_SERIAL && a.serial == 2026113003, "signed answer verified");

	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_NOERROR, 2026113003, NULL, NULL, 0, 0);
	soa_msg_soa_answer(copy, rlen, 77, ZONE, &key, mac, mac_len, &a);
	soa_msg_check_cause(&a, cause, sizeof(cause));
	ok(a.kind == SOA_CHECK_TSIG && strcmp(cause, "TSIG, unsigned answer, NOERROR") == 0,
	   "unsigned answer to a signed check: %s", cause);

	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_NOTAUTH, 0, &key, NULL, 0, KNOT_RCODE_BADSIG);
	soa_msg_soa_answer(copy, rlen, 77, ZONE, &key, mac, mac_len, &a);
	soa_msg_check_cause(&a, cause, sizeof(cause));
	ok(a.kind == SOA_CHECK_TSIG && strcmp(cause, "TSIG, BADSIG") == 0,
	   "the secondary refused our signature: %s", cause);

	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_NOERROR, 2026113003, &wrong, mac, mac_len, 0);
	soa_msg_soa_answer(copy, rlen, 77, ZONE, &key, mac, mac_len, &a);
	soa_msg_check_cause(&a, cause, sizeof(cause));
	ok(a.kind == SOA_CHECK_TSIG && strncmp(cause, "TSIG, ", 6) == 0,
	   "answer signed with another secret: %s", cause);

	memcpy(copy, buf, len);
	rlen = answer(copy, len, true, KNOT_RCODE_NOERROR, 2026113003, &key, mac, mac_len, 0);
	copy[2] ^= 0x04;                                // flip AA after signing
	soa_msg_soa_answer(copy, rlen, 77, ZONE, &key, mac, mac_len, &a);
	ok(a.kind == SOA_CHECK_TSIG, "tampered answer refused");
	knot_tsig_key_deinit(&key);
	knot_tsig_key_deinit(&wrong);
}

int main(void)
{
	test_query();
	test_notify();
	test_check();
	return done_testing();
}
