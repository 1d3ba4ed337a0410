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
 * \brief The per-zone module context.
 */

#include <stdlib.h>

#include "soa/knotd_compat.h"
#include "soa/names.h"
#include "soa/nxtable.h"
#include "soa/snap.h"
#include "soa/zone.h"

/*!
 * \brief Registers the replication health counters: replica-serial gets one
 *        index per secondary, named address@port (names.h).
 */
static int replica_metrics(soa_zone_t *z)
{
	// No counters, no names to keep.
	if (!(z->opt.groups & (1u << SOA_GROUP_REPLICA))) {
		return KNOT_EOK;
	}
	unsigned n = 0;
	for (unsigned r = 0; r < z->remote_count; r++) {
		n += z->remotes[r].naddr;
	}
	char (*buf)[64] = calloc(n, sizeof(*buf));
	const char **names = calloc(n, sizeof(*names));
	if (buf == NULL || names == NULL) {
		free(buf);
		free(names);
		return KNOT_ENOMEM;
	}
	unsigned i = 0;
	for (unsigned r = 0; r < z->remote_count; r++) {
		for (unsigned a = 0; a < z->remotes[r].naddr; a++, i++) {
			soa_addr_str(&z->remotes[r].addr[a], buf[i], sizeof(buf[i]));
			names[i] = buf[i];
		}
	}
	soa_names_fn_t fn = NULL;
	z->names = soa_names_intern(names, n, &fn);
	free(names);
	free(buf);
	if (z->names == KNOT_ENOMEM) {
		return KNOT_ENOMEM;
	} else if (z->names < 0) {
		knotd_mod_log(z->mod, LOG_WARNING, "replica, more than %u distinct lists of "
		              "secondaries in use, replica-serial of this zone is indexed by "
		              "position", SOA_NAMES_POOL);
		fn = NULL;
	}
	return soa_metrics_register_replica(&z->metrics, z->mod, z->opt.groups, n, fn);
}

int soa_zone_new(knotd_mod_t *mod, soa_zone_t **out)
{
	soa_zone_t *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return KNOT_ENOMEM;
	}
	z->mod = mod;
	z->names = -1;
	pthread_mutex_init(&z->lock, NULL);

	// knotd frees its zone name before unload() runs: keep a copy.
	z->name = knot_dname_copy(knotd_mod_zone(mod), NULL);
	int ret = (z->name != NULL) ? soa_conf_read(mod, &z->opt) : KNOT_ENOMEM;
	if (ret == KNOT_EOK) {
		ret = soa_metrics_register(&z->metrics, mod, z->opt.groups,
		                           (z->opt.date ? SOA_FEATURE_DATE : 0) |
		                           (z->opt.exposure ? SOA_FEATURE_EXPOSURE : 0));
	}
	if (ret == KNOT_EOK && (z->opt.notify || z->opt.replica)) {
		ret = soa_remotes_load(mod, &z->remotes, &z->remote_count);
	}
	if (ret == KNOT_EOK && z->opt.replica && z->remote_count > 0) {
		ret = replica_metrics(z);
	}
	if (ret == KNOT_EOK && z->opt.date) {
		ret = soa_state_init(&z->state, mod, &z->metrics, z->name, z->opt.state_dir);
	}
	if (ret == KNOT_EOK) {
		ret = soa_rules_build(z->opt.rules, z->opt.rule_count, &z->rules);
	}
	if (ret == KNOT_EOK && z->opt.exposure &&
	    (z->nxtable = calloc(1, sizeof(*z->nxtable))) == NULL) {
		ret = KNOT_ENOMEM;
	}
	soa_conf_free(&z->opt);          // the store keeps the directory, rules are built
	if (ret != KNOT_EOK) {
		soa_zone_free(z);
		return ret;
	}

	z->watch = (soa_watch_t){
		.mod = mod,
		.metrics = &z->metrics,
		.zone = z->name,
		.remotes = z->remotes,
		.remote_count = z->remote_count,
		.notify = z->opt.notify,
		.detect = z->opt.detect,
		.snap = &z->snap,
		.nxtable = z->nxtable,
		.replica = z->opt.replica && z->remote_count > 0,
		.date = z->opt.date,
		.replica_interval = z->opt.replica_interval,
	};

	// Gauges of the last known version until the zone answers; allocations
	// above its serial are announced.
	soa_record_t rec;
	if (z->opt.date && soa_state_get(&z->state, &rec)) {
		soa_gauge(&z->metrics, SOA_CTR_SOA, SOA_G_SERIAL, rec.real);
		soa_gauge(&z->metrics, SOA_CTR_SOA, SOA_G_PUBLISHED_SERIAL, rec.published);
		z->watch.published = rec.published;
		z->watch.have_published = true;
		z->watch.published_at = (int64_t)rec.updated;
	}
	*out = z;
	return KNOT_EOK;
}

void soa_zone_watch(soa_zone_t *z)
{
	soa_addr_t listen;
	if (soa_listen_addr(z->mod, &listen)) {
		soa_service_set_target(&listen);
	}
	soa_service_set_dbus(soa_knotd_dbus_zone_updated(z->mod));
	soa_service_add(&z->watch);
	z->watched = true;
}

void soa_zone_free(soa_zone_t *z)
{
	if (z == NULL) {
		return;
	}
	// The service thread lets go of the zone before it is freed.
	if (z->watched) {
		soa_service_remove(&z->watch);
	}
	soa_snap_free(z);
	soa_remotes_free(z->remotes, z->remote_count);
	soa_rules_free(&z->rules);
	free(z->nxtable);
	soa_names_release(z->names);
	soa_conf_free(&z->opt);
	pthread_mutex_destroy(&z->lock);
	free(z->name);
	free(z);
}
