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
 * \brief Replication health: the secondaries of every zone, their checks
 *        and what they tell.
 *
 * Every secondary waits in one min-heap by the time of its next check. A
 * pass takes the due ones while the process-wide token bucket and the
 * window of checks in flight allow; a check in flight is found again by
 * its message ID (a table of all 65536) and the answer's source address.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <urcu.h>

#include "soa/knotd_compat.h"
#include "soa/msg.h"
#include "soa/replica.h"
#include "soa/secondary.h"
#include "soa/snap.h"
#include "soa/wire.h"

/*! \brief Wait for the answer after each send (ms): 1 s, then 2 s. */
#define TRY_WAIT_MS(tries) ((tries) <= 1 ? 1000 : 2000)
/*! \brief How often replication-lag is refreshed while it grows (ms). */
#define LAG_REFRESH_MS 1000
/*! \brief Most source (via) addresses with their own socket. */
#define VIA_SOCKETS 8
/*! \brief Client addresses whose untracked transfers a zone logged lately. */
#define UNTRACKED_LOGGED 4
/*! \brief Not in the heap. */
#define NO_HEAP SIZE_MAX

struct soa_replica_zone;

/*! \brief One secondary: an address of a notify remote. */
typedef struct {
	struct soa_replica_zone *z;
	const soa_remote_t *rmt;     /*!< Its remote (key, via). */
	const soa_addr_t *addr;      /*!< Its address. */
	uint32_t index;              /*!< replica-serial index. */
	uint32_t hash;               /*!< Phase of its periodic checks. */
	int8_t via;                  /*!< Via socket, -1: the shared ones. */
	int32_t flight;              /*!< Its check in flight, -1 if none. */
	size_t heap;                 /*!< Position in the heap, NO_HEAP if none. */
	uint64_t due;                /*!< Next check. */
	soa_secondary_t st;
} sec_t;

/*! \brief A zone's secondaries (soa_watch_t's rz). */
typedef struct soa_replica_zone {
	soa_watch_t *w;
	sec_t *secs;
	unsigned count;
	bool started;                /*!< Its version is known: checks run. */
	uint32_t published;
	uint32_t refresh, retry;     /*!< SOA timers (s). */
	uint64_t alloc_ms;           /*!< Allocation of the published serial. */
	uint64_t change_ms;          /*!< Start of the retry schedule, 0: none. */
	unsigned counts[SOA_REPLICA__COUNT];
	unsigned unconfirmed;        /*!< Secondaries without the newest serial. */
	bool lag_running;            /*!< replication-lag grows (on the lag list). */
	struct soa_replica_zone *lag_prev, *lag_next;
	soa_addr_t untracked[UNTRACKED_LOGGED];
	unsigned untracked_next;
} rzone_t;

/*! \brief A check in flight. */
typedef struct {
	sec_t *sec;                  /*!< NULL: free. */
	uint16_t id;
	uint8_t tries;               /*!< Sends so far. */
	uint64_t deadline;           /*!< Next send, or giving up. */
	uint8_t mac[SOA_KNOTD_MAC_MAX];
	size_t mac_len;
	char cause[48];              /*!< Why the last answer was refused, if any. */
} flight_t;

/*! \brief A transfer observation, pushed by a worker. */
typedef struct obs {
	struct obs *next;
	soa_watch_t *w;
	soa_addr_t addr;
	uint32_t serial;
} obs_t;

/*! \brief A socket bound to a remote's via address. */
typedef struct {
	soa_addr_t addr;
	int fd;
	unsigned refs;
} via_t;

static struct {
	sec_t **heap;
	size_t heap_len, heap_cap;
	size_t secondaries;          /*!< Of every zone: the heap's most. */
	flight_t flights[SOA_REPLICA_WINDOW];
	int32_t free_slots[SOA_REPLICA_WINDOW];
	unsigned n_free;
	bool flights_ready;
	uint16_t by_id[65536];       /*!< Flight slot + 1 of each ID in use. */
	uint64_t next_deadline;      /*!< Earliest flight deadline (a hint). */
	double tokens;
	uint64_t last_refill;
	rzone_t *lag_head;
	uint64_t next_lag;
	via_t via[VIA_SOCKETS];
	bool via_full_logged;
} rep;

/*! \brief Transfer observations (pushed without the lock) and their number. */
static obs_t *observed;
static unsigned observed_count;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The heap of secondaries by next check. */

static bool heap_less(size_t a, size_t b)
{
	return rep.heap[a]->due < rep.heap[b]->due;
}

