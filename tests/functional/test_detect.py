"""Change detection without queries, and NOTIFY with the published serial,
checked against a scripted secondary on loopback."""

import socket
import threading
import time

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.tsig
import pytest

from knotharness import LOCAL_ACL, ddns, free_port, keyring, remote_conf, soa_zone

Z = "example.test."
KEY = ("notify-key.", "hmac-sha256", "bm90aWZ5LXRlc3Qta2V5LW5vdC1hLXNlY3JldC0wMQ==")


def wait_for(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class FakeSecondary:
    """Receives NOTIFYs and answers them as scripted: over UDP (the module)
    and TCP (knotd 3.2 sends its own NOTIFY over TCP)."""

    def __init__(self, mode="ack", key=None):
        self.port = free_port()
        self.mode = mode                    # ack | refuse | silent | unsigned
        self.kr = keyring(*key) if key else None
        self.got = []                       # (time, serial, had_tsig, id, transport)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.settimeout(0.1)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)
        self.tcp.settimeout(0.1)
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        self.tcp_thread = threading.Thread(target=self.run_tcp, daemon=True)
        self.tcp_thread.start()

    def run_tcp(self):
        while not self.stop:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    n = int.from_bytes(conn.recv(2), "big")
                    data = b""
                    while len(data) < n:
                        data += conn.recv(n - len(data))
                    reply = self.handle(data, "tcp")
                    if reply is not None:
                        conn.sendall(len(reply).to_bytes(2, "big") + reply)
                except (OSError, ValueError):
                    pass

    def run(self):
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            reply = self.handle(data, "udp")
            if reply is not None:
                self.sock.sendto(reply, addr)

    def handle(self, data, transport):
        if True:
            try:
                msg = dns.message.from_wire(data, keyring=self.kr)
            except Exception as e:          # bad TSIG: record and ignore
                self.got.append((time.monotonic(), None, False, repr(e), transport))
                return None
            if msg.opcode() != dns.opcode.NOTIFY:
                return None
            soa = [r for r in msg.answer if r.rdtype == dns.rdatatype.SOA]
            serial = soa[0][0].serial if soa else None
            self.got.append((time.monotonic(), serial, msg.had_tsig, msg.id, transport))
            if self.mode == "silent":
                return None
            if self.mode == "unsigned":
                # A reply without the TSIG the signed NOTIFY requires.
                resp = dns.message.Message(msg.id)
                resp.flags = dns.flags.QR | dns.flags.AA
                resp.set_opcode(dns.opcode.NOTIFY)
                resp.question = list(msg.question)
            else:
                resp = dns.message.make_response(msg)
            if self.mode == "refuse":
                resp.set_rcode(dns.rcode.REFUSED)
            return resp.to_wire()

    def serials(self):
        return [g[1] for g in self.got]

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        self.tcp_thread.join(timeout=3)
        self.sock.close()
        self.tcp.close()


@pytest.fixture
def secondary():
    made = []

    def make(**kw):
        s = FakeSecondary(**kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def primary(knot, sec=None, key=False, mod_conf=None, serial=501):
    conf = {"serial-format": "date"}
    conf.update(mod_conf or {})
    kw = dict(acl_conf=LOCAL_ACL, template_extra=["acl: local"])
    if sec is not None:
        kw["extra_conf"] = remote_conf("sec", sec.port, KEY[0] if key else None)
        kw["zone_extra"] = {Z: ["notify: sec"]}
    if key:
        kw["tsig_keys"] = {KEY[0]: (KEY[1], KEY[2])}
    return knot({Z: soa_zone(Z, serial=serial, refresh=3600)}, mod_conf=conf, **kw)


def gauge(k, name):
    return k.stats(Z, settle=False)[name]


@pytest.mark.parametrize("how", ["ddns", "zonefile"])
def test_change_detected_without_queries(knot, how):
    """After an update nobody asks about, the published serial is allocated
    within a second (the module checks the zone itself)."""
    k = primary(knot).start()
    p0 = k.soa_serial(Z)
    time.sleep(1.5)                                   # let the first checks pass
    t0 = time.monotonic()
    if how == "ddns":
        ddns(k, Z, adds=[("new", 300, "A", "192.0.2.1")])
    else:
        k.reload_zone(Z, soa_zone(Z, serial=777, refresh=3600))
        k.wait_real_serial(Z, 777)
    t_change = time.monotonic() - t0
    # Only knotc from here on: no DNS query reaches the zone.
    wait_for(lambda: gauge(k, "soa[published-serial]") == p0 + 1, 3, "allocation")
    elapsed = time.monotonic() - t0
    assert elapsed < t_change + 1.6, elapsed          # within ~1 s (+ flush and knotc)
    s = k.stats(Z)
    assert s["serial-update"] == 2
    assert 0 < s["change-detect-lag"] <= 1200, s["change-detect-lag"]
    assert k.soa_serial(Z) == p0 + 1


def test_gauges_fresh_without_queries_after_reload(knot):
    k = primary(knot, mod_conf={"serial-format": "keep"}).start()
    k.reload_zone(Z, soa_zone(Z, serial=2026010109, refresh=5000))
    k.wait_real_serial(Z, 2026010109)
    wait_for(lambda: gauge(k, "soa[refresh]") == 5000, 3, "gauges")


def test_notify_published_serial(knot, secondary):
    sec = secondary()
    k = primary(knot, sec).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("n1", 300, "A", "192.0.2.1")])
    # knotd announces the real serial, the module the published one.
    wait_for(lambda: p0 + 1 in sec.serials(), 3, "NOTIFY with the published serial")
    assert 502 in wait_for(lambda: sec.serials() if 502 in sec.serials() else None, 5,
                           "knotd's own NOTIFY")
    wait_for(lambda: gauge(k, "notify[acked]") == 1, 2, "acked")
    s = k.stats(Z)
    assert s["notify[sent]"] == 1 and s["notify[failed]"] == 0
    assert f"NOTIFY, outgoing, remote 127.0.0.1@{sec.port}, serial {p0 + 1}" in k.log_text()


