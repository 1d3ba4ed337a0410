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
 * \brief LMDB storage of the zones' state records.
 *
 * Layout: data.mdb and lock.mdb in the state directory, database
 * "soa-zones", keyed by the zone name in wire format; values are records
 * (record.c). The key "\xfflost" marks a database started over after a loss
 * (0xFF cannot start a domain name in wire format). Beside them, the
 * high-water file (recovery.h).
 */

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "soa/recovery.h"
#include "soa/serial.h"
#include "soa/store.h"

#define DB_NAME      "soa-zones"
#define MAP_SIZE     (1024UL * 1024 * 1024)
#define MAX_READERS  1024
#define META_LOST    "\xff""lost"

struct soa_store {
	char *path;
	char *file;                  /*!< data.mdb */
	char *lock_file;             /*!< lock.mdb */
	char *hw_file;               /*!< high-water */
	char *hw_tmp;                /*!< high-water.tmp, replaced atomically */
	pthread_rwlock_t rw;         /*!< Transactions read-lock, recovery write-locks. */
	MDB_env *env;
	MDB_dbi dbi;
	off_t size;                  /*!< Data file size when last seen intact. */
	bool lost;                   /*!< Missing records mean lost state. */
	pthread_mutex_t mx;          /*!< Guards the fields below. */
	uint32_t hw;                 /*!< High-water serial. */
	bool have_hw;
	soa_store_event_t event;     /*!< Pending event for a caller to report. */
	struct soa_store *next;      /*!< Registry list. */
};

/*! \brief Every environment the process has open. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct soa_store *registry = NULL;

/*! \brief LMDB and errno results as KNOT_E* (like knotd's knot_lmdb.c). */
static int knot_error(int rc)
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
static void set_event(struct soa_store *st, const soa_store_event_t *ev)
{
	pthread_mutex_lock(&st->mx);
	st->event = *ev;
	pthread_mutex_unlock(&st->mx);
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

/* Environment life cycle; the caller holds st->rw for writing. */

static void env_close(struct soa_store *st)
{
	if (st->env != NULL) {
		mdb_env_close(st->env);
		st->env = NULL;
	}
}

/*! \brief Opens the environment; an LMDB result (damaged() tells damage). */
static int env_open(struct soa_store *st)
{
	if (soa_recovery_too_short(soa_recovery_file_size(st->file))) {
		return MDB_INVALID;
	}
	int rc = soa_recovery_reserve_lock(st->lock_file, MAX_READERS);
	if (rc != KNOT_EOK) {
		return -rc;
	}
	rc = mdb_env_create(&st->env);
	if (rc == 0) {
		rc = mdb_env_set_mapsize(st->env, MAP_SIZE);
	}
	if (rc == 0) {
		rc = mdb_env_set_maxreaders(st->env, MAX_READERS);
	}
	if (rc == 0) {
		rc = mdb_env_set_maxdbs(st->env, 4);
	}
	if (rc == 0) {
		// Transactions are not tied to threads: hooks run on many workers.
		rc = mdb_env_open(st->env, st->path, MDB_NOTLS, 0640);
	}

	// Every page the meta page refers to must be in the file.
	if (rc == 0) {
		MDB_envinfo info;
		MDB_stat stat;
		rc = mdb_env_info(st->env, &info) == 0 && mdb_env_stat(st->env, &stat) == 0 ?
		     0 : MDB_PANIC;
		if (rc == 0 && !soa_recovery_complete(soa_recovery_file_size(st->file),
		                                      info.me_last_pgno, stat.ms_psize)) {
			rc = MDB_CORRUPTED;
		}
	}

	// Open the zone table once; handles are valid for the environment's life.
	MDB_txn *txn = NULL;
	if (rc == 0) {
		rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	}
	if (rc == 0) {
		rc = mdb_dbi_open(txn, DB_NAME, MDB_CREATE, &st->dbi);
		MDB_val key = { sizeof(META_LOST) - 1, META_LOST }, val;
		if (rc == 0 && mdb_get(txn, st->dbi, &key, &val) == 0) {
			st->lost = true;
		}
		rc = (rc == 0) ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
	}
	if (rc == 0) {
		st->size = soa_recovery_file_size(st->file);
	} else {
		env_close(st);
	}
	return rc;
}

/*!
 * \brief Stores key = val and commits the write transaction, which ends
 *        either way; the data file's new size is what env_enter() expects.
 */
static int put_commit(struct soa_store *st, MDB_txn *txn, MDB_val *key, MDB_val *val)
{
	int rc = mdb_put(txn, st->dbi, key, val, 0);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return knot_error(rc);
	}
	rc = mdb_txn_commit(txn);
	if (rc == 0) {
		st->size = soa_recovery_file_size(st->file);
	}
	return knot_error(rc);
}

