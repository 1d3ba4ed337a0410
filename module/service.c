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
 * \brief The module's background thread.
 *
 * One thread serves every zone of every module instance. Each pass (at
 * most SOA_HOT_FLUSH_MS apart) it:
 *
 *  1. folds the per-thread counter cells into knotd's counters;
 *  2. looks at each zone's snapshot: a published serial it has not seen
 *     before means a new allocation, so it sets change-detect-lag and, with
 *     notify-published, queues a NOTIFY for every notify remote;
 *  3. sends one SOA query to knotd's own listen address for each zone that
 *     has not been checked for a second. knotd answers it like any query,
 *     so the module's hook sees the zone's current version and allocates a
 *     new published serial if it changed: change detection needs no zone
 *     callback and never waits for clients. Zones that answered negative or
 *     SOA queries within the second were checked by that traffic already;
 *  4. sends queued NOTIFYs over UDP (RFC 1996), retransmitting 1, 2, 4, 4
 *     and 4 s apart, gives up 15 s after the first send, and matches the
 *     replies.
 *
 * Sockets are non-blocking; worker threads never wait for this thread.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "soa/ctx.h"
#include "soa/knotd_compat.h"
#include "soa/metrics.h"
#include "soa/notify.h"
#include "soa/service.h"

/*! \brief A zone not checked by traffic for this long is polled. With the pass
 *         period (SOA_HOT_FLUSH_MS) a change is seen within a second. */
#define CHECK_MS 850
/*! \brief An allocation this soon after a check was caused by that check. */
#define ANSWER_MS 200
/*! \brief NOTIFY sends per remote before giving up. */
#define NOTIFY_SENDS 5
/*! \brief Wait after a send: 1 s, doubling, at most 4 s (sends at 0, 1, 3, 7 and
 *         11 s; given up at 15 s). */
#define NOTIFY_WAIT_MS(sends) (1000ULL << ((sends) > 3 ? 2 : (sends) - 1))

/*! \brief A registered zone. */
typedef struct {
	soa_ctx_t *ctx;
	uint64_t checked;        /*!< Last check: our SOA query or traffic carrying the SOA. */
	uint64_t checked_before; /*!< The check before that one. */
	uint32_t published;      /*!< Published serial last seen. */
	bool have_published;
} entry_t;

/*! \brief A NOTIFY to one remote, until acknowledged or given up. */
typedef struct job {
	struct job *next;
	soa_ctx_t *ctx;
	unsigned remote;         /*!< Index in ctx->remotes. */
	uint32_t serial;         /*!< Published serial announced. */
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[2 * 255 + 20];
	uint16_t id;             /*!< ID of the message in flight. */
	uint8_t mac[64];         /*!< Its request MAC. */
	size_t mac_len;
	unsigned sends;          /*!< Messages sent so far. */
	uint64_t deadline;       /*!< Next (re)send. */
	int fd;                  /*!< Own socket when the remote has a source (via). */
	soa_addr_t sent_to;      /*!< Address of the message in flight. */
} job_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thread;
static unsigned users;
static bool stopping;
static int wake_fd = -1;
static int sock4 = -1, sock6 = -1;
static uint16_t self_port4, self_port6;    /*!< Their ports (network order). */
static soa_addr_t target;          /*!< knotd's listen address. */
static bool have_target;
static entry_t *entries;
static size_t n_entries, cap_entries;
static job_t *jobs;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t soa_service_now_ms(void)
{
	return now_ms();
}

static int udp_socket(int family, const soa_addr_t *via)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && via != NULL && bind(fd, &via->sa, soa_addr_len(via)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*!
 * \brief Binds a socket to the family's wildcard address and a free port.
 *
 * \return The port in network order, 0 if unbound (or fd < 0).
 */
static uint16_t bind_any(int fd, int family)
{
	soa_addr_t any = { 0 };
	any.sa.sa_family = family;
	socklen_t len = soa_addr_len(&any);
	if (fd < 0 || bind(fd, &any.sa, len) != 0 || getsockname(fd, &any.sa, &len) != 0) {
		return 0;
	}
	return family == AF_INET6 ? any.in6.sin6_port : any.in.sin_port;
}

/*! \brief Closes the shared descriptors (the lock is held). */
static void close_shared(void)
{
	int *fds[] = { &wake_fd, &sock4, &sock6 };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0) {
			close(*fds[i]);
		}
		*fds[i] = -1;
	}
}

