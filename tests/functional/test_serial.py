"""Date-format published serials: allocation, persistence, and agreement
between SOA answers, negative answers, AXFR, IXFR and secondaries."""

import datetime
import os
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.xfr
import dns.zone
import pytest

from knotharness import LOCAL_ACL, ddns, soa_zone
from serial_helpers import axfr_records, published, soa_serials_of_xfr, today

Z = "example.test."


def primary(knot, serial=501, mod_conf=None, **kw):
    conf = {"serial-format": "date"}
    conf.update(mod_conf or {})
    return knot({Z: soa_zone(Z, serial=serial)}, mod_conf=conf, acl_conf=LOCAL_ACL,
                template_extra=["acl: local"], **kw)


def test_published_everywhere(knot):
    k = primary(knot).start()
    p = k.soa_serial(Z)
    assert p // 100 in today() and p % 100 == 0
    assert k.zone_serial(Z) == 501                       # knotd still holds 501
    assert k.soa_serial(Z, tcp=True) == p
    for qname, qtype in (("nx." + Z, "A"), ("www." + Z, "TXT")):
        for tcp in (False, True):
            r = k.query(qname, qtype, tcp=tcp)
            assert [a for a in r.authority if a.rdtype == dns.rdatatype.SOA][0][0].serial == p
    serials = soa_serials_of_xfr(k, Z, "AXFR")
    assert serials == [p, p]
    records = axfr_records(k, Z)
    assert records[0] == records[-1] and records[0].rdtype == dns.rdatatype.SOA
    s = k.stats(Z)
    assert s["soa[published-serial]"] == p and s["soa[serial]"] == 501
    assert s["serial-update"] == 1 and s["transfer[axfr]"] == 2
    assert s["serial-rewrite[axfr]"] == 4                 # 2 SOAs x 2 transfers


def test_date_serial_zone_published_as_is(knot):
    real = int(sorted(today())[0]) * 100 + 7
    k = primary(knot, serial=real).start()
    assert k.soa_serial(Z) == real
    assert k.stats(Z)["serial-rewrite[answer]"] == 0


def test_reset_still_goes_up(knot):
    k = primary(knot, serial=900).start()
    p1 = k.soa_serial(Z)
    k.reload_zone(Z, soa_zone(Z, serial=1, body=["reset A 192.0.2.77"]))
    k.wait_real_serial(Z, 1)
    p2 = k.soa_serial(Z)
    assert p2 == p1 + 1
    k.reload_zone(Z, soa_zone(Z, serial=2, body=["reset A 192.0.2.78"]))
    k.wait_real_serial(Z, 2)
    assert k.soa_serial(Z) == p2 + 1


def test_restored_old_serial_moves_forward(knot):
    """A zone file restored with an older serial that was published before
    gets a new published serial, not its old one."""
    k = primary(knot, serial=700).start()
    p700 = k.soa_serial(Z)
    k.reload_zone(Z, soa_zone(Z, serial=701))
    k.wait_real_serial(Z, 701)
    p701 = k.soa_serial(Z)
    k.reload_zone(Z, soa_zone(Z, serial=700, body=["restored A 192.0.2.9"]))
    k.wait_real_serial(Z, 700)
    p = k.soa_serial(Z)
    assert p > p701 > p700


def test_130_updates_in_one_day(knot):
    k = primary(knot).start()
    day = today()
    seen = [k.soa_serial(Z)]
    for i in range(130):
        ddns(k, Z, adds=[(f"u{i}", 300, "A", "192.0.2.1")])
        seen.append(k.soa_serial(Z))
    assert all(b > a for a, b in zip(seen, seen[1:])), seen
    if today() == day and len(day) == 1:
        # One day: 00..99, then on into the next numbers (...99 -> ...+1 00).
        base = seen[0]
        assert base % 100 == 0
        assert seen == list(range(base, base + 131))
        assert seen[100] // 100 == base // 100 + 1
    assert k.stats(Z)["serial-update"] == 131


def test_restart_keeps_published(knot):
    k = primary(knot).start()
    ddns(k, Z, adds=[("r1", 300, "A", "192.0.2.1")])
    p = k.soa_serial(Z)
    k.restart()
    assert k.soa_serial(Z) == p
    assert k.stats(Z)["serial-update"] == 0               # nothing new allocated


def test_kill9_right_after_update(knot):
    k = primary(knot).start()
    ddns(k, Z, adds=[("k1", 300, "A", "192.0.2.1")])
    p = k.soa_serial(Z)                                   # allocated and answered
    k.stop(kill=True)
    assert k.returncode == -9
    k.start()
    assert k.soa_serial(Z) == p

    # Killed after an update that nobody has queried yet: a new serial
    # is allocated after the restart, above the last one.
    ddns(k, Z, adds=[("k2", 300, "A", "192.0.2.2")])
    k.stop(kill=True)
    k.start()
    assert k.soa_serial(Z) == p + 1


