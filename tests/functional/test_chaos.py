"""Chaos: everything at once against one knotd with mod-soa (serial-format: date).

Two zones with counter serials (beta's wraps past 2^32 during the run) are
hammered by dnsperf at full rate while, at the same time:

- one updater thread per zone makes 100 updates each (200 in all), by zone
  file edit + `knotc zone-reload` or by DDNS, chosen at random (fixed seed);
- a disturber runs 20 `knotc -f zone-reload` and 3 knotd restarts, one of
  them kill -9 (the state directory persists), restarting dnsperf after each;
- a poller asks both zones for their SOA every 10 ms;
- a monitor checks every 250 ms that knotd is alive unless being restarted.

Control operations (updates, forced reloads, restarts) take turns through a
FIFO lock, so the test never races itself; queries never wait for it.

Then a quiet phase checks the counters exactly, and knotd's log is checked
against what clients saw.

Properties checked (what the module promises):
1. the published serial never decreases (RFC 1982), across restarts and
   kill -9, in the poller's record; restarts and forced reloads keep it;
2. every update gets a new, greater published serial, allocated once
   ("serial X published as Y" logged once per version, strictly increasing);
3. knotd never dies unless the test kills it, and exits cleanly on SIGTERM;
4. no SERVFAIL: dnsperf's response codes, the poller's answers;
5. counters restart from 0 with a new module instance and add up exactly;
   the gauges show the published serial clients get and knotd's real serial.

Runs in about 100 s (SOA_CHAOS_SECONDS, default 90, sets the chaos phase);
every loop has a hard deadline. Figures are printed (pytest -s) and written
to chaos-report.json in the test's tmp_path, with the raw poller record,
the update log and dnsperf's outputs next to it.
"""

import json
import os
import random
import threading
import time

import dns.exception
import dns.rcode
import dns.rdatatype

from chaos_helpers import (Dnsperf, Failures, FairLock, Poller, dnsperf_queries,
                           module_problems, published_lines, serial_gt,
                           tolerate_foreign_module)
from knotharness import LOCAL_ACL, ddns, soa_zone

ZONES = {
    "alpha.test.": 100,
    "beta.test.": 4294967250,          # the real serial wraps to 0 mid-run
}
UPDATES_PER_ZONE = 100
FORCE_RELOADS = 20
RESTARTS = ((0.27, "term"), (0.52, "kill"), (0.77, "term"))   # (fraction, how)
CHAOS_SECONDS = float(os.environ.get("SOA_CHAOS_SECONDS", "90"))
HARD_LIMIT = 2 * CHAOS_SECONDS + 120   # chaos phase, whatever the load
QUIET = {"alpha.test.": (40, 30, 25), "beta.test.": (33, 27, 21)}   # NXDOMAIN, NODATA, SOA


class Chaos:
    """Shared state of one run."""

    def __init__(self, k, workdir):
        self.k = k
        self.dir = workdir
        self.ctl = FairLock(timeout=HARD_LIMIT)
        self.serving = threading.Event()       # knotd up and loaded, not being restarted
        self.abort = threading.Event()         # a fatal failure: wind down
        self.end = threading.Event()           # chaos phase over
        self.failures = Failures(self.abort)
        self._gen = 0
        self._gen_lock = threading.Lock()
        self.t0 = None
        self.deadline = None
        self.dnsperf = Dnsperf(str(workdir), dnsperf_queries(ZONES, str(workdir / "queries.txt")))
        self.updates = {z: {"zonefile": 0, "ddns": 0} for z in ZONES}
        self.update_log = []                   # (t, zone, i, method, real, published)
        self.ddns_retries = 0
        self.force_reloads = []                # (t, zone, published before, after)
        self.restarts = []                     # dicts
        self.seen = {z: set() for z in ZONES}  # published serials clients got
        self.alive_checks = 0
        self.initial = {}

    def gen(self):
        return self._gen

    def bump_gen(self):
        with self._gen_lock:
            self._gen += 1

    def now(self):
        return round(time.monotonic() - self.t0, 3)

    def wait_until(self, when):
        """Sleeps until t0 + when; False if the run is aborted or out of time."""
        while True:
            if self.abort.is_set():
                return False
            if time.monotonic() > self.deadline:
                self.failures.add(f"out of time: chaos phase passed {HARD_LIMIT:.0f} s",
                                  fatal=True)
                return False
            left = self.t0 + when - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, 0.2))

    def published(self, zone):
        """The published serial, asked until knotd answers (it is up: the
        caller holds the control lock)."""
        last = None
        for attempt in range(6):
            try:
                r = self.k.query(zone, "SOA", timeout=2, tcp=attempt >= 3)
            except (dns.exception.Timeout, OSError) as e:
                last = e
                continue
            soa = [rr for rr in r.answer if rr.rdtype == dns.rdatatype.SOA]
            if r.rcode() != dns.rcode.NOERROR or not soa:
                self.failures.add(f"t={self.now()} {zone} SOA answered "
                                  f"{dns.rcode.to_text(r.rcode())}:\n{r}")
                continue
            serial = soa[0][0].serial
            self.seen[zone].add(serial)
            return serial
        raise AssertionError(f"no SOA answer for {zone}: {last!r}")

    def alive(self):
        p = self.k.proc
        return p is not None and p.poll() is None


