"""Replication health seen from the primary (issue 12): a mod-soa primary asks
its notify remotes for the zone's SOA and tells, per secondary, whether it
serves the published serial (current), an older one (behind), one it will
never leave (ahead), or nothing valid (unreachable).

Against real secondaries on loopback: Knot, BIND 9 and NSD (secondaries.py).
The zones' SOA refresh is an hour, so no secondary catches up by polling
within a test: what they hold comes from the primary's NOTIFY, or not at all.
"""

import re
import shutil
import socket
import subprocess
import threading
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from knotharness import LOCAL_ACL, ROOT, ddns, free_port, keyring, soa_zone
from secondaries import BindSecondary, available, make_secondary, stop_all
from test_detect import wait_for

Z = "example.test."
REFRESH = 3600
AHEAD = 2099010100
XFR_KEY = ("xfr-key.", "hmac-sha256", "eGZyLWtleS1mb3ItcmVwbGljYS10ZXN0cy1vbmx5LTAx")
CHECK_KEY = ("check-key.", "hmac-sha256", "Y2hlY2sta2V5LWZvci1yZXBsaWNhLXRlc3RzLW9ubHk=")
WRONG_SECRET = "d3Jvbmctc2VjcmV0LWZvci1yZXBsaWNhLXRlc3RzLXh4"

STATES = ("current", "behind", "ahead", "unreachable")


def zone_text(real, records=(), retry=600):
    body = [f"{name} 300 A {addr}" for name, addr in records]
    return soa_zone(Z, serial=real, refresh=REFRESH, retry=retry, body=body)


def remotes_conf(remotes):
    """remote: sections for [(id, address, port, key name or None)]."""
    lines = ["remote:"]
    for rid, addr, port, key in remotes:
        lines += [f"  - id: {rid}", f"    address: {addr}@{port}"]
        if key:
            lines.append(f"    key: {key}")
    return "\n".join(lines)


def replica(k, zone=Z):
    """The zone's replication health entries (zeros too)."""
    return {n: v for n, v in k.stats(zone).items()
            if n.startswith(("replica", "replication"))}


def log_lines(k, pattern):
    rx = re.compile(pattern)
    return [line for line in k.log_text().splitlines() if rx.search(line)]


@pytest.fixture
def secondaries(tmp_path):
    """Factory: secondaries(kind, primary_port, port, **kw) -> an unstarted
    secondary. Every started one must still be alive at teardown."""
    made = []

    def make(kind, primary_port, port, key=None, cls=None, **kw):
        reason = available(kind)
        if reason:
            pytest.fail(reason)         # a missing package must not pass as a skip
        workdir = tmp_path / f"sec-{kind}-{port}"
        if cls is not None:
            s = cls(str(workdir), Z, primary_port, port=port, key=key, **kw)
        else:
            s = make_secondary(kind, workdir, Z, primary_port, port=port, key=key, **kw)
        made.append(s)
        return s

    yield make

    stop_all(made)


class Primary:
    """A mod-soa primary (date serials) whose notify remotes are the given
    secondaries' ports."""

    def __init__(self, knot, ports, retry=600, mod_conf=None, keys=None, acl=LOCAL_ACL,
                 remote_key=None, server_extra=None, port=None):
        self.real = 501
        self.records = []
        self.retry = retry
        self.port = port or free_port()
        ids = [f"s{p}" for p in ports]
        conf = {"serial-format": "date"}
        conf.update(mod_conf or {})
        self.k = knot({Z: zone_text(self.real, retry=retry)}, name="primary", port=self.port,
                      mod_conf=conf, acl_conf=acl, template_extra=["acl: local"],
                      tsig_keys=keys or {},
                      extra_conf=remotes_conf([(i, "127.0.0.1", p, remote_key)
                                               for i, p in zip(ids, ports)]),
                      zone_extra={Z: [f"notify: [{', '.join(ids)}]"]},
                      server_extra=server_extra)

    def start(self):
        self.k.start()
        return self

    def update(self, auth=None):
        """A DDNS change; returns the new published serial and when the
        primary served it."""
        i = len(self.records)
        self.records.append((f"n{i}", f"192.0.2.{100 + i}"))
        old = self.k.soa_serial(Z)
        ddns(self.k, Z, adds=[(f"n{i}", 300, "A", f"192.0.2.{100 + i}")], **(auth or {}))
        published = wait_for(lambda: (s := self.k.soa_serial(Z)) != old and s, 10,
                             "a new published serial")
        return published, time.monotonic()


