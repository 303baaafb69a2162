"""Small shared pieces: percentiles, machine facts, process memory/CPU sampling, the stack.

Everything here but `start_stack` is pure or reads only /proc, so it is cheap to test.
"""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = VAR / "results.json"


def log(message: str) -> None:
    """Progress line on stdout (the benchmark is long; say what it is doing)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# Statistics


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's
    default); None for no values."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(values: Iterable[float]) -> dict[str, Any]:
    """count, mean, p50, p95, p99, max of a list of numbers (None where there are none)."""
    data = list(values)
    if not data:
        return {"count": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None}
    return {
        "count": len(data),
        "mean": statistics.fmean(data),
        "p50": percentile(data, 50),
        "p95": percentile(data, 95),
        "p99": percentile(data, 99),
        "max": max(data),
    }


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# ---------------------------------------------------------------------------------------------
# Machine


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def machine_info() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    os_name = next((line.split("=", 1)[1].strip().strip('"') for line in _read("/etc/os-release").splitlines()
                    if line.startswith("PRETTY_NAME=")), platform.system())
    venv_python = ROOT / ".venv" / "bin" / "python"
    python = sys.version.split()[0]
    if venv_python.exists():
        try:
            python = subprocess.run([str(venv_python), "-c", "import sys; print(sys.version.split()[0])"],
                                    capture_output=True, text=True, timeout=30).stdout.strip() or python
        except (OSError, subprocess.SubprocessError):
            pass
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": f"{os_name} (kernel {platform.release()})",
        "python": python,
        "load_average_at_start": os.getloadavg(),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------------------------------------
# Processes: memory (VmRSS) and CPU time of a process and all its descendants


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read(f"/proc/{entry}/stat")
        if not stat:
            continue
        # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def process_tree(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    children = _children_map() if children is None else children
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def rss_kb(pid: int) -> int:
    """VmRSS of one process in kB (0 when it is gone)."""
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process in seconds (0 when it is gone)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return 0.0
    fields = stat[stat.rfind(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def tree_usage(pid: int) -> tuple[int, float]:
    """(RSS in kB, CPU seconds) of a process including all its descendants."""
    tree = process_tree(pid)
    return sum(rss_kb(p) for p in tree), sum(cpu_seconds(p) for p in tree)


class ResourceSampler:
    """Samples RSS (with children) of named processes in a background thread."""

    def __init__(self, pids: dict[str, int], interval: float = 0.5):
        self.pids = pids
        self.interval = interval
        self.samples: dict[str, list[int]] = {name: [] for name in pids}
        self.totals: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample_once(self) -> None:
        children = _children_map()
        total = 0
        for name, pid in self.pids.items():
            kb = sum(rss_kb(p) for p in process_tree(pid, children))
            self.samples[name].append(kb)
            total += kb
        self.totals.append(total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self.interval)

    def __enter__(self) -> ResourceSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def report(self) -> dict[str, Any]:
        def mb(values: list[int]) -> dict[str, Any]:
            if not values:
                return {"peak_mb": None, "mean_mb": None, "samples": 0}
            return {"peak_mb": round(max(values) / 1024, 1), "mean_mb": round(statistics.fmean(values) / 1024, 1),
                    "samples": len(values)}
        return {"per_process": {name: mb(v) for name, v in self.samples.items()}, "total": mb(self.totals)}


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    return {name: tree_usage(pid)[1] for name, pid in pids.items()}


# ---------------------------------------------------------------------------------------------
# Results file


def load_results() -> dict[str, Any]:
    try:
        return json.loads(RESULTS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_results(results: dict[str, Any]) -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The stack (the same helper the tests use: tests/conftest.py Stack)


def bench_stack(tmp: Path):
    """A tests.support.stack.Stack for benchmarking: free loopback ports, fresh SQLite, generated
    secrets, always open (no off-hours notes) and no rate limit in the way of the load test."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.support.stack import Stack

    tmp.mkdir(parents=True, exist_ok=True)
    stack = Stack(tmp)
    stack.env.update({
        # `make` exports ACTION_SERVER_URL for the default ports: point every URL at this stack's ports.
        "RASA_URL": stack.rasa_url,
        "ACTION_SERVER_URL": f"http://127.0.0.1:{stack.action_port}/webhook",
        "BOT_SERVICE_URL": stack.base,
        "PUBLIC_URL": stack.base,
        "RATE_LIMIT_PER_MINUTE": "10000",  # one loopback client sends everything
        "LOG_LEVEL": "WARNING",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    })
    return stack


def start_stack(stack) -> dict[str, float]:
    """Starts actions, rasa, bot one after the other; returns each cold start (process start →
    health OK) in seconds."""
    cold: dict[str, float] = {}
    for name in ("actions", "rasa", "bot"):
        log(f"starting {name} …")
        started = time.perf_counter()
        stack.start(name)
        cold[name] = round(time.perf_counter() - started, 2)
        log(f"{name} healthy after {cold[name]} s")
    return cold


def stack_pids(stack) -> dict[str, int]:
    return {name: process.pid for name, process in stack.processes.items()}
