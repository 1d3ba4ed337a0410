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
 * \brief Replica checks on the wire: the heap of secondaries by next check,
 *        the via sockets, the checks in flight and their pace.
 *
 * A check in flight is found again by its message ID (a table of all 65536)
 * and the answer's source address. What a check finds goes back to
 * replica.c as a soa_check_over_t.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soa/checks.h"
#include "soa/knotd_compat.h"
#include "soa/msg.h"

/*! \brief Wait for the answer after each send (ms): 1 s, then 2 s. */
#define TRY_WAIT_MS(tries) ((tries) <= 1 ? 1000 : 2000)
/*! \brief Most source (via) addresses with their own socket. */
#define VIA_SOCKETS 8
/*! \brief Not in the heap. */
#define NO_HEAP SIZE_MAX

/*! \brief A check in flight. */
typedef struct {
	soa_checked_t *sec;          /*!< NULL: free. */
	uint16_t id;
	uint8_t tries;               /*!< Sends so far. */
	uint64_t deadline;           /*!< Next send, or giving up. */
	uint8_t mac[SOA_KNOTD_MAC_MAX];
	size_t mac_len;
	char cause[SOA_CHECKS_CAUSE];/*!< Why the last answer was refused, if any. */
} flight_t;

/*! \brief A socket bound to a remote's via address. */
typedef struct {
	soa_addr_t addr;
	int fd;
	unsigned refs;
} via_t;

static struct {
	soa_checked_t **heap;
	size_t heap_len, heap_cap;
	size_t secondaries;          /*!< Of every zone: the heap's most. */
	flight_t flights[SOA_CHECKS_WINDOW];
	int32_t free_slots[SOA_CHECKS_WINDOW];
	unsigned n_free;
	bool flights_ready;
	uint16_t by_id[65536];       /*!< Flight slot + 1 of each ID in use. */
	uint64_t next_deadline;      /*!< Earliest flight deadline (a hint). */
	bool walking;                /*!< soa_checks_expire() is at walk_at. */
	int32_t walk_at;
	double tokens;
	uint64_t last_refill;
	via_t via[VIA_SOCKETS];
	bool via_full_logged;
} rep;

/* The heap of secondaries by next check. */

static bool heap_less(size_t a, size_t b)
{
	return rep.heap[a]->due < rep.heap[b]->due;
}

static void heap_swap(size_t a, size_t b)
{
	soa_checked_t *t = rep.heap[a];
	rep.heap[a] = rep.heap[b];
	rep.heap[b] = t;
	rep.heap[a]->heap = a;
	rep.heap[b]->heap = b;
}

static void heap_up(size_t i)
{
	while (i > 0 && heap_less(i, (i - 1) / 2)) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < rep.heap_len && heap_less(l, m)) {
			m = l;
		}
		if (r < rep.heap_len && heap_less(r, m)) {
			m = r;
		}
		if (m == i) {
			return;
		}
		heap_swap(i, m);
		i = m;
	}
}

static void heap_remove(soa_checked_t *s)
{
	if (s->heap == NO_HEAP) {
		return;
	}
	size_t i = s->heap;
	s->heap = NO_HEAP;
	if (i != --rep.heap_len) {
		rep.heap[i] = rep.heap[rep.heap_len];
		rep.heap[i]->heap = i;
		heap_up(i);
		heap_down(i);
	}
}

/* The heap has room for every secondary. */
void soa_checks_schedule(soa_checked_t *s, uint64_t due)
{
	s->due = due;
	if (s->heap == NO_HEAP) {
		s->heap = rep.heap_len++;
		rep.heap[s->heap] = s;
	}
	heap_up(s->heap);
	heap_down(s->heap);
}

/* Via sockets. */

static int8_t via_acquire(const soa_addr_t *addr)
{
	int8_t empty = -1;
	for (int8_t i = 0; i < VIA_SOCKETS; i++) {
		via_t *v = &rep.via[i];
		if (v->refs > 0 && v->addr.sa.sa_family == addr->sa.sa_family &&
		    memcmp(&v->addr, addr, soa_addr_len(addr)) == 0) {
			v->refs++;
			return i;
		} else if (v->refs == 0 && empty < 0) {
			empty = i;
		}
	}
	if (empty < 0) {
		return -1;
	}
	// Any source port: the address is what the remote's via asks for.
	via_t *v = &rep.via[empty];
	v->addr = *addr;
	soa_addr_t bind_to = *addr;
	if (bind_to.sa.sa_family == AF_INET6) {
		bind_to.in6.sin6_port = 0;
	} else {
		bind_to.in.sin_port = 0;
	}
	v->fd = soa_via_socket(&bind_to);
	if (v->fd < 0) {
		return -1;
	}
	v->refs = 1;
	return empty;
}

static void via_release(int8_t i)
{
	if (i >= 0 && rep.via[i].refs > 0 && --rep.via[i].refs == 0) {
		close(rep.via[i].fd);
		rep.via[i].fd = -1;
	}
}

