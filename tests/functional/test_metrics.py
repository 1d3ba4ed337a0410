"""knotc zone-stats ZONE mod-soa: names, exact counts, gauges, lint."""

import concurrent.futures
import re

import pytest

from knotharness import soa_zone

Z = "example.test."

BASE_NAMES = {
    "negative[nxdomain]", "negative[nodata]", "negative-ttl[capped]", "negative-ttl[raised]",
    "negative-ttl[rule]", "soa-answer", "floor-raised",
    "soa[serial]", "soa[ttl]", "soa[refresh]", "soa[retry]", "soa[expire]", "soa[minimum]",
    "soa[negative-ttl]", "soa[published-serial]",
    "lint[refresh-range]", "lint[retry-range]", "lint[expire-range]", "lint[minimum-range]",
    "lint[serial-not-date]", "lint[mname-not-ns]", "lint[rname]",
    "lint[serial-not-convertible]",
}
SERIAL_NAMES = {
    "serial-update", "serial-rewrite[answer]", "serial-rewrite[authority]",
    "serial-rewrite[axfr]", "serial-rewrite[ixfr]", "serial-rewrite[skipped-signed]",
    "transfer[axfr]", "transfer[ixfr-journal]", "transfer[ixfr-full]",
    "transfer[ixfr-current]", "transfer[tsig-resigned]", "state-error",
    "notify[sent]", "notify[acked]", "notify[failed]", "change-detect-lag",
}


def delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def test_names_are_the_public_interface(knot):
    k = knot(mod_conf={"serial-format": "keep"}).start()
    assert set(k.stats(Z)) == BASE_NAMES
    k2 = knot(mod_conf={"serial-format": "date"}).start()
    assert set(k2.stats(Z)) == BASE_NAMES | SERIAL_NAMES


def test_exact_counts_after_known_sequence(knot):
    # Real serial 501: every SOA the world sees is rewritten to a date serial.
    k = knot({Z: soa_zone(Z, serial=501)}, mod_conf={"negative-ttl-max": 60}).start()
    before = k.stats(Z)
    for i in range(3):
        k.query(f"nx{i}." + Z, "A")                   # NXDOMAIN
    for i in range(2):
        k.query("www." + Z, "TXT", tcp=bool(i))      # NODATA
    for i in range(4):
        k.query(Z, "SOA", tcp=bool(i % 2))           # SOA answers
    k.query(Z, "ANY", tcp=True)                       # one RRset (RFC 8482): the NS
    for i in range(5):
        k.query("www." + Z, "A")                      # positive: not counted
    d = delta(k.stats(Z), before)
    assert d == {
        "negative[nxdomain]": 3,
        "negative[nodata]": 2,
        "negative-ttl[capped]": 5,
        "soa-answer": 4,
        "serial-rewrite[authority]": 5,
        "serial-rewrite[answer]": 4,
    }, d


@pytest.mark.series(None, (3, 4))
def test_counters_unforced_output_before_3_4(knot):
    """knotc before 3.4: single counters always show; zero entries of indexed
    counters are hidden, forced output shows them."""
    k = knot(mod_conf={"serial-format": "keep"}).start()
    plain = k.stats(Z, force=False)
    assert "soa-answer" in plain and "floor-raised" in plain
    assert "negative[nxdomain]" not in plain
    assert "negative[nxdomain]" in k.stats(Z, force=True)


@pytest.mark.series((3, 4), None)
def test_counters_unforced_output_from_3_4(knot):
    """knotc from 3.4: every zero value is hidden unless forced."""
    k = knot(mod_conf={"serial-format": "keep"}).start()
    k.query(Z, "SOA")                     # start() queried the SOA too
    plain = k.stats(Z, force=False)
    assert plain["soa-answer"] >= 1
    assert "floor-raised" not in plain and "negative[nxdomain]" not in plain
    forced = k.stats(Z, force=True)
    assert forced["floor-raised"] == 0 and forced["negative[nxdomain]"] == 0


@pytest.mark.parametrize("workers", [1, 4, 8])
def test_gauges_exact_with_many_threads(knot, workers):
    zone = soa_zone(Z, serial=2026010105, refresh=7000, retry=1800, expire=1300000,
                    minimum=450, soa_ttl=5000)
    k = knot({Z: zone}, workers=workers, mod_conf={"negative-ttl-max": 400}).start()

    # Hit the zone from many sockets so different workers answer.
    def hammer(i):
        k.query(f"nx{i}." + Z, "A", tcp=bool(i % 3 == 0))
        k.query(Z, "SOA", tcp=bool(i % 2))
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(hammer, range(200)))

    s = k.stats(Z)
    assert (s["soa[serial]"], s["soa[ttl]"], s["soa[refresh]"], s["soa[retry]"],
            s["soa[expire]"], s["soa[minimum]"], s["soa[negative-ttl]"],
            s["soa[published-serial]"]) == (
            2026010105, 5000, 7000, 1800, 1300000, 450, 400, 2026010105)
    assert s["negative[nxdomain]"] == 200


