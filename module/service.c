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
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include <urcu.h>
#include <libknot/libknot.h>

#include "soa/counters.h"
#include "soa/service.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static pthread_t thread;
static unsigned users;
static bool running;
static bool stopping;

static void *service_main(void *arg)
{
	(void)arg;
	// Named for top -H and ps; registered like every knotd thread, for
	// RCU-protected module state.
	(void)pthread_setname_np(pthread_self(), "mod-soa");
	rcu_register_thread();

	pthread_mutex_lock(&lock);
	while (!stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += SOA_HOT_FLUSH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		int ret = 0;
		while (!stopping && ret != ETIMEDOUT) {
			ret = pthread_cond_timedwait(&wake, &lock, &until);
		}
		pthread_mutex_unlock(&lock);

		soa_hot_flush();

		pthread_mutex_lock(&lock);
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
		pthread_condattr_t attr;
		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&wake, &attr);
		pthread_condattr_destroy(&attr);
		stopping = false;
		running = (pthread_create(&thread, NULL, service_main, NULL) == 0);
		if (!running) {
			pthread_cond_destroy(&wake);
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
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);

	pthread_join(thread, NULL);
	pthread_cond_destroy(&wake);
	running = false;
}
