/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*!
 * \file
 *
 * \brief Hot-path microbenchmark: the built soa.so, loaded through its
 *        knotd_mod_api with the knotd functions it calls stubbed, answering
 *        the same prepared response again and again.
 *
 * Run under callgrind, the difference between two call counts is the exact
 * cost of mod-soa's hook per answer, without knotd's dispatch around it:
 *
 *   hotpath SOA_SO KIND CALLS     KIND: negative | soa | positive
 *
 * The environment adds mod-soa options and picks the question:
 *   HOTPATH_RULES     negative-ttl-rule values, separated by ';'
 *   HOTPATH_EXPOSURE  1: negative-exposure on
 *   HOTPATH_QNAME     the question (default nx.example.test. for negative)
 */

#include <arpa/inet.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <knot/module.h>

/* knotd's side of the module API, reduced to what mod-soa uses. */

/* Counters as knotd keeps them (query_module.c): per thread, one slot per index. */
typedef struct {
	const char *name;
	uint32_t count;
	uint32_t offset;
} mod_ctr_t;

struct knotd_mod {
	void *ctx;
	const knot_dname_t *zone;
	knotd_mod_in_hook_f in_hook;
	knotd_mod_hook_f begin, end;
	mod_ctr_t stats_info[64];
	uint32_t stats_count;
	uint64_t *stats_vals[1];
};

static char storage[] = "/tmp/soa-hotpath-XXXXXX";
static knot_rrset_t apex_soa;

#define EXPORT __attribute__((visibility("default")))

EXPORT void *knotd_mod_ctx(knotd_mod_t *mod) { return mod->ctx; }
EXPORT void knotd_mod_ctx_set(knotd_mod_t *mod, void *ctx) { mod->ctx = ctx; }
EXPORT const knot_dname_t *knotd_mod_zone(knotd_mod_t *mod) { return mod->zone; }
EXPORT unsigned knotd_mod_threads(knotd_mod_t *mod) { (void)mod; return 1; }
EXPORT void knotd_mod_log(knotd_mod_t *mod, int prio, const char *fmt, ...)
{ (void)mod; (void)prio; (void)fmt; }
EXPORT int knotd_mod_stats_add(knotd_mod_t *mod, const char *n, uint32_t c, knotd_mod_idx_to_str_f f)
{
	(void)f;
	uint32_t offset = 0;
	if (mod->stats_count > 0) {
		mod_ctr_t *last = &mod->stats_info[mod->stats_count - 1];
		offset = last->offset + last->count;
	}
	mod->stats_vals[0] = realloc(mod->stats_vals[0], (offset + c) * sizeof(uint64_t));
	memset(mod->stats_vals[0] + offset, 0, c * sizeof(uint64_t));
	mod->stats_info[mod->stats_count++] = (mod_ctr_t){ n, c, offset };
	return KNOT_EOK;
}
/* The body of knotd's STATS_BODY(ATOMIC_ADD) and (ATOMIC_SET), release build. */
EXPORT __attribute__((noinline))
void knotd_mod_stats_incr(knotd_mod_t *mod, unsigned t, uint32_t c, uint32_t i, uint64_t v)
{
	if (mod == NULL) return;
	mod_ctr_t *ctr = mod->stats_info + c;
	__atomic_add_fetch(&mod->stats_vals[t][ctr->offset + i], v, __ATOMIC_RELAXED);
}
EXPORT __attribute__((noinline))
void knotd_mod_stats_store(knotd_mod_t *mod, unsigned t, uint32_t c, uint32_t i, uint64_t v)
{
	if (mod == NULL) return;
	mod_ctr_t *ctr = mod->stats_info + c;
	__atomic_store_n(&mod->stats_vals[t][ctr->offset + i], v, __ATOMIC_RELAXED);
}
EXPORT int knotd_mod_hook(knotd_mod_t *mod, knotd_stage_t stage, knotd_mod_hook_f hook)
{
	if (stage == KNOTD_STAGE_BEGIN) mod->begin = hook; else mod->end = hook;
	return KNOT_EOK;
}
EXPORT int knotd_mod_in_hook(knotd_mod_t *mod, knotd_stage_t stage, knotd_mod_in_hook_f hook)
{
	(void)stage;
	mod->in_hook = hook;
	return KNOT_EOK;
}
/* A client's address: 192.0.2.1:53000, never the module's own checks. */
static struct sockaddr_storage remote;
EXPORT const struct sockaddr_storage *knotd_qdata_remote_addr(knotd_qdata_t *qdata)
{
	(void)qdata;
	struct sockaddr_in *sin = (struct sockaddr_in *)&remote;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(53000);
	sin->sin_addr.s_addr = htonl(0xC0000201);
	return &remote;
}

