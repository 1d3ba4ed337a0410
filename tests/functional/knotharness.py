"""Run a real knotd with mod-soa on loopback and talk to it like clients do.

Used by the functional tests, the demo and the benchmarks. Everything runs in
a private directory, on 127.0.0.1 and a free high port; every wait is bounded.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsigkeyring

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = os.environ.get("SOA_MODULE", os.path.join(ROOT, "build", "soa.so"))
# The Knot series under test: the system's knotd, or one installed under
# SOA_KNOT_PREFIX (make check-series-X.Y.Z). KNOTD/KNOTC override either.
KNOT_PREFIX = os.environ.get("SOA_KNOT_PREFIX", "")
KNOTD = os.environ.get("KNOTD", os.path.join(KNOT_PREFIX or "/usr", "sbin", "knotd"))
KNOTC = os.environ.get("KNOTC", os.path.join(KNOT_PREFIX or "/usr", "sbin", "knotc"))


def knot_version(knotd=KNOTD):
    """The version of a knotd binary as a tuple, e.g. (3, 5, 6)."""
    out = subprocess.run([knotd, "-V"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    if not m:
        raise RuntimeError(f"cannot read the version of {knotd}: {out!r}")
    return tuple(int(x) for x in m.groups())


KNOT_VERSION = knot_version()


def module_dir():
    """Where this knotd auto-loads modules from (its knotd.pc's module_instdir)."""
    env = dict(os.environ)
    if KNOT_PREFIX:
        env["PKG_CONFIG_PATH"] = os.path.join(KNOT_PREFIX, "lib", "pkgconfig")
    return subprocess.run(["pkg-config", "--variable=module_instdir", "knotd"],
                          capture_output=True, text=True, env=env).stdout.strip()


def knotd_extra_env(text=None):
    """Extra environment for every knotd, from SOA_KNOTD_ENV: a JSON object of
    strings, e.g. {"LD_PRELOAD": "/usr/lib/.../libasan.so"} (make check-asan
    uses it to preload the sanitizer runtime). Empty when unset."""
    text = os.environ.get("SOA_KNOTD_ENV", "") if text is None else text
    if not text.strip():
        return {}
    extra = json.loads(text)
    if not isinstance(extra, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in extra.items()):
        raise ValueError(f"SOA_KNOTD_ENV must be a JSON object of strings: {text!r}")
    return extra


KNOTD_EXTRA_ENV = knotd_extra_env()


def merge_knotd_env(env, extra, own):
    """env with extra merged in. Variables the test set itself (own) keep their
    value, except LD_PRELOAD: both are kept, extra's first (a sanitizer runtime
    must come before any other preload, e.g. libfaketime)."""
    env = dict(env)
    for key, value in extra.items():
        if key == "LD_PRELOAD":
            libs = value.split() + env.get(key, "").split()
            env[key] = " ".join(dict.fromkeys(libs))      # no duplicates, order kept
        elif key not in own:
            env[key] = value
    return env


def read_text(path):
    """A file's text, '' if it cannot be read (not written yet, removed)."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


STATS_RE = re.compile(r"^\[(?P<zone>[^\]]+)\] mod-soa\.(?P<name>\S+) = (?P<value>\d+)$")


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
                if port > 20000:
                    return port
    raise RuntimeError("no free port")


def yaml_value(value):
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):       # a multi-valued option
        return "[ " + ", ".join(f'"{v}"' for v in value) + " ]"
    return str(value)


class Knotd:
    """One knotd process with its own config, zones, state and logs."""

    def __init__(self, workdir, zones, mod_conf=None, extra_conf="", zone_conf="",
                 port=None, env=None, module=True, workers=2, zone_extra=None,
                 storage=None, prefix_cmd=None, tsig_keys=None, acl_conf=None,
                 template_extra=None, log_level="info", server_extra=None):
        self.dir = workdir
        self.zones = dict(zones)                  # name -> zone file text
        self.mod_conf = mod_conf or {}
        self.extra_conf = extra_conf
        self.zone_conf = zone_conf
        self.zone_extra = zone_extra or {}        # name -> extra zone lines
        self.port = port or free_port()
        self.env = dict(os.environ, **(env or {}))
        self.env = merge_knotd_env(self.env, KNOTD_EXTRA_ENV, env or {})
        self.module = module
        self.workers = workers
        self.prefix_cmd = prefix_cmd or []
        self.tsig_keys = tsig_keys or {}          # name -> (algorithm, base64 secret)
        self.acl_conf = acl_conf
        self.template_extra = template_extra or []  # lines for the default template
        self.server_extra = server_extra or []      # lines for the server section
        self.log_level = log_level
        self.proc = None
        self.storage = storage or os.path.join(self.dir, "db")
        self.zonedir = os.path.join(self.dir, "zones")
        self.conf = os.path.join(self.dir, "knot.conf")
        self.log = os.path.join(self.dir, "knotd.log")
        os.makedirs(self.zonedir, exist_ok=True)
        os.makedirs(self.storage, exist_ok=True)
        for name, text in self.zones.items():
            if text is not None:          # None: a secondary zone, no local file
                self.write_zone(name, text)
        self.write_conf()

    # Configuration.

    def config_text(self):
        lines = [
            "server:",
            f'    rundir: "{self.dir}"',
            f"    listen: 127.0.0.1@{self.port}",
            f"    udp-workers: {self.workers}",
            f"    tcp-workers: {self.workers}",
            "    background-workers: 1",
        ]
        lines += [f"    {line}" for line in self.server_extra]
        lines += [
            "database:",
            f'    storage: "{self.storage}"',
            "log:",
            f'  - target: "{self.log}"',
            f"    any: {self.log_level}",
        ]
        if self.tsig_keys:
            lines.append("key:")
            for name, (alg, secret) in self.tsig_keys.items():
                lines += [f"  - id: {name}", f"    algorithm: {alg}", f"    secret: {secret}"]
        if self.acl_conf is not None:
            lines.append(self.acl_conf)
        if self.module:
            lines += ["module:", "  - id: mod-soa", f'    file: "{MODULE}"']
            lines += ["mod-soa:", "  - id: default"]
            for key, value in self.mod_conf.items():
                lines.append(f"    {key}: {yaml_value(value)}")
        lines.append(self.extra_conf)
        lines += [
            "template:",
            "  - id: default",
            f'    storage: "{self.zonedir}"',
            '    file: "%s.zone"',
            "    zonefile-sync: -1",
        ]
        if self.module:
            lines.append("    module: mod-soa/default")
        lines += [f"    {line}" for line in self.template_extra]
        lines.append(self.zone_conf)
        lines.append("zone:")
        for name in self.zones:
            lines.append(f"  - domain: {name}")
            for extra in self.zone_extra.get(name, []):
                lines.append(f"    {extra}")
        return "\n".join(lines) + "\n"

    def write_conf(self):
        with open(self.conf, "w") as f:
            f.write(self.config_text())

    def zone_path(self, name):
        return os.path.join(self.zonedir, name.rstrip(".") + ".zone")

    def write_zone(self, name, text):
        # Replace atomically: knotd may be reading the old file.
        path = self.zone_path(name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    # Process control.

    def start(self, wait_zones=True, timeout=20, by_ctl=False):
        """Starts knotd and waits until every zone is loaded: until it answers
        its SOA, or with by_ctl, until knotc zone-status shows a serial (no
        query reaches the zones)."""
        cmd = self.prefix_cmd + [KNOTD, "-c", self.conf]
        self.logfile = open(os.path.join(self.dir, "knotd.stderr"), "a")
        self.proc = subprocess.Popen(cmd, stdout=self.logfile, stderr=subprocess.STDOUT,
                                     env=self.env, cwd=self.dir)
        deadline = time.monotonic() + timeout
        pending = set(self.zones) if wait_zones else set()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                raise RuntimeError(f"knotd exited with {code}:\n{self.stderr_text()}{self.log_text()}")
            try:
                if by_ctl and pending and self.ctl_ready():
                    pending -= {name for name in pending if self.zone_serial(name)}
                for name in list(pending if not by_ctl else ()):
                    r = self.query(name, "SOA", timeout=0.5)
                    if r.rcode() == dns.rcode.NOERROR and r.answer:
                        pending.discard(name)
                if not pending and self.ctl_ready():
                    return self
            except (dns.exception.Timeout, OSError, RuntimeError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"knotd did not come up; pending {pending}:\n{self.log_text()}")

    def ctl_ready(self):
        r = subprocess.run([KNOTC, "-c", self.conf, "-t", "2", "status"],
                           capture_output=True, text=True, env=self.ctl_env())
        return r.returncode == 0

    def ctl_env(self):
        """knotc runs with the real clock and no preloads."""
        return {k: v for k, v in self.env.items() if not k.startswith(("LD_PRELOAD", "FAKETIME"))}

    def stop(self, kill=False, timeout=15):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self.returncode = self.proc.returncode
        self.proc = None
        self.logfile.close()
        # Safety net: no knotd of this configuration outlives stop().
        subprocess.run(["pkill", "-KILL", "-f", f"{KNOTD} -c {self.conf}$"],
                       capture_output=True)

    def restart(self, kill=False):
        self.stop(kill=kill)
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self):
        return read_text(os.path.join(self.dir, "knotd.stderr"))

    def log_text(self):
        return read_text(self.log)

    # Control socket.

    def knotc(self, *args, check=True, force=False):
        cmd = [KNOTC, "-c", self.conf, "-t", "10"] + (["-f"] if force else []) + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, env=self.ctl_env(), timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {r.stdout}{r.stderr}")
        return r.stdout + r.stderr

    # Answers are counted at once; what the module's service thread sets
    # (change-detect-lag, NOTIFY counters, negative-exposure) follows within
    # its 100 ms pass.
    SETTLE = 0.25

    def stats(self, zone, force=True, settle=True):
        """knotc zone-stats ZONE mod-soa as {name: value} (forced: zeros shown).

        With settle, gives the module's service thread a pass first."""
        if settle:
            time.sleep(self.SETTLE)
        out = self.knotc("zone-stats", zone, "mod-soa", force=force)
        stats = {}
        for line in out.splitlines():
            m = STATS_RE.match(line.strip())
            if m:
                stats[m.group("name")] = int(m.group("value"))
        return stats

    def reload_zone(self, name, text=None, force=False):
        if text is not None:
            self.write_zone(name, text)
        self.knotc("zone-reload", name, force=force)

    def zone_serial(self, name):
        """The real serial knotd holds, from knotc zone-status."""
        out = self.knotc("zone-status", name, check=False)
        m = re.search(r"serial: (\d+)", out)
        return int(m.group(1)) if m else None

    def wait_real_serial(self, name, serial, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.zone_serial(name) == serial:
                return
            time.sleep(0.05)
        raise AssertionError(f"{name} did not reach serial {serial}")

    # DNS.

    def query(self, name, rdtype, tcp=False, dnssec=False, timeout=3, keyring=None,
              keyname=None, payload=1232, want_dnssec_payload=True, ednsflags=0):
        q = dns.message.make_query(name, rdtype, want_dnssec=dnssec,
                                   use_edns=0 if (dnssec or want_dnssec_payload) else None,
                                   payload=payload)
        if keyring is not None:
            q.use_tsig(keyring, keyname=keyname)
        if tcp:
            return dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=timeout)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout)

    def soa_serial(self, name, tcp=False):
        r = self.query(name, "SOA", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR, r
        return r.answer[0][0].serial

    def close(self):
        self.stop()


def soa_zone(origin, serial=2026010100, refresh=7200, retry=3600, expire=1209600,
             minimum=300, soa_ttl=7200, default_ttl=3600, mname="ns1",
             rname="hostmaster", body=None):
    """A small zone: apex NS, a few names, a wildcard, an empty non-terminal."""
    text = [
        f"$ORIGIN {origin}",
        f"$TTL {default_ttl}",
        f"@ {soa_ttl} IN SOA {mname} {rname} {serial} {refresh} {retry} {expire} {minimum}",
        "@ NS ns1",
        "@ NS ns2",
        "ns1 A 192.0.2.1",
        "ns2 A 192.0.2.2",
        "www 60 A 192.0.2.10",
        "www AAAA 2001:db8::10",
        "mail MX 10 mx",
        "mx A 192.0.2.20",
        "*.wild TXT \"wildcard\"",
        "a.b.ent A 192.0.2.30",
        "alias CNAME www",
        "dangling CNAME nowhere",
        "sub NS ns.sub",
        "ns.sub A 192.0.2.40",
    ]
    if body:
        text += body
    return "\n".join(text) + "\n"


def keyring(name, alg, secret):
    return dns.tsigkeyring.from_text({name: (alg, secret)})


LOCAL_ACL = """acl:
  - id: local
    address: 127.0.0.1
    action: [transfer, update, notify]"""


def acl_with_key(key):
    """Transfers and updates only with the TSIG key."""
    return f"""acl:
  - id: local
    address: 127.0.0.1
    key: {key}
    action: [transfer, update, notify]"""


def remote_conf(name, port, key=None):
    lines = ["remote:", f"  - id: {name}", f"    address: 127.0.0.1@{port}"]
    if key:
        lines.append(f"    key: {key}")
    return "\n".join(lines)


def ddns(k, zone, adds=(), deletes=(), keyring=None, keyname=None, timeout=5):
    """A dynamic update over TCP, the way nsupdate clients send it."""
    import dns.update
    up = dns.update.UpdateMessage(zone, keyring=keyring, keyname=keyname)
    for name, ttl, rdtype, data in adds:
        up.add(name, ttl, rdtype, data)
    for name, rdtype in deletes:
        up.delete(name, rdtype)
    r = dns.query.tcp(up, "127.0.0.1", port=k.port, timeout=timeout)
    if r.rcode() != dns.rcode.NOERROR:
        raise RuntimeError(f"update refused: {dns.rcode.to_text(r.rcode())}")
    return r
