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
 * \brief SOA queries and NOTIFY messages the module sends, and their replies.
 */

#include <string.h>

#include "soa/msg.h"
#include "soa/wire.h"

/*! \brief A packet over a caller's buffer with a question (opcode QUERY). */
static int start(knot_pkt_t **out, uint8_t *buf, size_t max, uint16_t id,
                 const knot_dname_t *zone)
{
	knot_pkt_t *pkt = knot_pkt_new(buf, max, NULL);
	if (pkt == NULL) {
		return KNOT_ENOMEM;
	}
	// Given a buffer, libknot assumes a received message: start empty.
	knot_pkt_clear(pkt);
	knot_wire_set_id(pkt->wire, id);
	int ret = knot_pkt_put_question(pkt, zone, KNOT_CLASS_IN, KNOT_RRTYPE_SOA);
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return ret;
	}
	*out = pkt;
	return KNOT_EOK;
}

int soa_msg_query(uint8_t *buf, size_t max, uint16_t id, const knot_dname_t *name,
                  uint16_t qtype, size_t *len)
{
	// Sent often: written directly, no packet allocated. Header (QDCOUNT 1,
	// flags clear), QNAME, QTYPE, QCLASS IN.
	size_t qlen = knot_dname_size(name);
	size_t size = KNOT_WIRE_HEADER_SIZE + qlen + 4;
	if (size > max) {
		return KNOT_ESPACE;
	}
	memset(buf, 0, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_id(buf, id);
	knot_wire_set_qdcount(buf, 1);
	memcpy(buf + KNOT_WIRE_HEADER_SIZE, name, qlen);
	knot_wire_write_u16(buf + KNOT_WIRE_HEADER_SIZE + qlen, qtype);
	knot_wire_write_u16(buf + KNOT_WIRE_HEADER_SIZE + qlen + 2, KNOT_CLASS_IN);
	*len = size;
	return KNOT_EOK;
}

int soa_msg_notify(uint8_t *buf, size_t max, uint16_t id, const soa_msg_soa_t *soa,
                   const knot_tsig_key_t *key, uint8_t *mac, size_t *mac_len, size_t *len)
{
	if (soa->rdlen < SOA_WIRE_SOA_MIN || soa->rdlen > 2 * 255 + SOA_WIRE_SOA_TAIL) {
		return KNOT_EINVAL;
	}

	knot_pkt_t *pkt;
	int ret = start(&pkt, buf, max, id, soa->zone);
	if (ret != KNOT_EOK) {
		return ret;
	}

	// RFC 1996 §3.7: NOTIFY, AA, and the new SOA as an (unsecure) hint.
	knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_NOTIFY);
	knot_wire_set_aa(pkt->wire);

	uint8_t rd[2 * 255 + SOA_WIRE_SOA_TAIL];
	memcpy(rd, soa->rdata, soa->rdlen);
	knot_wire_write_u32(rd + soa->rdlen - SOA_WIRE_SOA_TAIL, soa->serial);
	knot_rrset_t rr;
	knot_rrset_init(&rr, (knot_dname_t *)soa->zone, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, soa->ttl);
	ret = knot_rrset_add_rdata(&rr, rd, soa->rdlen, NULL);
	if (ret == KNOT_EOK) {
		ret = knot_pkt_begin(pkt, KNOT_ANSWER);
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, &rr, 0);
	}

	size_t size = pkt->size;
	if (ret == KNOT_EOK && key != NULL && key->name != NULL) {
		ret = knot_tsig_sign(pkt->wire, &size, max, NULL, 0, mac, mac_len, key, 0, 0);
	} else if (mac_len != NULL) {
		*mac_len = 0;
	}
	knot_rdataset_clear(&rr.rrs, NULL);
	knot_pkt_free(pkt);

	if (ret == KNOT_EOK) {
		*len = size;
	}
	return ret;
}

int soa_msg_notify_reply(const uint8_t *buf, size_t len, uint16_t id,
                         const knot_dname_t *zone, const knot_tsig_key_t *key,
                         const uint8_t *mac, size_t mac_len, uint16_t *rcode)
{
	// Cheap filters before parsing: header, ID, QR, opcode.
	if (len < KNOT_WIRE_HEADER_SIZE) {
		return KNOT_EMALF;
	}
	if (knot_wire_get_id(buf) != id || !knot_wire_get_qr(buf) ||
	    knot_wire_get_opcode(buf) != KNOT_OPCODE_NOTIFY) {
		return KNOT_ENOENT;
	}

	uint8_t copy[KNOT_WIRE_MAX_PKTSIZE];
	if (len > sizeof(copy)) {
		return KNOT_EMALF;
	}
	memcpy(copy, buf, len);
	knot_pkt_t *pkt = knot_pkt_new(copy, len, NULL);
	if (pkt == NULL) {
		return KNOT_ENOMEM;
	}
	int ret = knot_pkt_parse(pkt, 0);
	if (ret != KNOT_EOK) {
		knot_pkt_free(pkt);
		return KNOT_EMALF;
	}

	// The question must be ours (RFC 1996 §3.10 echoes it).
	const knot_dname_t *qname = knot_pkt_qname(pkt);
	if (qname == NULL || !knot_dname_is_case_equal(qname, zone) ||
	    knot_pkt_qtype(pkt) != KNOT_RRTYPE_SOA) {
		knot_pkt_free(pkt);
		return KNOT_ENOENT;
	}

	// A signed NOTIFY needs a signed reply made with the request MAC.
	ret = KNOT_EOK;
	if (key != NULL && key->name != NULL) {
		if (pkt->tsig_rr == NULL) {
			ret = KNOT_TSIG_EBADSIG;
		} else {
			ret = knot_tsig_client_check(pkt->tsig_rr, pkt->wire, pkt->size,
			                             mac, mac_len, key, 0);
		}
	}
	*rcode = knot_pkt_ext_rcode(pkt);
	knot_pkt_free(pkt);
	return ret;
}
