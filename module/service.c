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
 * \brief The module's background thread: a poll loop that runs change
 *        detection (detect.c) and NOTIFY (notify.c) whenever something
 *        arrives (a wake-up, a datagram, a D-Bus message) and at least
 *        every SOA_SERVICE_PASS_MS.
 *
 * Sockets are non-blocking; worker threads never wait for this thread.
 */

#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <urcu.h>

#include "soa/checks.h"
#include "soa/detect.h"
#include "soa/exposure.h"
#include "soa/notify.h"
#include "soa/replica.h"
#include "soa/service.h"

/*! \brief How often detection runs. */
#define SOA_SERVICE_PASS_MS 100
/*! \brief Most other descriptors (NOTIFY and replica check sockets, D-Bus)
 *         polled at once. */
#define OWN_FDS 24

/*! \brief Everything the thread shares with the zones; lock guards all but
 *         the self ports, which hooks read atomically. */
static struct {
	pthread_mutex_t lock;
	pthread_t thread;
	bool stopping;
	int wake_fd;
	int sock[2];                /*!< IPv4 and IPv6 sockets, bound to a free port. */
	uint16_t self_port[2];      /*!< Their ports (network order). */
	soa_addr_t target;          /*!< knotd's listen address. */
	bool have_target;
	soa_watch_t *changed;       /*!< New snapshots, pushed by workers without the lock. */
} svc = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1, .sock = { -1, -1 } };

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*!
 * \brief Opens a UDP socket bound to the family's wildcard address and a
 *        free port.
 *
 * \return The port in network order, 0 if the socket could not be bound.
 */
static uint16_t open_socket(int family, int *fd)
{
	*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	soa_addr_t any = { 0 };
	any.sa.sa_family = family;
	socklen_t len = soa_addr_len(&any);
	if (*fd < 0 || bind(*fd, &any.sa, len) != 0 || getsockname(*fd, &any.sa, &len) != 0) {
		return 0;
	}
	return family == AF_INET6 ? any.in6.sin6_port : any.in.sin_port;
}

/*! \brief Closes the shared descriptors. */
static void close_shared(void)
{
	int *fds[] = { &svc.wake_fd, &svc.sock[0], &svc.sock[1] };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0) {
			close(*fds[i]);
		}
		*fds[i] = -1;
	}
}

/*! \brief Reads every pending datagram of a socket (at most 256 a pass). */
static void drain(int fd, uint64_t now)
{
	uint8_t buf[KNOT_WIRE_MAX_PKTSIZE];
	for (int i = 0; i < 256; i++) {
		soa_addr_t from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, &from.sa, &flen);
		if (n < 0) {
			return;
		}
		if (n < KNOT_WIRE_HEADER_SIZE) {
			continue;
		} else if (knot_wire_get_opcode(buf) == KNOT_OPCODE_NOTIFY) {
			soa_notify_on_reply(buf, n, &from);
		} else if (soa_replica_on_reply(buf, n, &from, now)) {
			// A secondary's answer to a replica check (by ID and source).
			continue;
		} else if (knot_wire_get_id(buf) == SOA_SERVICE_SELF_ID) {
			soa_detect_on_answer(buf, n);
		} else if (knot_wire_get_id(buf) == SOA_SERVICE_LOOKUP_ID) {
			soa_exposure_on_answer(buf, n);
		}
	}
}

/*! \brief Hands the zones with new snapshots to detection (the lock is held). */
static void take_changed(uint64_t now)
{
	soa_watch_t *w = __atomic_exchange_n(&svc.changed, NULL, __ATOMIC_ACQUIRE);
	while (w != NULL) {
		soa_watch_t *next = w->changed_next;
		__atomic_store_n(&w->changed, false, __ATOMIC_RELEASE);
		bool fresh = soa_detect_changed(w, now);
		if (fresh) {
			soa_exposure_start(w);
		}
		if (w->replica) {
			soa_replica_snapshot(w, fresh, now);
		}
		w = next;
	}
}

/*! \brief One pass of detection, exposure lookups, NOTIFY and replica checks
 *         (the lock is held). */
