/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*!
 * \file
 *
 * \brief Minimal TAP producer for the unit tests (run by make check-unit or prove).
 */

#pragma once

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

static int tap_count;
static int tap_failed;

static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(expected, got, ...) do { \
	long long e_ = (long long)(expected), g_ = (long long)(got); \
	if (!tap_ok(e_ == g_, __FILE__, __LINE__, __VA_ARGS__)) { \
		printf("#   expected %lld, got %lld\n", e_, g_); \
	} \
} while (0)

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed > 0 ? 1 : 0;
}
