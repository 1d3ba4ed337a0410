"""knotc conf-check accepts valid mod-soa sections and rejects bad ones,
naming the option (knotc loads the module to check its section)."""

import subprocess

import pytest

from knotharness import KNOTC, MODULE


def conf_check(tmp_path, items, zone_module="mod-soa/default", extra=""):
    lines = [
        "server:",
        f'    rundir: "{tmp_path}"',
        "module:",
        "  - id: mod-soa",
        f'    file: "{MODULE}"',
        "mod-soa:",
        "  - id: default",
    ]
    lines += [f"    {line}" for line in items]
    lines += [extra, "zone:", "  - domain: example.test.", f"    module: {zone_module}"]
    path = tmp_path / "check.conf"
    path.write_text("\n".join(lines) + "\n")
    r = subprocess.run([KNOTC, "-c", str(path), "conf-check"], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.parametrize("items", [
    [],
    ["negative-ttl-min: 30", "negative-ttl-max: 1h"],
    ["negative-ttl-min: 1m", "negative-ttl-max: 1m"],
    ["negative-ttl-max: 1d", "minimum-as-floor: on", "lint: off"],
    ["serial-format: date", "serial-floor: 2026112100", "state-db: /var/lib/knot/soa-state"],
    ["serial-format: keep", "negative-ttl-max: 0"],
    ["state-db: relative/dir"],
    ["serial-floor: 4294967295"],
    ["serial-format: keep", "notify-published: off"],
    ["serial-format: date", "notify-published: on"],
    ["notify-published: off", "lint: false", "minimum-as-floor: true"],
    ["change-detect: dbus"], ["change-detect: poll"], ["change-detect: off"],
    ["statistics: [negative, serial]"], ["statistics: none"], ["statistics: all"],
    ["statistics: [negative, soa, lint, serial, transfer, notify, state]"],
    ['negative-ttl-rule: "_acme-challenge 30s"'],
    ['negative-ttl-rule: [ "_acme-challenge 30s", "launch.example.test. 1h" ]'],
    ["negative-exposure: on"], ["negative-exposure: off"],
    ["replica-check: off"], ["replica-check: on", "replica-check-interval: 1h"],
    ["replica-check-interval: 0"], ["replica-check-interval: 7d"],
    ["serial-format: keep", "replica-check-interval: 90"],
    ["statistics: [replica]"], ["statistics: [negative, replica]"],
], ids=["defaults", "units", "equal-bounds", "floor-lint", "serial", "keep", "relative-db",
        "max-floor", "keep-no-notify", "date-notify", "bool-words", "detect-dbus",
        "detect-poll", "detect-off", "stats-two", "stats-none", "stats-all", "stats-every",
        "rule", "rules", "exposure-on", "exposure-off",
        "replica-off", "replica-interval", "replica-interval-0", "replica-interval-max",
        "replica-keep", "stats-replica", "stats-replica-two"])
def test_valid(tmp_path, items):
    rc, out = conf_check(tmp_path, items)
    assert rc == 0, out


@pytest.mark.parametrize("items,needle", [
    (["negative-ttl-min: 2h", "negative-ttl-max: 1h"], "negative-ttl-min must not exceed negative-ttl-max"),
    (["negative-ttl-max: -1"], "negative-ttl-max"),
    (["negative-ttl-max: 2147483648"], "negative-ttl-max"),
    (["negative-ttl-min: abc"], "negative-ttl-min"),
    (["negative-ttl-max: 3x"], "negative-ttl-max"),
    (["minimum-as-floor: maybe"], "minimum-as-floor"),
    (["lint: 2"], "lint"),
    (["serial-format: weekly"], "serial-format"),
    (["serial-floor: 4294967296"], "serial-floor"),
    (["serial-floor: -5"], "serial-floor"),
    (["serial-floor: 1h"], "serial-floor"),
    (["serial-format: keep", "serial-floor: 2026010100"], "serial-floor requires serial-format date"),
    (["serial-format: keep", "state-db: /tmp/x"], "state-db requires serial-format date"),
    (['state-db: ""'], "state-db must not be empty"),
    (["negative-ttl-min: -1"], "negative-ttl-min"),
    (["negative-ttl-min: 2147483648"], "negative-ttl-min"),
    (["negative-ttl-min: 1h", "negative-ttl-max: 59m"], "negative-ttl-min must not exceed negative-ttl-max"),
    (["minimum-as-floor: 1h"], "minimum-as-floor"),
    (["serial-format: "], "serial-format"),
    (["lint: yes"], "lint"),
    (["negative-ttl-max: 1w1"], "negative-ttl-max"),
    (["serial-floor: 20261121.5"], "serial-floor"),
    (["serial-floor: date"], "serial-floor"),
    (["notify-published: sometimes"], "notify-published"),
    (["notify-published: 1h"], "notify-published"),
    (["serial-format: keep", "notify-published: on"], "notify-published requires serial-format date"),
    (["serial-format: keep", "serial-floor: 5", "state-db: /tmp/x"], "requires serial-format date"),
    (["bogus-option: 1"], "bogus-option"),
    (["negative-ttl: 60"], "negative-ttl"),
    (["change-detect: inotify"], "change-detect"),
    (["change-detect: on"], "change-detect"),
    (["statistics: [negative, replicas]"], "statistics"),
    (["statistics: everything"], "statistics"),
    (["statistics: [none, negative]"], "statistics none or all cannot be combined with groups"),
    (["statistics: [all, soa]"], "statistics none or all cannot be combined with groups"),
    (["negative-exposure: sometimes"], "negative-exposure"),
    (["negative-exposure: 1h"], "negative-exposure"),
    (["replica-check: maybe"], "replica-check"),
    (["replica-check: 1h"], "replica-check"),
    (["replica-check-interval: -1"], "replica-check-interval"),
    (["replica-check-interval: 8d"], "replica-check-interval"),
    (["replica-check-interval: soon"], "replica-check-interval"),
    (["replica-check-interval: 1h1"], "replica-check-interval"),
    (["replica-check: off", "replica-check-interval: 1h"],
     "replica-check-interval requires replica-check on"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_invalid(tmp_path, items, needle):
    rc, out = conf_check(tmp_path, items)
    assert rc != 0, out
    assert needle in out, out
    # Item errors name the item; errors across items name the mod-soa section.
    assert f"item '{needle}'" in out or "section 'mod-soa[default]'" in out, out


def test_negative_ttl_min_above_default_max(tmp_path):
    rc, out = conf_check(tmp_path, ["negative-ttl-min: 4h"])
    assert rc != 0 and "negative-ttl-min must not exceed negative-ttl-max" in out


def global_module_knotd(knot):
    return knot(module=False, extra_conf='module:\n  - id: mod-soa\n    file: "%s"' % MODULE,
                template_extra=["global-module: mod-soa"])


@pytest.mark.series(None, (3, 5))
def test_global_scope_refused_before_3_5(knot):
    """In-hooks run only for zone modules: mod-soa is zone-scoped, and knotd
    refuses it as a global module when it starts (conf-check does not check
    module scope); before 3.5 knotd serves the zones without it."""
    k = global_module_knotd(knot)
    k.start()
    assert "module 'mod-soa', out of scope" in k.log_text()
    assert k.query("nx.example.test.", "A").authority[0].ttl == 300


@pytest.mark.series((3, 5), None)
def test_global_scope_refused_from_3_5(knot):
    """From 3.5 a global module that fails to activate stops knotd at start."""
    k = global_module_knotd(knot)
    with pytest.raises(RuntimeError, match="out of scope"):
        k.start(timeout=10)
    assert k.returncode != 0


def test_bare_module_reference(tmp_path):
    """`module: mod-soa` works without a section (all defaults)."""
    lines = ["server:", f'    rundir: "{tmp_path}"', "module:", "  - id: mod-soa",
             f'    file: "{MODULE}"', "zone:", "  - domain: example.test.", "    module: mod-soa"]
    path = tmp_path / "bare.conf"
    path.write_text("\n".join(lines) + "\n")
    r = subprocess.run([KNOTC, "-c", str(path), "conf-check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_knotd_refuses_bad_config_at_start(knot):
    k = knot(mod_conf={"negative-ttl-min": 100, "negative-ttl-max": 50})
    with pytest.raises(RuntimeError):
        k.start(timeout=5)
    out = open(k.dir + "/knotd.stderr").read() + k.log_text()
    assert "negative-ttl-min must not exceed negative-ttl-max" in out
    assert k.returncode != 0
