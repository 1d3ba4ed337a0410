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

/*! \brief Edits remembered by the first pass (a DNSSEC negative answer with
 *         three NSEC3 records has 8); a longer edit walks twice. */
#define EDITS_MAX SOA_WIRE_EDITS_MAX

/* The cursor and the walker. */

/*! \brief Skips a name in place: labels are not checked, pointers not followed. */
static size_t skip_name_in_place(const uint8_t *wire, size_t size, size_t p)
{
	while (p < size && wire[p] != 0 && (wire[p] & 0xC0) != 0xC0) {
		p += 1 + (size_t)wire[p];
	}
	return p + ((p < size && wire[p] != 0) ? 2 : 1);
}

void soa_wire_next_rr(soa_wire_cursor_t *c, soa_wire_rr_t *rr)
{
	if (c->error != KNOT_EOK) {
		return;
	}
	size_t p = c->pos;
	if (p >= c->size) {
		c->error = KNOT_EMALF;
		return;
	}

	// Owner: a lone compression pointer is the common case.
	if ((c->wire[p] & 0xC0) == 0xC0) {
		p += 2;
	} else if (c->in_place) {
		p = skip_name_in_place(c->wire, c->size, p);
	} else {
		int len = knot_dname_wire_check(c->wire + p, c->wire + c->size, c->wire);
		if (len <= 0) {
			c->error = KNOT_EMALF;
			return;
		}
		p += len;
	}

	// TYPE CLASS TTL RDLENGTH, then RDATA, all inside the message.
	if (p > c->size || c->size - p < SOA_WIRE_RR_HDR) {
		c->error = KNOT_EMALF;
		return;
	}
	uint16_t rdlen = knot_wire_read_u16(c->wire + p + 8);
	if (c->size - p - SOA_WIRE_RR_HDR < rdlen) {
		c->error = KNOT_EMALF;
		return;
	}
	rr->hdr = p;
	rr->end = p + SOA_WIRE_RR_HDR + rdlen;
	rr->type = knot_wire_read_u16(c->wire + p);
	rr->rdlen = rdlen;
	c->pos = rr->end;
}

/*! \brief One selected RR and the value to write into it. */
typedef struct {
	soa_wire_rr_t rr;
	uint32_t value;
} edit_t;

/*!
 * \brief One pass over the RRs of sections from..to. The first pass
 *        (edits != NULL) validates and remembers up to EDITS_MAX selected
 *        RRs; the second (edits == NULL) locates RRs in place and writes.
 *
 * \return KNOT_EOK or an error; *count RRs selected.
 */
static int walk(knot_pkt_t *pkt, knot_section_t from, knot_section_t to,
                const soa_wire_op_t *op, void *ctx, edit_t *edits, unsigned *count)
{
	size_t next = 0;
	*count = 0;
	for (knot_section_t s = from; s <= to; s++) {
		const knot_pktsection_t *sec = &pkt->sections[s];
		for (uint16_t i = 0; i < sec->count; i++) {
			uint16_t idx = sec->pos + i;
			if (idx >= pkt->rrset_count || pkt->rr_info[idx].pos < next) {
				return KNOT_EMALF;
			}
			soa_wire_cursor_t c = soa_wire_cursor(pkt->wire, pkt->size,
			                                      pkt->rr_info[idx].pos);
			c.in_place = (edits == NULL);
			for (uint16_t k = 0; k < pkt->rr[idx].rrs.count; k++) {
				soa_wire_rr_t rr;
				uint32_t value = 0;
				soa_wire_next_rr(&c, &rr);
				if (c.error != KNOT_EOK) {
					return c.error;
				}
				int ret = op->select(ctx, pkt->wire, &rr, &value);
				if (ret < 0) {
					return ret;
				} else if (ret == 0) {
					continue;
				}
				if (edits == NULL) {
					op->write(ctx, pkt->wire, &rr, value);
				} else if (*count < EDITS_MAX) {
					edits[*count] = (edit_t){ rr, value };
				}
				(*count)++;
			}
			next = c.pos;
		}
	}
	return KNOT_EOK;
}