static int socket_for(const soa_addr_t *dst)
{
	return dst->sa.sa_family == AF_INET6 ? sock6 : sock4;
}

static void wake(void)
{
	if (wake_fd >= 0) {
		uint64_t one = 1;
		(void)write(wake_fd, &one, sizeof(one));
	}
}

/* NOTIFY jobs; the lock is held. */

static void job_free(job_t *job)
{
	if (job->fd >= 0) {
		close(job->fd);
	}
	free(job);
}

static void log_notify(const job_t *job, int prio, const char *fmt, const char *detail)
{
	char label[64];
	soa_addr_str(&job->sent_to, label, sizeof(label));
	knotd_mod_log(job->ctx->mod, prio, fmt, label, job->sends > 1 ? "retry, " : "",
	              detail, job->serial);
}

/*! \brief Queues (or refreshes) a NOTIFY of the snapshot to every remote. */
static void queue_notify(soa_ctx_t *ctx, const soa_snap_t *snap, uint64_t now)
{
	for (unsigned r = 0; r < ctx->remote_count; r++) {
		// Only the newest serial matters: a pending NOTIFY is replaced.
		job_t **p = &jobs;
		while (*p != NULL && !((*p)->ctx == ctx && (*p)->remote == r)) {
			p = &(*p)->next;
		}
		job_t *job = *p;
		if (job == NULL) {
			job = calloc(1, sizeof(*job));
			if (job == NULL) {
				continue;
			}
			job->fd = -1;
			job->ctx = ctx;
			job->remote = r;
			job->next = jobs;
			jobs = job;
		}
		job->serial = snap->published;
		job->ttl = snap->ttl;
		job->rdlen = snap->rdlen;
		memcpy(job->rdata, snap->rdata, snap->rdlen);
		job->sends = 0;
		job->deadline = now;
	}
}

static void job_send(job_t *job, uint64_t now)
{
	soa_ctx_t *ctx = job->ctx;
	const soa_remote_t *rmt = &ctx->remotes[job->remote];

	// Like knotd, try the remote's addresses in turn.
	job->sent_to = rmt->addr[job->sends % rmt->naddr];
	int fd = socket_for(&job->sent_to);
	if (rmt->via.sa.sa_family != AF_UNSPEC) {
		if (job->fd < 0) {
			job->fd = udp_socket(rmt->via.sa.sa_family, &rmt->via);
		}
		fd = job->fd;
	}

	uint8_t buf[SOA_MSG_MAX];
	size_t len = 0;
	soa_msg_soa_t soa = { ctx->zone, job->ttl, job->rdata, job->rdlen, job->serial };
	job->id = dnssec_random_uint16_t();
	job->mac_len = sizeof(job->mac);
	int ret = soa_msg_notify(buf, sizeof(buf), job->id, &soa,
	                         rmt->key.name != NULL ? &rmt->key : NULL,
	                         job->mac, &job->mac_len, &len);
	if (ret == KNOT_EOK && fd >= 0) {
		ssize_t sent = sendto(fd, buf, len, 0, &job->sent_to.sa,
		                      soa_addr_len(&job->sent_to));
		ret = (sent == (ssize_t)len) ? KNOT_EOK : knot_map_errno();
	} else if (fd < 0) {
		ret = KNOT_ECONN;
	}

	job->sends++;
	job->deadline = now + NOTIFY_WAIT_MS(job->sends);
	if (ret == KNOT_EOK) {
		knotd_mod_stats_incr(ctx->mod, 0, SOA_CTR_NOTIFY, SOA_NOTIFY_SENT, 1);
	}
}