static void pass(uint64_t now)
{
	take_changed(now);
	soa_detect_io_t io = {
		.target = svc.have_target ? &svc.target : NULL,
		.fd = { svc.sock[0], svc.sock[1] },
		.id = SOA_SERVICE_SELF_ID,
	};
	soa_detect_run(now, &io);
	int fd = (io.target != NULL && io.target->sa.sa_family == AF_INET6) ? io.fd[1] : io.fd[0];
	soa_exposure_run(now, io.target, fd);
	soa_notify_run(now, svc.sock[0], svc.sock[1]);
	soa_replica_run(now, svc.sock[0], svc.sock[1]);
}

static void *service_main(void *arg)
{
	(void)arg;
	// Named for top -H and ps; registered with RCU like every knotd thread,
	// to read zone snapshots.
	(void)pthread_setname_np(pthread_self(), "mod-soa");
	rcu_register_thread();

	pthread_mutex_lock(&svc.lock);
	while (!svc.stopping) {
		// Sleep until a pass is due, a NOTIFY is, or something arrives.
		uint64_t now = now_ms();
		int timeout = soa_notify_timeout(now, SOA_SERVICE_PASS_MS);
		timeout = soa_replica_timeout(now, timeout);
		struct pollfd fds[3 + OWN_FDS] = {
			{ .fd = svc.wake_fd, .events = POLLIN },
			{ .fd = svc.sock[0], .events = POLLIN },
			{ .fd = svc.sock[1], .events = POLLIN },
		};
		size_t bus = soa_detect_poll_fds(fds + 3, OWN_FDS);
		nfds_t nfds = 3 + bus + soa_notify_poll_fds(fds + 3 + bus, OWN_FDS - bus);
		nfds += soa_checks_poll_fds(fds + nfds, 3 + OWN_FDS - nfds);
		pthread_mutex_unlock(&svc.lock);

		(void)poll(fds, nfds, timeout);

		pthread_mutex_lock(&svc.lock);
		if (svc.stopping) {
			break;
		}
		uint64_t value;
		while (read(svc.wake_fd, &value, sizeof(value)) > 0) {
		}
		now = now_ms();
		soa_detect_on_fds(fds + 3, bus, now);
		for (nfds_t i = 1; i < nfds; i++) {
			if ((i < 3 || i >= 3 + bus) && fds[i].fd >= 0 && (fds[i].revents & POLLIN)) {
				drain(fds[i].fd, now);
			}
		}
		pass(now);
	}
	pthread_mutex_unlock(&svc.lock);

	rcu_unregister_thread();
	return NULL;
}

int soa_service_start(void)
{
	pthread_mutex_lock(&svc.lock);
	svc.stopping = false;
	svc.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	// Bound now: the hook recognizes the checks by their source port.
	__atomic_store_n(&svc.self_port[0], open_socket(AF_INET, &svc.sock[0]), __ATOMIC_RELAXED);
	__atomic_store_n(&svc.self_port[1], open_socket(AF_INET6, &svc.sock[1]), __ATOMIC_RELAXED);
	int ret = KNOT_EOK;
	if (svc.wake_fd < 0 || pthread_create(&svc.thread, NULL, service_main, NULL) != 0) {
		close_shared();
		ret = KNOT_ENOMEM;
	}
	pthread_mutex_unlock(&svc.lock);
	return ret;
}

void soa_service_stop(void)
{
	pthread_mutex_lock(&svc.lock);
	svc.stopping = true;
	uint64_t one = 1;
	(void)write(svc.wake_fd, &one, sizeof(one));
	pthread_mutex_unlock(&svc.lock);

	pthread_join(svc.thread, NULL);

	pthread_mutex_lock(&svc.lock);
	soa_notify_clear();
	soa_exposure_clear();
	soa_replica_clear();
	soa_detect_clear();
	svc.changed = NULL;
	close_shared();
	svc.self_port[0] = svc.self_port[1] = 0;
	svc.have_target = false;
	pthread_mutex_unlock(&svc.lock);
}

