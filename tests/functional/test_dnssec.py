"""Negative answers from zones knotd signs itself: one TTL for the SOA, its
RRSIG and the NSEC/NSEC3 proofs (RFC 2308 §3, RFC 9077), signatures valid."""

import time

import dns.dnssec
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from knotharness import soa_zone

Z = "example.test."

POLICIES = """policy:
  - id: nsec
    algorithm: ecdsap256sha256
  - id: nsec3
    algorithm: ecdsap256sha256
    nsec3: on
"""


def signed(knot, policy, mod_conf):
    zone = soa_zone(Z, soa_ttl=7200, minimum=900)
    k = knot({Z: zone}, mod_conf=mod_conf, extra_conf=POLICIES,
             zone_extra={Z: ["dnssec-signing: on", f"dnssec-policy: {policy}"]})
    k.start()
    return k, wait_signed(k, Z)


def wait_signed(k, zone):
    """Waits until knotd serves the signed version; returns the DNSKEY answer."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        r = k.query(zone, "DNSKEY", dnssec=True)
        if r.answer:
            return r
        time.sleep(0.2)
    raise AssertionError("zone never got signed")


def keys_of(resp):
    dnskey = [a for a in resp.answer if a.rdtype == dns.rdatatype.DNSKEY][0]
    return {dns.name.from_text(Z): dnskey}


def validate_section(section, keys):
    """Validates every RRset of a section with its RRSIGs; returns the count."""
    sigs = {(r.name, r.covers): r for r in section if r.rdtype == dns.rdatatype.RRSIG}
    n = 0
    for rrset in section:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            continue
        sig = sigs[(rrset.name, rrset.rdtype)]
        dns.dnssec.validate(rrset, sig, keys)
        n += 1
    return n


@pytest.mark.parametrize("policy", ["nsec", "nsec3"])
@pytest.mark.parametrize("qname,qtype,rcode", [
    ("nx." + Z, "A", dns.rcode.NXDOMAIN),
    ("www." + Z, "TXT", dns.rcode.NOERROR),
    ("x.wild." + Z, "AAAA", dns.rcode.NOERROR),
    ("b.ent." + Z, "A", dns.rcode.NOERROR),
], ids=["nxdomain", "nodata", "wildcard-nodata", "ent"])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_signed_negative_ttls_and_signatures(knot, policy, qname, qtype, rcode, tcp):
    k, keyresp = signed(knot, policy, {"negative-ttl-max": 120})
    keys = keys_of(keyresp)
    r = k.query(qname, qtype, dnssec=True, tcp=tcp)
    assert r.rcode() == rcode

    proof_type = dns.rdatatype.NSEC if policy == "nsec" else dns.rdatatype.NSEC3
    types = {rrset.rdtype for rrset in r.authority}
    assert dns.rdatatype.SOA in types and proof_type in types, r

    # One negative TTL on the SOA, the proofs and all their RRSIGs.
    for rrset in r.authority:
        assert rrset.ttl == 120, f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} {rrset.ttl}"
    # Original TTL fields keep the signed values, so signatures still validate.
    origs = {sig.original_ttl for rrset in r.authority
             if rrset.rdtype == dns.rdatatype.RRSIG for sig in rrset}
    assert 120 not in origs
    assert validate_section(r.authority, keys) >= 2


def test_signed_raise(knot):
    k, keyresp = signed(knot, "nsec", {"negative-ttl-min": 3600})
    r = k.query("nx." + Z, "A", dnssec=True)
    assert {rrset.ttl for rrset in r.authority} == {3600}
    assert validate_section(r.authority, keys_of(keyresp)) >= 2


def test_signed_without_do_bit(knot):
    k, _ = signed(knot, "nsec3", {"negative-ttl-max": 120})
    r = k.query("nx." + Z, "A", dnssec=False)
    assert [rrset.ttl for rrset in r.authority] == [120]


def test_signed_zone_serial_left_alone(knot):
    """Date mode on a zone knotd signs: the real serial is published, SOA
    signatures stay valid, and the skip is counted and logged."""
    k, keyresp = signed(knot, "nsec", {"serial-format": "date"})
    real = k.zone_serial(Z)
    before = k.stats(Z)
    r = k.query(Z, "SOA", dnssec=True)
    soa = [a for a in r.answer if a.rdtype == dns.rdatatype.SOA][0]
    assert soa[0].serial == real
    validate_section(r.answer, keys_of(keyresp))
    r = k.query("nx." + Z, "A", dnssec=True)
    assert [a for a in r.authority if a.rdtype == dns.rdatatype.SOA][0][0].serial == real
    validate_section(r.authority, keys_of(keyresp))
    after = k.stats(Z)
    assert after["serial-rewrite[skipped-signed]"] - before["serial-rewrite[skipped-signed]"] == 2
    assert after["soa[published-serial]"] == real
    assert after["serial-rewrite[answer]"] == 0 and after["serial-rewrite[authority]"] == 0
    assert "zone is DNSSEC-signed" in k.log_text()
