"""Change detection from knotd's zone-updated events on D-Bus (change-detect:
auto and dbus), and the fallbacks to polling: knotd without dbus-event, no
bus at start, the bus killed or restarted mid-run. A private dbus-daemon
(sysbus.py) stands in for the system bus. No query reaches the zones: knotd
is started and watched through knotc only."""

import re
import time

import pytest

from knotharness import LOCAL_ACL, ddns, remote_conf, soa_zone
from sysbus import SystemBus
from test_detect import FakeSecondary, wait_for

Z = "example.test."
DBUS_LINE = "change detection: knotd's zone-updated events on D-Bus"


@pytest.fixture
def bus(tmp_path):
    b = SystemBus(tmp_path / "bus").start()
    yield b
    b.stop()


@pytest.fixture
def secondary():
    s = FakeSecondary()
    yield s
    s.close()


def primary(knot, bus_address, sec=None, dbus_event=True, mod_conf=None, zones=None):
    conf = {"serial-format": "date"}
    conf.update(mod_conf or {})
    kw = dict(acl_conf=LOCAL_ACL, template_extra=["acl: local"],
              env={"DBUS_SYSTEM_BUS_ADDRESS": bus_address})
    if dbus_event:
        kw["server_extra"] = ["dbus-event: zone-updated"]
    if sec is not None:
        kw["extra_conf"] = remote_conf("sec", sec.port)
        kw["template_extra"] = ["acl: local", "notify: sec"]
    zones = zones or {Z: soa_zone(Z, serial=501, refresh=3600)}
    return knot(zones, mod_conf=conf, **kw)


def stat(k, name, zone=Z):
    return k.stats(zone, settle=False)[name]


def wait_update(k, before, timeout, zone=Z):
    """Waits (through knotc) for serial-update to pass before; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = stat(k, "serial-update", zone)
        if n > before:
            return n
        time.sleep(0.02)
    raise AssertionError(f"{zone}: no new published serial within {timeout} s")


def change(k, how, i):
    """Changes the zone the way operators do, without querying it."""
    if how == "reload":
        k.reload_zone(Z, soa_zone(Z, serial=600 + i, refresh=3600, body=[f"r{i} A 192.0.2.1"]))
    elif how == "ddns":
        ddns(k, Z, adds=[(f"d{i}", 300, "A", "192.0.2.2")])
    else:
        k.knotc("zone-begin", Z)
        k.knotc("zone-set", Z, f"t{i}", "300", "A", "192.0.2.3")
        k.knotc("zone-commit", Z)


@pytest.mark.parametrize("mode", ["auto", "dbus"])
def test_changes_detected_within_100ms_and_notified(knot, bus, secondary, mode):
    k = primary(knot, bus.address, secondary, mod_conf={"change-detect": mode})
    k.start(by_ctl=True)
    wait_for(lambda: DBUS_LINE in k.log_text(), 5, "D-Bus in use")
    updates = wait_update(k, 0, 5)                   # the first version, at start
    for i, how in enumerate(["reload", "ddns", "transaction"]):
        change(k, how, i)
        updates = wait_update(k, updates, 5)
        published = stat(k, "soa[published-serial]")
        assert stat(k, "change-detect-lag") <= 100, how
        wait_for(lambda: published in secondary.serials(), 3, f"NOTIFY after {how}")
    # Once per knotd start, not per zone or change.
    assert len(re.findall("change detection", k.log_text())) == 1


def test_bus_killed_polling_takes_over(knot, bus):
    k = primary(knot, bus.address)
    k.start(by_ctl=True)
    wait_for(lambda: DBUS_LINE in k.log_text(), 5, "D-Bus in use")
    updates = wait_update(k, 0, 5)
    bus.kill()
    change(k, "reload", 0)
    updates = wait_update(k, updates, 5)          # found by polling
    assert "change detection falls back: polling" in k.log_text()
    assert "D-Bus connection lost" in k.log_text()

    # The bus comes back, but knotd connects once, at start: it stays polling.
    bus.start()
    time.sleep(6)                                  # the module tries again every 5 s
    change(k, "ddns", 1)
    wait_update(k, updates, 5)
    assert DBUS_LINE + ", for every zone" in k.log_text()
    assert len(re.findall("change detection back", k.log_text())) == 0
    assert k.alive()


def test_without_dbus_event_polls(knot, bus):
    k = primary(knot, bus.address, dbus_event=False)
    k.start(by_ctl=True)
    updates = wait_update(k, 0, 5)
    change(k, "reload", 0)
    wait_update(k, updates, 5)
    log = k.log_text()
    assert "change detection: polling, at most" in log
    assert "server dbus-event lacks zone-updated" in log
    assert DBUS_LINE not in log


def test_no_bus_at_start_polls(knot, tmp_path):
    k = primary(knot, f"unix:path={tmp_path}/no-such-bus")
    k.start(by_ctl=True)
    updates = wait_update(k, 0, 5)
    change(k, "ddns", 0)
    wait_update(k, updates, 5)
    assert "change detection: polling, at most" in k.log_text()
    assert "no D-Bus" in k.log_text()


def test_dbus_mode_warns_when_knotd_does_not_emit(knot, bus):
    k = primary(knot, bus.address, dbus_event=False, mod_conf={"change-detect": "dbus"})
    k.start(by_ctl=True)
    wait_for(lambda: "change detection: polling" in k.log_text(), 5, "polling")
    assert re.search(r"warning: .*change detection: polling", k.log_text())


def test_off_sees_changes_only_through_answers(knot, bus, secondary):
    k = primary(knot, bus.address, secondary, mod_conf={"change-detect": "off"})
    k.start(by_ctl=True)
    wait_for(lambda: "change detection: off" in k.log_text(), 5, "the log line")
    k.soa_serial(Z)                                # the first version, seen by an answer
    before = stat(k, "serial-update")
    change(k, "ddns", 0)
    time.sleep(2)
    assert stat(k, "serial-update") == before      # nobody asked
    p = k.soa_serial(Z)                            # an answer carrying the SOA
    assert stat(k, "serial-update") == before + 1
    wait_for(lambda: p in secondary.serials(), 3, "NOTIFY once seen")


def test_flood_of_signals_loses_nothing(knot, bus):
    """Every zone changed at once: each gets its published serial, and the
    workers keep answering meanwhile."""
    n = 300
    zones = {f"z{i}.test.": soa_zone(f"z{i}.test.", serial=501) for i in range(n)}
    k = primary(knot, bus.address, zones=zones)
    k.start(by_ctl=True, timeout=60)
    wait_for(lambda: DBUS_LINE in k.log_text(), 10, "D-Bus in use")
    wait_for(lambda: k.log_text().count("published as") >= n, 20, "first versions")
    for name in zones:
        k.write_zone(name, soa_zone(name, serial=502))
    t0 = time.monotonic()
    k.knotc("zone-reload")                         # every zone at once
    r = k.query("nx.z0.test.", "A", timeout=1)     # a worker answers meanwhile
    assert r.rcode() == 3
    wait_for(lambda: k.log_text().count("serial 502 published as") >= n, 20, "every zone")
    elapsed = time.monotonic() - t0
    assert elapsed < 20
    lags = [k.stats(name, settle=False)["change-detect-lag"] for name in list(zones)[:20]]
    assert max(lags) < 5000, lags
