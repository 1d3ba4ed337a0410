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

#include <stdio.h>
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

/*!
 * \brief Parses a reply to one of the module's queries about a zone's SOA:
 *        cheap filters first (header, ID, QR, opcode), then the whole
 *        message, whose question must be the zone's SOA.
 *
 * \param copy  Buffer of KNOT_WIRE_MAX_PKTSIZE the packet is parsed in.
 * \param pkt   Output: the parsed reply (free with knot_pkt_free()).
 *
 * \return KNOT_EOK, KNOT_ENOENT (not a reply to this), KNOT_EMALF or KNOT_ENOMEM.
 */
static int parse_reply(const uint8_t *buf, size_t len, uint16_t id, uint8_t opcode,
                       const knot_dname_t *zone, uint8_t *copy, knot_pkt_t **pkt)
{
	if (len < KNOT_WIRE_HEADER_SIZE) {
		return KNOT_EMALF;
	}
	if (knot_wire_get_id(buf) != id || !knot_wire_get_qr(buf) ||
	    knot_wire_get_opcode(buf) != opcode) {
		return KNOT_ENOENT;
	}
	if (len > KNOT_WIRE_MAX_PKTSIZE) {
		return KNOT_EMALF;
	}
	memcpy(copy, buf, len);
	*pkt = knot_pkt_new(copy, len, NULL);
	if (*pkt == NULL) {
		return KNOT_ENOMEM;
	}
	if (knot_pkt_parse(*pkt, 0) != KNOT_EOK) {
		knot_pkt_free(*pkt);
		return KNOT_EMALF;
	}
	const knot_dname_t *qname = knot_pkt_qname(*pkt);
	if (qname == NULL || !knot_dname_is_case_equal(qname, zone) ||
	    knot_pkt_qtype(*pkt) != KNOT_RRTYPE_SOA) {
		knot_pkt_free(*pkt);
		return KNOT_ENOENT;
	}
	return KNOT_EOK;
}

int soa_msg_notify_reply(const uint8_t *buf, size_t len, uint16_t id,
                         const knot_dname_t *zone, const knot_tsig_key_t *key,
                         const uint8_t *mac, size_t mac_len, uint16_t *rcode)
{
	// The question must be ours (RFC 1996 §3.10 echoes it).
	uint8_t copy[KNOT_WIRE_MAX_PKTSIZE];
	knot_pkt_t *pkt = NULL;
	int ret = parse_reply(buf, len, id, KNOT_OPCODE_NOTIFY, zone, copy, &pkt);
	if (ret != KNOT_EOK) {
		return ret;
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

int soa_msg_soa_check(uint8_t *buf, size_t max, uint16_t id, const knot_dname_t *zone,
                      const knot_tsig_key_t *key, uint8_t *mac, size_t *mac_len, size_t *len)
{
	size_t size = 0;
	int ret = soa_msg_query(buf, max, id, zone, KNOT_RRTYPE_SOA, &size);
	if (ret == KNOT_EOK && key != NULL && key->name != NULL) {
		if (mac == NULL || mac_len == NULL) {
			return KNOT_EINVAL;
		}
		ret = knot_tsig_sign(buf, &size, max, NULL, 0, mac, mac_len, key, 0, 0);
	} else if (mac_len != NULL) {
		*mac_len = 0;
	}
	if (ret == KNOT_EOK) {
		*len = size;
	}
	return ret;
}

/*! \brief The serial of the zone's SOA in the answer section, if any. */
static bool answer_serial(const knot_pkt_t *pkt, const knot_dname_t *zone, uint32_t *serial)
{
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type != KNOT_RRTYPE_SOA || rr->rrs.count == 0 ||
		    !knot_dname_is_case_equal(rr->owner, zone)) {
			continue;
		}
		// libknot does not check the RDATA's shape: two names, 20 bytes.
		const knot_rdata_t *rd = rr->rrs.rdata;
		const uint8_t *end = rd->data + rd->len;
		int mlen = knot_dname_wire_check(rd->data, end, NULL);
		int rlen = (mlen > 0) ? knot_dname_wire_check(rd->data + mlen, end, NULL) : -1;
		if (rlen > 0 && mlen + rlen + SOA_WIRE_SOA_TAIL == rd->len) {
			*serial = knot_wire_read_u32(rd->data + mlen + rlen);
			return true;
		}
	}
	return false;
}

