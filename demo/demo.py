#!/usr/bin/python3
"""make demo: knotd with mod-soa on loopback, shown with kdig and knotc.

Starts knotd on 127.0.0.1 and a free port with a sample zone whose SOA has
a counter serial (501) and a one-day negative TTL, queries it the way
clients and operators do, prints the module's statistics and stops knotd.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "tests", "functional"))
from knotharness import Knotd  # noqa: E402

ZONE = "example.test."
ZONE_TEXT = """$ORIGIN example.test.
$TTL 3600
@       86400 IN SOA ns1 hostmaster 501 7200 3600 1209600 86400
@             IN NS  ns1
ns1           IN A   192.0.2.1
www        60 IN A   192.0.2.10
"""


def run(title, cmd):
    print(f"\n### {title}\n$ {' '.join(cmd)}")
    out = subprocess.run(cmd, capture_output=True, text=True)
    print((out.stdout + out.stderr).rstrip())


def main():
    work = tempfile.mkdtemp(prefix="soa-demo-")
    k = Knotd(work, {ZONE: ZONE_TEXT}, workers=1, mod_conf={
        "negative-ttl-max": "3h",
        "serial-format": "date",
    }, acl_conf="acl:\n  - id: local\n    address: 127.0.0.1\n    action: transfer",
        template_extra=["acl: local"])
    print(f"knotd {k.port=} working directory {work}")
    print("mod-soa section:\n  " + "\n  ".join(
        line for line in k.config_text().splitlines()
        if line.startswith("    ") and ("ttl" in line or "floor" in line or "serial" in line)))
    k.start()
    kdig = ["kdig", "@127.0.0.1", "-p", str(k.port), "+noall", "+header", "+answer",
            "+authority"]
    knotc = ["knotc", "-c", k.conf]
    try:
        run("The zone as knotd holds it (real serial 501, SOA TTL 1d, MINIMUM 1d)",
            knotc + ["zone-read", ZONE, "@", "SOA"])
        run("What the world sees: the published date serial", kdig + [ZONE, "SOA"])
        run("NXDOMAIN: negative TTL capped from 1d (RFC 2308) to 3h", kdig + ["nx." + ZONE, "A"])
        run("NODATA: same TTL, same published serial", kdig + ["www." + ZONE, "TXT"])
        run("Positive answers are left exactly as knotd makes them",
            kdig + ["www." + ZONE, "A"])
        run("AXFR: first and last SOA carry the published serial",
            kdig[:4] + ["+noall", "+answer", ZONE, "AXFR"])
        # Answer counters reach knotd at most 100 ms later (docs/mod-soa.rst).
        time.sleep(0.25)
        run("The module's counters and gauges", knotc + ["-f", "zone-stats", ZONE, "mod-soa"])
    finally:
        k.stop()
    print(f"\nknotd stopped (exit code {k.returncode}). Logs: {k.log}")
    print("Module log lines:")
    for line in k.log_text().splitlines():
        if "module " in line:
            print("  " + line)


if __name__ == "__main__":
    main()
