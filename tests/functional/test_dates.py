"""Date transitions: knotd runs under faketime, starting just before a UTC
midnight, and the published serial crosses it and the NN=99 spill."""

import os
import time

import pytest

from knotharness import LOCAL_ACL, ddns, soa_zone

Z = "example.test."

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

pytestmark = pytest.mark.skipif(not os.path.exists(LIBFAKETIME), reason="faketime missing")


def faked(knot, start):
    # Preloaded into knotd itself: the faketime wrapper forks, so signals
    # would reach the wrapper instead of knotd.
    env = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": f"@{start}", "TZ": "UTC",
           "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    return knot({Z: soa_zone(Z, serial=501)}, mod_conf={"serial-format": "date"},
                acl_conf=LOCAL_ACL, template_extra=["acl: local"], workers=1, env=env)


def wait_fake_midnight(k, seconds_after_start, started):
    """Sleeps until the faked clock is past midnight (it runs at real speed)."""
    remaining = seconds_after_start - (time.monotonic() - started) + 0.5
    if remaining > 0:
        time.sleep(remaining)


def test_cross_midnight(knot):
    started = time.monotonic()
    k = faked(knot, "2026-11-21 23:59:56").start()
    assert k.soa_serial(Z) == 2026112100
    ddns(k, Z, adds=[("a", 300, "A", "192.0.2.1")])
    assert k.soa_serial(Z) == 2026112101
    wait_fake_midnight(k, 4, started)
    ddns(k, Z, adds=[("b", 300, "A", "192.0.2.2")])
    assert k.soa_serial(Z) == 2026112200
    ddns(k, Z, adds=[("c", 300, "A", "192.0.2.3")])
    assert k.soa_serial(Z) == 2026112201


def test_spill_past_99_then_midnight(knot):
    started = time.monotonic()
    k = faked(knot, "2026-11-21 23:59:20").start()
    seen = [k.soa_serial(Z)]
    for i in range(100):
        ddns(k, Z, adds=[(f"u{i}", 300, "A", "192.0.2.1")])
        seen.append(k.soa_serial(Z))
    assert time.monotonic() - started < 40, "too slow to stay before the faked midnight"
    # 00..99 on the 21st, then the spill into the next numbers.
    assert seen == list(range(2026112100, 2026112200)) + [2026112200]

    # On the 22nd the base (2026112200) is taken already: +1 from there.
    wait_fake_midnight(k, 41, started)
    ddns(k, Z, adds=[("next-day", 300, "A", "192.0.2.9")])
    assert k.soa_serial(Z) == 2026112201


def test_days_later_start_at_00(knot):
    """A zone whose last change was days ago starts the new day at 00, and a
    restart on that day keeps what was published."""
    k = faked(knot, "2026-12-31 23:59:58").start()
    assert k.soa_serial(Z) == 2026123100
    time.sleep(3)
    ddns(k, Z, adds=[("y", 300, "A", "192.0.2.1")])
    assert k.soa_serial(Z) == 2027010100
    k.restart()
    assert k.soa_serial(Z) == 2027010100
