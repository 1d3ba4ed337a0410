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
 * \brief Persistent per-zone serial state.
 *
 * Storage: an LMDB environment (data.mdb, lock.mdb) in the state-db
 * directory, database "soa-zones". The key is the zone name in wire format
 * (lower case, as knotd holds it). The value is a versioned record; all
 * integers are in network byte order:
 *
 *   VERSION(1) ITEM*          VERSION is 1
 *   ITEM = TYPE(1) LENGTH(2) VALUE(LENGTH)
 *
 *   TYPE 1  CURRENT  LENGTH 9    real(4) published(4) mode(1)
 *   TYPE 2  UPDATED  LENGTH 8    UNIX time of the allocation(8)
 *   TYPE 3  HISTORY  LENGTH 8n   n x (real(4) published(4)), oldest first,
 *                                the last pair equal to CURRENT
 *
 * mode: 0 date serial, 1 kept real serial (not convertible), 2 signed zone.
 * Unknown TYPEs are skipped, so a later version can add items this code
 * ignores; a different VERSION is refused. A record without CURRENT, with an
 * item running past the end, or with a HISTORY length not a multiple of 8 is
 * invalid. A HISTORY that does not end in CURRENT is dropped (history is an
 * optimisation for IXFR, CURRENT is what must never be lost).
 *
 * Example: real serial 501 published as 2026112100 in date mode at
 * 1763683200, with one history entry:
 *
 *   01
 *   01 0009 000001f5 78c40464 00
 *   02 0008 00000000 691fab80
 *   03 0008 000001f5 78c40464
 *
 * Faults. Beside the environment, the file "high-water" holds, in decimal,
 * the highest serial ever committed (rewritten atomically after each
 * allocation); the key "\xfflost" in "soa-zones" marks a database started
 * over after a loss. A data file that LMDB refuses, or that is shorter than
 * its meta page says (truncated, checked before every transaction so the map
 * is never read past the end), is moved aside to data.mdb.broken-TIME and a
 * new one is marked lost: zones missing from it resume above
 * max(today's YYYYMMDD99, high-water). lock.mdb gets its blocks with
 * posix_fallocate() before LMDB maps it (on a full disk LMDB's own writes
 * through the map would be SIGBUS).
 */

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "soa/serial.h"
#include "soa/state.h"

#define FORMAT_VERSION 1
#define ITEM_CURRENT   1
#define ITEM_UPDATED   2
#define ITEM_HISTORY   3

#define DB_NAME      "soa-zones"
#define MAP_SIZE     (1024UL * 1024 * 1024)
#define MAX_READERS  1024
/* Lock file: LMDB needs a 64-byte slot per reader plus a header; generous. */
#define LOCK_BYTES   ((off_t)(MAX_READERS + 64) * 64)

/* Record codec. */

static uint8_t *put_item(uint8_t *p, uint8_t type, uint16_t len)
{
	*p++ = type;
	knot_wire_write_u16(p, len);
	return p + 2;
}

size_t soa_record_encode(const soa_record_t *rec, uint8_t *buf)
{
	uint8_t *p = buf;
	*p++ = FORMAT_VERSION;

	p = put_item(p, ITEM_CURRENT, 9);
	knot_wire_write_u32(p, rec->real);
	knot_wire_write_u32(p + 4, rec->published);
	p[8] = rec->mode;
	p += 9;

	p = put_item(p, ITEM_UPDATED, 8);
	knot_wire_write_u64(p, rec->updated);
	p += 8;

	unsigned n = rec->hist_count > SOA_STATE_HISTORY ? SOA_STATE_HISTORY : rec->hist_count;
	p = put_item(p, ITEM_HISTORY, 8 * n);
	for (unsigned i = 0; i < n; i++) {
		knot_wire_write_u32(p, rec->hist[i].real);
		knot_wire_write_u32(p + 4, rec->hist[i].published);
		p += 8;
	}

	return p - buf;
}

int soa_record_decode(const uint8_t *buf, size_t len, soa_record_t *rec)
{
	memset(rec, 0, sizeof(*rec));
	if (len < 1) {
		return SOA_STATE_EBADREC;
	}
	if (buf[0] != FORMAT_VERSION) {
		return SOA_STATE_EVERSION;
	}

	bool have_current = false;
	const uint8_t *hist = NULL;
	size_t hist_len = 0;

	// Walk the items; each must lie entirely within the record.
	size_t off = 1;
	while (off < len) {
		if (len - off < 3) {
			return SOA_STATE_EBADREC;
		}
		uint8_t type = buf[off];
		size_t ilen = knot_wire_read_u16(buf + off + 1);
		const uint8_t *val = buf + off + 3;
		if (len - off - 3 < ilen) {
			return SOA_STATE_EBADREC;
		}
		off += 3 + ilen;

		switch (type) {
		case ITEM_CURRENT:
			if (ilen != 9 || val[8] >= SOA_MODE__COUNT) {
				return SOA_STATE_EBADREC;
			}
			rec->real = knot_wire_read_u32(val);
			rec->published = knot_wire_read_u32(val + 4);
			rec->mode = val[8];
			have_current = true;
			break;
		case ITEM_UPDATED:
			if (ilen != 8) {
				return SOA_STATE_EBADREC;
			}
			rec->updated = knot_wire_read_u64(val);
			break;
		case ITEM_HISTORY:
			if (ilen % 8 != 0) {
				return SOA_STATE_EBADREC;
			}
			hist = val;
			hist_len = ilen;
			break;
		default:
			// Written by a later version: not ours to interpret.
			break;
		}
	}
	if (!have_current) {
		return SOA_STATE_EBADREC;
	}

	// Keep the newest pairs; a history not ending in CURRENT is dropped.
	size_t n = hist_len / 8;
	size_t skip = n > SOA_STATE_HISTORY ? n - SOA_STATE_HISTORY : 0;
	for (size_t i = skip; i < n; i++) {
		rec->hist[i - skip].real = knot_wire_read_u32(hist + 8 * i);
		rec->hist[i - skip].published = knot_wire_read_u32(hist + 8 * i + 4);
	}
	rec->hist_count = n - skip;
	if (rec->hist_count == 0 ||
	    rec->hist[rec->hist_count - 1].real != rec->real ||
	    rec->hist[rec->hist_count - 1].published != rec->published) {
		rec->hist[0].real = rec->real;
		rec->hist[0].published = rec->published;
		rec->hist_count = 1;
	}

	return 0;
}

void soa_record_single(soa_record_t *rec, uint32_t real, uint32_t published, uint8_t mode)
{
	memset(rec, 0, sizeof(*rec));
	rec->real = real;
	rec->published = published;
	rec->mode = mode;
	rec->hist[0].real = real;
	rec->hist[0].published = published;
	rec->hist_count = 1;
}

int soa_record_find_real(const soa_record_t *rec, uint32_t real)
{
	for (int i = rec->hist_count - 1; i >= 0; i--) {
		if (rec->hist[i].real == real) {
			return i;
		}
	}
	return -1;
}

int soa_record_find_published(const soa_record_t *rec, uint32_t published)
{
	for (int i = rec->hist_count - 1; i >= 0; i--) {
		if (rec->hist[i].published == published) {
			return i;
		}
	}
	return -1;
}

/* Allocation rule on records (pure). */

static soa_alloc_kind_t alloc_date(const soa_record_t *rec, const soa_alloc_req_t *req,
                                   uint32_t *pub)
{
	soa_alloc_in_t in = {
		.real = req->real,
		.today = req->today,
		.floor = req->floor,
	};
	if (rec != NULL) {
		in.have_prev = true;
		in.prev_is_date = (rec->mode == SOA_MODE_DATE);
		in.prev_pub = rec->published;
	} else if (req->missing_is_lost && req->lost != 0) {
		in.have_prev = true;
		in.prev_is_date = true;
		in.prev_pub = req->lost;
	}
	return soa_serial_alloc(&in, pub);
}

bool soa_record_next(const soa_record_t *rec, const soa_alloc_req_t *req,
                     soa_record_t *next)
{
	uint32_t pub = req->real;
	soa_mode_t mode = SOA_MODE_SIGNED;

	// A known version keeps its serial unless it is now convertible or below the floor.
	bool same = rec != NULL && rec->real == req->real &&
	            (rec->mode == SOA_MODE_SIGNED) == req->is_signed;
	if (same && (rec->mode == SOA_MODE_SIGNED ||
	             (rec->mode == SOA_MODE_DATE && rec->published >= req->floor))) {
		*next = *rec;
		return false;
	}

	if (!req->is_signed) {
		soa_alloc_kind_t kind = alloc_date(rec, req, &pub);
		mode = (kind == SOA_ALLOC_KEPT) ? SOA_MODE_KEPT : SOA_MODE_DATE;
		if (same && mode == SOA_MODE_KEPT) {
			*next = *rec;
			return false;
		}
	}

	memset(next, 0, sizeof(*next));
	next->real = req->real;
	next->published = pub;
	next->mode = mode;
	next->updated = req->now;

	// Extend the history only along one increasing chain of one mode.
	bool chain = rec != NULL && rec->mode == mode && mode != SOA_MODE_SIGNED &&
	             rec->hist_count > 0 && soa_serial_gt(req->real, rec->real) &&
	             soa_serial_gt(pub, rec->published);
	if (chain) {
		unsigned keep = rec->hist_count;
		unsigned skip = (keep == SOA_STATE_HISTORY) ? 1 : 0;
		memcpy(next->hist, rec->hist + skip, (keep - skip) * sizeof(soa_pair_t));
		next->hist_count = keep - skip;
	}
	next->hist[next->hist_count].real = req->real;
	next->hist[next->hist_count].published = pub;
	next->hist_count++;

	return true;
}

/* LMDB environment registry. */

/*! \brief Meta key: present when the data file was lost or damaged and
 *         recreated, so a missing zone record means lost state. 0xFF can not
 *         start a domain name in wire format. */
#define META_LOST "\xff""lost"

/*! \brief The high-water file beside the database: the highest serial ever
 *         published through it, as decimal text. */
#define HW_NAME "high-water"

struct soa_state {
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
	char notice[512];            /*!< Recovery message for the caller to log. */
	bool have_notice;
	unsigned refs;
	struct soa_state *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct soa_state *registry = NULL;

const char *soa_state_strerror(int rc)
{
	switch (rc) {
	case SOA_STATE_EBADREC:  return "invalid state record";
	case SOA_STATE_EVERSION: return "unknown state record version";
	case SOA_STATE_EDAMAGED: return "state file damaged";
	default:                 return mdb_strerror(rc);
	}
}

const char *soa_state_file(const soa_state_t *st)
{
	return st != NULL ? st->file : "(not open)";
}

/*! \brief mkdir -p with mode 0750. */
static int make_dirs(const char *path)
{
	char *tmp = strdup(path);
	if (tmp == NULL) {
		return ENOMEM;
	}
	int rc = 0;
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0750) != 0 && errno != EEXIST) {
				rc = errno;
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

/* High-water file. */

static void hw_read(struct soa_state *st)
{
	FILE *f = fopen(st->hw_file, "r");
	if (f == NULL) {
		return;
	}
	unsigned long v;
	if (fscanf(f, "%lu", &v) == 1 && v <= UINT32_MAX) {
		st->hw = v;
		st->have_hw = true;
	}
	fclose(f);
}

/*! \brief Raises the high-water mark (atomic replace, synced). */
static void hw_raise(struct soa_state *st, uint32_t serial)
{
	pthread_mutex_lock(&st->mx);
	if (st->have_hw && !soa_serial_gt(serial, st->hw)) {
		pthread_mutex_unlock(&st->mx);
		return;
	}
	int err;
	const char *tmp = st->hw_tmp;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd >= 0) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%u\n", serial);
		ssize_t w = write(fd, buf, n);
		err = (w == n && fsync(fd) == 0) ? 0 : (w >= 0 && w < n) ? ENOSPC : errno;
		close(fd);
		if (err == 0 && rename(tmp, st->hw_file) != 0) {
			err = errno;
		}
		if (err != 0) {
			(void)unlink(tmp);
		}
	} else {
		err = errno;
	}
	if (err == 0) {
		st->hw = serial;
		st->have_hw = true;
	} else {
		// The database holds the serial; only the bound for a lost database
		// is stale. Reported like a recovery, by the caller.
		(void)snprintf(st->notice, sizeof(st->notice), "failed to write high-water "
		               "file '%s' (%s), serial %u is stored in the database only",
		               st->hw_file, strerror(err), serial);
		st->have_notice = true;
	}
	pthread_mutex_unlock(&st->mx);
}

