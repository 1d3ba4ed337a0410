/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief Negative TTL policy. */

#include <string.h>

#include "soa/ttl.h"
#include "tap.h"

static void check(uint32_t ttl, uint32_t minimum, uint32_t lo, uint32_t hi,
                  uint32_t want, soa_neg_class_t want_cls, const char *what)
{
	soa_neg_class_t cls = 99;
	uint32_t got = soa_negative_ttl(ttl, minimum, lo, hi, &cls);
	is_int(want, got, "%s: ttl", what);
	is_int(want_cls, cls, "%s: class", what);
}

/*! \brief Parses a rule that must be valid. */
static soa_rule_t rule(const char *text)
{
	soa_rule_t r;
	const char *why = soa_rule_parse(text, &r);
	ok(why == NULL, "'%s' parses%s%s", text, why ? ": " : "", why ? why : "");
	return r;
}

static void rule_parsing(void)
{
	soa_rule_t r = rule("_ACME-Challenge 30s");
	ok(!r.subtree && r.ttl == 30 && memcmp(r.name, "\x0f_acme-challenge\x00", 17) == 0,
	   "a label rule: lower case, one label");
	r = rule("Launch.Example.COM. 1h");
	ok(r.subtree && r.ttl == 3600 && memcmp(r.name, "\x06" "launch" "\x07" "example" "\x03" "com", 20) == 0,
	   "a subtree rule: the absolute name");
	is_int(60, rule("x 60").ttl, "no unit: seconds");
	is_int(120, rule("x 2m").ttl, "minutes");
	is_int(172800, rule("x 2d").ttl, "days");
	is_int(604800, rule("x 1w").ttl, "weeks");
	is_int(0, rule("x 0").ttl, "0 is allowed (do not cache)");
	is_int(2147483647, rule("x 2147483647").ttl, "the largest TIME");
	is_int(1, rule(". 1").subtree, "the root as a subtree");

	static const char *bad[] = {
		"", "_acme-challenge", "_acme-challenge 30s extra", "a.b 30",
		"x 2147483648", "x 9999999999999999999999", "x -1", "x 30x", "x 30ss", "x s",
		"x 1e3", "a..b. 30", "0123456789012345678901234567890123456789012345678901234567890123 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		soa_rule_t ignored;
		const char *why = soa_rule_parse(bad[i], &ignored);
		ok(why != NULL, "'%s' is refused: %s", bad[i], why ? why : "(accepted)");
	}
}

/*! \brief The TTL a question gets from a rule set, or -1 if none matches. */
static long long matched(const soa_rules_t *rules, const char *qname)
{
	knot_dname_storage_t name;
	if (knot_dname_from_str(name, qname, sizeof(name)) == NULL) {
		return -2;
	}
	knot_dname_to_lower(name);
	uint32_t ttl;
	return soa_rules_match(rules, name, knot_dname_size(name), &ttl) ? (long long)ttl : -1;
}

static void rule_matching(void)
{
	const char *texts[] = {
		"_acme-challenge 30", "www 45", "launch.example.com. 60",
		"deep.launch.example.com. 5", "example.com. 600", "a1 1", "a2 2", "a3 3", "a4 4",
	};
	soa_rule_t rules[sizeof(texts) / sizeof(texts[0])];
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		(void)soa_rule_parse(texts[i], &rules[i]);
	}
	soa_rules_t set;
	is_int(KNOT_EOK, soa_rules_build(rules, 4, &set), "rules built");
	is_int(30, matched(&set, "_acme-challenge.www.example.org."), "label: leftmost label");
	is_int(30, matched(&set, "_ACME-CHALLENGE.host.example.org."), "label: any case");
	is_int(-1, matched(&set, "x._acme-challenge.example.org."), "label: not leftmost");
	is_int(-1, matched(&set, "_acme-challengex.example.org."), "label: whole label only");
	is_int(-1, matched(&set, "."), "the root matches no label");
	is_int(60, matched(&set, "launch.example.com."), "subtree: the name itself");
	is_int(60, matched(&set, "www.launch.example.com."), "subtree beats label");
	is_int(5, matched(&set, "a.deep.launch.example.com."), "longer subtree beats shorter");
	is_int(5, matched(&set, "DEEP.Launch.example.com."), "subtree: any case");
	is_int(30, matched(&set, "_acme-challenge.example.com."), "outside every subtree: label");
	is_int(-1, matched(&set, "xlaunch.example.com."), "subtree: label boundaries");
	is_int(-1, matched(&set, "example.com."), "the parent of a subtree");
	soa_rules_free(&set);

	is_int(KNOT_EOK, soa_rules_build(rules, sizeof(rules) / sizeof(rules[0]), &set),
	       "more rules built");
	is_int(600, matched(&set, "other.example.com."), "a shorter subtree still matches");
	is_int(60, matched(&set, "www.launch.example.com."), "the longest subtree first");
	is_int(45, matched(&set, "www.example.net."), "label rule outside the subtrees");
	for (int i = 1; i <= 4; i++) {
		char q[32];
		snprintf(q, sizeof(q), "a%d.example.net.", i);
		is_int(i, matched(&set, q), "label table: a%d", i);
	}
	soa_rules_free(&set);

	is_int(KNOT_EOK, soa_rules_build(NULL, 0, &set), "no rules");
	is_int(-1, matched(&set, "_acme-challenge.example.com."), "no rule, no match");
	soa_rules_free(&set);
}

int main(void)
{
	rule_parsing();
	rule_matching();
	is_int(300, soa_negative_cap(7200, 300), "rule cap: MINIMUM");
	is_int(60, soa_negative_cap(60, 300), "rule cap: SOA TTL");

	check(7200, 300, 0, 10800, 300, SOA_NEG_AS_IS, "MINIMUM below SOA TTL wins (RFC 2308 3)");
	check(60, 300, 0, 10800, 60, SOA_NEG_AS_IS, "SOA TTL below MINIMUM wins");
	check(86400, 86400, 0, 10800, 10800, SOA_NEG_CAPPED, "one day is capped to 3h");
	check(7200, 300, 0, 60, 60, SOA_NEG_CAPPED, "cap below RFC value");
	check(7200, 300, 600, 10800, 600, SOA_NEG_RAISED, "floor above RFC value");
	check(7200, 300, 300, 300, 300, SOA_NEG_AS_IS, "bounds equal to the value");
	check(7200, 0, 0, 10800, 0, SOA_NEG_AS_IS, "MINIMUM 0 means do not cache");
	check(7200, 0, 5, 10800, 5, SOA_NEG_RAISED, "MINIMUM 0 raised by the floor");
	check(4294967295u, 4294967295u, 0, 2147483647, 2147483647, SOA_NEG_CAPPED,
	      "out-of-range values are capped");
	check(100, 200, 150, 150, 150, SOA_NEG_RAISED, "lo == hi pins the value");

	is_int(300, soa_floor_ttl(60, 300), "floor raises");
	is_int(3600, soa_floor_ttl(3600, 300), "floor keeps higher TTLs");
	is_int(300, soa_floor_ttl(300, 300), "floor equal");
	return done_testing();
}
