"""What mod-soa assumes about knotd beyond knot/module.h, and the differences
between Knot series, tested on every series make check covers: each test here
fails if a knotd release breaks an assumption module/knotd_compat.c makes."""

import base64
import os
import time

import dns.rcode
import dns.rdatatype
import dns.xfr
import pytest

from knotharness import LOCAL_ACL, ddns, free_port, remote_conf, soa_zone
from serial_helpers import soa_serials_of_xfr, xfr_messages
from test_detect import FakeSecondary, wait_for
from test_xfr import apply_ixfr, auth, big_zone, primary, zone_from_axfr

Z = "example.test."

# A module built for the other series of the same module ABI (3.4 <-> 3.5),
# set by make check-series-X.Y.Z.
SAME_ABI = os.environ.get("SOA_MODULE_SAME_ABI", "")


@pytest.mark.skipif(not SAME_ABI, reason="no build of another series with this module ABI "
                    "(only 3.4 and 3.5 share one; make check-series-X.Y.Z sets it)")
def test_build_of_another_series_is_refused_before_its_schema_is_read(knot):
    """3.4 and 3.5 share module ABI 600, but not the layout of the
    configuration schema: knotd 3.5.6 crashed on a 3.4 build and 3.4.10
    refused every option of a 3.5.6 build. The library withdraws its ABI
    version when it finds a second libknot in the process, so knotd refuses
    it as it refuses any module of another ABI: it does not start, and says
    why (the configuration names the module explicitly)."""
    k = knot(module=False, extra_conf=f'module:\n  - id: mod-soa\n    file: "{SAME_ABI}"',
             template_extra=["module: mod-soa"])
    with pytest.raises(RuntimeError):
        k.start(timeout=10)
    assert k.returncode == 1, k.returncode                   # an error exit, not a crash
    out = k.stderr_text() + k.log_text()
    assert "module 'mod-soa', incompatible version" in out, out
    assert "mod-soa: built for Knot DNS" in out and "libknot.so.15" in out, out
    assert "libknot.so.16" in out and "invalid item" not in out, out


@pytest.mark.series((3, 3), None)
def test_zone_added_by_conf_transaction_gets_the_module(knot):
    """knotc conf-begin/conf-set/conf-commit adds a zone whose template uses
    mod-soa; the new zone's module instance works (knotd 3.3+: the same
    transaction crashed 3.2.6, see docs/mod-soa.rst)."""
    k = knot(mod_conf={"negative-ttl-max": 42})
    k.start()
    new = "added.test."
    k.write_zone(new, soa_zone(new, serial=501))
    k.knotc("conf-begin")
    k.knotc("conf-set", "zone.domain", new)
    k.knotc("conf-commit")
    for _ in range(100):                      # the zone loads in the background
        r = k.query("nx." + new, "A", timeout=0.5)
        if r.rcode() == dns.rcode.NXDOMAIN:
            break
        time.sleep(0.05)
    assert r.rcode() == dns.rcode.NXDOMAIN, k.log_text()
    assert r.authority[0].ttl == 42
    assert k.soa_serial(new) != 501                   # a published date serial
    assert k.query("nx." + Z, "A").authority[0].ttl == 42
    assert k.alive()


# --- Transfers: soa_knotd_zone_may_transfer(), soa_knotd_xfr_more(),
# soa_knotd_force_axfr(), soa_knotd_ixfr_*_serial(), soa_knotd_tsig_*() ---

def test_acl_action_transfer_value(knot):
    """soa_knotd_zone_may_transfer() reads ACL action "transfer" as option
    value 2 (acl_action_t): an ACL allowing transfers only gets the transfer
    hooks, and the AXFR carries the published serial; "notify" (1) and
    "update" (3) do not."""
    for action, hooks in (("transfer", True), ("[notify, update]", False)):
        k = knot({Z: soa_zone(Z, serial=501)}, mod_conf={"serial-format": "date"},
                 acl_conf=f"acl:\n  - id: a\n    address: 127.0.0.1\n    action: {action}",
                 template_extra=["acl: a"], log_level="debug", name=f"acl-{hooks}").start()
        assert ("transfer hooks not needed" not in k.log_text()) == hooks, action
        if hooks:
            p = k.soa_serial(Z)
            assert soa_serials_of_xfr(k, Z, "AXFR") == [p, p] and p != 501
        k.stop()