/* Environment life cycle. */

/*! \brief True for errors meaning the data file is not a sound LMDB file. */
static bool damaged(int rc)
{
	return rc == MDB_INVALID || rc == MDB_CORRUPTED || rc == MDB_VERSION_MISMATCH ||
	       rc == MDB_PAGE_NOTFOUND || rc == MDB_PANIC || rc == SOA_STATE_EDAMAGED;
}

static void env_close(struct soa_state *st)
{
	if (st->env != NULL) {
		mdb_env_close(st->env);
		st->env = NULL;
	}
}

/*! \brief Size of the data file, -1 if absent. */
static off_t file_size(const char *file)
{
	struct stat sb;
	return stat(file, &sb) == 0 ? sb.st_size : -1;
}

/*!
 * \brief Gives lock.mdb its blocks before LMDB maps it. LMDB extends the lock
 *        file with ftruncate() and writes it through the map: on a full disk
 *        that write is SIGBUS, not an error. A file already this long is
 *        used as it is (LMDB derives its reader slots from the length).
 */
static int lock_reserve(struct soa_state *st)
{
	int fd = open(st->lock_file, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		return errno;
	}
	int rc = posix_fallocate(fd, 0, LOCK_BYTES);
	close(fd);
	return rc;
}

static int env_open(struct soa_state *st)
{
	// A file too short for LMDB's two meta pages would be taken for a new
	// database by LMDB: that is a damaged file, not a fresh start.
	off_t before = file_size(st->file);
	if (before >= 0 && before < 2 * 4096) {
		return SOA_STATE_EDAMAGED;
	}

	int rc = lock_reserve(st);
	if (rc != 0) {
		return rc;
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

	// Every page the meta page refers to must be in the file: a truncated
	// file would be read through the memory map and kill the process.
	if (rc == 0) {
		MDB_envinfo info;
		MDB_stat stat;
		rc = mdb_env_info(st->env, &info) == 0 && mdb_env_stat(st->env, &stat) == 0 ? 0 : MDB_PANIC;
		st->size = file_size(st->file);
		if (rc == 0 && st->size < (off_t)((info.me_last_pgno + 1) * (size_t)stat.ms_psize)) {
			rc = SOA_STATE_EDAMAGED;
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
		st->size = file_size(st->file);
	} else {
		env_close(st);
	}
	return rc;
}

/*!
 * \brief Stores key = val and commits the write transaction, which ends
 *        either way; the data file's new size is what env_enter() expects.
 */
static int put_commit(struct soa_state *st, MDB_txn *txn, MDB_val *key, MDB_val *val)
{
	int rc = mdb_put(txn, st->dbi, key, val, 0);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = mdb_txn_commit(txn);
	if (rc == 0) {
		st->size = file_size(st->file);
	}
	return rc;
}

/*! \brief Marks the database as recreated after a loss. */
static int mark_lost(struct soa_state *st)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc != 0) {
		return rc;
	}
	uint8_t when[8];
	knot_wire_write_u64(when, (uint64_t)time(NULL));
	MDB_val key = { sizeof(META_LOST) - 1, META_LOST }, val = { sizeof(when), when };
	rc = put_commit(st, txn, &key, &val);
	if (rc == 0) {
		st->lost = true;
	}
	return rc;
}

