"""Fixtures: real knotd processes with the built module, on loopback."""

import glob
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from knotharness import MODULE, Knotd, soa_zone  # noqa: E402
from knotharness import KNOTD, KNOTD_EXTRA_ENV, KNOT_VERSION, module_dir  # noqa: E402

# Sanitizers (make check-asan): the module under test is built with ASan and
# UBSan, knotd gets the runtime preloaded through SOA_KNOTD_ENV, every report
# fails the test that produced it. See README.md, "Sanitizers".
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "UndefinedBehaviorSanitizer")


def module_sanitized():
    """The module under test needs the ASan runtime (built by make asan)."""
    try:
        with open(MODULE, "rb") as f:
            return b"libasan.so" in f.read()
    except OSError:
        return False


SANITIZED = module_sanitized()

# Tests that cannot run against the sanitized build, with the reason.
SKIP_UNDER_ASAN = {
    "test_install.py::test_install_honours_destdir":
        "compares make install's build/soa.so with SOA_MODULE, the sanitized build "
        "(make check runs it on the normal build)",
    "test_deb.py::test_deb_installs_autoloads_and_removes":
        "make deb packages the normal build (make check runs it there)",
    "test_install.py::test_only_the_api_symbol_is_exported":
        "ASan exports its ODR indicator __odr_asan.knotd_mod_api next to knotd_mod_api "
        "(make check runs it on the normal build)",
}


def sanitizer_report_files():
    """Reports kept by tests/sanitizers/knotc (make check-asan sets KNOTC to it)."""
    reports = os.environ.get("SOA_SANITIZER_REPORTS")
    return set(glob.glob(os.path.join(reports, "*"))) if reports else set()


def sanitizer_report(text, limit=20000):
    """The part of text from the first sanitizer report on, or ''."""
    hits = [text.find(m) for m in SANITIZER_MARKERS if m in text]
    if not hits:
        return ""
    start = text.rfind("\n", 0, min(hits)) + 1
    banner = text.rfind("=================", 0, start)   # ASan's banner line, if any
    if banner != -1 and start - banner < 200:
        start = text.rfind("\n", 0, banner) + 1
    return text[start:start + limit]


def pytest_sessionstart(session):
    if not os.path.exists(MODULE):
        raise pytest.UsageError(f"{MODULE} is missing: run make first")
    if SANITIZED:
        if "libasan" not in KNOTD_EXTRA_ENV.get("LD_PRELOAD", ""):
            raise pytest.UsageError(f"{MODULE} is built with ASan: knotd needs the runtime "
                                    "preloaded through SOA_KNOTD_ENV; run make check-asan")
        if "verify_asan_link_order=0" not in os.environ.get("ASAN_OPTIONS", ""):
            raise pytest.UsageError(f"{MODULE} is built with ASan: knotc loads it without "
                                    "the preload and needs ASAN_OPTIONS=verify_asan_link_order=0;"
                                    " run make check-asan")
    # An installed copy would be auto-loaded next to the one the tests declare.
    instdir = module_dir()
    if instdir and os.path.exists(os.path.join(instdir, "soa.so")):
        raise pytest.UsageError(f"{instdir}/soa.so is installed: knotd would load it "
                                "twice; remove it to run the tests")


def pytest_report_header(config):
    return f"knotd {'.'.join(map(str, KNOT_VERSION))} ({KNOTD}), module {MODULE}"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "series(low, high): the test describes knotd releases from low up to, "
        "not including, high (version tuples, either None); it is skipped on others")


def series_skip(item):
    """The reason to skip a series-marked test on the knotd under test, or None."""
    mark = item.get_closest_marker("series")
    if mark is None:
        return None
    low, high = (list(mark.args) + [None, None])[:2]
    if (low is None or KNOT_VERSION >= low) and (high is None or KNOT_VERSION < high):
        return None
    return (f"describes knotd {'.'.join(map(str, low)) if low else 'any'} to "
            f"{'.'.join(map(str, high)) if high else 'now'}, this is "
            f"{'.'.join(map(str, KNOT_VERSION))}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = series_skip(item)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
    if not SANITIZED:
        return
    for item in items:
        reason = SKIP_UNDER_ASAN.get(item.nodeid.split("[")[0].split("/")[-1])
        if reason is None:
            reason = SKIP_UNDER_ASAN.get(os.path.basename(str(item.fspath)))
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"under ASan: {reason}"))


@pytest.fixture(autouse=True)
def sanitizer_reports():
    """Fails the test if knotc, which loads the module too, printed a sanitizer
    report during it (knotd's reports are in its stderr: see knot)."""
    before = sanitizer_report_files()
    yield
    new = sorted(sanitizer_report_files() - before)
    if new:
        texts = []
        for path in new:
            with open(path, errors="replace") as f:
                texts.append(f"--- {path}\n{f.read()[:20000]}")
        pytest.fail("sanitizer report(s):\n" + "\n".join(texts), pytrace=False)


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
    reports = [f"--- {k.dir}/knotd.stderr\n{r}" for k in servers
               if (r := sanitizer_report(k.stderr_text()))]
    if reports:
        pytest.fail("sanitizer report(s) in knotd's stderr:\n" + "\n".join(reports),
                    pytrace=False)
    assert not dead, f"knotd died during the test: {dead}"


@pytest.fixture
def zone_text():
    return soa_zone
