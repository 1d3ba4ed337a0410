"""make install places soa.so where knotd auto-loads it."""

import os
import shutil
import stat
import subprocess

import pytest

from knotharness import KNOT_PREFIX, MODULE, ROOT, module_dir

MODULE_DIR = module_dir()


def test_install_honours_destdir(tmp_path):
    # The same build as the module under test: the series' prefix and build directory.
    series = [f"KNOT_PREFIX={KNOT_PREFIX}", f"BUILD={os.path.dirname(MODULE)}"] if KNOT_PREFIX else []
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={tmp_path}"] + series,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    target = tmp_path / MODULE_DIR.lstrip("/") / "soa.so"
    assert target.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    with open(target, "rb") as a, open(MODULE, "rb") as b:
        assert a.read() == b.read()


def test_only_the_api_symbol_is_exported():
    out = subprocess.run(["nm", "-D", "--defined-only", MODULE], capture_output=True,
                         text=True).stdout
    names = {line.split()[-1] for line in out.splitlines() if line.split()[-2] in "TDBR"}
    assert names == {"knotd_mod_api"}


@pytest.mark.skipif(os.geteuid() != 0, reason="writes knotd's module directory")
def test_autoload_without_module_section(knot):
    installed = os.path.join(MODULE_DIR, "soa.so")
    if os.path.exists(installed):
        pytest.skip(f"{installed} already exists")
    # Directories this test creates go again afterwards.
    made = []
    d = MODULE_DIR
    while not os.path.isdir(d):
        made.append(d)
        d = os.path.dirname(d)
    os.makedirs(MODULE_DIR, exist_ok=True)
    shutil.copyfile(MODULE, installed)
    try:
        # No module: section; the zone refers to the auto-loaded mod-soa.
        k = knot(module=False, extra_conf="mod-soa:\n  - id: capped\n    negative-ttl-max: 42\n"
                                          "    serial-format: keep",
                 template_extra=["module: mod-soa/capped"])
        k.start()
        assert k.query("nx.example.test.", "A").authority[0].ttl == 42
        k.stop()
    finally:
        os.unlink(installed)
        for d in made:
            os.rmdir(d)
