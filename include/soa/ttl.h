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
 * \brief Negative-caching TTL policy (RFC 2308 §3 and §5, RFC 9077) and the
 *        RFC 1035 §3.3.13 reading of MINIMUM as a floor, and the per-name
 *        caps (negative-ttl-rule). Pure.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! \brief How the operator policy changed the RFC 2308 negative TTL (the
 *         classes but the first are the indexes of negative-ttl[...] + 1). */
typedef enum {
	SOA_NEG_AS_IS = 0, /*!< min(SOA TTL, MINIMUM) was within bounds. */
	SOA_NEG_CAPPED,    /*!< Lowered to negative-ttl-max. */
	SOA_NEG_RAISED,    /*!< Raised to negative-ttl-min. */
	SOA_NEG_RULE,      /*!< Set by a negative-ttl-rule that matched the question. */
	SOA_NEG_CLASS__COUNT
} soa_neg_class_t;

/*! \brief Classes that count: negative-ttl[...] has one index each. */
#define SOA_NEG_CLASSES (SOA_NEG_CLASS__COUNT - 1)

/*!
 * \brief Computes the TTL of every record in a negative answer's authority
 *        section: clamp(min(SOA TTL, MINIMUM), lo, hi).
 *
 * \param soa_ttl  TTL of the SOA RRSet.
 * \param minimum  SOA MINIMUM field.
 * \param lo       negative-ttl-min (lo <= hi, enforced by the config check).
 * \param hi       negative-ttl-max.
 * \param cls      Output: whether and how the bounds changed the value.
 *
 * \return Effective negative TTL.
 */
uint32_t soa_negative_ttl(uint32_t soa_ttl, uint32_t minimum, uint32_t lo,
                          uint32_t hi, soa_neg_class_t *cls);

/*!
 * \brief Applies MINIMUM as a floor (RFC 1035 §3.3.13).
 *
 * \param ttl      Record TTL.
 * \param minimum  SOA MINIMUM.
 *
 * \return max(ttl, minimum).
 */
static inline uint32_t soa_floor_ttl(uint32_t ttl, uint32_t minimum)
{
	return ttl < minimum ? minimum : ttl;
}

/*!
 * \brief The value a negative-ttl-rule caps: the RFC 2308 negative TTL,
 *        min(SOA TTL, MINIMUM). A matching rule replaces the zone-wide
 *        bounds: negative-ttl-min does not raise its result and
 *        negative-ttl-max does not lower it (the rule's TIME, at most
 *        2^31 - 1, is the operator's cap for those names).
 */
static inline uint32_t soa_negative_cap(uint32_t soa_ttl, uint32_t minimum)
{
	return soa_ttl < minimum ? soa_ttl : minimum;
}

/*! \brief Longest TIME of a rule (RFC 2181 §8). */
#define SOA_RULE_TTL_MAX 2147483647u

/*! \brief One negative-ttl-rule: "<name> <TIME>". */
typedef struct {
	knot_dname_storage_t name; /*!< Lower-case wire name: one label, or the subtree. */
	bool subtree;              /*!< Written with a trailing dot: the name and below. */
	uint32_t ttl;              /*!< The cap. */
} soa_rule_t;

/*!
 * \brief Parses a rule: "<label> <TIME>" or "<name.> <TIME>", TIME a number
 *        of seconds with an optional unit s, m, h, d or w (like Knot's TIME).
 *
 * \param text  The value.
 * \param rule  Output.
 *
 * \return NULL, or why the value is not a rule.
 */
const char *soa_rule_parse(const char *text, soa_rule_t *rule);

/*! \brief A label rule, in the table built at load. */
typedef struct {
	uint8_t label[64];  /*!< Length-prefixed, lower case; label[0] == 0: empty slot. */
	uint32_t ttl;
} soa_rule_label_t;

/*! \brief A subtree rule. */
typedef struct {
	knot_dname_t *name; /*!< Lower-case wire name. */
	size_t size;        /*!< Its wire size. */
	uint32_t ttl;
} soa_rule_subtree_t;

/*! \brief The rules of a module instance, ready for matching. */
typedef struct {
	soa_rule_label_t *labels;     /*!< Open-addressing table of label rules. */
	size_t label_slots;           /*!< Its size, a power of two (0: no label rule). */
	soa_rule_subtree_t *subtrees; /*!< Subtree rules, longer names first. */
	size_t subtree_count;
	uint64_t subtree_sizes[4];    /*!< Bit n: some subtree's wire size is n. */
} soa_rules_t;

/*!
 * \brief Builds the tables for a set of rules (names distinct).
 *
 * \return KNOT_EOK or KNOT_ENOMEM.
 */
int soa_rules_build(const soa_rule_t *rules, size_t count, soa_rules_t *out);

/*! \brief Frees what soa_rules_build() allocated. */
void soa_rules_free(soa_rules_t *rules);

/*!
 * \brief The cap of the most specific rule matching a question: a subtree
 *        rule over a label rule, a longer subtree over a shorter one; a
 *        label rule matches the question's leftmost label.
 *
 * \param rules  Rules.
 * \param qname  The question's name, lower case (knot_pkt_qname()).
 * \param size   Its wire size (pkt->qname_size).
 * \param ttl    Output: the rule's TIME.
 *
 * \return True if a rule matches.
 */
bool soa_rules_match(const soa_rules_t *rules, const knot_dname_t *qname, size_t size,
                     uint32_t *ttl);
