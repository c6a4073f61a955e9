"""A throw-away single-node SLURM cluster on this machine, from Debian's packages.

Used by tests/test_slurm.py and benchmarks/slurm_grouping.py. Needs root and apt-get
(as on CI machines); ``unavailable_reason()`` says why not otherwise. There is no systemd
on these machines, so munged, slurmctld and slurmd are started by hand in the foreground,
and ``SlurmCluster.stop()`` ends exactly those processes by PID.

Facts about Debian 12 / Slurm 22.05 this relies on:
- ``ProctrackType=proctrack/linuxproc`` and ``TaskPlugin=task/none`` need no cgroups;
- the config must be at /etc/slurm/slurm.conf: the executor plugin's job step drops
  ``SLURM_CONF`` before its inner ``srun``;
- there is no accounting database, so ``sacct`` is useless: snakemake must poll with
  ``--slurm-status-command squeue``, and ``MinJobAge`` (how long squeue keeps finished
  jobs) must be well above the status-check delay.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
BINARIES = ("/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "sbatch", "squeue")
SLURM_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# written by easy2hard tests/slurm_cluster.py"
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")
PARTITION = "debug"


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here (None when it can)."""
    if not sys_is_linux():
        return "SLURM test needs Linux"
    if os.geteuid() != 0:
        return "SLURM test needs root (to install Debian packages and start slurmctld)"
    if not all(_which(b) for b in BINARIES) and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is not available to install it"
    if SLURM_CONF.exists() and MARKER not in SLURM_CONF.read_text(errors="replace"):
        return f"{SLURM_CONF} exists and was not written by this test: not touching a real cluster"
    return None


def sys_is_linux() -> bool:
    return os.uname().sysname == "Linux"


def _which(name: str) -> bool:
    return Path(name).exists() if name.startswith("/") else shutil.which(name) is not None


def install(timeout: float = 600) -> None:
    """Install the Debian packages if any binary is missing (apt-get update first)."""
    if all(_which(b) for b in BINARIES):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                               f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


class SlurmCluster:
    """One node (this machine, 127.0.0.1), one partition ``debug``; state under ``root``."""

    def __init__(self, root: str | Path, min_job_age: int = 600):
        self.root = Path(root)
        self.min_job_age = min_job_age
        self.node = socket.gethostname().split(".")[0]
        self.cpus = os.cpu_count() or 1
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs = []

    # ------------------------------------------------------------------ config
    def conf_text(self) -> str:
        r = self.root
        mem = max(int(_mem_mb() * 0.9), 500)
        return "\n".join([
            MARKER,
            "ClusterName=e2htest",
            f"SlurmctldHost={self.node}(127.0.0.1)",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            f"StateSaveLocation={r}/state",
            f"SlurmdSpoolDir={r}/spool",
            f"SlurmctldPidFile={r}/slurmctld.pid",
            f"SlurmdPidFile={r}/slurmd.pid",
            f"SlurmctldLogFile={r}/slurmctld.log",
            f"SlurmdLogFile={r}/slurmd.log",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "SchedulerType=sched/backfill",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            f"MinJobAge={self.min_job_age}",
            "ReturnToService=2",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=30",
            "InactiveLimit=0",
            "KillWait=5",
            "MpiDefault=none",
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={mem} "
            "State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "",
        ])

    # ------------------------------------------------------------------ start / stop
    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(self.root / f"{name}.out", "w")
        self._logs.append(log)
        # own session: a signal to the test's process group never reaches the daemons
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def _munge_works(self) -> bool:
        if not MUNGE_SOCKET.exists() or not shutil.which("munge"):
            return False
        enc = subprocess.run(["munge", "-n"], capture_output=True, timeout=10)
        if enc.returncode != 0:
            return False
        dec = subprocess.run(["unmunge"], input=enc.stdout, capture_output=True, timeout=10)
        return dec.returncode == 0

    def start(self, timeout: float = 60) -> "SlurmCluster":
        for sub in ("state", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(self.conf_text())
        try:
            if not self._munge_works():  # reuse a running munged, else start our own
                MUNGE_SOCKET.parent.mkdir(parents=True, exist_ok=True)
                shutil.chown(MUNGE_SOCKET.parent, "munge", "munge")
                self._spawn("munged", ["setpriv", "--reuid=munge", "--regid=munge",
                                       "--init-groups", "/usr/sbin/munged",
                                       "--foreground", "--force"])
                self._wait(self._munge_works, timeout, "munged to answer")
            self._spawn("slurmctld", ["/usr/sbin/slurmctld", "-D", "-i", "-c"])
            self._spawn("slurmd", ["/usr/sbin/slurmd", "-D", "-N", self.node])
            self._wait(self._node_idle, timeout, "the node to become idle")
        except BaseException:
            self.stop()
            raise
        return self

    def _node_idle(self) -> bool:
        proc = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True,
                              text=True, timeout=10)
        return proc.returncode == 0 and proc.stdout.strip().startswith("idle")

    def _wait(self, ok, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited ({p.returncode}) while waiting for "
                                       f"{what}:\n{self.diagnostics()}")
            if ok():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out after {timeout}s waiting for {what}:\n"
                           f"{self.diagnostics()}")

    def diagnostics(self) -> str:
        out = []
        for name in ("munged.out", "slurmctld.out", "slurmd.out", "slurmctld.log", "slurmd.log"):
            f = self.root / name
            if f.exists():
                out.append(f"--- {f}\n{f.read_text(errors='replace')[-3000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        """Cancel leftover jobs, then end the daemons this object started, by PID."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            subprocess.run(["scancel", f"--partition={PARTITION}"],
                           capture_output=True, timeout=30)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.queue():
                time.sleep(0.5)
        # slurmd first (it kills its job steps), then slurmctld, then munged
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        for log in self._logs:
            log.close()
        if SLURM_CONF.exists() and MARKER in SLURM_CONF.read_text(errors="replace"):
            SLURM_CONF.unlink()

    def queue(self) -> list[str]:
        """Job ids that squeue still lists as pending or running."""
        proc = subprocess.run(["squeue", "-h", "-t", "PD,R,CG", "-o", "%i"],
                              capture_output=True, text=True, timeout=10)
        return proc.stdout.split() if proc.returncode == 0 else []

    def alive(self) -> dict[str, bool]:
        return {name: p.poll() is None for name, p in self.procs.items()}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
