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
 * \brief Change detection: D-Bus announcements, bounded polling, checks.
 *
 * Slightly over 500 lines: the zone registry, the check queue, the polling
 * budget and the D-Bus state all read and write one state (det) under the
 * service thread's lock, and each decides for the others which zones are
 * checked; split, that state would have to be shared between files.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soa/dbus.h"
#include "soa/detect.h"
#include "soa/msg.h"
#include "soa/notify.h"
#include "soa/snap.h"

/*! \brief A check without an answer for this long is over (and retried once
 *         more while an announcement waits, at most CHECK_TRIES times). */
#define CHECK_TIMEOUT_MS 1000
#define CHECK_TRIES 5
/*! \brief An allocation this soon after a poll was caused by that poll. */
#define ANSWER_MS 200
/*! \brief Polling examines at most this many zones per check it may send. */
#define SCAN_PER_CHECK 16
/*! \brief How often an unusable bus is tried again. */
#define BUS_RETRY_MS 5000

/*! \brief What the process's change detection is doing, for the log. */
typedef enum {
	STATE_NONE = 0,   /*!< Nothing logged yet. */
	STATE_DBUS,       /*!< knotd's events on D-Bus. */
	STATE_POLL,       /*!< Polling. */
	STATE_OFF,        /*!< Neither (every zone: change-detect: off). */
} state_t;

static struct {
	soa_watch_t **zones;        /*!< Every zone, in polling order. */
	size_t count, cap;
	soa_watch_t **buckets;      /*!< Zones by name. */
	size_t nbuckets;
	size_t cursor;              /*!< Next zone polling looks at. */
	double credit;              /*!< Checks polling may send now. */
	uint64_t last_run;
	soa_watch_t *q_head, *q_tail;                 /*!< Check queue. */
	soa_watch_t *in_flight[SOA_DETECT_WINDOW];
	unsigned n_in_flight;
	size_t want_dbus;           /*!< Zones with auto or dbus. */
	size_t want_poll;           /*!< Zones with poll. */
	size_t want_strict;         /*!< Zones with dbus (warn when polling instead). */
	bool dbus_known, dbus_emitted; /*!< knotd's dbus-event includes zone-updated. */
	soa_dbus_t *bus;
	bool bus_up;                /*!< Connected, and knotd emits there. */
	uint64_t bus_retry;
	uint64_t now;               /*!< Time of the pass (for the signal callback). */
	state_t logged;
} det;

/* Zones by name. */

static size_t name_hash(const knot_dname_t *name)
{
	// FNV-1a over the wire form (knotd keeps zone names in lower case).
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0, len = knot_dname_size(name); i < len; i++) {
		h = (h ^ name[i]) * 1099511628211ULL;
	}
	return (size_t)h;
}

static soa_watch_t **bucket(const knot_dname_t *name)
{
	return &det.buckets[name_hash(name) & (det.nbuckets - 1)];
}

static soa_watch_t *lookup(const knot_dname_t *name)
{
	if (det.nbuckets == 0) {
		return NULL;
	}
	for (soa_watch_t *w = *bucket(name); w != NULL; w = w->h_next) {
		if (knot_dname_is_equal(w->zone, name)) {
			return w;
		}
	}
	return NULL;
}

/*! \brief Keeps the hash at least as big as the zone list. */
static int rehash(size_t want)
{
	if (want <= det.nbuckets) {
		return KNOT_EOK;
	}
	size_t n = det.nbuckets ? det.nbuckets : 64;
	while (n < want) {
		n *= 2;
	}
	soa_watch_t **b = calloc(n, sizeof(*b));
	if (b == NULL) {
		return KNOT_ENOMEM;
	}
	free(det.buckets);
	det.buckets = b;
	det.nbuckets = n;
	for (size_t i = 0; i < det.count; i++) {
		soa_watch_t *w = det.zones[i];
		soa_watch_t **head = bucket(w->zone);
		w->h_next = *head;
		*head = w;
	}
	return KNOT_EOK;
}

/* The check queue and the checks in flight. */

static void enqueue(soa_watch_t *w)
{
	if (w->queued || w->in_flight) {
		return;
	}
	w->queued = true;
	w->q_next = NULL;
	w->q_prev = det.q_tail;
	*(det.q_tail != NULL ? &det.q_tail->q_next : &det.q_head) = w;
	det.q_tail = w;
}

