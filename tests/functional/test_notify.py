"""Real secondaries (BIND 9, NSD, Knot) of a date-mode mod-soa primary follow
every published-serial change through NOTIFY within seconds.

The zone's SOA refresh is 3600 s (retry 600 s), so a secondary that ignores a
NOTIFY cannot catch up by polling within a test: each update must reach every
secondary within FOLLOW_WITHIN seconds of the update's completion, measured
until the secondary's SOA answer shows the primary's new published serial and
its data holds the update's new record.

knotd's own NOTIFY carries the zone's real serial (e.g. 502), far below the
published date serial (e.g. 2026112101) the secondaries hold: BIND logs
"notify from ...: zone is up to date" and NSD drops it silently, so only a
NOTIFY carrying the published serial (the module's notify-published) makes
them follow. Knot secondaries refresh on any NOTIFY whose serial differs from
theirs. The no-module tests show that the harness itself works.
"""

import time

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rrset
import pytest

from knotharness import LOCAL_ACL, acl_with_key, ddns, free_port, keyring, soa_zone
from secondaries import KINDS, available, make_secondary, stop_all

Z = "example.test."
KEY = ("notify-key.", "hmac-sha256", "bm90aWZ5LXRlc3RzLW9ubHktbm90LWEtcmVhbC1zZWNyZXQ=")
REAL0 = 501             # the zone's first real serial
UPDATES = 3
FOLLOW_WITHIN = 5.0     # seconds from an update's completion
REFRESH, RETRY = 3600, 600

METHODS = ("zonefile", "ddns")


def zone_text(real, records):
    body = [f"{name} 300 A {addr}" for name, addr in records]
    return soa_zone(Z, serial=real, refresh=REFRESH, retry=RETRY, body=body)


def remotes_conf(remotes):
    """One `remote:` section for [(id, port, key name or None)]."""
    lines = ["remote:"]
    for rid, port, key in remotes:
        lines += [f"  - id: {rid}", f"    address: 127.0.0.1@{port}"]
        if key:
            lines.append(f"    key: {key}")
    return "\n".join(lines)


@pytest.fixture
def secondaries(tmp_path):
    """Factory: secondaries(kind, primary_port, port, key) -> an unstarted
    secondary. At teardown every started one must still be alive; all are
    stopped."""
    made = []

    def make(kind, primary_port, port, key=None, **kw):
        reason = available(kind)
        if reason:
            pytest.fail(reason)         # a missing package must not pass as a skip
        s = make_secondary(kind, tmp_path / f"sec-{kind}", Z, primary_port, port=port,
                           key=key, **kw)
        made.append(s)
        return s

    yield make

    stop_all(made)


class Setup:
    """A knotd primary (with or without mod-soa in date mode) that NOTIFYs
    the given secondaries, which transfer the zone from it."""

    def __init__(self, knot, secondaries, kinds, module=True, tsig=False):
        self.module = module
        self.tsig = tsig
        self.real = REAL0
        self.records = []
        p_port = free_port()
        ports = {kind: free_port() for kind in kinds}
        key = KEY if tsig else None
        keyname = KEY[0] if tsig else None
        if tsig:
            access = dict(tsig_keys={KEY[0]: (KEY[1], KEY[2])}, acl_conf=acl_with_key(KEY[0]))
        else:
            access = dict(acl_conf=LOCAL_ACL)
        self.prim = knot({Z: zone_text(self.real, self.records)}, name="primary",
                         port=p_port, module=module,
                         mod_conf={"serial-format": "date"} if module else None,
                         template_extra=["acl: local"],
                         extra_conf=remotes_conf([(k, ports[k], keyname) for k in kinds]),
                         zone_extra={Z: [f"notify: [{', '.join(kinds)}]"]},
                         **access).start()
        # knotd logs refused NOTIFYs at debug level only.
        extra = {"knot": {"log_level": "debug"}} if tsig else {}
        self.secs = [secondaries(kind, p_port, ports[kind], key, **extra.get(kind, {}))
                     for kind in kinds]
        for s in self.secs:
            s.start()

    def auth(self):
        return dict(keyring=keyring(*KEY), keyname=KEY[0]) if self.tsig else {}

    def update(self, method, i):
        """One change with a new record; returns when the primary holds it."""
        name, addr = f"n{i}", f"192.0.2.{100 + i}"
        self.records.append((name, addr))
        self.real += 1
        if method == "zonefile":
            self.prim.reload_zone(Z, zone_text(self.real, self.records))
            self.prim.wait_real_serial(Z, self.real, timeout=20)
        else:
            ddns(self.prim, Z, adds=[(name, 300, "A", addr)], **self.auth())
        return name + "." + Z

    def follow(self, method, updates=UPDATES):
        """Runs the updates; every secondary must follow each within
        FOLLOW_WITHIN seconds. Returns the times it took, per secondary."""
        p = self.prim.soa_serial(Z)
        for s in self.secs:
            assert s.soa_serial(Z) == p, f"{s} did not start at the primary's serial {p}"
        if self.module:
            assert p > 2_000_000_000 and self.prim.zone_serial(Z) == REAL0   # date vs real
        times = {s.kind: [] for s in self.secs}
        for i in range(updates):
            record = self.update(method, i)
            done = time.monotonic()
            new = self.prim.soa_serial(Z)          # the new version's published serial
            assert new != p, "the primary's serial did not change"
            p = new
            for s in self.secs:
                left = max(0.1, FOLLOW_WITHIN - (time.monotonic() - done))
                try:
                    s.wait_serial(p, timeout=left, record=(record, "A"))
                except AssertionError as e:
                    raise AssertionError(
                        f"update {i + 1}/{updates} ({method}, real serial {self.real}, "
                        f"published {p}): {e}") from None
                times[s.kind].append(round(time.monotonic() - done, 2))
        return times


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_secondary_follows_published_serial(knot, secondaries, record_property, kind, method):
    setup = Setup(knot, secondaries, [kind])
    times = setup.follow(method)
    record_property("follow_seconds", times)