def test_serial_floor(knot):
    k = primary(knot, mod_conf={"serial-floor": 2030010105}).start()
    assert k.soa_serial(Z) == 2030010105
    ddns(k, Z, adds=[("f1", 300, "A", "192.0.2.1")])
    assert k.soa_serial(Z) == 2030010106


def test_not_convertible(knot):
    k = primary(knot, serial=3000000000).start()
    assert k.soa_serial(Z) == 3000000000
    s = k.stats(Z)
    assert s["lint[serial-not-convertible]"] == 1
    log = k.log_text()
    assert "serial-floor" in log and "RFC 1912" in log


def test_keep_mode_never_rewrites(knot):
    k = knot({Z: soa_zone(Z, serial=501)}, mod_conf={"serial-format": "keep"},
             acl_conf=LOCAL_ACL, template_extra=["acl: local"]).start()
    assert k.soa_serial(Z) == 501
    assert soa_serials_of_xfr(k, Z, "AXFR") == [501, 501]
    assert not os.path.exists(os.path.join(k.storage, "mod-soa"))


def test_state_db_option(knot, tmp_path):
    path = tmp_path / "elsewhere"
    k = primary(knot, mod_conf={"state-db": str(path)}).start()
    k.soa_serial(Z)
    assert (path / "data.mdb").exists()
    assert not os.path.exists(os.path.join(k.storage, "mod-soa"))


def test_two_servers_share_state(knot, tmp_path):
    """Two knotd processes serving the same zone version from one state
    directory publish the same serial."""
    shared = str(tmp_path / "shared-state")
    a = primary(knot, name="a", mod_conf={"state-db": shared}).start()
    b = primary(knot, name="b", mod_conf={"state-db": shared}).start()
    assert a.soa_serial(Z) == b.soa_serial(Z)
    a.reload_zone(Z, soa_zone(Z, serial=502))
    b.reload_zone(Z, soa_zone(Z, serial=502))
    a.wait_real_serial(Z, 502)
    b.wait_real_serial(Z, 502)
    assert a.soa_serial(Z) == b.soa_serial(Z)
    # One allocation per version, whichever process saw it first.
    assert a.stats(Z)["serial-update"] + b.stats(Z)["serial-update"] == 2


@pytest.mark.parametrize("how", ["reload", "zone-reload -f", "zone-reload"])
def test_reloads_keep_published(knot, how):
    k = primary(knot).start()
    ddns(k, Z, adds=[("r", 300, "A", "192.0.2.1")])
    p = k.soa_serial(Z)
    if how == "reload":
        k.knotc("reload")
    elif how == "zone-reload -f":
        k.knotc("zone-reload", Z, force=True)
    else:
        k.knotc("zone-reload", Z)
    for _ in range(3):
        assert k.soa_serial(Z) == p
        assert k.soa_serial(Z, tcp=True) == p
    assert soa_serials_of_xfr(k, Z, "AXFR") == [p, p]
    # Knot's journal still has the DDNS change: the version is the same.
    assert k.zone_serial(Z) == 502
    if how != "zone-reload":
        assert k.stats(Z)["serial-update"] == 0          # new instance, nothing new


NO_XFR_HOOKS = "no ACL allows transfers, transfer hooks not needed"


@pytest.mark.parametrize("acl,template_acl,hooks", [
    (None, None, False),
    ("acl:\n  - id: up\n    address: 127.0.0.1\n    action: update", "acl: up", False),
    ("acl:\n  - id: no\n    address: 127.0.0.1\n    action: transfer\n    deny: on", "acl: no", False),
    ("acl:\n  - id: q\n    address: 127.0.0.1", "acl: q", False),                 # default: query
    ("acl:\n  - id: t\n    address: 127.0.0.1\n    action: [update, transfer]", "acl: t", True),
    ("acl:\n  - id: no\n    address: 10.0.0.1\n    action: transfer\n    deny: on\n"
     "  - id: t\n    address: 127.0.0.1\n    action: transfer", "acl: [no, t]", True),
], ids=["none", "update-only", "deny-transfer", "query-only", "update-transfer", "deny-then-allow"])
def test_transfer_hooks_follow_acl(knot, acl, template_acl, hooks):
    """BEGIN/END cost every query, so they are registered only where an ACL
    rule can allow a transfer; where one can, transfers are rewritten."""
    k = knot({Z: soa_zone(Z, serial=501)}, mod_conf={"serial-format": "date"},
             acl_conf=acl, template_extra=[template_acl] if template_acl else [],
             log_level="debug").start()
    p = k.soa_serial(Z)
    assert (NO_XFR_HOOKS not in k.log_text()) == hooks
    if hooks:
        assert soa_serials_of_xfr(k, Z, "AXFR") == [p, p]
    else:
        r = k.query(Z, "AXFR", tcp=True)
        assert r.rcode() != dns.rcode.NOERROR          # knotd refuses it anyway
