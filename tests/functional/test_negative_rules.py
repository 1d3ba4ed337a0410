"""negative-ttl-rule: per-name caps on the negative TTL (ACME challenges,
launches), on the SOA, its RRSIG and the NSEC/NSEC3 proofs alike."""

import dns.rcode
import dns.rdatatype
import pytest

from knotharness import soa_zone
from test_config import conf_check
from test_dnssec import POLICIES, keys_of, validate_section, wait_signed

Z = "example.test."
ACME = "_acme-challenge 30s"


def authority_ttls(r):
    return {(rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype)): rrset.ttl
            for rrset in r.authority}


@pytest.mark.parametrize("policy", ["nsec", "nsec3"])
@pytest.mark.parametrize("kind", ["nxdomain", "nodata"])
def test_acme_challenge_signed(knot, policy, kind):
    """MINIMUM 3600, `_acme-challenge 30s`: the challenge name's negative
    answers carry 30 on every authority record, the signatures validate,
    other names keep the zone policy."""
    body = ['_acme-challenge.www TXT "token"'] if kind == "nodata" else []
    zone = soa_zone(Z, soa_ttl=7200, minimum=3600, body=body)
    k = knot({Z: zone}, mod_conf={"negative-ttl-rule": [ACME]}, extra_conf=POLICIES,
             zone_extra={Z: ["dnssec-signing: on", f"dnssec-policy: {policy}"]}).start()
    keys = keys_of(wait_signed(k, Z))
    before = k.stats(Z)

    qtype = "A" if kind == "nodata" else "TXT"
    r = k.query("_acme-challenge.www." + Z, qtype, dnssec=True)
    assert r.rcode() == (dns.rcode.NOERROR if kind == "nodata" else dns.rcode.NXDOMAIN)
    assert not r.answer
    proof = dns.rdatatype.NSEC if policy == "nsec" else dns.rdatatype.NSEC3
    types = {rrset.rdtype for rrset in r.authority}
    assert {dns.rdatatype.SOA, proof, dns.rdatatype.RRSIG} <= types, r
    assert set(authority_ttls(r).values()) == {30}, authority_ttls(r)
    assert validate_section(r.authority, keys) >= 2

    # Other names: the zone policy, min(7200, 3600).
    r = k.query("other.www." + Z, "A", dnssec=True)
    assert set(authority_ttls(r).values()) == {3600}, authority_ttls(r)
    validate_section(r.authority, keys)

    after = k.stats(Z)
    assert after["negative-ttl[rule]"] - before["negative-ttl[rule]"] == 1
    neg = "negative[nodata]" if kind == "nodata" else "negative[nxdomain]"
    assert after[neg] - before[neg] == (1 if kind == "nodata" else 2)


def test_acme_challenge_unsigned_udp_and_tcp(knot):
    zone = soa_zone(Z, soa_ttl=7200, minimum=3600)
    k = knot({Z: zone}, mod_conf={"negative-ttl-rule": [ACME]}).start()
    for tcp in (False, True):
        r = k.query("_acme-challenge.host." + Z, "TXT", tcp=tcp)
        assert r.rcode() == dns.rcode.NXDOMAIN
        assert [rrset.ttl for rrset in r.authority] == [30]
        # The SOA record keeps the zone's own fields.
        assert r.authority[0][0].minimum == 3600
    assert [rrset.ttl for rrset in k.query("nx." + Z, "A").authority] == [3600]
    # Positive answers are untouched.
    assert k.query("www." + Z, "A").answer[0].ttl == 60


RULES = ["_acme-challenge 30", "launch.example.test. 60", "Deep.Launch.Example.Test. 5",
         "big 2h", "quiet 0"]