/*!
 * \brief Opens the environment; a damaged data file is moved aside and a
 *        new, "lost" database started. The caller holds st->rw for writing.
 */
static int env_open_or_recover(struct soa_state *st)
{
	// A high-water file without a data file: the data file was removed.
	bool removed = file_size(st->file) < 0 && file_size(st->hw_file) >= 0;

	int rc = removed ? SOA_STATE_EDAMAGED : env_open(st);
	if (!damaged(rc)) {
		return rc;
	}

	char aside[4096] = "";
	if (!removed) {
		(void)snprintf(aside, sizeof(aside), "%s.broken-%lld", st->file, (long long)time(NULL));
		if (rename(st->file, aside) != 0) {
			return errno;
		}
		(void)unlink(st->lock_file);
	}
	rc = env_open(st);
	if (rc == 0) {
		rc = mark_lost(st);
	}
	if (rc == 0) {
		pthread_mutex_lock(&st->mx);
		if (removed) {
			(void)snprintf(st->notice, sizeof(st->notice), "state file '%s' is missing "
			               "(the high-water file remains), started a new one; serials "
			               "resume above the last one published", st->file);
		} else {
			(void)snprintf(st->notice, sizeof(st->notice), "state file '%s' is damaged, "
			               "moved to '%s' and started a new one; serials resume above "
			               "the last one published", st->file, aside);
		}
		st->have_notice = true;
		pthread_mutex_unlock(&st->mx);
	}
	return rc;
}