/*! \brief Sends due NOTIFYs, retransmits, gives up. */
static void run_jobs(uint64_t now)
{
	job_t **p = &jobs;
	while (*p != NULL) {
		job_t *job = *p;
		if (job->deadline > now) {
			p = &job->next;
			continue;
		}
		if (job->sends >= NOTIFY_SENDS) {
			log_notify(job, LOG_WARNING, "NOTIFY, outgoing, remote %s, %sfailed (%s), serial %u",
			           "timeout");
			knotd_mod_stats_incr(job->ctx->mod, 0, SOA_CTR_NOTIFY, SOA_NOTIFY_FAILED, 1);
			*p = job->next;
			job_free(job);
			continue;
		}
		job_send(job, now);
		p = &job->next;
	}
}

/*! \brief Matches a datagram to a NOTIFY in flight. */
static void on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from)
{
	for (job_t **p = &jobs; *p != NULL; p = &(*p)->next) {
		job_t *job = *p;
		if (job->sends == 0 || !soa_addr_equal(from, &job->sent_to)) {
			continue;
		}
		const soa_remote_t *rmt = &job->ctx->remotes[job->remote];
		uint16_t rcode = 0;
		int ret = soa_msg_notify_reply(buf, len, job->id, job->ctx->zone,
		                               rmt->key.name != NULL ? &rmt->key : NULL,
		                               job->mac, job->mac_len, &rcode);
		if (ret == KNOT_ENOENT || ret == KNOT_EMALF) {
			continue;
		}
		if (ret != KNOT_EOK) {
			// Not authentic: keep waiting for a good reply.
			log_notify(job, LOG_WARNING, "NOTIFY, outgoing, remote %s, %sreply refused (%s), "
			           "serial %u", knot_strerror(ret));
			return;
		}
		if (rcode == KNOT_RCODE_NOERROR) {
			log_notify(job, LOG_INFO, "NOTIFY, outgoing, remote %s, %s%sserial %u", "");
			knotd_mod_stats_incr(job->ctx->mod, 0, SOA_CTR_NOTIFY, SOA_NOTIFY_ACKED, 1);
		} else {
			const knot_lookup_t *name = knot_lookup_by_id(knot_rcode_names, rcode);
			log_notify(job, LOG_WARNING, "NOTIFY, outgoing, remote %s, %sserver responded "
			           "with error '%s', serial %u", name != NULL ? name->name : "?");
			knotd_mod_stats_incr(job->ctx->mod, 0, SOA_CTR_NOTIFY, SOA_NOTIFY_FAILED, 1);
		}
		*p = job->next;
		job_free(job);
		return;
	}
}

static void drain(int fd)
{
	uint8_t buf[KNOT_WIRE_MAX_PKTSIZE];
	for (int i = 0; i < 256; i++) {
		soa_addr_t from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, &from.sa, &flen);
		if (n < 0) {
			return;
		}
		// Answers to our SOA queries only had to happen; replies to NOTIFY matter.
		if (n >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_opcode(buf) == KNOT_OPCODE_NOTIFY) {
			on_reply(buf, n, &from);
		}
	}
}

/* Zone checks; the lock is held. */

/*! \brief A new allocation since the last check: lag gauge and NOTIFY. */
static void check_snapshot(entry_t *e, uint64_t now)
{
	soa_ctx_t *ctx = e->ctx;
	rcu_read_lock();
	const soa_snap_t *snap = rcu_dereference(ctx->snap);
	if (snap != NULL && (!e->have_published || snap->published != e->published)) {
		if (e->have_published) {
			// The change happened after the last check that still saw the
			// old version (the one before, if the last check found it):
			// an upper bound of the time it went unnoticed.
			uint64_t ref = (snap->built_ms < e->checked + ANSWER_MS) ?
			               e->checked_before : e->checked;
			uint64_t lag = snap->built_ms > ref ? snap->built_ms - ref : 0;
			if (ctx->date) {        // the gauge exists in date mode only
				soa_gauge(ctx->mod, SOA_CTR_CHANGE_DETECT_LAG, 0, lag);
			}
			if (ctx->notify && ctx->remote_count > 0) {
				queue_notify(ctx, snap, now);
			}
		}
		e->published = snap->published;
		e->have_published = true;
	}
	rcu_read_unlock();
}

