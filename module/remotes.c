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
 * \brief Notify remotes and knotd's listen address from knotd's configuration.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soa/knotd_compat.h"
#include "soa/remotes.h"

#define C_NOTIFY  ((const yp_name_t *)"\x06""notify")
#define C_RMT     ((const yp_name_t *)"\x06""remote")
#define C_RMTS    ((const yp_name_t *)"\x07""remotes")
#define C_ADDR    ((const yp_name_t *)"\x07""address")
#define C_VIA     ((const yp_name_t *)"\x03""via")
#define C_KEY     ((const yp_name_t *)"\x03""key")
#define C_ALG     ((const yp_name_t *)"\x09""algorithm")
#define C_SECRET  ((const yp_name_t *)"\x06""secret")
#define C_SERVER  ((const yp_name_t *)"\x06""server")
#define C_LISTEN  ((const yp_name_t *)"\x06""listen")

void soa_addr_str(const soa_addr_t *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		port = ntohs(a->in.sin_port);
	} else if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		port = ntohs(a->in6.sin6_port);
	}
	(void)snprintf(buf, len, "%s@%u", ip, port);
}

bool soa_addr_equal(const soa_addr_t *a, const soa_addr_t *b)
{
	if (a->sa.sa_family != b->sa.sa_family) {
		return false;
	}
	if (a->sa.sa_family == AF_INET) {
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	}
	return a->in6.sin6_port == b->in6.sin6_port &&
	       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr)) == 0;
}

/*! \brief Converts knotd's sockaddr_storage; false for non-IP families. */
static bool to_addr(const struct sockaddr_storage *ss, soa_addr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		memcpy(&out->in, ss, sizeof(out->in));
		return true;
	} else if (ss->ss_family == AF_INET6) {
		memcpy(&out->in6, ss, sizeof(out->in6));
		return true;
	}
	return false;
}

static knotd_conf_t id_of(const knotd_conf_val_t *ref)
{
	knotd_conf_t id = { .single = *ref };
	return id;
}

/*! \brief Reads the TSIG key a remote refers to. */
static int read_key(knotd_mod_t *mod, const knotd_conf_t *rmt_id, knot_tsig_key_t *key)
{
	memset(key, 0, sizeof(*key));
	knotd_conf_t ref = knotd_conf(mod, C_RMT, C_KEY, rmt_id);
	if (ref.single.data == NULL || ref.single.data_len == 0) {
		return KNOT_EOK;                 // unsigned
	}
	knotd_conf_t key_id = id_of(&ref.single);
	knotd_conf_t alg = knotd_conf(mod, C_KEY, C_ALG, &key_id);
	knotd_conf_t secret = knotd_conf(mod, C_KEY, C_SECRET, &key_id);
	if (secret.single.data == NULL || secret.single.data_len == 0) {
		return KNOT_EINVAL;
	}

	// The key section's id is the key name (a domain name).
	key->name = knot_dname_copy(ref.single.data, NULL);
	key->secret.data = malloc(secret.single.data_len);
	if (key->name == NULL || key->secret.data == NULL) {
		knot_tsig_key_deinit(key);
		return KNOT_ENOMEM;
	}
	memcpy(key->secret.data, secret.single.data, secret.single.data_len);
	key->secret.size = secret.single.data_len;
	key->algorithm = soa_knotd_tsig_algorithm(&alg);
	return KNOT_EOK;
}

