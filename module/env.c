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
 * \brief One LMDB environment, kept usable.
 *
 * Layout: data.mdb and lock.mdb in the state directory, database
 * "soa-zones" (store.c keeps the zone records in it). The key "\xfflost"
 * marks a database started over after a loss (0xFF cannot start a domain
 * name in wire format). Beside them, the high-water file (recovery.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "soa/env.h"
#include "soa/recovery.h"
#include "soa/serial.h"

#define DB_NAME      "soa-zones"
#define MAP_SIZE     (1024UL * 1024 * 1024)
#define MAX_READERS  1024
#define META_LOST    "\xff""lost"

/*! \brief LMDB and errno results as KNOT_E* (like knotd's knot_lmdb.c). */
int soa_env_error(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:  return KNOT_EOK;
	case MDB_NOTFOUND: return KNOT_ENOENT;
	case MDB_MAP_FULL: return KNOT_ESPACE;
	default:           return rc > 0 ? -rc : rc;
	}
}

/*! \brief True for LMDB results meaning the data file is not a sound LMDB file. */
static bool damaged(int rc)
{
	return rc == MDB_INVALID || rc == MDB_CORRUPTED || rc == MDB_VERSION_MISMATCH ||
	       rc == MDB_PAGE_NOTFOUND || rc == MDB_PANIC;
}

/*! \brief Sets the pending event (the newest one is kept). */
static void set_event(soa_env_t *e, const soa_store_event_t *ev)
{
	pthread_mutex_lock(&e->mx);
	e->event = *ev;
	pthread_mutex_unlock(&e->mx);
}

/*! \brief mkdir -p with mode 0750. */
static int make_dirs(const char *path)
{
	char *tmp = strdup(path);
	if (tmp == NULL) {
		return KNOT_ENOMEM;
	}
	int rc = KNOT_EOK;
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0750) != 0 && errno != EEXIST) {
				rc = -errno;
				break;
			}
			*p = c;
			if (c == '\0') {
				break;
			}
		}
	}
	free(tmp);
	return rc;
}

static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *out = malloc(len);
	if (out != NULL) {
		(void)snprintf(out, len, "%s/%s", dir, name);
	}
	return out;
}

/* Environment life cycle; the caller holds e->rw for writing. */

static void env_close(soa_env_t *e)
{
	if (e->env != NULL) {
		mdb_env_close(e->env);
		e->env = NULL;
	}
}

/*! \brief Opens the environment; an LMDB result (damaged() tells damage). */
static int env_open(soa_env_t *e)
{
	if (soa_recovery_too_short(soa_recovery_file_size(e->file))) {
		return MDB_INVALID;
	}
	int rc = soa_recovery_reserve_lock(e->lock_file, MAX_READERS);
	if (rc != KNOT_EOK) {
		return -rc;
	}
	rc = mdb_env_create(&e->env);
	if (rc == 0) {
		rc = mdb_env_set_mapsize(e->env, MAP_SIZE);
	}
	if (rc == 0) {
		rc = mdb_env_set_maxreaders(e->env, MAX_READERS);
	}
	if (rc == 0) {
		rc = mdb_env_set_maxdbs(e->env, 4);
	}
	if (rc == 0) {
		// Transactions are not tied to threads: hooks run on many workers.
		rc = mdb_env_open(e->env, e->path, MDB_NOTLS, 0640);
	}

	// Every page the meta page refers to must be in the file.
	if (rc == 0) {
		MDB_envinfo info;
		MDB_stat stat;
		rc = mdb_env_info(e->env, &info) == 0 && mdb_env_stat(e->env, &stat) == 0 ?
		     0 : MDB_PANIC;
		if (rc == 0 && !soa_recovery_complete(soa_recovery_file_size(e->file),
		                                      info.me_last_pgno, stat.ms_psize)) {
			rc = MDB_CORRUPTED;
		}
	}

	// Open the zone table once; handles are valid for the environment's life.
	MDB_txn *txn = NULL;
	if (rc == 0) {
		rc = mdb_txn_begin(e->env, NULL, 0, &txn);
	}
	if (rc == 0) {
		rc = mdb_dbi_open(txn, DB_NAME, MDB_CREATE, &e->dbi);
		MDB_val key = { sizeof(META_LOST) - 1, META_LOST }, val;
		if (rc == 0 && mdb_get(txn, e->dbi, &key, &val) == 0) {
			e->lost = true;
		}
		rc = (rc == 0) ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
	}
	if (rc == 0) {
		e->size = soa_recovery_file_size(e->file);
	} else {
		env_close(e);
	}
	return rc;
}

int soa_env_put_commit(soa_env_t *e, MDB_txn *txn, MDB_val *key, MDB_val *val)
{
	int rc = mdb_put(txn, e->dbi, key, val, 0);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return soa_env_error(rc);
	}
	rc = mdb_txn_commit(txn);
	if (rc == 0) {
		e->size = soa_recovery_file_size(e->file);
	}
	return soa_env_error(rc);
}

