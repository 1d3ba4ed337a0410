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
 * \brief Bounded in-place edits of a DNS message: RR TTLs and SOA serials.
 *
 * Every function reads and writes only inside [0, size) of the wire and
 * changes no lengths, so compression pointers stay valid. Functions taking
 * a knot_pkt_t use its RR metadata (rr_info[].pos, rr[].type, rr[].rrs.count)
 * only to find RRs; the RDATA the metadata points to is zone data shared
 * between threads and is never written.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! \brief Size of TYPE, CLASS, TTL and RDLENGTH. */
#define SOA_WIRE_RR_HDR 10
/*! \brief SOA RDATA ends with SERIAL REFRESH RETRY EXPIRE MINIMUM. */
#define SOA_WIRE_SOA_TAIL 20
/*! \brief Smallest SOA RDATA: two root names and the tail. */
#define SOA_WIRE_SOA_MIN (2 + SOA_WIRE_SOA_TAIL)

/*! \brief Location of one RR in a wire. */
typedef struct {
	size_t hdr;     /*!< Offset of TYPE (just past the owner name). */
	size_t end;     /*!< Offset just past the RDATA. */
	uint16_t type;  /*!< RR type. */
	uint16_t rdlen; /*!< RDATA length. */
} soa_wire_rr_t;

/*!
 * \brief Fills rr from the fixed header at hdr (TYPE, CLASS, TTL, RDLENGTH),
 *        checking that header and RDATA fit in the message.
 */
static inline int soa_wire_rr_from_hdr(const uint8_t *wire, size_t size, size_t hdr,
                                       soa_wire_rr_t *rr)
{
	if (hdr + SOA_WIRE_RR_HDR > size) {
		return KNOT_EMALF;
	}
	uint16_t rdlen = knot_wire_read_u16(wire + hdr + 8);
	if (hdr + SOA_WIRE_RR_HDR + rdlen > size) {
		return KNOT_EMALF;
	}
	rr->hdr = hdr;
	rr->end = hdr + SOA_WIRE_RR_HDR + rdlen;
	rr->type = knot_wire_read_u16(wire + hdr);
	rr->rdlen = rdlen;
	return KNOT_EOK;
}

/*!
 * \brief Locates the RR starting at pos.
 *
 * \param wire  Message.
 * \param size  Message size.
 * \param pos   Offset of the RR's owner name.
 * \param rr    Output location.
 *
 * \retval KNOT_EOK    The whole RR lies within the message.
 * \retval KNOT_EMALF  It does not, or the owner name is invalid.
 */
static inline int soa_wire_rr_at(const uint8_t *wire, size_t size, size_t pos,
                                 soa_wire_rr_t *rr)
{
	if (pos >= size) {
		return KNOT_EMALF;
	}

	// Owner: a lone compression pointer is the common case.
	size_t owner_len;
	if ((wire[pos] & 0xC0) == 0xC0) {
		owner_len = 2;
	} else {
		int ret = knot_dname_wire_check(wire + pos, wire + size, wire);
		if (ret <= 0) {
			return KNOT_EMALF;
		}
		owner_len = ret;
	}

	return soa_wire_rr_from_hdr(wire, size, pos + owner_len, rr);
}

/*! \brief Overwrites the TTL of a located RR. */
static inline void soa_wire_set_ttl(uint8_t *wire, const soa_wire_rr_t *rr, uint32_t ttl)
{
	knot_wire_write_u32(wire + rr->hdr + 4, ttl);
}

/*! \brief Reads the TTL of a located RR. */
static inline uint32_t soa_wire_ttl(const uint8_t *wire, const soa_wire_rr_t *rr)
{
	return knot_wire_read_u32(wire + rr->hdr + 4);
}

/*!
 * \brief Reads the SERIAL of a located SOA RR.
 *
 * \retval KNOT_EOK    *serial set.
 * \retval KNOT_EMALF  Not an SOA or RDATA too short.
 */
int soa_wire_soa_serial(const uint8_t *wire, const soa_wire_rr_t *rr, uint32_t *serial);