def assert_sums(r, count):
    total = sum(r[f"replica[{s}]"] for s in STATES)
    assert total == count, f"replica[...] add up to {total}, not {count}: {r}"


def test_three_secondaries_follow_three_updates(knot, secondaries, record_property):
    """Knot, BIND and NSD in the notify list: after each of 3 updates, within
    10 s, all three are current with the published serial and
    replication-lag is below 5 s."""
    kinds = ("knot", "bind", "nsd")
    ports = {kind: free_port() for kind in kinds}
    p = Primary(knot, list(ports.values())).start()
    secs = [secondaries(kind, p.port, ports[kind]) for kind in kinds]
    for s in secs:
        s.start()

    names = {f"replica-serial[127.0.0.1@{port}]" for port in ports.values()}
    r = replica(p.k)
    assert names <= set(r), r
    assert {"replica-check[sent]", "replica-check[answered]", "replication-lag"} <= set(r), r
    # (The first checks may have come before a secondary was up.)
    log_before = len(p.k.log_text().splitlines())

    lags = []
    for i in range(3):
        published, t0 = p.update()

        def all_current():
            r = replica(p.k)
            assert_sums(r, 3)
            ok = (r["replica[current]"] == 3 and all(r[n] == published for n in names))
            return r if ok else None
        r = wait_for(all_current, 10, f"update {i + 1}: 3 secondaries current with {published}")
        assert r["replication-lag"] < 5000, r
        lags.append((round(time.monotonic() - t0, 2), r["replication-lag"]))
        for s in secs:
            assert s.soa_serial(Z) == published, s
    record_property("seconds_and_lag_ms", lags)
    r = replica(p.k)
    assert r["replica-check[answered]"] >= 9 and r["replica-check[sent]"] >= 9, r
    # Secondaries that follow within the grace are no news in the log.
    later = p.k.log_text().splitlines()[log_before:]
    assert not [line for line in later if re.search(r"replica .* (behind|unreachable|ahead)",
                                                    line)], later


def test_stopped_secondary_is_unreachable_then_current(knot, secondaries):
    """One of three stopped: after the next update it is unreachable, the
    others current; started again, it is current within the retry schedule
    (SOA retry 10 s: retries 1, 2, 4, 8, 10 ... s apart)."""
    kinds = ("knot", "bind", "nsd")
    ports = {kind: free_port() for kind in kinds}
    p = Primary(knot, list(ports.values()), retry=10).start()
    secs = {kind: secondaries(kind, p.port, ports[kind]) for kind in kinds}
    for s in secs.values():
        s.start()
    published, _ = p.update()
    wait_for(lambda: replica(p.k)["replica[current]"] == 3, 10, "all current")

    down = secs["nsd"]
    down.stop()
    prev = published
    published, t0 = p.update()
    down_name = f"replica-serial[127.0.0.1@{ports['nsd']}]"

    def split():
        r = replica(p.k)
        assert_sums(r, 3)
        return r if (r["replica[unreachable]"] == 1 and r["replica[current]"] == 2) else None
    r = wait_for(split, 15, "the stopped secondary unreachable, the others current")
    assert r[down_name] == prev, r           # what it answered last
    line = wait_for(lambda: log_lines(p.k, rf"replica 127\.0\.0\.1@{ports['nsd']} unreachable "
                                           rf"\(timeout\), serial \d+, published {published}"),
                    5, "the unreachable line")
    assert len(line) == 1, line

    down.start()
    restarted = time.monotonic()
    # Within the schedule: the next retry (at most SOA retry away) and its
    # check; the retries go on for 10 x SOA retry after the update.
    r = wait_for(lambda: (r := replica(p.k))["replica[current]"] == 3 and r, 20,
                 "the restarted secondary current again")
    assert r[down_name] == published, r
    assert time.monotonic() - t0 < 10 * p.retry, "found by the retry schedule"
    assert log_lines(p.k, rf"replica 127\.0\.0\.1@{ports['nsd']} current, serial {published}, "
                          rf"published {published}"), p.k.log_text()
    assert time.monotonic() - restarted < 20


