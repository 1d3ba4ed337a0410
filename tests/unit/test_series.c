/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief Which knotd a module binary may run in. */

#include "soa/series.h"
#include "tap.h"

static void check(const char *built, const char *running, bool want)
{
	ok(soa_series_compatible(built, running) == want, "built %s, running %s: %s",
	   built ? built : "(null)", running ? running : "(null)", want ? "loads" : "refused");
}

int main(void)
{
	check("3.2.6", "3.2.6", true);
	check("3.2.6", "Knot DNS 3.2.6", true);   // knotd_conf_env(VERSION)
	check("3.5.6", "Knot DNS 3.4.10", false);
	check("3.2.6", "3.2.15", true);
	check("3.3.10", "3.3.4", true);
	check("3.4.10", "3.4.6-1", true);          // Debian 13's version string
	check("3.5.6", "3.5.2", true);
	check("3.5.6", "3.5.10", true);
	check("3.5.0", "3.5.1", true);
	check("3.5.1", "3.5.0", true);

	check("3.5.6", "3.5.1", false);            // yp_item_t grew in 3.5.2
	check("3.5.6", "3.5.0", false);
	check("3.5.1", "3.5.2", false);
	check("3.4.10", "3.5.6", false);           // same ABI 600, other libknot
	check("3.5.6", "3.4.10", false);
	check("3.2.6", "3.3.10", false);
	check("3.3.10", "3.2.6", false);
	check("3.5.6", "4.5.6", false);
	check("3.10.1", "3.1.0", false);

	check("", "3.2.6", false);
	check("3.2", "3.2.6", false);
	check("3.2.6", "3.2.", false);
	check("3.2.6", "x.2.6", false);
	check("3.2.6", "Knot DNS", false);
	check(NULL, "3.2.6", false);
	check("3.2.6", NULL, false);
	return done_testing();
}