static void checked_at(entry_t *e, uint64_t when)
{
	e->checked_before = e->checked;
	e->checked = when;
}

static void check_zones(uint64_t now)
{
	for (size_t i = 0; i < n_entries; i++) {
		entry_t *e = &entries[i];
		check_snapshot(e, now);

		// Answers that carried the SOA (our own SOA queries' too) checked
		// the version: poll only zones not checked for CHECK_MS.
		uint64_t dirty = soa_hot_last_dirty(&e->ctx->hot);
		if (dirty > e->checked) {
			checked_at(e, dirty);
		}
		if (now < e->checked + CHECK_MS || !have_target) {
			continue;
		}
		uint8_t buf[SOA_MSG_MAX];
		size_t len;
		int fd = socket_for(&target);
		if (fd >= 0 && soa_msg_soa_query(buf, sizeof(buf), dnssec_random_uint16_t(),
		                                 e->ctx->zone, &len) == KNOT_EOK) {
			(void)sendto(fd, buf, len, 0, &target.sa, soa_addr_len(&target));
			checked_at(e, now);
		}
	}
}

static void *service_main(void *arg)
{
	(void)arg;
	// Named for top -H and ps; registered with RCU like every knotd thread,
	// to read zone snapshots.
	(void)pthread_setname_np(pthread_self(), "mod-soa");
	rcu_register_thread();

	uint64_t next_flush = now_ms() + SOA_HOT_FLUSH_MS;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		// Sleep until the next pass, a reply or a wake-up.
		uint64_t now = now_ms();
		int timeout = next_flush > now ? (int)(next_flush - now) : 0;
		for (job_t *j = jobs; j != NULL; j = j->next) {
			if (j->deadline <= now) {
				timeout = 0;
			} else if ((int)(j->deadline - now) < timeout) {
				timeout = (int)(j->deadline - now);
			}
		}
		struct pollfd fds[3 + 16];
		nfds_t nfds = 0;
		fds[nfds++] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
		fds[nfds++] = (struct pollfd){ .fd = sock4, .events = POLLIN };
		fds[nfds++] = (struct pollfd){ .fd = sock6, .events = POLLIN };
		for (job_t *j = jobs; j != NULL && nfds < sizeof(fds) / sizeof(fds[0]); j = j->next) {
			if (j->fd >= 0) {
				fds[nfds++] = (struct pollfd){ .fd = j->fd, .events = POLLIN };
			}
		}
		pthread_mutex_unlock(&lock);

		(void)poll(fds, nfds, timeout);

		pthread_mutex_lock(&lock);
		if (stopping) {
			break;
		}
		uint64_t value;
		while (read(wake_fd, &value, sizeof(value)) > 0) {
		}
		for (nfds_t i = 1; i < nfds; i++) {
			if (fds[i].fd >= 0 && (fds[i].revents & POLLIN)) {
				drain(fds[i].fd);
			}
		}

		now = now_ms();
		if (now >= next_flush) {
			next_flush = now + SOA_HOT_FLUSH_MS;
			pthread_mutex_unlock(&lock);
			soa_hot_flush(now);
			pthread_mutex_lock(&lock);
			if (stopping) {
				break;
			}
			check_zones(now);
		}
		run_jobs(now);
	}
	pthread_mutex_unlock(&lock);

	rcu_unregister_thread();
	return NULL;
}