def test_automatic_acl_transfer_carries_published_serial(knot):
    """soa_knotd_zone_may_transfer(): with server automatic-acl, knotd lets
    the zone's notify remotes transfer without an ACL rule
    (process_query_acl_check()): the transfer hooks must be there for them."""
    k = knot({Z: big_zone(n=10)}, mod_conf={"serial-format": "date"},
             server_extra=["automatic-acl: on"], extra_conf=remote_conf("sec", free_port()),
             template_extra=["notify: sec"])
    k.start()
    p = k.soa_serial(Z)
    assert p != 501
    assert soa_serials_of_xfr(k, Z, "AXFR") == [p, p]
    assert "AXFR, outgoing" in k.log_text() and "automatic" in k.log_text()


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_transfer_message_states(knot, tsig):
    """soa_knotd_xfr_more(): END sees KNOT_STATE_PRODUCE (2) on every message
    but the last. The first message, where the first SOA is, is such a
    message: if the value were wrong, it would go out with the real serial,
    and with TSIG the chain would break."""
    k = primary(knot, tsig).start()
    p = k.soa_serial(Z)
    msgs = xfr_messages(k, Z, "AXFR", **auth(tsig))      # dnspython checks each TSIG
    assert len(msgs) > 3
    first = [rr for rr in msgs[0].answer if rr.rdtype == dns.rdatatype.SOA]
    assert first and first[0][0].serial == p
    assert all(m.had_tsig for m in msgs) == tsig


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
def test_ixfr_client_serial_translated(knot, tsig):
    """soa_knotd_ixfr_set_client_serial(): knotd reads the client's serial
    from its parsed copy of the query after BEGIN, and checks TSIG over the
    query's wire: an IXFR from an earlier published serial is served from
    knotd's journal, and the request's TSIG still verifies."""
    k = primary(knot, tsig, n=10).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("c1", 300, "A", "192.0.2.1")], **auth(tsig))
    p1 = k.soa_serial(Z)
    before = k.stats(Z)
    assert soa_serials_of_xfr(k, Z, "IXFR", p0, **auth(tsig)) == [p1, p0, p1, p1]
    d = {n: v - before[n] for n, v in k.stats(Z).items()}
    assert d["transfer[ixfr-journal]"] == 1


def test_ixfr_forced_axfr_style(knot):
    """soa_knotd_force_axfr(): setting qdata->type to AXFR in BEGIN makes
    knotd answer the IXFR with the whole zone (its own fallback)."""
    k = primary(knot, False, n=10).start()
    p = k.soa_serial(Z)
    msgs = xfr_messages(k, Z, "IXFR", 12345)
    records = [rr for m in msgs for rr in m.answer]
    assert records[0][0].serial == p and records[-1][0].serial == p and len(records) > 10
    assert msgs[0].question[0].rdtype == dns.rdatatype.IXFR


def test_tsig_unsign_signs_the_error_reply(knot):
    """soa_knotd_tsig_unsign(): after knotd signed a message the module must
    refuse (a version it never saw), restoring pkt_count and the MAC makes
    knotd sign its SERVFAIL as that message: dnspython verifies the error
    reply's TSIG (a wrong one would raise BadSignature, not TransferError)."""
    k = primary(knot, True, n=10).start()
    z = zone_from_axfr(k, True)
    ddns(k, Z, adds=[("g1", 300, "A", "192.0.2.1")], **auth(True))
    ddns(k, Z, adds=[("g2", 300, "A", "192.0.2.2")], **auth(True))   # no query between
    with pytest.raises(dns.xfr.TransferError) as e:
        apply_ixfr(k, z, True)
    assert e.value.rcode == dns.rcode.SERVFAIL


# --- NOTIFY: soa_knotd_tsig_algorithm() ---

@pytest.mark.parametrize("alg", ["hmac-sha1", "hmac-sha384", "hmac-sha512"])
def test_tsig_algorithm_of_a_key(knot, alg):
    """soa_knotd_tsig_algorithm(): the key section's algorithm option is a
    dnssec_tsig_algorithm_t; a NOTIFY signed with a key of each algorithm
    verifies at the secondary (dnspython) and its signed reply is accepted."""
    key = ("alg-key.", alg, base64.b64encode(b"k" * 32).decode())
    sec = FakeSecondary(key=key)
    try:
        k = knot({Z: soa_zone(Z, serial=501, refresh=3600)}, mod_conf={"serial-format": "date"},
                 acl_conf=LOCAL_ACL, template_extra=["acl: local"],
                 extra_conf=remote_conf("sec", sec.port, key[0]),
                 zone_extra={Z: ["notify: sec"]}, tsig_keys={key[0]: (key[1], key[2])}).start()
        p0 = k.soa_serial(Z)
        ddns(k, Z, adds=[("t1", 300, "A", "192.0.2.1")])
        wait_for(lambda: p0 + 1 in sec.serials(), 3, "signed NOTIFY")
        assert all(g[2] for g in sec.got if g[1] == p0 + 1), sec.got
        wait_for(lambda: k.stats(Z, settle=False)["notify[acked]"] == 1, 3, "reply accepted")
    finally:
        sec.close()


