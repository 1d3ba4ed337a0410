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
 * \brief Counter names, groups and registration; the counting plan.
 */

#include <stdlib.h>
#include <string.h>

#include "soa/lint.h"
#include "soa/metrics.h"
#include "soa/secondary.h"

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
NAMES_FN(negative_ttl_str, "capped", "raised", "rule")
NAMES_FN(exposure_str, "names", "seconds")
NAMES_FN(soa_str, "serial", "ttl", "refresh", "retry", "expire", "minimum",
         "negative-ttl", "published-serial")
NAMES_FN(rewrite_str, "answer", "authority", "axfr", "ixfr", "skipped-signed")
NAMES_FN(transfer_str, "axfr", "ixfr-journal", "ixfr-full", "ixfr-current",
         "tsig-resigned")
NAMES_FN(notify_str, "sent", "acked", "failed")
NAMES_FN(replica_str, "current", "behind", "ahead", "unreachable")
NAMES_FN(replica_check_str, "sent", "answered")

static char *lint_str(uint32_t idx, uint32_t count)
{
	(void)count;
	const char *name = soa_lint_name(idx);
	return name != NULL ? strdup(name) : NULL;
}

/*! \brief One counter. */
typedef struct {
	const char *name;
	uint32_t count;
	knotd_mod_idx_to_str_f idx_to_str;
	soa_group_t group;
	unsigned needs;    /*!< SOA_FEATURE_* it exists with only. */
	bool replica;      /*!< Registered by soa_metrics_register_replica(). */
} counter_t;

/*! \brief Every counter, indexed by soa_ctr_t. */
static const counter_t counters[SOA_CTR__COUNT] = {
	[SOA_CTR_NEGATIVE]          = { "negative", SOA_NEG__COUNT, negative_str, SOA_GROUP_NEGATIVE },
	[SOA_CTR_NEGATIVE_TTL]      = { "negative-ttl", SOA_NEG_CLASSES, negative_ttl_str,
	                                SOA_GROUP_NEGATIVE },
	[SOA_CTR_SOA_ANSWER]        = { "soa-answer", 1, NULL, SOA_GROUP_SOA },
	[SOA_CTR_FLOOR_RAISED]      = { "floor-raised", 1, NULL, SOA_GROUP_NEGATIVE },
	[SOA_CTR_SOA]               = { "soa", SOA_G__COUNT, soa_str, SOA_GROUP_SOA },
	[SOA_CTR_LINT]              = { "lint", SOA_LINT__COUNT, lint_str, SOA_GROUP_LINT },
	[SOA_CTR_SERIAL_UPDATE]     = { "serial-update", 1, NULL, SOA_GROUP_SERIAL, SOA_FEATURE_DATE },
	[SOA_CTR_SERIAL_REWRITE]    = { "serial-rewrite", SOA_RW__COUNT, rewrite_str,
	                                SOA_GROUP_SERIAL, SOA_FEATURE_DATE },
	[SOA_CTR_TRANSFER]          = { "transfer", SOA_XFR__COUNT, transfer_str,
	                                SOA_GROUP_TRANSFER, SOA_FEATURE_DATE },
	[SOA_CTR_STATE_ERROR]       = { "state-error", 1, NULL, SOA_GROUP_STATE, SOA_FEATURE_DATE },
	[SOA_CTR_NOTIFY]            = { "notify", SOA_NOTIFY__COUNT, notify_str,
	                                SOA_GROUP_NOTIFY, SOA_FEATURE_DATE },
	[SOA_CTR_CHANGE_DETECT_LAG] = { "change-detect-lag", 1, NULL, SOA_GROUP_SERIAL, SOA_FEATURE_DATE },
	[SOA_CTR_NEGATIVE_EXPOSURE] = { "negative-exposure", SOA_EXPO__COUNT, exposure_str,
	                                SOA_GROUP_NEGATIVE, SOA_FEATURE_EXPOSURE },
	// Replication health; replica-serial's count and names are the zone's.
	[SOA_CTR_REPLICA]           = { "replica", SOA_REPLICA__COUNT, replica_str, SOA_GROUP_REPLICA,
	                                .replica = true },
	[SOA_CTR_REPLICA_SERIAL]    = { "replica-serial", 0, NULL, SOA_GROUP_REPLICA,
	                                .replica = true },
	[SOA_CTR_REPLICATION_LAG]   = { "replication-lag", 1, NULL, SOA_GROUP_REPLICA,
	                                .replica = true },
	[SOA_CTR_REPLICA_CHECK]     = { "replica-check", SOA_REPLICA_CHECK__COUNT,
	                                replica_check_str, SOA_GROUP_REPLICA, .replica = true },
	[SOA_CTR_REPLICA_UNTRACKED] = { "replica-untracked", 1, NULL, SOA_GROUP_REPLICA,
	                                .replica = true },
};

