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
 * \brief The zones' state records in the process's LMDB environments.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soa/env.h"
#include "soa/recovery.h"
#include "soa/store.h"

/*! \brief A state directory the process uses: its environment, once open. */
struct soa_store {
	char *path;
	char *hw_file;               /*!< Its high-water file (readable without the environment). */
	pthread_mutex_t lock;        /*!< Serializes opening. */
	soa_env_t *env;              /*!< NULL until opened (read atomically). */
	struct soa_store *next;
};

/*! \brief Every state directory of the process. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct soa_store *registry = NULL;

static void store_free(struct soa_store *st)
{
	soa_env_free(st->env);
	pthread_mutex_destroy(&st->lock);
	free(st->path);
	free(st->hw_file);
	free(st);
}

int soa_store_get_dir(const char *dir, soa_store_t **out)
{
	pthread_mutex_lock(&registry_lock);
	struct soa_store *st = registry;
	while (st != NULL && strcmp(st->path, dir) != 0) {
		st = st->next;
	}
	if (st == NULL && (st = calloc(1, sizeof(*st))) != NULL) {
		pthread_mutex_init(&st->lock, NULL);
		size_t len = strlen(dir) + sizeof("/" SOA_RECOVERY_HW_NAME);
		st->path = strdup(dir);
		st->hw_file = malloc(len);
		if (st->path == NULL || st->hw_file == NULL) {
			store_free(st);
			st = NULL;
		} else {
			(void)snprintf(st->hw_file, len, "%s/" SOA_RECOVERY_HW_NAME, dir);
			st->next = registry;
			registry = st;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	*out = st;
	return st != NULL ? KNOT_EOK : KNOT_ENOMEM;
}

int soa_store_open(soa_store_t *st)
{
	if (__atomic_load_n(&st->env, __ATOMIC_ACQUIRE) != NULL) {
		return KNOT_EOK;
	}
	pthread_mutex_lock(&st->lock);
	int ret = KNOT_EOK;
	if (st->env == NULL) {
		soa_env_t *env = NULL;
		ret = soa_env_create(st->path, &env);
		if (ret == KNOT_EOK) {
			__atomic_store_n(&st->env, env, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

void soa_store_close_all(void)
{
	pthread_mutex_lock(&registry_lock);
	while (registry != NULL) {
		struct soa_store *next = registry->next;
		store_free(registry);
		registry = next;
	}
	pthread_mutex_unlock(&registry_lock);
}

const char *soa_store_dir(const soa_store_t *st)
{
	return st->path;
}

const char *soa_store_file(const soa_store_t *st)
{
	return st->env != NULL ? st->env->file : st->path;
}

bool soa_store_high_water(soa_store_t *st, uint32_t *serial)
{
	soa_env_t *e = __atomic_load_n(&st->env, __ATOMIC_ACQUIRE);
	if (e == NULL) {
		// Not open: what the file says.
		return soa_recovery_hw_read(st->hw_file, serial);
	}
	pthread_mutex_lock(&e->mx);
	bool have = e->have_hw;
	*serial = e->hw;
	pthread_mutex_unlock(&e->mx);
	return have;
}

bool soa_store_take_event(soa_store_t *st, soa_store_event_t *ev)
{
	soa_env_t *e = __atomic_load_n(&st->env, __ATOMIC_ACQUIRE);
	if (e == NULL) {
		return false;
	}
	pthread_mutex_lock(&e->mx);
	bool have = e->event.kind != SOA_STORE_EVENT_NONE;
	if (have) {
		*ev = e->event;
		e->event.kind = SOA_STORE_EVENT_NONE;
	}
	pthread_mutex_unlock(&e->mx);
	return have;
}

/* Records. */

static MDB_val zone_key(const knot_dname_t *zone)
{
	MDB_val key = { .mv_size = knot_dname_size(zone), .mv_data = (void *)zone };
	return key;
}

/*! \brief Reads and decodes within a transaction. */
static int txn_get(soa_store_t *st, MDB_txn *txn, const knot_dname_t *zone, soa_record_t *rec)
{
	MDB_val key = zone_key(zone), val;
	int rc = mdb_get(txn, st->env->dbi, &key, &val);
	if (rc != 0) {
		return soa_env_error(rc);
	}
	return soa_record_decode(val.mv_data, val.mv_size, rec);
}

/*! \brief Stores the zone's record and commits (see put_commit()). */
static int txn_put_commit(soa_store_t *st, MDB_txn *txn, const knot_dname_t *zone,
                          const soa_record_t *rec)
{
	uint8_t buf[SOA_RECORD_MAX];
	MDB_val key = zone_key(zone);
	MDB_val val = { .mv_size = soa_record_encode(rec, buf), .mv_data = buf };
	return soa_env_put_commit(st->env, txn, &key, &val);
}

