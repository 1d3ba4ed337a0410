/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*!
 * \file
 *
 * \brief Benchmark reference: a zone module whose hooks do nothing.
 *
 * Its cost over plain knotd is knotd's dispatch floor for the registered
 * hooks. Option "hooks" lists the stages: B(EGIN), E(ND), A(NSWER),
 * U (AUTHORITY), D (ADDITIONAL). Loaded as mod-noop from bench/build.
 */

#include <knot/module.h>

#define MOD_HOOKS "\x05""hooks"

static knotd_state_t noop_hook(knotd_state_t state, knot_pkt_t *pkt,
                               knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	(void)pkt; (void)qdata; (void)mod;
	return state;
}

static knotd_in_state_t noop_in_hook(knotd_in_state_t state, knot_pkt_t *pkt,
                                     knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	(void)pkt; (void)qdata; (void)mod;
	return state;
}

static const yp_item_t noop_conf[] = {
	{ MOD_HOOKS, YP_TSTR, YP_VSTR = { "BEU" } },
	{ NULL }
};

static int noop_load(knotd_mod_t *mod)
{
	const char *hooks = knotd_conf_mod(mod, MOD_HOOKS).single.string;
	for (const char *h = hooks; *h != '\0'; h++) {
		switch (*h) {
		case 'B': knotd_mod_hook(mod, KNOTD_STAGE_BEGIN, noop_hook); break;
		case 'E': knotd_mod_hook(mod, KNOTD_STAGE_END, noop_hook); break;
		case 'A': knotd_mod_in_hook(mod, KNOTD_STAGE_ANSWER, noop_in_hook); break;
		case 'U': knotd_mod_in_hook(mod, KNOTD_STAGE_AUTHORITY, noop_in_hook); break;
		case 'D': knotd_mod_in_hook(mod, KNOTD_STAGE_ADDITIONAL, noop_in_hook); break;
		default: return KNOT_EINVAL;
		}
	}
	return KNOT_EOK;
}

static void noop_unload(knotd_mod_t *mod)
{
	(void)mod;
}

KNOTD_MOD_API(noop, KNOTD_MOD_FLAG_SCOPE_ZONE | KNOTD_MOD_FLAG_OPT_CONF,
              noop_load, noop_unload, noop_conf, NULL);