def test_secondary_ignoring_notify_is_behind(knot, secondaries):
    """BIND with allow-notify { none; } and SOA refresh 1 h stays behind:
    replication-lag grows past the time elapsed and the log says so.

    BIND always takes NOTIFY from a zone's primaries, whatever allow-notify
    says ("can expand, not reduce"): BIND transfers here from knotd's second
    address, 127.0.0.2, so the NOTIFYs from 127.0.0.1 come from a non-primary
    and are refused."""
    bport = free_port()
    pport = free_port()
    p = Primary(knot, [bport], retry=5, port=pport,
                server_extra=[f"listen: 127.0.0.2@{pport}"],
                acl=LOCAL_ACL.replace("address: 127.0.0.1", "address: 127.0.0.0/8")).start()
    b = secondaries("bind", p.port, bport, primary_addr="127.0.0.2",
                    zone_options=["allow-notify { none; };"])
    b.start()
    old = b.soa_serial(Z)
    # (A first check before BIND was up is retried after the SOA retry.)
    wait_for(lambda: replica(p.k)["replica[current]"] == 1, 25, "current at first")

    published, t0 = p.update()
    r = wait_for(lambda: (r := replica(p.k))["replica[behind]"] == 1 and r, 5, "behind")
    name = f"replica-serial[127.0.0.1@{bport}]"
    assert r[name] == old and old < published, r

    # Grows with the time elapsed since the allocation (refreshed every second).
    time.sleep(4)
    lag1, e1 = replica(p.k)["replication-lag"], time.monotonic() - t0
    assert lag1 >= (e1 - 1.5) * 1000, (lag1, e1)
    line = wait_for(lambda: log_lines(p.k, rf"replica 127\.0\.0\.1@{bport} behind, "
                                           rf"serial {old}, published {published}, for \d+ s"),
                    25, "the behind line")
    lag2, e2 = replica(p.k)["replication-lag"], time.monotonic() - t0
    assert lag2 >= (e2 - 1.5) * 1000 and lag2 > lag1 and lag2 >= 10000, (lag2, e2)
    secs = int(re.search(r"for (\d+) s", line[0]).group(1))
    assert secs >= 10, line
    assert b.soa_serial(Z) == old, "BIND took the NOTIFY after all"
    assert b.log_lines("refused notify from non-primary"), b.log_text()
    assert replica(p.k)["replica[behind]"] == 1


def test_secondary_ahead(knot, secondaries):
    """A server in the notify list that serves 2099010100 is ahead, and the
    log names the remedies."""
    sport = free_port()
    srv = knot({Z: zone_text(AHEAD)}, name="ahead", port=sport, module=False)
    srv.start()
    good = free_port()
    p = Primary(knot, [sport, good], retry=5).start()
    secondaries("knot", p.port, good).start()
    published = p.k.soa_serial(Z)
    r = wait_for(lambda: (r := replica(p.k))["replica[ahead]"] == 1 and
                 r["replica[current]"] == 1 and r, 25, "one ahead, one current")
    assert r[f"replica-serial[127.0.0.1@{sport}]"] == AHEAD, r
    lines = log_lines(p.k, rf"replica 127\.0\.0\.1@{sport} ahead, serial {AHEAD}, "
                           rf"published {published}")
    assert len(lines) == 1, p.k.log_text()
    assert f"serial-floor {AHEAD + 1}" in lines[0] and "RFC 1982" in lines[0], lines

    # An update does not change that, and the line is not repeated.
    published, _ = p.update()
    wait_for(lambda: (r := replica(p.k))["replica[current]"] == 1 and
             r[f"replica-serial[127.0.0.1@{good}]"] == published, 10, "the other follows")
    assert replica(p.k)["replica[ahead]"] == 1
    assert len(log_lines(p.k, r"replica .* ahead")) == 1


class KeyedBind(BindSecondary):
    """BIND that answers queries signed with CHECK_KEY only; the harness's
    own queries are signed too."""

    def query(self, name, rdtype, tcp=False, timeout=2):
        q = dns.message.make_query(name, rdtype)
        q.use_tsig(keyring(*CHECK_KEY), keyname=CHECK_KEY[0])
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout)


