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
 * \brief One secondary's state, its log lines and its check schedule.
 */

#include <stdio.h>
#include <string.h>

#include "soa/secondary.h"
#include "soa/serial.h"

static const char *const state_names[SOA_REPLICA__COUNT] = {
	[SOA_REPLICA_CURRENT]     = "current",
	[SOA_REPLICA_BEHIND]      = "behind",
	[SOA_REPLICA_AHEAD]       = "ahead",
	[SOA_REPLICA_UNREACHABLE] = "unreachable",
};

const char *soa_replica_state_name(soa_replica_state_t state)
{
	return state < SOA_REPLICA__COUNT ? state_names[state] : "?";
}

soa_replica_state_t soa_secondary_classify(uint32_t held, uint32_t published)
{
	// RFC 1982 §3.2: a serial 2^31 away is neither lower nor greater; the
	// secondary will not take the published one either way.
	switch (soa_serial_cmp(held, published)) {
	case SOA_SERIAL_EQUAL:
		return SOA_REPLICA_CURRENT;
	case SOA_SERIAL_LOWER:
		return SOA_REPLICA_BEHIND;
	default:
		return SOA_REPLICA_AHEAD;
	}
}

void soa_secondary_init(soa_secondary_t *s)
{
	memset(s, 0, sizeof(*s));
	s->state = SOA_REPLICA_UNREACHABLE;
	// Not checked yet: a first answer that is current is no news.
	s->logged = SOA_REPLICA_CURRENT;
}

void soa_secondary_result(soa_secondary_t *s, bool reached, uint32_t serial,
                          uint32_t published, uint64_t alloc_ms, uint64_t now,
                          soa_secondary_event_t *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->from = s->state;

	soa_replica_state_t to = SOA_REPLICA_UNREACHABLE;
	if (reached) {
		s->answered = true;
		s->serial = serial;
		to = soa_secondary_classify(serial, published);
	}
	if (to == SOA_REPLICA_CURRENT) {
		s->last_current = now;
		ev->confirmed = !s->confirmed;
		s->confirmed = true;
	} else if (to == SOA_REPLICA_BEHIND && s->state != SOA_REPLICA_BEHIND) {
		// It lacks the serial since its allocation, or since it was last
		// seen holding it (a secondary that went back).
		s->lacking_from = alloc_ms > s->last_current ? alloc_ms : s->last_current;
	}
	s->state = to;
	ev->to = to;
	if (to == SOA_REPLICA_BEHIND) {
		ev->behind_ms = now > s->lacking_from ? now - s->lacking_from : 0;
	}

	// One line per change; behind only once it lasts beyond a transfer.
	if (to != s->logged &&
	    (to != SOA_REPLICA_BEHIND || ev->behind_ms >= SOA_SECONDARY_BEHIND_GRACE_MS)) {
		ev->log = true;
		s->logged = to;
	}
}

void soa_secondary_new_serial(soa_secondary_t *s, uint32_t published, uint64_t alloc_ms,
                              uint64_t now, soa_secondary_event_t *ev)
{
	s->confirmed = false;
	s->step = 0;
	if (s->answered && s->state != SOA_REPLICA_UNREACHABLE) {
		soa_secondary_result(s, true, s->serial, published, alloc_ms, now, ev);
	} else {
		memset(ev, 0, sizeof(*ev));
		ev->from = ev->to = s->state;
	}
}

uint64_t soa_secondary_retry_delay(unsigned step, uint32_t soa_retry)
{
	uint64_t cap = (uint64_t)soa_retry * 1000;
	cap = cap < 1000 ? 1000 : cap > SOA_SECONDARY_RETRY_CAP_MS ? SOA_SECONDARY_RETRY_CAP_MS : cap;
	uint64_t delay = 1000ULL << (step > 22 ? 22 : step);
	return delay < cap ? delay : cap;
}

uint64_t soa_secondary_slot(uint64_t from, uint64_t interval_ms, uint64_t phase_ms)
{
	if (interval_ms == 0) {
		return from;
	}
	uint64_t t = from - from % interval_ms + phase_ms % interval_ms;
	return t < from ? t + interval_ms : t;
}

uint64_t soa_secondary_next(const soa_secondary_t *s, uint64_t now, uint64_t change_ms,
                            uint32_t soa_retry, uint64_t interval_ms, uint64_t phase_ms)
{
	// After a change: retries at growing intervals until it reports the
	// published serial, or until 10 x SOA retry has passed.
	if (change_ms != 0 && s->state != SOA_REPLICA_CURRENT) {
		uint64_t next = now + soa_secondary_retry_delay(s->step, soa_retry);
		if (next <= change_ms + 10ULL * soa_retry * 1000) {
			return next;
		}
	}
	// Between changes: an unreachable one again after the SOA retry (as a
	// secondary retries a failed refresh), at most an interval away.
	if (s->state == SOA_REPLICA_UNREACHABLE) {
		uint64_t retry = (uint64_t)soa_retry * 1000;
		retry = retry < 1000 ? 1000 : retry;
		return now + (retry < interval_ms ? retry : interval_ms);
	}
	// Else once per interval, at the secondary's phase, at least half an
	// interval away.
	return soa_secondary_slot(now + interval_ms / 2, interval_ms, phase_ms);
}

size_t soa_secondary_log_line(char *buf, size_t len, const soa_secondary_event_t *ev,
                              const soa_secondary_line_t *l)
{
	int n = 0;
	switch (ev->to) {
	case SOA_REPLICA_CURRENT:
		n = snprintf(buf, len, "replica %s current, serial %u, published %u",
		             l->remote, l->serial, l->published);
		break;
	case SOA_REPLICA_BEHIND:
		n = snprintf(buf, len, "replica %s behind, serial %u, published %u, for %llu s",
		             l->remote, l->serial, l->published,
		             (unsigned long long)(ev->behind_ms / 1000));
		break;
	case SOA_REPLICA_AHEAD:
		// Its serial is above (or 2^31 from) ours: it never takes ours.
		if (l->date) {
			n = snprintf(buf, len, "replica %s ahead, serial %u, published %u, it will "
			             "not follow; publish above it with serial-floor %u, or go "
			             "back to lower serials by RFC 1982 stepping",
			             l->remote, l->serial, l->published, l->serial + 1);
		} else {
			n = snprintf(buf, len, "replica %s ahead, serial %u, published %u, it will "
			             "not follow; raise the zone's serial above %u, or go back to "
			             "lower serials by RFC 1982 stepping",
			             l->remote, l->serial, l->published, l->serial);
		}
		break;
	default:
		n = snprintf(buf, len, "replica %s unreachable (%s), serial %u, published %u",
		             l->remote, l->cause != NULL ? l->cause : "no answer", l->serial,
		             l->published);
		break;
	}
	if (n < 0 || len == 0) {
		return 0;
	}
	return (size_t)n < len ? (size_t)n : len - 1;
}

uint32_t soa_secondary_hash(uint32_t seed, const void *data, size_t len)
{
	uint32_t h = 2166136261u ^ seed;
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ p[i]) * 16777619u;
	}
	return h;
}
