/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief SOA lint rules at their boundaries. */

#include <string.h>

#include "soa/lint.h"
#include "tap.h"

#define BIT(x) (1u << (x))
#define TODAY 20261121

static uint32_t lint(uint32_t serial, uint32_t refresh, uint32_t retry,
                     uint32_t expire, uint32_t minimum)
{
	soa_timers_t t = { serial, refresh, retry, expire, minimum };
	return soa_lint_timers(&t, TODAY);
}

static void test_timers(void)
{
	is_int(0, lint(2026112100, 7200, 3600, 1209600, 300), "a sane SOA has no findings");

	is_int(BIT(SOA_LINT_REFRESH_RANGE), lint(2026112100, 1199, 600, 1209600, 300),
	       "refresh 1199 is too short");
	is_int(0, lint(2026112100, 1200, 600, 1209600, 300), "refresh 1200 is fine");
	is_int(0, lint(2026112100, 43200, 600, 1209600, 300), "refresh 43200 is fine");
	is_int(BIT(SOA_LINT_REFRESH_RANGE), lint(2026112100, 43201, 600, 1209600, 300),
	       "refresh 43201 is too long");

	is_int(BIT(SOA_LINT_RETRY_RANGE), lint(2026112100, 7200, 7200, 1209600, 300),
	       "retry equal to refresh");
	is_int(0, lint(2026112100, 7200, 7199, 1209600, 300), "retry just below refresh");

	is_int(BIT(SOA_LINT_EXPIRE_RANGE), lint(2026112100, 7200, 3600, 604799, 300),
	       "expire under 7 days");
	is_int(0, lint(2026112100, 7200, 3600, 604800, 300), "expire of 7 days");
	is_int(BIT(SOA_LINT_EXPIRE_RANGE) | BIT(SOA_LINT_REFRESH_RANGE),
	       lint(2026112100, 700000, 600, 700600, 300), "expire equal to refresh + retry");
	is_int(BIT(SOA_LINT_EXPIRE_RANGE) | BIT(SOA_LINT_REFRESH_RANGE),
	       lint(2026112100, 4294967000u, 1000, 1209600, 300),
	       "refresh + retry beyond 32 bits does not wrap");

	is_int(0, lint(2026112100, 7200, 3600, 1209600, 86400), "minimum of one day");
	is_int(BIT(SOA_LINT_MINIMUM_RANGE), lint(2026112100, 7200, 3600, 1209600, 86401),
	       "minimum over one day (RFC 2308 5)");

	is_int(BIT(SOA_LINT_SERIAL_NOT_DATE), lint(501, 7200, 3600, 1209600, 300),
	       "counter serial");
	is_int(BIT(SOA_LINT_SERIAL_NOT_DATE), lint(2026112200, 7200, 3600, 1209600, 300),
	       "tomorrow is in the future");
	is_int(0, lint(2026112199, 7200, 3600, 1209600, 300), "today's 99");
	is_int(BIT(SOA_LINT_SERIAL_NOT_DATE), lint(2026023001, 7200, 3600, 1209600, 300),
	       "February 30");
}

static void test_names(void)
{
	// RDATA set with two NS targets, wire-format names.
	knot_rdataset_t ns;
	knot_rdataset_init(&ns);
	const uint8_t ns1[] = "\x03ns1\x07""example\x04test";
	const uint8_t ns2[] = "\x03NS2\x07""example\x04test";
	uint8_t buf[64];
	knot_rdata_t *rd = (knot_rdata_t *)buf;
	knot_rdata_init(rd, sizeof(ns1), ns1);
	knot_rdataset_add(&ns, rd, NULL);
	knot_rdata_init(rd, sizeof(ns2), ns2);
	knot_rdataset_add(&ns, rd, NULL);

	ok(soa_lint_mname_listed((const uint8_t *)"\x03ns1\x07""example\x04test", &ns),
	   "MNAME equal to an NS target");
	ok(soa_lint_mname_listed((const uint8_t *)"\x03ns2\x07""EXAMPLE\x04test", &ns),
	   "case does not matter");
	ok(!soa_lint_mname_listed((const uint8_t *)"\x03ns3\x07""example\x04test", &ns),
	   "MNAME not among the targets");
	knot_rdataset_t empty;
	knot_rdataset_init(&empty);
	ok(!soa_lint_mname_listed((const uint8_t *)"\x03ns1\x07""example\x04test", &empty),
	   "no NS at all");
	knot_rdataset_clear(&ns, NULL);

	ok(!soa_lint_rname_bad((const uint8_t *)"\x0ahostmaster\x07""example\x04test"),
	   "hostmaster.example.test. is fine");
	ok(soa_lint_rname_bad((const uint8_t *)"\x12hostmaster@example\x04test"),
	   "hostmaster@example.test. as typed");
	ok(soa_lint_rname_bad((const uint8_t *)""), "the root");
	ok(!soa_lint_rname_bad((const uint8_t *)"\x02hm\x09""ex@mple\x04test"),
	   "an @ beyond the first label is not the mailbox");
}

static void test_text(void)
{
	soa_timers_t t = { 501, 7200, 3600, 1209600, 90000 };
	for (unsigned i = 0; i < SOA_LINT__COUNT; i++) {
		char msg[256] = "";
		soa_lint_message(i, &t, msg, sizeof(msg));
		ok(soa_lint_name(i) != NULL && msg[0] != '\0', "finding %u has a name and message", i);
	}
	ok(soa_lint_name(SOA_LINT__COUNT) == NULL, "no name past the end");
	char msg[256];
	soa_lint_message(SOA_LINT_MINIMUM_RANGE, &t, msg, sizeof(msg));
	ok(strstr(msg, "90000") != NULL, "the message quotes the value");
	is_int(0, strcmp(soa_lint_name(SOA_LINT_SERIAL_NOT_CONVERTIBLE), "serial-not-convertible"),
	       "gauge names are the documented ones");
}

int main(void)
{
	test_timers();
	test_names();
	test_text();
	return done_testing();
}