static void heap_swap(size_t a, size_t b)
{
	sec_t *t = rep.heap[a];
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

static void heap_remove(sec_t *s)
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

/*! \brief (Re)schedules a secondary; the heap has room for every secondary. */
static void schedule(sec_t *s, uint64_t due)
{
	s->due = due;
	if (s->heap == NO_HEAP) {
		s->heap = rep.heap_len++;
		rep.heap[s->heap] = s;
	}
	heap_up(s->heap);
	heap_down(s->heap);
}

/* Gauges and logs. */

static const soa_metrics_t *metrics(const rzone_t *z)
{
	return z->w->metrics;
}

static void store_counts(const rzone_t *z, uint8_t a, uint8_t b)
{
	soa_gauge(metrics(z), SOA_CTR_REPLICA, a, z->counts[a]);
	soa_gauge(metrics(z), SOA_CTR_REPLICA, b, z->counts[b]);
}

static void lag_list_add(rzone_t *z)
{
	if (z->lag_running) {
		return;
	}
	z->lag_running = true;
	z->lag_prev = NULL;
	z->lag_next = rep.lag_head;
	if (rep.lag_head != NULL) {
		rep.lag_head->lag_prev = z;
	}
	rep.lag_head = z;
}

static void lag_list_del(rzone_t *z)
{
	if (!z->lag_running) {
		return;
	}
	z->lag_running = false;
	*(z->lag_prev != NULL ? &z->lag_prev->lag_next : &rep.lag_head) = z->lag_next;
	if (z->lag_next != NULL) {
		z->lag_next->lag_prev = z->lag_prev;
	}
}

static void store_lag(const rzone_t *z, uint64_t now)
{
	soa_gauge(metrics(z), SOA_CTR_REPLICATION_LAG, 0,
	          now > z->alloc_ms ? now - z->alloc_ms : 0);
}

static void log_event(const rzone_t *z, const sec_t *s, const soa_secondary_event_t *ev,
                      const char *cause)
{
	char remote[64];
	soa_addr_str(s->addr, remote, sizeof(remote));
	soa_secondary_line_t l = { remote, s->st.serial, z->published, cause, z->w->date };
	char line[384];
	soa_secondary_log_line(line, sizeof(line), ev, &l);
	knotd_mod_log(z->w->mod, ev->to == SOA_REPLICA_CURRENT ? LOG_INFO : LOG_WARNING,
	              "%s", line);
}

/*! \brief What an event changes: gauges, the log, replication-lag. */
static void apply_event(rzone_t *z, sec_t *s, const soa_secondary_event_t *ev,
                        const char *cause, uint64_t now)
{
	if (ev->from != ev->to) {
		z->counts[ev->from]--;
		z->counts[ev->to]++;
		store_counts(z, ev->from, ev->to);
	}
	if (ev->log) {
		log_event(z, s, ev, cause);
	}

	// replication-lag: the newest serial, until every secondary confirmed
	// it. A serial from before this instance counts only once a secondary
	// is found without it: the others confirmed it at an unknown time.
	if (ev->to != SOA_REPLICA_CURRENT && !s->st.confirmed && !z->lag_running &&
	    z->unconfirmed > 0) {
		lag_list_add(z);
		store_lag(z, now);
	}
	if (ev->confirmed && z->unconfirmed > 0 && --z->unconfirmed == 0) {
		if (z->lag_running) {
			store_lag(z, now);
		}
		lag_list_del(z);
	}
}

/*! \brief A secondary reported a serial, or a check got no valid answer. */
static void result(sec_t *s, bool reached, uint32_t serial, const char *cause, uint64_t now)
{
	rzone_t *z = s->z;
	soa_secondary_event_t ev;
	soa_secondary_result(&s->st, reached, serial, z->published, z->alloc_ms, now, &ev);
	if (reached) {
		soa_gauge(metrics(z), SOA_CTR_REPLICA_SERIAL, s->index, serial);
	}
	apply_event(z, s, &ev, cause, now);
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
	v->fd = socket(addr->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->fd >= 0 && bind(v->fd, &bind_to.sa, soa_addr_len(&bind_to)) != 0) {
		close(v->fd);
		v->fd = -1;
	}
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

size_t soa_replica_poll_fds(struct pollfd *fds, size_t room)
{
	size_t n = 0;
	for (unsigned i = 0; i < VIA_SOCKETS && n < room; i++) {
		if (rep.via[i].refs > 0) {
			fds[n++] = (struct pollfd){ .fd = rep.via[i].fd, .events = POLLIN };
		}
	}
	return n;
}

/* Checks in flight. */

static void flights_init(void)
{
	if (rep.flights_ready) {
		return;
	}
	for (unsigned i = 0; i < SOA_REPLICA_WINDOW; i++) {
		rep.flights[i].sec = NULL;
		rep.free_slots[i] = SOA_REPLICA_WINDOW - 1 - i;
	}
	rep.n_free = SOA_REPLICA_WINDOW;
	rep.flights_ready = true;
}

static void flight_end(int32_t slot)
{
	flight_t *f = &rep.flights[slot];
	rep.by_id[f->id] = 0;
	f->sec->flight = -1;
	f->sec = NULL;
	rep.free_slots[rep.n_free++] = slot;
}

static uint64_t interval_ms(const rzone_t *z)
{
	uint64_t s = z->w->replica_interval ? z->w->replica_interval : z->refresh;
	return (s < 1 ? 1 : s) * 1000;
}

/*! \brief The check of a secondary is over: its result, its next check. */
static void check_done(sec_t *s, bool reached, uint32_t serial, const char *cause,
                       uint64_t now)
{
	if (s->flight >= 0) {
		flight_end(s->flight);
	}
	result(s, reached, serial, cause, now);
	rzone_t *z = s->z;
	uint64_t iv = interval_ms(z);
	schedule(s, soa_secondary_next(&s->st, now, z->change_ms, z->retry, iv, s->hash % iv));
	s->st.step++;
}

/*! \brief Sends (again) the check of a flight (a failed send waits like a lost one). */
static void flight_send(flight_t *f, uint64_t now, int fd4, int fd6)
{
	sec_t *s = f->sec;
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
	int ret = soa_msg_soa_check(buf, sizeof(buf), id, s->z->w->zone,
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
	soa_count(metrics(s->z), 0, SOA_CTR_REPLICA_CHECK, SOA_REPLICA_CHECK_SENT);
}

/*! \brief Starts the check of a secondary. */
static void check_start(sec_t *s, uint64_t now, int fd4, int fd6)
{
	int32_t slot = rep.free_slots[--rep.n_free];
	flight_t *f = &rep.flights[slot];
	memset(f, 0, sizeof(*f));
	f->sec = s;
	s->flight = slot;
	flight_send(f, now, fd4, fd6);
}

/*! \brief Retransmits or gives up checks whose wait is over. */
static void flights_expire(uint64_t now, int fd4, int fd6)
{
	if (now < rep.next_deadline || rep.n_free == SOA_REPLICA_WINDOW) {
		return;
	}
	rep.next_deadline = UINT64_MAX;
	for (int32_t i = 0; i < SOA_REPLICA_WINDOW; i++) {
		flight_t *f = &rep.flights[i];
		if (f->sec == NULL) {
			continue;
		}
		if (f->deadline <= now && f->tries >= SOA_REPLICA_TRIES) {
			char cause[sizeof(f->cause)];
			(void)snprintf(cause, sizeof(cause), "%s",
			               f->cause[0] != '\0' ? f->cause : "timeout");
			check_done(f->sec, false, 0, cause, now);
			continue;
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
}

bool soa_replica_on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from)
{
	if (len < KNOT_WIRE_HEADER_SIZE) {
		return false;
	}
	uint16_t slot = rep.by_id[knot_wire_get_id(buf)];
	if (slot == 0) {
		return false;
	}
	flight_t *f = &rep.flights[slot - 1];
	sec_t *s = f->sec;
	if (s == NULL || !soa_addr_equal(from, s->addr)) {
		return false;
	}

	rzone_t *z = s->z;
	soa_check_answer_t a;
	int ret = soa_msg_soa_answer(buf, len, f->id, z->w->zone,
	                             s->rmt->key.name != NULL ? &s->rmt->key : NULL,
	                             f->mac, f->mac_len, &a);
	if (ret != KNOT_EOK) {
		return true;                  // not an answer to it: keep waiting
	}
	soa_count(metrics(z), 0, SOA_CTR_REPLICA_CHECK, SOA_REPLICA_CHECK_ANSWERED);

	uint64_t now = mono_ms();
	char cause[sizeof(f->cause)];
	soa_msg_check_cause(&a, cause, sizeof(cause));
	if (a.kind == SOA_CHECK_TSIG) {
		// Not authentic: remembered, an authentic answer may still come.
		memcpy(f->cause, cause, sizeof(f->cause));
		return true;
	}
	check_done(s, a.kind == SOA_CHECK_SERIAL, a.serial, cause, now);
	return true;
}

/* Zones. */

int soa_replica_add(soa_watch_t *w, uint64_t now)
{
	(void)now;
	flights_init();
	unsigned n = 0;
	for (unsigned r = 0; r < w->remote_count; r++) {
		n += w->remotes[r].naddr;
	}
	rzone_t *z = calloc(1, sizeof(*z));
	sec_t *secs = calloc(n ? n : 1, sizeof(*secs));
	// The heap holds every secondary at most: room for them now.
	if (rep.secondaries + n > rep.heap_cap) {
		size_t cap = rep.heap_cap ? rep.heap_cap : 64;
		while (cap < rep.secondaries + n) {
			cap *= 2;
		}
		sec_t **heap = realloc(rep.heap, cap * sizeof(*heap));
		if (heap != NULL) {
			rep.heap = heap;
			rep.heap_cap = cap;
		}
	}
	if (z == NULL || secs == NULL || rep.secondaries + n > rep.heap_cap) {
		free(z);
		free(secs);
		return KNOT_ENOMEM;
	}

	rep.secondaries += n;
	z->w = w;
	z->secs = secs;
	z->count = n;
	z->counts[SOA_REPLICA_UNREACHABLE] = n;
	unsigned i = 0;
	for (unsigned r = 0; r < w->remote_count; r++) {
		const soa_remote_t *rmt = &w->remotes[r];
		for (unsigned a = 0; a < rmt->naddr; a++, i++) {
			sec_t *s = &secs[i];
			s->z = z;
			s->rmt = rmt;
			s->addr = &rmt->addr[a];
			s->index = i;
			s->via = -1;
			if (rmt->via.sa.sa_family != AF_UNSPEC &&
			    (s->via = via_acquire(&rmt->via)) < 0 && !rep.via_full_logged) {
				rep.via_full_logged = true;
				knotd_mod_log(w->mod, LOG_WARNING, "replica checks, no socket for "
				              "another via address, checks leave from the default "
				              "source");
			}
			s->flight = -1;
			s->heap = NO_HEAP;
			s->hash = soa_secondary_hash(soa_secondary_hash(0, w->zone, knot_dname_size(w->zone)),
			                             s->addr, soa_addr_len(s->addr));
			soa_secondary_init(&s->st);
		}
	}
	w->rz = z;

	// Every secondary is unreachable until its first check.
	soa_gauge(w->metrics, SOA_CTR_REPLICA, SOA_REPLICA_UNREACHABLE, n);
	return KNOT_EOK;
}

/*! \brief Takes the transfer observations pushed by workers. */
static void take_observations(uint64_t now);

void soa_replica_remove(soa_watch_t *w)
{
	// Observations of the zone are taken before it goes.
	take_observations(mono_ms());

	rzone_t *z = w->rz;
	if (z == NULL) {
		return;
	}
	for (unsigned i = 0; i < z->count; i++) {
		sec_t *s = &z->secs[i];
		heap_remove(s);
		if (s->flight >= 0) {
			flight_end(s->flight);
		}
		via_release(s->via);
	}
	rep.secondaries -= z->count;
	lag_list_del(z);
	free(z->secs);
	free(z);
	w->rz = NULL;
}

/*! \brief Starts the checks of a zone whose published serial predates it. */
static void start(rzone_t *z, const soa_replica_version_t *v, uint64_t now)
{
	z->started = true;
	z->published = v->published;
	z->unconfirmed = z->count;

	// Allocated before: when, if the state says so, else since now.
	z->alloc_ms = now;
	int64_t at = z->w->published_at, wall = time(NULL);
	if (at > 0 && wall >= at && (uint64_t)(wall - at) * 1000 < now) {
		z->alloc_ms = now - (uint64_t)(wall - at) * 1000;
	}

	// First checks spread, so that zones loaded together do not ask at once.
	uint64_t spread = interval_ms(z);
	spread = spread < SOA_SECONDARY_START_SPREAD_MS ? spread : SOA_SECONDARY_START_SPREAD_MS;
	for (unsigned i = 0; i < z->count; i++) {
		schedule(&z->secs[i], now + z->secs[i].hash % spread);
	}
}

/*! \brief A new published serial: every secondary gets its retry schedule. */
static void change(rzone_t *z, const soa_replica_version_t *v, uint64_t now)
{
	z->started = true;
	z->published = v->published;
	z->alloc_ms = v->alloc_ms;
	z->change_ms = v->alloc_ms ? v->alloc_ms : now;
	z->unconfirmed = z->count;
	lag_list_add(z);
	store_lag(z, now);
	for (unsigned i = 0; i < z->count; i++) {
		sec_t *s = &z->secs[i];
		soa_secondary_event_t ev;
		soa_secondary_new_serial(&s->st, v->published, z->alloc_ms, now, &ev);
		apply_event(z, s, &ev, NULL, now);
		// After its NOTIFY; a check in flight reschedules when it ends.
		if (s->flight < 0) {
			schedule(s, z->change_ms + SOA_SECONDARY_FIRST_MS);
		}
	}
}

void soa_replica_version(soa_watch_t *w, const soa_replica_version_t *v, uint64_t now)
{
	rzone_t *z = w->rz;
	if (z == NULL) {
		return;
	}
	z->refresh = v->refresh;
	z->retry = v->retry;
	if (!z->started && !v->fresh) {
		start(z, v, now);
	} else if (!z->started || v->published != z->published) {
		change(z, v, now);
	}
}

void soa_replica_snapshot(soa_watch_t *w, bool fresh, uint64_t now)
{
	rcu_read_lock();
	const soa_snap_t *snap = rcu_dereference(*w->snap);
	if (snap != NULL) {
		const uint8_t *tail = snap->rdata + snap->rdlen - SOA_WIRE_SOA_TAIL;
		soa_replica_version_t v = {
			.published = snap->published,
			.alloc_ms = snap->built_ms,
			.refresh = knot_wire_read_u32(tail + 4),
			.retry = knot_wire_read_u32(tail + 8),
			.fresh = fresh,
		};
		soa_replica_version(w, &v, now);
	}
	rcu_read_unlock();
}

/* Transfers. */

void soa_replica_observe(soa_watch_t *w, const struct sockaddr_storage *client,
                         uint32_t serial)
{
	// Bounded: a flood of transfers cannot pile up memory.
	if (client == NULL ||
	    __atomic_add_fetch(&observed_count, 1, __ATOMIC_RELAXED) > SOA_REPLICA_OBSERVATIONS) {
		__atomic_sub_fetch(&observed_count, 1, __ATOMIC_RELAXED);
		return;
	}
	obs_t *o = calloc(1, sizeof(*o));
	if (o == NULL) {
		__atomic_sub_fetch(&observed_count, 1, __ATOMIC_RELAXED);
		return;
	}
	o->w = w;
	o->serial = serial;
	if (client->ss_family == AF_INET6) {
		memcpy(&o->addr.in6, client, sizeof(o->addr.in6));
	} else if (client->ss_family == AF_INET) {
		memcpy(&o->addr.in, client, sizeof(o->addr.in));
	}
	// Pushed without the lock: the service thread may be busy.
	obs_t *head = __atomic_load_n(&observed, __ATOMIC_RELAXED);
	do {
		o->next = head;
	} while (!__atomic_compare_exchange_n(&observed, &head, o, true,
	                                      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/*! \brief An IPv4 address in any of its forms (IPv4-mapped IPv6 too). */
static bool ip_equal(const soa_addr_t *a, const soa_addr_t *b)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a4 = NULL, *b4 = NULL;
	if (a->sa.sa_family == AF_INET) {
		a4 = (const uint8_t *)&a->in.sin_addr;
	} else if (a->sa.sa_family == AF_INET6 && memcmp(&a->in6.sin6_addr, mapped, 12) == 0) {
		a4 = (const uint8_t *)&a->in6.sin6_addr + 12;
	}
	if (b->sa.sa_family == AF_INET) {
		b4 = (const uint8_t *)&b->in.sin_addr;
	} else if (b->sa.sa_family == AF_INET6 && memcmp(&b->in6.sin6_addr, mapped, 12) == 0) {
		b4 = (const uint8_t *)&b->in6.sin6_addr + 12;
	}
	if (a4 != NULL || b4 != NULL) {
		return a4 != NULL && b4 != NULL && memcmp(a4, b4, 4) == 0;
	}
	return a->sa.sa_family == AF_INET6 && b->sa.sa_family == AF_INET6 &&
	       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/*! \brief A transfer to a client that is no secondary of the zone. */
static void untracked(rzone_t *z, const soa_addr_t *addr)
{
	soa_count(metrics(z), 0, SOA_CTR_REPLICA_UNTRACKED, 0);
	for (unsigned i = 0; i < UNTRACKED_LOGGED; i++) {
		if (ip_equal(&z->untracked[i], addr)) {
			return;
		}
	}
	z->untracked[z->untracked_next++ % UNTRACKED_LOGGED] = *addr;
	char remote[64];
	soa_addr_str(addr, remote, sizeof(remote));
	knotd_mod_log(z->w->mod, LOG_NOTICE, "replica %s not in the notify list, its "
	              "transfers are counted, not tracked", remote);
}

static void observation(const obs_t *o, uint64_t now)
{
	rzone_t *z = o->w->rz;
	if (z == NULL || !z->started) {
		return;
	}
	// The source port of a transfer is any: the secondary is its address,
	// if no other secondary of the zone has it.
	sec_t *match = NULL;
	unsigned matches = 0;
	for (unsigned i = 0; i < z->count; i++) {
		if (ip_equal(z->secs[i].addr, &o->addr)) {
			match = &z->secs[i];
			matches++;
		}
	}
	if (matches == 0) {
		untracked(z, &o->addr);
	} else if (matches == 1) {
		result(match, true, o->serial, NULL, now);
	}
}

static void take_observations(uint64_t now)
{
	obs_t *o = __atomic_exchange_n(&observed, NULL, __ATOMIC_ACQUIRE);
	// Oldest first (the stack is newest first).
	obs_t *rev = NULL;
	while (o != NULL) {
		obs_t *next = o->next;
		o->next = rev;
		rev = o;
		o = next;
	}
	while (rev != NULL) {
		obs_t *next = rev->next;
		observation(rev, now);
		free(rev);
		__atomic_sub_fetch(&observed_count, 1, __ATOMIC_RELAXED);
		rev = next;
	}
}

/* The pass. */

static void refill(uint64_t now)
{
	if (rep.last_refill == 0 || now < rep.last_refill) {
		rep.last_refill = now;
		rep.tokens = SOA_REPLICA_BURST;
		return;
	}
	rep.tokens += (double)(now - rep.last_refill) * SOA_REPLICA_RATE / 1000.0;
	if (rep.tokens > SOA_REPLICA_BURST) {
		rep.tokens = SOA_REPLICA_BURST;
	}
	rep.last_refill = now;
}

void soa_replica_run(uint64_t now, int fd4, int fd6)
{
	if (!rep.flights_ready) {
		return;
	}
	take_observations(now);
	refill(now);
	flights_expire(now, fd4, fd6);

	// Due checks, as the rate and the window allow.
	while (rep.heap_len > 0 && rep.heap[0]->due <= now && rep.tokens >= 1 &&
	       rep.n_free > 0) {
		sec_t *s = rep.heap[0];
		heap_remove(s);
		check_start(s, now, fd4, fd6);
	}

	// Growing replication-lag.
	if (now >= rep.next_lag) {
		rep.next_lag = now + LAG_REFRESH_MS;
		for (rzone_t *z = rep.lag_head; z != NULL; z = z->lag_next) {
			store_lag(z, now);
		}
	}
}

int soa_replica_timeout(uint64_t now, int max)
{
	if (!rep.flights_ready) {
		return max;
	}
	uint64_t wake = now + max;
	if (rep.heap_len > 0 && rep.n_free > 0) {
		uint64_t due = rep.heap[0]->due;
		if (due <= now && rep.tokens < 1) {
			// Paced: when the next token is there.
			due = now + 1 + (uint64_t)((1 - rep.tokens) * 1000 / SOA_REPLICA_RATE);
		}
		wake = due < wake ? due : wake;
	}
	if (rep.n_free < SOA_REPLICA_WINDOW && rep.next_deadline < wake) {
		wake = rep.next_deadline;
	}
	if (rep.lag_head != NULL && rep.next_lag < wake) {
		wake = rep.next_lag;
	}
	return wake <= now ? 0 : (int)(wake - now);
}

void soa_replica_clear(void)
{
	// No zone is left: what workers pushed last is dropped.
	obs_t *o = __atomic_exchange_n(&observed, NULL, __ATOMIC_ACQUIRE);
	while (o != NULL) {
		obs_t *next = o->next;
		free(o);
		o = next;
	}
	observed_count = 0;
	for (unsigned i = 0; i < VIA_SOCKETS; i++) {
		if (rep.via[i].refs > 0) {
			close(rep.via[i].fd);
		}
	}
	free(rep.heap);
	memset(&rep, 0, sizeof(rep));
}
