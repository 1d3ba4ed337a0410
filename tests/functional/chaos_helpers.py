"""Helpers for the chaos test (test_chaos.py): a fair control lock, dnsperf
runs, the SOA poller, RFC 1982 comparison and knotd log parsing.

Every loop here has a deadline; nothing waits forever.
"""

import os
import re
import signal
import subprocess
import threading
import time
import traceback

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

DNSPERF = os.environ.get("DNSPERF", "/usr/bin/dnsperf")

# knotd log: "[zone.] module 'mod-soa/default', serial X published as Y"
PUBLISHED_RE = re.compile(
    r"^(?P<time>\S+) \S+: \[(?P<zone>[^\]]+)\] module 'mod-soa/[^']*', "
    r"serial (?P<real>\d+) published as (?P<pub>\d+)$")
MODULE_LINE_RE = re.compile(r"^(?P<time>\S+) (?P<level>\S+): \[(?P<zone>[^\]]+)\] "
                            r"module 'mod-soa/[^']*', (?P<msg>.*)$")


def serial_gt(a, b):
    """RFC 1982: a is greater than b."""
    return 0 < (a - b) % 2**32 < 2**31


def serial_ge(a, b):
    return a == b or serial_gt(a, b)


class FairLock:
    """A FIFO lock: control operations (updates, reloads, restarts) take turns
    in arrival order, so no thread starves another. Waiting is bounded."""

    def __init__(self, timeout=120):
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._abandoned = set()
        self.timeout = timeout

    def _skip_abandoned(self):
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1

    def acquire(self, timeout=None):
        timeout = self.timeout if timeout is None else timeout
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            deadline = time.monotonic() + timeout
            while self._serving != ticket:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._abandoned.add(ticket)
                    self._skip_abandoned()
                    self._cond.notify_all()
                    raise TimeoutError(f"control lock not obtained in {timeout} s")
                self._cond.wait(min(left, 1.0))

    def release(self):
        with self._cond:
            self._serving += 1
            self._skip_abandoned()
            self._cond.notify_all()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


class Failures:
    """Violations and thread crashes, collected so one run reports them all."""

    def __init__(self, stop_event):
        self.lock = threading.Lock()
        self.items = []
        self.stop = stop_event

    def add(self, what, fatal=False):
        with self.lock:
            self.items.append(what)
        if fatal:
            self.stop.set()

    def thread(self, name, fn, *args):
        """A thread running fn(*args); an exception is a fatal failure."""
        def run():
            try:
                fn(*args)
            except BaseException:                      # noqa: B902 - report everything
                self.add(f"thread {name} crashed:\n{traceback.format_exc()}", fatal=True)
        t = threading.Thread(target=run, name=name, daemon=True)
        return t


# Other tests running at the same time.

