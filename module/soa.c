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
 * \brief mod-soa: negative caching policy, date-format published serials and
 *        SOA metrics for Knot DNS. Configuration schema, load and unload.
 */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soa/conf.h"
#include "soa/ctx.h"
#include "soa/metrics.h"
#include "soa/knotd_compat.h"
#include "soa/service.h"

static const knot_lookup_t serial_formats[] = {
	{ SOA_FORMAT_DATE, "date" },
	{ SOA_FORMAT_KEEP, "keep" },
	{ 0, NULL }
};

/*! \brief TTLs are at most 2^31 - 1 (RFC 2181 §8). */
#define TTL_MAX INT32_MAX

const yp_item_t soa_conf[] = {
	{ MOD_NEG_TTL_MIN,   YP_TINT,  YP_VINT = { 0, TTL_MAX, 0, YP_STIME } },
	{ MOD_NEG_TTL_MAX,   YP_TINT,  YP_VINT = { 0, TTL_MAX, 10800, YP_STIME } },
	{ MOD_MIN_AS_FLOOR,  YP_TBOOL, YP_VNONE },
	{ MOD_LINT,          YP_TBOOL, YP_VBOOL = { true } },
	{ MOD_SERIAL_FORMAT, YP_TOPT,  YP_VOPT = { serial_formats, SOA_FORMAT_DATE } },
	{ MOD_SERIAL_FLOOR,  YP_TINT,  YP_VINT = { 0, UINT32_MAX, 0 } },
	{ MOD_STATE_DB,      YP_TSTR,  YP_VNONE },
	{ MOD_NOTIFY_PUB,    YP_TBOOL, YP_VBOOL = { true } },
	{ NULL }
};

int soa_conf_check(knotd_conf_check_args_t *args)
{
	knotd_conf_t lo = knotd_conf_check_item(args, MOD_NEG_TTL_MIN);
	knotd_conf_t hi = knotd_conf_check_item(args, MOD_NEG_TTL_MAX);
	if (lo.single.integer > hi.single.integer) {
		args->err_str = "negative-ttl-min must not exceed negative-ttl-max";
		return KNOT_EINVAL;
	}

	// Serial options that would silently do nothing are mistakes.
	knotd_conf_t format = knotd_conf_check_item(args, MOD_SERIAL_FORMAT);
	knotd_conf_t floor = knotd_conf_check_item(args, MOD_SERIAL_FLOOR);
	knotd_conf_t db = knotd_conf_check_item(args, MOD_STATE_DB);
	if (format.single.option == SOA_FORMAT_KEEP) {
		if (floor.count > 0) {
			args->err_str = "serial-floor requires serial-format date";
			return KNOT_EINVAL;
		}
		if (db.count > 0) {
			args->err_str = "state-db requires serial-format date";
			return KNOT_EINVAL;
		}
		knotd_conf_t notify = knotd_conf_check_item(args, MOD_NOTIFY_PUB);
		if (notify.count > 0 && notify.single.boolean) {
			args->err_str = "notify-published requires serial-format date";
			return KNOT_EINVAL;
		}
	}
	if (db.count > 0 && db.single.string[0] == '\0') {
		args->err_str = "state-db must not be empty";
		return KNOT_EINVAL;
	}

	return KNOT_EOK;
}

/*! \brief Live instances; the last unload waits for pending RCU callbacks. */
static atomic_uint instances;

/*! \brief Joins a directory and a path unless the path is absolute. */
static char *join_path(const char *dir, const char *path)
{
	if (path[0] == '/') {
		return strdup(path);
	}
	size_t len = strlen(dir) + 1 + strlen(path) + 1;
	char *out = malloc(len);
	if (out != NULL) {
		(void)snprintf(out, len, "%s/%s", dir, path);
	}
	return out;
}

/*! \brief state-db, or mod-soa under knotd's database storage (like knotd,
 *         relative paths start from the working directory). */
