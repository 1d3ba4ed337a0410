"""AXFR and IXFR with published serials, plain and TSIG-signed, checked by
dnspython as a secondary would, and a real Knot secondary."""

import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.xfr
import dns.zone
import pytest

from knotharness import (LOCAL_ACL, Knotd, acl_with_key, ddns, free_port, keyring,
                         remote_conf, soa_zone)
from serial_helpers import soa_serials_of_xfr, xfr_messages

Z = "example.test."
KEY = ("xfr-key.", "hmac-sha256", "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1zZWNyZXQ=")
KR = keyring(*KEY)


def big_zone(serial=501, n=3000):
    body = [f"h{i} A 10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(n)]
    return soa_zone(Z, serial=serial, body=body)


def primary(knot, tsig, n=3000, **kw):
    extra = {}
    if tsig:
        extra = dict(tsig_keys={KEY[0]: (KEY[1], KEY[2])}, acl_conf=acl_with_key(KEY[0]))
    else:
        extra = dict(acl_conf=LOCAL_ACL)
    return knot({Z: big_zone(n=n)}, mod_conf={"serial-format": "date"},
                template_extra=["acl: local"], **extra, **kw)


def auth(tsig):
    return dict(keyring=KR, keyname=KEY[0]) if tsig else {}


def zone_from_axfr(k, tsig):
    z = dns.zone.Zone(Z, relativize=False)
    q, _ = dns.xfr.make_query(z, **auth(tsig))
    dns.query.inbound_xfr("127.0.0.1", z, q, port=k.port, timeout=10, lifetime=60)
    return z


def apply_ixfr(k, z, tsig):
    """Brings a dns.zone.Zone up to date the way a secondary does."""
    q, serial = dns.xfr.make_query(z, serial=0, **auth(tsig))   # 0: IXFR from the zone
    assert q.question[0].rdtype == dns.rdatatype.IXFR
    dns.query.inbound_xfr("127.0.0.1", z, q, port=k.port, timeout=10, lifetime=60)
    return serial


def zone_serial(z):
    return z.find_rdataset(Z, dns.rdatatype.SOA)[0].serial


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_axfr_multi_message(knot, tsig):
    k = primary(knot, tsig).start()
    p = k.soa_serial(Z)
    before = k.stats(Z)
    msgs = xfr_messages(k, Z, "AXFR", **auth(tsig))     # dnspython checks every TSIG
    assert len(msgs) > 3
    serials = [rd.serial for m in msgs for rr in m.answer if rr.rdtype == dns.rdatatype.SOA
               for rd in rr]
    assert serials == [p, p]
    if tsig:
        assert all(m.had_tsig for m in msgs)
    d = {n: v - before[n] for n, v in k.stats(Z).items()}
    assert d["transfer[axfr]"] == 1 and d["serial-rewrite[axfr]"] == 2
    assert d["transfer[tsig-resigned]"] == (2 if tsig else 0)


def test_axfr_tsig_refused_without_key(knot):
    k = primary(knot, True).start()
    with pytest.raises(dns.xfr.TransferError):
        xfr_messages(k, Z, "AXFR")


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_ixfr_journal(knot, tsig):
    k = primary(knot, tsig).start()
    z = zone_from_axfr(k, tsig)
    p0 = zone_serial(z)
    published = [p0]
    for i in range(3):
        ddns(k, Z, adds=[(f"new{i}", 300, "A", f"192.0.2.{100 + i}")],
             deletes=[(f"h{i}", "A")], **auth(tsig))
        published.append(k.soa_serial(Z))             # the module sees each version
    before = k.stats(Z)

    # The stream maps every version to its published serial.
    serials = soa_serials_of_xfr(k, Z, "IXFR", p0, **auth(tsig))
    p = published
    assert serials == [p[3], p[0], p[1], p[1], p[2], p[2], p[3], p[3]], serials

    # Applied as a secondary does, the result equals a fresh AXFR.
    assert apply_ixfr(k, z, tsig) == p0
    assert zone_serial(z) == p[3]
    fresh = zone_from_axfr(k, tsig)
    assert z == fresh
    assert z.get_rdataset("new2." + Z, "A") is not None and z.get_node("h0." + Z) is None

    d = {n: v - before[n] for n, v in k.stats(Z).items()}
    assert d["transfer[ixfr-journal]"] == 2
    assert d["serial-rewrite[ixfr]"] == 16
    assert d["transfer[axfr]"] == 1


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_ixfr_multi_message(knot, tsig):
    """A change too big for one message: TSIG chaining and SOA mapping hold
    in every message."""
    k = primary(knot, tsig, n=10).start()
    z = zone_from_axfr(k, tsig)
    ddns(k, Z, adds=[(f"bulk{i}.with.a.rather.long.name", 300, "TXT", '"' + "x" * 60 + '"')
                     for i in range(600)], **auth(tsig))
    p = k.soa_serial(Z)
    msgs = xfr_messages(k, Z, "IXFR", zone_serial(z), **auth(tsig))
    assert len(msgs) > 1
    apply_ixfr(k, z, tsig)
    assert zone_serial(z) == p and z == zone_from_axfr(k, tsig)


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_ixfr_up_to_date(knot, tsig):
    k = primary(knot, tsig, n=10).start()
    p = k.soa_serial(Z)
    before = k.stats(Z)
    msgs = xfr_messages(k, Z, "IXFR", p, **auth(tsig))
    records = [rr for m in msgs for rr in m.answer]
    assert len(records) == 1 and records[0][0].serial == p
    d = {n: v - before[n] for n, v in k.stats(Z).items()}
    assert d["transfer[ixfr-current]"] == 1


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_ixfr_unknown_serial_gets_full_zone(knot, tsig):
    k = primary(knot, tsig, n=10).start()
    p = k.soa_serial(Z)
    before = k.stats(Z)
    for client in (501, 12345, p - 1000):              # real, unknown, never published
        msgs = xfr_messages(k, Z, "IXFR", client, **auth(tsig))
        records = [rr for m in msgs for rr in m.answer]
        assert records[0].rdtype == dns.rdatatype.SOA and records[0][0].serial == p
        assert records[-1].rdtype == dns.rdatatype.SOA and records[-1][0].serial == p
        assert len(records) > 10                        # the whole zone, AXFR-style
    d = {n: v - before[n] for n, v in k.stats(Z).items()}
    assert d["transfer[ixfr-full]"] == 3


def test_ixfr_over_udp(knot):
    k = primary(knot, False, n=10).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("u1", 300, "A", "192.0.2.1")])
    p1 = k.soa_serial(Z)
    q = dns.message.make_query(Z, "IXFR")
    soa = dns.rrset.from_text(Z, 0, "IN", "SOA", f". . {p0} 0 0 0 0")
    q.authority.append(soa)
    r = dns.query.udp(q, "127.0.0.1", port=k.port, timeout=3)
    assert [(rr.rdtype, rr[0].serial) for rr in r.answer] == [(dns.rdatatype.SOA, p1)]


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_ixfr_history_gap(knot, tsig):
    """A version the module never saw: that IXFR fails cleanly (signed error
    reply), the retry gets the full zone, and the zone ends up right."""
    k = primary(knot, tsig, n=10).start()
    z = zone_from_axfr(k, tsig)
    ddns(k, Z, adds=[("g1", 300, "A", "192.0.2.1")], **auth(tsig))
    ddns(k, Z, adds=[("g2", 300, "A", "192.0.2.2")], **auth(tsig))   # no query between
    with pytest.raises(dns.xfr.TransferError) as e:
        apply_ixfr(k, z, tsig)
    assert e.value.rcode == dns.rcode.SERVFAIL
    assert "a version the module never saw" in k.log_text()
    before = k.stats(Z)
    apply_ixfr(k, z, tsig)
    assert z == zone_from_axfr(k, tsig)
    d = {n: v - before[n] for n, v in k.stats(Z).items()}
    assert d["transfer[ixfr-full]"] == 1


