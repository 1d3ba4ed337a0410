"""Real secondaries of other implementations, on loopback, for NOTIFY tests.

BIND 9 (named), NSD and a plain knotd each run as a secondary of a primary at
127.0.0.1@primary_port, on 127.0.0.1 and a free high port, in a private
directory, optionally with a TSIG key (hmac-sha256) used for the transfer and
required (where the implementation can require it) on the NOTIFY. They
transfer over IXFR where the implementation does (after the first AXFR) and
take NOTIFY from 127.0.0.1. Every wait is bounded; stop() never leaves a
process behind.

Debian packages: bind9 (/usr/sbin/named), nsd (/usr/sbin/nsd), knot.
"""

import os
import re
import signal
import subprocess
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from knotharness import Knotd, free_port, read_text, remote_conf

NAMED = os.environ.get("NAMED", "/usr/sbin/named")
NSD = os.environ.get("NSD", "/usr/sbin/nsd")

KINDS = ("bind", "nsd", "knot")


def available(kind):
    """None if the kind can run here, else why not (naming the package)."""
    binary = {"bind": NAMED, "nsd": NSD, "knot": None}[kind]
    if binary is not None and not os.access(binary, os.X_OK):
        pkg = {"bind": "bind9", "nsd": "nsd"}[kind]
        return f"{binary} missing: apt-get install {pkg} (make deps)"
    return None


def _absname(name):
    return name if name.endswith(".") else name + "."