# Threads.

def updater(c, zone, offset):
    """UPDATES_PER_ZONE updates of one zone, one after the other; after each,
    the published serial must be greater than after the previous one."""
    rng = random.Random(f"mod-soa-chaos-{zone}")
    slot = CHAOS_SECONDS / UPDATES_PER_ZONE
    last_pub = c.initial[zone]
    for i in range(UPDATES_PER_ZONE):
        if not c.wait_until((i + offset) * slot):
            if not c.abort.is_set():
                c.failures.add(f"{zone}: only {i} of {UPDATES_PER_ZONE} updates done in time")
            return
        method = "zonefile" if rng.random() < 0.5 else "ddns"
        with c.ctl:
            real = c.k.zone_serial(zone)
            if method == "zonefile":
                new = (real + 1) % 2**32
                body = [f"zf{i} A 192.0.2.{i % 250 + 1}", f"zf{i} TXT \"update {i}\""]
                c.k.reload_zone(zone, soa_zone(zone, serial=new, body=body))
                c.k.wait_real_serial(zone, new, timeout=30)
            else:
                new = do_ddns(c, zone, i, real)
            pub = c.published(zone)
        c.updates[zone][method] += 1
        c.update_log.append((c.now(), zone, i, method, new, pub))
        if not serial_gt(pub, last_pub):
            c.failures.add(f"t={c.now()} {zone} update {i} ({method}, real {real} -> {new}): "
                           f"published {pub} is not greater than {last_pub} "
                           f"published after the previous update")
        else:
            last_pub = pub


def do_ddns(c, zone, i, real):
    """One DDNS add; a lost answer is checked against the real serial, so an
    update is never applied twice. Returns the new real serial."""
    for attempt in range(3):
        try:
            ddns(c.k, zone, adds=[(f"u{i}", 300, "A", f"198.51.100.{i % 250 + 1}")],
                 timeout=10)
            break
        except (dns.exception.Timeout, OSError, EOFError):
            c.ddns_retries += 1
            if c.k.zone_serial(zone) != real:
                break
    else:
        raise AssertionError(f"{zone}: DDNS update {i} got no answer 3 times")
    new = c.k.zone_serial(zone)
    if new != (real + 1) % 2**32:
        c.failures.add(f"{zone}: DDNS update {i} moved knotd's serial {real} -> {new}")
    return new


def disturber(c):
    """The forced reloads and restarts, spread over the chaos phase."""
    zones = list(ZONES)
    events = [(CHAOS_SECONDS * (j + 0.5) / FORCE_RELOADS, "force", zones[j % 2])
              for j in range(FORCE_RELOADS)]
    events += [(CHAOS_SECONDS * frac, "restart", how) for frac, how in RESTARTS]
    for when, what, arg in sorted(events):
        if not c.wait_until(when):
            return
        if what == "force":
            force_reload(c, arg)
        else:
            restart(c, arg)


def force_reload(c, zone):
    with c.ctl:
        if not c.alive():
            c.failures.add(f"t={c.now()} knotd is dead before a forced reload", fatal=True)
            return
        before = c.published(zone)
        c.k.knotc("zone-reload", zone, force=True)
        after = c.published(zone)
    c.force_reloads.append((c.now(), zone, before, after))
    if after != before:
        c.failures.add(f"t={c.now()} {zone}: knotc -f zone-reload of an unchanged version "
                       f"changed the published serial {before} -> {after}")


