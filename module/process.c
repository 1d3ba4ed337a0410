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
 * \brief Process-wide parts of mod-soa.
 */

#include <pthread.h>

#include <urcu.h>

#include "soa/names.h"
#include "soa/process.h"
#include "soa/service.h"
#include "soa/store.h"
#include "soa/xfr.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned refs;
static bool service_up;

int soa_process_acquire(knotd_mod_t *mod, bool *service)
{
	int ret = KNOT_EOK;
	pthread_mutex_lock(&lock);
	if (refs == 0) {
		// Worker counts only change with a restart: the first count stays.
		ret = soa_xfr_init(knotd_mod_threads(mod));
		service_up = (ret == KNOT_EOK && soa_service_start() == KNOT_EOK);
	}
	if (ret == KNOT_EOK) {
		refs++;
	}
	*service = service_up;
	pthread_mutex_unlock(&lock);
	return ret;
}

void soa_process_release(void)
{
	pthread_mutex_lock(&lock);
	if (refs > 0 && --refs == 0) {
		if (service_up) {
			soa_service_stop();
		}
		service_up = false;
		soa_xfr_deinit();
		soa_store_close_all();
		// No instance lists counters any more (knotd freed them at unload).
		soa_names_clear();
		// Callbacks queued by call_rcu() run code of this library.
		rcu_barrier();
	}
	pthread_mutex_unlock(&lock);
}
