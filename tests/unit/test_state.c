/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief State record codec, record transitions, LMDB sharing. */

#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "soa/serial.h"
#include "soa/state.h"
#include "tap.h"

#define TODAY 20261121
static const knot_dname_t *ZONE = (const knot_dname_t *)"\x07""example\x04test";

static void test_codec(void)
{
	// The example documented at the top of state.c, byte for byte.
	const uint8_t doc[] = {
		0x01,
		0x01, 0x00, 0x09, 0x00, 0x00, 0x01, 0xf5, 0x78, 0xc4, 0x04, 0x64, 0x00,
		0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x69, 0x1f, 0xab, 0x80,
		0x03, 0x00, 0x08, 0x00, 0x00, 0x01, 0xf5, 0x78, 0xc4, 0x04, 0x64,
	};
	soa_record_t rec;
	is_int(0, soa_record_decode(doc, sizeof(doc), &rec), "documented example decodes");
	is_int(501, rec.real, "  real");
	is_int(2026112100, rec.published, "  published");
	is_int(SOA_MODE_DATE, rec.mode, "  mode");
	is_int(1763683200, rec.updated, "  updated");
	is_int(1, rec.hist_count, "  history");

	uint8_t buf[SOA_RECORD_MAX];
	size_t len = soa_record_encode(&rec, buf);
	ok(len == sizeof(doc) && memcmp(buf, doc, len) == 0, "encoding gives the documented bytes");

	// Round trip of a full history.
	soa_record_t full = { .real = 9, .published = 2026112131, .mode = SOA_MODE_DATE,
	                      .updated = 42, .hist_count = SOA_STATE_HISTORY };
	for (unsigned i = 0; i < SOA_STATE_HISTORY; i++) {
		full.hist[i].real = i - 22;
		full.hist[i].published = 2026112100 + i;
	}
	full.hist[SOA_STATE_HISTORY - 1].real = 9;
	full.hist[SOA_STATE_HISTORY - 1].published = 2026112131;
	len = soa_record_encode(&full, buf);
	ok(len <= SOA_RECORD_MAX, "fits the declared maximum");
	soa_record_t back;
	is_int(0, soa_record_decode(buf, len, &back), "full record decodes");
	ok(memcmp(&full, &back, sizeof(full)) == 0, "round trip is exact");

	// Unknown items are skipped; an unknown version is refused.
	uint8_t ext[sizeof(doc) + 6];
	memcpy(ext, doc, sizeof(doc));
	memcpy(ext + sizeof(doc), "\x7f\x00\x03xyz", 6);
	is_int(0, soa_record_decode(ext, sizeof(ext), &rec), "unknown item skipped");
	is_int(2026112100, rec.published, "  data intact");
	uint8_t v2[sizeof(doc)];
	memcpy(v2, doc, sizeof(doc));
	v2[0] = 2;
	is_int(SOA_STATE_EVERSION, soa_record_decode(v2, sizeof(v2), &rec), "version 2 refused");

	// Every truncation is either refused or a valid prefix with CURRENT.
	int wrong = 0;
	for (size_t cut = 0; cut < sizeof(doc); cut++) {
		int rc = soa_record_decode(doc, cut, &rec);
		bool complete_items = (cut == 13 || cut == 24);
		if (complete_items ? rc != 0 || rec.published != 2026112100 : rc != SOA_STATE_EBADREC) {
			wrong++;
		}
	}
	is_int(0, wrong, "every truncation handled (EBADREC or whole items)");

	uint8_t bad[sizeof(doc)];
	memcpy(bad, doc, sizeof(doc));
	bad[12] = SOA_MODE__COUNT;
	is_int(SOA_STATE_EBADREC, soa_record_decode(bad, sizeof(bad), &rec), "unknown mode");
	memcpy(bad, doc, sizeof(doc));
	bad[26] = 0x07;
	is_int(SOA_STATE_EBADREC, soa_record_decode(bad, sizeof(bad), &rec),
	       "history length not a multiple of 8");
	memcpy(bad, doc, sizeof(doc));
	bad[34] = 0x65;
	is_int(0, soa_record_decode(bad, sizeof(bad), &rec), "history not ending in CURRENT");
	ok(rec.hist_count == 1 && rec.hist[0].published == 2026112100, "  history replaced");
	is_int(SOA_STATE_EBADREC, soa_record_decode(doc, 1, &rec), "version only: no CURRENT");
}

