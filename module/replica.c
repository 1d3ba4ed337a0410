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
 * \brief Replication health: the secondaries of every zone, what to check
 *        when, and what the checks and transfers tell.
 *
 * The zone's versions decide when its secondaries are checked
 * (secondary.c); checks.c sends the checks and hands back those that are
 * over; each result, and each transfer observed, becomes gauges, log lines
 * and replication-lag here.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu.h>

#include "soa/checks.h"
#include "soa/lint.h"
#include "soa/observe.h"
#include "soa/replica.h"
#include "soa/secondary.h"
#include "soa/snap.h"

/*! \brief How often replication-lag is refreshed while it grows (ms). */
#define LAG_REFRESH_MS 1000
/*! \brief Client addresses whose untracked transfers a zone logged lately. */
#define UNTRACKED_LOGGED 4

struct soa_replica_zone;

/*! \brief One secondary: an address of a notify remote. */
typedef struct {
	soa_checked_t ck;            /*!< Its checks (first: checks.c hands it back). */
	struct soa_replica_zone *z;
	uint32_t index;              /*!< replica-serial index. */
	uint32_t hash;               /*!< Phase of its periodic checks. */
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

/*! \brief Zones whose replication-lag grows, and its next refresh. */
static struct {
	rzone_t *head;
	uint64_t next;
} lag;

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
	z->lag_next = lag.head;
	if (lag.head != NULL) {
		lag.head->lag_prev = z;
	}
	lag.head = z;
}

static void lag_list_del(rzone_t *z)
{
	if (!z->lag_running) {
		return;
	}
	z->lag_running = false;
	*(z->lag_prev != NULL ? &z->lag_prev->lag_next : &lag.head) = z->lag_next;
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
	soa_addr_str(s->ck.addr, remote, sizeof(remote));
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

/* Checks that are over. */

static uint64_t interval_ms(const rzone_t *z)
{
	uint64_t s = z->w->replica_interval ? z->w->replica_interval : z->refresh;
	return (s < 1 ? 1 : s) * 1000;
}

/*! \brief A check is over (checks.c): its result, the secondary's next check. */
static void check_over(const soa_check_over_t *over, uint64_t now)
{
	sec_t *s = (sec_t *)over->sec;
	result(s, over->reached, over->serial, over->cause, now);
	rzone_t *z = s->z;
	uint64_t iv = interval_ms(z);
	soa_checks_schedule(&s->ck, soa_secondary_next(&s->st, now, z->change_ms, z->retry, iv,
	                                               s->hash % iv));
	s->st.step++;
}

/* Zones. */

int soa_replica_add(soa_watch_t *w)
{
	unsigned n = 0;
	for (unsigned r = 0; r < w->remote_count; r++) {
		n += w->remotes[r].naddr;
	}
	int ret = soa_checks_reserve(n);
	rzone_t *z = calloc(1, sizeof(*z));
	sec_t *secs = calloc(n ? n : 1, sizeof(*secs));
	if (ret != KNOT_EOK || z == NULL || secs == NULL) {
		free(z);
		free(secs);
		return KNOT_ENOMEM;
	}

	z->w = w;
	z->secs = secs;
	z->count = n;
	z->counts[SOA_REPLICA_UNREACHABLE] = n;
	unsigned i = 0;
	for (unsigned r = 0; r < w->remote_count; r++) {
		const soa_remote_t *rmt = &w->remotes[r];
		for (unsigned a = 0; a < rmt->naddr; a++, i++) {
			sec_t *s = &secs[i];
			s->ck.w = w;
			s->ck.rmt = rmt;
			s->ck.addr = &rmt->addr[a];
			soa_checks_add(&s->ck);
			s->z = z;
			s->index = i;
			s->hash = soa_secondary_hash(soa_secondary_hash(0, w->zone, knot_dname_size(w->zone)),
			                             s->ck.addr, soa_addr_len(s->ck.addr));
			soa_secondary_init(&s->st);
		}
	}
	w->rz = z;

	// Every secondary is unreachable until its first check.
	soa_gauge(w->metrics, SOA_CTR_REPLICA, SOA_REPLICA_UNREACHABLE, n);
	return KNOT_EOK;
}

/*! \brief Attributes the transfer observations (observe.c) to secondaries. */
static void take_observations(uint64_t now);

void soa_replica_remove(soa_watch_t *w, uint64_t now)
{
	// Observations of the zone are taken before it goes.
	take_observations(now);

	rzone_t *z = w->rz;
	if (z == NULL) {
		return;
	}
	for (unsigned i = 0; i < z->count; i++) {
		soa_checks_drop(&z->secs[i].ck);
	}
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
		soa_checks_schedule(&z->secs[i].ck, now + z->secs[i].hash % spread);
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
		if (s->ck.flight < 0) {
			soa_checks_schedule(&s->ck, z->change_ms + SOA_SECONDARY_FIRST_MS);
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
		soa_timers_t t;
		soa_timers_read(snap->rdata, snap->rdlen, &t);
		soa_replica_version_t v = {
			.published = snap->published,
			.alloc_ms = snap->built_ms,
			.refresh = t.refresh,
			.retry = t.retry,
			.fresh = fresh,
		};
		soa_replica_version(w, &v, now);
	}
	rcu_read_unlock();
}

/* Transfers. */

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

static void observation(const soa_observation_t *o, uint64_t now)
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
		if (ip_equal(z->secs[i].ck.addr, &o->addr)) {
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
	soa_observation_t *o = soa_observe_take();
	while (o != NULL) {
		soa_observation_t *next = o->next;
		observation(o, now);
		soa_observe_free(o);
		o = next;
	}
}

/* The pass. */

void soa_replica_run(uint64_t now, int fd4, int fd6)
{
	if (!soa_checks_ready()) {
		return;
	}
	take_observations(now);
	soa_checks_refill(now);
	soa_check_over_t over;
	while (soa_checks_expire(now, fd4, fd6, &over)) {
		check_over(&over, now);
	}
	soa_checks_start_due(now, fd4, fd6);

	// Growing replication-lag.
	if (now >= lag.next) {
		lag.next = now + LAG_REFRESH_MS;
		for (rzone_t *z = lag.head; z != NULL; z = z->lag_next) {
			store_lag(z, now);
		}
	}
}

int soa_replica_timeout(uint64_t now, int max)
{
	int ms = soa_checks_timeout(now, max);
	if (lag.head != NULL && lag.next < now + ms) {
		ms = lag.next <= now ? 0 : (int)(lag.next - now);
	}
	return ms;
}

/* Answers (service.c routes them here). */

bool soa_replica_on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from,
                          uint64_t now)
{
	soa_check_over_t over;
	if (!soa_checks_on_reply(buf, len, from, &over)) {
		return false;
	}
	if (over.sec != NULL) {
		check_over(&over, now);
	}
	return true;
}

void soa_replica_clear(void)
{
	// No zone is left: what workers pushed last is dropped.
	soa_observe_clear();
	soa_checks_clear();
	memset(&lag, 0, sizeof(lag));
}
