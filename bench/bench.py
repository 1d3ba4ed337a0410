#!/usr/bin/python3
"""make bench: what mod-soa costs knotd per query, per transfer and per zone.

Parts (all by default, or pick with --only):
  instructions  callgrind, 1 UDP worker: (Ir(2N) - Ir(N)) / N per query class
  qps           dnsperf on loopback, plain vs mod-soa interleaved
  transfers     AXFR of a 100,000-record zone (plain/TSIG), IXFR of a 10-record change
  memory        knotd RSS with 1,000 small zones, with and without the module
  detection     10,000 idle zones: CPU of the module's SOA checks, detection lag
  scale         1,000 to 100,000 zones (issue 11): RSS, idle CPU with D-Bus and with
                polling, 100 zones reloaded at once, start-up time; not run by
                default (about an hour on 2 cores): --only scale

The markdown table goes to stdout and bench/results/latest.md. Everything runs
on 127.0.0.1 and free ports; every wait is bounded.
"""

import argparse
import collections
import datetime
import os
import platform
import random
import re
import select
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

import dns.message
import dns.opcode
import dns.rdatatype

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))

from knotharness import KNOTC, Knotd, ddns, free_port, keyring, remote_conf  # noqa: E402
from sysbus import SystemBus  # noqa: E402

NOOP = os.path.join(HERE, "build", "noop.so")
HOTPATH = os.path.join(HERE, "build", "hotpath")
SOA = os.environ.get("SOA_MODULE", os.path.join(ROOT, "build", "soa.so"))
RESULTS = os.path.join(HERE, "results", "latest.md")

# Two zones: the cap bites in one (MINIMUM 3600 > 60), the floor in the
# other (MINIMUM 10 < 30). Real serial 501, so every SOA is rewritten.
ZONES = {
    "a.test.": (3600,),
    "b.test.": (10,),
}
SOA_CONF = {"negative-ttl-min": 30, "negative-ttl-max": 60, "serial-format": "date"}
TSIG = ("bench-key.", "hmac-sha256", "YmVuY2gtb25seS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q=")

CLASSES = ("positive", "nxdomain", "nodata", "soa")
MIX = (("positive", 40), ("nxdomain", 30), ("nodata", 20), ("soa", 10))


