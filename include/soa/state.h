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
 * \brief Persistent per-zone serial state in LMDB.
 *
 * One LMDB environment per directory is shared by every module instance in
 * the process (LMDB forbids opening an environment twice in one process) and
 * may be shared with other knotd processes. A new published serial is
 * allocated inside one write transaction that re-reads the stored record.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! \brief Most (real, published) pairs kept per zone. */
#define SOA_STATE_HISTORY 32

/*! \brief Stored record cannot be decoded. */
#define SOA_STATE_EBADREC  (-30700)
/*! \brief Stored record has a format version this module does not know. */
#define SOA_STATE_EVERSION (-30701)
/*! \brief The data file is damaged (truncated, not an LMDB file). */
#define SOA_STATE_EDAMAGED (-30702)

/*! \brief How the published serial of the current version was chosen. */
typedef enum {
	SOA_MODE_DATE = 0, /*!< Date serial (as is or computed). */
	SOA_MODE_KEPT,     /*!< Not convertible: the real serial is published. */
	SOA_MODE_SIGNED,   /*!< Zone is DNSSEC-signed: the real serial is published. */
	SOA_MODE__COUNT
} soa_mode_t;

/*! \brief One version of a zone as the world saw it. */
typedef struct {
	uint32_t real;      /*!< Serial knotd loaded. */
	uint32_t published; /*!< Serial published for it. */
} soa_pair_t;

/*! \brief Decoded state record of one zone. */
typedef struct {
	uint32_t real;      /*!< Last real serial seen. */
	uint32_t published; /*!< Serial published for it. */
	uint8_t mode;       /*!< soa_mode_t of that allocation. */
	uint64_t updated;   /*!< UNIX time of that allocation. */
	uint8_t hist_count; /*!< Valid entries of hist. */
	soa_pair_t hist[SOA_STATE_HISTORY]; /*!< Consecutive versions, oldest first;
	                                         the last one is (real, published). */
} soa_record_t;

/*! \brief Largest encoded record. */
#define SOA_RECORD_MAX (1 + 3 + 9 + 3 + 8 + 3 + 8 * SOA_STATE_HISTORY)

/*!
 * \brief Encodes a record (format in state.c).
 *
 * \param rec  Record.
 * \param buf  Output buffer of at least SOA_RECORD_MAX bytes.
 *
 * \return Encoded size.
 */
size_t soa_record_encode(const soa_record_t *rec, uint8_t *buf);

/*!
 * \brief Decodes a record; unknown items are skipped.
 *
 * \retval 0                   Decoded.
 * \retval SOA_STATE_EVERSION  Unknown format version.
 * \retval SOA_STATE_EBADREC   Truncated or inconsistent record.
 */
int soa_record_decode(const uint8_t *buf, size_t len, soa_record_t *rec);

/*!
 * \brief A record of one version and nothing before it: what an instance
 *        knows from memory of a serial it published.
 */
void soa_record_single(soa_record_t *rec, uint32_t real, uint32_t published, uint8_t mode);

/*!
 * \brief Finds the published serial of a real serial in the history.
 *
 * \return Index in hist, -1 if absent.
 */
int soa_record_find_real(const soa_record_t *rec, uint32_t real);

/*!
 * \brief Finds a published serial in the history.
 *
 * \return Index in hist, -1 if absent.
 */
int soa_record_find_published(const soa_record_t *rec, uint32_t published);

/*! \brief Inputs of an allocation request. */
typedef struct {
	uint32_t real;   /*!< Current real serial. */
	uint32_t today;  /*!< Today's UTC date YYYYMMDD. */
	uint32_t floor;  /*!< serial-floor. */
	bool is_signed;  /*!< The zone is DNSSEC-signed. */
	int64_t now;     /*!< UNIX time, stored in the record. */
	uint32_t lost;   /*!< A serial that may already have been published when the
	                      stored record is unreadable (or missing while missing
	                      means lost): the new one must be greater. */
	bool missing_is_lost; /*!< A missing record means lost state, not a new zone. */
	bool have_mem;        /*!< This instance published mem_pub for mem_real (from its
	                           snapshot), which may not have reached the database. */
	uint32_t mem_real;
	uint32_t mem_pub;
	uint8_t mem_mode;
} soa_alloc_req_t;

/*!
 * \brief Computes the record that follows rec for a new version. Pure.
 *
 * \param rec   Current record, NULL if none.
 * \param req   Request.
 * \param next  Output record.
 *
 * \return True if next differs from rec (a new allocation).
 */
bool soa_record_next(const soa_record_t *rec, const soa_alloc_req_t *req,
                     soa_record_t *next);

/*! \brief Shared state environment (opaque). */
typedef struct soa_state soa_state_t;

/*!
 * \brief Opens (creating if needed) the state environment in a directory.
 *
 * A damaged data file (not LMDB, or truncated) is moved aside as
 * data.mdb.broken-TIME and a new database, marked lost, is started (see
 * soa_state_notice()). Before every transaction the file is checked again:
 * a file that shrank was truncated under the process and is replaced the
 * same way, instead of being read through the memory map.
 *
 * \param path  Directory.
 * \param out   Handle, shared and reference-counted per path.
 *
 * \return 0 or an LMDB/errno code (soa_state_strerror).
 */
int soa_state_open(const char *path, soa_state_t **out);

/*! \brief Drops a reference; the environment closes with the last one. */
void soa_state_close(soa_state_t *st);

/*! \brief Path of the environment's data file, for messages. */
const char *soa_state_file(const soa_state_t *st);

/*!
 * \brief True if the database was recreated after its data file was lost
 *        or damaged: a missing zone record then means lost state.
 */
bool soa_state_lost(soa_state_t *st);

/*!
 * \brief The highest serial ever published through this database (kept in
 *        a separate file beside it, so it survives a damaged data file).
 *
 * \return True if known.
 */
bool soa_state_high_water(soa_state_t *st, uint32_t *serial);

/*! \brief The high-water mark read from a directory whose database cannot be opened. */
bool soa_state_high_water_at(const char *path, uint32_t *serial);

/*!
 * \brief Takes the message about a recovery (damaged or missing data file
 *        replaced), once.
 *
 * \return True and the message in buf if there is one.
 */
bool soa_state_notice(soa_state_t *st, char *buf, size_t len);

/*!
 * \brief Reads a zone's record.
 *
 * \return 0, MDB_NOTFOUND, or an error code.
 */
int soa_state_get(soa_state_t *st, const knot_dname_t *zone, soa_record_t *rec);

/*!
 * \brief Allocates (or confirms) the published serial for a version.
 *
 * \param st       Environment.
 * \param zone     Zone name.
 * \param req      Request.
 * \param rec      Output: the record after the call.
 * \param created  Output: a new allocation was committed.
 * \param broken   Output: the stored record was unreadable and was replaced
 *                 by one allocated above req->lost.
 *
 * \return 0 or an error code; on error nothing is stored.
 */
int soa_state_allocate(soa_state_t *st, const knot_dname_t *zone,
                       const soa_alloc_req_t *req, soa_record_t *rec,
                       bool *created, bool *broken);

/*!
 * \brief Drops history entries up to and including the given real serial,
 *        after a transfer showed versions the module never saw after it.
 *
 * \return 0 or an error code.
 */
int soa_state_cut_history(soa_state_t *st, const knot_dname_t *zone, uint32_t real);

/*! \brief Message for a state error code. */
const char *soa_state_strerror(int rc);
