/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief LMDB storage: records, sharing, recovery, concurrency. */

#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "soa/recovery.h"
#include "soa/serial.h"
#include "soa/store.h"
#include "tap.h"

#define TODAY 20261121
#define LOST (TODAY * 100 + 99)
static const knot_dname_t *ZONE = (const knot_dname_t *)"\x07""example\x04test";
static const knot_dname_t *OTHER = (const knot_dname_t *)"\x05""other\x04test";

static soa_version_t ver(uint32_t real)
{
	soa_version_t v = { .real = real, .today = TODAY };
	return v;
}

/*! \brief Publishes a version; returns the flags. */
static unsigned publish(soa_store_t *st, const knot_dname_t *zone, uint32_t real,
                        uint32_t lost, const soa_record_t *mem, soa_record_t *rec, int *ret)
{
	soa_version_t v = ver(real);
	unsigned flags = 0;
	int r = soa_store_publish(st, zone, &v, lost, mem, 1000, rec, &flags);
	if (ret != NULL) {
		*ret = r;
	}
	return flags;
}

/*! \brief The directory's handle, opened. */
static int open_dir(const char *dir, soa_store_t **st)
{
	int ret = soa_store_get_dir(dir, st);
	return ret != KNOT_EOK ? ret : soa_store_open(*st);
}

static void remove_dir(const char *d)
{
	char cmd[256];
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0) {
		diag("could not remove %s", d);
	}
}

static void test_lmdb(void)
{
	char dir[] = "/tmp/soa-test-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		abort();
	}
	soa_store_t *st = NULL, *st2 = NULL;
	is_int(KNOT_EOK, open_dir(dir, &st), "open creates the environment");
	is_int(KNOT_EOK, open_dir(dir, &st2), "second open of the same path");
	ok(st == st2, "  shares one environment (LMDB allows one per process)");

	soa_record_t rec;
	is_int(KNOT_ENOENT, soa_store_get(st, ZONE, &rec), "no record yet");
	int ret;
	unsigned f = publish(st, ZONE, 501, LOST, NULL, &rec, &ret);
	is_int(KNOT_EOK, ret, "publish");
	ok(f == SOA_STORE_CREATED, "  created, not broken");
	is_int(2026112100, rec.published, "  published (a new zone: today's 00)");
	is_int(1000, rec.updated, "  time stored");
	f = publish(st, ZONE, 501, LOST, NULL, &rec, &ret);
	ok(ret == KNOT_EOK && f == 0, "again: nothing new for the same version");
	soa_store_close_all();

	is_int(KNOT_EOK, open_dir(dir, &st), "reopen");
	is_int(KNOT_EOK, soa_store_get(st, ZONE, &rec), "record persisted");
	is_int(2026112100, rec.published, "  same published serial");

	publish(st, ZONE, 502, LOST, NULL, &rec, NULL);
	publish(st, ZONE, 503, LOST, NULL, &rec, NULL);
	is_int(3, rec.hist_count, "three versions in history");
	is_int(KNOT_EOK, soa_store_cut_history(st, ZONE, 502), "cut history up to 502");
	soa_store_get(st, ZONE, &rec);
	is_int(1, rec.hist_count, "  only the current version left");
	is_int(503, rec.hist[0].real, "  which is 503");
	is_int(KNOT_EOK, soa_store_cut_history(st, OTHER, 5), "cutting an absent zone: nothing");

	// An unreadable record is replaced above the lost-state bound.
	soa_store_close_all();
	MDB_env *env;
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 4);
	mdb_env_open(env, dir, MDB_NOTLS, 0640);
	MDB_txn *txn;
	MDB_dbi dbi;
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, "soa-zones", 0, &dbi);
	MDB_val key = { knot_dname_size(ZONE), (void *)ZONE }, val = { 3, "\x01\x01\x00" };
	mdb_put(txn, dbi, &key, &val, 0);
	val = (MDB_val){ 1, "\x02" };
	MDB_val key2 = { knot_dname_size(OTHER), (void *)OTHER };
	mdb_put(txn, dbi, &key2, &val, 0);
	mdb_txn_commit(txn);
	mdb_env_close(env);

	open_dir(dir, &st);
	is_int(KNOT_EMALF, soa_store_get(st, ZONE, &rec), "garbage record reported");
	f = publish(st, ZONE, 503, LOST, NULL, &rec, &ret);
	is_int(KNOT_EOK, ret, "publish over it");
	ok(f == (SOA_STORE_CREATED | SOA_STORE_BROKEN), "  reported broken and replaced");
	is_int(TODAY * 100 + 100, rec.published, "  resumed above YYYYMMDD99");

	// A record of a later format is refused, not replaced.
	is_int(KNOT_ENOTSUP, soa_store_get(st, OTHER, &rec), "later format reported");
	publish(st, OTHER, 5, LOST, NULL, &rec, &ret);
	is_int(KNOT_ENOTSUP, ret, "  and not overwritten");
	soa_store_close_all();
	remove_dir(dir);
}

