/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief One secondary: states, log lines, the check schedule. */

#include <string.h>

#include "soa/secondary.h"
#include "tap.h"

#define P 2026113003u     /* published */
#define S 1000            /* one second in ms */

static void test_classify(void)
{
	is_int(SOA_REPLICA_CURRENT, soa_secondary_classify(P, P), "equal: current");
	is_int(SOA_REPLICA_BEHIND, soa_secondary_classify(P - 2, P), "lower: behind");
	is_int(SOA_REPLICA_AHEAD, soa_secondary_classify(2099010100u, P), "greater: ahead");
	is_int(SOA_REPLICA_AHEAD, soa_secondary_classify(P + 0x80000000u, P),
	       "2^31 apart (incomparable): ahead");
	is_int(SOA_REPLICA_BEHIND, soa_secondary_classify(4294967295u, 5),
	       "RFC 1982 wrap: 2^32-1 is behind 5");
	is_int(SOA_REPLICA_AHEAD, soa_secondary_classify(5, 4294967295u),
	       "RFC 1982 wrap: 5 is ahead of 2^32-1");
	is_int(SOA_REPLICA_BEHIND, soa_secondary_classify(0, P), "serial 0: behind");
	ok(strcmp(soa_replica_state_name(SOA_REPLICA_UNREACHABLE), "unreachable") == 0,
	   "state names");
}

static void test_first_results(void)
{
	soa_secondary_t s;
	soa_secondary_event_t ev;

	soa_secondary_init(&s);
	is_int(SOA_REPLICA_UNREACHABLE, s.state, "not checked yet: counted unreachable");
	is_int(0, s.serial, "  serial 0 before the first answer");

	soa_secondary_result(&s, true, P, P, 0, 5 * S, &ev);
	is_int(SOA_REPLICA_CURRENT, ev.to, "first answer current");
	ok(!ev.log, "  no news: not logged");
	ok(ev.confirmed && s.confirmed, "  confirmed");

	soa_secondary_init(&s);
	soa_secondary_result(&s, false, 0, P, 0, 5 * S, &ev);
	ok(ev.log && ev.to == SOA_REPLICA_UNREACHABLE, "first check unanswered: logged");
	soa_secondary_result(&s, false, 0, P, 0, 9 * S, &ev);
	ok(!ev.log, "  again: logged once");
	soa_secondary_result(&s, true, P, P, 0, 12 * S, &ev);
	ok(ev.log && ev.from == SOA_REPLICA_UNREACHABLE && ev.to == SOA_REPLICA_CURRENT,
	   "  back: current logged");

	soa_secondary_init(&s);
	soa_secondary_result(&s, true, 2099010100u, P, 0, 5 * S, &ev);
	ok(ev.log && ev.to == SOA_REPLICA_AHEAD, "first answer ahead: logged at once");
	is_int(2099010100u, s.serial, "  serial kept");
}

