"""What mod-soa assumes about knotd beyond knot/module.h, and the differences
between Knot series, tested on every series make check covers: each test here
fails if a knotd release breaks an assumption module/knotd_compat.c makes."""

import os
import time

import dns.rcode
import pytest

from knotharness import soa_zone

Z = "example.test."

# A module built for the other series of the same module ABI (3.4 <-> 3.5),
# set by make check-series-X.Y.Z.
SAME_ABI = os.environ.get("SOA_MODULE_SAME_ABI", "")


@pytest.mark.skipif(not SAME_ABI, reason="no build of another series with this module ABI "
                    "(only 3.4 and 3.5 share one; make check-series-X.Y.Z sets it)")
def test_build_of_another_series_is_refused_before_its_schema_is_read(knot):
    """3.4 and 3.5 share module ABI 600, but not the layout of the
    configuration schema: knotd 3.5.6 crashed on a 3.4 build and 3.4.10
    refused every option of a 3.5.6 build. The library withdraws its ABI
    version when it finds a second libknot in the process, so knotd refuses
    it as it refuses any module of another ABI: it does not start, and says
    why (the configuration names the module explicitly)."""
    k = knot(module=False, extra_conf=f'module:\n  - id: mod-soa\n    file: "{SAME_ABI}"',
             template_extra=["module: mod-soa"])
    with pytest.raises(RuntimeError):
        k.start(timeout=10)
    assert k.returncode == 1, k.returncode                   # an error exit, not a crash
    out = k.stderr_text() + k.log_text()
    assert "module 'mod-soa', incompatible version" in out, out
    assert "mod-soa: built for Knot DNS" in out and "libknot.so.15" in out, out
    assert "libknot.so.16" in out and "invalid item" not in out, out


@pytest.mark.series((3, 3), None)
def test_zone_added_by_conf_transaction_gets_the_module(knot):
    """knotc conf-begin/conf-set/conf-commit adds a zone whose template uses
    mod-soa; the new zone's module instance works (knotd 3.3+: the same
    transaction crashed 3.2.6, see docs/mod-soa.rst)."""
    k = knot(mod_conf={"negative-ttl-max": 42})
    k.start()
    new = "added.test."
    k.write_zone(new, soa_zone(new, serial=501))
    k.knotc("conf-begin")
    k.knotc("conf-set", "zone.domain", new)
    k.knotc("conf-commit")
    for _ in range(100):                      # the zone loads in the background
        r = k.query("nx." + new, "A", timeout=0.5)
        if r.rcode() == dns.rcode.NXDOMAIN:
            break
        time.sleep(0.05)
    assert r.rcode() == dns.rcode.NXDOMAIN, k.log_text()
    assert r.authority[0].ttl == 42
    assert k.soa_serial(new) != 501                   # a published date serial
    assert k.query("nx." + Z, "A").authority[0].ttl == 42
    assert k.alive()
