/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief Transfer observations: the order they are taken in, the bound. */

#include <arpa/inet.h>
#include <string.h>

#include "soa/observe.h"
#include "tap.h"

/*! \brief A client's address (IPv6 if ip has a colon). */
static struct sockaddr_storage client(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (strchr(ip, ':') != NULL) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &in6->sin6_addr);
	} else {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		inet_pton(AF_INET, ip, &in->sin_addr);
	}
	return ss;
}

/*! \brief Takes and frees everything queued; returns how many there were. */
static unsigned drain(void)
{
	unsigned n = 0;
	soa_observation_t *o = soa_observe_take();
	while (o != NULL) {
		soa_observation_t *next = o->next;
		soa_observe_free(o);
		o = next;
		n++;
	}
	return n;
}

int main(void)
{
	soa_watch_t w1, w2;
	ok(soa_observe_take() == NULL, "nothing queued");

	struct sockaddr_storage a = client("192.0.2.1", 40000), b = client("2001:db8::2", 40001);
	soa_observe_push(&w1, &a, 10);
	soa_observe_push(&w2, &b, 20);
	soa_observation_t *o = soa_observe_take();
	ok(o != NULL && o->w == &w1 && o->serial == 10, "oldest first");
	ok(o != NULL && o->addr.sa.sa_family == AF_INET &&
	   memcmp(&o->addr.in, &a, sizeof(o->addr.in)) == 0, "IPv4 client kept");
	soa_observation_t *p = o != NULL ? o->next : NULL;
	ok(p != NULL && p->w == &w2 && p->serial == 20, "then the next");
	ok(p != NULL && p->addr.sa.sa_family == AF_INET6 &&
	   memcmp(&p->addr.in6, &b, sizeof(p->addr.in6)) == 0, "IPv6 client kept");
	ok(p != NULL && p->next == NULL, "two of them");
	ok(soa_observe_take() == NULL, "taken once");
	soa_observe_free(p);
	soa_observe_free(o);

	// Bounded: what waits beyond the most is dropped, freeing makes room.
	for (unsigned i = 0; i < SOA_OBSERVE_MAX + 5; i++) {
		soa_observe_push(&w1, &a, i);
	}
	is_int(SOA_OBSERVE_MAX, drain(), "at most SOA_OBSERVE_MAX wait");
	soa_observe_push(&w1, &a, 1);
	is_int(1, drain(), "room again once freed");

	for (unsigned i = 0; i < SOA_OBSERVE_MAX + 5; i++) {
		soa_observe_push(&w1, &a, i);
	}
	soa_observe_clear();
	ok(soa_observe_take() == NULL, "clear drops everything");
	soa_observe_push(&w1, &a, 1);
	is_int(1, drain(), "room again after clear");

	soa_observe_push(&w1, NULL, 1);
	ok(soa_observe_take() == NULL, "no client, no observation");
	soa_observe_clear();

	// Pushes without a client take no room from the bound.
	for (unsigned i = 0; i < 10; i++) {
		soa_observe_push(&w1, NULL, i);
	}
	for (unsigned i = 0; i < SOA_OBSERVE_MAX + 5; i++) {
		soa_observe_push(&w1, &a, i);
	}
	is_int(SOA_OBSERVE_MAX, drain(), "still at most SOA_OBSERVE_MAX after pushes without client");
	soa_observe_clear();
	return done_testing();
}
