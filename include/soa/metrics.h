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
 * \brief Counters and gauges shown by knotc zone-stats ZONE mod-soa.
 *
 * The registration order fixes the counter ids, so the groups every
 * configuration needs come first and the serial groups last.
 */

#pragma once

#include <knot/module.h>

/*! \brief Counter ids, in registration order. */
typedef enum {
	SOA_CTR_NEGATIVE = 0,      /*!< negative[nxdomain|nodata] */
	SOA_CTR_NEGATIVE_TTL,      /*!< negative-ttl[capped|raised] */
	SOA_CTR_SOA_ANSWER,        /*!< soa-answer */
	SOA_CTR_FLOOR_RAISED,      /*!< floor-raised */
	SOA_CTR_SOA,               /*!< soa[...] gauges */
	SOA_CTR_LINT,              /*!< lint[...] gauges */
	SOA_CTR_BASE__COUNT,       /*!< Groups registered in every configuration. */
	SOA_CTR_SERIAL_UPDATE = SOA_CTR_BASE__COUNT, /*!< serial-update */
	SOA_CTR_SERIAL_REWRITE,    /*!< serial-rewrite[...] */
	SOA_CTR_TRANSFER,          /*!< transfer[...] */
	SOA_CTR_STATE_ERROR,       /*!< state-error */
	SOA_CTR_NOTIFY,            /*!< notify[sent|acked|failed] */
	SOA_CTR_CHANGE_DETECT_LAG, /*!< change-detect-lag gauge */
	SOA_CTR__COUNT
} soa_ctr_t;

/*! \brief negative[...] indexes. */
enum { SOA_NEG_NXDOMAIN = 0, SOA_NEG_NODATA, SOA_NEG__COUNT };

/*! \brief negative-ttl[...] indexes (soa_neg_class_t - 1). */
enum { SOA_NEGTTL_CAPPED = 0, SOA_NEGTTL_RAISED, SOA_NEGTTL__COUNT };

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

/*!
 * \brief Registers the counters.
 *
 * \param mod     Module.
 * \param serial  Also register the serial groups (serial-format: date).
 *
 * \return KNOT_EOK or an error.
 */
int soa_metrics_register(knotd_mod_t *mod, bool serial);

/*! \brief Counts one event from a worker thread. */
static inline void soa_count(knotd_mod_t *mod, knotd_qdata_t *qdata, soa_ctr_t ctr,
                             uint32_t idx)
{
	knotd_mod_stats_incr(mod, qdata->params->thread_id, ctr, idx, 1);
}

/*! \brief Counts n events from a worker thread. */
static inline void soa_count_n(knotd_mod_t *mod, knotd_qdata_t *qdata, soa_ctr_t ctr,
                               uint32_t idx, uint64_t n)
{
	knotd_mod_stats_incr(mod, qdata->params->thread_id, ctr, idx, n);
}

/*! \brief Sets a gauge: one thread slot holds the value, so the sum is exact. */
static inline void soa_gauge(knotd_mod_t *mod, soa_ctr_t ctr, uint32_t idx, uint64_t val)
{
	knotd_mod_stats_store(mod, 0, ctr, idx, val);
}