@pytest.mark.parametrize("qname,ttl", [
    ("_acme-challenge.www." + Z, 30),             # label rule
    ("_ACME-Challenge.www." + Z, 30),             # any case in the question
    ("x._acme-challenge." + Z, 300),              # a label rule looks at the leftmost label
    ("launch." + Z, 60),                          # a subtree holds its own name
    ("www.launch." + Z, 60),
    ("_acme-challenge.launch." + Z, 60),          # a subtree beats a label
    ("x.deep.launch." + Z, 5),                    # a longer subtree beats a shorter one
    ("X.DEEP.LAUNCH." + Z.upper(), 5),            # rule and question in other cases
    ("xlaunch." + Z, 300),                        # subtrees end at label boundaries
    ("big." + Z, 300),                            # a rule caps, never raises
    ("quiet." + Z, 0),                            # TIME 0: do not cache
    ("nx." + Z, 300),                             # no rule: the zone policy
])
def test_rule_precedence_and_case(knot, qname, ttl):
    k = knot({Z: soa_zone(Z, soa_ttl=7200, minimum=300)},
             mod_conf={"negative-ttl-rule": RULES}).start()
    r = k.query(qname, "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert [rrset.ttl for rrset in r.authority] == [ttl]


def test_rule_replaces_zone_bounds(knot):
    """A rule is a cap: negative-ttl-min does not raise it, and it is not
    lowered by negative-ttl-max (it replaces both for the names it matches)."""
    k = knot({Z: soa_zone(Z, soa_ttl=7200, minimum=3600)},
             mod_conf={"negative-ttl-min": 600, "negative-ttl-max": 900,
                       "negative-ttl-rule": [ACME, "launch.example.test. 1800"]}).start()
    assert k.query("_acme-challenge.a." + Z, "A").authority[0].ttl == 30
    assert k.query("www.launch." + Z, "A").authority[0].ttl == 1800
    assert k.query("nx." + Z, "A").authority[0].ttl == 900
    s = k.stats(Z)
    assert (s["negative-ttl[rule]"], s["negative-ttl[capped]"]) == (2, 1)


def test_rules_and_floor(knot):
    """minimum-as-floor runs a later stage: rules still apply to negative
    answers there."""
    k = knot({Z: soa_zone(Z, soa_ttl=7200, minimum=600)},
             mod_conf={"minimum-as-floor": True, "negative-ttl-rule": [ACME]}).start()
    assert k.query("_acme-challenge.a." + Z, "A").authority[0].ttl == 30
    assert k.query("www." + Z, "A").answer[0].ttl == 600


@pytest.mark.parametrize("value,needle", [
    ("_acme-challenge", "expected '<name> <TIME>'"),
    ("_acme-challenge 30s 40s", "expected '<name> <TIME>'"),
    ("www.example 30", "a label rule is one label"),
    ("a..b. 30", "not a valid domain name"),
    ("x" * 64 + " 30", "a label rule is one label"),
    ("_acme-challenge 2147483648", "TIME is not 0 to 2147483647"),
    ("_acme-challenge -1", "TIME is not 0 to 2147483647"),
    ("_acme-challenge 30x", "TIME is not 0 to 2147483647"),
    ("_acme-challenge soon", "TIME is not 0 to 2147483647"),
])
def test_malformed_rules_rejected(tmp_path, value, needle):
    rc, out = conf_check(tmp_path, [f'negative-ttl-rule: "{value}"'])
    assert rc != 0, out
    assert "negative-ttl-rule" in out and needle in out, out


@pytest.mark.parametrize("values", [
    ["_acme-challenge 30", "_ACME-Challenge 60"],
    ["launch.example.test. 30", "LAUNCH.example.test. 60"],
])
def test_duplicate_rules_rejected(tmp_path, values):
    items = ["negative-ttl-rule: [ " + ", ".join(f'"{v}"' for v in values) + " ]"]
    rc, out = conf_check(tmp_path, items)
    assert rc != 0, out
    assert "negative-ttl-rule" in out and "the name has another rule" in out, out


def test_label_and_subtree_of_one_name_coexist(tmp_path):
    """'www' (a label) and 'www.' (the subtree www.) are different names."""
    rc, out = conf_check(tmp_path, ['negative-ttl-rule: [ "www 30", "www. 60", "x 1w" ]'])
    assert rc == 0, out