static void dequeue(soa_watch_t *w)
{
	if (!w->queued) {
		return;
	}
	*(w->q_prev != NULL ? &w->q_prev->q_next : &det.q_head) = w->q_next;
	*(w->q_next != NULL ? &w->q_next->q_prev : &det.q_tail) = w->q_prev;
	w->queued = false;
}

static void landed(unsigned i)
{
	det.in_flight[i]->in_flight = false;
	det.in_flight[i] = det.in_flight[--det.n_in_flight];
}

static void checked_at(soa_watch_t *w, uint64_t when)
{
	w->checked_before = w->checked;
	w->checked = when;
}

/*! \brief Whether a zone is polled now. */
static bool polled(const soa_watch_t *w)
{
	return w->detect == SOA_DETECT_POLL ||
	       (w->detect != SOA_DETECT_OFF && !det.bus_up);
}

/* The registry. */

int soa_detect_add(soa_watch_t *w, uint64_t now)
{
	if (det.count == det.cap) {
		size_t cap = det.cap ? 2 * det.cap : 64;
		soa_watch_t **grown = realloc(det.zones, cap * sizeof(*grown));
		if (grown == NULL) {
			return KNOT_ENOMEM;
		}
		det.zones = grown;
		det.cap = cap;
	}
	if (rehash(det.count + 1) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	w->index = det.count;
	det.zones[det.count++] = w;
	soa_watch_t **head = bucket(w->zone);
	w->h_next = *head;
	*head = w;

	// First polls spread over a period, so zones do not poll in step.
	w->checked = w->checked_before = now - (w->index * 7919) % SOA_DETECT_POLL_MS;
	det.want_dbus += (w->detect == SOA_DETECT_AUTO || w->detect == SOA_DETECT_DBUS);
	det.want_strict += (w->detect == SOA_DETECT_DBUS);
	det.want_poll += (w->detect == SOA_DETECT_POLL);
	return KNOT_EOK;
}

void soa_detect_remove(soa_watch_t *w)
{
	dequeue(w);
	for (unsigned i = 0; i < det.n_in_flight; i++) {
		if (det.in_flight[i] == w) {
			landed(i);
			break;
		}
	}
	for (soa_watch_t **p = bucket(w->zone); *p != NULL; p = &(*p)->h_next) {
		if (*p == w) {
			*p = w->h_next;
			break;
		}
	}
	soa_watch_t *last = det.zones[--det.count];
	det.zones[w->index] = last;
	last->index = w->index;
	det.want_dbus -= (w->detect == SOA_DETECT_AUTO || w->detect == SOA_DETECT_DBUS);
	det.want_strict -= (w->detect == SOA_DETECT_DBUS);
	det.want_poll -= (w->detect == SOA_DETECT_POLL);
}

void soa_detect_set_dbus(bool zone_updated)
{
	if (!det.dbus_known) {
		det.dbus_known = true;
		det.dbus_emitted = zone_updated;
	}
}

/* What the process is doing, logged once per state. */

static knotd_mod_t *log_mod(void)
{
	return det.count > 0 ? det.zones[0]->mod : NULL;
}

static void log_state(state_t state, const char *why)
{
	knotd_mod_t *mod = log_mod();
	if (state == det.logged || mod == NULL) {
		return;
	}
	bool first = (det.logged == STATE_NONE);
	det.logged = state;
	switch (state) {
	case STATE_DBUS:
		knotd_mod_log(mod, LOG_INFO, "change detection%s: knotd's zone-updated events "
		              "on D-Bus, for every zone", first ? "" : " back");
		break;
	case STATE_POLL:
		knotd_mod_log(mod, det.want_strict > 0 ? LOG_WARNING : LOG_INFO,
		              "change detection%s: polling, at most %u zones a second (%s)",
		              first ? "" : " falls back", SOA_DETECT_POLL_RATE, why);
		break;
	case STATE_OFF:
		knotd_mod_log(mod, LOG_INFO, "change detection: off, changes are seen by "
		              "answers only");
		break;
	default:
		break;
	}
}

/* D-Bus. */

static void on_signal(void *ctx, const char *zone, uint32_t serial)
{
	(void)ctx;
	knot_dname_storage_t name;
	if (knot_dname_from_str(name, zone, sizeof(name)) == NULL) {
		return;
	}
	knot_dname_to_lower(name);
	soa_watch_t *w = lookup(name);
	if (w == NULL || (w->detect != SOA_DETECT_AUTO && w->detect != SOA_DETECT_DBUS)) {
		return;
	}
	rcu_read_lock();
	const soa_snap_t *snap = rcu_dereference(*w->snap);
	bool seen = (snap != NULL && snap->real == serial);
	rcu_read_unlock();
	if (seen) {
		return;
	}
	w->have_want = true;
	w->want = serial;
	w->signal_ms = det.now;
	w->tries = 0;
	enqueue(w);
}

static void bus_close(void)
{
	soa_dbus_close(det.bus);
	det.bus = NULL;
	det.bus_up = false;
}

/*! \brief Every zone that was polled or waited for the bus: checked once. */
static void check_all(void)
{
	for (size_t i = 0; i < det.count; i++) {
		if (det.zones[i]->detect != SOA_DETECT_OFF) {
			enqueue(det.zones[i]);
		}
	}
}

/*! \brief Keeps the bus connected while zones want it. */
static void bus_upkeep(uint64_t now)
{
	if (det.want_dbus == 0 || !det.dbus_known) {
		log_state(det.want_poll > 0 ? STATE_POLL : STATE_OFF, "change-detect: poll");
		return;
	}
	if (!det.dbus_emitted) {
		log_state(STATE_POLL, "server dbus-event lacks zone-updated");
		return;
	}
	if (det.bus_up || now < det.bus_retry) {
		return;
	}
	det.bus_retry = now + BUS_RETRY_MS;
	char why[96] = "knotd is not on D-Bus";
	int ret = (det.bus == NULL) ? soa_dbus_open(on_signal, NULL, &det.bus) : KNOT_EOK;
	if (ret != KNOT_EOK) {
		(void)snprintf(why, sizeof(why), "no D-Bus, %s", knot_strerror(ret));
	} else if ((ret = soa_dbus_knotd_here(det.bus)) != KNOT_EOK && ret != KNOT_ENOENT) {
		(void)snprintf(why, sizeof(why), "D-Bus, %s", knot_strerror(ret));
	}
	if (ret != KNOT_EOK) {
		bus_close();
		log_state(STATE_POLL, why);
		return;
	}
	// Changes made while the zones were polled, or before: one check each.
	det.bus_up = true;
	log_state(STATE_DBUS, NULL);
	check_all();
}

size_t soa_detect_poll_fds(struct pollfd *fds, size_t room)
{
	if (det.bus == NULL || room == 0) {
		return 0;
	}
	short events;
	fds[0] = (struct pollfd){ .fd = soa_dbus_fd(det.bus, &events) };
	fds[0].events = events;
	return fds[0].fd >= 0 ? 1 : 0;
}

void soa_detect_on_fds(const struct pollfd *fds, size_t count, uint64_t now)
{
	if (det.bus == NULL || count == 0 || fds[0].revents == 0) {
		return;
	}
	det.now = now;
	int ret = soa_dbus_process(det.bus);
	if (ret != KNOT_EOK) {
		char why[96];
		(void)snprintf(why, sizeof(why), "D-Bus connection lost, %s", knot_strerror(ret));
		bus_close();
		det.bus_retry = now + BUS_RETRY_MS;
		log_state(STATE_POLL, why);
	}
}

/* Checks. */

void soa_detect_on_answer(const uint8_t *buf, size_t len)
{
	if (len <= KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(buf) ||
	    knot_wire_get_qdcount(buf) != 1) {
		return;
	}
	const uint8_t *qname = buf + KNOT_WIRE_HEADER_SIZE;
	if (knot_dname_wire_check(qname, buf + len, NULL) <= 0) {
		return;
	}
	for (unsigned i = 0; i < det.n_in_flight; i++) {
		soa_watch_t *w = det.in_flight[i];
		if (knot_dname_is_equal(w->zone, qname)) {
			// knotd answered from the zone's current version: seen.
			w->have_want = false;
			landed(i);
			return;
		}
	}
}

/*! \brief Checks in flight for too long are over; announcements are retried. */
static void expire(uint64_t now)
{
	for (unsigned i = 0; i < det.n_in_flight; ) {
		soa_watch_t *w = det.in_flight[i];
		if (now < w->sent_ms + CHECK_TIMEOUT_MS) {
			i++;
			continue;
		}
		landed(i);
		if (w->have_want && w->tries < CHECK_TRIES) {
			enqueue(w);
		}
	}
}

/*! \brief Polling: zones take turns, SOA_DETECT_POLL_RATE a second at most. */
static void poll_zones(uint64_t now)
{
	size_t polled_zones = det.want_poll + (det.bus_up ? 0 : det.want_dbus);
	double elapsed = (now > det.last_run) ? (double)(now - det.last_run) : 0;
	det.credit += elapsed * SOA_DETECT_POLL_RATE / 1000.0;
	if (det.credit > SOA_DETECT_POLL_RATE / 5.0) {
		det.credit = SOA_DETECT_POLL_RATE / 5.0;
	}
	if (polled_zones == 0 || det.count == 0) {
		return;
	}
	size_t scan = (size_t)det.credit * SCAN_PER_CHECK + 1;
	for (size_t n = 0; n < scan && n < det.count && det.credit >= 1; n++) {
		soa_watch_t *w = det.zones[det.cursor++ % det.count];
		if (!polled(w)) {
			continue;
		}
		// Answers that carried the SOA checked the version.
		if (__atomic_exchange_n(&w->seen, false, __ATOMIC_RELAXED)) {
			checked_at(w, now);
		} else if (now >= w->checked + SOA_DETECT_POLL_MS) {
			enqueue(w);
			det.credit -= 1;
		}
	}
	det.cursor %= det.count;
}

static void send_checks(uint64_t now, const soa_detect_io_t *io)
{
	if (io->target == NULL) {
		return;
	}
	int fd = io->fd[io->target->sa.sa_family == AF_INET6];
	while (det.q_head != NULL && det.n_in_flight < SOA_DETECT_WINDOW && fd >= 0) {
		soa_watch_t *w = det.q_head;
		dequeue(w);
		uint8_t buf[SOA_MSG_MAX];
		size_t len;
		if (soa_msg_query(buf, sizeof(buf), io->id, w->zone, KNOT_RRTYPE_SOA, &len) != KNOT_EOK) {
			continue;
		}
		(void)sendto(fd, buf, len, 0, &io->target->sa, soa_addr_len(io->target));
		w->in_flight = true;
		w->sent_ms = now;
		w->tries++;
		checked_at(w, now);
		det.in_flight[det.n_in_flight++] = w;
	}
}

void soa_detect_run(uint64_t now, const soa_detect_io_t *io)
{
	det.now = now;
	bus_upkeep(now);
	expire(now);
	poll_zones(now);
	det.last_run = now;
	send_checks(now, io);
}

bool soa_detect_changed(soa_watch_t *w, uint64_t now)
{
	bool new_serial = false;
	rcu_read_lock();
	const soa_snap_t *snap = rcu_dereference(*w->snap);
	if (snap != NULL && (!w->have_published || snap->published != w->published)) {
		if (w->have_published) {
			// Announced by knotd: the time since the announcement. Watched
			// on D-Bus but found by an answer before the announcement
			// arrived: at once. Else the change happened after the last
			// check that still saw the old version (the one before, if the
			// last check found it): an upper bound of the time it went
			// unnoticed.
			uint64_t ref = (snap->built_ms < w->checked + ANSWER_MS) ?
			               w->checked_before : w->checked;
			if (w->signal_ms != 0 && snap->real == w->want && snap->built_ms >= w->signal_ms) {
				ref = w->signal_ms;
			} else if (w->detect != SOA_DETECT_OFF && !polled(w)) {
				ref = snap->built_ms;
			}
			uint64_t lag = snap->built_ms > ref ? snap->built_ms - ref : 0;
			soa_gauge(w->metrics, SOA_CTR_CHANGE_DETECT_LAG, 0, lag);
			if (w->notify && w->remote_count > 0) {
				soa_notify_queue(w, snap, now);
			}
		}
		new_serial = w->have_published;
		w->published = snap->published;
		w->have_published = true;
	}
	if (snap != NULL && snap->real == w->want) {
		w->signal_ms = 0;
	}
	rcu_read_unlock();
	return new_serial;
}

void soa_detect_clear(void)
{
	bus_close();
	free(det.zones);
	free(det.buckets);
	memset(&det, 0, sizeof(det));
}
