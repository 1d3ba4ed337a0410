"""A private system bus for the D-Bus tests: dbus-daemon (Debian's
dbus-daemon package) on a socket in the test's directory, with a policy that
lets knotd own cz.nic.knotd and everyone receive its signals. knotd and the
module find it through DBUS_SYSTEM_BUS_ADDRESS. Every wait is bounded;
stop() never leaves a process behind."""

import os
import shutil
import signal
import subprocess
import time

DBUS_DAEMON = shutil.which("dbus-daemon") or "/usr/bin/dbus-daemon"

POLICY = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow send_type="signal"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


class SystemBus:
    def __init__(self, workdir):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.socket = os.path.join(self.dir, "system_bus_socket")
        self.conf = os.path.join(self.dir, "bus.conf")
        with open(self.conf, "w") as f:
            f.write(POLICY.format(socket=self.socket))
        self.proc = None

    @property
    def address(self):
        return f"unix:path={self.socket}"

    def start(self, timeout=10):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.proc = subprocess.Popen([DBUS_DAEMON, "--nofork", f"--config-file={self.conf}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.socket):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"dbus-daemon exited with {self.proc.returncode}")
            time.sleep(0.02)
        raise RuntimeError("dbus-daemon did not come up")

    def kill(self):
        """Stops the bus abruptly, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self):
        self.kill()