EXPORT knot_rrset_t knotd_qdata_zone_apex_rrset(knotd_qdata_t *qdata, uint16_t type)
{
	(void)qdata;
	knot_rrset_t empty;
	knot_rrset_init_empty(&empty);
	return type == KNOT_RRTYPE_SOA ? apex_soa : empty;
}
EXPORT void knotd_conf_free(knotd_conf_t *conf) { (void)conf; }
/* The knotd this benchmark stands in for: the one it is built against. */
EXPORT knotd_conf_t knotd_conf_env(knotd_mod_t *mod, knotd_conf_env_t env)
{
	(void)mod;
	knotd_conf_t out = { 0 };
	if (env == KNOTD_CONF_ENV_VERSION) {
		out.single.string = "Knot DNS " KNOT_VERSION;
	}
	return out;
}
EXPORT knotd_conf_t knotd_conf_check_item(knotd_conf_check_args_t *a, const yp_name_t *n)
{ (void)a; (void)n; knotd_conf_t out = { 0 }; return out; }
EXPORT knotd_conf_t knotd_conf_zone(knotd_mod_t *mod, const yp_name_t *n, const knot_dname_t *z)
{ (void)mod; (void)n; (void)z; knotd_conf_t out = { 0 }; return out; }
EXPORT knotd_conf_t knotd_conf(knotd_mod_t *mod, const yp_name_t *s, const yp_name_t *i,
                               const knotd_conf_t *id)
{
	(void)mod; (void)s; (void)i; (void)id;
	knotd_conf_t out = { 0 };
	out.single.string = storage;       // database storage
	return out;
}
/*! \brief HOTPATH_RULES as a multi-valued item. */
static knotd_conf_t rules_conf(void)
{
	static knotd_conf_val_t vals[64];
	static char text[4096];
	knotd_conf_t out = { 0 };
	const char *env = getenv("HOTPATH_RULES");
	if (env == NULL || *env == '\0') {
		return out;
	}
	snprintf(text, sizeof(text), "%s", env);
	for (char *save = NULL, *v = strtok_r(text, ";", &save); v != NULL && out.count < 64;
	     v = strtok_r(NULL, ";", &save)) {
		vals[out.count++].string = v;
	}
	out.multi = vals;
	return out;
}

EXPORT knotd_conf_t knotd_conf_mod(knotd_mod_t *mod, const yp_name_t *name)
{
	(void)mod;
	knotd_conf_t out = { 0 };
	const char *n = (const char *)name + 1;
	if (strncmp(n, "negative-ttl-rule", name[0]) == 0) return rules_conf();
	if (strncmp(n, "negative-exposure", name[0]) == 0) {
		out.single.boolean = getenv("HOTPATH_EXPOSURE") != NULL &&
		                     strcmp(getenv("HOTPATH_EXPOSURE"), "1") == 0;
		return out;
	}
	// The benchmark configuration: date serials, cap 60, floor 30.
	if (strncmp(n, "negative-ttl-max", name[0]) == 0) out.single.integer = 60;
	else if (strncmp(n, "negative-ttl-min", name[0]) == 0) out.single.integer = 30;
	else if (strncmp(n, "lint", name[0]) == 0) out.single.boolean = true;
	else if (strncmp(n, "serial-format", name[0]) == 0) out.single.option = 0;
	return out;
}

