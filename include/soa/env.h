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
 * \brief One LMDB environment (a state directory), kept usable: opened,
 *        checked before every transaction, replaced with a new "lost"
 *        database when its data file is damaged (recovery.h). Used by
 *        store.c only.
 */

#pragma once

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "soa/store.h"

/*! \brief One environment. */
typedef struct {
	char *path;
	char *file;                  /*!< data.mdb */
	char *lock_file;             /*!< lock.mdb */
	char *hw_file;               /*!< high-water */
	char *hw_tmp;                /*!< high-water.tmp, replaced atomically */
	pthread_rwlock_t rw;         /*!< Transactions read-lock, recovery write-locks. */
	MDB_env *env;
	MDB_dbi dbi;                 /*!< The zone table. */
	off_t size;                  /*!< Data file size when last seen intact. */
	bool lost;                   /*!< Missing records mean lost state. */
	pthread_mutex_t mx;          /*!< Guards the fields below. */
	uint32_t hw;                 /*!< High-water serial. */
	bool have_hw;
	soa_store_event_t event;     /*!< Pending event for a caller to report. */
} soa_env_t;

/*! \brief An LMDB or errno result as KNOT_E* (like knotd's knot_lmdb.c). */
int soa_env_error(int rc);

/*! \brief Creates the directory and opens (or recovers) its environment. */
int soa_env_create(const char *path, soa_env_t **out);

/*! \brief Closes and frees an environment. */
void soa_env_free(soa_env_t *e);

/*!
 * \brief Checks the data file before a transaction: LMDB files only grow,
 *        so a smaller file was truncated under us; reading it through the
 *        map would kill the process. Recovers in that case.
 *
 * \return KNOT_EOK with e->rw read-locked, or an error with nothing locked.
 */
int soa_env_enter(soa_env_t *e);

/*! \brief Ends what soa_env_enter() began. */
void soa_env_leave(soa_env_t *e);

/*!
 * \brief Stores key = val and commits the write transaction, which ends
 *        either way; the data file's new size is what soa_env_enter() expects.
 */
int soa_env_put_commit(soa_env_t *e, MDB_txn *txn, MDB_val *key, MDB_val *val);

/*! \brief Raises the high-water mark after a commit (a failure is an event). */
void soa_env_raise_hw(soa_env_t *e, uint32_t serial);
