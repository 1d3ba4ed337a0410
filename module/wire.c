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
 * \brief Bounded in-place edits of a DNS message.
 */

#include "soa/wire.h"

/*! \brief Most RRs a negative answer's authority section is expected to hold
 *         (SOA, NSEC3 x3 and their RRSIGs make 8); more falls back to two passes. */
#define EDITS_MAX 32

/*! \brief One pending TTL (and maybe serial) write. */
typedef struct {
	soa_wire_rr_t rr;
	bool serial;
} edit_t;

int soa_wire_soa_serial(const uint8_t *wire, const soa_wire_rr_t *rr, uint32_t *serial)
{
	if (rr->type != KNOT_RRTYPE_SOA || rr->rdlen < SOA_WIRE_SOA_MIN) {
		return KNOT_EMALF;
	}
	// MNAME and RNAME may be compressed: count from the end (RFC 1035 §3.3.13).
	*serial = knot_wire_read_u32(wire + rr->end - SOA_WIRE_SOA_TAIL);
	return KNOT_EOK;
}

int soa_wire_set_soa_serial(uint8_t *wire, const soa_wire_rr_t *rr, uint32_t serial)
{
	if (rr->type != KNOT_RRTYPE_SOA || rr->rdlen < SOA_WIRE_SOA_MIN) {
		return KNOT_EMALF;
	}
	knot_wire_write_u32(wire + rr->end - SOA_WIRE_SOA_TAIL, serial);
	return KNOT_EOK;
}

/*!
 * \brief Visitor called for every RR of a walked section range.
 *
 * \return KNOT_EOK to go on, an error to stop the walk.
 */
typedef int (*visit_f)(void *ctx, knot_pkt_t *pkt, const soa_wire_rr_t *rr);

/*!
 * \brief Locates the RR at pos by its bytes in place, without following
 *        compression pointers: for a write pass over RRs a first walk has
 *        validated. Earlier writes (TTLs, serials) may have changed bytes a
 *        later name is compressed through, never the RRs' own lengths.
 */
static int rr_in_place(const uint8_t *wire, size_t size, size_t pos, soa_wire_rr_t *rr)
{
	size_t p = pos;
	while (p < size && wire[p] != 0 && (wire[p] & 0xC0) != 0xC0) {
		p += 1 + (size_t)wire[p];
	}
	p += (p < size && wire[p] != 0) ? 2 : 1;
	return soa_wire_rr_from_hdr(wire, size, p, rr);
}

/*!
 * \brief Walks every RR of sections [from, to] using the RRSet metadata.
 *
 * Each RRSet of n RRs is n consecutive wire RRs from rr_info[].pos on, and
 * RRSets follow each other: metadata that goes back (a message knotd did not
 * build) is refused, so no RR is visited twice.
 *
 * \param validated  A first walk over the same sections succeeded: locate RRs
 *                   in place (see rr_in_place()).
 */
static int walk(knot_pkt_t *pkt, knot_section_t from, knot_section_t to,
                visit_f visit, void *ctx, bool validated)
{
	size_t next = 0;
	for (knot_section_t s = from; s <= to; s++) {
		const knot_pktsection_t *sec = &pkt->sections[s];
		for (uint16_t i = 0; i < sec->count; i++) {
			uint16_t idx = sec->pos + i;
			if (idx >= pkt->rrset_count) {
				return KNOT_EMALF;
			}
			size_t pos = pkt->rr_info[idx].pos;
			if (pos < next) {
				return KNOT_EMALF;
			}
			for (uint16_t k = 0; k < pkt->rr[idx].rrs.count; k++) {
				soa_wire_rr_t rr;
				int ret = validated ? rr_in_place(pkt->wire, pkt->size, pos, &rr) :
				          soa_wire_rr_at(pkt->wire, pkt->size, pos, &rr);
				if (ret != KNOT_EOK) {
					return KNOT_EMALF;
				}
				ret = visit(ctx, pkt, &rr);
				if (ret != KNOT_EOK) {
					return ret;
				}
				pos = rr.end;
			}
			next = pos;
		}
	}
	return KNOT_EOK;
}