/*!
 * \brief Checks the data file before a transaction: LMDB files only grow, so
 *        a smaller file was truncated under us; reading it through the map
 *        would kill the process. Recovers in that case.
 *
 * \return 0 with st->rw read-locked, or an error with nothing locked.
 */
static int env_enter(struct soa_state *st)
{
	pthread_rwlock_rdlock(&st->rw);
	if (st->env != NULL) {
		struct stat sb;
		int fd;
		if (mdb_env_get_fd(st->env, &fd) == 0 && fstat(fd, &sb) == 0 &&
		    sb.st_size >= st->size) {
			return 0;
		}
	}
	pthread_rwlock_unlock(&st->rw);

	// Damaged (or never opened): replace the environment.
	pthread_rwlock_wrlock(&st->rw);
	int rc = 0;
	if (st->env == NULL || file_size(st->file) < st->size) {
		env_close(st);
		rc = env_open_or_recover(st);
	}
	pthread_rwlock_unlock(&st->rw);
	if (rc != 0) {
		return rc;
	}
	pthread_rwlock_rdlock(&st->rw);
	if (st->env == NULL) {
		pthread_rwlock_unlock(&st->rw);
		return SOA_STATE_EDAMAGED;
	}
	return 0;
}

static void env_leave(struct soa_state *st)
{
	pthread_rwlock_unlock(&st->rw);
}