class Secondary:
    """What the tests need of any secondary; subclasses run the server."""

    kind = None
    START_TIMEOUT = 40      # 2 cores shared with other tests: generous but bounded
    STOP_TIMEOUT = 15

    def __init__(self, workdir, zones, primary_port, port=None, key=None):
        """zones: a zone name or a list of them; key: (name, algorithm, secret)."""
        self.dir = str(workdir)
        self.zones = [_absname(z) for z in ([zones] if isinstance(zones, str) else zones)]
        self.primary_port = primary_port
        self.port = port or free_port()
        self.key = key
        self.proc = None
        self.running = False        # started and not stopped: must be alive
        os.makedirs(self.dir, exist_ok=True)

    def __repr__(self):
        return f"<{self.kind} secondary 127.0.0.1@{self.port}>"

    # Process control (subclasses: command(), write_conf(), log paths).

    def start(self, timeout=None):
        """Starts the server and waits until every zone answers its SOA
        (i.e. the first transfer from the primary is done)."""
        self.write_conf()
        self.stderr = open(os.path.join(self.dir, f"{self.kind}.stderr"), "a")
        self.proc = subprocess.Popen(self.command(), stdout=self.stderr,
                                     stderr=subprocess.STDOUT, cwd=self.dir,
                                     start_new_session=True)
        deadline = time.monotonic() + (timeout or self.START_TIMEOUT)
        pending = set(self.zones)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                raise RuntimeError(f"{self.kind} exited with {code}:\n"
                                   f"{self.stderr_text()}{self.log_text()}")
            for zone in list(pending):
                if self.soa_serial(zone, timeout=0.5) is not None:
                    pending.discard(zone)
            if not pending:
                self.running = True
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} secondary did not load {sorted(pending)} within "
                           f"the timeout:\n{self.stderr_text()}{self.log_text()}")

    def stop(self, timeout=None):
        """SIGTERM, a bounded wait, then SIGKILL of the whole process group."""
        self.running = False
        if self.proc is None:
            return
        timeout = timeout or self.STOP_TIMEOUT
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # The session holds the server and any children it forked (NSD's
        # xfrd and server processes); none may outlive stop().
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.returncode = self.proc.returncode
        self.proc = None
        self.stderr.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def close(self):
        self.stop()

    # Logs.

    def stderr_text(self):
        return read_text(os.path.join(self.dir, f"{self.kind}.stderr"))

    def log_text(self):
        return read_text(self.log)

    def log_lines(self, pattern):
        """Log lines matching a regular expression (case-insensitive)."""
        rx = re.compile(pattern, re.I)
        return [line for line in self.log_text().splitlines() if rx.search(line)]

    # What the log says about incoming NOTIFYs and what was made of them.
    NOTIFY_RX = r"notif"
    # A NOTIFY without a valid TSIG (rejected; BIND: also taken unsigned).
    UNAUTH_NOTIFY_RX = None

    def notify_lines(self):
        return self.log_lines(self.NOTIFY_RX)

    def unauthenticated_notify_lines(self):
        """With a key: log lines showing a NOTIFY that came without a valid
        TSIG (refused, or for BIND taken unsigned from the primary's address)."""
        return self.log_lines(self.UNAUTH_NOTIFY_RX) if self.UNAUTH_NOTIFY_RX else []

    # DNS.

    def query(self, name, rdtype, tcp=False, timeout=2):
        q = dns.message.make_query(name, rdtype)
        if tcp:
            return dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=timeout)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout)

    def soa_serial(self, zone=None, timeout=2):
        """The serial of the zone's SOA answer, None while there is none
        (not loaded yet: SERVFAIL, or no answer at all)."""
        zone = _absname(zone or self.zones[0])
        try:
            r = self.query(zone, "SOA", timeout=timeout)
        except (dns.exception.DNSException, OSError):
            return None
        if r.rcode() != dns.rcode.NOERROR:
            return None
        for rrset in r.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset[0].serial
        return None

    def has_record(self, name, rdtype="A", timeout=2):
        try:
            r = self.query(name, rdtype, timeout=timeout)
        except (dns.exception.DNSException, OSError):
            return False
        return r.rcode() == dns.rcode.NOERROR and any(rr.rdtype == dns.rdatatype.from_text(rdtype)
                                                      for rr in r.answer)

    def wait_serial(self, serial, zone=None, timeout=10, interval=0.05, record=None):
        """Polls until the zone's SOA answer shows `serial` (and, if given,
        `record` = (name, rdtype) answers). Returns the seconds it took;
        raises AssertionError with what the secondary held and its NOTIFY log
        lines on timeout."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        last = None
        while True:
            last = self.soa_serial(zone, timeout=min(1.0, max(0.2, deadline - time.monotonic())))
            if last == serial and (record is None or self.has_record(*record, timeout=1)):
                return time.monotonic() - t0
            if time.monotonic() >= deadline:
                break
            time.sleep(interval)
        raise AssertionError(
            f"{self.kind} secondary did not reach serial {serial} within {timeout:.1f} s "
            f"(it holds {last}); its NOTIFY log lines:\n  " + "\n  ".join(self.notify_lines()))


class BindSecondary(Secondary):
    """named -f with its whole state in the private directory; no rndc
    channel, no recursion, no outgoing NOTIFY."""

    kind = "bind"
    NOTIFY_RX = r"received notify|notify from"
    # "received notify for zone 'z'" ends with ": TSIG 'key'" when signed;
    # a bad signature is refused before the zone sees it.
    UNAUTH_NOTIFY_RX = r"received notify for zone '[^']*'$|invalid signature|tsig verify failure"

    def __init__(self, *args, severity="info", options=(), zone_options=(), keys=(),
                 querylog=False, primary_addr="127.0.0.1", **kw):
        super().__init__(*args, **kw)
        self.severity = severity          # "info", or "debug 3" to see the SOA queries
        self.options = list(options)      # more lines for the options block
        self.zone_options = list(zone_options)  # more lines for each zone block
        self.keys = list(keys)            # more keys: (name, algorithm, secret)
        self.querylog = querylog          # log every query (category queries)
        self.primary_addr = primary_addr  # where it transfers from (and takes NOTIFY from)
        self.conf = os.path.join(self.dir, "named.conf")
        self.log = os.path.join(self.dir, "named.log")

    def config_text(self):
        d = self.dir
        lines = [
            "options {",
            f'    directory "{d}";',
            f'    pid-file "{d}/named.pid";',
            f'    session-keyfile "{d}/session.key";',
            f'    managed-keys-directory "{d}";',
            f'    dump-file "{d}/named_dump.db";',
            f'    statistics-file "{d}/named.stats";',
            f"    listen-on port {self.port} {{ 127.0.0.1; }};",
            "    listen-on-v6 { none; };",
            "    recursion no;",
            "    dnssec-validation no;",
            "    empty-zones-enable no;",
            "    allow-query { any; };",
            "    notify no;",                   # never NOTIFY the zone's NS addresses
            "    request-ixfr yes;",
            "    masterfile-format text;",
        ]
        lines += [f"    {line}" for line in self.options]
        lines += [
            "};",
            "controls { };",                      # no rndc channel on port 953
        ]
        key_clause = ""
        if self.key:
            name, alg, secret = self.key
            lines += [f'key "{name}" {{ algorithm {alg}; secret "{secret}"; }};']
            key_clause = f' key "{name}"'
        for name, alg, secret in self.keys:
            lines += [f'key "{name}" {{ algorithm {alg}; secret "{secret}"; }};']
        lines += [
            "logging {",
            "    channel main {",
            f'        file "{self.log}";',
            f"        severity {self.severity};",
            "        print-time yes;",
            "        print-category yes;",
            "        print-severity yes;",
            "    };",
            "    category default { main; };",
            "    category lame-servers { null; };",
        ]
        if self.querylog:
            lines.append("    category queries { main; };")
        lines += [
            "};",
        ]
        for zone in self.zones:
            fname = zone.rstrip(".") + ".db"
            lines += [
                f'zone "{zone}" {{',
                "    type secondary;",
                f'    file "{fname}";',
                f"    primaries {{ {self.primary_addr} port {self.primary_port}{key_clause}; }};",
            ]
            # A NOTIFY from a primaries address is taken on the address alone
            # (a TSIG on it must verify, but BIND 9.18 cannot demand one).
            lines += [f"    {line}" for line in self.zone_options]
            lines.append("};")
        return "\n".join(lines) + "\n"

    def write_conf(self):
        with open(self.conf, "w") as f:
            f.write(self.config_text())

    def command(self):
        # -f: foreground with the configured logging; -4: IPv4 only;
        # -n 1: one worker thread (2 cores shared with the rest of the tests).
        return [NAMED, "-f", "-4", "-n", "1", "-c", self.conf]


class NsdSecondary(Secondary):
    """nsd -d with its whole state in the private directory; no privilege
    drop, no chroot, no control channel, no database."""

    kind = "nsd"
    NOTIFY_RX = r"notify for"
    UNAUTH_NOTIFY_RX = r"notify for .* refused|bad tsig"

    def __init__(self, *args, verbosity=2, **kw):
        super().__init__(*args, **kw)
        self.verbosity = verbosity
        self.conf = os.path.join(self.dir, "nsd.conf")
        self.log = os.path.join(self.dir, "nsd.log")

    def config_text(self):
        d = self.dir
        lines = [
            "server:",
            f"    ip-address: 127.0.0.1@{self.port}",
            f"    port: {self.port}",
            "    do-ip4: yes",
            "    do-ip6: no",
            '    username: ""',
            '    chroot: ""',
            f'    zonesdir: "{d}"',
            '    database: ""',
            f'    zonelistfile: "{d}/zone.list"',
            f'    xfrdfile: "{d}/xfrd.state"',
            f'    xfrdir: "{d}/xfr"',
            f'    pidfile: "{d}/nsd.pid"',
            f'    logfile: "{self.log}"',
            f'    cookie-secret-file: "{d}/cookiesecrets.txt"',
            f"    verbosity: {self.verbosity}",
            "    server-count: 1",
            "    reuseport: no",
            "    zonefiles-write: 0",
            "remote-control:",
            "    control-enable: no",
        ]
        keyname = "NOKEY"
        if self.key:
            name, alg, secret = self.key
            keyname = name
            lines += ["key:", f'    name: "{name}"', f"    algorithm: {alg}",
                      f'    secret: "{secret}"']
        for zone in self.zones:
            lines += [
                "zone:",
                f'    name: "{zone}"',
                f'    zonefile: "{zone.rstrip(".")}.zone"',
                f"    request-xfr: 127.0.0.1@{self.primary_port} {keyname}",
                f"    allow-notify: 127.0.0.1 {keyname}",
            ]
        return "\n".join(lines) + "\n"

    def write_conf(self):
        os.makedirs(os.path.join(self.dir, "xfr"), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(self.config_text())

    def command(self):
        return [NSD, "-d", "-c", self.conf]


class KnotSecondary(Secondary):
    """A plain knotd (no module) as secondary, through knotharness.Knotd."""

    kind = "knot"
    NOTIFY_RX = r"notify, incoming|refresh, remote"
    # knotd logs ACL denials at debug level only: see log_level.
    UNAUTH_NOTIFY_RX = r"ACL, denied, action notify|TSIG, key .*verification failed"

    def __init__(self, *args, log_level="info", **kw):
        super().__init__(*args, **kw)
        self.log_level = log_level      # "debug" to see refused NOTIFYs
        self.knotd = None

    def _make(self):
        if self.knotd is not None:
            return
        keys, key_name = {}, None
        if self.key:
            key_name, alg, secret = self.key
            keys = {key_name: (alg, secret)}
        acl = ["acl:", "  - id: local", "    address: 127.0.0.1"]
        if key_name:
            acl.append(f"    key: {key_name}")
        acl.append("    action: [notify]")
        self.knotd = Knotd(self.dir, {z: None for z in self.zones}, module=False,
                           port=self.port, tsig_keys=keys, acl_conf="\n".join(acl),
                           template_extra=["acl: local"],
                           extra_conf=remote_conf("primary", self.primary_port, key_name),
                           zone_extra={z: ["master: primary"] for z in self.zones},
                           log_level=self.log_level)
        self.log = self.knotd.log

    def write_conf(self):
        self._make()

    def start(self, timeout=None):
        self._make()
        self.knotd.start(timeout=timeout or self.START_TIMEOUT)
        self.running = True
        return self

    def stop(self, timeout=None):
        self.running = False
        if self.knotd is not None:
            self.knotd.stop(timeout=timeout or self.STOP_TIMEOUT)

    def alive(self):
        return self.knotd is not None and self.knotd.alive()

    def stderr_text(self):
        return self.knotd.stderr_text() if self.knotd else ""


CLASSES = {"bind": BindSecondary, "nsd": NsdSecondary, "knot": KnotSecondary}


def make_secondary(kind, workdir, zones, primary_port, port=None, key=None, **kw):
    return CLASSES[kind](workdir, zones, primary_port, port=port, key=key, **kw)


def stop_all(made):
    """Stops the secondaries a test made; fails if one died during the test."""
    dead = [repr(s) for s in made if s.running and not s.alive()]
    for s in made:
        s.stop()
    assert not dead, f"secondaries died during the test: {dead}"