def wait_for(fn, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fn():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_knot_secondary_follows_updates(knot, tmp_path, tsig):
    p_port, s_port = free_port(), free_port()
    keys = {KEY[0]: (KEY[1], KEY[2])} if tsig else {}
    acl = acl_with_key(KEY[0]) if tsig else LOCAL_ACL
    key = KEY[0] if tsig else None
    prim = knot({Z: soa_zone(Z, serial=501)}, name="primary", port=p_port,
                mod_conf={"serial-format": "date"}, tsig_keys=keys, acl_conf=acl,
                template_extra=["acl: local"],
                extra_conf=remote_conf("secondary", s_port, key),
                zone_extra={Z: ["notify: secondary"]}).start()
    sec = knot({Z: None}, name="secondary", port=s_port, module=False, tsig_keys=keys,
               acl_conf=acl, template_extra=["acl: local"],
               extra_conf=remote_conf("primary", p_port, key),
               zone_extra={Z: ["master: primary"]}).start()
    assert sec.soa_serial(Z) == prim.soa_serial(Z)

    for i in range(5):
        ddns(prim, Z, adds=[(f"s{i}", 300, "A", f"192.0.2.{i + 1}")], **auth(tsig))
        t0 = time.monotonic()
        p = prim.soa_serial(Z)
        wait_for(lambda: sec.soa_serial(Z) == p, 10, f"secondary at {p}")
        assert time.monotonic() - t0 < 5
        r = sec.query(f"s{i}." + Z, "A")
        assert r.rcode() == dns.rcode.NOERROR and r.answer
    stats = prim.stats(Z)
    assert stats["transfer[ixfr-journal]"] >= 4
    assert "IXFR, incoming" in sec.log_text()