static char *state_path(knotd_mod_t *mod)
{
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		strcpy(cwd, "/");
	}

	knotd_conf_t st = knotd_conf(mod, (const yp_name_t *)"\x08""database",
	                             (const yp_name_t *)"\x07""storage", NULL);
	char *storage = join_path(cwd, st.single.string != NULL ? st.single.string : ".");
	if (storage == NULL) {
		return NULL;
	}

	knotd_conf_t db = knotd_conf_mod(mod, MOD_STATE_DB);
	const char *rel = (db.count > 0) ? db.single.string : SOA_STATE_DIR;
	char *path = join_path(storage, rel);
	free(storage);
	return path;
}

int soa_ctx_open_state(soa_ctx_t *ctx)
{
	if (ctx->state != NULL) {
		return 0;
	}
	soa_state_t *st = NULL;
	int rc = soa_state_open(ctx->state_path, &st);
	if (rc == 0) {
		__atomic_store_n(&ctx->state, st, __ATOMIC_RELEASE);
	}
	return rc;
}

static void ctx_free(soa_ctx_t *ctx)
{
	if (ctx == NULL) {
		return;
	}
	soa_snap_free(ctx);
	soa_state_close(ctx->state);
	soa_remotes_free(ctx->remotes, ctx->remote_count);
	free(ctx->state_path);
	if (ctx->lock_init) {
		pthread_mutex_destroy(&ctx->lock);
	}
	free(ctx->zone);
	free(ctx->zone_str);
	free(ctx);
}