/*! \brief True if a remote address is one of the service sockets. */
static bool self_addr(const struct sockaddr_storage *remote)
{
	// No other socket can hold the port of a socket bound to the wildcard.
	if (remote->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)remote;
		uint16_t port = __atomic_load_n(&svc.self_port[0], __ATOMIC_RELAXED);
		return port != 0 && in->sin_port == port &&
		       (in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) ||
		        (svc.have_target && svc.target.sa.sa_family == AF_INET &&
		         in->sin_addr.s_addr == svc.target.in.sin_addr.s_addr));
	} else if (remote->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)remote;
		uint16_t port = __atomic_load_n(&svc.self_port[1], __ATOMIC_RELAXED);
		return port != 0 && in6->sin6_port == port &&
		       (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		        (svc.have_target && svc.target.sa.sa_family == AF_INET6 &&
		         memcmp(&in6->sin6_addr, &svc.target.in6.sin6_addr, 16) == 0));
	}
	return false;
}

/*! \brief True if a query has the ID and comes from a service socket. */
static bool from_self(const knotd_qdata_t *qdata, uint16_t id)
{
	// The ID first: it spares other answers the address lookup.
	if (knot_wire_get_id(qdata->query->wire) != id) {
		return false;
	}
	const struct sockaddr_storage *remote = knotd_qdata_remote_addr((knotd_qdata_t *)qdata);
	return remote != NULL && self_addr(remote);
}

bool soa_service_is_self(const knotd_qdata_t *qdata)
{
	return from_self(qdata, SOA_SERVICE_SELF_ID);
}

bool soa_service_is_lookup(const knotd_qdata_t *qdata)
{
	return from_self(qdata, SOA_SERVICE_LOOKUP_ID);
}

void soa_service_set_target(const soa_addr_t *addr)
{
	pthread_mutex_lock(&svc.lock);
	if (!svc.have_target) {
		svc.target = *addr;
		svc.have_target = true;
	}
	pthread_mutex_unlock(&svc.lock);
}

void soa_service_set_dbus(bool zone_updated)
{
	pthread_mutex_lock(&svc.lock);
	soa_detect_set_dbus(zone_updated);
	pthread_mutex_unlock(&svc.lock);
}

void soa_service_add(soa_watch_t *w)
{
	pthread_mutex_lock(&svc.lock);
	if (soa_detect_add(w, now_ms()) != KNOT_EOK) {
		knotd_mod_log(w->mod, LOG_ERR, "failed to watch the zone (%s), changes are seen "
		              "by answers only", knot_strerror(KNOT_ENOMEM));
	}
	if (w->replica && soa_replica_add(w) != KNOT_EOK) {
		knotd_mod_log(w->mod, LOG_ERR, "failed to track the secondaries (%s), no "
		              "replica checks", knot_strerror(KNOT_ENOMEM));
	}
	pthread_mutex_unlock(&svc.lock);
}

void soa_service_changed(soa_watch_t *w)
{
	// Pushed without the lock (the thread may be busy); once per pending change.
	if (__atomic_exchange_n(&w->changed, true, __ATOMIC_ACQ_REL)) {
		return;
	}
	soa_watch_t *head = __atomic_load_n(&svc.changed, __ATOMIC_RELAXED);
	do {
		w->changed_next = head;
	} while (!__atomic_compare_exchange_n(&svc.changed, &head, w, true,
	                                      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	uint64_t one = 1;
	(void)write(svc.wake_fd, &one, sizeof(one));
}

void soa_service_remove(soa_watch_t *w)
{
	pthread_mutex_lock(&svc.lock);
	// knotd runs no hook of the zone any more: it can be on the workers'
	// list, not pushed again. Take the list and look at it now.
	uint64_t now = now_ms();
	take_changed(now);
	soa_detect_remove(w);
	soa_exposure_drop(w);
	// Pending NOTIFYs and checks go with the zone: knotd may be unloading
	// the library.
	soa_notify_drop(w);
	soa_replica_remove(w, now);
	pthread_mutex_unlock(&svc.lock);
}