@pytest.mark.parametrize("events,dbus", [
    ("[running, zone-updated]", True),
    ("[zone-updated, dnssec-invalid]", True),
    ("[running, ksk-submission, dnssec-invalid]", False),
    ("running", False),
])
def test_dbus_event_zone_updated_value(knot, tmp_path, events, dbus):
    """soa_knotd_dbus_zone_updated() reads server dbus-event as knotd's bit
    values (DBUS_EVENT_ZONE_UPDATED = 1 << 1): with zone-updated among the
    events, change-detect auto uses D-Bus, without it polls."""
    from sysbus import SystemBus
    bus = SystemBus(tmp_path / "bus").start()
    try:
        k = knot({Z: soa_zone(Z)}, server_extra=[f"dbus-event: {events}"],
                 env={"DBUS_SYSTEM_BUS_ADDRESS": bus.address}).start(by_ctl=True)
        wait_for(lambda: "change detection" in k.log_text(), 10, "the change detection line")
        log = k.log_text()
        assert ("events on D-Bus, for every zone" in log) == dbus, log
        assert ("server dbus-event lacks zone-updated" in log) == (not dbus), log
        k.stop()
    finally:
        bus.stop()


def test_counter_names_of_unloaded_instances_are_reused(knot):
    """replica-serial's index names come from a pool of 128 callbacks
    (names.c), reused once no loaded instance lists their names: knotd lists
    an instance's counters only until its unload() (module_reset() frees
    them right after), and on knotc reload loads the new instances before it
    unloads the old ones, so old and new lists are held together. 100 zones
    with their own secondary each, moved to other secondaries: the first
    reload finds about 28 free callbacks (the other zones fall back to
    indexes by position), the second reuses the 100 released ones."""
    n = 100
    ports = [free_port() for _ in range(2 * n)]
    zones = {f"z{i}.test.": soa_zone(f"z{i}.test.", serial=1) for i in range(n)}

    def conf(offset):
        lines = ["remote:"]
        for i, port in enumerate(ports):
            lines += [f"  - id: r{i}", f"    address: 127.0.0.1@{port}"]
        return "\n".join(lines), {z: [f"notify: r{i + offset}"] for i, z in enumerate(zones)}

    extra, zone_extra = conf(0)
    k = knot(zones, mod_conf={"serial-format": "keep", "statistics": "replica"},
             extra_conf=extra, zone_extra=zone_extra)
    k.start(wait_zones=False)

    def named(offset):
        """Zones whose replica-serial is named after their secondary."""
        out = k.knotc("zone-stats", "--", force=True)      # every zone
        return {i for i in range(n)
                if f"[z{i}.test.] mod-soa.replica-serial[127.0.0.1@{ports[i + offset]}] = "
                in out}

    assert wait_for(lambda: len(named(0)) == n, 30, "every zone named")
    k.extra_conf, k.zone_extra = conf(n)
    k.write_conf()
    k.knotc("reload")
    # Most of the new lists find no free callback while the old ones are held.
    wait_for(lambda: "indexed by position" in k.log_text(), 30, "zones indexed by position")
    time.sleep(1)
    fallback = k.log_text().count("replica-serial of this zone is indexed by position")
    assert n - (128 - n) - 2 <= fallback <= n - (128 - n), fallback
    assert wait_for(lambda: len(named(n)) == n - fallback, 30, "the other zones named")
    k.knotc("reload")
    assert wait_for(lambda: len(named(n)) == n, 30, "every zone named again")


def test_counter_names_of_a_lone_secondary(knot):
    """knotd lists a counter of one index without the index's name, and
    leaves out an index named NULL: a lone secondary's replica-serial has a
    second, unnamed index, so its name shows and nothing else does."""
    port = free_port()
    k = knot(mod_conf={"serial-format": "keep", "statistics": "replica"},
             extra_conf=remote_conf("lone", port), zone_extra={Z: ["notify: lone"]})
    k.start()
    serials = [n for n in k.stats(Z) if n.startswith("replica-serial")]
    assert serials == [f"replica-serial[127.0.0.1@{port}]"], serials