int soa_load(knotd_mod_t *mod)
{
	// A binary is good for the Knot series it was built against only.
	int ret = soa_knotd_check_series(mod);
	if (ret != KNOT_EOK) {
		return ret;
	}

	soa_ctx_t *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		return KNOT_ENOMEM;
	}
	ctx->mod = mod;

	// knotd frees its zone name before unload() runs: keep copies.
	ctx->zone = knot_dname_copy(knotd_mod_zone(mod), NULL);
	ctx->zone_str = knot_dname_to_str_alloc(ctx->zone);
	if (ctx->zone == NULL || ctx->zone_str == NULL ||
	    pthread_mutex_init(&ctx->lock, NULL) != 0) {
		ctx_free(ctx);
		return KNOT_ENOMEM;
	}
	ctx->lock_init = true;

	ctx->neg_min = knotd_conf_mod(mod, MOD_NEG_TTL_MIN).single.integer;
	ctx->neg_max = knotd_conf_mod(mod, MOD_NEG_TTL_MAX).single.integer;
	ctx->floor = knotd_conf_mod(mod, MOD_MIN_AS_FLOOR).single.boolean;
	ctx->lint = knotd_conf_mod(mod, MOD_LINT).single.boolean;
	ctx->date = knotd_conf_mod(mod, MOD_SERIAL_FORMAT).single.option == SOA_FORMAT_DATE;
	ctx->serial_floor = knotd_conf_mod(mod, MOD_SERIAL_FLOOR).single.integer;
	ctx->notify = ctx->date && knotd_conf_mod(mod, MOD_NOTIFY_PUB).single.boolean;
	if (ctx->notify && soa_remotes_load(mod, &ctx->remotes, &ctx->remote_count) != KNOT_EOK) {
		ctx_free(ctx);
		return KNOT_ENOMEM;
	}

	soa_record_t rec;
	bool have_rec = false;
	ret = soa_metrics_register(mod, ctx->date);
	if (ret != KNOT_EOK) {
		ctx_free(ctx);
		return ret;
	}

	if (ctx->date) {
		ctx->state_path = state_path(mod);
		if (ctx->state_path == NULL) {
			ctx_free(ctx);
			return KNOT_ENOMEM;
		}
		// Without state the zone is still served: serials come from memory
		// (never lower than published) and opening is retried per version.
		int rc = soa_ctx_open_state(ctx);
		char notice[600];
		if (rc != 0) {
			knotd_mod_log(mod, LOG_ERR, "failed to open state database '%s/data.mdb' (%s), "
			              "will retry at the next zone version", ctx->state_path,
			              soa_state_strerror(rc));
			knotd_mod_stats_incr(mod, 0, SOA_CTR_STATE_ERROR, 0, 1);
		} else if (soa_state_notice(ctx->state, notice, sizeof(notice))) {
			knotd_mod_log(mod, LOG_ERR, "%s", notice);
			knotd_mod_stats_incr(mod, 0, SOA_CTR_STATE_ERROR, 0, 1);
		}

		// Gauges of the last known version until the zone answers.
		if (rc == 0 && soa_state_get(ctx->state, ctx->zone, &rec) == 0) {
			have_rec = true;
			soa_gauge(mod, SOA_CTR_SOA, SOA_G_SERIAL, rec.real);
			soa_gauge(mod, SOA_CTR_SOA, SOA_G_PUBLISHED_SERIAL, rec.published);
		}

		ret = soa_xfr_init(knotd_mod_threads(mod));
		if (ret != KNOT_EOK) {
			ctx_free(ctx);
			return ret;
		}
	}

	// The first instance starts the counter pools and the service thread;
	// without them the counters go straight to knotd.
	if (atomic_load(&instances) == 0) {
		(void)soa_hot_init(knotd_mod_threads(mod));
	}
	if (soa_service_start() == KNOT_EOK) {
		soa_hot_attach(&ctx->hot, mod);
		ctx->service = true;
		soa_addr_t listen;
		if (soa_listen_addr(mod, &listen)) {
			soa_service_set_target(&listen);
		}
	} else {
		ctx->hot.mod = mod;
		ctx->hot.slot = UINT32_MAX;
	}

	// Store the context before any hook (or the service thread) can use it.
	knotd_mod_ctx_set(mod, ctx);
	if (ctx->service) {
		soa_service_add(ctx, have_rec, have_rec ? rec.published : 0);
		ctx->registered = true;
	}

	// Transfers need the BEGIN and END hooks, which every query pays for.
	if (ctx->date && soa_knotd_zone_may_transfer(mod)) {
		(void)knotd_mod_hook(mod, KNOTD_STAGE_BEGIN, soa_xfr_begin);
		(void)knotd_mod_hook(mod, KNOTD_STAGE_END, soa_xfr_end);
	} else if (ctx->date) {
		knotd_mod_log(mod, LOG_DEBUG, "no ACL allows transfers, transfer hooks not needed");
	}
	if (ctx->floor) {
		(void)knotd_mod_in_hook(mod, KNOTD_STAGE_ADDITIONAL, soa_query_floor_hook);
	} else {
		(void)knotd_mod_in_hook(mod, KNOTD_STAGE_AUTHORITY, soa_query_hook);
	}

	atomic_fetch_add(&instances, 1);
	return KNOT_EOK;
}

void soa_unload(knotd_mod_t *mod)
{
	// No knotd_mod_log() or knotd_mod_zone() here: the zone name is gone.
	soa_ctx_t *ctx = knotd_mod_ctx(mod);
	if (ctx == NULL) {
		return;
	}
	bool date = ctx->date;

	// knotd removed the query plan and waited for readers before this call;
	// the service thread lets go of the zone before it is freed.
	bool service = ctx->service;
	if (ctx->registered) {
		soa_service_remove(ctx);
	}
	soa_hot_detach(&ctx->hot);
	ctx_free(ctx);
	// knotd 3.5.4+ may call unload() again after a failed reload.
	knotd_mod_ctx_set(mod, NULL);
	if (date) {
		soa_xfr_deinit();
	}
	if (service) {
		soa_service_stop();
	}

	// Callbacks queued by call_rcu() and the service thread run code of this
	// library: both are done before the last instance goes and knotd may
	// unload the library.
	if (atomic_fetch_sub(&instances, 1) == 1) {
		soa_hot_deinit();
		rcu_barrier();
	}
}

SOA_KNOTD_MOD_API(soa, KNOTD_MOD_FLAG_SCOPE_ZONE | KNOTD_MOD_FLAG_OPT_CONF,
                  soa_load, soa_unload, soa_conf, soa_conf_check);
