"""Fixtures: real knotd processes with the built module, on loopback."""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from knotharness import MODULE, Knotd, soa_zone  # noqa: E402


def pytest_sessionstart(session):
    if not os.path.exists(MODULE):
        raise pytest.UsageError(f"{MODULE} is missing: run make first")
    # An installed copy would be auto-loaded next to the one the tests declare.
    instdir = subprocess.run(["pkg-config", "--variable=module_instdir", "knotd"],
                             capture_output=True, text=True).stdout.strip()
    if instdir and os.path.exists(os.path.join(instdir, "soa.so")):
        raise pytest.UsageError(f"{instdir}/soa.so is installed: knotd would load it "
                                "twice; remove it to run the tests")


@pytest.fixture
def knot(tmp_path):
    """Factory: knot(zones, **Knotd options) -> an unstarted Knotd.

    At teardown every server the test left running must still be alive
    (the module must never crash knotd) and is then stopped.
    """
    servers = []

    def make(zones=None, name=None, **kw):
        zones = zones if zones is not None else {"example.test.": soa_zone("example.test.")}
        workdir = tmp_path / (name or f"knot{len(servers)}")
        k = Knotd(str(workdir), zones, **kw)
        servers.append(k)
        return k

    yield make

    dead = []
    for k in servers:
        if k.proc is not None and not k.alive():
            dead.append(k.dir)
        k.stop()
        log = k.log_text()
        assert "segfault" not in log.lower()
    assert not dead, f"knotd died during the test: {dead}"


@pytest.fixture
def zone_text():
    return soa_zone