@pytest.mark.parametrize("right", [True, False], ids=["right-key", "wrong-key"])
def test_tsig(knot, secondaries, right):
    """A secondary that answers signed queries only is checked with the
    remote's key; with a wrong secret it is unreachable and the cause is
    logged."""
    bport = free_port()
    secret = CHECK_KEY[2] if right else WRONG_SECRET
    keys = {XFR_KEY[0]: XFR_KEY[1:], CHECK_KEY[0]: (CHECK_KEY[1], secret)}
    acl = LOCAL_ACL.replace("    action:", f"    key: {XFR_KEY[0]}\n    action:")
    p = Primary(knot, [bport], retry=5, keys=keys, acl=acl, remote_key=CHECK_KEY[0]).start()
    b = secondaries("bind", p.port, bport, key=XFR_KEY, cls=KeyedBind, keys=[CHECK_KEY],
                    zone_options=[f'allow-query {{ key "{CHECK_KEY[0]}"; }};'],
                    querylog=True)
    b.start()
    published = p.k.soa_serial(Z)
    name = f"replica-serial[127.0.0.1@{bport}]"
    if right:
        # (BIND's first AXFR, from the only secondary's address, already
        # told the module its serial: wait for a check too.)
        r = wait_for(lambda: (r := replica(p.k))["replica[current]"] == 1 and
                     r["replica-check[answered]"] >= 1 and r, 25, "current")
        assert r[name] == published, r
        # The checks reached BIND signed (S), without recursion (-).
        assert b.log_lines(r"query: example\.test IN SOA -S"), b.log_text()
        return
    wait_for(lambda: log_lines(p.k, rf"replica 127\.0\.0\.1@{bport} unreachable "
                                    rf"\(TSIG, BADSIG\), serial \d+, "
                                    rf"published {published}"), 25, "the TSIG cause")
    r = replica(p.k)
    assert r["replica[unreachable]"] == 1, r
    # The serial, if any, is from BIND's AXFR (signed with the other key).
    assert r[name] in (0, published), r
    assert r["replica-check[answered]"] >= 1, "BIND answered (refusing the signature)"


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_replica_check_off(knot, secondaries, on):
    """replica-check: off sends nothing to the secondaries (BIND's query log
    shows every query; the module's have RD clear, '-') and registers none
    of the counters; on, as a control, does both."""
    bport = free_port()
    p = Primary(knot, [bport], mod_conf={"replica-check": on}).start()
    b = secondaries("bind", p.port, bport, querylog=True)
    b.start()
    published, _ = p.update()
    b.wait_serial(published, timeout=10)        # the NOTIFY still goes out
    time.sleep(4)                               # checks 1 s and 2 s after the change
    checks = b.log_lines(r"query: example\.test IN SOA -")
    names = set(p.k.stats(Z))
    if on:
        assert checks, b.log_text()
        assert {"replica[current]", f"replica-serial[127.0.0.1@{bport}]", "replication-lag",
                "replica-check[sent]", "replica-check[answered]",
                "replica-untracked"} <= names, names
    else:
        assert not checks, checks
        assert not [n for n in names if n.startswith(("replica", "replication"))], names
        assert not log_lines(p.k, r"replica "), p.k.log_text()


@pytest.mark.parametrize("groups,present", [("[soa, notify]", False), ("[replica]", True)])
def test_statistics_group(knot, groups, present):
    """The counters exist only with the replica group (checks run anyway)."""
    p = Primary(knot, [free_port()], mod_conf={"statistics": groups}).start()
    names = set(p.k.stats(Z))
    has = {n for n in names if n.startswith(("replica", "replication"))}
    assert bool(has) == present, names
    if present:
        assert names == has, names


def test_zone_without_secondaries_has_no_replica_counters(knot):
    k = knot({Z: zone_text(501)}, mod_conf={"serial-format": "date"}).start()
    assert not [n for n in k.stats(Z) if n.startswith(("replica", "replication"))]


class FakeServer:
    """A UDP server on a loopback address that answers SOA queries for Z with
    a serial (None: silent), counting the queries per second."""

    def __init__(self, addr="127.0.0.1", serial=None):
        self.addr = addr
        self.serial = serial
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.1)
        self.times = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.times.append(time.monotonic())
            if self.serial is None:
                continue
            try:
                q = dns.message.from_wire(data)
            except Exception:
                continue
            if q.question[0].rdtype != dns.rdatatype.SOA:
                continue
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            r.answer.append(dns.rrset.from_text(
                q.question[0].name, 3600, "IN", "SOA",
                f"ns1.{Z} hostmaster.{Z} {self.serial} {REFRESH} 600 1209600 300"))
            self.sock.sendto(r.to_wire(), peer)

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