int soa_service_start(void)
{
	int ret = KNOT_EOK;
	pthread_mutex_lock(&lock);
	if (users == 0) {
		stopping = false;
		wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		sock4 = udp_socket(AF_INET, NULL);
		sock6 = udp_socket(AF_INET6, NULL);
		// Bind now: the hook recognizes our own SOA queries by source port.
		__atomic_store_n(&self_port4, bind_any(sock4, AF_INET), __ATOMIC_RELAXED);
		__atomic_store_n(&self_port6, bind_any(sock6, AF_INET6), __ATOMIC_RELAXED);
		if (wake_fd < 0 || pthread_create(&thread, NULL, service_main, NULL) != 0) {
			close_shared();
			ret = KNOT_ENOMEM;
		}
	}
	if (ret == KNOT_EOK) {
		users++;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

void soa_service_stop(void)
{
	pthread_mutex_lock(&lock);
	if (users == 0 || --users > 0) {
		pthread_mutex_unlock(&lock);
		return;
	}
	stopping = true;
	wake();
	pthread_mutex_unlock(&lock);

	pthread_join(thread, NULL);

	pthread_mutex_lock(&lock);
	while (jobs != NULL) {
		job_t *next = jobs->next;
		job_free(jobs);
		jobs = next;
	}
	free(entries);
	entries = NULL;
	n_entries = cap_entries = 0;
	close_shared();
	self_port4 = self_port6 = 0;
	have_target = false;
	pthread_mutex_unlock(&lock);
}

bool soa_service_is_self(const struct sockaddr_storage *remote)
{
	// No other socket can hold the port of a socket bound to the wildcard.
	if (remote == NULL) {
		return false;
	}
	if (remote->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)remote;
		uint16_t port = __atomic_load_n(&self_port4, __ATOMIC_RELAXED);
		return port != 0 && in->sin_port == port &&
		       (in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) ||
		        (have_target && target.sa.sa_family == AF_INET &&
		         in->sin_addr.s_addr == target.in.sin_addr.s_addr));
	} else if (remote->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)remote;
		uint16_t port = __atomic_load_n(&self_port6, __ATOMIC_RELAXED);
		return port != 0 && in6->sin6_port == port &&
		       (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		        (have_target && target.sa.sa_family == AF_INET6 &&
		         memcmp(&in6->sin6_addr, &target.in6.sin6_addr, 16) == 0));
	}
	return false;
}

void soa_service_set_target(const soa_addr_t *addr)
{
	pthread_mutex_lock(&lock);
	if (!have_target) {
		target = *addr;
		have_target = true;
	}
	pthread_mutex_unlock(&lock);
}

void soa_service_add(soa_ctx_t *ctx, bool have_published, uint32_t published)
{
	pthread_mutex_lock(&lock);
	if (n_entries == cap_entries) {
		size_t cap = cap_entries ? 2 * cap_entries : 64;
		entry_t *grown = realloc(entries, cap * sizeof(*entries));
		if (grown == NULL) {
			pthread_mutex_unlock(&lock);
			return;
		}
		entries = grown;
		cap_entries = cap;
	}
	// Spread the first checks over a period so zones do not poll in step.
	uint64_t now = now_ms();
	uint64_t spread = (n_entries * 7919) % CHECK_MS;
	entries[n_entries++] = (entry_t){
		.ctx = ctx,
		.checked = now - spread,
		.checked_before = now - spread,
		.published = published,
		.have_published = have_published,
	};
	pthread_mutex_unlock(&lock);
}

void soa_service_remove(soa_ctx_t *ctx)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_entries; i++) {
		if (entries[i].ctx == ctx) {
			entries[i] = entries[--n_entries];
			break;
		}
	}
	// Pending NOTIFYs go with the instance: knotd may be unloading the library.
	job_t **p = &jobs;
	while (*p != NULL) {
		if ((*p)->ctx == ctx) {
			job_t *dead = *p;
			*p = dead->next;
			job_free(dead);
		} else {
			p = &(*p)->next;
		}
	}
	pthread_mutex_unlock(&lock);
}
