/*  Copyright (C) 2026 mod-soa contributors
    SPDX-License-Identifier: GPL-3.0-or-later
 */

/*! \file \brief Index names bound to a pool of callbacks. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/errcode.h>

#include "soa/names.h"
#include "tap.h"

static int name_is(soa_names_fn_t fn, uint32_t idx, const char *want)
{
	char *got = fn(idx, 3);
	int same = (want == NULL) ? got == NULL : (got != NULL && strcmp(got, want) == 0);
	free(got);
	return same;
}

int main(void)
{
	const char *a[] = { "192.0.2.3@53", "192.0.2.4@53", "2001:db8::3@53" };
	const char *b[] = { "192.0.2.3@53", "192.0.2.5@53" };
	soa_names_fn_t fa, fa2, fb, fx;

	int ha = soa_names_intern(a, 3, &fa);
	ok(ha >= 0, "list bound");
	ok(name_is(fa, 0, a[0]) && name_is(fa, 2, a[2]), "  names by index (copies)");
	ok(name_is(fa, 3, NULL), "  none beyond the list");

	int ha2 = soa_names_intern(a, 3, &fa2);
	ok(ha2 == ha && fa2 == fa, "equal list: the same callback");
	int hb = soa_names_intern(b, 2, &fb);
	ok(hb >= 0 && fb != fa, "other list: another callback");
	is_int(KNOT_EINVAL, soa_names_intern(b, 0, &fx), "empty list refused");
	is_int(2, soa_names_in_use(), "two callbacks in use");

	// Released lists keep their names until their callback is needed.
	soa_names_release(ha);
	ok(name_is(fa, 1, a[1]), "still used by one instance");
	soa_names_release(ha2);
	ok(name_is(fa, 1, a[1]), "unused: names kept");
	is_int(ha, soa_names_intern(a, 3, &fx), "bound again: the same callback");
	soa_names_release(ha);

	// Fill the pool with distinct lists.
	char bufs[SOA_NAMES_POOL][32];
	const char *one[SOA_NAMES_POOL][1];
	int handles[SOA_NAMES_POOL];
	int bound = 0;
	for (int i = 0; i < SOA_NAMES_POOL; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "198.51.100.%d@53", i);
		one[i][0] = bufs[i];
		handles[i] = soa_names_intern(one[i], 1, &fx);
		bound += handles[i] >= 0;
	}
	// b holds one callback; a (unused) was rebound for another list.
	is_int(SOA_NAMES_POOL - 1, bound, "pool: every callback but b's bound");
	is_int(KNOT_ELIMIT, handles[SOA_NAMES_POOL - 1], "  then full");
	ok(name_is(fb, 1, b[1]), "  b, in use, untouched");
	soa_names_fn_t f0;
	(void)soa_names_intern(one[0], 1, &f0);
	ok(name_is(f0, 0, bufs[0]), "  a rebound list names its own");

	soa_names_release(hb);
	is_int(hb, soa_names_intern(one[SOA_NAMES_POOL - 1], 1, &fx), "released: its callback reused");
	ok(name_is(fx, 0, bufs[SOA_NAMES_POOL - 1]), "  with the new names");

	soa_names_clear();
	is_int(0, soa_names_in_use(), "cleared");
	return done_testing();
}
