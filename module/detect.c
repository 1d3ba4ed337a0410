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
 * \brief Change detection by polling knotd.
 */

#include "soa/detect.h"
#include "soa/msg.h"
#include "soa/notify.h"
#include "soa/snap.h"

/*! \brief A zone not checked by traffic for this long is polled. With the pass
 *         period (SOA_SERVICE_PASS_MS) a change is seen within a second. */
#define CHECK_MS 850
/*! \brief An allocation this soon after a check was caused by that check. */
#define ANSWER_MS 200

static void checked_at(soa_watch_t *w, uint64_t when)
{
	w->checked_before = w->checked;
	w->checked = when;
}

void soa_detect_add(soa_watch_t *w, uint64_t now, size_t index)
{
	// Spread the first checks over a period so zones do not poll in step.
	uint64_t spread = (index * 7919) % CHECK_MS;
	w->checked = w->checked_before = now - spread;
}

/*! \brief A new allocation since the last pass: lag gauge and NOTIFY. */
static void check_snapshot(soa_watch_t *w, uint64_t now)
{
	rcu_read_lock();
	const soa_snap_t *snap = rcu_dereference(*w->snap);
	if (snap != NULL && (!w->have_published || snap->published != w->published)) {
		if (w->have_published) {
			// The change happened after the last check that still saw the
			// old version (the one before, if the last check found it):
			// an upper bound of the time it went unnoticed.
			uint64_t ref = (snap->built_ms < w->checked + ANSWER_MS) ?
			               w->checked_before : w->checked;
			uint64_t lag = snap->built_ms > ref ? snap->built_ms - ref : 0;
			soa_gauge(w->metrics, SOA_CTR_CHANGE_DETECT_LAG, 0, lag);
			if (w->notify && w->remote_count > 0) {
				soa_notify_queue(w, snap, now);
			}
		}
		w->published = snap->published;
		w->have_published = true;
	}
	rcu_read_unlock();
}

void soa_detect_pass(soa_watch_t *const *watches, size_t count, uint64_t now,
                     const soa_detect_out_t *out)
{
	for (size_t i = 0; i < count; i++) {
		soa_watch_t *w = watches[i];
		check_snapshot(w, now);

		// Answers that carried the SOA (the checks' too) checked the version:
		// poll only zones not checked for CHECK_MS.
		if (__atomic_exchange_n(&w->seen, false, __ATOMIC_RELAXED)) {
			checked_at(w, now);
		}
		if (now < w->checked + CHECK_MS || out->target == NULL || out->fd < 0) {
			continue;
		}
		uint8_t buf[SOA_MSG_MAX];
		size_t len;
		if (soa_msg_soa_query(buf, sizeof(buf), out->id, w->zone, &len) == KNOT_EOK) {
			(void)sendto(out->fd, buf, len, 0, &out->target->sa, soa_addr_len(out->target));
			checked_at(w, now);
		}
	}
}