/*! \brief Marks the database as recreated after a loss. */
static int mark_lost(soa_env_t *e)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(e->env, NULL, 0, &txn);
	if (rc != 0) {
		return soa_env_error(rc);
	}
	uint8_t when[8];
	knot_wire_write_u64(when, (uint64_t)time(NULL));
	MDB_val key = { sizeof(META_LOST) - 1, META_LOST }, val = { sizeof(when), when };
	rc = soa_env_put_commit(e, txn, &key, &val);
	if (rc == KNOT_EOK) {
		e->lost = true;
	}
	return rc;
}

/*!
 * \brief Opens the environment; a damaged or missing data file is replaced
 *        by a new, "lost" database (recovery.h), which becomes an event.
 */
static int env_open_or_recover(soa_env_t *e)
{
	// A high-water file without a data file: the data file was removed.
	bool removed = soa_recovery_file_size(e->file) < 0 &&
	               soa_recovery_file_size(e->hw_file) >= 0;

	int rc = removed ? MDB_INVALID : env_open(e);
	if (!damaged(rc)) {
		return soa_env_error(rc);
	}

	soa_store_event_t ev = { .kind = removed ? SOA_STORE_EVENT_MISSING : SOA_STORE_EVENT_DAMAGED };
	(void)snprintf(ev.file, sizeof(ev.file), "%s", e->file);
	if (!removed) {
		int ret = soa_recovery_move_aside(e->file, e->lock_file, time(NULL),
		                                  ev.aside, sizeof(ev.aside));
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	rc = env_open(e);
	int ret = (rc == 0) ? mark_lost(e) : soa_env_error(rc);
	if (ret == KNOT_EOK) {
		set_event(e, &ev);
	}
	return ret;
}

int soa_env_enter(soa_env_t *e)
{
	pthread_rwlock_rdlock(&e->rw);
	if (e->env != NULL) {
		struct stat sb;
		int fd;
		if (mdb_env_get_fd(e->env, &fd) == 0 && fstat(fd, &sb) == 0 &&
		    sb.st_size >= e->size) {
			return KNOT_EOK;
		}
	}
	pthread_rwlock_unlock(&e->rw);

	// Damaged (or never opened): replace the environment.
	pthread_rwlock_wrlock(&e->rw);
	int ret = KNOT_EOK;
	if (e->env == NULL || soa_recovery_file_size(e->file) < e->size) {
		env_close(e);
		ret = env_open_or_recover(e);
	}
	pthread_rwlock_unlock(&e->rw);
	if (ret != KNOT_EOK) {
		return ret;
	}
	pthread_rwlock_rdlock(&e->rw);
	if (e->env == NULL) {
		pthread_rwlock_unlock(&e->rw);
		return KNOT_EMALF;
	}
	return KNOT_EOK;
}

void soa_env_leave(soa_env_t *e)
{
	pthread_rwlock_unlock(&e->rw);
}

void soa_env_free(soa_env_t *e)
{
	env_close(e);
	pthread_rwlock_destroy(&e->rw);
	pthread_mutex_destroy(&e->mx);
	free(e->path);
	free(e->file);
	free(e->lock_file);
	free(e->hw_file);
	free(e->hw_tmp);
	free(e);
}

int soa_env_create(const char *path, soa_env_t **out)
{
	soa_env_t *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return KNOT_ENOMEM;
	}
	pthread_rwlock_init(&e->rw, NULL);
	pthread_mutex_init(&e->mx, NULL);
	e->path = strdup(path);
	e->file = path_join(path, "data.mdb");
	e->lock_file = path_join(path, "lock.mdb");
	e->hw_file = path_join(path, SOA_RECOVERY_HW_NAME);
	e->hw_tmp = path_join(path, SOA_RECOVERY_HW_NAME ".tmp");
	if (e->path == NULL || e->file == NULL || e->lock_file == NULL ||
	    e->hw_file == NULL || e->hw_tmp == NULL) {
		soa_env_free(e);
		return KNOT_ENOMEM;
	}

	int ret = make_dirs(path);
	if (ret == KNOT_EOK) {
		e->have_hw = soa_recovery_hw_read(e->hw_file, &e->hw);
		ret = env_open_or_recover(e);
	}
	if (ret != KNOT_EOK) {
		soa_env_free(e);
		return ret;
	}
	*out = e;
	return KNOT_EOK;
}

void soa_env_raise_hw(soa_env_t *e, uint32_t serial)
{
	pthread_mutex_lock(&e->mx);
	if (!e->have_hw || soa_serial_gt(serial, e->hw)) {
		int ret = soa_recovery_hw_write(e->hw_file, e->hw_tmp, serial);
		if (ret == KNOT_EOK) {
			e->hw = serial;
			e->have_hw = true;
		} else {
			// The database holds the serial; only the bound for a lost
			// database is stale.
			e->event = (soa_store_event_t){ .kind = SOA_STORE_EVENT_HW_FAILED,
			                                 .err = ret, .serial = serial };
			(void)snprintf(e->event.file, sizeof(e->event.file), "%s", e->hw_file);
		}
	}
	pthread_mutex_unlock(&e->mx);
}
