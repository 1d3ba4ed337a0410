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
 * \brief Where the module sends its own messages, read from knotd's
 *        configuration in load(): the zone's notify remotes (with their TSIG
 *        keys) and knotd's own listen address.
 */

#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

#include <knot/module.h>

/*! \brief Addresses tried per remote, in order (like knotd, first working one). */
#define SOA_REMOTE_ADDRS 4

/*! \brief An IPv4 or IPv6 socket address, without sockaddr_storage's padding. */
typedef union {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
} soa_addr_t;

/*! \brief Length of a soa_addr_t for the socket calls. */
static inline socklen_t soa_addr_len(const soa_addr_t *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

/*! \brief One notify remote of a zone. */
typedef struct {
	soa_addr_t addr[SOA_REMOTE_ADDRS]; /*!< Addresses with port. */
	unsigned naddr;                    /*!< Valid entries of addr. */
	soa_addr_t via;                    /*!< Source, AF_UNSPEC if none. */
	knot_tsig_key_t key;               /*!< key.name NULL if unsigned. */
} soa_remote_t;

/*!
 * \brief Reads the zone's notify remotes (remote ids and remotes groups).
 *
 * \param mod    Module (in load()).
 * \param out    Output array (free with soa_remotes_free).
 * \param count  Output count.
 *
 * \return KNOT_EOK or an error (a remote with an unusable key is skipped
 *         and logged, not an error).
 */
int soa_remotes_load(knotd_mod_t *mod, soa_remote_t **out, unsigned *count);

/*! \brief Frees remotes read by soa_remotes_load(). */
void soa_remotes_free(soa_remote_t *remotes, unsigned count);

/*!
 * \brief A non-blocking UDP socket bound to a source address (a remote's
 *        via), for the module's own messages to that remote.
 *
 * \return The descriptor, or -1 if it cannot be created or bound.
 */
int soa_via_socket(const soa_addr_t *via);

/*!
 * \brief Where to send queries that knotd answers itself: its first UDP
 *        listen address, a wildcard replaced by loopback.
 *
 * \return True if knotd listens on an IP address.
 */
bool soa_listen_addr(knotd_mod_t *mod, soa_addr_t *out);

/*! \brief Formats an address as knotd does in logs (address@port). */
void soa_addr_str(const soa_addr_t *a, char *buf, size_t len);

/*! \brief True if two addresses (with ports) are equal. */
bool soa_addr_equal(const soa_addr_t *a, const soa_addr_t *b);
