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
 * \brief NOTIFY with the published serial.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soa/knotd_compat.h"
#include "soa/msg.h"
#include "soa/notify.h"

/*! \brief NOTIFY sends per remote before giving up. */
#define NOTIFY_SENDS 5
/*! \brief Wait after a send: 1 s, doubling, at most 4 s (sends at 0, 1, 3, 7 and
 *         11 s; given up at 15 s). */
#define NOTIFY_WAIT_MS(sends) (1000ULL << ((sends) > 3 ? 2 : (sends) - 1))

/*! \brief A NOTIFY to one remote, until acknowledged or given up. */
typedef struct job {
	struct job *next;
	const soa_watch_t *w;
	unsigned remote;         /*!< Index in w->remotes. */
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

/*! \brief Pending NOTIFYs (the service thread's lock is held). */
static job_t *jobs;

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
	knotd_mod_log(job->w->mod, prio, fmt, label, job->sends > 1 ? "retry, " : "",
	              detail, job->serial);
}

void soa_notify_queue(soa_watch_t *w, const soa_snap_t *snap, uint64_t now)
{
	for (unsigned r = 0; r < w->remote_count; r++) {
		job_t **p = &jobs;
		while (*p != NULL && !((*p)->w == w && (*p)->remote == r)) {
			p = &(*p)->next;
		}
		job_t *job = *p;
		if (job == NULL) {
			job = calloc(1, sizeof(*job));
			if (job == NULL) {
				continue;
			}
			job->fd = -1;
			job->w = w;
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

static void job_send(job_t *job, uint64_t now, int fd4, int fd6)
{
	const soa_remote_t *rmt = &job->w->remotes[job->remote];

	// Like knotd, try the remote's addresses in turn.
	job->sent_to = rmt->addr[job->sends % rmt->naddr];
	int fd = job->sent_to.sa.sa_family == AF_INET6 ? fd6 : fd4;
	if (rmt->via.sa.sa_family != AF_UNSPEC) {
		if (job->fd < 0) {
			job->fd = soa_via_socket(&rmt->via);
		}
		fd = job->fd;
	}

	uint8_t buf[SOA_MSG_MAX];
	size_t len = 0;
	soa_msg_soa_t soa = { job->w->zone, job->ttl, job->rdata, job->rdlen, job->serial };
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
		soa_count(job->w->metrics, 0, SOA_CTR_NOTIFY, SOA_NOTIFY_SENT);
	}
}

void soa_notify_run(uint64_t now, int fd4, int fd6)
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
			soa_count(job->w->metrics, 0, SOA_CTR_NOTIFY, SOA_NOTIFY_FAILED);
			*p = job->next;
			job_free(job);
			continue;
		}
		job_send(job, now, fd4, fd6);
		p = &job->next;
	}
}

int soa_notify_timeout(uint64_t now, int max)
{
	int timeout = max;
	for (job_t *j = jobs; j != NULL; j = j->next) {
		if (j->deadline <= now) {
			return 0;
		} else if ((int)(j->deadline - now) < timeout) {
			timeout = (int)(j->deadline - now);
		}
	}
	return timeout;
}

size_t soa_notify_poll_fds(struct pollfd *fds, size_t room)
{
	size_t n = 0;
	for (job_t *j = jobs; j != NULL && n < room; j = j->next) {
		if (j->fd >= 0) {
			fds[n++] = (struct pollfd){ .fd = j->fd, .events = POLLIN };
		}
	}
	return n;
}

void soa_notify_on_reply(const uint8_t *buf, size_t len, const soa_addr_t *from)
{
	for (job_t **p = &jobs; *p != NULL; p = &(*p)->next) {
		job_t *job = *p;
		if (job->sends == 0 || !soa_addr_equal(from, &job->sent_to)) {
			continue;
		}
		const soa_remote_t *rmt = &job->w->remotes[job->remote];
		uint16_t rcode = 0;
		int ret = soa_msg_notify_reply(buf, len, job->id, job->w->zone,
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
			soa_count(job->w->metrics, 0, SOA_CTR_NOTIFY, SOA_NOTIFY_ACKED);
		} else {
			const knot_lookup_t *name = knot_lookup_by_id(knot_rcode_names, rcode);
			log_notify(job, LOG_WARNING, "NOTIFY, outgoing, remote %s, %sserver responded "
			           "with error '%s', serial %u", name != NULL ? name->name : "?");
			soa_count(job->w->metrics, 0, SOA_CTR_NOTIFY, SOA_NOTIFY_FAILED);
		}
		*p = job->next;
		job_free(job);
		return;
	}
}

void soa_notify_drop(const soa_watch_t *w)
{
	job_t **p = &jobs;
	while (*p != NULL) {
		if ((*p)->w == w) {
			job_t *dead = *p;
			*p = dead->next;
			job_free(dead);
		} else {
			p = &(*p)->next;
		}
	}
}

void soa_notify_clear(void)
{
	while (jobs != NULL) {
		job_t *next = jobs->next;
		job_free(jobs);
		jobs = next;
	}
}
