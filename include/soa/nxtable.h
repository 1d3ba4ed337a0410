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
 * \brief The names a zone recently answered NXDOMAIN for (negative-exposure):
 *        the time and the negative TTL given, so that when the zone later
 *        gets such a name the module can say until when resolvers may still
 *        hold the NXDOMAIN. Pure.
 *
 * A fixed table of SOA_NXTABLE_SLOTS entries per zone, filled by worker
 * threads without a lock: an entry goes to the slot its name hashes to,
 * replacing whatever was there (the newest names win); an entry whose TTL
 * has passed is as good as empty. Each slot has a sequence number, odd
 * while a writer fills it: a writer that finds it odd skips its record, a
 * reader that sees it change copies again, so nobody waits. Names are kept
 * in full (lower case): the check needs them, and a hash alone could not
 * tell two names apart for sure.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! \brief Entries per zone (about 280 bytes each). */
#define SOA_NXTABLE_SLOTS 1024

/*! \brief One remembered NXDOMAIN. */
typedef struct {
	uint32_t at;                         /*!< When it was answered (UNIX seconds). */
	uint32_t ttl;                        /*!< The negative TTL it carried. */
	uint8_t name[KNOT_DNAME_MAXLEN];     /*!< The name, lower case, wire format. */
} soa_nx_t;

/*! \brief A slot. */
typedef struct {
	uint32_t seq;    /*!< Odd while written. */
	uint32_t hash;   /*!< Hash of the name (0: empty). */
	soa_nx_t nx;
} soa_nx_slot_t;

/*! \brief The table. */
typedef struct soa_nxtable {
	soa_nx_slot_t slot[SOA_NXTABLE_SLOTS];
} soa_nxtable_t;

/*!
 * \brief Remembers an NXDOMAIN answer (a worker; never waits).
 *
 * \param t     Table.
 * \param name  The question's name, lower case (knot_pkt_qname()).
 * \param len   Its wire size (pkt->qname_size).
 * \param now   UNIX time.
 * \param ttl   The negative TTL of the answer.
 */
void soa_nxtable_record(soa_nxtable_t *t, const knot_dname_t *name, size_t len, uint32_t now,
                        uint32_t ttl);

/*!
 * \brief Copies the entries whose TTL has not passed.
 *
 * \param t    Table.
 * \param now  UNIX time.
 * \param out  Output array of SOA_NXTABLE_SLOTS entries.
 *
 * \return How many were copied.
 */
size_t soa_nxtable_live(soa_nxtable_t *t, uint32_t now, soa_nx_t *out);

/*! \brief Forgets a name (reported once), if its slot still holds it. */
void soa_nxtable_forget(soa_nxtable_t *t, const knot_dname_t *name);