/*! \brief True for the RR types whose TTL a negative answer must align. */
static bool negative_type(const uint8_t *wire, const soa_wire_rr_t *rr)
{
	switch (rr->type) {
	case KNOT_RRTYPE_SOA:
	case KNOT_RRTYPE_NSEC:
	case KNOT_RRTYPE_NSEC3:
		return true;
	case KNOT_RRTYPE_RRSIG:
		// Type Covered is the first RDATA field.
		if (rr->rdlen < 2) {
			return false;
		}
		switch (knot_wire_read_u16(wire + rr->hdr + SOA_WIRE_RR_HDR)) {
		case KNOT_RRTYPE_SOA:
		case KNOT_RRTYPE_NSEC:
		case KNOT_RRTYPE_NSEC3:
			return true;
		default:
			return false;
		}
	default:
		return false;
	}
}

/*! \brief Context of the negative-answer walk. */
typedef struct {
	uint32_t ttl;
	const uint32_t *serial;
	edit_t edits[EDITS_MAX];
	unsigned count;   /*!< Edits collected or, in the write pass, made. */
	int soas;         /*!< SOA RRs seen. */
	bool write;       /*!< Second pass: write directly. */
} negative_ctx_t;

static void negative_apply(uint8_t *wire, const soa_wire_rr_t *rr, bool serial,
                           const negative_ctx_t *nc)
{
	soa_wire_set_ttl(wire, rr, nc->ttl);
	if (serial) {
		(void)soa_wire_set_soa_serial(wire, rr, *nc->serial);
	}
}

static int negative_visit(void *ctx, knot_pkt_t *pkt, const soa_wire_rr_t *rr)
{
	negative_ctx_t *nc = ctx;
	if (!negative_type(pkt->wire, rr)) {
		return KNOT_EOK;
	}

	// An SOA whose serial cannot be located makes the whole message suspect.
	bool serial = false;
	if (rr->type == KNOT_RRTYPE_SOA) {
		if (rr->rdlen < SOA_WIRE_SOA_MIN) {
			return KNOT_EMALF;
		}
		nc->soas++;
		serial = (nc->serial != NULL);
	}

	if (nc->write) {
		negative_apply(pkt->wire, rr, serial, nc);
	} else if (nc->count < EDITS_MAX) {
		nc->edits[nc->count].rr = *rr;
		nc->edits[nc->count].serial = serial;
	}
	nc->count++;
	return KNOT_EOK;
}

/*!
 * \brief Locates the only RR of a section holding exactly one RRSet of one RR.
 *
 * \return True with *rr set if the section has that shape and the RR is intact.
 */
static bool single_rr(const knot_pkt_t *pkt, knot_section_t sec_id, soa_wire_rr_t *rr)
{
	const knot_pktsection_t *sec = &pkt->sections[sec_id];
	if (sec->count != 1 || sec->pos >= pkt->rrset_count ||
	    pkt->rr[sec->pos].rrs.count != 1) {
		return false;
	}
	return soa_wire_rr_at(pkt->wire, pkt->size, pkt->rr_info[sec->pos].pos, rr) == KNOT_EOK;
}

int soa_wire_negative(knot_pkt_t *pkt, uint32_t ttl, const uint32_t *serial)
{
	// Common case: the authority section is just the SOA (no DNSSEC).
	soa_wire_rr_t one;
	if (single_rr(pkt, KNOT_AUTHORITY, &one) && one.type == KNOT_RRTYPE_SOA) {
		if (one.rdlen < SOA_WIRE_SOA_MIN) {
			return KNOT_EMALF;
		}
		soa_wire_set_ttl(pkt->wire, &one, ttl);
		if (serial != NULL) {
			(void)soa_wire_set_soa_serial(pkt->wire, &one, *serial);
		}
		return 1;
	}

	negative_ctx_t nc = { .ttl = ttl, .serial = serial };

	// Validate everything and remember what to write.
	int ret = walk(pkt, KNOT_AUTHORITY, KNOT_AUTHORITY, negative_visit, &nc, false);
	if (ret != KNOT_EOK) {
		return ret;
	}

	if (nc.count <= EDITS_MAX) {
		for (unsigned i = 0; i < nc.count; i++) {
			negative_apply(pkt->wire, &nc.edits[i].rr, nc.edits[i].serial, &nc);
		}
	} else {
		// Validated already: a second walk cannot fail.
		nc.write = true;
		nc.count = 0;
		nc.soas = 0;
		(void)walk(pkt, KNOT_AUTHORITY, KNOT_AUTHORITY, negative_visit, &nc, true);
	}
	return nc.soas;
}