/*! \brief Damaged, truncated and missing data files; the high-water mark. */
static void test_recovery(void)
{
	char d[] = "/tmp/soa-test-XXXXXX";
	if (mkdtemp(d) == NULL) {
		abort();
	}
	char data[64], hw[64];
	(void)snprintf(data, sizeof(data), "%s/data.mdb", d);
	(void)snprintf(hw, sizeof(hw), "%s/high-water", d);

	soa_store_t *st;
	soa_store_event_t ev;
	soa_record_t rec;
	is_int(KNOT_EOK, open_dir(d, &st), "fresh directory");
	ok(!soa_store_take_event(st, &ev), "  nothing to report");
	for (uint32_t real = 501; real < 506; real++) {
		publish(st, ZONE, real, LOST, NULL, &rec, NULL);
	}
	is_int(2026112104, rec.published, "five versions");
	uint32_t high = 0;
	ok(soa_store_high_water(st, &high) && high == 2026112104, "high-water mark follows");
	soa_store_close_all();
	ok(soa_recovery_hw_read(hw, &high) && high == 2026112104, "  and is on disk");

	// Truncated while closed: moved aside, a lost database started.
	FILE *f = fopen(data, "r+");
	ok(f != NULL && ftruncate(fileno(f), 5000) == 0, "truncate the data file");
	fclose(f);
	is_int(KNOT_EOK, open_dir(d, &st), "open a truncated file");
	ok(soa_store_take_event(st, &ev) && ev.kind == SOA_STORE_EVENT_DAMAGED &&
	   strcmp(ev.file, data) == 0 && strncmp(ev.aside, data, strlen(data)) == 0,
	   "  reported damaged, moved to %s", ev.aside);
	publish(st, OTHER, 9, LOST, NULL, &rec, NULL);
	is_int(TODAY * 100 + 100, rec.published, "  lost: a zone missing from it resumes above 99");
	publish(st, ZONE, 505, 2026112104, NULL, &rec, NULL);
	is_int(2026112105, rec.published, "  resumes above the high-water mark, not at 00");

	// Truncated under the open environment: checked before use, no SIGBUS.
	f = fopen(data, "r+");
	ok(f != NULL && ftruncate(fileno(f), 4096) == 0, "truncate while open");
	fclose(f);
	int ret;
	publish(st, ZONE, 506, 2026112105, NULL, &rec, &ret);
	is_int(KNOT_EOK, ret, "publish after it");
	is_int(2026112106, rec.published, "  still above everything published");
	ok(soa_store_take_event(st, &ev) && ev.kind == SOA_STORE_EVENT_DAMAGED, "  reported");
	soa_store_close_all();

	// Garbage over the whole file.
	f = fopen(data, "r+");
	for (int i = 0; i < 20000; i++) {
		fputc((i * 7919) & 0xff, f);
	}
	fclose(f);
	is_int(KNOT_EOK, open_dir(d, &st), "open a garbage file");
	ok(soa_store_take_event(st, &ev) && ev.kind == SOA_STORE_EVENT_DAMAGED, "  reported");
	soa_store_close_all();

	// Data file removed, high-water file left: lost, not new.
	ok(unlink(data) == 0, "remove the data file");
	is_int(KNOT_EOK, open_dir(d, &st), "open without data file");
	ok(soa_store_take_event(st, &ev) && ev.kind == SOA_STORE_EVENT_MISSING, "  reported missing");
	publish(st, ZONE, 7, LOST, NULL, &rec, NULL);
	is_int(TODAY * 100 + 100, rec.published, "  lost because the high-water file remains");
	soa_store_close_all();

	// A new instance that published from memory wins over an older record.
	remove_dir(d);
	is_int(KNOT_EOK, open_dir(d, &st), "fresh again");
	publish(st, ZONE, 700, LOST, NULL, &rec, NULL);
	soa_record_t mem;
	soa_record_single(&mem, 700, 2026112150, SOA_MODE_DATE);
	unsigned fl = publish(st, ZONE, 700, LOST, &mem, &rec, NULL);
	is_int(2026112150, rec.published, "same version published from memory is kept");
	ok(fl & SOA_STORE_CREATED, "  and stored");
	soa_store_get(st, ZONE, &rec);
	is_int(2026112150, rec.published, "  on disk");
	soa_record_single(&mem, 700, 2026112160, SOA_MODE_DATE);
	publish(st, ZONE, 701, LOST, &mem, &rec, NULL);
	is_int(2026112161, rec.published, "next version above the memory serial");
	soa_store_close_all();

	// The high-water file cannot be written: the serial is stored, the
	// failure reported.
	ok(unlink(hw) == 0 && mkdir(hw, 0700) == 0, "high-water path taken by a directory");
	open_dir(d, &st);
	publish(st, ZONE, 702, LOST, NULL, &rec, &ret);
	is_int(KNOT_EOK, ret, "publish anyway");
	ok(soa_store_take_event(st, &ev) && ev.kind == SOA_STORE_EVENT_HW_FAILED &&
	   ev.serial == rec.published && ev.err != KNOT_EOK, "  high-water failure reported");
	soa_store_close_all();
	remove_dir(d);
}

