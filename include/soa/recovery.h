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
 * \brief Losing the state, and coming back from it without publishing a
 *        serial twice: what counts as a damaged data file, how it is put
 *        aside, and the high-water file that bounds what was published.
 *
 * Beside the LMDB environment (store.c), the file "high-water" holds, in
 * decimal, the highest serial ever committed, rewritten atomically after
 * each allocation. A data file that LMDB refuses, one shorter than its two
 * meta pages, or one shorter than its meta page says (truncated) is moved
 * aside to data.mdb.broken-TIME and a new, "lost" database is started: zones
 * missing from it resume above soa_recovery_bound(). lock.mdb gets its
 * blocks with posix_fallocate() before LMDB maps it: on a full disk LMDB's
 * own writes through that map would be SIGBUS, not an error.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*! \brief Name of the high-water file in the state directory. */
#define SOA_RECOVERY_HW_NAME "high-water"

/*! \brief Size of a file, -1 if it does not exist. */
off_t soa_recovery_file_size(const char *file);

/*!
 * \brief Whether a data file of this size can be an LMDB file at all: one
 *        shorter than LMDB's two meta pages would be taken for a new
 *        database by LMDB, and is damaged, not new.
 *
 * \param size  Size of the data file, -1 if it does not exist.
 */
bool soa_recovery_too_short(off_t size);

/*!
 * \brief Whether a data file holds every page its meta page refers to (a
 *        truncated file would be read through the memory map and kill the
 *        process).
 *
 * \param size       File size.
 * \param last_page  Last page number the meta page refers to.
 * \param page_size  Page size.
 */
bool soa_recovery_complete(off_t size, size_t last_page, size_t page_size);

/*!
 * \brief Gives the lock file its blocks before LMDB maps it. A file already
 *        this long is used as it is (LMDB derives its reader slots from the
 *        length).
 *
 * \param lock_file  Path of lock.mdb.
 * \param readers    Reader slots LMDB is configured with.
 *
 * \return KNOT_EOK or a KNOT_E* error (-errno).
 */
int soa_recovery_reserve_lock(const char *lock_file, unsigned readers);

/*!
 * \brief Moves a damaged data file aside (to FILE.broken-NOW) and removes
 *        its lock file.
 *
 * \param file       Path of data.mdb.
 * \param lock_file  Path of lock.mdb.
 * \param now        UNIX time, part of the new name.
 * \param aside      Output: the new name.
 * \param len        Its capacity.
 *
 * \return KNOT_EOK or a KNOT_E* error.
 */
int soa_recovery_move_aside(const char *file, const char *lock_file, int64_t now,
                            char *aside, size_t len);

/*!
 * \brief Reads the high-water file.
 *
 * \return True and *serial if it holds a serial.
 */
bool soa_recovery_hw_read(const char *file, uint32_t *serial);

/*!
 * \brief Replaces the high-water file atomically (written to tmp, synced,
 *        renamed); tmp never outlives the call.
 *
 * \return KNOT_EOK or a KNOT_E* error (-errno).
 */
int soa_recovery_hw_write(const char *file, const char *tmp, uint32_t serial);

/*!
 * \brief The serial a zone resumes above when its state is lost: the
 *        high-water mark, or YYYYMMDD99 of today (no more than 100 changes
 *        a day stay below it), the higher one (RFC 1982).
 *
 * \param today    Today's UTC date as YYYYMMDD.
 * \param have_hw  A high-water mark is known.
 * \param hw       The mark.
 */
uint32_t soa_recovery_bound(uint32_t today, bool have_hw, uint32_t hw);
