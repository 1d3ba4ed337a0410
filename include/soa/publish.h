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
 * \brief The publish rule: which serial the world sees for a zone version.
 *        One pure function, run by the store inside its write transaction
 *        and by the zone itself when there is no store.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "soa/record.h"

/*! \brief A zone version, and the day and floor its serial is decided under. */
typedef struct {
	uint32_t real;   /*!< The version's real serial. */
	bool is_signed;  /*!< DNSSEC-signed: its real serial is published. */
	uint32_t today;  /*!< Today's UTC date as YYYYMMDD. */
	uint32_t floor;  /*!< serial-floor. */
} soa_version_t;

/*!
 * \brief Decides the record of a zone version.
 *
 * A version already on record keeps its published serial (unless a raised
 * serial-floor or a now convertible serial replaces it). A new version
 * gets the next serial of the date rule (serial.h, soa_serial_alloc()), or
 * its real serial when the zone is signed; it never goes backwards from
 * the record, or, with no record, from the lost-state bound. The history
 * grows along one increasing chain of one mode and restarts otherwise.
 *
 * \param known  The record to go on from (soa_publish_base()), NULL if none.
 * \param lost   With no record: a serial that may already have been
 *               published, because the state was lost or damaged
 *               (soa_recovery_bound()); 0 for a zone seen for the first time.
 * \param v      The version.
 * \param next   Output: the record for the version (updated left 0).
 *
 * \return True if next is a new allocation, false if known stands.
 */
bool soa_publish(const soa_record_t *known, uint32_t lost, const soa_version_t *v,
                 soa_record_t *next);

/*!
 * \brief The record to go on from: the stored one, or what this instance
 *        published from memory (while the store failed) if that is newer.
 *
 * \param stored  Stored record, NULL if none (or unreadable).
 * \param mem     Published from memory, NULL if nothing.
 *
 * \return stored, mem or NULL.
 */
const soa_record_t *soa_publish_base(const soa_record_t *stored, const soa_record_t *mem);
