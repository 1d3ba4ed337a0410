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
 * \brief DNS messages the module sends itself: SOA queries that make knotd
 *        answer (and the module observe) a zone, and NOTIFY (RFC 1996) with the
 *        published serial. Pure: libknot only.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! \brief Room for any message built here (SOA RDATA is at most 2x255+20 bytes). */
#define SOA_MSG_MAX 1232

/*!
 * \brief Builds a query (RD clear, no EDNS): an SOA query that makes knotd
 *        answer from a zone's current version, or a lookup of a name.
 *
 * \return KNOT_EOK and *len, or an error.
 */
int soa_msg_query(uint8_t *buf, size_t max, uint16_t id, const knot_dname_t *name,
                  uint16_t qtype, size_t *len);

/*! \brief The SOA a NOTIFY announces. */
typedef struct {
	const knot_dname_t *zone; /*!< Zone (owner of the SOA). */
	uint32_t ttl;             /*!< SOA TTL. */
	const uint8_t *rdata;     /*!< SOA RDATA as in the zone (uncompressed names). */
	uint16_t rdlen;           /*!< Its length (>= 22). */
	uint32_t serial;          /*!< Serial to announce (replaces the RDATA's). */
} soa_msg_soa_t;

/*!
 * \brief Builds a NOTIFY (opcode NOTIFY, AA, question ZONE SOA, the SOA with
 *        the given serial in the answer section), signed if a key is given.
 *
 * \param buf      Output buffer.
 * \param max      Its size.
 * \param id       Message ID.
 * \param soa      Announced SOA.
 * \param key      TSIG key or NULL.
 * \param mac      Output: the request MAC (checked against the reply), or NULL.
 * \param mac_len  In: capacity of mac; out: its length (0 unsigned).
 * \param len      Output: message length.
 *
 * \return KNOT_EOK or an error.
 */
int soa_msg_notify(uint8_t *buf, size_t max, uint16_t id, const soa_msg_soa_t *soa,
                   const knot_tsig_key_t *key, uint8_t *mac, size_t *mac_len, size_t *len);

/*!
 * \brief Checks whether a datagram is the reply to a NOTIFY sent.
 *
 * \param buf      Datagram.
 * \param len      Its length.
 * \param id       ID of the NOTIFY.
 * \param zone     Zone of the NOTIFY.
 * \param key      TSIG key the NOTIFY was signed with, or NULL.
 * \param mac      Request MAC of the NOTIFY.
 * \param mac_len  Its length.
 * \param rcode    Output: the reply's RCODE.
 *
 * \retval KNOT_EOK    The reply (signature verified if signed); see *rcode.
 * \retval KNOT_ENOENT Not a reply to this NOTIFY (other ID, opcode or question).
 * \retval KNOT_EMALF  Not a valid message.
 * \retval other       TSIG verification failed (a reply, but not authentic).
 */
int soa_msg_notify_reply(const uint8_t *buf, size_t len, uint16_t id,
                         const knot_dname_t *zone, const knot_tsig_key_t *key,
                         const uint8_t *mac, size_t mac_len, uint16_t *rcode);

/*!
 * \brief Builds the SOA query that checks a secondary (RD clear, no EDNS),
 *        TSIG-signed if a key is given.
 *
 * \param buf      Output buffer.
 * \param max      Its size.
 * \param id       Message ID.
 * \param zone     Zone.
 * \param key      TSIG key or NULL.
 * \param mac      Output: the request MAC (checked against the answer), or NULL.
 * \param mac_len  In: capacity of mac; out: its length (0 unsigned).
 * \param len      Output: message length.
 *
 * \return KNOT_EOK or an error.
 */
int soa_msg_soa_check(uint8_t *buf, size_t max, uint16_t id, const knot_dname_t *zone,
                      const knot_tsig_key_t *key, uint8_t *mac, size_t *mac_len, size_t *len);

/*! \brief What the answer to a check says. */
typedef enum {
	SOA_CHECK_SERIAL = 0,  /*!< Authoritative answer with the zone's SOA: serial. */
	SOA_CHECK_RCODE,       /*!< An error RCODE (REFUSED, NOTAUTH, SERVFAIL...). */
	SOA_CHECK_NOT_AUTH,    /*!< NOERROR without AA: it does not serve the zone. */
	SOA_CHECK_NO_SOA,      /*!< NOERROR and AA, but no SOA of the zone. */
	SOA_CHECK_TSIG,        /*!< Not authentic: TSIG missing, refused or wrong. */
} soa_check_kind_t;

/*! \brief A parsed answer to a check. */
typedef struct {
	soa_check_kind_t kind;
	uint32_t serial;       /*!< SOA_CHECK_SERIAL: the serial. */
	uint16_t rcode;        /*!< The answer's (extended) RCODE. */
	uint16_t tsig_error;   /*!< TSIG error field (BADSIG, BADKEY...), 0 if none. */
	int tsig_ret;          /*!< SOA_CHECK_TSIG: the verification result
	                            (KNOT_ENOENT: the answer is unsigned). */
} soa_check_answer_t;

/*!
 * \brief Reads the answer to a check.
 *
 * \param buf      Datagram.
 * \param len      Its length.
 * \param id       ID of the check.
 * \param zone     Zone of the check.
 * \param key      TSIG key the check was signed with, or NULL.
 * \param mac      Request MAC of the check.
 * \param mac_len  Its length.
 * \param out      Output: what it says.
 *
 * \retval KNOT_EOK    An answer to the check: see *out.
 * \retval KNOT_ENOENT Not an answer to this check (ID, QR, opcode, question).
 * \retval KNOT_EMALF  Not a valid message.
 */
int soa_msg_soa_answer(const uint8_t *buf, size_t len, uint16_t id, const knot_dname_t *zone,
                       const knot_tsig_key_t *key, const uint8_t *mac, size_t mac_len,
                       soa_check_answer_t *out);

/*!
 * \brief Says why an answer is not a serial, for logs: "REFUSED", "not
 *        authoritative", "no SOA", "TSIG, BADSIG"...
 */
void soa_msg_check_cause(const soa_check_answer_t *a, char *buf, size_t len);