/* A response as knotd builds it. */

static knot_pkt_t *response(uint16_t qtype, const char *qname, knot_section_t soa_sec)
{
	knot_pkt_t *pkt = knot_pkt_new(NULL, 1232, NULL);
	knot_dname_t *q = knot_dname_from_str_alloc(qname);
	knot_pkt_put_question(pkt, q, KNOT_CLASS_IN, qtype);
	knot_dname_free(q, NULL);
	if (soa_sec != KNOT_ADDITIONAL) {
		knot_pkt_begin(pkt, soa_sec);
		knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &apex_soa, 0);
	}
	return pkt;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s SOA_SO negative|soa|positive CALLS\n", argv[0]);
		return 2;
	}
	if (mkdtemp(storage) == NULL) {
		return 1;
	}

	// The zone: SOA TTL 7200, MINIMUM 3600, real serial 501.
	knot_dname_t *apex = knot_dname_from_str_alloc("example.test.");
	uint8_t rd[64];
	size_t len = 0;
	memcpy(rd, "\x03ns1\x07""example\x04test", 18); len = 18;
	memcpy(rd + len, "\x0ahostmaster\x07""example\x04test", 25); len += 25;
	uint32_t tail[5] = { 501, 7200, 3600, 1209600, 3600 };
	for (int i = 0; i < 5; i++) knot_wire_write_u32(rd + len + 4 * i, tail[i]);
	len += 20;
	knot_rrset_init(&apex_soa, apex, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 7200);
	knot_rrset_add_rdata(&apex_soa, rd, len, NULL);

	void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (so == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	const knotd_mod_api_t *api = dlsym(so, "knotd_mod_api");
	struct knotd_mod mod = { .zone = apex };
	if (api->load(&mod) != KNOT_EOK) {
		fprintf(stderr, "load failed\n");
		return 1;
	}

	knot_pkt_t *pkt;
	knotd_in_state_t state;
	if (strcmp(argv[2], "negative") == 0) {
		const char *qname = getenv("HOTPATH_QNAME");
		pkt = response(KNOT_RRTYPE_A, qname ? qname : "nx.example.test.", KNOT_AUTHORITY);
		state = KNOTD_IN_STATE_MISS;
	} else if (strcmp(argv[2], "soa") == 0) {
		pkt = response(KNOT_RRTYPE_SOA, "example.test.", KNOT_ANSWER);
		state = KNOTD_IN_STATE_HIT;
	} else {
		pkt = response(KNOT_RRTYPE_A, "www.example.test.", KNOT_ADDITIONAL);
		state = KNOTD_IN_STATE_HIT;
	}

	// The query answered: a client's (ID 0x1234).
	knot_pkt_t *query = knot_pkt_new(NULL, 512, NULL);
	knot_wire_set_id(query->wire, 0x1234);
	knotd_qdata_params_t params = { .thread_id = 0 };
	knotd_qdata_t qdata = { .params = &params, .type = KNOTD_QUERY_TYPE_NORMAL, .query = query };
	long calls = atol(argv[3]);
	for (long i = 0; i < calls; i++) {
		if (mod.begin != NULL) {
			mod.begin(KNOTD_STATE_DONE, pkt, &qdata, &mod);
		}
		mod.in_hook(state, pkt, &qdata, &mod);
		if (mod.end != NULL) {
			mod.end(KNOTD_STATE_DONE, pkt, &qdata, &mod);
		}
	}

	api->unload(&mod);
	knot_pkt_free(pkt);
	knot_pkt_free(query);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", storage);
	return system(cmd) == 0 ? 0 : 1;
}