int soa_metrics_register(soa_metrics_t *m, knotd_mod_t *mod, unsigned groups,
                         unsigned features)
{
	m->mod = mod;
	int8_t next = 0;
	for (unsigned i = 0; i < SOA_CTR__COUNT; i++) {
		const counter_t *c = &counters[i];
		m->id[i] = -1;
		if (!(groups & (1u << c->group)) || (c->needs & ~features) != 0 || c->replica) {
			continue;
		}
		// knotd keeps the name pointer: the strings are static.
		int ret = knotd_mod_stats_add(mod, c->name, c->count, c->idx_to_str);
		if (ret != KNOT_EOK) {
			return ret;
		}
		m->id[i] = next++;
	}
	return KNOT_EOK;
}

int soa_metrics_register_replica(soa_metrics_t *m, knotd_mod_t *mod, unsigned groups,
                                 unsigned secondaries, knotd_mod_idx_to_str_f names)
{
	if (!(groups & (1u << SOA_GROUP_REPLICA)) || secondaries == 0) {
		return KNOT_EOK;
	}
	// knotd numbers counters in registration order: after the others.
	int8_t next = 0;
	for (unsigned i = 0; i < SOA_CTR__COUNT; i++) {
		next += (m->id[i] >= 0);
	}
	for (unsigned i = 0; i < SOA_CTR__COUNT; i++) {
		const counter_t *c = &counters[i];
		if (!c->replica) {
			continue;
		}
		// knotd shows a counter of one index without its name: a lone
		// secondary gets a second, unnamed index, which knotd skips.
		bool per_secondary = (i == SOA_CTR_REPLICA_SERIAL);
		uint32_t count = !per_secondary ? c->count :
		                 (secondaries == 1 && names != NULL) ? 2 : secondaries;
		int ret = knotd_mod_stats_add(mod, c->name, count,
		                              per_secondary ? names : c->idx_to_str);
		if (ret != KNOT_EOK) {
			return ret;
		}
		m->id[i] = next++;
	}
	return KNOT_EOK;
}

static soa_count_slot_t slot(const soa_metrics_t *m, soa_ctr_t ctr, int idx)
{
	soa_count_slot_t s = { .id = (idx < 0) ? -1 : m->id[ctr], .idx = (idx < 0) ? 0 : idx };
	return s;
}

void soa_metrics_plan(const soa_metrics_t *m, soa_neg_class_t neg, soa_serial_shown_t serial,
                      soa_count_plan_t *plan)
{
	// negative-ttl[capped|raised]: index = class - 1; as-is counts nothing.
	plan->neg_ttl = slot(m, SOA_CTR_NEGATIVE_TTL, (int)neg - 1);
	plan->neg_rule = slot(m, SOA_CTR_NEGATIVE_TTL, SOA_NEG_RULE - 1);

	int neg_rw = -1, soa_rw = -1;
	if (serial == SOA_SERIAL_REWRITTEN) {
		neg_rw = SOA_RW_AUTHORITY;
		soa_rw = SOA_RW_ANSWER;
	} else if (serial == SOA_SERIAL_SKIPPED) {
		neg_rw = soa_rw = SOA_RW_SKIPPED_SIGNED;
	}
	plan->neg_rw = slot(m, SOA_CTR_SERIAL_REWRITE, neg_rw);
	plan->soa_rw = slot(m, SOA_CTR_SERIAL_REWRITE, soa_rw);
}
