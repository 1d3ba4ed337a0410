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
 * \brief Negative-caching TTL policy.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soa/ttl.h"

uint32_t soa_negative_ttl(uint32_t soa_ttl, uint32_t minimum, uint32_t lo,
                          uint32_t hi, soa_neg_class_t *cls)
{
	// RFC 2308 §3: the lesser of the SOA TTL and MINIMUM.
	uint32_t ttl = soa_ttl < minimum ? soa_ttl : minimum;

	// Operator bounds, like a resolver's max-ncache-ttl (RFC 2308 §5).
	if (ttl > hi) {
		*cls = SOA_NEG_CAPPED;
		return hi;
	} else if (ttl < lo) {
		*cls = SOA_NEG_RAISED;
		return lo;
	}
	*cls = SOA_NEG_AS_IS;
	return ttl;
}

/* Per-name rules. */

/*! \brief Parses TIME: seconds with an optional unit; false if not that. */
static bool parse_time(const char *s, uint32_t *out)
{
	if (*s < '0' || *s > '9') {
		return false;
	}
	uint64_t n = 0;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (uint64_t)(*s++ - '0');
		if (n > SOA_RULE_TTL_MAX) {
			return false;
		}
	}
	static const struct { char unit; uint32_t mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	if (*s != '\0') {
		size_t i = 0;
		while (i < sizeof(units) / sizeof(units[0]) && units[i].unit != *s) {
			i++;
		}
		if (i == sizeof(units) / sizeof(units[0]) || s[1] != '\0') {
			return false;
		}
		n *= units[i].mult;
	}
	if (n > SOA_RULE_TTL_MAX) {
		return false;
	}
	*out = (uint32_t)n;
	return true;
}

const char *soa_rule_parse(const char *text, soa_rule_t *rule)
{
	// "<name> <TIME>": exactly two fields.
	char name[KNOT_DNAME_TXT_MAXLEN + 2], time[32], rest[2];
	if (sscanf(text, "%255s %31s %1s", name, time, rest) != 2) {
		return "expected '<name> <TIME>'";
	}
	if (!parse_time(time, &rule->ttl)) {
		return "TIME is not 0 to 2147483647 seconds (units s, m, h, d, w)";
	}
	size_t len = strlen(name);
	rule->subtree = (len > 0 && name[len - 1] == '.');
	if (!rule->subtree) {
		// A label: one label, no dot.
		if (strchr(name, '.') != NULL || len > 63) {
			return "a label rule is one label (a subtree ends with a dot)";
		}
		strcat(name, ".");
	}
	if (knot_dname_from_str(rule->name, name, sizeof(rule->name)) == NULL) {
		return "not a valid domain name";
	}
	knot_dname_to_lower(rule->name);
	return NULL;
}

static size_t label_hash(const uint8_t *label)
{
	// Length, first and last byte: a few instructions, and enough to spread
	// a handful of labels (a match is confirmed by comparing the label).
	uint32_t h = label[0] * 0x9E3779B1u ^ label[1] * 0x85EBCA77u ^ label[label[0]] * 0xC2B2AE3Du;
	return h ^ (h >> 15);
}

static int by_size_desc(const void *a, const void *b)
{
	const soa_rule_subtree_t *x = a, *y = b;
	return (x->size < y->size) - (x->size > y->size);
}

int soa_rules_build(const soa_rule_t *rules, size_t count, soa_rules_t *out)
{
	memset(out, 0, sizeof(*out));
	size_t labels = 0, subtrees = 0;
	for (size_t i = 0; i < count; i++) {
		labels += !rules[i].subtree;
		subtrees += rules[i].subtree;
	}
	if (labels > 0) {
		// Mostly empty: a question's label seldom lands on a rule's slot.
		size_t slots = 16;
		while (slots < 4 * labels) {
			slots *= 2;
		}
		out->labels = calloc(slots, sizeof(*out->labels));
		out->label_slots = slots;
	}
	out->subtrees = subtrees > 0 ? calloc(subtrees, sizeof(*out->subtrees)) : NULL;
	if ((labels > 0 && out->labels == NULL) || (subtrees > 0 && out->subtrees == NULL)) {
		soa_rules_free(out);
		return KNOT_ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		const soa_rule_t *r = &rules[i];
		if (r->subtree) {
			soa_rule_subtree_t *t = &out->subtrees[out->subtree_count++];
			t->size = knot_dname_size(r->name);
			out->subtree_sizes[t->size / 64] |= 1ull << (t->size % 64);
			t->name = knot_dname_copy(r->name, NULL);
			t->ttl = r->ttl;
			if (t->name == NULL) {
				soa_rules_free(out);
				return KNOT_ENOMEM;
			}
			continue;
		}
		size_t mask = out->label_slots - 1, slot = label_hash(r->name) & mask;
		while (out->labels[slot].label[0] != 0) {
			slot = (slot + 1) & mask;
		}
		memcpy(out->labels[slot].label, r->name, r->name[0] + 1);
		out->labels[slot].ttl = r->ttl;
	}
	if (out->subtree_count > 1) {
		qsort(out->subtrees, out->subtree_count, sizeof(*out->subtrees), by_size_desc);
	}
	return KNOT_EOK;
}

void soa_rules_free(soa_rules_t *rules)
{
	for (size_t i = 0; i < rules->subtree_count; i++) {
		knot_dname_free(rules->subtrees[i].name, NULL);
	}
	free(rules->subtrees);
	free(rules->labels);
	memset(rules, 0, sizeof(*rules));
}

/*! \brief The subtree rule of a suffix, out of line: rarely reached. */
__attribute__((noinline))
static const soa_rule_subtree_t *subtree_of(const soa_rules_t *rules, const uint8_t *suffix,
                                            size_t size)
{
	for (size_t i = 0; i < rules->subtree_count; i++) {
		const soa_rule_subtree_t *t = &rules->subtrees[i];
		if (t->size == size && memcmp(t->name, suffix, size) == 0) {
			return t;
		}
	}
	return NULL;
}

/*! \brief Whether a slot's label is the question's, out of line. */
__attribute__((noinline))
static bool same_label(const uint8_t *label, const knot_dname_t *qname)
{
	return memcmp(label + 1, qname + 1, label[0]) == 0;
}

bool soa_rules_match(const soa_rules_t *rules, const knot_dname_t *qname, size_t size,
                     uint32_t *ttl)
{
	// Subtrees: the question and each of its parents, longest first; only
	// the sizes some subtree has are compared.
	if (rules->subtree_count > 0) {
		for (const uint8_t *p = qname; ; p += 1 + *p) {
			size_t left = size - (size_t)(p - qname);
			const soa_rule_subtree_t *t;
			if ((rules->subtree_sizes[left / 64] & (1ull << (left % 64))) &&
			    (t = subtree_of(rules, p, left)) != NULL) {
				*ttl = t->ttl;
				return true;
			}
			if (*p == 0) {
				break;
			}
		}
	}

	// Labels: the leftmost label, one lookup.
	if (rules->label_slots > 0 && qname[0] != 0) {
		size_t mask = rules->label_slots - 1, slot = label_hash(qname) & mask;
		for (; rules->labels[slot].label[0] != 0; slot = (slot + 1) & mask) {
			const uint8_t *l = rules->labels[slot].label;
			if (l[0] == qname[0] && same_label(l, qname)) {
				*ttl = rules->labels[slot].ttl;
				return true;
			}
		}
	}
	return false;
}