def test_gauges_follow_reload(knot):
    k = knot(mod_conf={"serial-format": "keep"}).start()
    assert k.stats(Z)["soa[refresh]"] == 7200
    k.reload_zone(Z, soa_zone(Z, serial=2026010101, refresh=9000, minimum=120))
    k.wait_real_serial(Z, 2026010101)
    # Freshness rule: the first answer carrying the new SOA updates the gauges.
    k.query("nx." + Z, "A")
    s = k.stats(Z)
    assert (s["soa[serial]"], s["soa[refresh]"], s["soa[minimum]"], s["soa[negative-ttl]"]) == (
        2026010101, 9000, 120, 120)

    # A forced reload makes a new module instance: counters restart, gauges
    # come back from the zone as soon as it answers.
    k.knotc("zone-reload", Z, force=True)
    k.query(Z, "SOA")
    s = k.stats(Z)
    assert s["soa[serial]"] == 2026010101 and s["soa[refresh]"] == 9000
    assert s["soa-answer"] == 1

    # A full server reload too.
    k.knotc("reload")
    k.query("www." + Z, "TXT")
    s = k.stats(Z)
    assert s["soa[serial]"] == 2026010101 and s["negative[nodata]"] == 1


BAD_SOA = soa_zone(Z, serial=501, refresh=600, retry=900, expire=3600, minimum=172800,
                   mname="master.elsewhere.test.", rname="hostmaster\\@example.test.")


def test_lint_all_findings(knot):
    k = knot({Z: BAD_SOA}, mod_conf={"serial-format": "keep"}).start()
    k.query(Z, "SOA")
    s = k.stats(Z)
    lint = {n: v for n, v in s.items() if n.startswith("lint[")}
    assert lint == {
        "lint[refresh-range]": 1, "lint[retry-range]": 1, "lint[expire-range]": 1,
        "lint[minimum-range]": 1, "lint[serial-not-date]": 1, "lint[mname-not-ns]": 1,
        "lint[rname]": 1, "lint[serial-not-convertible]": 0,
    }
    log = k.log_text()
    for name in ("refresh-range", "retry-range", "expire-range", "minimum-range",
                 "serial-not-date", "mname-not-ns", "rname"):
        # Logged once for this zone version, however many queries follow.
        assert len(re.findall(rf"lint {name},", log)) == 1, name
    for _ in range(5):
        k.query("nx." + Z, "A")
    log = k.log_text()
    assert len(re.findall(r"lint refresh-range,", log)) == 1


def test_lint_clean_zone_and_fix(knot):
    k = knot({Z: BAD_SOA}, mod_conf={"serial-format": "keep"}).start()
    k.query(Z, "SOA")
    k.reload_zone(Z, soa_zone(Z, serial=2026010100))
    k.wait_real_serial(Z, 2026010100)
    k.query(Z, "SOA")
    s = k.stats(Z)
    assert all(v == 0 for n, v in s.items() if n.startswith("lint[")), s


def test_lint_off(knot):
    k = knot({Z: BAD_SOA}, mod_conf={"serial-format": "keep", "lint": False}).start()
    k.query(Z, "SOA")
    s = k.stats(Z)
    assert all(v == 0 for n, v in s.items() if n.startswith("lint[")), s
    assert "lint " not in k.log_text()


def test_lint_serial_in_future(knot):
    zone = soa_zone(Z, serial=2099010100)
    k = knot({Z: zone}, mod_conf={"serial-format": "keep"}).start()
    k.query(Z, "SOA")
    assert k.stats(Z)["lint[serial-not-date]"] == 1


def test_two_zones_are_separate(knot):
    zones = {Z: soa_zone(Z), "other.test.": soa_zone("other.test.", serial=2026010207)}
    k = knot(zones, mod_conf={"serial-format": "keep"}).start()
    before = k.stats("other.test.")
    k.query("nx." + Z, "A")
    k.query("nx.other.test.", "A")
    k.query("nx2.other.test.", "A")
    assert k.stats(Z)["soa[serial]"] == 2026010100
    assert k.stats("other.test.")["soa[serial]"] == 2026010207
    assert k.stats("other.test.")["negative[nxdomain]"] - before["negative[nxdomain]"] == 2


GROUPS = {
    "negative": {"negative[nxdomain]", "negative[nodata]", "negative-ttl[capped]",
                 "negative-ttl[raised]", "negative-ttl[rule]", "floor-raised"},
    "soa": {n for n in BASE_NAMES if n.startswith("soa")},
    "lint": {n for n in BASE_NAMES if n.startswith("lint[")},
    "serial": {"serial-update", "change-detect-lag"} |
              {n for n in SERIAL_NAMES if n.startswith("serial-rewrite")},
    "transfer": {n for n in SERIAL_NAMES if n.startswith("transfer[")},
    "notify": {"notify[sent]", "notify[acked]", "notify[failed]"},
    "state": {"state-error"},
}


def test_statistics_groups_partition_the_counters():
    """Every counter is in exactly one group (the reference page lists them)."""
    everything = BASE_NAMES | SERIAL_NAMES
    assert set().union(*GROUPS.values()) == everything
    assert sum(len(g) for g in GROUPS.values()) == len(everything)


@pytest.mark.parametrize("chosen", [["negative", "serial"], ["soa"], ["lint", "state"],
                                    ["transfer", "notify"]])
def test_statistics_registers_only_chosen_groups(knot, chosen):
    k = knot(mod_conf={"statistics": "[" + ", ".join(chosen) + "]"}).start()
    assert set(k.stats(Z)) == set().union(*(GROUPS[g] for g in chosen))
    # The module still does its job.
    assert k.query("nx." + Z, "A").authority[0].ttl == 300


def test_statistics_none(knot):
    k = knot(mod_conf={"statistics": "none"}).start()
    out = k.knotc("zone-stats", Z, "mod-soa", check=False, force=True)
    assert "mod-soa." not in out
    assert k.query("nx." + Z, "A").authority[0].ttl == 300
    assert k.soa_serial(Z) == 2026010100