static void test_behind_grace(void)
{
	soa_secondary_t s;
	soa_secondary_event_t ev;
	uint64_t alloc = 100 * S;

	// Current with the old serial, then a new one is published.
	soa_secondary_init(&s);
	soa_secondary_result(&s, true, P - 1, P - 1, 0, 50 * S, &ev);
	soa_secondary_new_serial(&s, P, alloc, alloc, &ev);
	ok(ev.from == SOA_REPLICA_CURRENT && ev.to == SOA_REPLICA_BEHIND && !ev.log,
	   "new serial: behind at once, not logged");
	ok(!s.confirmed && s.step == 0, "  not confirmed, schedule restarts");

	soa_secondary_result(&s, true, P - 1, P, alloc, alloc + 7 * S, &ev);
	ok(!ev.log && ev.behind_ms == 7 * S, "still behind after 7 s: within the grace");
	soa_secondary_result(&s, true, P, P, alloc, alloc + 8 * S, &ev);
	ok(!ev.log && ev.confirmed, "caught up in the grace: nothing logged, confirmed");

	// A second change it does not follow.
	soa_secondary_new_serial(&s, P + 1, alloc + 20 * S, alloc + 20 * S, &ev);
	soa_secondary_result(&s, true, P, P + 1, alloc + 20 * S, alloc + 23 * S, &ev);
	ok(!ev.log, "behind for 3 s: not logged");
	soa_secondary_result(&s, true, P, P + 1, alloc + 20 * S, alloc + 35 * S, &ev);
	ok(ev.log && ev.to == SOA_REPLICA_BEHIND && ev.behind_ms == 15 * S,
	   "behind for 15 s: logged, for 15 s");
	soa_secondary_result(&s, true, P, P + 1, alloc + 20 * S, alloc + 50 * S, &ev);
	ok(!ev.log && ev.behind_ms == 30 * S, "  once");

	// A third change while behind: it lacks serials since the first one.
	soa_secondary_new_serial(&s, P + 2, alloc + 60 * S, alloc + 60 * S, &ev);
	ok(!ev.log && ev.behind_ms == 40 * S, "newer serial: behind since the older one");
	soa_secondary_result(&s, true, P + 2, P + 2, alloc + 60 * S, alloc + 61 * S, &ev);
	ok(ev.log && ev.to == SOA_REPLICA_CURRENT, "caught up: current logged");

	// Between changes a secondary found with an older serial (restored from
	// a backup) lacks it since it was last seen current.
	soa_secondary_result(&s, true, P + 2, P + 2, alloc + 60 * S, alloc + 3600 * S, &ev);
	soa_secondary_result(&s, true, P - 5, P + 2, alloc + 60 * S, alloc + 7200 * S, &ev);
	ok(ev.log && ev.behind_ms == 3600 * S, "went back: behind since last seen current");

	// Unreachable, then back behind: behind waits for its grace again.
	soa_secondary_init(&s);
	soa_secondary_result(&s, true, P, P, 0, 1 * S, &ev);
	soa_secondary_result(&s, false, 0, P, 0, 2 * S, &ev);
	ok(ev.log && ev.to == SOA_REPLICA_UNREACHABLE, "unreachable logged");
	soa_secondary_new_serial(&s, P + 1, 3 * S, 3 * S, &ev);
	ok(ev.to == SOA_REPLICA_UNREACHABLE && !ev.log, "new serial: unreachable stays");
	is_int(P, s.serial, "  last serial kept");
	soa_secondary_result(&s, true, P, P + 1, 3 * S, 4 * S, &ev);
	ok(ev.to == SOA_REPLICA_BEHIND && !ev.log, "back with the old serial: grace");
	soa_secondary_result(&s, true, P + 1, P + 1, 3 * S, 5 * S, &ev);
	ok(ev.log && ev.from == SOA_REPLICA_BEHIND && ev.to == SOA_REPLICA_CURRENT,
	   "  then current: logged (last logged was unreachable)");

	// Ahead until the operator publishes above it.
	soa_secondary_init(&s);
	soa_secondary_result(&s, true, 2099010100u, P, 0, 1 * S, &ev);
	soa_secondary_new_serial(&s, 2099010101u, 2 * S, 2 * S, &ev);
	ok(ev.to == SOA_REPLICA_BEHIND && !ev.log, "serial-floor above it: behind, grace");
	soa_secondary_result(&s, true, 2099010101u, 2099010101u, 2 * S, 3 * S, &ev);
	ok(ev.log && ev.to == SOA_REPLICA_CURRENT, "  follows: current logged");
}

