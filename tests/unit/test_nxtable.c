/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief The table of recent NXDOMAIN names (negative-exposure). */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soa/nxtable.h"
#include "tap.h"

/*! \brief soa_nxtable_record() with the name's size, as query.c passes it. */
static void record(soa_nxtable_t *t, const knot_dname_t *n, uint32_t now, uint32_t ttl)
{
	soa_nxtable_record(t, n, knot_dname_size(n), now, ttl);
}

static const uint8_t *name(const char *text)
{
	static knot_dname_storage_t buf;
	return knot_dname_from_str(buf, text, sizeof(buf));
}

/*! \brief True if the live entries hold a name, with that time and TTL. */
static bool holds(soa_nxtable_t *t, uint32_t now, const char *text, uint32_t at, uint32_t ttl)
{
	soa_nx_t *out = malloc(SOA_NXTABLE_SLOTS * sizeof(*out));
	size_t n = soa_nxtable_live(t, now, out);
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		found = knot_dname_is_equal(out[i].name, name(text)) && out[i].at == at &&
		        out[i].ttl == ttl;
	}
	free(out);
	return found;
}

static size_t live(soa_nxtable_t *t, uint32_t now)
{
	soa_nx_t *out = malloc(SOA_NXTABLE_SLOTS * sizeof(*out));
	size_t n = soa_nxtable_live(t, now, out);
	free(out);
	return n;
}

typedef struct {
	soa_nxtable_t *t;
	int base;
} writer_t;

static void *writer(void *arg)
{
	writer_t *w = arg;
	knot_dname_storage_t buf;
	for (int i = 0; i < 200000; i++) {
		char text[64];
		snprintf(text, sizeof(text), "n%d.w%d.example.", i % 5000, w->base);
		record(w->t, knot_dname_from_str(buf, text, sizeof(buf)), 1000, 60);
	}
	return NULL;
}

int main(void)
{
	soa_nxtable_t *t = calloc(1, sizeof(*t));
	is_int(0, live(t, 1000), "empty table");

	record(t, name("new.example.com."), 1000, 300);
	ok(holds(t, 1000, "new.example.com.", 1000, 300), "a recorded name is live");
	ok(holds(t, 1299, "new.example.com.", 1000, 300), "live until its TTL passes");
	is_int(0, live(t, 1300), "gone when its TTL has passed");

	record(t, name("new.example.com."), 1100, 30);
	ok(holds(t, 1100, "new.example.com.", 1100, 30), "a newer answer replaces the entry");
	is_int(1, live(t, 1100), "one entry per name");

	record(t, name("zero.example.com."), 1100, 0);
	ok(!holds(t, 1100, "zero.example.com.", 1100, 0), "TTL 0: never live");

	soa_nxtable_forget(t, name("other.example.com."));
	ok(holds(t, 1100, "new.example.com.", 1100, 30), "forgetting another name keeps it");
	soa_nxtable_forget(t, name("new.example.com."));
	is_int(0, live(t, 1100), "forgotten");

	// Many more names than slots: bounded, each live entry intact.
	knot_dname_storage_t buf;
	for (int i = 0; i < 100000; i++) {
		char text[64];
		snprintf(text, sizeof(text), "n%d.example.com.", i);
		record(t, knot_dname_from_str(buf, text, sizeof(buf)), 2000, 60);
	}
	size_t n = live(t, 2000);
	ok(n > SOA_NXTABLE_SLOTS / 2 && n <= SOA_NXTABLE_SLOTS,
	   "100000 names: %zu live entries, at most %d", n, SOA_NXTABLE_SLOTS);
	ok(holds(t, 2000, "n99999.example.com.", 2000, 60), "the newest name is kept");

	// Writers racing each other and a reader: every copy is a whole entry.
	memset(t, 0, sizeof(*t));
	pthread_t th[2];
	writer_t w[2] = { { t, 1 }, { t, 2 } };
	for (int i = 0; i < 2; i++) {
		pthread_create(&th[i], NULL, writer, &w[i]);
	}
	soa_nx_t *out = malloc(SOA_NXTABLE_SLOTS * sizeof(*out));
	size_t torn = 0, seen = 0;
	for (int round = 0; round < 200; round++) {
		size_t k = soa_nxtable_live(t, 1000, out);
		for (size_t i = 0; i < k; i++, seen++) {
			char text[KNOT_DNAME_TXT_MAXLEN];
			int a, b;
			torn += (knot_dname_to_str(text, out[i].name, sizeof(text)) == NULL ||
			         sscanf(text, "n%d.w%d.example.", &a, &b) != 2 || out[i].ttl != 60 ||
			         out[i].at != 1000);
		}
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
	}
	is_int(0, torn, "no torn entry among %zu read during writes", seen);
	free(out);
	free(t);
	return done_testing();
}