static int get_entered(soa_store_t *st, const knot_dname_t *zone, soa_record_t *rec)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0) {
		return soa_env_error(rc);
	}
	int ret = txn_get(st, txn, zone, rec);
	mdb_txn_abort(txn);
	return ret;
}

/*! \brief Opens the store if needed and enters its environment (leave
 *         with soa_env_leave()). */
static int enter(soa_store_t *st)
{
	int ret = soa_store_open(st);
	return (ret == KNOT_EOK) ? soa_env_enter(st->env) : ret;
}

int soa_store_get(soa_store_t *st, const knot_dname_t *zone, soa_record_t *rec)
{
	int ret = enter(st);
	if (ret == KNOT_EOK) {
		ret = get_entered(st, zone, rec);
		soa_env_leave(st->env);
	}
	return ret;
}

/*! \brief The decision of soa_store_publish() on a record read in a transaction. */
static int decide(soa_store_t *st, int got, const soa_record_t *stored,
                  const soa_version_t *v, uint32_t lost, const soa_record_t *mem,
                  soa_record_t *next, unsigned *flags)
{
	// A missing record of a lost database, or an unreadable one (replaced,
	// not kept): resume above the bound. A later format is refused.
	const soa_record_t *found = stored;
	if (got == KNOT_ENOENT) {
		found = NULL;
		lost = st->env->lost ? lost : 0;
	} else if (got == KNOT_EMALF) {
		found = NULL;
		*flags |= SOA_STORE_BROKEN;
	} else if (got != KNOT_EOK) {
		return got;
	}
	const soa_record_t *known = soa_publish_base(found, mem);
	if (soa_publish(known, lost, v, next)) {
		*flags |= SOA_STORE_CREATED;
	}
	return KNOT_EOK;
}

static int publish_entered(soa_store_t *st, const knot_dname_t *zone, const soa_version_t *v,
                           uint32_t lost, const soa_record_t *mem, int64_t now,
                           soa_record_t *out, unsigned *flags)
{
	// Common case: the version is known, a read transaction suffices.
	soa_record_t stored;
	unsigned f = 0;
	int got = get_entered(st, zone, &stored);
	if (got == KNOT_EOK && decide(st, got, &stored, v, lost, mem, out, &f) == KNOT_EOK &&
	    f == 0 && soa_record_same(out, &stored)) {
		return KNOT_EOK;
	}

	// Decide under the write lock, re-reading what another instance or
	// process may have stored meanwhile.
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env->env, NULL, 0, &txn);
	if (rc != 0) {
		return soa_env_error(rc);
	}
	got = txn_get(st, txn, zone, &stored);
	int ret = decide(st, got, &stored, v, lost, mem, out, flags);
	if (ret != KNOT_EOK || (got == KNOT_EOK && soa_record_same(out, &stored))) {
		// Nothing to store: the stored record stands.
		mdb_txn_abort(txn);
		return ret;
	}

	// A new allocation, or what was published from memory for this very
	// version, which the store does not hold yet.
	out->updated = now;
	ret = txn_put_commit(st, txn, zone, out);
	if (ret == KNOT_EOK) {
		*flags |= SOA_STORE_CREATED;
	}
	return ret;
}

int soa_store_publish(soa_store_t *st, const knot_dname_t *zone, const soa_version_t *v,
                      uint32_t lost, const soa_record_t *mem, int64_t now,
                      soa_record_t *out, unsigned *flags)
{
	*flags = 0;
	int ret = enter(st);
	if (ret != KNOT_EOK) {
		return ret;
	}
	ret = publish_entered(st, zone, v, lost, mem, now, out, flags);
	soa_env_leave(st->env);

	// Committed: remember the highest serial beside the database.
	if (ret == KNOT_EOK && (*flags & SOA_STORE_CREATED)) {
		soa_env_raise_hw(st->env, out->published);
	}
	return ret;
}

int soa_store_cut_history(soa_store_t *st, const knot_dname_t *zone, uint32_t real)
{
	int ret = enter(st);
	if (ret != KNOT_EOK) {
		return ret;
	}
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env->env, NULL, 0, &txn);
	if (rc != 0) {
		soa_env_leave(st->env);
		return soa_env_error(rc);
	}
	soa_record_t rec;
	ret = txn_get(st, txn, zone, &rec);
	if (ret == KNOT_EOK && soa_record_cut(&rec, real)) {
		ret = txn_put_commit(st, txn, zone, &rec);
	} else {
		mdb_txn_abort(txn);
		ret = (ret == KNOT_ENOENT) ? KNOT_EOK : ret;
	}
	soa_env_leave(st->env);
	return ret;
}