int soa_msg_soa_answer(const uint8_t *buf, size_t len, uint16_t id, const knot_dname_t *zone,
                       const knot_tsig_key_t *key, const uint8_t *mac, size_t mac_len,
                       soa_check_answer_t *out)
{
	uint8_t copy[KNOT_WIRE_MAX_PKTSIZE];
	knot_pkt_t *pkt = NULL;
	int ret = parse_reply(buf, len, id, KNOT_OPCODE_QUERY, zone, copy, &pkt);
	if (ret != KNOT_EOK) {
		return ret;
	}

	memset(out, 0, sizeof(*out));
	out->rcode = knot_pkt_ext_rcode(pkt);

	// A signed check needs a signed answer made with the request MAC; a
	// server that could not verify the check says why in its TSIG.
	if (key != NULL && key->name != NULL) {
		if (pkt->tsig_rr == NULL) {
			out->kind = SOA_CHECK_TSIG;
			out->tsig_ret = KNOT_ENOENT;
		} else if ((out->tsig_error = knot_tsig_rdata_error(pkt->tsig_rr)) != 0) {
			out->kind = SOA_CHECK_TSIG;
			out->tsig_ret = KNOT_TSIG_EBADSIG;
		} else {
			out->tsig_ret = knot_tsig_client_check(pkt->tsig_rr, pkt->wire, pkt->size,
			                                       mac, mac_len, key, 0);
			out->kind = (out->tsig_ret == KNOT_EOK) ? SOA_CHECK_SERIAL : SOA_CHECK_TSIG;
		}
		if (out->kind == SOA_CHECK_TSIG) {
			knot_pkt_free(pkt);
			return KNOT_EOK;
		}
	}

	// Authentic: an authoritative answer with the zone's SOA.
	if (out->rcode != KNOT_RCODE_NOERROR) {
		out->kind = SOA_CHECK_RCODE;
	} else if (!knot_wire_get_aa(pkt->wire)) {
		out->kind = SOA_CHECK_NOT_AUTH;
	} else if (answer_serial(pkt, zone, &out->serial)) {
		out->kind = SOA_CHECK_SERIAL;
	} else {
		out->kind = SOA_CHECK_NO_SOA;
	}
	knot_pkt_free(pkt);
	return KNOT_EOK;
}

void soa_msg_check_cause(const soa_check_answer_t *a, char *buf, size_t len)
{
	const knot_lookup_t *name = NULL;
	switch (a->kind) {
	case SOA_CHECK_SERIAL:
		(void)snprintf(buf, len, "serial %u", a->serial);
		break;
	case SOA_CHECK_RCODE:
		name = knot_lookup_by_id(knot_rcode_names, a->rcode);
		if (name != NULL) {
			(void)snprintf(buf, len, "%s", name->name);
		} else {
			(void)snprintf(buf, len, "RCODE %u", a->rcode);
		}
		break;
	case SOA_CHECK_NOT_AUTH:
		(void)snprintf(buf, len, "not authoritative");
		break;
	case SOA_CHECK_NO_SOA:
		(void)snprintf(buf, len, "no SOA in the answer");
		break;
	case SOA_CHECK_TSIG:
		if (a->tsig_error != 0) {
			name = knot_lookup_by_id(knot_tsig_rcode_names, a->tsig_error);
			if (name != NULL) {
				(void)snprintf(buf, len, "TSIG, %s", name->name);
			} else {
				(void)snprintf(buf, len, "TSIG, error %u", a->tsig_error);
			}
		} else if (a->tsig_ret == KNOT_ENOENT) {
			// No TSIG at all, whatever the RCODE.
			name = knot_lookup_by_id(knot_rcode_names, a->rcode);
			(void)snprintf(buf, len, "TSIG, unsigned answer, %s",
			               name != NULL ? name->name : "?");
		} else {
			(void)snprintf(buf, len, "TSIG, %s", knot_strerror(a->tsig_ret));
		}
		break;
	}
}
