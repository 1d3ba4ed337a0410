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
 * \brief Counter names and registration.
 */

#include <stdlib.h>
#include <string.h>

#include "soa/lint.h"
#include "soa/metrics.h"

/*! \brief Returns a copy of names[idx] for knotd, which frees it. */
static char *name_at(const char *const *names, uint32_t count, uint32_t idx)
{
	return idx < count ? strdup(names[idx]) : NULL;
}

#define NAMES_FN(fn, ...) \
	static char *fn(uint32_t idx, uint32_t count) \
	{ \
		static const char *const names[] = { __VA_ARGS__ }; \
		(void)count; \
		return name_at(names, sizeof(names) / sizeof(names[0]), idx); \
	}

NAMES_FN(negative_str, "nxdomain", "nodata")
NAMES_FN(negative_ttl_str, "capped", "raised")
NAMES_FN(soa_str, "serial", "ttl", "refresh", "retry", "expire", "minimum",
         "negative-ttl", "published-serial")
NAMES_FN(rewrite_str, "answer", "authority", "axfr", "ixfr", "skipped-signed")
NAMES_FN(transfer_str, "axfr", "ixfr-journal", "ixfr-full", "ixfr-current",
         "tsig-resigned")
NAMES_FN(notify_str, "sent", "acked", "failed")

static char *lint_str(uint32_t idx, uint32_t count)
{
	(void)count;
	const char *name = soa_lint_name(idx);
	return name != NULL ? strdup(name) : NULL;
}

/*! \brief One counter group. */
typedef struct {
	const char *name;
	uint32_t count;
	knotd_mod_idx_to_str_f idx_to_str;
} group_t;

/*! \brief Every group, indexed by soa_ctr_t. */
static const group_t groups[SOA_CTR__COUNT] = {
	[SOA_CTR_NEGATIVE]       = { "negative", SOA_NEG__COUNT, negative_str },
	[SOA_CTR_NEGATIVE_TTL]   = { "negative-ttl", SOA_NEGTTL__COUNT, negative_ttl_str },
	[SOA_CTR_SOA_ANSWER]     = { "soa-answer", 1, NULL },
	[SOA_CTR_FLOOR_RAISED]   = { "floor-raised", 1, NULL },
	[SOA_CTR_SOA]            = { "soa", SOA_G__COUNT, soa_str },
	[SOA_CTR_LINT]           = { "lint", SOA_LINT__COUNT, lint_str },
	[SOA_CTR_SERIAL_UPDATE]  = { "serial-update", 1, NULL },
	[SOA_CTR_SERIAL_REWRITE] = { "serial-rewrite", SOA_RW__COUNT, rewrite_str },
	[SOA_CTR_TRANSFER]       = { "transfer", SOA_XFR__COUNT, transfer_str },
	[SOA_CTR_STATE_ERROR]    = { "state-error", 1, NULL },
	[SOA_CTR_NOTIFY]         = { "notify", SOA_NOTIFY__COUNT, notify_str },
	[SOA_CTR_CHANGE_DETECT_LAG] = { "change-detect-lag", 1, NULL },
};

int soa_metrics_register(knotd_mod_t *mod, bool serial)
{
	unsigned last = serial ? SOA_CTR__COUNT : SOA_CTR_BASE__COUNT;
	for (unsigned i = 0; i < last; i++) {
		// knotd keeps the name pointer: the strings are static.
		int ret = knotd_mod_stats_add(mod, groups[i].name, groups[i].count,
		                              groups[i].idx_to_str);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}