static soa_alloc_req_t req(uint32_t real)
{
	soa_alloc_req_t r = { .real = real, .today = TODAY, .now = 1000, .lost = TODAY * 100 + 99 };
	return r;
}

static void test_next(void)
{
	soa_record_t a, b, c, d;
	soa_alloc_req_t r = req(501);

	ok(soa_record_next(NULL, &r, &a), "first sight allocates");
	is_int(2026112100, a.published, "  today's 00");
	is_int(1, a.hist_count, "  history starts");
	ok(!soa_record_next(&a, &r, &b), "same real serial: no allocation");
	r = req(502);
	ok(soa_record_next(&a, &r, &b), "new real allocates");
	is_int(2026112101, b.published, "  +1");
	is_int(2, b.hist_count, "  history grows");
	r = req(3);
	ok(soa_record_next(&b, &r, &c), "reset allocates");
	is_int(2026112102, c.published, "  still forward");
	is_int(1, c.hist_count, "  history restarts: the chain broke");

	r = req(503);
	r.is_signed = true;
	ok(soa_record_next(&b, &r, &d), "signed version allocates");
	is_int(503, d.published, "  publishes the real serial");
	is_int(SOA_MODE_SIGNED, d.mode, "  signed mode");
	ok(!soa_record_next(&d, &r, &c), "signed, same serial: nothing");
	r.is_signed = false;
	ok(soa_record_next(&d, &r, &c), "unsigned again with the same serial");
	is_int(2026112100, c.published, "  enters the date sequence above 503");

	// Floors: a published serial below a raised floor is replaced.
	r = req(502);
	r.floor = 2030010100;
	ok(soa_record_next(&b, &r, &c), "raised floor re-allocates the same version");
	is_int(2030010100, c.published, "  at the floor");

	// Kept zones become convertible when the floor allows it.
	r = req(3000000000u);
	ok(soa_record_next(NULL, &r, &a), "first sight of 3000000000");
	is_int(SOA_MODE_KEPT, a.mode, "  kept");
	ok(!soa_record_next(&a, &r, &b), "kept and nothing new: no allocation");
	r.floor = 3000010100u;
	ok(soa_record_next(&a, &r, &b), "a floor that helps converts it");
	is_int(3000010100u, b.published, "  at the floor");
	is_int(SOA_MODE_DATE, b.mode, "  date mode");

	// The history keeps the newest SOA_STATE_HISTORY versions.
	r = req(1000);
	soa_record_next(NULL, &r, &a);
	for (int i = 1; i <= 40; i++) {
		r = req(1000 + i);
		soa_record_next(&a, &r, &b);
		a = b;
	}
	is_int(SOA_STATE_HISTORY, a.hist_count, "history bounded");
	is_int(1040, a.hist[SOA_STATE_HISTORY - 1].real, "  newest last");
	is_int(1040 - SOA_STATE_HISTORY + 1, a.hist[0].real, "  oldest dropped");
	is_int(SOA_STATE_HISTORY - 1, soa_record_find_real(&a, 1040), "find by real");
	is_int(0, soa_record_find_published(&a, a.hist[0].published), "find by published");
	is_int(-1, soa_record_find_real(&a, 5), "absent");

	// Lost state resumes above the bound, a new zone starts at 00.
	r = req(7);
	soa_record_next(NULL, &r, &a);
	is_int(2026112100, a.published, "new zone: today's 00");
	r.missing_is_lost = true;
	soa_record_next(NULL, &r, &a);
	is_int(TODAY * 100 + 100, a.published, "lost state: above YYYYMMDD99");

	// A real serial that comes back after a newer one is a restore: it must
	// not take its old published serial back (that would go backwards).
	r = req(601);
	soa_record_next(NULL, &r, &a);
	r = req(602);
	soa_record_next(&a, &r, &b);
	r = req(601);
	ok(soa_record_next(&b, &r, &c), "restored older real serial allocates");
	ok(soa_serial_gt(c.published, b.published), "  and moves forward");
}