/*! \brief Context of the answer-serial walk. */
typedef struct {
	uint32_t real;
	uint32_t serial;
	bool write;
	int count;
} answer_ctx_t;

static int answer_visit(void *ctx, knot_pkt_t *pkt, const soa_wire_rr_t *rr)
{
	answer_ctx_t *ac = ctx;
	if (rr->type != KNOT_RRTYPE_SOA) {
		return KNOT_EOK;
	}
	uint32_t cur;
	if (soa_wire_soa_serial(pkt->wire, rr, &cur) != KNOT_EOK) {
		return KNOT_EMALF;
	}
	if (cur == ac->real) {
		if (ac->write) {
			(void)soa_wire_set_soa_serial(pkt->wire, rr, ac->serial);
		}
		ac->count++;
	}
	return KNOT_EOK;
}

int soa_wire_answer_serial(knot_pkt_t *pkt, uint32_t real, uint32_t serial)
{
	// Common case: the answer is just the SOA.
	soa_wire_rr_t one;
	if (single_rr(pkt, KNOT_ANSWER, &one)) {
		uint32_t cur;
		if (one.type != KNOT_RRTYPE_SOA) {
			return 0;
		}
		if (soa_wire_soa_serial(pkt->wire, &one, &cur) != KNOT_EOK) {
			return KNOT_EMALF;
		}
		if (cur != real) {
			return 0;
		}
		(void)soa_wire_set_soa_serial(pkt->wire, &one, serial);
		return 1;
	}

	answer_ctx_t ac = { .real = real, .serial = serial };

	// Only RRSets the metadata says are SOAs are walked in the common case,
	// but a malformed SOA anywhere in the answer leaves the message alone.
	int ret = walk(pkt, KNOT_ANSWER, KNOT_ANSWER, answer_visit, &ac, false);
	if (ret != KNOT_EOK || ac.count == 0) {
		return ret == KNOT_EOK ? 0 : ret;
	}
	ac.write = true;
	ac.count = 0;
	(void)walk(pkt, KNOT_ANSWER, KNOT_ANSWER, answer_visit, &ac, true);
	return ac.count;
}

/*! \brief Context of the floor walk. */
typedef struct {
	uint32_t minimum;
	bool write;
	int count;
} floor_ctx_t;

static int floor_visit(void *ctx, knot_pkt_t *pkt, const soa_wire_rr_t *rr)
{
	floor_ctx_t *fc = ctx;
	if (rr->type == KNOT_RRTYPE_OPT || rr->type == KNOT_RRTYPE_TSIG) {
		return KNOT_EOK;
	}
	if (soa_wire_ttl(pkt->wire, rr) < fc->minimum) {
		if (fc->write) {
			soa_wire_set_ttl(pkt->wire, rr, fc->minimum);
		}
		fc->count++;
	}
	return KNOT_EOK;
}

int soa_wire_floor(knot_pkt_t *pkt, uint32_t minimum)
{
	floor_ctx_t fc = { .minimum = minimum };

	int ret = walk(pkt, KNOT_ANSWER, KNOT_ADDITIONAL, floor_visit, &fc, false);
	if (ret != KNOT_EOK || fc.count == 0) {
		return ret == KNOT_EOK ? 0 : ret;
	}
	fc.write = true;
	fc.count = 0;
	(void)walk(pkt, KNOT_ANSWER, KNOT_ADDITIONAL, floor_visit, &fc, true);
	return fc.count;
}

/*! \brief Context of the transfer walk. */
typedef struct {
	soa_wire_map_f map;
	void *ctx;
	bool write;
	int count;
} xfr_ctx_t;

