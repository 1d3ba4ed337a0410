#!/usr/bin/python3
"""make bench: what mod-soa costs knotd per query, per transfer and per zone.

Parts (all by default, or pick with --only):
  instructions  callgrind, 1 UDP worker: (Ir(2N) - Ir(N)) / N per query class
  qps           dnsperf on loopback, plain vs mod-soa interleaved
  transfers     AXFR of a 100,000-record zone (plain/TSIG), IXFR of a 10-record change
  memory        knotd RSS with 1,000 small zones, with and without the module
  detection     10,000 idle zones: CPU of the module's SOA checks, detection lag

The markdown table goes to stdout and bench/results/latest.md. Everything runs
on 127.0.0.1 and free ports; every wait is bounded.
"""

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))

from knotharness import Knotd, ddns, keyring  # noqa: E402

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
                    choices=["instructions", "qps", "transfers", "memory", "detection"])
    ap.add_argument("--n", type=int, default=2000, help="queries per callgrind run (N)")
    ap.add_argument("--config", action="append",
                    help="instructions: only configurations whose name contains this "
                         "(plain knotd always runs)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--zones", type=int, default=1000)
    ap.add_argument("--detect-zones", type=int, default=10000)
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

    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