@pytest.mark.parametrize("kind", KINDS)
def test_secondary_follows_published_serial_tsig(knot, secondaries, record_property, kind):
    """The NOTIFY and the transfers signed with the zone's key."""
    setup = Setup(knot, secondaries, [kind], tsig=True)
    times = setup.follow("ddns")
    record_property("follow_seconds", times)
    # Every NOTIFY came with a valid signature (knotd's own and any other).
    sec = setup.secs[0]
    assert sec.notify_lines()
    assert not sec.unauthenticated_notify_lines(), sec.unauthenticated_notify_lines()


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
@pytest.mark.parametrize("method", METHODS)
def test_harness_without_module(knot, secondaries, record_property, method, tsig):
    """Sanity check of the harness: a plain knotd primary's own NOTIFY (real
    serial, which is what the secondaries hold) moves all three promptly."""
    setup = Setup(knot, secondaries, list(KINDS), module=False, tsig=tsig)
    times = setup.follow(method)
    record_property("follow_seconds", times)
    for sec in setup.secs:
        assert sec.notify_lines(), f"{sec} logged no NOTIFY"
        if tsig:
            assert not sec.unauthenticated_notify_lines(), sec.unauthenticated_notify_lines()


def send_notify(sec, serial, key=None):
    """A NOTIFY for Z with `serial`, as a primary sends it; returns the rcode."""
    q = dns.message.make_query(Z, "SOA")
    q.flags = dns.flags.AA                  # (the opcode lives in the flags too)
    q.set_opcode(dns.opcode.NOTIFY)
    q.answer.append(dns.rrset.from_text(Z, 3600, "IN", "SOA",
                                        f"ns1.{Z} hostmaster.{Z} {serial} {REFRESH} {RETRY} "
                                        "1209600 300"))
    if key:
        q.use_tsig(keyring(*key), keyname=key[0])
    try:
        r = dns.query.udp(q, "127.0.0.1", port=sec.port, timeout=3)
    except dns.exception.DNSException as e:       # e.g. a signed BADSIG reply
        return type(e).__name__
    return dns.rcode.to_text(r.rcode())


@pytest.mark.parametrize("kind", KINDS)
def test_harness_sees_unauthenticated_notify(knot, secondaries, kind):
    """The TSIG tests' check works: a NOTIFY without the key, or signed with
    a wrong secret, shows in unauthenticated_notify_lines()."""
    setup = Setup(knot, secondaries, [kind], module=False, tsig=True)
    sec = setup.secs[0]
    assert not sec.unauthenticated_notify_lines()
    serial = sec.soa_serial(Z)
    wrong = (KEY[0], KEY[1], "d3Jvbmctc2VjcmV0LWZvci10ZXN0cy1vbmx5LXh4eHg=")
    send_notify(sec, serial + 1)
    send_notify(sec, serial + 1, wrong)
    deadline = time.monotonic() + 5
    while len(sec.unauthenticated_notify_lines()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sec.unauthenticated_notify_lines()) >= 2, sec.notify_lines()