/*!
 * \brief Overwrites the SERIAL of a located SOA RR.
 *
 * \retval KNOT_EOK    Written.
 * \retval KNOT_EMALF  Not an SOA or RDATA too short; nothing written.
 */
int soa_wire_set_soa_serial(uint8_t *wire, const soa_wire_rr_t *rr, uint32_t serial);

/*!
 * \brief Sets the TTL and/or serial of the single SOA RR of RRSet i, if its
 *        owner is a compression pointer (as knotd writes it).
 *
 * \param pkt     Response; RRSet i must be an SOA RRSet of one RR.
 * \param i       RRSet index.
 * \param ttl     TTL to write, NULL to keep.
 * \param serial  Serial to write, NULL to keep.
 *
 * \retval 1           Written.
 * \retval 0           The owner is not a pointer: use the general functions.
 * \retval KNOT_EMALF  Not an intact SOA RR inside the message: nothing written.
 */
static inline int soa_wire_soa_at(knot_pkt_t *pkt, uint16_t i,
                                  const uint32_t *ttl, const uint32_t *serial)
{
	size_t pos = pkt->rr_info[i].pos;
	uint8_t *wire = pkt->wire;
	if (pos + 2 + SOA_WIRE_RR_HDR > pkt->size || (wire[pos] & 0xC0) != 0xC0) {
		return 0;
	}
	uint8_t *hdr = wire + pos + 2;
	uint16_t rdlen = knot_wire_read_u16(hdr + 8);
	if (knot_wire_read_u16(hdr) != KNOT_RRTYPE_SOA || rdlen < SOA_WIRE_SOA_MIN ||
	    pos + 2 + SOA_WIRE_RR_HDR + rdlen > pkt->size) {
		return KNOT_EMALF;
	}
	if (ttl != NULL) {
		knot_wire_write_u32(hdr + 4, *ttl);
	}
	if (serial != NULL) {
		knot_wire_write_u32(hdr + SOA_WIRE_RR_HDR + rdlen - SOA_WIRE_SOA_TAIL, *serial);
	}
	return 1;
}

/*!
 * \brief Fast path for the common shape: a section holding exactly one SOA
 *        RR with a compressed owner (what knotd writes without DNSSEC).
 *
 * \param pkt     Response.
 * \param sec_id  Section.
 * \param ttl     TTL to write, NULL to keep.
 * \param serial  Serial to write, NULL to keep.
 *
 * \retval 1           Written.
 * \retval 0           Not that shape: use the general function.
 * \retval KNOT_EMALF  That shape but not intact: nothing written.
 */
static inline int soa_wire_lone_soa(knot_pkt_t *pkt, knot_section_t sec_id,
                                    const uint32_t *ttl, const uint32_t *serial)
{
	const knot_pktsection_t *sec = &pkt->sections[sec_id];
	uint16_t i = sec->pos;
	if (sec->count != 1 || i >= pkt->rrset_count ||
	    pkt->rr[i].type != KNOT_RRTYPE_SOA || pkt->rr[i].rrs.count != 1) {
		return 0;
	}
	return soa_wire_soa_at(pkt, i, ttl, serial);
}

/*!
 * \brief Applies the negative-answer policy to the authority section.
 *
 * Sets the TTL of every RR of the SOA, NSEC and NSEC3 RRSets and of the
 * RRSIGs covering those types (RFC 2308 §3, RFC 9077 §3), leaving RRSIG
 * Original TTL fields alone, and optionally the SOA serial. Every RR is
 * located and bounds-checked before any byte is written.
 *
 * \param pkt     Response in construction.
 * \param ttl     Negative TTL.
 * \param serial  Serial to write into the SOA, NULL to keep it.
 *
 * \return Number of SOA RRs found (>= 0), KNOT_EMALF with nothing written.
 */
int soa_wire_negative(knot_pkt_t *pkt, uint32_t ttl, const uint32_t *serial);

