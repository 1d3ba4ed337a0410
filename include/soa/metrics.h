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
 * \brief Counters and gauges shown by knotc zone-stats ZONE mod-soa: their
 *        names, groups and registration, and what each one counts.
 *
 * Every counter is counted through knotd (knotd_mod_stats_incr() with the
 * worker's thread id), like Knot's own modules. What bumps which counter is
 * decided here only: by the soa_count_*() functions and, for answers, by
 * the counting plan a zone version gets (soa_metrics_plan()).
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <knot/module.h>

#include "soa/ttl.h"

/*! \brief Groups of the statistics option; a group's counters are registered
 *         only when it is chosen. */
typedef enum {
	SOA_GROUP_NEGATIVE = 0, /*!< negative, negative-ttl, floor-raised */
	SOA_GROUP_SOA,          /*!< soa-answer, soa[...] */
	SOA_GROUP_LINT,         /*!< lint[...] */
	SOA_GROUP_SERIAL,       /*!< serial-update, serial-rewrite, change-detect-lag */
	SOA_GROUP_TRANSFER,     /*!< transfer[...] */
	SOA_GROUP_NOTIFY,       /*!< notify[...] */
	SOA_GROUP_STATE,        /*!< state-error */
	SOA_GROUP_REPLICA,      /*!< replica, replica-serial, replication-lag,
	                             replica-check, replica-untracked */
	SOA_GROUP__COUNT
} soa_group_t;

/*! \brief Every group. */
#define SOA_GROUPS_ALL ((1u << SOA_GROUP__COUNT) - 1)

/*! \brief Counters, in registration (and knotc display) order. */
typedef enum {
	SOA_CTR_NEGATIVE = 0,      /*!< negative[nxdomain|nodata] */
	SOA_CTR_NEGATIVE_TTL,      /*!< negative-ttl[capped|raised] */
	SOA_CTR_SOA_ANSWER,        /*!< soa-answer */
	SOA_CTR_FLOOR_RAISED,      /*!< floor-raised */
	SOA_CTR_SOA,               /*!< soa[...] gauges */
	SOA_CTR_LINT,              /*!< lint[...] gauges */
	SOA_CTR_SERIAL_UPDATE,     /*!< serial-update (date serials only) */
	SOA_CTR_SERIAL_REWRITE,    /*!< serial-rewrite[...] (date serials only) */
	SOA_CTR_TRANSFER,          /*!< transfer[...] (date serials only) */
	SOA_CTR_STATE_ERROR,       /*!< state-error (date serials only) */
	SOA_CTR_NOTIFY,            /*!< notify[sent|acked|failed] (date serials only) */
	SOA_CTR_CHANGE_DETECT_LAG, /*!< change-detect-lag gauge (date serials only) */
	SOA_CTR_NEGATIVE_EXPOSURE, /*!< negative-exposure[names|seconds] (negative-exposure only) */
	// Replication health (soa_metrics_register_replica()).
	SOA_CTR_REPLICA,           /*!< replica[current|behind|ahead|unreachable] gauges */
	SOA_CTR_REPLICA_SERIAL,    /*!< replica-serial[address@port] gauges */
	SOA_CTR_REPLICATION_LAG,   /*!< replication-lag gauge (ms) */
	SOA_CTR_REPLICA_CHECK,     /*!< replica-check[sent|answered] */
	SOA_CTR_REPLICA_UNTRACKED, /*!< replica-untracked: transfers to other clients */
	SOA_CTR__COUNT
} soa_ctr_t;

/*! \brief negative[...] indexes. */
enum { SOA_NEG_NXDOMAIN = 0, SOA_NEG_NODATA, SOA_NEG__COUNT };

/*! \brief negative-exposure[...] indexes. */
enum { SOA_EXPO_NAMES = 0, SOA_EXPO_SECONDS, SOA_EXPO__COUNT };

/*! \brief Counters that exist only with some options (soa_metrics_register()). */
enum {
	SOA_FEATURE_DATE     = 1 << 0, /*!< serial-format: date */
	SOA_FEATURE_EXPOSURE = 1 << 1, /*!< negative-exposure: on */
};

/*! \brief soa[...] gauge indexes. */
enum {
	SOA_G_SERIAL = 0,
	SOA_G_TTL,
	SOA_G_REFRESH,
	SOA_G_RETRY,
	SOA_G_EXPIRE,
	SOA_G_MINIMUM,
	SOA_G_NEGATIVE_TTL,
	SOA_G_PUBLISHED_SERIAL,
	SOA_G__COUNT
};

/*! \brief serial-rewrite[...] indexes. */
enum {
	SOA_RW_ANSWER = 0,
	SOA_RW_AUTHORITY,
	SOA_RW_AXFR,
	SOA_RW_IXFR,
	SOA_RW_SKIPPED_SIGNED,
	SOA_RW__COUNT
};

/*! \brief transfer[...] indexes. */
enum {
	SOA_XFR_AXFR = 0,
	SOA_XFR_IXFR_JOURNAL,
	SOA_XFR_IXFR_FULL,
	SOA_XFR_IXFR_CURRENT,
	SOA_XFR_TSIG_RESIGNED,
	SOA_XFR__COUNT
};

/*! \brief notify[...] indexes. */
enum {
	SOA_NOTIFY_SENT = 0,
	SOA_NOTIFY_ACKED,
	SOA_NOTIFY_FAILED,
	SOA_NOTIFY__COUNT
};

/*! \brief replica-check[...] indexes (replica[...] are soa_replica_state_t). */
enum {
	SOA_REPLICA_CHECK_SENT = 0,
	SOA_REPLICA_CHECK_ANSWERED,
	SOA_REPLICA_CHECK__COUNT
};

/*! \brief A zone's counters: knotd's id of each, -1 if not registered. */
typedef struct {
	knotd_mod_t *mod;
	int8_t id[SOA_CTR__COUNT];
} soa_metrics_t;

/*!
 * \brief Registers the counters of the chosen groups.
 *
 * \param m         Output.
 * \param mod       Module instance (in load()).
 * \param groups    Bit set of soa_group_t.
 * \param features  Bit set of SOA_FEATURE_*: which optional counters exist.
 *
 * \return KNOT_EOK or an error.
 */
int soa_metrics_register(soa_metrics_t *m, knotd_mod_t *mod, unsigned groups,
                         unsigned features);

/*!
 * \brief Registers the replication health counters (group replica), after
 *        soa_metrics_register(): a zone with replica-check on and at least
 *        one secondary.
 *
 * \param m            The zone's counters.
 * \param mod          Module instance (in load()).
 * \param groups       Bit set of soa_group_t.
 * \param secondaries  Number of secondaries (replica-serial indexes).
 * \param names        Their names (names.h), NULL: numeric indexes.
 *
 * \return KNOT_EOK or an error.
 */
int soa_metrics_register_replica(soa_metrics_t *m, knotd_mod_t *mod, unsigned groups,
                                 unsigned secondaries, knotd_mod_idx_to_str_f names);

/*! \brief Counts n events of a counter from a worker (thread id tid). */
static inline void soa_count_n(const soa_metrics_t *m, unsigned tid, soa_ctr_t ctr,
                               uint32_t idx, uint64_t n)
{
	if (m->id[ctr] >= 0) {
		knotd_mod_stats_incr(m->mod, tid, m->id[ctr], idx, n);
	}
}

/*! \brief Counts one event. */
static inline void soa_count(const soa_metrics_t *m, unsigned tid, soa_ctr_t ctr, uint32_t idx)
{
	soa_count_n(m, tid, ctr, idx, 1);
}

/*! \brief Sets a gauge: one thread slot holds the value, so knotd's sum is exact. */
static inline void soa_gauge(const soa_metrics_t *m, soa_ctr_t ctr, uint32_t idx, uint64_t v)
{
	if (m->id[ctr] >= 0) {
		knotd_mod_stats_store(m->mod, 0, m->id[ctr], idx, v);
	}
}

/*! \brief How a zone version's serial appears in answers. */
typedef enum {
	SOA_SERIAL_AS_IS = 0,  /*!< The real serial is the published one. */
	SOA_SERIAL_REWRITTEN,  /*!< Answers carry the published serial. */
	SOA_SERIAL_SKIPPED,    /*!< Date serials, but the zone is signed: not rewritten. */
} soa_serial_shown_t;

/*! \brief One (counter, index) an answer bumps; id -1 for none. */
typedef struct {
	int8_t id;
	uint8_t idx;
} soa_count_slot_t;

/*! \brief The counters the answers of one zone version bump, chosen once. */
typedef struct {
	soa_count_slot_t neg_ttl;  /*!< Negative answers: the TTL policy's effect. */
	soa_count_slot_t neg_rule; /*!< Negative answers a rule matched. */
	soa_count_slot_t neg_rw;   /*!< Negative answers: the SOA serial. */
	soa_count_slot_t soa_rw;   /*!< SOA answers: the SOA serial. */
} soa_count_plan_t;

/*!
 * \brief Decides what the answers of a zone version count, besides
 *        negative[...] (every negative answer) and soa-answer (every answer
 *        carrying the zone's SOA in the answer section):
 *
 *  - negative-ttl[capped], negative-ttl[raised]: negative answers whose TTL
 *    negative-ttl-max lowered or negative-ttl-min raised (ttl.h);
 *    negative-ttl[rule]: negative answers whose question a negative-ttl-rule
 *    matched (counted in their place: the rule decides their TTL, query.c
 *    counts plan->neg_rule instead of plan->neg_ttl);
 *  - serial-rewrite[authority], serial-rewrite[answer]: negative and SOA
 *    answers whose SOA got the published serial; serial-rewrite
 *    [skipped-signed]: answers left with the real serial because the zone
 *    is signed.
 *
 * \param m       The zone's counters.
 * \param neg     How the policy changed the negative TTL.
 * \param serial  How the serial appears.
 * \param plan    Output.
 */
void soa_metrics_plan(const soa_metrics_t *m, soa_neg_class_t neg, soa_serial_shown_t serial,
                      soa_count_plan_t *plan);

/*! \brief Counts a slot of a plan. */
static inline void soa_count_slot(const soa_metrics_t *m, unsigned tid, soa_count_slot_t s)
{
	if (s.id >= 0) {
		knotd_mod_stats_incr(m->mod, tid, s.id, s.idx, 1);
	}
}
