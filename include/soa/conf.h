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
 * \brief The mod-soa configuration section: schema, checks, and the
 *        options one module instance runs with.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <knot/module.h>

#include "soa/ttl.h"

#define MOD_NEG_TTL_MIN   "\x10""negative-ttl-min"
#define MOD_NEG_TTL_MAX   "\x10""negative-ttl-max"
#define MOD_MIN_AS_FLOOR  "\x10""minimum-as-floor"
#define MOD_LINT          "\x04""lint"
#define MOD_SERIAL_FORMAT "\x0D""serial-format"
#define MOD_SERIAL_FLOOR  "\x0C""serial-floor"
#define MOD_STATE_DB      "\x08""state-db"
#define MOD_NOTIFY_PUB    "\x10""notify-published"
#define MOD_CHANGE_DETECT "\x0D""change-detect"
#define MOD_STATISTICS    "\x0A""statistics"
#define MOD_NEG_TTL_RULE  "\x11""negative-ttl-rule"
#define MOD_NEG_EXPOSURE  "\x11""negative-exposure"

// Replication health (replica.h).
#define MOD_REPLICA_CHECK    "\x0D""replica-check"
#define MOD_REPLICA_INTERVAL "\x16""replica-check-interval"

/*! \brief serial-format values. */
enum {
	SOA_FORMAT_DATE = 0,
	SOA_FORMAT_KEEP = 1,
};

/*! \brief statistics values besides the groups (metrics.h, soa_group_t). */
enum {
	SOA_STATISTICS_NONE = 100,
	SOA_STATISTICS_ALL,
};

/*! \brief Directory under knotd's database storage used by default. */
#define SOA_STATE_DIR "mod-soa"

/*! \brief The schema (knotd_mod_api's config). */
extern const yp_item_t soa_conf[];

/*! \brief Checks across items (knotd_mod_api's config_check). */
int soa_conf_check(knotd_conf_check_args_t *args);

/*! \brief The options of one module instance. */
typedef struct {
	uint32_t neg_min;       /*!< negative-ttl-min */
	uint32_t neg_max;       /*!< negative-ttl-max */
	bool min_floor;         /*!< minimum-as-floor */
	bool lint;              /*!< lint */
	bool date;              /*!< serial-format: date */
	uint32_t serial_floor;  /*!< serial-floor */
	bool notify;            /*!< notify-published (date serials only) */
	char *state_dir;        /*!< state-db, absolute (date serials only) */
	unsigned groups;        /*!< statistics: soa_group_t bits. */
	uint8_t detect;         /*!< change-detect: soa_detect_mode_t. */
	soa_rule_t *rules;      /*!< negative-ttl-rule values. */
	size_t rule_count;
	bool exposure;          /*!< negative-exposure */
	bool replica;           /*!< replica-check */
	uint32_t replica_interval; /*!< replica-check-interval (s), 0: SOA REFRESH */
} soa_options_t;

/*!
 * \brief Reads the options of a module instance (in load()).
 *
 * \return KNOT_EOK or KNOT_ENOMEM.
 */
int soa_conf_read(knotd_mod_t *mod, soa_options_t *opt);

/*! \brief Frees what soa_conf_read() allocated. */
void soa_conf_free(soa_options_t *opt);