/* Concurrency: threads of one process and separate processes. */

#define THREADS 8
#define PROCS 6

static soa_store_t *shared;
static uint32_t results[THREADS];
static int creations[THREADS];

static void *publish_thread(void *arg)
{
	intptr_t i = (intptr_t)arg;
	soa_record_t rec;
	int ret;
	unsigned f = publish(shared, ZONE, 7000, LOST, NULL, &rec, &ret);
	if (ret == KNOT_EOK) {
		results[i] = rec.published;
		creations[i] = (f & SOA_STORE_CREATED) != 0;
	}
	return NULL;
}

static void test_concurrency(void)
{
	char d2[] = "/tmp/soa-test-XXXXXX";
	if (mkdtemp(d2) == NULL) {
		abort();
	}
	open_dir(d2, &shared);

	pthread_t t[THREADS];
	for (intptr_t i = 0; i < THREADS; i++) {
		pthread_create(&t[i], NULL, publish_thread, (void *)i);
	}
	int created = 0, same = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		created += creations[i];
		same += (results[i] == results[0] && results[0] != 0);
	}
	is_int(1, created, "threads: one allocation for one version");
	is_int(THREADS, same, "threads: all see the same published serial");
	soa_store_close_all();

	// Processes: each opens the directory itself, like another knotd would.
	// Phase 1: all race to publish one new version; phase 2: each its own.
	for (int phase = 1; phase <= 2; phase++) {
		int pipes[PROCS][2];
		for (int p = 0; p < PROCS; p++) {
			if (pipe(pipes[p]) != 0) {
				abort();
			}
			if (fork() == 0) {
				soa_store_t *st;
				uint32_t out[2] = { 0, 0 };
				if (open_dir(d2, &st) == KNOT_EOK) {
					soa_record_t rec;
					int ret;
					unsigned f = publish(st, ZONE, phase == 1 ? 8000 : 9000 + p, LOST,
					                     NULL, &rec, &ret);
					if (ret == KNOT_EOK) {
						out[0] = rec.published;
						out[1] = (f & SOA_STORE_CREATED) != 0;
					}
					soa_store_close_all();
				}
				if (write(pipes[p][1], out, sizeof(out)) != sizeof(out)) {
					_exit(1);
				}
				_exit(0);
			}
		}
		uint32_t pub[PROCS];
		int failures = 0, made = 0;
		for (int p = 0; p < PROCS; p++) {
			uint32_t out[2] = { 0, 0 };
			if (read(pipes[p][0], out, sizeof(out)) != sizeof(out) || out[0] == 0) {
				failures++;
			}
			pub[p] = out[0];
			made += out[1];
			close(pipes[p][0]);
			close(pipes[p][1]);
		}
		while (wait(NULL) > 0) {
		}
		is_int(0, failures, "processes, phase %d: every publication succeeded", phase);
		int equal = 0;
		for (int i = 0; i < PROCS; i++) {
			for (int j = i + 1; j < PROCS; j++) {
				equal += (pub[i] == pub[j]);
			}
		}
		if (phase == 1) {
			is_int(1, made, "processes: one allocation for one racing version");
			is_int(PROCS * (PROCS - 1) / 2, equal, "processes: all got the same serial");
		} else {
			is_int(PROCS, made, "processes: one allocation per version");
			is_int(0, equal, "processes: different versions never share a serial");
		}
	}
	remove_dir(d2);
}

int main(void)
{
	test_lmdb();
	test_recovery();
	test_concurrency();
	return done_testing();
}
