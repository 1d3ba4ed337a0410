"""Negative caching policy (RFC 2308 §3 and §5) on the wire of a real knotd."""

import socket

import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from knotharness import soa_zone

Z = "example.test."


def authority_soa(resp):
    soas = [rrset for rrset in resp.authority if rrset.rdtype == dns.rdatatype.SOA]
    assert len(soas) == 1, resp
    return soas[0]


# (qname, qtype, rcode, what): every negative answer shape knotd produces.
NEGATIVES = [
    ("nx." + Z, "A", dns.rcode.NXDOMAIN, "NXDOMAIN"),
    ("www." + Z, "TXT", dns.rcode.NOERROR, "NODATA"),
    ("x.wild." + Z, "AAAA", dns.rcode.NOERROR, "wildcard NODATA"),
    ("b.ent." + Z, "A", dns.rcode.NOERROR, "empty non-terminal"),
    ("dangling." + Z, "A", dns.rcode.NXDOMAIN, "CNAME chain ending in NXDOMAIN"),
    (Z, "TXT", dns.rcode.NOERROR, "NODATA at the apex"),
]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
@pytest.mark.parametrize("qname,qtype,rcode,what", NEGATIVES, ids=[n[3] for n in NEGATIVES])
def test_negative_ttl_capped(knot, qname, qtype, rcode, what, tcp):
    # SOA TTL 7200, MINIMUM 300: RFC 2308 gives 300, the cap gives 60.
    k = knot(mod_conf={"negative-ttl-max": 60, "serial-format": "keep"}).start()
    r = k.query(qname, qtype, tcp=tcp)
    assert r.rcode() == rcode
    assert not [a for a in r.answer if a.rdtype == dns.rdatatype.from_text(qtype)]
    assert authority_soa(r).ttl == 60


def test_without_module_knotd_uses_minimum(knot):
    """The baseline the cap acts on: plain knotd answers min(TTL, MINIMUM)."""
    k = knot(module=False).start()
    assert authority_soa(k.query("nx." + Z, "A")).ttl == 300


def test_negative_ttl_raised(knot):
    k = knot(mod_conf={"negative-ttl-min": "10m", "serial-format": "keep"}).start()
    before = k.stats(Z)
    assert authority_soa(k.query("nx." + Z, "A")).ttl == 600
    after = k.stats(Z)
    assert after["negative-ttl[raised]"] - before["negative-ttl[raised]"] == 1
    assert after["negative-ttl[capped]"] == before["negative-ttl[capped]"]


def test_default_cap_is_three_hours(knot):
    zone = soa_zone(Z, soa_ttl=86400, minimum=86400)
    k = knot({Z: zone}, mod_conf={"serial-format": "keep"}).start()
    assert authority_soa(k.query("nx." + Z, "A")).ttl == 10800
    assert k.stats(Z)["soa[negative-ttl]"] == 10800


def test_within_bounds_is_rfc2308_value(knot):
    k = knot(mod_conf={"negative-ttl-min": 60, "negative-ttl-max": 3600,
                       "serial-format": "keep"}).start()
    before = k.stats(Z)
    assert authority_soa(k.query("nx." + Z, "A")).ttl == 300
    after = k.stats(Z)
    assert after["negative-ttl[capped]"] == before["negative-ttl[capped]"]
    assert after["negative-ttl[raised]"] == before["negative-ttl[raised]"]


def test_soa_ttl_below_minimum(knot):
    """min(SOA TTL, MINIMUM) takes the SOA TTL when it is the smaller one."""
    zone = soa_zone(Z, soa_ttl=120, minimum=3600)
    k = knot({Z: zone}, mod_conf={"serial-format": "keep", "negative-ttl-min": 0}).start()
    assert authority_soa(k.query("nx." + Z, "A")).ttl == 120


def raw_query(port, qname, qtype, qid, tcp=False):
    q = dns.message.make_query(qname, qtype, use_edns=0, payload=1232)
    q.id = qid
    wire = q.to_wire()
    if tcp:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(len(wire).to_bytes(2, "big") + wire)
            head = s.recv(2)
            n = int.from_bytes(head, "big")
            data = b""
            while len(data) < n:
                data += s.recv(n - len(data))
            return data
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(wire, ("127.0.0.1", port))
        return s.recvfrom(65535)[0]


POSITIVES = [
    ("www." + Z, "A"), ("www." + Z, "AAAA"), ("mail." + Z, "MX"), (Z, "NS"),
    ("alias." + Z, "A"), ("x.wild." + Z, "TXT"), ("ns.sub." + Z, "A"),
    ("deep.sub." + Z, "A"), ("a.b.ent." + Z, "A"), ("ns1." + Z, "A"),
]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_positive_answers_byte_identical(knot, tcp):
    """With the module (floor off), positive answers and referrals are exactly
    what knotd sends without it."""
    plain = knot(name="plain", module=False).start()
    mod = knot(name="mod", mod_conf={"negative-ttl-max": 60, "negative-ttl-min": 30}).start()
    for i, (qname, qtype) in enumerate(POSITIVES):
        a = raw_query(plain.port, qname, qtype, 1000 + i, tcp)
        b = raw_query(mod.port, qname, qtype, 1000 + i, tcp)
        assert a == b, f"{qname} {qtype} differs"
        assert dns.message.from_wire(a).rcode() == dns.rcode.NOERROR


def test_zone_data_untouched(knot):
    """The zone held by knotd keeps its TTLs and serial: only the wire changes."""
    k = knot(mod_conf={"negative-ttl-max": 60}).start()
    for i in range(20):
        k.query(f"nx{i}." + Z, "A")
        k.query(Z, "SOA")
    out = k.knotc("zone-read", Z, "@", "SOA")
    assert "7200 SOA" in out and " 2026010100 " in out, out


def test_minimum_as_floor(knot):
    zone = soa_zone(Z, minimum=300, body=["low 30 A 192.0.2.99", "mx2 MX 10 low"])
    k = knot({Z: zone}, mod_conf={"minimum-as-floor": True, "serial-format": "keep"}).start()
    before = k.stats(Z)

    r = k.query("www." + Z, "A")                      # TTL 60 in the zone
    assert r.answer[0].ttl == 300
    r = k.query("www." + Z, "AAAA")                   # 3600: above the floor
    assert r.answer[0].ttl == 3600
    r = k.query("mx2." + Z, "MX")                      # glue with TTL 30
    glue = [a for a in r.additional if a.rdtype == dns.rdatatype.A]
    assert glue and glue[0].ttl == 300
    assert r.answer[0].ttl == 3600

    after = k.stats(Z)
    assert after["floor-raised"] - before["floor-raised"] == 2

    # Negative answers keep the negative policy, not the floor.
    assert authority_soa(k.query("nx." + Z, "A")).ttl == 300


def test_floor_off_keeps_low_ttls(knot):
    k = knot(mod_conf={"serial-format": "keep"}).start()
    assert k.query("www." + Z, "A").answer[0].ttl == 60
    assert k.stats(Z)["floor-raised"] == 0


def test_garbage_queries_do_not_hurt(knot):
    k = knot(mod_conf={"negative-ttl-max": 60}).start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for payload in (b"", b"\x00" * 5, b"\xff" * 12, b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\x3fabc",
                        bytes(range(256)) * 2):
            s.sendto(payload, ("127.0.0.1", k.port))
    assert authority_soa(k.query("nx." + Z, "A")).ttl == 60
    assert k.alive()