static int xfr_visit(void *ctx, knot_pkt_t *pkt, const soa_wire_rr_t *rr)
{
	xfr_ctx_t *xc = ctx;
	if (rr->type != KNOT_RRTYPE_SOA) {
		return KNOT_EOK;
	}
	uint32_t serial;
	if (soa_wire_soa_serial(pkt->wire, rr, &serial) != KNOT_EOK) {
		return KNOT_EMALF;
	}
	uint32_t orig = serial;
	int ret = xc->map(xc->ctx, &serial);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (serial != orig) {
		if (xc->write) {
			(void)soa_wire_set_soa_serial(pkt->wire, rr, serial);
		}
		xc->count++;
	}
	return KNOT_EOK;
}

int soa_wire_xfr_map(knot_pkt_t *pkt, soa_wire_map_f map, void *ctx)
{
	xfr_ctx_t xc = { .map = map, .ctx = ctx };

	// Map every serial before writing any, so a failure leaves the message whole.
	int ret = walk(pkt, KNOT_ANSWER, KNOT_ANSWER, xfr_visit, &xc, false);
	if (ret != KNOT_EOK || xc.count == 0) {
		return ret == KNOT_EOK ? 0 : ret;
	}
	xc.write = true;
	xc.count = 0;
	ret = walk(pkt, KNOT_ANSWER, KNOT_ANSWER, xfr_visit, &xc, true);
	return ret == KNOT_EOK ? xc.count : ret;
}

int soa_wire_tsig_find(const knot_pkt_t *pkt, size_t *pos)
{
	// Start after the question, or after the last RR the metadata knows.
	size_t next = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(pkt);
	if (pkt->rrset_count > 0) {
		uint16_t last = pkt->rrset_count - 1;
		size_t p = pkt->rr_info[last].pos;
		for (uint16_t k = 0; k < pkt->rr[last].rrs.count; k++) {
			soa_wire_rr_t rr;
			if (soa_wire_rr_at(pkt->wire, pkt->size, p, &rr) != KNOT_EOK) {
				return KNOT_EMALF;
			}
			p = rr.end;
		}
		next = p;
	}
	if (next >= pkt->size) {
		return next == pkt->size ? KNOT_ENOENT : KNOT_EMALF;
	}

	// Exactly one TSIG RR must fill the rest of the message.
	soa_wire_rr_t rr;
	if (soa_wire_rr_at(pkt->wire, pkt->size, next, &rr) != KNOT_EOK ||
	    rr.type != KNOT_RRTYPE_TSIG || rr.end != pkt->size) {
		return KNOT_EMALF;
	}
	*pos = next;
	return KNOT_EOK;
}

int soa_wire_xfr_edit(knot_pkt_t *pkt, soa_wire_map_f map, void *ctx,
                      const soa_wire_tsig_t *tsig)
{
	size_t size = pkt->size;
	uint16_t arcount = knot_wire_get_arcount(pkt->wire);

	// Take the TSIG off; its bytes stay in place until signed again.
	if (tsig != NULL) {
		size_t pos;
		if (arcount == 0 || soa_wire_tsig_find(pkt, &pos) != KNOT_EOK) {
			return KNOT_EMALF;
		}
		pkt->size = pos;
		knot_wire_set_arcount(pkt->wire, arcount - 1);
	}

	int ret = soa_wire_xfr_map(pkt, map, ctx);
	if (ret <= 0) {
		// Nothing changed: the message is exactly as signed.
		pkt->size = size;
		knot_wire_set_arcount(pkt->wire, arcount);
		return ret;
	}
	if (tsig == NULL) {
		return ret;
	}

	// Sign as knotd did: the first message from the request MAC with its
	// TSIG error and time, later ones chained from the previous MAC.
	size_t dlen = tsig->digest_len;
	int sret = tsig->first ?
		knot_tsig_sign(pkt->wire, &pkt->size, pkt->max_size, tsig->prev_mac,
		               tsig->prev_len, tsig->digest, &dlen, tsig->key,
		               tsig->tsig_rcode, tsig->time_signed) :
		knot_tsig_sign_next(pkt->wire, &pkt->size, pkt->max_size, tsig->prev_mac,
		                    tsig->prev_len, tsig->digest, &dlen, tsig->key,
		                    pkt->wire, pkt->size);
	if (sret != KNOT_EOK) {
		return (sret == KNOT_EMALF || sret == KNOT_ENOENT || sret == KNOT_ENOTSUP) ?
		       KNOT_ERROR : sret;
	}
	return ret;
}