/*! \brief Appends one remote (by id) to the array. */
static int add_remote(knotd_mod_t *mod, const knotd_conf_t *rmt_id,
                      soa_remote_t **arr, unsigned *count)
{
	knotd_conf_t addrs = knotd_conf(mod, C_RMT, C_ADDR, rmt_id);
	if (addrs.count == 0) {
		knotd_conf_free(&addrs);
		return KNOT_ENOENT;
	}

	soa_remote_t *grown = realloc(*arr, (*count + 1) * sizeof(**arr));
	if (grown == NULL) {
		knotd_conf_free(&addrs);
		return KNOT_ENOMEM;
	}
	*arr = grown;
	soa_remote_t *r = &grown[*count];
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < addrs.count && r->naddr < SOA_REMOTE_ADDRS; i++) {
		if (to_addr(&addrs.multi[i].addr, &r->addr[r->naddr])) {
			r->naddr++;
		}
	}
	knotd_conf_free(&addrs);
	if (r->naddr == 0) {
		return KNOT_EOK;                 // e.g. a UNIX socket: nothing to notify
	}

	knotd_conf_t via = knotd_conf(mod, C_RMT, C_VIA, rmt_id);
	for (size_t i = 0; i < via.count; i++) {
		if (via.multi[i].addr.ss_family == r->addr[0].sa.sa_family) {
			(void)to_addr(&via.multi[i].addr, &r->via);
			break;
		}
	}
	knotd_conf_free(&via);

	int ret = read_key(mod, rmt_id, &r->key);
	if (ret != KNOT_EOK) {
		char label[64];
		soa_addr_str(&r->addr[0], label, sizeof(label));
		knotd_mod_log(mod, LOG_WARNING, "NOTIFY, remote %s skipped, unusable key (%s)",
		              label, knot_strerror(ret));
		return KNOT_EOK;
	}
	(*count)++;
	return KNOT_EOK;
}

int soa_remotes_load(knotd_mod_t *mod, soa_remote_t **out, unsigned *count)
{
	*out = NULL;
	*count = 0;

	knotd_conf_t notify = knotd_conf_zone(mod, C_NOTIFY, knotd_mod_zone(mod));
	int ret = KNOT_EOK;
	for (size_t i = 0; i < notify.count && ret == KNOT_EOK; i++) {
		knotd_conf_t id = id_of(&notify.multi[i]);
		ret = add_remote(mod, &id, out, count);
		if (ret != KNOT_ENOENT) {
			continue;
		}
		// Not a remote: a remotes group listing remotes.
		knotd_conf_t group = knotd_conf(mod, C_RMTS, C_RMT, &id);
		ret = KNOT_EOK;
		for (size_t j = 0; j < group.count && ret == KNOT_EOK; j++) {
			knotd_conf_t member = id_of(&group.multi[j]);
			ret = add_remote(mod, &member, out, count);
			ret = (ret == KNOT_ENOENT) ? KNOT_EOK : ret;
		}
		knotd_conf_free(&group);
	}
	knotd_conf_free(&notify);

	if (ret != KNOT_EOK) {
		soa_remotes_free(*out, *count);
		*out = NULL;
		*count = 0;
	}
	return ret;
}

void soa_remotes_free(soa_remote_t *remotes, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		knot_tsig_key_deinit(&remotes[i].key);
	}
	free(remotes);
}

int soa_via_socket(const soa_addr_t *via)
{
	int fd = socket(via->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, &via->sa, soa_addr_len(via)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

bool soa_listen_addr(knotd_mod_t *mod, soa_addr_t *out)
{
	knotd_conf_t listen = knotd_conf(mod, C_SERVER, C_LISTEN, NULL);
	bool found = false;
	size_t n = listen.count > 0 ? listen.count : 1;
	for (size_t i = 0; i < n && !found; i++) {
		const struct sockaddr_storage *ss = listen.count > 0 ? &listen.multi[i].addr :
		                                                       &listen.single.addr;
		if (!to_addr(ss, out)) {
			continue;
		}
		found = true;
		// A wildcard listener answers on loopback too.
		if (out->sa.sa_family == AF_INET && out->in.sin_addr.s_addr == htonl(INADDR_ANY)) {
			out->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		} else if (out->sa.sa_family == AF_INET6 &&
		           IN6_IS_ADDR_UNSPECIFIED(&out->in6.sin6_addr)) {
			out->in6.sin6_addr = in6addr_loopback;
		}
	}
	knotd_conf_free(&listen);
	return found;
}
