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
 * \brief Which knotd a module binary may run in.
 */

#include <stddef.h>

#include "soa/series.h"

/*! \brief Reads "X.Y.Z" after any non-digit prefix ("Knot DNS 3.2.6"). */
static bool parse(const char *s, unsigned v[3])
{
	if (s == NULL) {
		return false;
	}
	while (*s != '\0' && (*s < '0' || *s > '9')) {
		s++;
	}
	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9') {
			return false;
		}
		unsigned n = 0;
		while (*s >= '0' && *s <= '9' && n < 100000) {
			n = n * 10 + (unsigned)(*s++ - '0');
		}
		v[i] = n;
		if (i < 2 && *s++ != '.') {
			return false;
		}
	}
	return true;
}

bool soa_series_compatible(const char *built, const char *running)
{
	unsigned b[3], r[3];
	if (!parse(built, b) || !parse(running, r)) {
		return false;
	}
	if (b[0] != r[0] || b[1] != r[1]) {
		return false;
	}
	// 3.5.2 enlarged yp_item_t (the module's schema table) without an ABI bump.
	if (b[0] == 3 && b[1] == 5) {
		return (b[2] >= 2) == (r[2] >= 2);
	}
	return true;
}