static char dir[] = "/tmp/soa-test-XXXXXX";

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
	soa_state_t *st = NULL, *st2 = NULL;
	is_int(0, soa_state_open(dir, &st), "open creates the environment");
	is_int(0, soa_state_open(dir, &st2), "second open of the same path");
	ok(st == st2, "  shares one environment (LMDB allows one per process)");
	soa_state_close(st2);

	soa_record_t rec;
	is_int(MDB_NOTFOUND, soa_state_get(st, ZONE, &rec), "no record yet");
	soa_alloc_req_t r = req(501);
	bool created, broken;
	is_int(0, soa_state_allocate(st, ZONE, &r, &rec, &created, &broken), "allocate");
	ok(created && !broken, "  created");
	is_int(2026112100, rec.published, "  published");
	is_int(0, soa_state_allocate(st, ZONE, &r, &rec, &created, &broken), "again");
	ok(!created, "  nothing new for the same version");
	soa_state_close(st);

	is_int(0, soa_state_open(dir, &st), "reopen");
	is_int(0, soa_state_get(st, ZONE, &rec), "record persisted");
	is_int(2026112100, rec.published, "  same published serial");

	r = req(502);
	soa_state_allocate(st, ZONE, &r, &rec, &created, &broken);
	r = req(503);
	soa_state_allocate(st, ZONE, &r, &rec, &created, &broken);
	is_int(3, rec.hist_count, "three versions in history");
	is_int(0, soa_state_cut_history(st, ZONE, 502), "cut history up to 502");
	soa_state_get(st, ZONE, &rec);
	is_int(1, rec.hist_count, "  only the current version left");
	is_int(503, rec.hist[0].real, "  which is 503");

	// An unreadable record is replaced above the lost-state bound.
	MDB_env *env;
	soa_state_close(st);
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 4);
	mdb_env_open(env, dir, MDB_NOTLS, 0640);
	MDB_txn *txn;
	MDB_dbi dbi;
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, "soa-zones", 0, &dbi);
	MDB_val key = { knot_dname_size(ZONE), (void *)ZONE }, val = { 3, "\x01\x01\x00" };
	mdb_put(txn, dbi, &key, &val, 0);
	mdb_txn_commit(txn);
	mdb_env_close(env);

	soa_state_open(dir, &st);
	is_int(SOA_STATE_EBADREC, soa_state_get(st, ZONE, &rec), "garbage record reported");
	r = req(503);
	is_int(0, soa_state_allocate(st, ZONE, &r, &rec, &created, &broken), "allocate over it");
	ok(created && broken, "  reported broken and replaced");
	is_int(TODAY * 100 + 100, rec.published, "  resumed above YYYYMMDD99");
	soa_state_close(st);
}

/*! \brief Damaged, truncated and missing data files; the high-water mark. */
static void test_recovery(void)
{
	char d[] = "/tmp/soa-test-XXXXXX";
	if (mkdtemp(d) == NULL) {
		abort();
	}
	char data[64], hw[64], notice[600];
	(void)snprintf(data, sizeof(data), "%s/data.mdb", d);
	(void)snprintf(hw, sizeof(hw), "%s/high-water", d);

	soa_state_t *st;
	soa_record_t rec;
	bool created, broken;
	is_int(0, soa_state_open(d, &st), "fresh directory");
	ok(!soa_state_lost(st), "  not lost: a new installation");
	ok(!soa_state_notice(st, notice, sizeof(notice)), "  nothing to report");
	for (uint32_t real = 501; real < 506; real++) {
		soa_alloc_req_t r = req(real);
		soa_state_allocate(st, ZONE, &r, &rec, &created, &broken);
	}
	is_int(2026112104, rec.published, "five versions");
	uint32_t high;
	ok(soa_state_high_water(st, &high) && high == 2026112104, "high-water mark follows");
	soa_state_close(st);
	ok(soa_state_high_water_at(d, &high) && high == 2026112104, "  and is on disk");

	// Truncated while closed: moved aside, a lost database started.
	FILE *f = fopen(data, "r+");
	ok(f != NULL && ftruncate(fileno(f), 5000) == 0, "truncate the data file");
	fclose(f);
	is_int(0, soa_state_open(d, &st), "open a truncated file");
	ok(soa_state_lost(st), "  lost");
	ok(soa_state_notice(st, notice, sizeof(notice)) && strstr(notice, "damaged") != NULL,
	   "  reported: %s", notice);
	soa_alloc_req_t r = req(505);
	r.lost = 2026112104;                 // what the caller derives from the high-water mark
	is_int(0, soa_state_allocate(st, ZONE, &r, &rec, &created, &broken), "allocate");
	is_int(2026112105, rec.published, "  resumes above the high-water mark, not at 00");

	// Truncated under the open environment: checked before use, no SIGBUS.
	f = fopen(data, "r+");
	ok(f != NULL && ftruncate(fileno(f), 4096) == 0, "truncate while open");
	fclose(f);
	r = req(506);
	r.lost = 2026112105;
	is_int(0, soa_state_allocate(st, ZONE, &r, &rec, &created, &broken), "allocate after it");
	is_int(2026112106, rec.published, "  still above everything published");
	ok(soa_state_notice(st, notice, sizeof(notice)), "  reported");
	soa_state_close(st);

	// Garbage over the whole file.
	f = fopen(data, "r+");
	for (int i = 0; i < 20000; i++) {
		fputc((i * 7919) & 0xff, f);
	}
	fclose(f);
	is_int(0, soa_state_open(d, &st), "open a garbage file");
	ok(soa_state_lost(st) && soa_state_notice(st, notice, sizeof(notice)), "  lost, reported");
	soa_state_close(st);

	// Data file removed, high-water file left: lost, not new.
	ok(unlink(data) == 0, "remove the data file");
	is_int(0, soa_state_open(d, &st), "open without data file");
	ok(soa_state_lost(st), "  lost because the high-water file remains");
	soa_state_close(st);

	// A new instance that published from memory wins over an older record.
	remove_dir(d);
	is_int(0, soa_state_open(d, &st), "fresh again");
	r = req(700);
	soa_state_allocate(st, ZONE, &r, &rec, &created, &broken);
	r = req(700);
	r.have_mem = true;
	r.mem_real = 700;
	r.mem_pub = 2026112150;
	r.mem_mode = SOA_MODE_DATE;
	soa_state_allocate(st, ZONE, &r, &rec, &created, &broken);
	is_int(2026112150, rec.published, "same version published from memory is kept");
	ok(created, "  and stored");
	soa_state_get(st, ZONE, &rec);
	is_int(2026112150, rec.published, "  on disk");
	r = req(701);
	r.have_mem = true;
	r.mem_real = 700;
	r.mem_pub = 2026112160;
	r.mem_mode = SOA_MODE_DATE;
	soa_state_allocate(st, ZONE, &r, &rec, &created, &broken);
	is_int(2026112161, rec.published, "next version above the memory serial");
	soa_state_close(st);
	remove_dir(d);
}