/*! \brief Marks the database as recreated after a loss. */
static int mark_lost(struct soa_store *st)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc != 0) {
		return knot_error(rc);
	}
	uint8_t when[8];
	knot_wire_write_u64(when, (uint64_t)time(NULL));
	MDB_val key = { sizeof(META_LOST) - 1, META_LOST }, val = { sizeof(when), when };
	rc = put_commit(st, txn, &key, &val);
	if (rc == KNOT_EOK) {
		st->lost = true;
	}
	return rc;
}

/*!
 * \brief Opens the environment; a damaged or missing data file is replaced
 *        by a new, "lost" database (recovery.h), which becomes an event.
 */
static int env_open_or_recover(struct soa_store *st)
{
	// A high-water file without a data file: the data file was removed.
	bool removed = soa_recovery_file_size(st->file) < 0 &&
	               soa_recovery_file_size(st->hw_file) >= 0;

	int rc = removed ? MDB_INVALID : env_open(st);
	if (!damaged(rc)) {
		return knot_error(rc);
	}

	soa_store_event_t ev = { .kind = removed ? SOA_STORE_EVENT_MISSING : SOA_STORE_EVENT_DAMAGED };
	(void)snprintf(ev.file, sizeof(ev.file), "%s", st->file);
	if (!removed) {
		int ret = soa_recovery_move_aside(st->file, st->lock_file, time(NULL),
		                                  ev.aside, sizeof(ev.aside));
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	rc = env_open(st);
	int ret = (rc == 0) ? mark_lost(st) : knot_error(rc);
	if (ret == KNOT_EOK) {
		set_event(st, &ev);
	}
	return ret;
}

/*!
 * \brief Checks the data file before a transaction: LMDB files only grow, so
 *        a smaller file was truncated under us; reading it through the map
 *        would kill the process. Recovers in that case.
 *
 * \return KNOT_EOK with st->rw read-locked, or an error with nothing locked.
 */
static int env_enter(struct soa_store *st)
{
	pthread_rwlock_rdlock(&st->rw);
	if (st->env != NULL) {
		struct stat sb;
		int fd;
		if (mdb_env_get_fd(st->env, &fd) == 0 && fstat(fd, &sb) == 0 &&
		    sb.st_size >= st->size) {
			return KNOT_EOK;
		}
	}
	pthread_rwlock_unlock(&st->rw);

	// Damaged (or never opened): replace the environment.
	pthread_rwlock_wrlock(&st->rw);
	int ret = KNOT_EOK;
	if (st->env == NULL || soa_recovery_file_size(st->file) < st->size) {
		env_close(st);
		ret = env_open_or_recover(st);
	}
	pthread_rwlock_unlock(&st->rw);
	if (ret != KNOT_EOK) {
		return ret;
	}
	pthread_rwlock_rdlock(&st->rw);
	if (st->env == NULL) {
		pthread_rwlock_unlock(&st->rw);
		return KNOT_EMALF;
	}
	return KNOT_EOK;
}

static void env_leave(struct soa_store *st)
{
	pthread_rwlock_unlock(&st->rw);
}

static void store_free(struct soa_store *st)
{
	env_close(st);
	pthread_rwlock_destroy(&st->rw);
	pthread_mutex_destroy(&st->mx);
	free(st->path);
	free(st->file);
	free(st->lock_file);
	free(st->hw_file);
	free(st->hw_tmp);
	free(st);
}

static int store_create(const char *path, struct soa_store **out)
{
	struct soa_store *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		return KNOT_ENOMEM;
	}
	pthread_rwlock_init(&st->rw, NULL);
	pthread_mutex_init(&st->mx, NULL);
	st->path = strdup(path);
	st->file = path_join(path, "data.mdb");
	st->lock_file = path_join(path, "lock.mdb");
	st->hw_file = path_join(path, SOA_RECOVERY_HW_NAME);
	st->hw_tmp = path_join(path, SOA_RECOVERY_HW_NAME ".tmp");
	if (st->path == NULL || st->file == NULL || st->lock_file == NULL ||
	    st->hw_file == NULL || st->hw_tmp == NULL) {
		store_free(st);
		return KNOT_ENOMEM;
	}

	int ret = make_dirs(path);
	if (ret == KNOT_EOK) {
		st->have_hw = soa_recovery_hw_read(st->hw_file, &st->hw);
		ret = env_open_or_recover(st);
	}
	if (ret != KNOT_EOK) {
		store_free(st);
		return ret;
	}
	*out = st;
	return KNOT_EOK;
}