size_t soa_checks_poll_fds(struct pollfd *fds, size_t room)
{
	size_t n = 0;
	for (unsigned i = 0; i < VIA_SOCKETS && n < room; i++) {
		if (rep.via[i].refs > 0) {
			fds[n++] = (struct pollfd){ .fd = rep.via[i].fd, .events = POLLIN };
		}
	}
	return n;
}

/* Secondaries. */

static void flights_init(void)
{
	if (rep.flights_ready) {
		return;
	}
	for (unsigned i = 0; i < SOA_CHECKS_WINDOW; i++) {
		rep.flights[i].sec = NULL;
		rep.free_slots[i] = SOA_CHECKS_WINDOW - 1 - i;
	}
	rep.n_free = SOA_CHECKS_WINDOW;
	rep.flights_ready = true;
}

bool soa_checks_ready(void)
{
	return rep.flights_ready;
}

int soa_checks_reserve(size_t n)
{
	flights_init();
	// The heap holds every secondary at most: room for them now.
	if (rep.secondaries + n > rep.heap_cap) {
		size_t cap = rep.heap_cap ? rep.heap_cap : 64;
		while (cap < rep.secondaries + n) {
			cap *= 2;
		}
		soa_checked_t **heap = realloc(rep.heap, cap * sizeof(*heap));
		if (heap != NULL) {
			rep.heap = heap;
			rep.heap_cap = cap;
		}
	}
	return rep.secondaries + n > rep.heap_cap ? KNOT_ENOMEM : KNOT_EOK;
}

void soa_checks_add(soa_checked_t *s)
{
	rep.secondaries++;
	s->via = -1;
	if (s->rmt->via.sa.sa_family != AF_UNSPEC &&
	    (s->via = via_acquire(&s->rmt->via)) < 0 && !rep.via_full_logged) {
		rep.via_full_logged = true;
		knotd_mod_log(s->w->mod, LOG_WARNING, "replica checks, no socket for "
		              "another via address, checks leave from the default "
		              "source");
	}
	s->flight = -1;
	s->heap = NO_HEAP;
}

static void flight_end(int32_t slot)
{
	flight_t *f = &rep.flights[slot];
	rep.by_id[f->id] = 0;
	f->sec->flight = -1;
	f->sec = NULL;
	rep.free_slots[rep.n_free++] = slot;
}

void soa_checks_drop(soa_checked_t *s)
{
	heap_remove(s);
	if (s->flight >= 0) {
		flight_end(s->flight);
	}
	via_release(s->via);
	rep.secondaries--;
}

/* Checks in flight. */

/*! \brief Sends (again) the check of a flight (a failed send waits like a lost one). */
static void flight_send(flight_t *f, uint64_t now, int fd4, int fd6)
{
	soa_checked_t *s = f->sec;
	const soa_remote_t *rmt = s->rmt;
	int fd = (s->via >= 0) ? rep.via[s->via].fd :
	         s->addr->sa.sa_family == AF_INET6 ? fd6 : fd4;

	// A new ID for each send (also a new MAC): answers to an older send
	// are not waited for.
	uint16_t id;
	do {
		id = dnssec_random_uint16_t();
	} while (rep.by_id[id] != 0);
	if (f->tries > 0) {
		rep.by_id[f->id] = 0;
	}
	f->id = id;
	rep.by_id[id] = (uint16_t)(f - rep.flights) + 1;

	uint8_t buf[SOA_MSG_MAX];
	size_t len = 0;
	f->mac_len = sizeof(f->mac);
	int ret = soa_msg_soa_check(buf, sizeof(buf), id, s->w->zone,
	                            rmt->key.name != NULL ? &rmt->key : NULL,
	                            f->mac, &f->mac_len, &len);
	if (ret == KNOT_EOK && fd >= 0) {
		ssize_t sent = sendto(fd, buf, len, 0, &s->addr->sa, soa_addr_len(s->addr));
		ret = (sent == (ssize_t)len) ? KNOT_EOK : knot_map_errno();
	} else if (ret == KNOT_EOK) {
		ret = KNOT_ECONN;
	}
	if (ret != KNOT_EOK) {
		(void)snprintf(f->cause, sizeof(f->cause), "%s", knot_strerror(ret));
	}
	f->tries++;
	f->deadline = now + TRY_WAIT_MS(f->tries);
	if (f->deadline < rep.next_deadline) {
		rep.next_deadline = f->deadline;
	}
	rep.tokens -= 1;
	soa_count(s->w->metrics, 0, SOA_CTR_REPLICA_CHECK, SOA_REPLICA_CHECK_SENT);
}

/*! \brief Starts the check of a secondary. */
static void check_start(soa_checked_t *s, uint64_t now, int fd4, int fd6)
{
	int32_t slot = rep.free_slots[--rep.n_free];
	flight_t *f = &rep.flights[slot];
	memset(f, 0, sizeof(*f));
	f->sec = s;
	s->flight = slot;
	flight_send(f, now, fd4, fd6);
}

