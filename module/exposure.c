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
 * \brief NXDOMAIN exposure of newly added names.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soa/exposure.h"
#include "soa/knotd_compat.h"
#include "soa/metrics.h"
#include "soa/msg.h"
#include "soa/nxtable.h"

/*! \brief A lookup without an answer for this long is given up. */
#define LOOKUP_TIMEOUT_MS 1000

/*! \brief A lookup in flight (all have the ID SOA_SERVICE_LOOKUP_ID; the
 *         question tells them apart). */
typedef struct {
	soa_watch_t *w;
	uint16_t index;    /*!< In the zone's names. */
	uint64_t sent;
} lookup_t;

static struct {
	soa_watch_t *zones;              /*!< Zones with lookups or a gauge. */
	lookup_t flight[SOA_EXPOSURE_WINDOW];
	unsigned n_flight;
} expo;

static uint32_t unix_now(void)
{
	return (uint32_t)time(NULL);
}

static void list(soa_watch_t *w)
{
	if (!w->expo_listed) {
		w->expo_listed = true;
		w->expo_link = expo.zones;
		expo.zones = w;
	}
}

static void land(unsigned i)
{
	expo.flight[i] = expo.flight[--expo.n_flight];
}

void soa_exposure_start(soa_watch_t *w)
{
	if (w->nxtable == NULL) {
		return;
	}
	soa_nx_t *names = malloc(SOA_NXTABLE_SLOTS * sizeof(*names));
	if (names == NULL) {
		return;
	}
	size_t n = soa_nxtable_live(w->nxtable, unix_now(), names);
	// Kept only as long as needed: most versions have few names to check.
	soa_nx_t *kept = (n > 0) ? realloc(names, n * sizeof(*names)) : NULL;
	if (kept == NULL) {
		free(names);
		if (n > 0) {
			return;
		}
	}
	// A new version replaces lookups still going on for the one before.
	for (unsigned i = 0; i < expo.n_flight; ) {
		if (expo.flight[i].w == w) {
			land(i);
		} else {
			i++;
		}
	}
	free(w->expo_names);
	w->expo_names = kept;
	w->expo_count = n;
	w->expo_next = 0;
	list(w);
}

/*! \brief Formats a UNIX time as knotd's log does, in local time. */
static void clock_str(uint32_t t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;
	if (localtime_r(&tt, &tm) == NULL || strftime(buf, len, "%H:%M:%S", &tm) == 0) {
		(void)snprintf(buf, len, "%u", t);
	}
}

/*! \brief A remembered name exists in the new version. */
static void exposed(soa_watch_t *w, const soa_nx_t *nx)
{
	char name[KNOT_DNAME_TXT_MAXLEN + 1], at[16], until[16];
	uint32_t end = nx->at + nx->ttl;
	if (knot_dname_to_str(name, nx->name, sizeof(name)) == NULL) {
		return;
	}
	clock_str(nx->at, at, sizeof(at));
	clock_str(end, until, sizeof(until));
	knotd_mod_log(w->mod, LOG_NOTICE, "%s added, but answered NXDOMAIN at %s with TTL %u: "
	              "resolvers may keep the NXDOMAIN until %s", name, at, nx->ttl, until);
	soa_count(w->metrics, 0, SOA_CTR_NEGATIVE_EXPOSURE, SOA_EXPO_NAMES);
	if (end > w->expo_until) {
		w->expo_until = end;
	}
	soa_nxtable_forget(w->nxtable, nx->name);
}

void soa_exposure_on_answer(const uint8_t *buf, size_t len)
{
	const uint8_t *qname = buf + KNOT_WIRE_HEADER_SIZE;
	if (len <= KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(buf) ||
	    knot_wire_get_qdcount(buf) != 1 || knot_dname_wire_check(qname, buf + len, NULL) <= 0) {
		return;
	}
	for (unsigned i = 0; i < expo.n_flight; i++) {
		lookup_t *l = &expo.flight[i];
		const soa_nx_t *nx = (const soa_nx_t *)l->w->expo_names + l->index;
		if (!knot_dname_is_case_equal(qname, nx->name)) {
			continue;
		}
		// Any answer but NXDOMAIN: the name exists (an empty non-terminal, a
		// wildcard or a node of its own) in the version knotd serves.
		if (knot_wire_get_rcode(buf) == KNOT_RCODE_NOERROR) {
			exposed(l->w, nx);
		}
		land(i);
		return;
	}
}

/*! \brief Sends what the window allows, oldest zones first. */
static void send_lookups(uint64_t now, const soa_addr_t *target, int fd)
{
	for (soa_watch_t *w = expo.zones; w != NULL; w = w->expo_link) {
		while (w->expo_next < w->expo_count && expo.n_flight < SOA_EXPOSURE_WINDOW) {
			uint16_t index = w->expo_next++;
			const soa_nx_t *nx = (const soa_nx_t *)w->expo_names + index;
			uint8_t msg[SOA_MSG_MAX];
			size_t len;
			if (soa_msg_query(msg, sizeof(msg), SOA_SERVICE_LOOKUP_ID, nx->name,
			                  KNOT_RRTYPE_A, &len) != KNOT_EOK) {
				continue;
			}
			(void)sendto(fd, msg, len, 0, &target->sa, soa_addr_len(target));
			expo.flight[expo.n_flight++] = (lookup_t){ w, index, now };
		}
	}
}

void soa_exposure_run(uint64_t now, const soa_addr_t *target, int fd)
{
	for (unsigned i = 0; i < expo.n_flight; ) {
		if (now >= expo.flight[i].sent + LOOKUP_TIMEOUT_MS) {
			land(i);
		} else {
			i++;
		}
	}
	if (target != NULL && fd >= 0) {
		send_lookups(now, target, fd);
	}

	// The gauge counts the longest exposure down; done zones leave the list.
	uint32_t t = unix_now();
	for (soa_watch_t **p = &expo.zones; *p != NULL; ) {
		soa_watch_t *w = *p;
		uint32_t left = (w->expo_until > t) ? w->expo_until - t : 0;
		soa_gauge(w->metrics, SOA_CTR_NEGATIVE_EXPOSURE, SOA_EXPO_SECONDS, left);
		bool busy = w->expo_next < w->expo_count;
		for (unsigned i = 0; i < expo.n_flight && !busy; i++) {
			busy = (expo.flight[i].w == w);
		}
		if (left == 0 && !busy) {
			free(w->expo_names);
			w->expo_names = NULL;
			w->expo_count = w->expo_next = 0;
			w->expo_listed = false;
			*p = w->expo_link;
		} else {
			p = &w->expo_link;
		}
	}
}

void soa_exposure_drop(soa_watch_t *w)
{
	for (unsigned i = 0; i < expo.n_flight; ) {
		if (expo.flight[i].w == w) {
			land(i);
		} else {
			i++;
		}
	}
	for (soa_watch_t **p = &expo.zones; *p != NULL; p = &(*p)->expo_link) {
		if (*p == w) {
			*p = w->expo_link;
			break;
		}
	}
	free(w->expo_names);
	w->expo_names = NULL;
	w->expo_listed = false;
}

void soa_exposure_clear(void)
{
	while (expo.zones != NULL) {
		soa_exposure_drop(expo.zones);
	}
	memset(&expo, 0, sizeof(expo));
}