static void state_free(struct soa_state *st)
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

static int state_create(const char *path, struct soa_state **out)
{
	struct soa_state *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		return ENOMEM;
	}
	pthread_rwlock_init(&st->rw, NULL);
	pthread_mutex_init(&st->mx, NULL);
	st->path = strdup(path);
	st->file = path_join(path, "data.mdb");
	st->lock_file = path_join(path, "lock.mdb");
	st->hw_file = path_join(path, HW_NAME);
	st->hw_tmp = path_join(path, HW_NAME ".tmp");
	if (st->path == NULL || st->file == NULL || st->lock_file == NULL ||
	    st->hw_file == NULL || st->hw_tmp == NULL) {
		state_free(st);
		return ENOMEM;
	}

	int rc = make_dirs(path);
	if (rc == 0) {
		hw_read(st);
		rc = env_open_or_recover(st);
	}
	if (rc != 0) {
		state_free(st);
		return rc;
	}
	st->refs = 1;
	*out = st;
	return 0;
}

int soa_state_open(const char *path, soa_state_t **out)
{
	pthread_mutex_lock(&registry_lock);

	for (struct soa_state *st = registry; st != NULL; st = st->next) {
		if (strcmp(st->path, path) == 0) {
			st->refs++;
			*out = st;
			pthread_mutex_unlock(&registry_lock);
			return 0;
		}
	}

	struct soa_state *st = NULL;
	int rc = state_create(path, &st);
	if (rc == 0) {
		st->next = registry;
		registry = st;
		*out = st;
	}

	pthread_mutex_unlock(&registry_lock);
	return rc;
}