static void test_schedule(void)
{
	is_int(1 * S, soa_secondary_retry_delay(0, 3600), "retry 1 s");
	is_int(2 * S, soa_secondary_retry_delay(1, 3600), "then 2 s");
	is_int(64 * S, soa_secondary_retry_delay(6, 3600), "then doubling");
	is_int(10 * S, soa_secondary_retry_delay(6, 10), "capped by SOA retry");
	is_int(1 * S, soa_secondary_retry_delay(3, 0), "SOA retry 0: 1 s");
	is_int(3600 * S, soa_secondary_retry_delay(30, 86400), "at most an hour");

	is_int(1500, soa_secondary_slot(1000, 1000, 500), "slot: the phase in this interval");
	is_int(2200, soa_secondary_slot(1300, 1000, 200), "slot: else the next one");
	is_int(2200, soa_secondary_slot(2200, 1000, 2200), "slot: phase taken modulo, from included");

	soa_secondary_t s;
	soa_secondary_event_t ev;
	soa_secondary_init(&s);
	uint64_t change = 1000 * S, iv = 7200 * S, phase = 123 * S;
	soa_secondary_result(&s, true, P - 1, P, change, change + 1 * S, &ev);
	is_int(change + 2 * S, soa_secondary_next(&s, change + 1 * S, change, 10, iv, phase),
	       "behind after a change: next retry");
	s.step = 5;
	is_int(change + 90 * S, soa_secondary_next(&s, change + 80 * S, change, 10, iv, phase),
	       "retries capped at SOA retry");
	uint64_t late = change + 95 * S;
	uint64_t next = soa_secondary_next(&s, late, change, 10, iv, phase);
	ok(next >= late + iv / 2 && next % iv == phase,
	   "after 10 x SOA retry: periodic, at the phase");
	soa_secondary_result(&s, true, P, P, change, change + 3 * S, &ev);
	next = soa_secondary_next(&s, change + 3 * S, change, 10, iv, phase);
	ok(next >= change + 3 * S + iv / 2 && next < change + 3 * S + iv + iv / 2 &&
	   next % iv == phase, "current: periodic at its phase");
	soa_secondary_init(&s);
	soa_secondary_result(&s, false, 0, P, 0, 5 * S, &ev);
	is_int(15 * S, soa_secondary_next(&s, 5 * S, 0, 10, iv, phase),
	       "unreachable between changes: again after the SOA retry");
	is_int(7 * S, soa_secondary_next(&s, 5 * S, 0, 3600, 2 * S, phase),
	       "  at most an interval");
	soa_secondary_result(&s, true, P - 1, P, 0, 6 * S, &ev);
	next = soa_secondary_next(&s, 6 * S, 0, 10, iv, phase);
	ok(next % iv == phase && next >= 6 * S + iv / 2, "behind between changes: periodic");
}

static void test_lines(void)
{
	char buf[256];
	soa_secondary_event_t ev = { .to = SOA_REPLICA_BEHIND, .behind_ms = 95400 };
	soa_secondary_line_t l = { "192.0.2.3@53", 2026113001u, P, NULL, true };
	soa_secondary_log_line(buf, sizeof(buf), &ev, &l);
	ok(strcmp(buf, "replica 192.0.2.3@53 behind, serial 2026113001, published 2026113003, "
	           "for 95 s") == 0, "behind line: %s", buf);

	ev.to = SOA_REPLICA_CURRENT;
	l.serial = P;
	soa_secondary_log_line(buf, sizeof(buf), &ev, &l);
	ok(strcmp(buf, "replica 192.0.2.3@53 current, serial 2026113003, "
	           "published 2026113003") == 0, "current line: %s", buf);

	ev.to = SOA_REPLICA_AHEAD;
	l.serial = 2099010100u;
	soa_secondary_log_line(buf, sizeof(buf), &ev, &l);
	ok(strstr(buf, "replica 192.0.2.3@53 ahead, serial 2099010100, published 2026113003") == buf &&
	   strstr(buf, "serial-floor 2099010101") != NULL && strstr(buf, "RFC 1982") != NULL,
	   "ahead line names the remedies: %s", buf);
	l.date = false;
	soa_secondary_log_line(buf, sizeof(buf), &ev, &l);
	ok(strstr(buf, "serial-floor") == NULL && strstr(buf, "RFC 1982") != NULL,
	   "  keep mode: no serial-floor: %s", buf);

	ev.to = SOA_REPLICA_UNREACHABLE;
	l.serial = 2026113001u;
	l.cause = "TSIG, BADSIG";
	soa_secondary_log_line(buf, sizeof(buf), &ev, &l);
	ok(strcmp(buf, "replica 192.0.2.3@53 unreachable (TSIG, BADSIG), serial 2026113001, "
	           "published 2026113003") == 0, "unreachable line: %s", buf);

	char small[16];
	size_t n = soa_secondary_log_line(small, sizeof(small), &ev, &l);
	is_int(15, n, "truncated to the buffer");
}

static void test_hash(void)
{
	is_int(0x811c9dc5u, soa_secondary_hash(0, "", 0), "FNV-1a offset basis");
	ok(soa_secondary_hash(0, "a", 1) != soa_secondary_hash(1, "a", 1), "seeded");
}

int main(void)
{
	test_classify();
	test_first_results();
	test_behind_grace();
	test_schedule();
	test_lines();
	test_hash();
	return done_testing();
}
