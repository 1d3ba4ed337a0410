/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*!
 * \file
 *
 * \brief libFuzzer target for the answers to replica checks (module/msg.c:
 *        soa_msg_soa_answer, soa_msg_check_cause) and the log line built from
 *        them (module/secondary.c): what any secondary, or anyone spoofing
 *        one, may send the service thread.
 *
 * Input: a datagram. The check it is read against has the datagram's own ID
 * (so that parsing is reached) and zone example.test., once unsigned and
 * once signed with a key the input cannot know.
 */

#include "common.h"
#include "soa/msg.h"
#include "soa/secondary.h"

static const knot_dname_t *ZONE = (const knot_dname_t *)"\x07""example\x04test";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static knot_tsig_key_t key;
	static bool have_key;
	if (!have_key) {
		have_key = knot_tsig_key_init(&key, "hmac-sha256", "check-key.",
		                              "ZnV6ei1rZXktbm90LWluLWFueS1pbnB1dC0wMDAwMA==") == KNOT_EOK;
	}
	uint16_t id = size >= 2 ? knot_wire_read_u16(data) : 0;
	uint8_t mac[32] = { 0 };

	for (int signed_check = 0; signed_check < 2; signed_check++) {
		fuzz_context = signed_check ? "signed check" : "unsigned check";
		soa_check_answer_t a;
		memset(&a, 0xa5, sizeof(a));
		int ret = soa_msg_soa_answer(data, size, id, ZONE, signed_check ? &key : NULL,
		                             mac, sizeof(mac), &a);
		CHECK(ret == KNOT_EOK || ret == KNOT_ENOENT || ret == KNOT_EMALF || ret == KNOT_ENOMEM,
		      "return %d", ret);
		if (ret != KNOT_EOK) {
			continue;
		}
		CHECK(a.kind <= SOA_CHECK_TSIG, "kind %d", a.kind);
		CHECK(signed_check || a.kind != SOA_CHECK_TSIG, "TSIG outcome of an unsigned check");
		CHECK(!signed_check || a.kind == SOA_CHECK_TSIG,
		      "an answer without the key's signature accepted (kind %d)", a.kind);

		char cause[48];
		memset(cause, 'x', sizeof(cause));
		soa_msg_check_cause(&a, cause, sizeof(cause));
		CHECK(memchr(cause, '\0', sizeof(cause)) != NULL, "cause not terminated");

		// The line a state change logs.
		soa_secondary_t s;
		soa_secondary_event_t ev;
		soa_secondary_init(&s);
		bool reached = (a.kind == SOA_CHECK_SERIAL);
		soa_secondary_result(&s, reached, a.serial, 2026113003u, 0, 20000, &ev);
		CHECK(ev.to < SOA_REPLICA__COUNT, "state %u", ev.to);
		CHECK(reached || ev.to == SOA_REPLICA_UNREACHABLE, "unreached but %u", ev.to);
		char line[256];
		soa_secondary_line_t l = { "192.0.2.3@53", s.serial, 2026113003u, cause, true };
		size_t n = soa_secondary_log_line(line, sizeof(line), &ev, &l);
		CHECK(n < sizeof(line) && line[n] == '\0', "line length %zu", n);
	}
	return 0;
}
