/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*!
 * \file
 *
 * \brief Helpers shared by the libFuzzer targets: invariant checks, a
 *        reference model of a parsed message built from libknot's parse (not
 *        from the module's own RR walker), and metadata "views" that describe
 *        the same wire as knotd-style multi-RR RRSets or as deliberately wrong
 *        metadata.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "soa/wire.h"

/*! \brief What the target is doing, for the message of a failed check. */
static const char *fuzz_context = "";

/*! \brief Aborts with a message when an invariant does not hold. */
#define CHECK(cond, fmt, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant violated: %s\n  [%s] " fmt "\n", \
		        __FILE__, __LINE__, #cond, fuzz_context, ##__VA_ARGS__); \
		abort(); \
	} \
} while (0)

static inline uint8_t *dup_bytes(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len > 0 ? len : 1);
	if (p == NULL) {
		abort();
	}
	if (len > 0) {
		memcpy(p, src, len);
	}
	return p;
}

/*! \brief An edit's result as "count or error": the count when it succeeded. */
static inline int as_count(int ret, unsigned count)
{
	return ret == KNOT_EOK ? (int)count : ret;
}

/*! \brief Small deterministic generator for input-derived choices. */
typedef struct {
	uint64_t s;
} prng_t;

static inline uint32_t prng_next(prng_t *r)
{
	// splitmix64
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/*
 * Reference model.
 *
 * One entry per wire RR that libknot parsed (the TSIG that libknot strips is
 * not an entry). Offsets are computed here with a deliberately naive name
 * walker, independent of soa_wire_rr_at(): libknot already validated the
 * names, so the walker only has to follow the labels.
 */

typedef struct {
	int sec;        /*!< knot_section_t. */
	size_t pos;     /*!< Owner offset (libknot's rr_info[].pos). */
	size_t hdr;     /*!< TYPE offset. */
	size_t end;     /*!< Past RDATA. */
	uint16_t type;
	uint16_t rdlen;
	bool ptr_owner; /*!< Owner is a lone compression pointer. */
} ref_rr_t;

typedef struct {
	ref_rr_t *rr;
	size_t n;
	size_t sec_first[KNOT_PKT_SECTIONS]; /*!< First entry of each section. */
	size_t sec_count[KNOT_PKT_SECTIONS]; /*!< Entries of each section. */
	bool tsig_meta;  /*!< The metadata also holds a stripped TSIG at pos == size. */
	size_t rr_end;   /*!< End of the last RR (or of the question). */
} ref_t;

static inline size_t ref_owner_len(const uint8_t *w, size_t size, size_t pos)
{
	size_t p = pos;
	while (p < size) {
		uint8_t b = w[p];
		if (b == 0) {
			return p + 1 - pos;
		}
		if ((b & 0xC0) == 0xC0) {
			return p + 2 - pos;
		}
		p += 1 + (size_t)b;
	}
	CHECK(false, "harness: libknot accepted an owner running past the end at %zu", pos);
	return 0;
}

/*!
 * \brief Builds the reference model from a message exactly as libknot parsed
 *        it (one RRSet per RR).
 */
static inline void ref_build(const knot_pkt_t *pkt, ref_t *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->rr = calloc(pkt->rrset_count + 1, sizeof(ref_rr_t));
	if (ref->rr == NULL) {
		abort();
	}
	const uint8_t *w = pkt->wire;
	size_t next = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(pkt);
	for (int s = KNOT_ANSWER; s <= KNOT_ADDITIONAL; s++) {
		const knot_pktsection_t *sec = &pkt->sections[s];
		ref->sec_first[s] = ref->n;
		for (uint16_t k = 0; k < sec->count; k++) {
			uint16_t i = sec->pos + k;
			CHECK(i < pkt->rrset_count, "harness: section beyond RRSets");
			CHECK(pkt->rr[i].rrs.count == 1, "harness: parser gave a multi-RR RRSet");
			size_t pos = pkt->rr_info[i].pos;
			if (pkt->rr[i].type == KNOT_RRTYPE_TSIG && pos == pkt->size) {
				// libknot cut it off the wire but kept it in the metadata.
				CHECK(s == KNOT_ADDITIONAL && k == sec->count - 1 &&
				      i == pkt->rrset_count - 1, "harness: stripped TSIG not last");
				ref->tsig_meta = true;
				continue;
			}
			CHECK(pos == next, "harness: RR %u at %zu, expected %zu", i, pos, next);
			ref_rr_t *r = &ref->rr[ref->n++];
			r->sec = s;
			r->pos = pos;
			r->ptr_owner = (w[pos] & 0xC0) == 0xC0;
			r->hdr = pos + ref_owner_len(w, pkt->size, pos);
			CHECK(r->hdr + SOA_WIRE_RR_HDR <= pkt->size, "harness: header cut");
			r->type = knot_wire_read_u16(w + r->hdr);
			CHECK(r->type == pkt->rr[i].type, "harness: type %u vs parsed %u",
			      r->type, pkt->rr[i].type);
			r->rdlen = knot_wire_read_u16(w + r->hdr + 8);
			r->end = r->hdr + SOA_WIRE_RR_HDR + r->rdlen;
			CHECK(r->end <= pkt->size, "harness: RDATA cut");
			next = r->end;
		}
		ref->sec_count[s] = ref->n - ref->sec_first[s];
	}
	CHECK(next == pkt->size, "harness: RRs end at %zu, message at %zu", next, pkt->size);
	ref->rr_end = next;
}

static inline void ref_free(ref_t *ref)
{
	free(ref->rr);
	ref->rr = NULL;
}

/*! \brief Offset of the SERIAL of an SOA RR (counted from the end, RFC 1035). */
static inline size_t ref_serial_off(const ref_rr_t *r)
{
	return r->end - SOA_WIRE_SOA_TAIL;
}

/*
 * Metadata views.
 *
 * A view is a shallow copy of a parsed knot_pkt_t whose rr/rr_info arrays are
 * replaced; the wire is shared. The module only reads wire, size, max_size,
 * qname_size, sections, rrset_count, rr_info[].pos, rr[].type and
 * rr[].rrs.count. A view is never passed to a libknot function that frees.
 */

typedef struct {
	knot_pkt_t pkt;
	knot_rrset_t *rr;
	knot_rrinfo_t *info;
	size_t *first;   /*!< View RRSet -> first ref entry (SIZE_MAX: the stripped TSIG). */
} view_t;

static inline void view_alloc(view_t *v, const knot_pkt_t *src)
{
	memcpy(&v->pkt, src, sizeof(*src));
	size_t n = src->rrset_count + 1;
	v->rr = calloc(n, sizeof(knot_rrset_t));
	v->info = calloc(n, sizeof(knot_rrinfo_t));
	v->first = calloc(n, sizeof(size_t));
	if (v->rr == NULL || v->info == NULL || v->first == NULL) {
		abort();
	}
	v->pkt.rr = v->rr;
	v->pkt.rr_info = v->info;
	v->pkt.rrset_allocd = 0;
	for (int s = 0; s < KNOT_PKT_SECTIONS; s++) {
		v->pkt.sections[s].pkt = &v->pkt;
	}
}

static inline void view_free(view_t *v)
{
	free(v->rr);
	free(v->info);
	free(v->first);
}

/*!
 * \brief Honest view grouping consecutive RRs of one owner, class and type
 *        of one section into one RRSet, as knotd's responses hold them.
 *
 * \return Number of RRSets that hold more than one RR.
 */
static inline unsigned view_grouped(view_t *v, const knot_pkt_t *src, const ref_t *ref)
{
	view_alloc(v, src);
	uint16_t out = 0;
	unsigned multi = 0;
	size_t r = 0;
	for (int s = KNOT_ANSWER; s <= KNOT_ADDITIONAL; s++) {
		const knot_pktsection_t *sec = &src->sections[s];
		v->pkt.sections[s].pos = out;
		uint16_t groups = 0;
		for (uint16_t k = 0; k < sec->count; k++) {
			uint16_t i = sec->pos + k;
			bool tsig = src->rr[i].type == KNOT_RRTYPE_TSIG &&
			            src->rr_info[i].pos == src->size;
			if (!tsig && k > 0 && out > 0 && v->first[out - 1] != SIZE_MAX) {
				uint16_t prev = i - 1;
				if (src->rr[prev].type == src->rr[i].type &&
				    src->rr[prev].rclass == src->rr[i].rclass &&
				    knot_dname_is_equal(src->rr[prev].owner, src->rr[i].owner)) {
					if (v->rr[out - 1].rrs.count++ == 1) {
						multi++;
					}
					r++;
					continue;
				}
			}
			v->rr[out] = src->rr[i];
			v->rr[out].rrs.count = 1;
			v->info[out] = src->rr_info[i];
			v->first[out] = tsig ? SIZE_MAX : r;
			if (!tsig) {
				r++;
			}
			out++;
			groups++;
		}
		v->pkt.sections[s].count = groups;
	}
	CHECK(r == ref->n, "harness: grouping lost RRs");
	v->pkt.rrset_count = out;
	return multi;
}

/*!
 * \brief Wrong metadata: the single-RR metadata with some counts, positions,
 *        types and section bounds changed at random. Positions stay within
 *        [0, size + 16] (metadata knotd could plausibly get wrong, not
 *        arbitrary pointers); arrays always hold rrset_count entries.
 */
static inline void view_lying(view_t *v, const knot_pkt_t *src, prng_t *rng)
{
	static const uint16_t types[] = {
		KNOT_RRTYPE_SOA, KNOT_RRTYPE_SOA, KNOT_RRTYPE_NSEC, KNOT_RRTYPE_NSEC3,
		KNOT_RRTYPE_RRSIG, KNOT_RRTYPE_OPT, KNOT_RRTYPE_TSIG, KNOT_RRTYPE_A,
	};
	view_alloc(v, src);
	uint16_t n = src->rrset_count;
	for (uint16_t i = 0; i < n; i++) {
		v->rr[i] = src->rr[i];
		v->info[i] = src->rr_info[i];
		v->first[i] = SIZE_MAX;
		uint32_t x = prng_next(rng);
		switch (x & 7) {
		case 0:
			v->rr[i].rrs.count = (x >> 3) % 5;
			break;
		case 1:
			v->info[i].pos = (x >> 3) % (src->size + 17);
			break;
		case 2:
			v->rr[i].type = types[(x >> 3) % 8];
			break;
		case 3:
			v->info[i].pos += ((x >> 3) % 7);
			v->rr[i].rrs.count = 1 + ((x >> 6) % 3);
			break;
		default:
			break;
		}
	}
	for (int s = 0; s < KNOT_PKT_SECTIONS; s++) {
		uint32_t x = prng_next(rng);
		if ((x & 3) == 0) {
			v->pkt.sections[s].pos = (x >> 2) % (n + 2);
		}
		if ((x & 12) == 0) {
			v->pkt.sections[s].count = (x >> 4) % (n + 2);
		}
	}
	uint32_t x = prng_next(rng);
	if ((x & 7) == 0 && n > 0) {
		v->pkt.rrset_count = (x >> 3) % n;
	}
}

/*! \brief Parses a message held in an exactly sized heap buffer. */
static inline knot_pkt_t *parse_exact(const uint8_t *data, size_t len, uint8_t **buf)
{
	if (len < KNOT_WIRE_HEADER_SIZE || len > UINT16_MAX) {
		return NULL;
	}
	*buf = dup_bytes(data, len);
	knot_pkt_t *pkt = knot_pkt_new(*buf, len, NULL);
	if (pkt == NULL) {
		free(*buf);
		return NULL;
	}
	if (knot_pkt_parse(pkt, 0) != KNOT_EOK) {
		knot_pkt_free(pkt);
		free(*buf);
		return NULL;
	}
	return pkt;
}

/*!
 * \brief Predicts soa_wire_xfr_map() with a map adding delta to every serial
 *        and failing with map_error on fail_on (if fail): the answer's SOAs
 *        in order; an SOA whose RDATA cannot hold a serial (libknot accepts
 *        empty RDATA, e.g. in class ANY) stops the walk with KNOT_EMALF.
 *
 * \param expect  Wire to apply the predicted writes to, or NULL.
 */
static inline int ref_predict_xfr(const ref_t *ref, const uint8_t *wire, uint32_t delta,
                                  bool fail, uint32_t fail_on, int map_error,
                                  uint8_t *expect)
{
	int count = 0;
	for (size_t k = 0; k < ref->sec_count[KNOT_ANSWER]; k++) {
		const ref_rr_t *r = &ref->rr[ref->sec_first[KNOT_ANSWER] + k];
		if (r->type != KNOT_RRTYPE_SOA) {
			continue;
		}
		if (r->rdlen < SOA_WIRE_SOA_MIN) {
			return KNOT_EMALF;
		}
		uint32_t s = knot_wire_read_u32(wire + ref_serial_off(r));
		if (fail && s == fail_on) {
			return map_error;
		}
		if (delta != 0) {
			if (expect != NULL) {
				knot_wire_write_u32(expect + ref_serial_off(r), s + delta);
			}
			count++;
		}
	}
	return count;
}

/*! \brief True if some SOA of the section cannot hold a serial. */
static inline bool ref_short_soa(const ref_t *ref, int sec)
{
	for (size_t k = 0; k < ref->sec_count[sec]; k++) {
		const ref_rr_t *r = &ref->rr[ref->sec_first[sec] + k];
		if (r->type == KNOT_RRTYPE_SOA && r->rdlen < SOA_WIRE_SOA_MIN) {
			return true;
		}
	}
	return false;
}

/*!
 * \brief True if the name at pos, following compression pointers, reads any
 *        byte of [lo, hi).
 */
static inline bool ref_name_touches(const uint8_t *w, size_t size, size_t pos,
                                    size_t lo, size_t hi)
{
	for (int hops = 0; hops < 256 && pos < size; hops++) {
		uint8_t b = w[pos];
		if (pos >= lo && pos < hi) {
			return true;
		}
		if (b == 0) {
			return false;
		}
		if ((b & 0xC0) == 0xC0) {
			if (pos + 1 >= size) {
				return false;
			}
			if (pos + 1 >= lo && pos + 1 < hi) {
				return true;
			}
			pos = ((size_t)(b & 0x3F) << 8) | w[pos + 1];
			continue;
		}
		if (pos + 1 < hi && pos + 1 + b > lo) {
			return true;
		}
		pos += 1 + (size_t)b;
	}
	return false;
}

/*
 * Found by these targets and fixed in module/wire.c (reproducers in crashes/):
 * the multi-RR functions validated in one walk and wrote in a second that
 * validated again, following compression pointers. A name compressed through
 * a TTL or SOA serial written earlier (never in a message knotd built) then
 * failed the second walk: a partial edit, an error after writing. Metadata
 * describing one RR twice made the write pass map a serial twice. The write
 * pass now locates RRs in place and the walk refuses metadata that goes
 * back. The harness restores the parsed wire before every call, so its
 * reference model always describes the wire a call gets.
 */
/*!
 * \brief One past the last byte the name at pos reads, following compression
 *        pointers (a pointer may lead to a name that runs past the RR that
 *        points to it).
 */
static inline size_t ref_name_extent(const uint8_t *w, size_t size, size_t pos)
{
	size_t ext = pos;
	for (int hops = 0; hops < 256 && pos < size; hops++) {
		uint8_t b = w[pos];
		if (b == 0) {
			return ext > pos + 1 ? ext : pos + 1;
		}
		if ((b & 0xC0) == 0xC0) {
			ext = ext > pos + 2 ? ext : pos + 2;
			pos = ((size_t)(b & 0x3F) << 8) | w[pos + 1];
			continue;
		}
		ext = ext > pos + 1 + b ? ext : pos + 1 + b;
		pos += 1 + (size_t)b;
	}
	CHECK(false, "harness: name at %zu does not end", pos);
	return 0;
}

/*! \brief What map_fn() fails with: distinct from every code the module returns. */
#define MAP_ERROR KNOT_ERANGE

/*!
 * \brief Test serial map for soa_wire_xfr_map()/soa_wire_xfr_edit(): adds
 *        delta, fails with MAP_ERROR on fail_on if fail is set.
 */
typedef struct {
	uint32_t delta;
	bool fail;
	uint32_t fail_on;
	unsigned calls;
} map_ctx_t;

static inline int map_fn(void *ctx, uint32_t *serial)
{
	map_ctx_t *m = ctx;
	m->calls++;
	if (m->fail && *serial == m->fail_on) {
		return MAP_ERROR;
	}
	*serial += m->delta;
	return KNOT_EOK;
}