void soa_state_close(soa_state_t *st)
{
	if (st == NULL) {
		return;
	}

	pthread_mutex_lock(&registry_lock);
	if (--st->refs == 0) {
		for (struct soa_state **p = &registry; *p != NULL; p = &(*p)->next) {
			if (*p == st) {
				*p = st->next;
				break;
			}
		}
		state_free(st);
	}
	pthread_mutex_unlock(&registry_lock);
}

bool soa_state_lost(soa_state_t *st)
{
	return st != NULL && __atomic_load_n(&st->lost, __ATOMIC_RELAXED);
}

bool soa_state_high_water(soa_state_t *st, uint32_t *serial)
{
	if (st == NULL) {
		return false;
	}
	pthread_mutex_lock(&st->mx);
	bool have = st->have_hw;
	*serial = st->hw;
	pthread_mutex_unlock(&st->mx);
	return have;
}

bool soa_state_high_water_at(const char *path, uint32_t *serial)
{
	char *file = path_join(path, HW_NAME);
	struct soa_state tmp = { .hw_file = file };
	if (file != NULL) {
		hw_read(&tmp);
	}
	free(file);
	*serial = tmp.hw;
	return tmp.have_hw;
}

bool soa_state_notice(soa_state_t *st, char *buf, size_t len)
{
	if (st == NULL) {
		return false;
	}
	pthread_mutex_lock(&st->mx);
	bool have = st->have_notice;
	if (have) {
		(void)snprintf(buf, len, "%s", st->notice);
		st->have_notice = false;
	}
	pthread_mutex_unlock(&st->mx);
	return have;
}

static MDB_val zone_key(const knot_dname_t *zone)
{
	MDB_val key = { .mv_size = knot_dname_size(zone), .mv_data = (void *)zone };
	return key;
}

/*! \brief Reads and decodes within a transaction. */
static int txn_get(soa_state_t *st, MDB_txn *txn, const knot_dname_t *zone,
                   soa_record_t *rec)
{
	MDB_val key = zone_key(zone), val;
	int rc = mdb_get(txn, st->dbi, &key, &val);
	if (rc != 0) {
		return rc;
	}
	return soa_record_decode(val.mv_data, val.mv_size, rec);
}

static int get_entered(soa_state_t *st, const knot_dname_t *zone, soa_record_t *rec)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0) {
		return rc;
	}
	rc = txn_get(st, txn, zone, rec);
	mdb_txn_abort(txn);
	return rc;
}

int soa_state_get(soa_state_t *st, const knot_dname_t *zone, soa_record_t *rec)
{
	if (st == NULL) {
		return EINVAL;
	}
	int rc = env_enter(st);
	if (rc != 0) {
		return rc;
	}
	rc = get_entered(st, zone, rec);
	env_leave(st);
	return rc;
}

/*! \brief Stores the zone's record and commits (see put_commit()). */
static int txn_put_commit(soa_state_t *st, MDB_txn *txn, const knot_dname_t *zone,
                          const soa_record_t *rec)
{
	uint8_t buf[SOA_RECORD_MAX];
	MDB_val key = zone_key(zone);
	MDB_val val = { .mv_size = soa_record_encode(rec, buf), .mv_data = buf };
	return put_commit(st, txn, &key, &val);
}

