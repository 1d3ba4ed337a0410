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
 *        Pure: libknot only.
 *
 * Every edit reads and writes only inside [0, size) of the wire and changes
 * no lengths, so compression pointers stay valid. Edits of a knot_pkt_t use
 * its RR metadata (rr_info[].pos, rr[].type, rr[].rrs.count) only to find
 * RRs; the RDATA the metadata points to is zone data shared between threads
 * and is never written.
 *
 * One walker (soa_wire_edit()) runs every edit in two passes: the first
 * locates every RR of the sections with a bounded cursor and asks the
 * operation which to write, the second writes. So an edit either writes
 * everything it selected or, if anything is out of bounds or malformed,
 * nothing. Functions return KNOT_E* codes; counts are out-parameters.
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

/*! \brief RRs an edit remembers from its first pass; an edit writing more
 *         walks the section again to write (and asks its visitor again). */
#define SOA_WIRE_EDITS_MAX 32

/*! \brief Location of one RR in a wire. */
typedef struct {
	size_t hdr;     /*!< Offset of TYPE (just past the owner name). */
	size_t end;     /*!< Offset just past the RDATA. */
	uint16_t type;  /*!< RR type. */
	uint16_t rdlen; /*!< RDATA length. */
} soa_wire_rr_t;

/*!
 * \brief A bounded cursor over a message with a sticky error (wire_ctx
 *        semantics): the first read outside the message sets error, and
 *        every later call does nothing; check error once at the end.
 */
typedef struct {
	const uint8_t *wire;
	size_t size;
	size_t pos;
	bool in_place;  /*!< Names are not checked, only skipped: for a pass over RRs a
	                     first pass validated (earlier writes may have changed bytes
	                     a later name is compressed through, never lengths). */
	int error;      /*!< KNOT_EOK, or KNOT_EMALF once anything did not fit. */
} soa_wire_cursor_t;

/*! \brief Starts a cursor at pos. */
static inline soa_wire_cursor_t soa_wire_cursor(const uint8_t *wire, size_t size, size_t pos)
{
	soa_wire_cursor_t c = { wire, size, pos, false, pos < size ? KNOT_EOK : KNOT_EMALF };
	return c;
}

/*!
 * \brief Locates the RR at the cursor (owner, fixed header and RDATA all in
 *        the message) and moves past it. Does nothing once c->error is set.
 */
void soa_wire_next_rr(soa_wire_cursor_t *c, soa_wire_rr_t *rr);

/*!
 * \brief Locates the RR starting at pos.
 *
 * \retval KNOT_EOK    The whole RR lies within the message.
 * \retval KNOT_EMALF  It does not, or the owner name is invalid.
 */