/* Concurrency: threads of one process and separate processes. */

#define THREADS 8
#define PROCS 6

static soa_state_t *shared;
static uint32_t results[THREADS];
static int creations[THREADS];

static void *alloc_thread(void *arg)
{
	intptr_t i = (intptr_t)arg;
	soa_record_t rec;
	bool created, broken;
	soa_alloc_req_t r = req(7000);
	if (soa_state_allocate(shared, ZONE, &r, &rec, &created, &broken) == 0) {
		results[i] = rec.published;
		creations[i] = created;
	}
	return NULL;
}

static void test_concurrency(void)
{
	char d2[] = "/tmp/soa-test-XXXXXX";
	if (mkdtemp(d2) == NULL) {
		abort();
	}
	soa_state_open(d2, &shared);

	pthread_t t[THREADS];
	for (intptr_t i = 0; i < THREADS; i++) {
		pthread_create(&t[i], NULL, alloc_thread, (void *)i);
	}
	int created = 0, same = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		created += creations[i];
		same += (results[i] == results[0] && results[0] != 0);
	}
	is_int(1, created, "threads: one allocation for one version");
	is_int(THREADS, same, "threads: all see the same published serial");
	soa_state_close(shared);

	// Processes: each opens the directory itself, like another knotd would.
	// Phase 1: all race to allocate one new version; phase 2: each its own.
	for (int phase = 1; phase <= 2; phase++) {
		int pipes[PROCS][2];
		for (int p = 0; p < PROCS; p++) {
			if (pipe(pipes[p]) != 0) {
				abort();
			}
			if (fork() == 0) {
				soa_state_t *st;
				uint32_t out[2] = { 0, 0 };
				if (soa_state_open(d2, &st) == 0) {
					soa_record_t rec;
					bool c, b;
					soa_alloc_req_t r = req(phase == 1 ? 8000 : 9000 + p);
					if (soa_state_allocate(st, ZONE, &r, &rec, &c, &b) == 0) {
						out[0] = rec.published;
						out[1] = c;
					}
					soa_state_close(st);
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
		is_int(0, failures, "processes, phase %d: every allocation succeeded", phase);
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
	if (mkdtemp(dir) == NULL) {
		abort();
	}
	test_codec();
	test_next();
	test_lmdb();
	test_recovery();
	test_concurrency();
	remove_dir(dir);
	return done_testing();
}