/*! \brief Ends the check of a flight: *over (its cause set) says what it found. */
static void check_over(int32_t slot, bool reached, uint32_t serial, soa_check_over_t *over)
{
	over->sec = rep.flights[slot].sec;
	over->reached = reached;
	over->serial = serial;
	flight_end(slot);
}

bool soa_checks_expire(uint64_t now, int fd4, int fd6, soa_check_over_t *over)
{
	if (!rep.walking) {
		if (now < rep.next_deadline || rep.n_free == SOA_CHECKS_WINDOW) {
			return false;
		}
		rep.next_deadline = UINT64_MAX;
		rep.walking = true;
		rep.walk_at = 0;
	}
	while (rep.walk_at < SOA_CHECKS_WINDOW) {
		int32_t i = rep.walk_at++;
		flight_t *f = &rep.flights[i];
		if (f->sec == NULL) {
			continue;
		}
		if (f->deadline <= now && f->tries >= SOA_CHECKS_TRIES) {
			(void)snprintf(over->cause, sizeof(over->cause), "%s",
			               f->cause[0] != '\0' ? f->cause : "timeout");
			check_over(i, false, 0, over);
			return true;
		} else if (f->deadline <= now) {
			// Retransmissions wait for the rate like new checks.
			if (rep.tokens < 1) {
				f->deadline = now + 10;
			} else {
				flight_send(f, now, fd4, fd6);
			}
		}
		if (f->deadline < rep.next_deadline) {
			rep.next_deadline = f->deadline;
		}
	}
	rep.walking = false;
	return false;
}

bool soa_checks_on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from,
                         soa_check_over_t *over)
{
	over->sec = NULL;
	if (len < KNOT_WIRE_HEADER_SIZE) {
		return false;
	}
	uint16_t slot = rep.by_id[knot_wire_get_id(buf)];
	if (slot == 0) {
		return false;
	}
	flight_t *f = &rep.flights[slot - 1];
	soa_checked_t *s = f->sec;
	if (s == NULL || !soa_addr_equal(from, s->addr)) {
		return false;
	}

	soa_check_answer_t a;
	int ret = soa_msg_soa_answer(buf, len, f->id, s->w->zone,
	                             s->rmt->key.name != NULL ? &s->rmt->key : NULL,
	                             f->mac, f->mac_len, &a);
	if (ret != KNOT_EOK) {
		return true;                  // not an answer to it: keep waiting
	}
	soa_count(s->w->metrics, 0, SOA_CTR_REPLICA_CHECK, SOA_REPLICA_CHECK_ANSWERED);

	soa_msg_check_cause(&a, over->cause, sizeof(over->cause));
	if (a.kind == SOA_CHECK_TSIG) {
		// Not authentic: remembered, an authentic answer may still come.
		memcpy(f->cause, over->cause, sizeof(f->cause));
		return true;
	}
	check_over(slot - 1, a.kind == SOA_CHECK_SERIAL, a.serial, over);
	return true;
}

/* The pace. */

void soa_checks_refill(uint64_t now)
{
	if (rep.last_refill == 0 || now < rep.last_refill) {
		rep.last_refill = now;
		rep.tokens = SOA_CHECKS_BURST;
		return;
	}
	rep.tokens += (double)(now - rep.last_refill) * SOA_CHECKS_RATE / 1000.0;
	if (rep.tokens > SOA_CHECKS_BURST) {
		rep.tokens = SOA_CHECKS_BURST;
	}
	rep.last_refill = now;
}

void soa_checks_start_due(uint64_t now, int fd4, int fd6)
{
	while (rep.heap_len > 0 && rep.heap[0]->due <= now && rep.tokens >= 1 &&
	       rep.n_free > 0) {
		soa_checked_t *s = rep.heap[0];
		heap_remove(s);
		check_start(s, now, fd4, fd6);
	}
}

int soa_checks_timeout(uint64_t now, int max)
{
	if (!rep.flights_ready) {
		return max;
	}
	uint64_t wake = now + max;
	if (rep.heap_len > 0 && rep.n_free > 0) {
		uint64_t due = rep.heap[0]->due;
		if (due <= now && rep.tokens < 1) {
			// Paced: when the next token is there.
			due = now + 1 + (uint64_t)((1 - rep.tokens) * 1000 / SOA_CHECKS_RATE);
		}
		wake = due < wake ? due : wake;
	}
	if (rep.n_free < SOA_CHECKS_WINDOW && rep.next_deadline < wake) {
		wake = rep.next_deadline;
	}
	return wake <= now ? 0 : (int)(wake - now);
}

void soa_checks_clear(void)
{
	for (unsigned i = 0; i < VIA_SOCKETS; i++) {
		if (rep.via[i].refs > 0) {
			close(rep.via[i].fd);
		}
	}
	free(rep.heap);
	memset(&rep, 0, sizeof(rep));
}