def test_notify_each_update(knot, secondary):
    sec = secondary()
    k = primary(knot, sec).start()
    p = k.soa_serial(Z)
    for i in range(3):
        ddns(k, Z, adds=[(f"u{i}", 300, "A", "192.0.2.1")])
        t0 = time.monotonic()
        wait_for(lambda: p + 1 + i in sec.serials(), 3, f"NOTIFY {p + 1 + i}")
        assert time.monotonic() - t0 < 2.5
    assert gauge(k, "notify[acked]") == 3


def test_notify_tsig(knot, secondary):
    sec = secondary(key=KEY)
    k = primary(knot, sec, key=True).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("t1", 300, "A", "192.0.2.1")])
    wait_for(lambda: p0 + 1 in sec.serials(), 3, "signed NOTIFY")
    ours = [g for g in sec.got if g[1] == p0 + 1]
    assert ours and all(g[2] for g in ours), sec.got       # signed, verified by dnspython
    wait_for(lambda: gauge(k, "notify[acked]") == 1, 2, "signed reply accepted")


def test_notify_unsigned_reply_refused(knot, secondary):
    """A reply that does not carry the expected TSIG is not an ack."""
    sec = secondary(key=KEY, mode="unsigned")
    k = primary(knot, sec, key=True).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("t1", 300, "A", "192.0.2.1")])
    wait_for(lambda: p0 + 1 in sec.serials(), 3, "signed NOTIFY")
    time.sleep(1.5)
    assert gauge(k, "notify[acked]") == 0
    assert "reply refused" in k.log_text()


def test_notify_refused(knot, secondary):
    sec = secondary(mode="refuse")
    k = primary(knot, sec).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("r1", 300, "A", "192.0.2.1")])
    wait_for(lambda: gauge(k, "notify[failed]") == 1, 4, "refusal counted")
    assert "server responded with error 'REFUSED'" in k.log_text()
    assert gauge(k, "notify[acked]") == 0 and p0 + 1 in sec.serials()


def test_notify_retries_then_fails(knot, secondary):
    sec = secondary(mode="silent")
    k = primary(knot, sec).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("s1", 300, "A", "192.0.2.1")])
    t0 = time.monotonic()
    wait_for(lambda: gauge(k, "notify[failed]") == 1, 25, "give up")
    assert 13 < time.monotonic() - t0 < 18
    ours = [g[0] for g in sec.got if g[1] == p0 + 1 and g[4] == "udp"]
    assert len(ours) == 5                                  # first send and 4 retries
    gaps = [b - a for a, b in zip(ours, ours[1:])]
    assert all(0.8 < g / w < 1.4 for g, w in zip(gaps, (1, 2, 4, 4))), gaps
    assert gauge(k, "notify[sent]") == 5
    assert "retry, failed (timeout)" in k.log_text()


def test_notify_published_off(knot, secondary):
    sec = secondary()
    k = primary(knot, sec, mod_conf={"notify-published": False}).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("o1", 300, "A", "192.0.2.1")])
    wait_for(lambda: 502 in sec.serials(), 5, "knotd's own NOTIFY")
    time.sleep(1.5)
    assert p0 + 1 not in sec.serials()
    assert k.stats(Z)["notify[sent]"] == 0


def test_reload_with_pending_notify(knot, secondary):
    """Unload and reload while NOTIFYs wait for replies: nothing crashes, the
    new instance announces the next change."""
    sec = secondary(mode="silent")
    k = primary(knot, sec).start()
    p = k.soa_serial(Z)
    for i in range(3):
        ddns(k, Z, adds=[(f"p{i}", 300, "A", "192.0.2.1")])
        wait_for(lambda: p + 1 + i in sec.serials(), 3, "NOTIFY")
        k.knotc("zone-reload", Z, force=True)
        k.knotc("reload")
    assert k.alive()
    sec.mode = "ack"
    ddns(k, Z, adds=[("after", 300, "A", "192.0.2.2")])
    wait_for(lambda: p + 4 in sec.serials(), 3, "NOTIFY after reloads")
    wait_for(lambda: gauge(k, "notify[acked]") >= 1, 3, "ack")


def test_restart_does_not_renotify(knot, secondary):
    sec = secondary()
    k = primary(knot, sec).start()
    p0 = k.soa_serial(Z)
    ddns(k, Z, adds=[("x", 300, "A", "192.0.2.1")])
    wait_for(lambda: p0 + 1 in sec.serials(), 3, "NOTIFY")
    n = len([s for s in sec.serials() if s == p0 + 1])
    k.restart()
    k.soa_serial(Z)
    time.sleep(2.5)
    assert len([s for s in sec.serials() if s == p0 + 1]) == n


def test_own_checks_are_not_counted(knot):
    """The module's SOA checks observe the zone (gauges fill in) but are not
    answers anybody asked for: no counter moves."""
    k = primary(knot).start()
    k.knotc("zone-reload", Z, force=True)            # a fresh instance, counters at 0
    time.sleep(3)
    s = k.stats(Z)
    assert s["soa[serial]"] == 501 and s["soa[published-serial]"] > 501
    moved = {n: v for n, v in s.items()
             if v and not n.startswith(("soa[", "lint[", "change-detect-lag"))}
    assert moved == {}, moved