int soa_wire_edit(knot_pkt_t *pkt, knot_section_t from, knot_section_t to,
                  const soa_wire_op_t *op, void *ctx, unsigned *written)
{
	*written = 0;
	edit_t edits[EDITS_MAX];
	unsigned count;
	int ret = walk(pkt, from, to, op, ctx, edits, &count);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (count <= EDITS_MAX) {
		for (unsigned i = 0; i < count; i++) {
			op->write(ctx, pkt->wire, &edits[i].rr, edits[i].value);
		}
	} else {
		// Validated already: the second walk cannot fail.
		(void)walk(pkt, from, to, op, ctx, NULL, &count);
	}
	*written = count;
	return KNOT_EOK;
}

/* SOA fields. */

int soa_wire_soa_serial(const uint8_t *wire, const soa_wire_rr_t *rr, uint32_t *serial)
{
	if (rr->type != KNOT_RRTYPE_SOA || rr->rdlen < SOA_WIRE_SOA_MIN) {
		return KNOT_EMALF;
	}
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

/* Negative answers: SOA, NSEC, NSEC3 and the RRSIGs covering them get the TTL. */

typedef struct {
	uint32_t ttl;
	const uint32_t *serial;
} negative_ctx_t;

static bool negative_type(uint16_t type)
{
	return type == KNOT_RRTYPE_SOA || type == KNOT_RRTYPE_NSEC || type == KNOT_RRTYPE_NSEC3;
}

static int negative_select(void *ctx, const uint8_t *wire, const soa_wire_rr_t *rr,
                           uint32_t *value)
{
	(void)ctx;
	(void)value;
	if (rr->type == KNOT_RRTYPE_RRSIG) {
		// Type Covered is the first RDATA field.
		return rr->rdlen >= 2 &&
		       negative_type(knot_wire_read_u16(wire + rr->hdr + SOA_WIRE_RR_HDR));
	}
	// An SOA whose serial cannot be located makes the whole message suspect.
	if (rr->type == KNOT_RRTYPE_SOA && rr->rdlen < SOA_WIRE_SOA_MIN) {
		return KNOT_EMALF;
	}
	return negative_type(rr->type);
}

static void negative_write(void *ctx, uint8_t *wire, const soa_wire_rr_t *rr, uint32_t value)
{
	const negative_ctx_t *nc = ctx;
	(void)value;
	soa_wire_set_ttl(wire, rr, nc->ttl);
	if (nc->serial != NULL && rr->type == KNOT_RRTYPE_SOA) {
		(void)soa_wire_set_soa_serial(wire, rr, *nc->serial);
	}
}

int soa_wire_negative(knot_pkt_t *pkt, uint32_t ttl, const uint32_t *serial, unsigned *written)
{
	static const soa_wire_op_t op = { negative_select, negative_write };
	negative_ctx_t nc = { ttl, serial };
	return soa_wire_edit(pkt, KNOT_AUTHORITY, KNOT_AUTHORITY, &op, &nc, written);
}

/* SOA answers: the serial of the zone's SOA. */

static int answer_select(void *ctx, const uint8_t *wire, const soa_wire_rr_t *rr,
                         uint32_t *value)
{
	const uint32_t *real = ctx;
	if (rr->type != KNOT_RRTYPE_SOA) {
		return 0;
	}
	// A malformed SOA anywhere in the answer leaves the message alone.
	int ret = soa_wire_soa_serial(wire, rr, value);
	return ret != KNOT_EOK ? ret : (*value == real[0]);
}

static void answer_write(void *ctx, uint8_t *wire, const soa_wire_rr_t *rr, uint32_t value)
{
	const uint32_t *real = ctx;
	(void)value;
	(void)soa_wire_set_soa_serial(wire, rr, real[1]);
}

int soa_wire_answer_serial(knot_pkt_t *pkt, uint32_t real, uint32_t serial,
                           unsigned *rewritten)
{
	static const soa_wire_op_t op = { answer_select, answer_write };
	uint32_t serials[2] = { real, serial };
	return soa_wire_edit(pkt, KNOT_ANSWER, KNOT_ANSWER, &op, serials, rewritten);
}

/* minimum-as-floor: every TTL at least MINIMUM. */

static int floor_select(void *ctx, const uint8_t *wire, const soa_wire_rr_t *rr,
                        uint32_t *value)
{
	(void)value;
	const uint32_t *minimum = ctx;
	return rr->type != KNOT_RRTYPE_OPT && rr->type != KNOT_RRTYPE_TSIG &&
	       soa_wire_ttl(wire, rr) < *minimum;
}

static void floor_write(void *ctx, uint8_t *wire, const soa_wire_rr_t *rr, uint32_t value)
{
	(void)value;
	soa_wire_set_ttl(wire, rr, *(const uint32_t *)ctx);
}

int soa_wire_floor(knot_pkt_t *pkt, uint32_t minimum, unsigned *raised)
{
	static const soa_wire_op_t op = { floor_select, floor_write };
	return soa_wire_edit(pkt, KNOT_ANSWER, KNOT_ADDITIONAL, &op, &minimum, raised);
}

/* Transfers: every SOA serial mapped by the caller. */

typedef struct {
	soa_wire_map_f map;
	void *ctx;
} xfr_ctx_t;

static int xfr_select(void *ctx, const uint8_t *wire, const soa_wire_rr_t *rr,
                      uint32_t *value)
{
	const xfr_ctx_t *xc = ctx;
	if (rr->type != KNOT_RRTYPE_SOA) {
		return 0;
	}
	uint32_t orig = 0;
	int ret = soa_wire_soa_serial(wire, rr, &orig);
	*value = orig;
	if (ret == KNOT_EOK) {
		ret = xc->map(xc->ctx, value);
	}
	return ret != KNOT_EOK ? ret : (*value != orig);
}

static void xfr_write(void *ctx, uint8_t *wire, const soa_wire_rr_t *rr, uint32_t value)
{
	(void)ctx;
	(void)soa_wire_set_soa_serial(wire, rr, value);
}

int soa_wire_xfr_map(knot_pkt_t *pkt, soa_wire_map_f map, void *ctx, unsigned *mapped)
{
	static const soa_wire_op_t op = { xfr_select, xfr_write };
	xfr_ctx_t xc = { map, ctx };
	return soa_wire_edit(pkt, KNOT_ANSWER, KNOT_ANSWER, &op, &xc, mapped);
}

int soa_wire_tsig_find(const knot_pkt_t *pkt, size_t *pos)
{
	// Start after the question, or after the last RR the metadata knows.
	size_t next = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(pkt);
	if (pkt->rrset_count > 0) {
		uint16_t last = pkt->rrset_count - 1;
		soa_wire_cursor_t c = soa_wire_cursor(pkt->wire, pkt->size, pkt->rr_info[last].pos);
		for (uint16_t k = 0; k < pkt->rr[last].rrs.count; k++) {
			soa_wire_rr_t rr;
			soa_wire_next_rr(&c, &rr);
		}
		if (c.error != KNOT_EOK) {
			return KNOT_EMALF;
		}
		next = c.pos;
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
                      const soa_wire_tsig_t *tsig, unsigned *mapped, bool *changed)
{
	size_t size = pkt->size;
	uint16_t arcount = knot_wire_get_arcount(pkt->wire);
	*mapped = 0;
	*changed = false;

	// Take the TSIG off; its bytes stay in place until signed again.
	if (tsig != NULL) {
		size_t pos;
		if (arcount == 0 || soa_wire_tsig_find(pkt, &pos) != KNOT_EOK) {
			return KNOT_EMALF;
		}
		pkt->size = pos;
		knot_wire_set_arcount(pkt->wire, arcount - 1);
	}

	int ret = soa_wire_xfr_map(pkt, map, ctx, mapped);
	if (tsig == NULL) {
		*changed = (ret == KNOT_EOK && *mapped > 0);
		return ret;
	}
	if (ret != KNOT_EOK || *mapped == 0) {
		// Nothing changed: with its TSIG back the message is exactly as signed.
		pkt->size = size;
		knot_wire_set_arcount(pkt->wire, arcount);
		return ret;
	}

	// Sign as knotd did: the first message from the request MAC with its
	// TSIG error and time, later ones chained from the previous MAC. A
	// failure leaves the message without its TSIG: it must not be sent.
	*changed = true;
	size_t dlen = tsig->digest_len;
	return tsig->first ?
		knot_tsig_sign(pkt->wire, &pkt->size, pkt->max_size, tsig->prev_mac,
		               tsig->prev_len, tsig->digest, &dlen, tsig->key,
		               tsig->tsig_rcode, tsig->time_signed) :
		knot_tsig_sign_next(pkt->wire, &pkt->size, pkt->max_size, tsig->prev_mac,
		                    tsig->prev_len, tsig->digest, &dlen, tsig->key,
		                    pkt->wire, pkt->size);
}
