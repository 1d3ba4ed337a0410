"""State faults: unwritable directory, truncated or garbage data file, full
disk. The module names the file, keeps answering, counts state-error, and
never publishes a serial lower than one it published."""

import glob
import os
import subprocess
import time

import pytest

from knotharness import LOCAL_ACL, ddns, soa_zone
from serial_helpers import today

Z = "example.test."


def can_mount():
    if os.geteuid() != 0:
        return False
    probe = "/tmp/soa-mount-probe"
    os.makedirs(probe, exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", probe], capture_output=True)
    return ok


needs_mount = pytest.mark.skipif(not can_mount(), reason="needs tmpfs mounts (root)")


@pytest.fixture
def tmpfs(tmp_path):
    """A small tmpfs for the state directory, remountable read-only."""
    mounts = []

    def make(size="1m"):
        d = tmp_path / f"fs{len(mounts)}"
        d.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)], check=True)
        mounts.append(str(d))
        return str(d)
    yield make
    for d in mounts:
        subprocess.run(["umount", "-l", d], capture_output=True)


def remount(d, mode):
    subprocess.run(["mount", "-o", f"remount,{mode}", d], check=True)


def primary(knot, state_db=None, serial=501):
    conf = {"serial-format": "date"}
    if state_db:
        conf["state-db"] = state_db
    return knot({Z: soa_zone(Z, serial=serial)}, mod_conf=conf, acl_conf=LOCAL_ACL,
                template_extra=["acl: local"])


def state_dir(k):
    return os.path.join(k.storage, "mod-soa")


def day_base():
    return min(today()) * 100


def updates(k, n, tag):
    out = []
    for i in range(n):
        ddns(k, Z, adds=[(f"{tag}{i}", 300, "A", "192.0.2.1")])
        out.append(k.soa_serial(Z))
    return out


