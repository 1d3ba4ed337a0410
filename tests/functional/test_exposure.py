"""negative-exposure: a name the zone answered NXDOMAIN for, then added, is
logged once with until when resolvers may keep the NXDOMAIN, counted, and
the longest remaining exposure is a gauge."""

import os
import re
import subprocess
import time

import dns.rcode
import pytest

from knotharness import LOCAL_ACL, ddns, soa_zone

Z = "example.test."
LINE = re.compile(r"module 'mod-soa/default', (?P<name>\S+) added, but answered NXDOMAIN "
                  r"at (?P<at>\d\d:\d\d:\d\d) with TTL (?P<ttl>\d+): resolvers may keep the "
                  r"NXDOMAIN until (?P<until>\d\d:\d\d:\d\d)$", re.M)


def clock(t):
    """UNIX time as the module writes it: knotd's local time of day."""
    return time.strftime("%H:%M:%S", time.localtime(t))


def exposure_knot(knot, minimum=3600, mod_conf=None, body=None):
    conf = {"negative-exposure": True}
    conf.update(mod_conf or {})
    return knot({Z: soa_zone(Z, soa_ttl=7200, minimum=minimum, body=body)}, mod_conf=conf,
                acl_conf=LOCAL_ACL, zone_extra={Z: ["acl: local"]}).start()


def nxdomain(k, name):
    """Asks for a name that does not exist; returns the second it was answered."""
    before = time.time()
    r = k.query(name, "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    return before, time.time()


def wait_lines(k, count, timeout=8):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = list(LINE.finditer(k.log_text()))
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"{count} exposure line(s) expected:\n{k.log_text()[-3000:]}")


def add_by_reload(k, names, serial):
    body = [f"{n.split('.')[0]} A 192.0.2.99" for n in names]
    k.reload_zone(Z, soa_zone(Z, serial=serial, soa_ttl=7200, minimum=3600, body=body))


def add_by_ddns(k, names, serial):
    ddns(k, Z, adds=[(n, 300, "A", "192.0.2.99") for n in names])


@pytest.mark.parametrize("add", [add_by_reload, add_by_ddns], ids=["reload", "ddns"])
def test_added_name_is_reported_once(knot, add):
    k = exposure_knot(knot)
    asked = nxdomain(k, "new." + Z)
    nxdomain(k, "still-missing." + Z)
    add(k, ["new." + Z], 2026010101)

    (line,) = wait_lines(k, 1)
    assert line["name"] == "new." + Z and line["ttl"] == "3600"
    at = {clock(t) for t in range(int(asked[0]), int(asked[1]) + 1)}
    assert line["at"] in at, (line["at"], at)
    # The second of the answer, from the line; the rest follows from it.
    answered = [t for t in range(int(asked[0]), int(asked[1]) + 1) if clock(t) == line["at"]][0]
    assert line["until"] == clock(answered + 3600)

    # The gauge counts whole seconds down, at every pass of the service
    # thread: within a second of the exposure left while knotc read it.
    t0 = time.time()
    s = k.stats(Z)
    t1 = time.time()
    assert s["negative-exposure[names]"] == 1
    left = s["negative-exposure[seconds]"]
    assert answered + 3600 - t1 - 1 <= left <= answered + 3600 - t0 + 1, (left, t0, t1)
    # The module's own lookup is not an answer anybody asked for.
    assert s["negative[nxdomain]"] == 2

    # Once: another version does not report it again.
    add(k, ["new." + Z, "later." + Z], 2026010102)
    k.wait_real_serial(Z, 2026010102)
    time.sleep(2.5)
    assert len(list(LINE.finditer(k.log_text()))) == 1
    assert k.stats(Z)["negative-exposure[names]"] == 1


def test_name_below_an_added_name(knot):
    """An empty non-terminal exists too: b.ent2 is there once a.b.ent2 is."""
    k = exposure_knot(knot)
    nxdomain(k, "b.ent2." + Z)
    ddns(k, Z, adds=[("a.b.ent2." + Z, 300, "A", "192.0.2.99")])
    (line,) = wait_lines(k, 1)
    assert line["name"] == "b.ent2." + Z


def test_added_without_earlier_query_is_silent(knot):
    k = exposure_knot(knot)
    nxdomain(k, "other." + Z)
    ddns(k, Z, adds=[("quiet." + Z, 300, "A", "192.0.2.99")])
    k.wait_real_serial(Z, 2026010101)
    assert k.query("quiet." + Z, "A").rcode() == dns.rcode.NOERROR
    time.sleep(2.5)
    assert not LINE.search(k.log_text())
    s = k.stats(Z)
    assert s["negative-exposure[names]"] == 0 and s["negative-exposure[seconds]"] == 0


def test_expired_entry_is_silent(knot):
    """A negative TTL of 1 second: by the time the name is added, resolvers
    have dropped the NXDOMAIN."""
    k = exposure_knot(knot, mod_conf={"negative-ttl-rule": ["brief 1"]})
    nxdomain(k, "brief." + Z)
    nxdomain(k, "kept." + Z)
    time.sleep(2.2)
    ddns(k, Z, adds=[("brief." + Z, 300, "A", "192.0.2.99"),
                     ("kept." + Z, 300, "A", "192.0.2.98")])
    lines = wait_lines(k, 1)
    time.sleep(1)
    assert [m["name"] for m in LINE.finditer(k.log_text())] == ["kept." + Z]
    assert k.stats(Z)["negative-exposure[names]"] == 1


def test_off_by_default(knot):
    k = knot({Z: soa_zone(Z)}, acl_conf=LOCAL_ACL, zone_extra={Z: ["acl: local"]}).start()
    nxdomain(k, "new." + Z)
    ddns(k, Z, adds=[("new." + Z, 300, "A", "192.0.2.99")])
    k.wait_real_serial(Z, 2026010101)
    time.sleep(2)
    assert not LINE.search(k.log_text())
    assert "negative-exposure[names]" not in k.stats(Z)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


def dnsperf_names(k, path, names):
    with open(path, "w") as f:
        f.writelines(f"{n} A\n" for n in names)
    r = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(k.port), "-d", path,
                        "-n", "1", "-c", "4", "-Q", "40000", "-t", "5"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"Queries completed:\s+(\d+)", r.stdout)
    return int(m.group(1))


def test_table_is_bounded_under_distinct_names(knot, tmp_path):
    """100,000 distinct NXDOMAIN names from dnsperf: knotd's memory does not
    grow past the table's bound, and the table still works afterwards."""
    k = exposure_knot(knot)
    pid = k.proc.pid
    # Warm up: every slot written once, knotd's own buffers in use.
    done = dnsperf_names(k, tmp_path / "warm.txt", [f"w{i}.{Z}" for i in range(20000)])
    assert done >= 19000
    warm = rss_kib(pid)
    done = dnsperf_names(k, tmp_path / "flood.txt", [f"n{i}.{Z}" for i in range(100000)])
    assert done >= 95000
    flood = rss_kib(pid)
    # The table is allocated at load (about 280 KiB); a table that grew with
    # names would need over 25 MiB for these.
    print(f"knotd RSS after 20,000 names: {warm} KiB, after 100,000 more: {flood} KiB")
    assert flood - warm < 2048, (warm, flood)
    assert k.stats(Z)["negative[nxdomain]"] >= done

    nxdomain(k, "fresh." + Z)
    ddns(k, Z, adds=[("fresh." + Z, 300, "A", "192.0.2.99")])
    lines = wait_lines(k, 1)
    assert lines[-1]["name"] == "fresh." + Z
