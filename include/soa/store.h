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
 * \brief Where published serials are kept: per-zone records (record.h) in
 *        an LMDB environment per state directory.
 *
 * Every module instance of the process shares one environment per
 * directory (LMDB forbids opening one twice in a process), and other knotd
 * processes may share it too. A new published serial is decided inside one
 * write transaction that re-reads the stored record (publish.h), so two
 * instances never publish different serials for one version, nor one
 * serial for two versions. Functions return KNOT_E* codes; what storage met
 * on the way (a damaged file replaced, the high-water file not written) is
 * an event the caller takes and reports (soa_store_take_event()).
 */

#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "soa/publish.h"
#include "soa/record.h"

/*! \brief One state directory (opaque). */
typedef struct soa_store soa_store_t;

/*! \brief Kinds of event storage reports. */
typedef enum {
	SOA_STORE_EVENT_NONE = 0,
	SOA_STORE_EVENT_DAMAGED,   /*!< The data file was damaged: moved to aside, new one started. */
	SOA_STORE_EVENT_MISSING,   /*!< The data file was missing, the high-water file not:
	                                new one started. */
	SOA_STORE_EVENT_HW_FAILED, /*!< The high-water file could not be written (err); serial
	                                is stored in the database only. */
} soa_store_event_kind_t;

/*! \brief An event for the caller to report. */
typedef struct {
	soa_store_event_kind_t kind;
	int err;                   /*!< KNOT_E* of HW_FAILED. */
	uint32_t serial;           /*!< Serial of HW_FAILED. */
	char file[PATH_MAX];       /*!< The data file, or the high-water file (HW_FAILED). */
	char aside[PATH_MAX];      /*!< Where the damaged data file went (DAMAGED). */
} soa_store_event_t;

/*! \brief Outcome flags of soa_store_publish(). */
enum {
	SOA_STORE_CREATED = 1 << 0, /*!< A new allocation was committed. */
	SOA_STORE_BROKEN  = 1 << 1, /*!< The zone's record was unreadable and was replaced
	                                 by one allocated above the lost-state bound. */
};

/*!
 * \brief The process's handle of a state directory (the same for every
 *        zone using it), without opening it.
 *
 * \return KNOT_EOK or KNOT_ENOMEM.
 */
int soa_store_get_dir(const char *dir, soa_store_t **out);

/*!
 * \brief Opens (creating it if needed) the directory's environment, if it is
 *        not open yet; it stays open until soa_store_close_all(). The other
 *        functions open it too.
 *
 * A damaged data file is moved aside and a new database, marked lost, is
 * started (see recovery.h): a missing zone record then means lost state.
 *
 * \return KNOT_EOK or a KNOT_E* error.
 */
int soa_store_open(soa_store_t *st);

/*! \brief Closes every environment and forgets every directory (the last
 *         module instance unloads). */
void soa_store_close_all(void);

/*! \brief The state directory, for messages. */
const char *soa_store_dir(const soa_store_t *st);

/*! \brief Path of the data file, for messages. */
const char *soa_store_file(const soa_store_t *st);

/*! \brief The highest serial committed through this directory, if known
 *         (from the high-water file while the environment is not open). */
bool soa_store_high_water(soa_store_t *st, uint32_t *serial);

/*! \brief Takes the pending event, if any (one is kept, the newest). */
bool soa_store_take_event(soa_store_t *st, soa_store_event_t *ev);

/*!
 * \brief Reads a zone's record.
 *
 * \retval KNOT_EOK      Read.
 * \retval KNOT_ENOENT   No record.
 * \retval KNOT_EMALF    Unreadable record.
 * \retval KNOT_ENOTSUP  Record of an unknown later format.
 * \return Other KNOT_E* errors.
 */
int soa_store_get(soa_store_t *st, const knot_dname_t *zone, soa_record_t *rec);

/*!
 * \brief Decides (soa_publish()) and stores the published serial of a zone
 *        version, in one write transaction unless the stored record stands.
 *
 * \param st     Environment.
 * \param zone   Zone name.
 * \param v      The version.
 * \param lost   Lost-state bound, used if the record is missing from a lost
 *               database, or unreadable.
 * \param mem    What this instance published from memory, NULL if nothing.
 * \param now    UNIX time, stored with a new allocation.
 * \param out    Output: the zone's record after the call.
 * \param flags  Output: SOA_STORE_* outcome flags.
 *
 * \return KNOT_EOK or a KNOT_E* error; on error nothing is stored.
 */
int soa_store_publish(soa_store_t *st, const knot_dname_t *zone, const soa_version_t *v,
                      uint32_t lost, const soa_record_t *mem, int64_t now,
                      soa_record_t *out, unsigned *flags);

/*!
 * \brief Drops a zone's history up to and including a real serial, after a
 *        transfer showed a version the module never saw after it.
 *
 * \return KNOT_EOK or a KNOT_E* error.
 */
int soa_store_cut_history(soa_store_t *st, const knot_dname_t *zone, uint32_t real);