def test_transfers_are_observations(knot):
    """An AXFR that completes means the client holds the published serial; an
    IXFR query carries the client's serial; a client that is not in the
    notify list is logged and counted, not tracked. (Clients on their own
    loopback addresses: the module tells secondaries apart by address.)"""
    silent = FakeServer("127.0.0.5")            # checks go unanswered
    try:
        acl = LOCAL_ACL.replace("address: 127.0.0.1", "address: 127.0.0.0/8")
        k = knot({Z: zone_text(501)}, mod_conf={"serial-format": "date"}, acl_conf=acl,
                 template_extra=["acl: local"],
                 extra_conf=remotes_conf([("s5", "127.0.0.5", silent.port, None)]),
                 zone_extra={Z: ["notify: [s5]"]}).start()
        published = k.soa_serial(Z)
        name = f"replica-serial[127.0.0.5@{silent.port}]"
        wait_for(lambda: log_lines(k, r"replica 127\.0\.0\.5@\d+ unreachable \(timeout\)"), 15,
                 "the silent secondary unreachable")

        # A completed AXFR from its address: current.
        axfr = dns.message.make_query(Z, "AXFR")
        dns.query.tcp(axfr, "127.0.0.1", port=k.port, source="127.0.0.5", timeout=5)
        r = wait_for(lambda: (r := replica(k))["replica[current]"] == 1 and r, 5, "current")
        assert r[name] == published, r
        assert log_lines(k, rf"replica 127\.0\.0\.5@{silent.port} current, serial {published}")

        # An IXFR query with an older serial: behind, holding that serial.
        older = published - 7
        ixfr = dns.message.make_query(Z, "IXFR")
        ixfr.authority.append(dns.rrset.from_text(
            Z, 0, "IN", "SOA", f"ns1.{Z} hostmaster.{Z} {older} {REFRESH} 600 1209600 300"))
        dns.query.udp(ixfr, "127.0.0.1", port=k.port, source="127.0.0.5", timeout=5)
        r = wait_for(lambda: (r := replica(k))["replica[behind]"] == 1 and r, 5, "behind")
        assert r[name] == older, r

        # Another client: counted and logged (once), nobody's state changes.
        for _ in range(2):
            dns.query.tcp(axfr, "127.0.0.1", port=k.port, source="127.0.0.6", timeout=5)
        r = wait_for(lambda: (r := replica(k))["replica-untracked"] == 2 and r, 5, "untracked")
        assert r["replica[behind]"] == 1 and r[name] == older, r
        assert len(log_lines(k, r"replica 127\.0\.0\.6@\d+ not in the notify list")) == 1
    finally:
        silent.close()


def test_checks_are_paced(knot, record_property):
    """Checks of many zones stay under the process-wide rate (400 a second
    plus a saved burst of 40), whatever the zones ask: 300 zones x 2
    secondaries checked every second would be 600 a second."""
    servers = [FakeServer("127.0.0.1", serial=1), FakeServer("127.0.0.1", serial=1)]
    try:
        zones = {f"z{i}.test.": soa_zone(f"z{i}.test.", serial=1) for i in range(300)}
        k = knot(zones, mod_conf={"serial-format": "keep", "replica-check-interval": 1,
                                  "statistics": "replica"},
                 extra_conf=remotes_conf([(f"f{i}", "127.0.0.1", s.port, None)
                                          for i, s in enumerate(servers)]),
                 template_extra=["notify: [f0, f1]"], workers=1)
        k.start(wait_zones=False, timeout=60)
        # Every zone's first version comes from the module's own checks
        # (change detection); then its secondaries are checked each second.
        time.sleep(12)
        t_end = time.monotonic()
        times = sorted(servers[0].times + servers[1].times)
        window = [t for t in times if t >= t_end - 8]
        per_second = [sum(1 for t in window if a <= t < a + 1.0)
                      for a in (t_end - 8 + 0.1 * i for i in range(70))]
        peak, mean = max(per_second), len(window) / 8
        record_property("peak_per_second", peak)
        record_property("mean_per_second", round(mean, 1))
        assert peak <= 400 + 40 + 5, (peak, mean)       # +5: scheduling slack
        assert mean >= 300, (peak, mean)                # the rate is used, not starved
        r = replica(k, "z7.test.")
        assert r["replica[current]"] == 2 and r["replica-check[answered]"] >= 2, r
    finally:
        for s in servers:
            s.close()


def test_prometheus_rules():
    """The shipped alert rules are valid and pass their unit tests."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool missing: apt-get install prometheus (make deps)")
    rules = f"{ROOT}/docs/prometheus/mod-soa.rules.yml"
    r = subprocess.run([promtool, "check", "rules", rules], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([promtool, "test", "rules",
                        f"{ROOT}/tests/prometheus/mod-soa.rules.test.yml"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