def zone_text(origin, minimum, extra=0, serial=501):
    lines = [f"$ORIGIN {origin}", "$TTL 3600",
             f"@ 7200 IN SOA ns1 hostmaster {serial} 7200 3600 1209600 {minimum}",
             "@ NS ns1", "ns1 A 192.0.2.1", "www A 192.0.2.2"]
    lines += [f"h{i} A 10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(extra)]
    return "\n".join(lines) + "\n"


def query_lines(cls, n, offset=0):
    zones = list(ZONES)
    out = []
    for i in range(n):
        z = zones[i % len(zones)]
        if cls == "positive":
            out.append(f"www.{z} A")
        elif cls == "nxdomain":
            out.append(f"nx{offset + i}.{z} A")
        elif cls == "nodata":
            out.append(f"www.{z} TXT")
        else:
            out.append(f"{z} SOA")
    return out


def mix_lines(n):
    """40% positive, 30% NXDOMAIN, 20% NODATA, 10% SOA, interleaved."""
    per = {cls: query_lines(cls, n * share // 100, offset=0) for cls, share in MIX}
    out = []
    idx = {cls: 0 for cls in per}
    for i in range(n):
        slot = i % 10
        cls = "positive" if slot < 4 else "nxdomain" if slot < 7 else "nodata" if slot < 9 else "soa"
        out.append(per[cls][idx[cls]])
        idx[cls] += 1
    return out


# Configurations compared.

def cfg_plain():
    return dict(module=False)


def cfg_noop(hooks):
    return dict(module=False,
                extra_conf=f'module:\n  - id: mod-noop\n    file: "{NOOP}"\n'
                           f"mod-noop:\n  - id: bench\n    hooks: {hooks}",
                template_extra=["module: mod-noop/bench"])


def cfg_stats():
    return dict(module=False,
                extra_conf="mod-stats:\n  - id: bench\n    response-code: on\n    query-type: on",
                template_extra=["module: mod-stats/bench"])


XFR_ACL = "acl:\n  - id: xfr\n    address: 192.0.2.53\n    action: transfer"


def cfg_soa(conf=None, transfers=True):
    cfg = dict(mod_conf=dict(SOA_CONF, **(conf or {})))
    if transfers:
        # A secondary may transfer the zone: BEGIN/END hooks are registered.
        cfg.update(acl_conf=XFR_ACL, template_extra=["acl: xfr"])
    return cfg


FLOOR_XFR = "no-op, mod-soa's hooks with transfers (BEGIN, END, AUTHORITY)"
FLOOR_NOXFR = "no-op, mod-soa's hooks without transfers (AUTHORITY)"
SOA_XFR = "mod-soa, zone with a transfer ACL"
SOA_NOXFR = "mod-soa, zone without transfers"

CONFIGS = {
    "plain knotd": cfg_plain,
    FLOOR_XFR: lambda: cfg_noop("BEU"),
    FLOOR_NOXFR: lambda: cfg_noop("U"),
    "no-op, BEGIN+END+ANSWER+AUTHORITY": lambda: cfg_noop("BEAU"),
    "mod-stats (response-code, query-type)": cfg_stats,
    SOA_XFR: cfg_soa,
    SOA_NOXFR: lambda: cfg_soa(transfers=False),
    "mod-soa + minimum-as-floor (transfer ACL)": lambda: cfg_soa({"minimum-as-floor": "on"}),
}


def zones(extra=0):
    return {z: zone_text(z, m[0], extra) for z, m in ZONES.items()}


def start(workdir, cfg, prefix=None, workers=1, zone_extra=0, timeout=120, **kw):
    k = Knotd(workdir, zones(zone_extra), workers=workers, prefix_cmd=prefix or [],
              **dict(cfg, **kw))
    k.start(timeout=timeout)
    return k


def dnsperf(port, qfile, *args):
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(r.stdout + r.stderr)
    return r.stdout


# Part 1: instructions per query.

def callgrind_total(work, cfg, lines):
    """Instructions of the whole run, and of mod-soa's service thread apart.

    The service thread works per wall-clock tick, not per query, so it is
    kept out of the per-query figure and reported per second instead."""
    qfile = os.path.join(work, "queries.txt")
    with open(qfile, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = os.path.join(work, "callgrind.out")
    k = start(os.path.join(work, "knot"), cfg,
              prefix=["valgrind", "--tool=callgrind", "--separate-threads=yes",
                      f"--callgrind-out-file={out}"])
    # One outstanding query: every receive handles one query, so the count
    # repeats to within a few instructions.
    t0 = time.monotonic()
    dnsperf(k.port, qfile, "-n", "1", "-c", "1", "-q", "1", "-t", "30")
    seconds = time.monotonic() - t0
    k.stop(timeout=120)
    # Per thread (numbered in creation order, the same in every run of a
    # configuration); mod-soa's service thread apart.
    threads, service = {}, 0
    for name in os.listdir(work):
        if not name.startswith("callgrind.out"):
            continue
        with open(os.path.join(work, name)) as f:
            text = f.read()
        m = re.search(r"^totals: (\d+)", text, re.M)
        ir = int(m.group(1)) if m else 0
        if "service_main" in text:
            service += ir
        else:
            threads[name] = ir
    return threads, service, seconds


def instructions(n, only=None):
    results = {}
    service = []
    workloads = [("mix", mix_lines)] + [(c, lambda n, c=c: query_lines(c, n)) for c in CLASSES]
    for name, make in CONFIGS.items():
        if only and name != "plain knotd" and not any(o in name for o in only):
            continue
        row = {}
        for wl, fn in workloads:
            ir = []
            for count in (n, 2 * n):
                with tempfile.TemporaryDirectory(prefix="soa-bench-") as work:
                    threads, svc, seconds = callgrind_total(work, CONFIGS[name](), fn(count))
                    ir.append(threads)
                    if svc:
                        service.append((svc, seconds))
            # Every UDP query is handled start to end by the one UDP worker:
            # the thread whose count grows with the queries. Other threads
            # (main loop, timers, control) work per second, not per query.
            row[wl] = max(ir[1].get(t, 0) - ir[0].get(t, 0) for t in ir[1]) / n
            print(f"  {name:50s} {wl:9s} {row[wl]:8.1f} Ir/query", file=sys.stderr)
        results[name] = row
    results["_service"] = service
    return results


def table_instructions(res, n):
    service = res.pop("_service", [])
    plain = res["plain knotd"]
    cols = ["mix"] + list(CLASSES)
    out = [f"### Instructions per query (callgrind, N={n} and 2N, 1 UDP worker, 1 query in flight)", "",
           "Instructions of the UDP worker thread, which handles each query start to end: "
           "(Ir(2N) - Ir(N)) / N. Added over plain knotd; plain knotd's own cost in the "
           "first row.", "",
           "| configuration | " + " | ".join(cols) + " |",
           "|---|" + "---:|" * len(cols)]
    out.append("| plain knotd (absolute) | " + " | ".join(f"{plain[c]:.0f}" for c in cols) + " |")
    for name, row in res.items():
        if name == "plain knotd":
            continue
        out.append(f"| {name} | " + " | ".join(f"+{row[c] - plain[c]:.0f}" for c in cols) + " |")
    out += ["", "mod-soa: date serials (real serial 501, every SOA rewritten), negative-ttl-max "
            "60 biting in one zone and negative-ttl-min 30 in the other.", ""]
    for soa_name, floor_name in ((SOA_XFR, FLOOR_XFR), (SOA_NOXFR, FLOOR_NOXFR)):
        if soa_name not in res or floor_name not in res:
            continue
        soa, floor = res[soa_name], res[floor_name]
        out.append(f"- {soa_name}: own work above the dispatch floor of its hooks: " +
                   ", ".join(f"{c} {soa[c] - floor[c]:+.0f}" for c in cols))
    out.append("")
    if service:
        # Whole-process figure under valgrind: an upper bound per second.
        per_sec = max(svc / max(sec, 0.001) for svc, sec in service)
        out += [f"mod-soa's service thread (change detection), kept out of the "
                f"per-query figures: at most {per_sec:,.0f} instructions per second of "
                f"wall time in these runs.", ""]
    return out


# Part 1b: the hook alone.

# Answers with the features of issue 14: (label, kind, environment).
RULES = ";".join(["_acme-challenge 30s", "_dmarc 60", "launch.example.test. 60",
                  "deep.launch.example.test. 5"])
FEATURE_VARIANTS = [
    ("positive, 4 rules and negative-exposure on", "positive",
     {"HOTPATH_RULES": RULES, "HOTPATH_EXPOSURE": "1"}),
    ("negative, 4 rules, none matches", "negative", {"HOTPATH_RULES": RULES}),
    ("negative, 4 rules, label rule matches", "negative",
     {"HOTPATH_RULES": RULES, "HOTPATH_QNAME": "_acme-challenge.www.example.test."}),
    ("negative, 4 rules, subtree rule matches", "negative",
     {"HOTPATH_RULES": RULES, "HOTPATH_QNAME": "a.deep.launch.example.test."}),
    ("negative, negative-exposure on", "negative", {"HOTPATH_EXPOSURE": "1"}),
]


def hotpath(calls=10000):
    """mod-soa's hooks per answer without knotd around them (bench/hotpath.c)."""
    def ir(kind, n, env):
        with tempfile.TemporaryDirectory(prefix="soa-bench-") as work:
            out = os.path.join(work, "cg")
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            HOTPATH, SOA, kind, str(n)], capture_output=True, check=True,
                           env=dict(os.environ, **env))
            with open(out) as f:
                return int(re.search(r"^totals: (\d+)", f.read(), re.M).group(1))

    def per_call(kind, env=None):
        env = env or {}
        return (ir(kind, 2 * calls, env) - ir(kind, calls, env)) / calls
    res = {k: per_call(k) for k in ("positive", "negative", "soa")}
    for label, kind, env in FEATURE_VARIANTS:
        res[label] = per_call(kind, env)
    loop = res["positive"]
    return res, loop


def table_hotpath(res):
    return ["### mod-soa's hook alone (bench/hotpath.c under callgrind)", "",
            "The built soa.so loaded through knotd_mod_api with the knotd functions it calls "
            "stubbed; per answer, the benchmark loop included (the positive row is loop plus "
            "the two-compare exit; negative is an NXDOMAIN without rules or exposure). The rows "
            "with rules and exposure are the same answers with negative-ttl-rule values "
            f"`{RULES}` or negative-exposure on.", "",
            "| answer | instructions |", "|---|---:|"] + \
           [f"| {k} | {v:.0f} |" for k, v in res.items()] + [""]


# Part 2: queries per second.

def qps(rounds, seconds):
    with tempfile.TemporaryDirectory(prefix="soa-bench-") as work:
        qfile = os.path.join(work, "mix.txt")
        with open(qfile, "w") as f:
            f.write("\n".join(mix_lines(10000)) + "\n")
        servers = {"plain": start(os.path.join(work, "plain"), cfg_plain()),
                   "mod-soa": start(os.path.join(work, "soa"), cfg_soa())}
        res = {name: [] for name in servers}
        # Both see the same traffic: prime mod-soa's snapshots first.
        for k in servers.values():
            for z in ZONES:
                k.soa_serial(z)
        try:
            for r in range(rounds):
                for name, k in servers.items():
                    out = dnsperf(k.port, qfile, "-l", str(seconds), "-c", "4", "-q", "100")
                    m = re.search(r"Queries per second:\s+([\d.]+)", out)
                    lost = re.search(r"Queries lost:\s+(\d+)", out)
                    res[name].append(float(m.group(1)))
                    print(f"  round {r + 1} {name:8s} {float(m.group(1)):10.0f} qps "
                          f"(lost {lost.group(1)})", file=sys.stderr)
        finally:
            for k in servers.values():
                k.stop()
    med = {n: statistics.median(v) for n, v in res.items()}
    return res, med


def table_qps(res, med, rounds, seconds):
    ratio = med["mod-soa"] / med["plain"]
    return [f"### Queries per second (dnsperf, mix, {rounds} interleaved rounds of {seconds} s, "
            "1 UDP worker, 4 clients, 100 in flight)", "",
            "| server | median qps | rounds |", "|---|---:|---|",
            f"| plain knotd | {med['plain']:.0f} | {', '.join(f'{v:.0f}' for v in res['plain'])} |",
            f"| mod-soa | {med['mod-soa']:.0f} | {', '.join(f'{v:.0f}' for v in res['mod-soa'])} |",
            "", f"Ratio mod-soa / plain: **{ratio:.3f}**", ""]


# Part 3: transfers.

def kdig_time(port, args, key=None):
    cmd = ["kdig", "@127.0.0.1", "-p", str(port), "+noall", "+timeout=60"] + args
    if key:
        cmd += ["-y", f"{key[1]}:{key[0]}:{key[2]}"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    dt = time.perf_counter() - t0
    if r.returncode != 0 or "ERROR" in r.stdout + r.stderr:
        raise RuntimeError(r.stdout + r.stderr)
    return dt


def transfers(rounds, records):
    acl = ("acl:\n  - id: local\n    address: 127.0.0.1\n    action: [transfer, update]\n"
           "  - id: keyed\n    address: 127.0.0.1\n    key: bench-key.\n    action: transfer")
    kw = dict(acl_conf=acl, template_extra=["acl: [local, keyed]"],
              tsig_keys={TSIG[0]: (TSIG[1], TSIG[2])}, zone_extra=records, timeout=300)
    out = {}
    with tempfile.TemporaryDirectory(prefix="soa-bench-") as work:
        servers = {"plain": start(os.path.join(work, "plain"), cfg_plain(), **kw),
                   "mod-soa": start(os.path.join(work, "soa"), cfg_soa(transfers=False), **kw)}
        try:
            for label, key in (("AXFR", None), ("AXFR, TSIG", TSIG)):
                times = {n: [] for n in servers}
                for r in range(rounds):
                    for name, k in servers.items():
                        times[name].append(kdig_time(k.port, ["a.test.", "AXFR"], key))
                out[label] = times
                print(f"  {label}: " + ", ".join(
                    f"{n} {statistics.median(v) * 1000:.1f} ms" for n, v in times.items()),
                    file=sys.stderr)

            # IXFR of a 10-record change, from the serial each server publishes.
            times = {n: [] for n in servers}
            for r in range(rounds):
                for name, k in servers.items():
                    before = k.soa_serial("a.test.")
                    ddns(k, "a.test.", adds=[(f"r{r}-{i}", 300, "A", "192.0.2.5")
                                             for i in range(10)])
                    k.soa_serial("a.test.")            # let the module see the version
                    times[name].append(kdig_time(k.port, [f"IXFR={before}", "a.test."]))
            out["IXFR, 10 records"] = times
            print("  IXFR: " + ", ".join(
                f"{n} {statistics.median(v) * 1000:.2f} ms" for n, v in times.items()),
                file=sys.stderr)
            stats = servers["mod-soa"].stats("a.test.")
        finally:
            for k in servers.values():
                k.stop()
    return out, stats


def table_transfers(res, stats, rounds, records):
    out = [f"### Transfers (kdig wall time, median of {rounds} interleaved rounds, "
           f"zone of {records} records)", "",
           "| transfer | plain knotd | mod-soa | ratio |", "|---|---:|---:|---:|"]
    for label, times in res.items():
        p, s = statistics.median(times["plain"]), statistics.median(times["mod-soa"])
        out.append(f"| {label} | {p * 1000:.1f} ms | {s * 1000:.1f} ms | {s / p:.3f} |")
    out += ["", f"Module counters after the run: transfer[axfr] {stats['transfer[axfr]']}, "
            f"transfer[ixfr-journal] {stats['transfer[ixfr-journal]']}, "
            f"transfer[tsig-resigned] {stats['transfer[tsig-resigned]']}, "
            f"serial-rewrite[ixfr] {stats['serial-rewrite[ixfr]']}.", ""]
    return out


# Part 4: memory per zone.

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory(nzones, workers):
    res = {}
    names = [f"z{i}.test." for i in range(nzones)]
    for label, cfg in (("plain knotd", cfg_plain()),
                       ("no-op module, mod-soa's hooks", cfg_noop("BEU")),
                       ("mod-soa", cfg_soa(transfers=True))):
        with tempfile.TemporaryDirectory(prefix="soa-bench-") as work:
            zs = {n: zone_text(n, 300) for n in names}
            opts = dict(cfg)
            k = Knotd(os.path.join(work, "k"), zs, workers=workers or 1, **opts)
            if workers is None:
                # knotd's defaults: drop the explicit worker counts.
                k.workers = None
                text = k.config_text()
                text = "\n".join(l for l in text.splitlines() if "-workers:" not in l) + "\n"
                with open(k.conf, "w") as f:
                    f.write(text)
            k.start(wait_zones=False, timeout=300)
            # Every zone answers once, so every module instance has a snapshot.
            deadline = time.monotonic() + 300
            for n in names:
                while time.monotonic() < deadline:
                    try:
                        if k.query(n, "SOA", timeout=1).answer:
                            break
                    except Exception:
                        pass
                    time.sleep(0.05)
            time.sleep(1)
            res[label] = rss_kib(k.proc.pid)
            k.stop()
    return res


def table_memory(res_by_workers, nzones):
    out = [f"### Memory ({nzones} small zones, knotd RSS after every zone answered an SOA query)", "",
           "| workers | plain knotd | no-op module (hooks only) | mod-soa | mod-soa per zone | "
           "of which knotd's module overhead (hooks, plan) |", "|---|---:|---:|---:|---:|---:|"]
    for workers, res in res_by_workers.items():
        p, n, s = res["plain knotd"], res["no-op module, mod-soa's hooks"], res["mod-soa"]
        out.append(f"| {workers} | {p} KiB | {n} KiB | {s} KiB | {(s - p) * 1024 / nzones:.0f} B | "
                   f"{(n - p) * 1024 / nzones:.0f} B |")
    out.append("")
    return out


# Part 5: change detection for many zones.

def thread_ticks(pid):
    """CPU ticks (user + system) per thread name of a process."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + int(fields[11]) + int(fields[12])
    return out


def udp_in(pid):
    """UDP datagrams received in the process's network namespace."""
    with open(f"/proc/{pid}/net/snmp") as f:
        rows = [l.split() for l in f if l.startswith("Udp:")]
    return int(rows[1][rows[0].index("InDatagrams")])


def detection(nzones, seconds):
    """Idle knotd with nzones zones: CPU with and without mod-soa's polling,
    then the detection lag of a change to one zone nobody queries."""
    hz = os.sysconf("SC_CLK_TCK")
    names = [f"z{i}.test." for i in range(nzones)]
    res = {}
    for label, cfg in (("plain knotd", cfg_plain()),
                       ("mod-soa, serial-format: date", cfg_soa())):
        with tempfile.TemporaryDirectory(prefix="soa-bench-") as work:
            k = Knotd(os.path.join(work, "k"), {n: zone_text(n, 300) for n in names},
                      workers=1, **cfg)
            k.start(wait_zones=False, timeout=600)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    if k.query(names[-1], "SOA", timeout=1).answer:
                        break
                except Exception:
                    pass
                time.sleep(0.2)
            time.sleep(5)             # every zone checked at least once
            t0, u0, c0 = time.monotonic(), udp_in(k.proc.pid), thread_ticks(k.proc.pid)
            time.sleep(seconds)
            t1, u1, c1 = time.monotonic(), udp_in(k.proc.pid), thread_ticks(k.proc.pid)
            wall = t1 - t0
            total = sum(c1.values()) - sum(c0.values())
            svc = c1.get("mod-soa", 0) - c0.get("mod-soa", 0)
            r = {"cpu": total / hz / wall * 100, "svc": svc / hz / wall * 100,
                 "qps": (u1 - u0) / wall, "rss": rss_kib(k.proc.pid)}
            if "date" in label:
                lags = []
                for i in range(5):
                    z = names[(i * 2029) % nzones]
                    k.reload_zone(z, zone_text(z, 300, serial=600 + i))
                    time.sleep(2.5)
                    lags.append(k.stats(z)["change-detect-lag"])
                r["lags"] = lags
            res[label] = r
            k.stop()
    return res


def table_detection(res, nzones, seconds):
    out = [f"### Change detection ({nzones} zones, idle knotd, 1 UDP worker, {seconds} s)", "",
           "CPU of the whole knotd process and of mod-soa's thread, in % of one core "
           "(/proc/PID/task/*/stat). SOA checks/s: half the UDP datagrams received on the "
           "host (each check is a query to knotd and its answer to the module).", "",
           "| configuration | knotd CPU | of which thread mod-soa | SOA checks/s | RSS |",
           "|---|---:|---:|---:|---:|"]
    for label, r in res.items():
        out.append(f"| {label} | {r['cpu']:.1f} % | {r['svc']:.1f} % | {r['qps'] / 2:.0f} | "
                   f"{r['rss'] / 1024:.0f} MiB |")
    lags = [r["lags"] for r in res.values() if "lags" in r]
    if lags:
        out += ["", f"change-detect-lag after 5 zone reloads (ms): {', '.join(map(str, lags[0]))}"]
    out.append("")
    return out



# Part 6: scale, 1,000 to 100,000 zones (issue 11).

SCALE_NOTIFY = 100          # zones with notify: sink, reloaded at once at the end
SCALE_SERIAL = 501          # not a date serial: mod-soa publishes a date serial of its own


def soa_query_wire(qid, name):
    """An SOA query without EDNS, built by hand: 100,000 of them in a second."""
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + qname + struct.pack("!HH", 6, 1)


def soa_sweep(port, names, window=64, timeout=1.0, tries=3, limit=600):
    """An SOA query to every name, at most window in flight over one UDP socket;
    one unanswered for timeout seconds is sent again, up to tries times.
    Returns the names that did not get a NOERROR answer with an answer record."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    todo = collections.deque((name, 0) for name in names)
    flight = {}                       # id -> (name, sent, tries)
    failed = []
    next_id = 0
    deadline = time.monotonic() + limit
    try:
        while (todo or flight) and time.monotonic() < deadline:
            while todo and len(flight) < window:
                while next_id in flight:
                    next_id = (next_id + 1) & 0xFFFF
                name, n = todo.popleft()
                try:
                    sock.send(soa_query_wire(next_id, name))
                except BlockingIOError:
                    todo.appendleft((name, n))
                    break
                flight[next_id] = (name, time.monotonic(), n + 1)
                next_id = (next_id + 1) & 0xFFFF
            select.select([sock], [], [], 0.05)
            while True:
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                if len(data) < 12:
                    continue
                qid, flags, _, ancount = struct.unpack("!HHHH", data[:8])
                if qid not in flight:
                    continue
                name, _, n = flight.pop(qid)
                if flags & 0xF != 0 or ancount == 0:
                    failed.append(name)
            now = time.monotonic()
            for qid, (name, sent, n) in list(flight.items()):
                if now - sent > timeout:
                    del flight[qid]
                    (todo.append((name, n)) if n < tries else failed.append(name))
    finally:
        sock.close()
    return failed + [name for name, _ in todo] + [name for name, _, _ in flight.values()]


class NotifySink:
    """A secondary that only takes NOTIFYs, over UDP (mod-soa) and TCP (knotd
    3.2 sends its own over TCP), and answers each with NOERROR so that nobody
    retransmits. Records (time, zone, serial, transport)."""

    def __init__(self):
        self.port = free_port()
        self.got = []
        self.lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(64)
        self.tcp.settimeout(0.2)
        self.stopping = False
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self.run_udp, self.run_tcp)]
        for t in self.threads:
            t.start()

    def handle(self, data, transport):
        try:
            msg = dns.message.from_wire(data)
        except Exception:
            return None
        if msg.opcode() != dns.opcode.NOTIFY or not msg.question:
            return None
        soa = [r for r in msg.answer if r.rdtype == dns.rdatatype.SOA]
        with self.lock:
            self.got.append((time.monotonic(), msg.question[0].name.to_text().lower(),
                             soa[0][0].serial if soa else None, transport))
        return dns.message.make_response(msg).to_wire()

    def run_udp(self):
        while not self.stopping:
            try:
                data, addr = self.udp.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            reply = self.handle(data, "udp")
            if reply is not None:
                self.udp.sendto(reply, addr)

    def run_tcp(self):
        # One thread per connection: knotd 3.2 opens one for each NOTIFY.
        while not self.stopping:
            try:
                conn, _ = self.tcp.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self.serve_tcp, args=(conn,), daemon=True).start()

    def serve_tcp(self, conn):
        with conn:
            conn.settimeout(2)
            try:
                while not self.stopping:
                    head = conn.recv(2)
                    if len(head) < 2:
                        break
                    n = int.from_bytes(head, "big")
                    data = b""
                    while len(data) < n:
                        chunk = conn.recv(n - len(data))
                        if not chunk:
                            raise OSError("short")
                        data += chunk
                    reply = self.handle(data, "tcp")
                    if reply is not None:
                        conn.sendall(len(reply).to_bytes(2, "big") + reply)
            except (OSError, ValueError):
                pass

    def since(self, t):
        with self.lock:
            return [g for g in self.got if g[0] >= t]

    def close(self):
        self.stopping = True
        for t in self.threads:
            t.join(timeout=3)
        self.udp.close()
        self.tcp.close()


# What each configuration is: (module, knotd's dbus-event, mod-soa options).
SCALE_PLAIN = "plain knotd"
SCALE_PLAIN_DBUS = "plain knotd + dbus-event"
SCALE_NOOP = "no-op module (mod-soa's hooks)"
SCALE_NONE = "mod-soa, statistics: none"
SCALE_NEGSER = "mod-soa, statistics: [negative, serial]"
SCALE_DBUS = "mod-soa, D-Bus detection"
SCALE_POLL = "mod-soa, change-detect: poll"
SCALE_FEW = "plain knotd, 10 zones"

SCALE_CONFIGS = {
    SCALE_FEW: ("plain", False, None),
    SCALE_PLAIN: ("plain", False, None),
    SCALE_PLAIN_DBUS: ("plain", True, None),
    SCALE_NOOP: ("noop", True, None),
    SCALE_NONE: ("soa", True, {"statistics": "none"}),
    SCALE_NEGSER: ("soa", True, {"statistics": ["negative", "serial"]}),
    SCALE_DBUS: ("soa", True, {}),
    SCALE_POLL: ("soa", False, {"change-detect": "poll"}),
}
# Where the idle CPU is measured, and the 100-zone reload.
SCALE_IDLE = (SCALE_PLAIN, SCALE_PLAIN_DBUS, SCALE_DBUS, SCALE_POLL)


def scale_knotd(work, label, names, workers, sink, bus, background=1):
    """The Knotd of one configuration; every zone has a transfer ACL (so
    mod-soa registers BEGIN, END and AUTHORITY, like the no-op module), the
    SCALE_NOTIFY zones notify the sink."""
    kind, dbus_event, opts = SCALE_CONFIGS[label]
    kw = dict(acl_conf=XFR_ACL, template_extra=["acl: xfr"],
              extra_conf=remote_conf("sink", sink.port),
              env={"DBUS_SYSTEM_BUS_ADDRESS": bus.address if dbus_event
                   else f"unix:path={work}/no-bus"},
              zone_extra={n: ["notify: sink"] for n in scale_notified(names)})
    if dbus_event:
        kw["server_extra"] = ["dbus-event: zone-updated"]
    if kind == "plain" or kind == "noop":
        kw["module"] = False
    if kind == "noop":
        kw["extra_conf"] += (f'\nmodule:\n  - id: mod-noop\n    file: "{NOOP}"\n'
                             f"mod-noop:\n  - id: bench\n    hooks: BEU")
        kw["template_extra"].append("module: mod-noop/bench")
    if kind == "soa":
        kw["mod_conf"] = dict({"serial-format": "date"}, **opts)
    k = Knotd(os.path.join(work, "k"), {n: zone_text(n, 300, serial=SCALE_SERIAL) for n in names},
              **kw)
    # Worker threads: knotd's defaults, or 32 UDP + 32 TCP. Background
    # workers: 1 unless told (None: knotd's default, min(CPUs, 10)). knotd
    # 3.2.6 emits its D-Bus signals from the background workers through one
    # sd-bus connection without a lock; with two or more of them, a burst of
    # zone loads breaks that connection and the bus drops knotd.
    lines = [l for l in k.config_text().splitlines() if "-workers:" not in l]
    i = lines.index("server:") + 1
    if workers:
        lines[i:i] = [f"    udp-workers: {workers}", f"    tcp-workers: {workers}"]
    if background:
        lines[i:i] = [f"    background-workers: {background}"]
    with open(k.conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return k


def scale_notified(names):
    """The zones that notify the sink and are reloaded at once: spread evenly."""
    n = min(SCALE_NOTIFY, len(names))
    return [names[i * len(names) // n] for i in range(n)] if names else []


def zone_status_serials(k, timeout=300):
    """How many zones knotc zone-status shows with a serial (loaded)."""
    r = subprocess.run([KNOTC, "-c", k.conf, "-t", str(timeout), "zone-status"],
                       capture_output=True, text=True, env=k.ctl_env(), timeout=timeout + 30)
    return len(re.findall(r"\| serial: \d+", r.stdout))


def wait_answering(k, names, limit):
    """Starts knotd; seconds until it answers. Answering: knotc zone-status
    shows every zone with a serial, and an SOA query to the last zone and to
    100 other zones (a fixed random sample) gets a NOERROR answer. Also the
    seconds until knotc got through and until every zone was loaded."""
    rng = random.Random(11)
    sample = [names[-1]] + rng.sample(names, min(100, len(names)))
    t0 = time.monotonic()
    k.start(wait_zones=False, timeout=limit)
    out = {"ctl": time.monotonic() - t0}
    deadline = t0 + limit
    while time.monotonic() < deadline:
        if soa_sweep(k.port, [names[-1]], timeout=0.5, tries=1, limit=5):
            time.sleep(0.2)
            continue
        if "loaded" not in out:
            if zone_status_serials(k) < len(names):
                time.sleep(0.5)
                continue
            out["loaded"] = time.monotonic() - t0
        if not soa_sweep(k.port, sample, timeout=0.5, tries=1, limit=10):
            out["answer"] = time.monotonic() - t0
            return out
        time.sleep(0.2)
    raise RuntimeError(f"{len(names)} zones not answering within {limit} s")


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def settle(pid, quiet, limit):
    """Waits until the process used at most quiet % of a core over 2 s, at
    most limit seconds. Returns the seconds waited."""
    hz = os.sysconf("SC_CLK_TCK")
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        c0 = sum(thread_ticks(pid).values())
        time.sleep(2)
        if (sum(thread_ticks(pid).values()) - c0) / hz / 2 * 100 <= quiet:
            break
    return time.monotonic() - t0


def idle_cpu(k, seconds, bus=None):
    """CPU of the idle knotd (% of one core) over seconds, and of its threads
    named mod-soa, and of the dbus-daemon."""
    hz = os.sysconf("SC_CLK_TCK")
    pid = k.proc.pid
    bpid = bus.proc.pid if bus is not None and bus.proc is not None else None
    t0, c0, b0 = time.monotonic(), thread_ticks(pid), proc_ticks(bpid) if bpid else 0
    time.sleep(seconds)
    t1, c1, b1 = time.monotonic(), thread_ticks(pid), proc_ticks(bpid) if bpid else 0
    pct = lambda ticks: ticks / hz / (t1 - t0) * 100
    return {"cpu": pct(sum(c1.values()) - sum(c0.values())),
            "svc": pct(c1.get("mod-soa", 0) - c0.get("mod-soa", 0)),
            "bus": pct(b1 - b0) if bpid else None}


def reload_at_once(k, zones, sink, module=True, limit=60):
    """Rewrites the zones' files, reloads them with one knotc zone-reload, and
    waits for the NOTIFY of each: mod-soa's (a serial other than the real one),
    or without the module knotd's own (the real serial). Returns per zone:
    change-detect-lag, the published serial, the serials of the NOTIFYs
    received and the seconds from the reload command to the first NOTIFY of
    the published serial (knotd's, without the module)."""
    real = SCALE_SERIAL + 1
    for z in zones:
        k.write_zone(z, zone_text(z, 300, serial=real))
    t0 = time.monotonic()
    k.knotc("zone-reload", *zones)
    t_cmd = time.monotonic() - t0
    want = set(zones)
    deadline = t0 + limit
    while time.monotonic() < deadline:
        seen = {z for _, z, s, _ in sink.since(t0) if s is not None and (s != real) == module}
        if want <= seen:
            break
        time.sleep(0.05)
    t1 = time.monotonic()
    res = {}
    for z in zones:
        st = k.stats(z, settle=False) if module else {}
        res[z] = {"lag": st.get("change-detect-lag"),
                  "published": st.get("soa[published-serial]", real)}
    t_stats = time.monotonic() - t1
    time.sleep(1)                 # knotd's own NOTIFYs of the last zones
    got = sink.since(t0)
    for z, r in res.items():
        mine = [t - t0 for t, name, s, _ in got if name == z and s == r["published"]]
        r["notifies"] = [(s, tr) for _, name, s, tr in got if name == z]
        r["first"] = min(mine) if mine else None
    return {"zones": res, "t_cmd": t_cmd, "t_stats": t_stats}


def knotd_on_bus(bus):
    """Whether knotd still owns cz.nic.knotd on the private bus."""
    r = subprocess.run(["busctl", f"--address={bus.address}", "list", "--no-pager", "--no-legend"],
                       capture_output=True, text=True, timeout=30)
    return any(line.split()[:1] == ["cz.nic.knotd"] for line in r.stdout.splitlines())


def scale_one(label, names, workers, sink, idle_seconds, limit, background=1):
    """One knotd of one configuration with len(names) zones: time until it
    answers, RSS after every zone answered once, idle CPU, the reload."""
    kind, dbus_event, _ = SCALE_CONFIGS[label]
    with tempfile.TemporaryDirectory(prefix="soa-scale-") as work:
        bus = SystemBus(os.path.join(work, "bus")).start() if dbus_event else None
        k = None
        r = {}
        try:
            k = scale_knotd(work, label, names, workers, sink, bus, background)
            r.update(wait_answering(k, names, limit))
            r["answers"] = [r["answer"]]
            # Every zone answers once (every module instance has its snapshot).
            t0 = time.monotonic()
            missed = soa_sweep(k.port, names, limit=limit)
            r["sweep"] = time.monotonic() - t0
            r["unanswered"] = len(missed)
            pid = k.proc.pid
            # mod-soa with D-Bus checks every zone once after the load
            # announcements; wait for that to finish (polling never does).
            r["settle"] = settle(pid, 1.0, 5 if label == SCALE_POLL else 300)
            r["rss"] = rss_kib(pid)
            r["threads"] = len(os.listdir(f"/proc/{pid}/task"))
            if label in SCALE_IDLE:
                r.update(idle_cpu(k, idle_seconds, bus))
            if bus is not None:
                r["on_bus"] = knotd_on_bus(bus)
            if label in (SCALE_PLAIN, SCALE_PLAIN_DBUS, SCALE_DBUS):
                r["reload"] = reload_at_once(k, scale_notified(names), sink,
                                             module=(label == SCALE_DBUS))
            # mod-soa's change detection, logged once per state.
            r["detect"] = re.findall(r"change detection[^\n]*", k.log_text())
            r["log_errors"] = len(re.findall(r"\berror\b", k.log_text()))
        finally:
            if k is not None:
                t0 = time.monotonic()
                k.stop(timeout=300)
                r["stop"] = time.monotonic() - t0
            if bus is not None:
                bus.stop()
    return r


# Configurations started again for the start-up time (the medians of all starts).
SCALE_START = (SCALE_PLAIN, SCALE_PLAIN_DBUS, SCALE_NOOP, SCALE_NONE, SCALE_DBUS, SCALE_POLL)


def scale_start(label, names, workers, sink, limit, background=1, restart=False):
    """Starts knotd, returns the seconds until it answers (wait_answering).
    restart: the seconds of a second start in the same directory, after the
    first start answered, every zone was queried once (so mod-soa has
    published and stored every zone's first version) and knotd settled and
    stopped: a restart of a server whose state exists, as in production."""
    kind, dbus_event, _ = SCALE_CONFIGS[label]
    with tempfile.TemporaryDirectory(prefix="soa-scale-") as work:
        bus = SystemBus(os.path.join(work, "bus")).start() if dbus_event else None
        k = None
        try:
            k = scale_knotd(work, label, names, workers, sink, bus, background)
            first = wait_answering(k, names, limit)["answer"]
            if not restart:
                return first
            soa_sweep(k.port, names, limit=limit)
            settle(k.proc.pid, 1.0, 5 if label == SCALE_POLL else 300)
            k.stop(timeout=300)
            return wait_answering(k, names, limit)["answer"]
        finally:
            if k is not None:
                k.stop(timeout=300)
            if bus is not None:
                bus.stop()


def scale(sizes, worker_sets, idle_seconds, background=1, configs=None, start_rounds=3,
          limit=1800, restarts=1):
    sink = NotifySink()
    res = {}
    try:
        for workers in worker_sets:
            wl = f"{workers} UDP + {workers} TCP" if workers else "knotd defaults"
            names = [f"z{i}.test." for i in range(10)]
            res[(0, wl)] = {SCALE_FEW: scale_one(SCALE_FEW, names, workers, sink, idle_seconds,
                                                 limit, background)}
            for n in sizes:
                names = [f"z{i}.test." for i in range(n)]
                row = {}
                for label in SCALE_CONFIGS:
                    if label == SCALE_FEW or (configs and not any(c in label for c in configs)):
                        continue
                    t0 = time.monotonic()
                    try:
                        row[label] = scale_one(label, names, workers, sink, idle_seconds, limit,
                                               background)
                    except Exception as e:        # a size that does not fit: say so
                        row[label] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
                    r = row[label]
                    print(f"  {n:>7} zones, {wl}, {label}: " +
                          (r["error"] if "error" in r else
                           f"answers after {r['answer']:.1f} s, RSS {r['rss'] / 1024:.0f} MiB" +
                           (f", idle {r['cpu']:.2f} %" if "cpu" in r else "")) +
                          f" ({time.monotonic() - t0:.0f} s)", file=sys.stderr)
                res[(n, wl)] = row
            # The start-up time of the largest size again, interleaved: one
            # start is at the mercy of whatever else runs on the machine.
            n = max(sizes) if sizes else 0
            names = [f"z{i}.test." for i in range(n)]
            for rnd in range(start_rounds - 1):
                for label in SCALE_START:
                    r = res.get((n, wl), {}).get(label)
                    if r is None or "answers" not in r:
                        continue
                    try:
                        r["answers"].append(scale_start(label, names, workers, sink, limit,
                                                        background))
                    except Exception as e:
                        r.setdefault("start_errors", []).append(f"{type(e).__name__}: {e}"[:200])
                    print(f"  {n:>7} zones, {wl}, {label}: start {rnd + 2}: answers after "
                          f"{r['answers'][-1]:.1f} s", file=sys.stderr)
            for rnd in range(restarts):
                for label in SCALE_START:
                    r = res.get((n, wl), {}).get(label)
                    if r is None or "answers" not in r:
                        continue
                    try:
                        r.setdefault("restarts", []).append(
                            scale_start(label, names, workers, sink, limit, background, True))
                    except Exception as e:
                        r.setdefault("start_errors", []).append(f"{type(e).__name__}: {e}"[:200])
                        continue
                    print(f"  {n:>7} zones, {wl}, {label}: restart {rnd + 1}: answers after "
                          f"{r['restarts'][-1]:.1f} s", file=sys.stderr)
    finally:
        sink.close()
    return res


def kib_per_zone(a, b, n):
    return (a - b) * 1024 / n


def detect_short(r):
    """mod-soa's change detection in a run, and whether knotd kept its bus."""
    out = []
    for line in r.get("detect", []):
        mode = ("D-Bus" if "on D-Bus" in line else "polling" if "polling" in line
                else "off" if ": off" in line else "?")
        why = re.search(r"\(([^)]*)\)$", line)
        out.append(mode + (f" ({why.group(1)})" if why and mode == "polling" else ""))
    text = " → ".join(out)
    if "on_bus" in r:
        text += ("; " if text else "") + ("knotd on the bus" if r["on_bus"]
                                          else "**knotd no longer on the bus**")
    return text


def table_scale(res, idle_seconds, background=1):
    sizes = sorted({n for n, _ in res if n})
    wls = list(dict.fromkeys(wl for _, wl in res))
    bg = (f"{background} background worker" + ("s" if background > 1 else "")
          if background else "knotd's default background workers (min(CPUs, 10))")
    out = ["### Scale: 1,000 to 100,000 zones (issue 11)", "",
           f"Zones of 4 records (SOA, NS, 2 A; real serial {SCALE_SERIAL}), each with a "
           "transfer ACL (so mod-soa registers BEGIN, END and AUTHORITY hooks, and the no-op "
           f"module the same three); {SCALE_NOTIFY} of them (spread evenly) notify a sink in "
           "the benchmark process, which answers every NOTIFY (UDP and TCP) with NOERROR. One "
           "knotd at a time, log level info. mod-soa: serial-format date, every other option "
           "at its default unless the row says otherwise. D-Bus rows: a private dbus-daemon, "
           "knotd with `dbus-event: zone-updated` and DBUS_SYSTEM_BUS_ADDRESS; the other rows "
           "have no bus. Workers: knotd's default UDP and TCP workers (no udp/tcp-workers "
           f"lines) or 32 UDP + 32 TCP; {bg} in every row.", "",
           "- **answering**: seconds from starting knotd until `knotc zone-status` shows every "
           "zone with a serial and SOA queries to the last zone and to 100 others (fixed "
           "random sample) get NOERROR answers; checked every 0.2–0.5 s (zone-status of all "
           "zones takes part of that). **loaded**: when zone-status first showed every zone.",
           "- **RSS**: VmRSS after an SOA sweep (every zone queried once over UDP, at most 64 "
           "in flight, so every module instance has its snapshot; **sweep** is its duration), "
           "once knotd's CPU stayed under 1 % of a core over 2 s (bounded at 300 s; "
           "**settle** is how long that took; polling never settles and gets 5 s).",
           f"- **idle CPU**: knotd process, all threads, over {idle_seconds} s after that "
           "(/proc/PID/task/*/stat, 10 ms ticks), in % of one core; the thread named "
           "mod-soa apart; the dbus-daemon apart.",
           "- **stop**: from SIGTERM until knotd exited.",
           "- **detection**: mod-soa's change detection as logged (once per state); for D-Bus "
           "rows, whether knotd still owned cz.nic.knotd after the idle window.", ""]
    for wl in wls:
        few = res.get((0, wl), {}).get(SCALE_FEW, {})
        out += [f"#### {wl}", "",
                "| zones | configuration | threads | loaded | answering | sweep | settle | RSS | "
                "idle CPU | of which mod-soa thread | dbus-daemon | stop | detection |",
                "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        if "rss" in few:
            out.append(f"| 10 | {SCALE_FEW} | {few['threads']} | {few.get('loaded', 0):.1f} s | "
                       f"{few['answer']:.1f} s | | | {few['rss'] / 1024:.1f} MiB | | | | "
                       f"{few['stop']:.1f} s | |")
        for n in sizes:
            for label, r in res.get((n, wl), {}).items():
                if "error" in r:
                    out.append(f"| {n:,} | {label} | | | | | | | not run: {r['error']} | | | | |")
                    continue
                cpu = f"{r['cpu']:.2f} %" if "cpu" in r else ""
                svc = f"{r['svc']:.2f} %" if "cpu" in r and SCALE_CONFIGS[label][0] == "soa" else ""
                bus = f"{r['bus']:.2f} %" if r.get("bus") is not None else ""
                out.append(f"| {n:,} | {label} | {r['threads']} | {r.get('loaded', 0):.1f} s | "
                           f"{r['answer']:.1f} s | {r['sweep']:.1f} s"
                           f"{' (' + str(r['unanswered']) + ' unanswered)' if r['unanswered'] else ''} | "
                           f"{r['settle']:.0f} s | {r['rss'] / 1024:.1f} MiB | {cpu} | {svc} | {bus} | "
                           f"{r['stop']:.1f} s | {detect_short(r)} |")
        out.append("")

    # Memory per zone.
    out += ["### Memory per zone (B per zone, from the RSS above)", "",
            "- knotd's own: (plain − plain with 10 zones) / zones",
            "- no-op module: (no-op − plain + dbus-event) / zones: knotd's cost of a module "
            "instance with three hooks and no counters",
            "- module's own: (mod-soa with `statistics: none` − no-op) / zones",
            "- counter slots: (mod-soa with every group − with none) / zones",
            "- added, [negative, serial]: (mod-soa with `statistics: [negative, serial]` − "
            "plain) / zones; added, all groups: (mod-soa, D-Bus, every group − plain) / zones",
            "", "Every mod-soa and no-op row runs with D-Bus (dbus-event); plain knotd without.", "",
            "| zones | workers | knotd's own | no-op module | module's own | counter slots | "
            "added, [negative, serial] | added, all groups |",
            "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for wl in wls:
        few = res.get((0, wl), {}).get(SCALE_FEW, {})
        for n in sizes:
            row = res.get((n, wl), {})
            rss = {label: r["rss"] for label, r in row.items() if "rss" in r}

            def cell(a, b):
                return f"{kib_per_zone(rss[a], rss[b], n):,.0f}" if a in rss and b in rss else "–"
            own = (f"{kib_per_zone(rss[SCALE_PLAIN], few['rss'], n):,.0f}"
                   if SCALE_PLAIN in rss and "rss" in few else "–")
            out.append(f"| {n:,} | {wl} | {own} | {cell(SCALE_NOOP, SCALE_PLAIN_DBUS)} | "
                       f"{cell(SCALE_NONE, SCALE_NOOP)} | {cell(SCALE_DBUS, SCALE_NONE)} | "
                       f"{cell(SCALE_NEGSER, SCALE_PLAIN)} | {cell(SCALE_DBUS, SCALE_PLAIN)} |")
    out.append("")

    # Start-up time at the largest size, every start.
    if sizes:
        n = sizes[-1]
        out += [f"### Start-up time, {n:,} zones", "",
                "Seconds until every zone answers (as **answering** above), every start of "
                "each configuration: the first is the run above, the others are starts only, "
                "interleaved with the other configurations. Every one of these starts is a "
                "first start: mod-soa allocates and stores every zone's first published serial "
                "(one LMDB write transaction per zone). **restarts**: knotd "
                "started again in the same directory after a first start answered, every zone "
                "was queried once and knotd settled and stopped, so mod-soa's state holds every "
                "zone (what an operator's restart is).", "",
                "| workers | configuration | first starts | median | × plain knotd | restarts "
                "| median | × plain knotd |",
                "|---|---|---|---:|---:|---|---:|---:|"]

        def runs(xs, base):
            if not xs:
                return "| – | – | – "
            med = statistics.median(xs)
            ratio = f"{med / statistics.median(base):.2f}" if base else "–"
            return f"| {', '.join(f'{x:.1f}' for x in xs)} s | {med:.1f} s | {ratio} "
        for wl in wls:
            row = res.get((n, wl), {})
            base = row.get(SCALE_PLAIN, {}).get("answers")
            rbase = row.get(SCALE_PLAIN, {}).get("restarts")
            for label, r in row.items():
                if not r.get("answers"):
                    continue
                out.append(f"| {wl} | {label} " + runs(r["answers"], base) +
                           runs(r.get("restarts"), rbase) + "|")
        out.append("")

    # The reload of SCALE_NOTIFY zones at once.
    real = SCALE_SERIAL + 1
    out += [f"### {SCALE_NOTIFY} zones reloaded at once", "",
            f"After the idle window: their zone files rewritten (real serial {SCALE_SERIAL} → "
            f"{real}), then one `knotc zone-reload` with the {SCALE_NOTIFY} names; no query to "
            "the zones. change-detect-lag from `knotc zone-stats` (with D-Bus: from the module "
            "receiving knotd's zone-updated signal to the new published serial); NOTIFY "
            "latency: from the zone-reload command to the sink receiving the NOTIFY of the "
            "published serial (mod-soa's, with soa[published-serial] read afterwards; without "
            "the module knotd's own, of the real serial), waited for at most 60 s. knotd's own "
            "NOTIFYs (real serial) are counted in every row.", "",
            "| zones | workers | configuration | knotc zone-reload took | NOTIFY of the "
            "published serial | change-detect-lag max | median | over 100 ms | NOTIFY latency "
            "median | max | mod-soa NOTIFYs per zone | knotd's own NOTIFYs |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for wl in wls:
        for n in sizes:
            for label, r in res.get((n, wl), {}).items():
                if "reload" not in r:
                    continue
                module = SCALE_CONFIGS[label][0] == "soa"
                zs = r["reload"]["zones"]
                lags = [z["lag"] for z in zs.values() if z["lag"] is not None]
                firsts = [z["first"] for z in zs.values() if z["first"] is not None]
                mine = [sum(1 for s, _ in z["notifies"] if s == z["published"])
                        for z in zs.values()]
                knot = sum(1 for z in zs.values() for s, _ in z["notifies"] if s == real)
                out.append(f"| {n:,} | {wl} | {label} | {r['reload']['t_cmd'] * 1000:.0f} ms | "
                           f"{len(firsts)} of {len(zs)} | "
                           f"{str(max(lags)) + ' ms' if lags else '–'} | "
                           f"{str(statistics.median(lags)) + ' ms' if lags else '–'} | "
                           f"{sum(1 for x in lags if x > 100) if lags else '–'} | "
                           f"{statistics.median(firsts) * 1000 if firsts else 0:.0f} ms | "
                           f"{max(firsts) * 1000 if firsts else 0:.0f} ms | "
                           f"{f'{min(mine)}–{max(mine)}' if module else '–'} | {knot} |")
    out.append("")
    out += table_scale_targets(res, sizes, wls)
    return out


def table_scale_targets(res, sizes, wls):
    """The targets of issue 11, at the largest size run."""
    if not sizes:
        return []
    n = sizes[-1]
    out = [f"### Targets (issue 11), at {n:,} zones", "",
           "| measure | target | measured | met |", "|---|---|---|---|"]

    def get(wl, label, key):
        return res.get((n, wl), {}).get(label, {}).get(key)

    def yes(ok):
        return "yes" if ok else "no"
    for wl in wls:
        p, d, q = get(wl, SCALE_PLAIN, "cpu"), get(wl, SCALE_DBUS, "cpu"), get(wl, SCALE_POLL, "cpu")
        if p is not None and d is not None:
            out.append(f"| idle CPU with D-Bus detection, {wl} | ≤ plain + 0.5 % of a core | "
                       f"{d:.2f} % vs plain {p:.2f} % ({d - p:+.2f}) | {yes(d - p <= 0.5)} |")
        if q is not None:
            out.append(f"| idle CPU with polling, {wl} | ≤ 2 % of a core | {q:.2f} % | {yes(q <= 2)} |")
    for wl in wls:
        rl = get(wl, SCALE_DBUS, "reload")
        if rl:
            zs = rl["zones"].values()
            lags = [z["lag"] for z in zs if z["lag"] is not None]
            notified = sum(1 for z in zs if z["first"] is not None)
            ok = len(lags) == len(zs) and max(lags) <= 100 and notified == len(zs)
            out.append(f"| change-detect-lag, {len(zs)} zones reloaded at once, {wl} | "
                       f"≤ 100 ms each, each NOTIFY sent | max {max(lags) if lags else '–'} ms, "
                       f"NOTIFY of the published serial for {notified} of {len(zs)} | {yes(ok)} |")
    own = {}
    for wl in wls:
        a, b = get(wl, SCALE_NONE, "rss"), get(wl, SCALE_NOOP, "rss")
        if a is not None and b is not None:
            own[wl] = kib_per_zone(a, b, n)
    if own:
        spread = max(own.values()) - min(own.values())
        out.append("| the module's own memory per zone | ≤ 1 KiB, the same for both worker "
                   "settings | " + ", ".join(f"{v:,.0f} B ({wl})" for wl, v in own.items()) +
                   f"; difference {spread:,.0f} B | "
                   f"{yes(max(own.values()) <= 1024)} (≤ 1 KiB); same: see text |")
    wl = wls[0]
    few = res.get((0, wl), {}).get(SCALE_FEW, {}).get("rss")
    s, p = get(wl, SCALE_NEGSER, "rss"), get(wl, SCALE_PLAIN, "rss")
    if None not in (few, s, p):
        added, plain_own = kib_per_zone(s, p, n), kib_per_zone(p, few, n)
        out.append(f"| total added per zone, {wl}, statistics [negative, serial] | ≤ plain "
                   f"knotd's own per zone | {added:,.0f} B vs {plain_own:,.0f} B | "
                   f"{yes(added <= plain_own)} |")
    def start(wl, label, key):
        a = get(wl, label, key)
        return statistics.median(a) if a else None
    for key, what in (("answers", "first start"), ("restarts", "restart")):
        for wl in wls:
            p, d, q = start(wl, SCALE_PLAIN, key), start(wl, SCALE_DBUS, key), \
                start(wl, SCALE_POLL, key)
            if p is not None and d is not None:
                out.append(f"| time until {n:,} zones answer, {what}, {wl} (medians) | ≤ 1.2 × "
                           f"plain | D-Bus {d:.1f} s vs plain {p:.1f} s = {d / p:.2f} ×" +
                           (f"; polling {q:.1f} s = {q / p:.2f} ×" if q else "") +
                           f" | {yes(d / p <= 1.2)} (D-Bus), "
                           f"{yes(q is not None and q / p <= 1.2)} (polling) |")
    out.append("")
    return out


def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    knotd = subprocess.run(["/usr/sbin/knotd", "-V"], capture_output=True, text=True).stdout.strip()
    return (f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB, "
            f"{platform.system()} {platform.release()}, {knotd}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", action="append",
                    choices=["instructions", "qps", "transfers", "memory", "detection", "scale"])
    ap.add_argument("--n", type=int, default=2000, help="queries per callgrind run (N)")
    ap.add_argument("--config", action="append",
                    help="instructions: only configurations whose name contains this "
                         "(plain knotd always runs)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--zones", type=int, default=1000)
    ap.add_argument("--detect-zones", type=int, default=10000)
    ap.add_argument("--scale-zones", default="1000,10000,100000",
                    help="scale: zone counts, comma-separated")
    ap.add_argument("--scale-workers", default="default,32",
                    help="scale: 'default' (knotd's) and/or N for N UDP + N TCP workers")
    ap.add_argument("--scale-idle", type=int, default=20, help="scale: idle CPU window (s)")
    ap.add_argument("--scale-background", default="1",
                    help="scale: background-workers, or 'default' for knotd's (see scale_knotd)")
    ap.add_argument("--scale-start-rounds", type=int, default=3,
                    help="scale: starts of each configuration at the largest size (median)")
    ap.add_argument("--scale-restarts", type=int, default=1,
                    help="scale: restarts with the state kept, of each configuration at the "
                         "largest size (see scale_start)")
    ap.add_argument("--scale-config", action="append",
                    help="scale: only configurations whose name contains this")
    args = ap.parse_args()
    parts = args.only or ["instructions", "qps", "transfers", "memory", "detection"]
    for path in (SOA, NOOP, HOTPATH):
        if not os.path.exists(path):
            sys.exit(f"{path} missing: run make and make -C bench build/noop.so build/hotpath")

    cmdline = "make bench" + (f" BENCH_ARGS='{' '.join(sys.argv[1:])}'" if sys.argv[1:] else "")
    lines = [f"## mod-soa benchmark, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
             "", f"Machine: {machine()}", "", f"Command: `{cmdline}`", ""]
    if "instructions" in parts:
        print("instructions per query (callgrind)...", file=sys.stderr)
        lines += table_instructions(instructions(args.n, args.config), args.n)
    if "instructions" in parts:
        print("hook alone (hotpath)...", file=sys.stderr)
        lines += table_hotpath(hotpath()[0])
    if "qps" in parts:
        print("queries per second (dnsperf)...", file=sys.stderr)
        res, med = qps(args.rounds, args.seconds)
        lines += table_qps(res, med, args.rounds, args.seconds)
    if "transfers" in parts:
        print("transfers...", file=sys.stderr)
        res, stats = transfers(args.rounds, args.records)
        lines += table_transfers(res, stats, args.rounds, args.records)
    if "memory" in parts:
        print("memory...", file=sys.stderr)
        by_workers = {"knotd defaults": memory(args.zones, None),
                      "1 UDP + 1 TCP": memory(args.zones, 1)}
        lines += table_memory(by_workers, args.zones)
    if "detection" in parts:
        print("change detection...", file=sys.stderr)
        lines += table_detection(detection(args.detect_zones, args.seconds * 2),
                                 args.detect_zones, args.seconds * 2)
    if "scale" in parts:
        print("scale...", file=sys.stderr)
        sizes = [int(x) for x in args.scale_zones.split(",") if x]
        worker_sets = [None if w == "default" else int(w) for w in args.scale_workers.split(",")]
        background = None if args.scale_background == "default" else int(args.scale_background)
        lines += table_scale(scale(sizes, worker_sets, args.scale_idle, background,
                                   args.scale_config, args.scale_start_rounds,
                                   restarts=args.scale_restarts),
                             args.scale_idle, background)

    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        f.write(text)
    if "scale" in parts:
        # Kept apart from latest.md, which the next run of any part replaces.
        with open(os.path.join(HERE, "results", f"scale-{datetime.date.today()}.md"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