def _module_instdir():
    try:
        return subprocess.run(["pkg-config", "--variable=module_instdir", "knotd"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


SYSTEM_MODULE = os.path.join(_module_instdir() or "/nonexistent", "soa.so")
FOREIGN_MARKERS = ("duplicate module", "ASan runtime does not come first")


def foreign_module(text=""):
    """True while a soa.so sits in knotd's auto-load directory (test_install.py
    puts one there for a moment): knotc and knotd then refuse our configuration,
    which declares the module too ("duplicate module")."""
    return os.path.exists(SYSTEM_MODULE) or any(m in text for m in FOREIGN_MARKERS)


def tolerate_foreign_module(k, notes, limit=60):
    """Makes k.knotc() and k.start() wait (bounded) while another test has a
    soa.so installed in knotd's module directory, instead of failing."""
    knotc, start = k.knotc, k.start

    def retrying(fn, what):
        def call(*args, **kw):
            deadline = time.monotonic() + limit
            while True:
                try:
                    return fn(*args, **kw)
                except RuntimeError as e:
                    if time.monotonic() > deadline or not foreign_module(str(e)):
                        raise
                    notes.append(f"{what}: waited for a foreign {SYSTEM_MODULE} to go")
                    time.sleep(0.5)
        return call

    k.knotc = retrying(knotc, "knotc")
    k.start = retrying(start, "knotd start")


# dnsperf.

def dnsperf_queries(zones, path):
    """A query file mixing positive, NXDOMAIN, NODATA and SOA questions."""
    lines = []
    for z in zones:
        lines += [
            f"www.{z} A", f"www.{z} AAAA", f"ns1.{z} A", f"mail.{z} MX", f"{z} NS",
            f"alias.{z} A", f"x.wild.{z} TXT", f"sub.{z} A",           # positive, referral
            f"nx1.{z} A", f"nx2.{z} AAAA", f"nx3.{z} MX", f"dangling.{z} A",  # NXDOMAIN
            f"www.{z} TXT", f"b.ent.{z} A", f"y.wild.{z} A", f"{z} TXT",  # NODATA
            f"{z} SOA", f"{z} SOA", f"{z} SOA", f"{z} ANY",            # SOA answers
        ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


STAT_RES = {
    "sent": re.compile(r"Queries sent:\s+(\d+)"),
    "completed": re.compile(r"Queries completed:\s+(\d+)"),
    "lost": re.compile(r"Queries lost:\s+(\d+)"),
}
RCODES_RE = re.compile(r"Response codes:\s+(.*)$", re.M)


def parse_dnsperf(text):
    out = {}
    for key, rx in STAT_RES.items():
        m = rx.search(text)
        out[key] = int(m.group(1)) if m else None
    rcodes = {}
    m = RCODES_RE.search(text)
    if m:
        for part in m.group(1).split(","):
            bits = part.split()
            if len(bits) >= 2:
                rcodes[bits[0]] = int(bits[1])
    out["rcodes"] = rcodes
    out["has_rcodes_line"] = m is not None
    return out


class Dnsperf:
    """dnsperf at full rate; one process per knotd lifetime."""

    def __init__(self, workdir, qfile):
        self.dir = workdir
        self.qfile = qfile
        self.runs = []           # parsed statistics of finished runs
        self.proc = None
        self.out = None
        self.started = None

    def start(self, port, edns):
        n = len(self.runs)
        path = os.path.join(self.dir, f"dnsperf-{n}.txt")
        self.out = open(path, "w")
        cmd = [DNSPERF, "-s", "127.0.0.1", "-p", str(port), "-d", self.qfile,
               "-c", "4", "-T", "1", "-q", "64", "-t", "2", "-l", "900"]
        if edns:
            cmd.append("-e")
        self.path = path
        self.edns = edns
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def stop(self):
        """Interrupts dnsperf (it prints its statistics) and parses them."""
        if self.proc is None:
            return None
        exited_early = self.proc.poll() is not None
        if not exited_early:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.out.close()
        with open(self.path) as f:
            text = f.read()
        stats = parse_dnsperf(text)
        stats.update(file=self.path, seconds=round(time.monotonic() - self.started, 2),
                     returncode=self.proc.returncode, exited_early=exited_early,
                     edns=self.edns)
        self.runs.append(stats)
        self.proc = None
        return stats


# The SOA poller.

class Poller:
    """Asks every zone for its SOA every `interval` seconds over UDP.

    A sample whose query overlapped a restart (the `serving` flag was clear or
    the generation changed while it was under way) is marked not clean: its
    timeouts and error answers (a zone still loading answers SERVFAIL) are
    excused; its serial, if it got one, counts like any other.
    """

    def __init__(self, port_fn, zones, serving, generation, stop, deadline,
                 interval=0.01, timeout=0.25):
        self.port_fn = port_fn
        self.zones = list(zones)
        self.serving = serving
        self.generation = generation
        self.stop = stop
        self.deadline = deadline
        self.interval = interval
        self.timeout = timeout
        # (t, zone index, serial or None, rcode text or "TIMEOUT"/"ERROR", clean)
        self.samples = []

    def sample(self, zi, t0):
        zone = self.zones[zi]
        g0 = self.generation()
        clean0 = self.serving.is_set()
        t = time.monotonic() - t0
        q = dns.message.make_query(zone, "SOA", use_edns=0, payload=1232)
        serial, what = None, None
        try:
            r = dns.query.udp(q, "127.0.0.1", port=self.port_fn(), timeout=self.timeout)
            what = dns.rcode.to_text(r.rcode())
            soa = [rr for rr in r.answer if rr.rdtype == dns.rdatatype.SOA]
            if r.rcode() == dns.rcode.NOERROR and soa:
                serial = soa[0][0].serial
            elif r.rcode() == dns.rcode.NOERROR:
                what = "NOERROR-NO-SOA"
        except dns.exception.Timeout:
            what = "TIMEOUT"
        except (OSError, dns.exception.DNSException) as e:
            what = f"ERROR:{type(e).__name__}"
        clean = clean0 and self.serving.is_set() and self.generation() == g0
        self.samples.append((round(t, 4), zi, serial, what, clean))

    def run(self, t0):
        """Samples until stopped, restarts included: while knotd is down the
        queries fail (refused or timed out), and the first answers of a new
        knotd are recorded like any other."""
        nxt = time.monotonic()
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            for zi in range(len(self.zones)):
                self.sample(zi, t0)
            nxt += self.interval
            now = time.monotonic()
            if nxt > now:
                time.sleep(nxt - now)
            elif now - nxt > 0.5:
                nxt = now                      # far behind (load): do not burst


# knotd log.

def published_lines(log_text):
    """[(zone, real, published, line)] in log order."""
    out = []
    for line in log_text.splitlines():
        m = PUBLISHED_RE.match(line.strip())
        if m:
            out.append((m.group("zone"), int(m.group("real")), int(m.group("pub")), line))
    return out


def module_problems(log_text):
    """mod-soa log lines at error level or above."""
    bad = []
    for line in log_text.splitlines():
        m = MODULE_LINE_RE.match(line.strip())
        if m and m.group("level") in ("error", "critical"):
            bad.append(line)
    return bad