/*!
 * \brief Rewrites the serial of every SOA in the answer section that holds
 *        the given real serial.
 *
 * \param pkt     Response.
 * \param real    Serial to replace.
 * \param serial  Replacement.
 *
 * \return Number of SOAs rewritten (>= 0), KNOT_EMALF with nothing written.
 */
int soa_wire_answer_serial(knot_pkt_t *pkt, uint32_t real, uint32_t serial);

/*!
 * \brief Raises every TTL in the answer, authority and additional sections
 *        to at least minimum (RFC 1035 §3.3.13). OPT and TSIG are skipped.
 *
 * \param pkt      Response.
 * \param minimum  Floor.
 *
 * \return Number of RRs raised (>= 0), KNOT_EMALF with nothing written.
 */
int soa_wire_floor(knot_pkt_t *pkt, uint32_t minimum);

/*!
 * \brief Callback mapping one SOA serial found in a zone transfer.
 *
 * \param ctx     Caller context.
 * \param serial  Serial in the message (in/out).
 *
 * \return KNOT_EOK, or an error that stops the walk before anything is written.
 */
typedef int (*soa_wire_map_f)(void *ctx, uint32_t *serial);

/*!
 * \brief Maps the serial of every SOA in the answer section of a transfer
 *        message. All serials are mapped first, then all are written.
 *
 * \param pkt  Message (knot_pkt_t metadata must describe every RR but TSIG).
 * \param map  Mapping callback.
 * \param ctx  Callback context.
 *
 * \return Number of SOAs rewritten (>= 0), or an error with nothing written.
 */
int soa_wire_xfr_map(knot_pkt_t *pkt, soa_wire_map_f map, void *ctx);

/*! \brief How to sign a transfer message again after editing it. */
typedef struct {
	const knot_tsig_key_t *key; /*!< Key knotd signed the message with. */
	const uint8_t *prev_mac;    /*!< MAC the message is chained from (the request MAC
	                                 for the first message, else the previous message's). */
	size_t prev_len;            /*!< Its length. */
	bool first;                 /*!< First message of the answer. */
	uint16_t tsig_rcode;        /*!< TSIG error (first message). */
	uint64_t time_signed;       /*!< Time signed of a BADTIME request (first message). */
	uint8_t *digest;            /*!< Output: the new MAC (knotd chains the next from it). */
	size_t digest_len;          /*!< Its capacity. */
} soa_wire_tsig_t;

/*!
 * \brief Rewrites the SOA serials of a transfer message and, if it carries a
 *        TSIG, replaces it with a fresh signature over the edited message.
 *
 * \param pkt   Message as knotd built it (TSIG last, not in the metadata).
 * \param map   Serial mapping (see soa_wire_xfr_map).
 * \param ctx   Mapping context.
 * \param tsig  Signing parameters, NULL for an unsigned message.
 *
 * \return Number of SOAs rewritten (> 0, message signed again);
 *         0 or an error from the map or the shape checks with the message
 *         exactly as it was; any other error means re-signing failed and the
 *         message (now without TSIG) must not be sent.
 */
int soa_wire_xfr_edit(knot_pkt_t *pkt, soa_wire_map_f map, void *ctx,
                      const soa_wire_tsig_t *tsig);

/*! \brief soa_wire_xfr_edit() failed after the message was changed. */
static inline bool soa_wire_xfr_edit_broken(int ret)
{
	return ret < 0 && ret != KNOT_EMALF && ret != KNOT_ENOENT && ret != KNOT_ENOTSUP;
}

/*!
 * \brief Finds the TSIG RR that follows the RRs described by the metadata.
 *
 * \param pkt  Signed message.
 * \param pos  Output: offset of the TSIG RR.
 *
 * \retval KNOT_EOK    Found: the TSIG RR ends exactly at pkt->size.
 * \retval KNOT_ENOENT No RR follows the described ones.
 * \retval KNOT_EMALF  The message does not have that shape.
 */
int soa_wire_tsig_find(const knot_pkt_t *pkt, size_t *pos);
