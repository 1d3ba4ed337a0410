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
 * \brief A pool of index-name callbacks bound to lists of names.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/errcode.h>

#include "soa/names.h"

/*! \brief One callback's list. */
typedef struct {
	unsigned refs;     /*!< Registrations using it. */
	unsigned count;    /*!< 0: not bound. */
	char **names;
} list_t;

/*! \brief Binding and release run in knotd's main thread (load, unload), the
 *         callbacks in any thread: a list is not changed while in use. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static list_t pool[SOA_NAMES_POOL];

static char *name_of(unsigned slot, uint32_t idx)
{
	const list_t *l = &pool[slot];
	return idx < l->count ? strdup(l->names[idx]) : NULL;
}

#define FN(n) \
	static char *fn_##n(uint32_t idx, uint32_t count) \
	{ \
		(void)count; \
		return name_of(n, idx); \
	}

FN(0) FN(1) FN(2) FN(3) FN(4) FN(5) FN(6) FN(7)
FN(8) FN(9) FN(10) FN(11) FN(12) FN(13) FN(14) FN(15)
FN(16) FN(17) FN(18) FN(19) FN(20) FN(21) FN(22) FN(23)
FN(24) FN(25) FN(26) FN(27) FN(28) FN(29) FN(30) FN(31)
FN(32) FN(33) FN(34) FN(35) FN(36) FN(37) FN(38) FN(39)
FN(40) FN(41) FN(42) FN(43) FN(44) FN(45) FN(46) FN(47)
FN(48) FN(49) FN(50) FN(51) FN(52) FN(53) FN(54) FN(55)
FN(56) FN(57) FN(58) FN(59) FN(60) FN(61) FN(62) FN(63)
FN(64) FN(65) FN(66) FN(67) FN(68) FN(69) FN(70) FN(71)
FN(72) FN(73) FN(74) FN(75) FN(76) FN(77) FN(78) FN(79)
FN(80) FN(81) FN(82) FN(83) FN(84) FN(85) FN(86) FN(87)
FN(88) FN(89) FN(90) FN(91) FN(92) FN(93) FN(94) FN(95)
FN(96) FN(97) FN(98) FN(99) FN(100) FN(101) FN(102) FN(103)
FN(104) FN(105) FN(106) FN(107) FN(108) FN(109) FN(110) FN(111)
FN(112) FN(113) FN(114) FN(115) FN(116) FN(117) FN(118) FN(119)
FN(120) FN(121) FN(122) FN(123) FN(124) FN(125) FN(126) FN(127)

static const soa_names_fn_t fns[SOA_NAMES_POOL] = {
	fn_0, fn_1, fn_2, fn_3, fn_4, fn_5, fn_6, fn_7,
	fn_8, fn_9, fn_10, fn_11, fn_12, fn_13, fn_14, fn_15,
	fn_16, fn_17, fn_18, fn_19, fn_20, fn_21, fn_22, fn_23,
	fn_24, fn_25, fn_26, fn_27, fn_28, fn_29, fn_30, fn_31,
	fn_32, fn_33, fn_34, fn_35, fn_36, fn_37, fn_38, fn_39,
	fn_40, fn_41, fn_42, fn_43, fn_44, fn_45, fn_46, fn_47,
	fn_48, fn_49, fn_50, fn_51, fn_52, fn_53, fn_54, fn_55,
	fn_56, fn_57, fn_58, fn_59, fn_60, fn_61, fn_62, fn_63,
	fn_64, fn_65, fn_66, fn_67, fn_68, fn_69, fn_70, fn_71,
	fn_72, fn_73, fn_74, fn_75, fn_76, fn_77, fn_78, fn_79,
	fn_80, fn_81, fn_82, fn_83, fn_84, fn_85, fn_86, fn_87,
	fn_88, fn_89, fn_90, fn_91, fn_92, fn_93, fn_94, fn_95,
	fn_96, fn_97, fn_98, fn_99, fn_100, fn_101, fn_102, fn_103,
	fn_104, fn_105, fn_106, fn_107, fn_108, fn_109, fn_110, fn_111,
	fn_112, fn_113, fn_114, fn_115, fn_116, fn_117, fn_118, fn_119,
	fn_120, fn_121, fn_122, fn_123, fn_124, fn_125, fn_126, fn_127,
};

static void unbind(list_t *l)
{
	for (unsigned i = 0; i < l->count; i++) {
		free(l->names[i]);
	}
	free(l->names);
	l->names = NULL;
	l->count = 0;
}

static bool equal(const list_t *l, const char *const *names, unsigned count)
{
	if (l->count != count) {
		return false;
	}
	for (unsigned i = 0; i < count; i++) {
		if (strcmp(l->names[i], names[i]) != 0) {
			return false;
		}
	}
	return true;
}

static int bind_list(list_t *l, const char *const *names, unsigned count)
{
	l->names = calloc(count, sizeof(*l->names));
	if (l->names == NULL) {
		return KNOT_ENOMEM;
	}
	for (unsigned i = 0; i < count; i++) {
		l->names[i] = strdup(names[i]);
		if (l->names[i] == NULL) {
			l->count = i;
			unbind(l);
			return KNOT_ENOMEM;
		}
	}
	l->count = count;
	return KNOT_EOK;
}

int soa_names_intern(const char *const *names, unsigned count, soa_names_fn_t *fn)
{
	if (names == NULL || count == 0 || fn == NULL) {
		return KNOT_EINVAL;
	}
	pthread_mutex_lock(&lock);

	// The same list: share its callback (also one no instance uses now).
	int found = -1, empty = -1, unused = -1;
	for (int i = 0; i < SOA_NAMES_POOL && found < 0; i++) {
		list_t *l = &pool[i];
		if (l->count > 0 && equal(l, names, count)) {
			found = i;
		} else if (l->count == 0 && empty < 0) {
			empty = i;
		} else if (l->count > 0 && l->refs == 0 && unused < 0) {
			unused = i;
		}
	}

	// Else a free callback: never bound first, then one bound to a list
	// no instance uses any more.
	int ret = KNOT_EOK;
	if (found < 0) {
		found = (empty >= 0) ? empty : unused;
		if (found < 0) {
			ret = KNOT_ELIMIT;
		} else {
			unbind(&pool[found]);
			ret = bind_list(&pool[found], names, count);
		}
	}
	if (ret == KNOT_EOK) {
		pool[found].refs++;
		*fn = fns[found];
		ret = found;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

void soa_names_release(int handle)
{
	if (handle < 0 || handle >= SOA_NAMES_POOL) {
		return;
	}
	pthread_mutex_lock(&lock);
	// The names stay until the callback is needed for another list.
	if (pool[handle].refs > 0) {
		pool[handle].refs--;
	}
	pthread_mutex_unlock(&lock);
}

unsigned soa_names_in_use(void)
{
	unsigned n = 0;
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < SOA_NAMES_POOL; i++) {
		n += (pool[i].refs > 0);
	}
	pthread_mutex_unlock(&lock);
	return n;
}

void soa_names_clear(void)
{
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < SOA_NAMES_POOL; i++) {
		unbind(&pool[i]);
		pool[i].refs = 0;
	}
	pthread_mutex_unlock(&lock);
}