def restart(c, how):
    """Restarts knotd (SIGTERM, or kill -9 under dnsperf load) and dnsperf."""
    with c.ctl:
        if not c.alive():
            c.failures.add(f"t={c.now()} knotd is dead before a planned restart", fatal=True)
            return
        rec = {"t": c.now(), "how": how}
        rec["real_before"] = {z: c.k.zone_serial(z) for z in ZONES}
        rec["published_before"] = {z: c.published(z) for z in ZONES}
        c.serving.clear()
        c.bump_gen()
        t = time.monotonic()
        if how == "kill":
            c.k.stop(kill=True)                # dnsperf still firing
            rec["dnsperf"] = c.dnsperf.stop()
            expected_rc = -9
        else:
            rec["dnsperf"] = c.dnsperf.stop()
            c.k.stop(timeout=30)
            expected_rc = 0
        rec["returncode"] = c.k.returncode
        if c.k.returncode != expected_rc:
            c.failures.add(f"t={c.now()} knotd stopped ({how}) with exit code "
                           f"{c.k.returncode}, expected {expected_rc}")
        c.k.start(timeout=60)
        rec["down_seconds"] = round(time.monotonic() - t, 2)
        rec["real_after"] = {z: c.k.zone_serial(z) for z in ZONES}
        rec["published_after"] = {z: c.published(z) for z in ZONES}
        c.serving.set()
        c.dnsperf.start(c.k.port, edns=len(c.dnsperf.runs) % 2 == 1)
    c.restarts.append(rec)
    for z in ZONES:
        rb, ra = rec["real_before"][z], rec["real_after"][z]
        pb, pa = rec["published_before"][z], rec["published_after"][z]
        if ra == rb and pa != pb:
            c.failures.add(f"t={rec['t']} {z}: restart ({how}) changed the published serial "
                           f"of real serial {rb}: {pb} -> {pa}")
        elif ra != rb and not serial_gt(pa, pb):
            c.failures.add(f"t={rec['t']} {z}: after restart ({how}) real {rb} -> {ra}, "
                           f"published went {pb} -> {pa}")


def monitor(c):
    """knotd must be alive whenever it is not being restarted; dnsperf too."""
    while not c.end.is_set() and time.monotonic() < c.deadline:
        g, up = c.gen(), c.serving.is_set()
        p, perf = c.k.proc, c.dnsperf.proc
        dead = p is None or p.poll() is not None
        perf_dead = perf is not None and perf.poll() is not None
        if up and c.serving.is_set() and c.gen() == g:
            c.alive_checks += 1
            if dead:
                rc = None if p is None else p.returncode
                c.failures.add(f"t={c.now()} knotd died (exit code {rc}) while serving",
                               fatal=True)
                return
            if perf_dead:
                c.failures.add(f"t={c.now()} dnsperf exited on its own", fatal=True)
                return
        time.sleep(0.25)


# Quiet phase.

