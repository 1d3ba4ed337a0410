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
 * \brief Transfer observations from the workers to the service thread: a
 *        lock-free stack, bounded by a count.
 */

#include <stdlib.h>
#include <string.h>

#include "soa/observe.h"

/*! \brief Observations (pushed without the lock) and their number. */
static soa_observation_t *observed;
static unsigned observed_count;

void soa_observe_push(soa_watch_t *w, const struct sockaddr_storage *client,
                      uint32_t serial)
{
	// Bounded: a flood of transfers cannot pile up memory.
	if (client == NULL) {
		return;
	}
	if (__atomic_add_fetch(&observed_count, 1, __ATOMIC_RELAXED) > SOA_OBSERVE_MAX) {
		__atomic_sub_fetch(&observed_count, 1, __ATOMIC_RELAXED);
		return;
	}
	soa_observation_t *o = calloc(1, sizeof(*o));
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
	soa_observation_t *head = __atomic_load_n(&observed, __ATOMIC_RELAXED);
	do {
		o->next = head;
	} while (!__atomic_compare_exchange_n(&observed, &head, o, true,
	                                      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

soa_observation_t *soa_observe_take(void)
{
	soa_observation_t *o = __atomic_exchange_n(&observed, NULL, __ATOMIC_ACQUIRE);
	// Oldest first (the stack is newest first).
	soa_observation_t *rev = NULL;
	while (o != NULL) {
		soa_observation_t *next = o->next;
		o->next = rev;
		rev = o;
		o = next;
	}
	return rev;
}

void soa_observe_free(soa_observation_t *o)
{
	free(o);
	__atomic_sub_fetch(&observed_count, 1, __ATOMIC_RELAXED);
}

void soa_observe_clear(void)
{
	soa_observation_t *o = __atomic_exchange_n(&observed, NULL, __ATOMIC_ACQUIRE);
	while (o != NULL) {
		soa_observation_t *next = o->next;
		free(o);
		o = next;
	}
	observed_count = 0;
}