static inline int soa_wire_rr_at(const uint8_t *wire, size_t size, size_t pos,
                                 soa_wire_rr_t *rr)
{
	soa_wire_cursor_t c = soa_wire_cursor(wire, size, pos);
	soa_wire_next_rr(&c, rr);
	return c.error;
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
 * \brief Reads the SERIAL of a located SOA RR (MNAME and RNAME may be
 *        compressed: it is counted from the end, RFC 1035 §3.3.13).
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

/*! \brief An edit, as the walker's visitor. */
typedef struct {
	/*!
	 * First pass: whether to write this RR, and the value to write.
	 * \return 1 to write, 0 to skip, or a KNOT_E* error that stops the
	 *         edit before anything is written.
	 */
	int (*select)(void *ctx, const uint8_t *wire, const soa_wire_rr_t *rr, uint32_t *value);
	/*! Second pass: writes one selected RR. */
	void (*write)(void *ctx, uint8_t *wire, const soa_wire_rr_t *rr, uint32_t value);
} soa_wire_op_t;

/*!
 * \brief Runs an edit over every RR of sections from..to (the walker).
 *
 * Each RRSet of n RRs is n consecutive wire RRs from rr_info[].pos on, and
 * RRSets follow each other: metadata that goes back or beyond rrset_count
 * (a message knotd did not build) is refused, so no RR is seen twice.
 *
 * \param pkt      Message.
 * \param from     First section.
 * \param to       Last section.
 * \param op       The edit.
 * \param ctx      Its context.
 * \param written  Output: RRs written (0 on error).
 *
 * \return KNOT_EOK, KNOT_EMALF (metadata or wire out of bounds), or the
 *         edit's error; with an error nothing is written.
 */
int soa_wire_edit(knot_pkt_t *pkt, knot_section_t from, knot_section_t to,
                  const soa_wire_op_t *op, void *ctx, unsigned *written);

/*!
 * \brief The one shortcut: RRSet i is one SOA RR whose owner is a
 *        compression pointer, as knotd writes the SOA of negative answers
 *        and of SOA answers; the caller knows it is alone in its section.
 *        Inline. It pays: bench/hotpath.c under callgrind measured 197
 *        instructions per unsigned negative answer with it and 423 through
 *        soa_wire_negative() alone, 181 and 364 per SOA answer (2026-11-30).
 *
 * \param pkt     Response.
 * \param i       RRSet index (< pkt->rrset_count).
 * \param ttl     TTL to write, NULL to keep.
 * \param serial  Serial to write, NULL to keep.
 *
 * \retval KNOT_EOK     Written.
 * \retval KNOT_ENOENT  Not that shape: nothing written, use the edits below.
 * \retval KNOT_EMALF   That shape but not intact: nothing written.
 */
static inline int soa_wire_soa_at(knot_pkt_t *pkt, uint16_t i, const uint32_t *ttl,
                                  const uint32_t *serial)
{
	// rr_info[].pos is 16 bits: the sums below cannot wrap.
	size_t pos = pkt->rr_info[i].pos;
	uint8_t *wire = pkt->wire;
	if (pkt->rr[i].rrs.count != 1 || pos + 2 + SOA_WIRE_RR_HDR > pkt->size ||
	    (wire[pos] & 0xC0) != 0xC0) {
		return KNOT_ENOENT;
	}
	uint8_t *hdr = wire + pos + 2;
	size_t rdlen = knot_wire_read_u16(hdr + 8);
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
	return KNOT_EOK;
}

/*!
 * \brief Applies the negative-answer TTL to the authority section.
 *
 * Sets the TTL of every RR of the SOA, NSEC and NSEC3 RRSets and of the
 * RRSIGs covering those types (RFC 2308 §3, RFC 9077 §3), leaving RRSIG
 * Original TTL fields alone, and optionally the SOA serial.
 *
 * \param pkt     Response in construction.
 * \param ttl     Negative TTL.
 * \param serial  Serial to write into the SOA, NULL to keep it.
 * \param soas    Output: SOA RRs found.
 *
 * \return KNOT_EOK or KNOT_EMALF (nothing written).
 */
int soa_wire_negative(knot_pkt_t *pkt, uint32_t ttl, const uint32_t *serial, unsigned *soas);

/*!
 * \brief Rewrites the serial of every SOA in the answer section that holds
 *        the given real serial.
 *
 * \return KNOT_EOK or KNOT_EMALF (nothing written); *rewritten SOAs.
 */
int soa_wire_answer_serial(knot_pkt_t *pkt, uint32_t real, uint32_t serial,
                           unsigned *rewritten);

/*!
 * \brief Raises every TTL in the answer, authority and additional sections
 *        to at least minimum (RFC 1035 §3.3.13). OPT and TSIG are skipped.
 *
 * \return KNOT_EOK or KNOT_EMALF (nothing written); *raised RRs.
 */
int soa_wire_floor(knot_pkt_t *pkt, uint32_t minimum, unsigned *raised);

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
 * \return KNOT_EOK, KNOT_EMALF or the map's error (nothing written);
 *         *mapped SOAs whose serial changed.
 */
int soa_wire_xfr_map(knot_pkt_t *pkt, soa_wire_map_f map, void *ctx, unsigned *mapped);

/*! \brief How to sign a transfer message again after editing it. */
typedef struct {
	const knot_tsig_key_t *key; /*!< Key knotd signed the message with. */
	const uint8_t *prev_mac;    /*!< MAC the message is chained from (the request MAC
	                                 for the first message, else the previous message's). */
	size_t prev_len;            /*!< Its length. */
	bool first;                 /*!< First message of the answer. */
	uint16_t tsig_rcode;        /*!< TSIG error (first message). */
	uint64_t time_signed;       /*!< Time signed of a BADTIME request (first message). */
	uint8_t *digest;            /*!< Output: the new MAC. */
	size_t digest_len;          /*!< Its capacity. */
} soa_wire_tsig_t;

/*!
 * \brief Rewrites the SOA serials of a transfer message and, if it carries a
 *        TSIG, replaces it with a fresh signature over the edited message.
 *
 * \param pkt      Message as knotd built it (TSIG last, not in the metadata).
 * \param map      Serial mapping (see soa_wire_xfr_map()).
 * \param ctx      Mapping context.
 * \param tsig     Signing parameters, NULL for an unsigned message.
 * \param mapped   Output: SOAs rewritten (the message is signed again if > 0).
 * \param changed  Output: the message differs from what knotd built. With an
 *                 error and changed set, it must not be sent (the new
 *                 signature failed); without changed it is exactly as it was.
 *
 * \return KNOT_EOK, or an error from the shape checks, the map or signing.
 */
int soa_wire_xfr_edit(knot_pkt_t *pkt, soa_wire_map_f map, void *ctx,
                      const soa_wire_tsig_t *tsig, unsigned *mapped, bool *changed);

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
