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
 * \brief The state record of one zone: what was published for which real
 *        serial, and its on-disk format (specified in record.c). Pure.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! \brief Most (real, published) pairs kept per zone. */
#define SOA_RECORD_HISTORY 32

/*! \brief How the published serial of a version was chosen. */
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

/*! \brief State record of one zone. */
typedef struct {
	uint32_t real;      /*!< Last real serial seen. */
	uint32_t published; /*!< Serial published for it. */
	uint8_t mode;       /*!< soa_mode_t of that allocation. */
	uint64_t updated;   /*!< UNIX time of that allocation. */
	uint8_t hist_count; /*!< Valid entries of hist. */
	soa_pair_t hist[SOA_RECORD_HISTORY]; /*!< Consecutive versions, oldest first;
	                                          the last one is (real, published). */
} soa_record_t;

/*! \brief Largest encoded record. */
#define SOA_RECORD_MAX (1 + 3 + 9 + 3 + 8 + 3 + 8 * SOA_RECORD_HISTORY)

/*!
 * \brief Encodes a record.
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
 * \retval KNOT_EOK     Decoded.
 * \retval KNOT_ENOTSUP Unknown format version (written by a later mod-soa).
 * \retval KNOT_EMALF   Truncated or inconsistent record.
 */
int soa_record_decode(const uint8_t *buf, size_t len, soa_record_t *rec);

/*!
 * \brief A record of one version and nothing before it: what an instance
 *        knows from memory of a serial it published.
 */
void soa_record_single(soa_record_t *rec, uint32_t real, uint32_t published, uint8_t mode);

/*! \brief True if two records describe the same current version (real,
 *         published, mode); history and time are not compared. */
bool soa_record_same(const soa_record_t *a, const soa_record_t *b);

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

/*!
 * \brief Drops the history up to and including a real serial; the current
 *        version always stays.
 *
 * \return True if anything was dropped.
 */
bool soa_record_cut(soa_record_t *rec, uint32_t real);