int soa_store_open(const char *dir, soa_store_t **out)
{
	pthread_mutex_lock(&registry_lock);
	for (struct soa_store *st = registry; st != NULL; st = st->next) {
		if (strcmp(st->path, dir) == 0) {
			*out = st;
			pthread_mutex_unlock(&registry_lock);
			return KNOT_EOK;
		}
	}
	struct soa_store *st = NULL;
	int ret = store_create(dir, &st);
	if (ret == KNOT_EOK) {
		st->next = registry;
		registry = st;
		*out = st;
	}
	pthread_mutex_unlock(&registry_lock);
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

const char *soa_store_file(const soa_store_t *st)
{
	return st != NULL ? st->file : "(not open)";
}

bool soa_store_high_water(soa_store_t *st, uint32_t *serial)
{
	pthread_mutex_lock(&st->mx);
	bool have = st->have_hw;
	*serial = st->hw;
	pthread_mutex_unlock(&st->mx);
	return have;
}

bool soa_store_take_event(soa_store_t *st, soa_store_event_t *ev)
{
	pthread_mutex_lock(&st->mx);
	bool have = st->event.kind != SOA_STORE_EVENT_NONE;
	if (have) {
		*ev = st->event;
		st->event.kind = SOA_STORE_EVENT_NONE;
	}
	pthread_mutex_unlock(&st->mx);
	return have;
}

/*! \brief Raises the high-water mark after a commit. */
static void hw_raise(struct soa_store *st, uint32_t serial)
{
	pthread_mutex_lock(&st->mx);
	if (!st->have_hw || soa_serial_gt(serial, st->hw)) {
		int ret = soa_recovery_hw_write(st->hw_file, st->hw_tmp, serial);
		if (ret == KNOT_EOK) {
			st->hw = serial;
			st->have_hw = true;
		} else {
			// The database holds the serial; only the bound for a lost
			// database is stale.
			st->event = (soa_store_event_t){ .kind = SOA_STORE_EVENT_HW_FAILED,
			                                 .err = ret, .serial = serial };
			(void)snprintf(st->event.file, sizeof(st->event.file), "%s", st->hw_file);
		}
	}
	pthread_mutex_unlock(&st->mx);
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
	int rc = mdb_get(txn, st->dbi, &key, &val);
	if (rc != 0) {
		return knot_error(rc);
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
	return put_commit(st, txn, &key, &val);
}

static int get_entered(soa_store_t *st, const knot_dname_t *zone, soa_record_t *rec)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0) {
		return knot_error(rc);
	}
	int ret = txn_get(st, txn, zone, rec);
	mdb_txn_abort(txn);
	return ret;
}

int soa_store_get(soa_store_t *st, const knot_dname_t *zone, soa_record_t *rec)
{
	int ret = env_enter(st);
	if (ret == KNOT_EOK) {
		ret = get_entered(st, zone, rec);
		env_leave(st);
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
		lost = st->lost ? lost : 0;
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
	int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc != 0) {
		return knot_error(rc);
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
	int ret = env_enter(st);
	if (ret != KNOT_EOK) {
		return ret;
	}
	ret = publish_entered(st, zone, v, lost, mem, now, out, flags);
	env_leave(st);

	// Committed: remember the highest serial beside the database.
	if (ret == KNOT_EOK && (*flags & SOA_STORE_CREATED)) {
		hw_raise(st, out->published);
	}
	return ret;
}

int soa_store_cut_history(soa_store_t *st, const knot_dname_t *zone, uint32_t real)
{
	int ret = env_enter(st);
	if (ret != KNOT_EOK) {
		return ret;
	}
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc != 0) {
		env_leave(st);
		return knot_error(rc);
	}
	soa_record_t rec;
	ret = txn_get(st, txn, zone, &rec);
	if (ret == KNOT_EOK && soa_record_cut(&rec, real)) {
		ret = txn_put_commit(st, txn, zone, &rec);
	} else {
		mdb_txn_abort(txn);
		ret = (ret == KNOT_ENOENT) ? KNOT_EOK : ret;
	}
	env_leave(st);
	return ret;
}
