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
 * \brief knotd's zone-updated events on D-Bus.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <libknot/libknot.h>

#include "soa/dbus.h"

/*! \brief knotd's bus name, object and interface (knot/common/dbus.h). */
#define KNOTD_NAME  "cz.nic.knotd"
#define KNOTD_MATCH "type='signal',sender='" KNOTD_NAME "',path='/cz/nic/knotd'," \
                    "interface='" KNOTD_NAME ".events',member='zone_updated'"
/*! \brief Longest wait for the bus to answer a call. */
#define CALL_TIMEOUT_US (1000 * 1000)

struct soa_dbus {
	sd_bus *bus;
	sd_bus_slot *match;
	soa_dbus_signal_f cb;
	void *ctx;
};

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	(void)error;
	soa_dbus_t *d = userdata;
	const char *zone = NULL;
	uint32_t serial = 0;
	if (sd_bus_message_read(m, "su", &zone, &serial) >= 0 && zone != NULL) {
		d->cb(d->ctx, zone, serial);
	}
	return 0;
}

int soa_dbus_open(soa_dbus_signal_f cb, void *ctx, soa_dbus_t **out)
{
	soa_dbus_t *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return KNOT_ENOMEM;
	}
	d->cb = cb;
	d->ctx = ctx;
	int ret = sd_bus_open_system(&d->bus);
	if (ret >= 0) {
		ret = sd_bus_set_method_call_timeout(d->bus, CALL_TIMEOUT_US);
	}
	if (ret >= 0) {
		ret = sd_bus_add_match(d->bus, &d->match, KNOTD_MATCH, on_signal, d);
	}
	if (ret < 0) {
		soa_dbus_close(d);
		return ret;
	}
	*out = d;
	return KNOT_EOK;
}

int soa_dbus_knotd_here(soa_dbus_t *d)
{
	sd_bus_creds *creds = NULL;
	int ret = sd_bus_get_name_creds(d->bus, KNOTD_NAME, SD_BUS_CREDS_PID, &creds);
	if (ret < 0) {
		// No owner of the name: knotd is not on this bus.
		return (ret == -ENXIO || ret == -ESRCH) ? KNOT_ENOENT : ret;
	}
	pid_t pid = 0;
	ret = sd_bus_creds_get_pid(creds, &pid);
	sd_bus_creds_unref(creds);
	if (ret < 0) {
		return ret;
	}
	return (pid == getpid()) ? KNOT_EOK : KNOT_ENOENT;
}

int soa_dbus_fd(soa_dbus_t *d, short *events)
{
	int ev = sd_bus_get_events(d->bus);
	*events = (ev > 0) ? (short)ev : POLLIN;
	return sd_bus_get_fd(d->bus);
}

int soa_dbus_process(soa_dbus_t *d)
{
	int ret;
	// Bounded: a flood is taken in parts, the thread has other work too.
	for (int i = 0; i < 1024; i++) {
		ret = sd_bus_process(d->bus, NULL);
		if (ret <= 0) {
			break;
		}
	}
	return (ret < 0) ? ret : KNOT_EOK;
}

void soa_dbus_close(soa_dbus_t *d)
{
	if (d == NULL) {
		return;
	}
	sd_bus_slot_unref(d->match);
	sd_bus_flush_close_unref(d->bus);
	free(d);
}