def quiet_batch(c, zone, tag):
    """Known queries: NXDOMAIN, NODATA and SOA, over UDP and TCP. Returns the
    published serial the answers carried (all the same)."""
    k = c.k
    n_nx, n_nodata, n_soa = QUIET[zone]
    serials = set()
    for i in range(n_nx):
        r = k.query(f"q{tag}-nx{i}.{zone}", "A", tcp=i % 3 == 0, timeout=5)
        assert r.rcode() == dns.rcode.NXDOMAIN, r
        serials.add([a for a in r.authority if a.rdtype == dns.rdatatype.SOA][0][0].serial)
    for i in range(n_nodata):
        r = k.query(f"www.{zone}", "TXT", tcp=i % 3 == 1, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR and not r.answer, r
        serials.add([a for a in r.authority if a.rdtype == dns.rdatatype.SOA][0][0].serial)
    last = None
    for i in range(n_soa):
        r = k.query(zone, "SOA", tcp=i % 2 == 1, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR, r
        last = r.answer[0][0].serial
        serials.add(last)
    assert serials == {last}, f"{zone}: one version, several serials: {serials}"
    c.seen[zone].add(last)
    return last


def expected_counters(zone):
    n_nx, n_nodata, n_soa = QUIET[zone]
    return {
        "negative[nxdomain]": n_nx,
        "negative[nodata]": n_nodata,
        "soa-answer": n_soa,
        "serial-rewrite[authority]": n_nx + n_nodata,
        "serial-rewrite[answer]": n_soa,
    }


GAUGES = ("soa[", "lint[", "change-detect-lag")


def is_gauge(name):
    return name.startswith(GAUGES)


def counters(stats):
    return {n: v for n, v in stats.items() if not is_gauge(n)}


def settled_stats(k, zone, want, timeout=10):
    """Stats once the counters equal `want` and stay so for another read, or
    the last read after `timeout` s (a loaded machine may delay answers
    still in flight)."""
    deadline = time.monotonic() + timeout
    s = k.stats(zone)
    while counters(s) != want and time.monotonic() < deadline:
        s = k.stats(zone)
    return k.stats(zone) if counters(s) == want else s


def quiet_phase(c, fig):
    """Counters exact from a fresh module instance, then deltas exact; gauges
    match what clients and knotc see."""
    k = c.k
    out = {}
    for zone in ZONES:
        # A new instance (counters from 0); -b also waits for any reload left
        # from the chaos phase.
        k.knotc("-b", "zone-reload", zone, force=True)
    for zone in ZONES:
        z = {}
        s0 = k.stats(zone)
        nonzero = {n: v for n, v in counters(s0).items() if v != 0}
        if nonzero:
            c.failures.add(f"{zone}: counters not 0 after knotc -f zone-reload: {nonzero}")
        pub1 = quiet_batch(c, zone, "a")
        want = dict.fromkeys(counters(s0), 0)
        want.update(expected_counters(zone))
        s1 = settled_stats(k, zone, want)
        if counters(s1) != want:
            c.failures.add(f"{zone}: counters of a fresh instance after known queries: "
                           f"{ {n: v for n, v in counters(s1).items() if v != want[n]} }, "
                           f"expected {expected_counters(zone)}")
        pub2 = quiet_batch(c, zone, "b")
        want2 = {n: v + expected_counters(zone).get(n, 0) for n, v in counters(s1).items()}
        s2 = settled_stats(k, zone, want2)
        delta = {n: s2[n] - s1[n] for n in counters(s2) if s2[n] != s1[n]}
        if delta != expected_counters(zone):
            c.failures.add(f"{zone}: counter deltas {delta}, expected {expected_counters(zone)}")
        real = k.zone_serial(zone)
        if pub1 != pub2:
            c.failures.add(f"{zone}: published serial moved without a change: {pub1} -> {pub2}")
        if s2["soa[published-serial]"] != pub2:
            c.failures.add(f"{zone}: soa[published-serial] = {s2['soa[published-serial]']}, "
                           f"the last SOA answer carried {pub2}")
        if s2["soa[serial]"] != real:
            c.failures.add(f"{zone}: soa[serial] = {s2['soa[serial]']}, "
                           f"knotc zone-status says {real}")
        z.update(real_serial=real, published=pub2, deltas=delta,
                 gauge_published=s2["soa[published-serial]"], gauge_serial=s2["soa[serial]"],
                 absolute_after_first_batch={n: v for n, v in counters(s1).items() if v})
        out[zone] = z
    fig["quiet_phase"] = out


# Analysis.

def check_poller(c, poller, fig):
    zones = list(ZONES)
    per_zone = {}
    rcodes = {}
    for zi, zone in enumerate(zones):
        samples = [s for s in poller.samples if s[1] == zi]
        last = None
        backwards = []
        serials = []
        for t, _, serial, what, clean in samples:
            rcodes[what] = rcodes.get(what, 0) + 1
            if what == "SERVFAIL" and clean:
                c.failures.add(f"t={t} {zone}: poller got SERVFAIL")
            elif what not in ("NOERROR", "TIMEOUT") and clean:
                c.failures.add(f"t={t} {zone}: poller got {what}")
            if serial is None:
                continue
            serials.append(serial)
            c.seen[zone].add(serial)
            if last is not None and serial != last[1] and not serial_gt(serial, last[1]):
                backwards.append(f"t={last[0]} {last[1]} -> t={t} {serial}")
            if last is None or serial_gt(serial, last[1]):
                last = (t, serial)
        if backwards:
            c.failures.add(f"{zone}: published serial went backwards in the poller record "
                           f"({len(backwards)} times): {backwards[:20]}")
        per_zone[zone] = {
            "samples": len(samples),
            "answered": len(serials),
            "timeouts": sum(1 for s in samples if s[3] == "TIMEOUT"),
            "overlapping_restart": sum(1 for s in samples if not s[4]),
            "answered_while_restarting": sum(1 for s in samples if not s[4] and s[2] is not None),
            "distinct_serials": len(set(serials)),
            "min_published": min(serials) if serials else None,
            "max_published": max(serials) if serials else None,
            "first_published": serials[0] if serials else None,
            "last_published": serials[-1] if serials else None,
        }
    fig["poller"] = {"interval_ms": poller.interval * 1000, "samples": len(poller.samples),
                     "rcodes": rcodes, "zones": per_zone}


def check_dnsperf(c, fig):
    total = {"runs": len(c.dnsperf.runs), "sent": 0, "completed": 0, "lost": 0, "rcodes": {}}
    for run in c.dnsperf.runs:
        if not run["has_rcodes_line"]:
            c.failures.add(f"dnsperf printed no 'Response codes:' ({run['file']})")
        for key in ("sent", "completed", "lost"):
            total[key] += run[key] or 0
        for code, n in run["rcodes"].items():
            total["rcodes"][code] = total["rcodes"].get(code, 0) + n
        if run["rcodes"].get("SERVFAIL", 0):
            c.failures.add(f"dnsperf got {run['rcodes']['SERVFAIL']} SERVFAIL ({run['file']})")
        odd = set(run["rcodes"]) - {"NOERROR", "NXDOMAIN", "SERVFAIL"}
        if odd:
            c.failures.add(f"dnsperf got unexpected response codes {odd} ({run['file']})")
        if not run["completed"]:
            c.failures.add(f"a dnsperf run got no answers ({run['file']})")
    total["per_run"] = [{k: r[k] for k in ("sent", "completed", "lost", "rcodes", "seconds",
                                           "edns", "file")} for r in c.dnsperf.runs]
    fig["dnsperf"] = total


def check_log(c, fig, log):
    lines = published_lines(log)
    out = {}
    for zone in ZONES:
        mine = [(real, pub) for z, real, pub, _ in lines if z == zone]
        pubs = [p for _, p in mine]
        for (r1, p1), (r2, p2) in zip(mine, mine[1:]):
            if not serial_gt(p2, p1):
                c.failures.add(f"{zone}: log 'serial {r2} published as {p2}' follows "
                               f"'serial {r1} published as {p1}': not increasing")
        expected = 1 + sum(c.updates[zone].values())
        if len(mine) != expected:
            c.failures.add(f"{zone}: {len(mine)} 'published as' log lines, expected {expected} "
                           f"(the first version + one per update)")
        unlogged = sorted(c.seen[zone] - set(pubs))
        if unlogged:
            c.failures.add(f"{zone}: clients got published serials never logged as "
                           f"allocated: {unlogged[:20]}")
        never_seen = [p for p in pubs if p not in c.seen[zone]]
        out[zone] = {"allocations_logged": len(mine), "expected": expected,
                     "logged_and_seen": len(pubs) - len(never_seen),
                     "logged_not_seen": never_seen,
                     "first": mine[0] if mine else None, "last": mine[-1] if mine else None}
    problems = module_problems(log)
    if problems:
        c.failures.add(f"mod-soa logged errors: {problems[:20]}")
    fig["log"] = out
    fig["log"]["module_errors"] = len(problems)


# The test.

def test_chaos(knot, tmp_path):
    wall = time.monotonic()
    zones = {z: soa_zone(z, serial=s) for z, s in ZONES.items()}
    k = knot(zones, mod_conf={"serial-format": "date"}, acl_conf=LOCAL_ACL,
             template_extra=["acl: local"])
    foreign_waits = []
    tolerate_foreign_module(k, foreign_waits)
    k.start(timeout=60)
    c = Chaos(k, tmp_path)
    fig = {"chaos_seconds_planned": CHAOS_SECONDS, "workdir": str(tmp_path)}

    with c.ctl:
        for zone in ZONES:
            c.initial[zone] = c.published(zone)
    fig["initial_published"] = dict(c.initial)

    c.t0 = time.monotonic()
    c.deadline = c.t0 + HARD_LIMIT
    c.serving.set()
    c.dnsperf.start(k.port, edns=False)
    poller = Poller(lambda: k.port, ZONES, c.serving, c.gen, c.end, c.deadline + 30)
    threads = [c.failures.thread("poller", poller.run, c.t0),
               c.failures.thread("monitor", monitor, c)]
    workers = [c.failures.thread(f"updater-{z}", updater, c, z, 0.5 + zi * 0.5)
               for zi, z in enumerate(ZONES)]
    workers.append(c.failures.thread("disturber", disturber, c))
    for t in threads + workers:
        t.start()

    try:
        for t in workers:
            t.join(timeout=max(1.0, c.deadline + 90 - time.monotonic()))
            if t.is_alive():
                c.failures.add(f"thread {t.name} did not finish in time", fatal=True)
        fig["chaos_seconds"] = round(time.monotonic() - c.t0, 1)
    finally:
        c.end.set()
        for t in threads:
            t.join(timeout=15)
        if c.dnsperf.proc is not None:
            c.dnsperf.stop()

    # Figures of the chaos phase, then the checks that need a quiet server.
    fig["updates"] = c.updates
    fig["updates_total"] = {m: sum(u[m] for u in c.updates.values())
                            for m in ("zonefile", "ddns")}
    fig["ddns_retries"] = c.ddns_retries
    fig["force_reloads"] = len(c.force_reloads)
    fig["restarts"] = [{k2: r.get(k2) for k2 in ("t", "how", "returncode", "down_seconds",
                                                  "real_before", "real_after",
                                                  "published_before", "published_after")}
                       for r in c.restarts]
    fig["alive_checks"] = c.alive_checks
    fig["foreign_module_waits"] = len(foreign_waits)
    check_poller(c, poller, fig)
    check_dnsperf(c, fig)

    if c.alive() and not c.abort.is_set():
        quiet_phase(c, fig)
    elif not c.alive():
        c.failures.add("knotd is not running at the end of the chaos phase")

    pids_alive = c.alive()
    k.stop(timeout=30)
    fig["final_exit_code"] = k.returncode if pids_alive else None
    if pids_alive and k.returncode != 0:
        c.failures.add(f"knotd exited with {k.returncode} on SIGTERM at the end")
    log = k.log_text()
    check_log(c, fig, log)
    if "segfault" in log.lower() or "segfault" in k.stderr_text().lower():
        c.failures.add("segfault in knotd's log")

    fig["published_per_zone"] = {
        z: {"min": min(c.seen[z]), "max": max(c.seen[z]), "distinct": len(c.seen[z])}
        for z in ZONES if c.seen[z]}
    fig["wall_seconds"] = round(time.monotonic() - wall, 1)
    fig["failures"] = list(c.failures.items)

    with open(tmp_path / "poller.json", "w") as f:
        json.dump({"zones": list(ZONES), "fields": ["t", "zone", "serial", "rcode", "clean"],
                   "samples": poller.samples}, f)
    with open(tmp_path / "updates.json", "w") as f:
        json.dump({"fields": ["t", "zone", "i", "method", "real", "published"],
                   "updates": c.update_log, "force_reloads": c.force_reloads,
                   "restarts": c.restarts}, f, default=str)
    with open(tmp_path / "chaos-report.json", "w") as f:
        json.dump(fig, f, indent=2, default=str)
    print("\nmod-soa chaos report (" + str(tmp_path / "chaos-report.json") + "):")
    print(json.dumps(fig, indent=2, default=str))

    assert not c.failures.items, "\n\n".join(c.failures.items)
    assert fig["updates_total"]["zonefile"] + fig["updates_total"]["ddns"] == \
        UPDATES_PER_ZONE * len(ZONES)
    assert fig["force_reloads"] == FORCE_RELOADS
    assert [r["how"] for r in c.restarts] == [how for _, how in RESTARTS]