@needs_mount
def test_unwritable_state_dir(knot, tmpfs):
    d = tmpfs()
    remount(d, "ro")
    k = primary(knot, state_db=d).start()
    p = k.soa_serial(Z)
    log = k.log_text()
    assert f"failed to open state database '{d}/data.mdb'" in log
    # Nothing known: resume above anything this day may have published.
    assert p > day_base() + 99
    assert k.stats(Z)["state-error"] >= 1
    seen = [p] + updates(k, 3, "ro")
    assert all(b > a for a, b in zip(seen, seen[1:]))

    # Writable again: the next version is stored and survives a restart.
    remount(d, "rw")
    latest = updates(k, 1, "rw")[0]
    assert latest > seen[-1]
    k.restart()
    assert k.soa_serial(Z) == latest
    assert os.path.exists(os.path.join(d, "data.mdb"))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_damaged_file_while_stopped(knot, damage):
    k = primary(knot).start()
    seen = [k.soa_serial(Z)] + updates(k, 5, "a")
    k.stop()
    data = os.path.join(state_dir(k), "data.mdb")
    size = os.path.getsize(data)
    if damage == "truncate":
        os.truncate(data, size // 3)
    elif damage == "garbage":
        with open(data, "wb") as f:
            f.write(os.urandom(size))
    else:
        os.unlink(data)
    k.start()
    p = k.soa_serial(Z)
    assert p > seen[-1], (p, seen)
    log = k.log_text()
    if damage == "delete":
        assert f"state file '{data}' is missing" in log
    else:
        assert f"state file '{data}' is damaged, moved to '{data}.broken-" in log
        assert glob.glob(data + ".broken-*")
    assert k.stats(Z)["state-error"] == 1
    # Working again: new versions are stored.
    later = updates(k, 2, "b")
    k.restart()
    assert k.soa_serial(Z) == later[-1]


def test_truncated_while_running(knot):
    """A data file truncated under a running knotd is not read through the
    memory map (that would kill knotd): the module starts a new one."""
    k = primary(knot).start()
    seen = [k.soa_serial(Z)] + updates(k, 3, "a")
    data = os.path.join(state_dir(k), "data.mdb")
    os.truncate(data, 4096)
    nxt = updates(k, 2, "b")
    assert k.alive()
    assert nxt[0] > seen[-1] and nxt[1] > nxt[0]
    assert "is damaged, moved to" in k.log_text()


def test_high_water_beats_yyyymmdd99(knot):
    """After more than 100 changes in a day the serial has spilled past
    YYYYMMDD99; a lost database resumes above the high-water mark."""
    k = primary(knot).start()
    seen = [k.soa_serial(Z)] + updates(k, 105, "h")
    if len(today()) > 1 or seen[0] // 100 != day_base() // 100:
        pytest.skip("crossed midnight")
    assert seen[-1] > day_base() + 100            # spilled into the next numbers
    k.stop()
    os.unlink(os.path.join(state_dir(k), "data.mdb"))
    k.start()
    assert k.soa_serial(Z) == seen[-1] + 1


def test_garbage_record(knot):
    """One unreadable record in a sound database: replaced above the safe
    bound, logged, counted."""
    k = primary(knot).start()
    seen = [k.soa_serial(Z)] + updates(k, 2, "g")
    k.stop()
    # Overwrite the zone's record with bytes that are not a record, through
    # LMDB's own tools (mdb_dump's print format, loaded back with mdb_load).
    env_path = state_dir(k)
    r = subprocess.run(["mdb_dump", "-p", "-s", "soa-zones", env_path],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    key = " \\07example\\04test\\00"
    idx = lines.index(key)
    lines[idx + 1] = " \\01\\01\\00"        # version 1, item cut short
    r = subprocess.run(["mdb_load", "-s", "soa-zones", env_path],
                       input="\n".join(lines) + "\n", text=True, capture_output=True)
    assert r.returncode == 0, r.stderr
    k.start()
    p = k.soa_serial(Z)
    assert p > seen[-1]
    assert "unreadable state record" in k.log_text()
    assert k.stats(Z)["state-error"] >= 1


def fill(d):
    """Fills the file system of d; returns the filler's path."""
    path = os.path.join(d, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 65536) > 0:
            pass
    except OSError:
        pass
    try:
        while os.write(fd, b"\0" * 512) > 0:
            pass
    except OSError:
        pass
    os.close(fd)
    return path


@needs_mount
def test_disk_full_while_running(knot, tmpfs):
    """LMDB reuses its freed pages, so updates keep being stored; the
    high-water file cannot be rewritten: named in the log, counted."""
    d = tmpfs("512k")
    k = primary(knot, state_db=d).start()
    seen = [k.soa_serial(Z)] + updates(k, 2, "a")
    filler = fill(d)
    full = updates(k, 3, "full")
    assert all(b > a for a, b in zip(seen + full, (seen + full)[1:]))
    assert f"failed to write high-water file '{d}/high-water' (No space left on device)" \
        in k.log_text()
    assert k.stats(Z)["state-error"] >= 1
    assert k.alive()
    assert not os.path.exists(os.path.join(d, "high-water.tmp"))
    # Space again: the high-water file catches up; a restart keeps the serial.
    os.unlink(filler)
    later = updates(k, 1, "b")[0]
    assert later > full[-1]
    with open(os.path.join(d, "high-water")) as f:
        assert int(f.read()) == later
    k.restart()
    assert k.soa_serial(Z) == later


@needs_mount
def test_disk_full_at_start(knot, tmpfs):
    """No room for the database: knotd keeps answering from memory above the
    lost-state bound, names the file, counts it, and stores once there is room."""
    d = tmpfs("256k")
    filler = fill(d)
    state = os.path.join(d, "state")
    k = primary(knot, state_db=state).start()
    p = k.soa_serial(Z)
    assert k.alive()
    assert f"failed to open state database '{state}/data.mdb' (No space left on device)" \
        in k.log_text()
    assert p > day_base() + 99
    assert k.stats(Z)["state-error"] >= 1
    seen = [p] + updates(k, 2, "full")
    assert all(b > a for a, b in zip(seen, seen[1:]))
    os.unlink(filler)
    later = updates(k, 1, "b")[0]
    assert later > seen[-1]
    k.restart()
    assert k.soa_serial(Z) == later
