"""make deb, tested as an operator uses it: dpkg -i, the system knotd with a
configuration that uses mod-soa without a module: section, queries, dpkg -r.
The machine is left as it was found, whether the test passes or not."""

import os
import shutil
import subprocess

import dns.rcode
import pytest

from knotharness import KNOT_PREFIX, MODULE, ROOT, module_dir, soa_zone

PKG = "knot-module-soa"
Z = "example.test."


def installed():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PKG], capture_output=True, text=True)
    return "install ok installed" in r.stdout


pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="dpkg -i needs root"),
    pytest.mark.skipif(bool(KNOT_PREFIX), reason="the package is for the system's knot package"),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="not a Debian system"),
]


def test_deb_installs_autoloads_and_removes(knot, tmp_path):
    if installed():
        pytest.skip(f"{PKG} is installed already: not touching it")
    build = os.path.dirname(MODULE)
    r = subprocess.run(["make", "-s", "-C", ROOT, "deb", f"BUILD={build}", f"DEB_DIR={tmp_path}"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    deb = r.stdout.strip().splitlines()[-1]
    assert os.path.basename(deb).startswith(f"{PKG}_") and deb.endswith(".deb"), deb

    info = subprocess.run(["dpkg-deb", "-f", deb, "Depends", "Version"], capture_output=True,
                          text=True).stdout
    knot_version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "knot"],
                                  capture_output=True, text=True).stdout.strip()
    assert f"knot (= {knot_version})" in info, info

    target = os.path.join(module_dir(), "soa.so")
    # Knot's package does not own its module directory: dpkg -r removes it
    # with the package if it was empty. What existed before is put back.
    existed = [d for d in (module_dir(), os.path.dirname(module_dir())) if os.path.isdir(d)]
    try:
        r = subprocess.run(["dpkg", "-i", deb], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert os.path.exists(target)
        docs = subprocess.run(["dpkg", "-L", PKG], capture_output=True, text=True).stdout
        for f in ("copyright", "changelog.Debian.gz", "mod-soa.rst"):
            assert f"/usr/share/doc/{PKG}/{f}" in docs, docs

        # No module: section: knotd loads soa.so from its module directory.
        k = knot({Z: soa_zone(Z, serial=501)}, module=False,
                 extra_conf="mod-soa:\n  - id: capped\n    negative-ttl-max: 42",
                 template_extra=["module: mod-soa/capped"])
        k.start()
        r = k.query("nx." + Z, "A")
        assert r.rcode() == dns.rcode.NXDOMAIN and r.authority[0].ttl == 42
        assert k.soa_serial(Z) != 501                  # published date serial
        k.stop()
        assert "mod-soa" not in k.stderr_text()        # no refusal, no warning

        r = subprocess.run(["dpkg", "-r", PKG], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert not os.path.exists(target) and not installed()
    finally:
        if installed():
            subprocess.run(["dpkg", "--purge", PKG], capture_output=True)
        for d in reversed(existed):
            os.makedirs(d, exist_ok=True)
    assert not os.path.exists(target)