/*!
 * \brief What this instance published from memory (while the database could
 *        not be written) is a lower bound too: prefer it over an older record.
 */
static const soa_record_t *newest(const soa_record_t *stored, const soa_alloc_req_t *req,
                                  soa_record_t *mem)
{
	if (!req->have_mem || (stored != NULL && !soa_serial_gt(req->mem_pub, stored->published))) {
		return stored;
	}
	soa_record_single(mem, req->mem_real, req->mem_pub, req->mem_mode);
	return mem;
}

static int allocate_entered(soa_state_t *st, const knot_dname_t *zone,
                            const soa_alloc_req_t *req, soa_record_t *rec,
                            bool *created, bool *broken)
{
	// Common case: the version is known, a read transaction suffices.
	soa_record_t cur, next, mem;
	int rc = get_entered(st, zone, &cur);
	if (rc == 0 && newest(&cur, req, &mem) == &cur && !soa_record_next(&cur, req, &next)) {
		*rec = cur;
		return 0;
	}

	// Allocate under the write lock, re-reading what another instance or
	// process may have stored meanwhile.
	MDB_txn *txn;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc != 0) {
		return rc;
	}

	const soa_record_t *prev = &cur;
	soa_alloc_req_t r = *req;
	rc = txn_get(st, txn, zone, &cur);
	if (rc == MDB_NOTFOUND) {
		prev = NULL;
		r.missing_is_lost = req->missing_is_lost || st->lost;
	} else if (rc == SOA_STATE_EBADREC) {
		// Unreadable: allocate above the caller's safe bound and replace it.
		// (A record of an unknown later version is refused, not replaced.)
		prev = NULL;
		r.missing_is_lost = true;
		*broken = true;
	} else if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}

	const soa_record_t *base = newest(prev, &r, &mem);
	if (!soa_record_next(base, &r, &next)) {
		if (base != &mem) {
			mdb_txn_abort(txn);
			*rec = *base;
			return 0;
		}
		// Published from memory for this very version: store it now.
		next = mem;
		next.updated = req->now;
	}

	rc = txn_put_commit(st, txn, zone, &next);
	if (rc != 0) {
		return rc;
	}

	*created = true;
	*rec = next;
	return 0;
}

int soa_state_allocate(soa_state_t *st, const knot_dname_t *zone,
                       const soa_alloc_req_t *req, soa_record_t *rec,
                       bool *created, bool *broken)
{
	*created = false;
	*broken = false;
	if (st == NULL) {
		return EINVAL;
	}
	int rc = env_enter(st);
	if (rc != 0) {
		return rc;
	}
	rc = allocate_entered(st, zone, req, rec, created, broken);
	env_leave(st);

	// Committed: remember the highest serial beside the database.
	if (rc == 0 && *created) {
		hw_raise(st, rec->published);
	}
	return rc;
}

int soa_state_cut_history(soa_state_t *st, const knot_dname_t *zone, uint32_t real)
{
	if (st == NULL) {
		return EINVAL;
	}
	int rc = env_enter(st);
	if (rc != 0) {
		return rc;
	}
	MDB_txn *txn;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc != 0) {
		env_leave(st);
		return rc;
	}

	soa_record_t rec;
	rc = txn_get(st, txn, zone, &rec);
	int idx = (rc == 0) ? soa_record_find_real(&rec, real) : -1;
	if (idx < 0 || idx == rec.hist_count - 1) {
		// Nothing to cut: the current version always stays.
		mdb_txn_abort(txn);
		env_leave(st);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}

	unsigned keep = rec.hist_count - (idx + 1);
	memmove(rec.hist, rec.hist + idx + 1, keep * sizeof(soa_pair_t));
	rec.hist_count = keep;

	rc = txn_put_commit(st, txn, zone, &rec);
	env_leave(st);
	return rc;
}
