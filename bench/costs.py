"""Costs: training time, model size, cold start of each service, install time from scratch.

    .venv/bin/python -m bench.costs                 # everything (install: ~5 min, downloads ~1 GB)
    .venv/bin/python -m bench.costs --skip-install  # reuse the recorded install time
    .venv/bin/python -m bench.costs --skip-train    # reuse the recorded training time

Training: `rasa train --force` into var/bench (never models/). Cold start: each service from
process start to its health URL answering, started one after the other as `make run` does.
Install: a throw-away venv under /tmp with the Python `scripts/find_python.sh` picks, the same
pip/setuptools/wheel pins as scripts/setup_venv.sh and `pip install -r requirements.txt
-r requirements-dev.txt -c constraints.txt` without pip's cache (a fresh machine has none);
the venv is deleted afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, VAR, load_results, log

OUR_MODEL = ROOT / "models" / "current.tar.gz"
INSTALL_RECORD = VAR / "install.json"
TRAIN_RECORD = VAR / "train.json"


def _du_mb(path: Path) -> float | None:
    try:
        out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, timeout=300).stdout
        return round(int(out.split()[0]) / 1024, 1)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def training_time() -> dict[str, Any]:
    """Times a full `rasa train --force` of our project into var/bench/ours.tar.gz."""
    VAR.mkdir(parents=True, exist_ok=True)
    command = [str(ROOT / ".venv" / "bin" / "rasa"), "train", "--force", "--fixed-model-name", "ours",
               "--out", str(VAR.relative_to(ROOT)), "--num-threads", "2", "--quiet"]
    log("training our model into var/bench (rasa train --force) …")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    (VAR / "ours_train.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    model = VAR / "ours.tar.gz"
    result = {"seconds": round(seconds, 1), "exit_code": done.returncode,
              "model_mb": round(model.stat().st_size / 1e6, 2) if model.exists() else None,
              "measured_at": time.strftime("%Y-%m-%d %H:%M"), "load_average_after": os.getloadavg()}
    log(f"trained in {seconds:.0f} s (exit {done.returncode})")
    TRAIN_RECORD.write_text(json.dumps(result, indent=2))
    return result


def install_time() -> dict[str, Any]:
    """Creates a throw-away venv under /tmp and installs every pinned dependency into it."""
    python = subprocess.run([str(ROOT / "scripts" / "find_python.sh")], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    if not python:
        return {"error": "scripts/find_python.sh found no Python 3.8-3.10"}
    where = Path(tempfile.mkdtemp(prefix="bench-install-", dir="/tmp"))
    venv = where / "venv"
    log(f"install from scratch into {venv} (no pip cache; several minutes) …")
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    steps = [
        [python, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "pip==24.0", "setuptools==70.3.0",
         "wheel==0.45.1"],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", "requirements.txt",
         "-r", "requirements-dev.txt", "-c", "constraints.txt"],
    ]
    started = time.perf_counter()
    try:
        for step in steps:
            done = subprocess.run(step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
            if done.returncode != 0:
                return {"error": f"{' '.join(step[:4])} … failed: {(done.stdout + done.stderr)[-1500:]}"}
        seconds = time.perf_counter() - started
        size = _du_mb(venv)
    finally:
        shutil.rmtree(where, ignore_errors=True)
    try:
        pip_config = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True,
                                    timeout=60).stdout.split()
    except (OSError, subprocess.SubprocessError):
        pip_config = []
    sources = [line for line in pip_config if "find-links" in line or "index-url" in line]
    result = {"seconds": round(seconds, 1), "venv_mb": size, "python": python,
              "measured_at": time.strftime("%Y-%m-%d %H:%M"), "pip_cache": "disabled",
              "package_sources": sources or ["PyPI (pip defaults)"]}
    log(f"installed in {seconds:.0f} s ({size} MB)")
    INSTALL_RECORD.write_text(json.dumps(result, indent=2))
    return result


def recorded(path: Path, key: str) -> dict[str, Any] | None:
    """A number recorded by an earlier run: its own file, else the last results.json."""
    try:
        return {**json.loads(path.read_text()), "reused": True}
    except (OSError, ValueError):
        previous = (load_results().get("costs") or {}).get(key)
        return {**previous, "reused": True} if isinstance(previous, dict) and "seconds" in previous else None


def model_sizes() -> dict[str, Any]:
    sizes = {}
    for name, path in (("ours (models/current.tar.gz)", OUR_MODEL), ("stock (var/bench/stock.tar.gz)",
                                                                      VAR / "stock.tar.gz")):
        if path.exists():
            sizes[name] = round(path.stat().st_size / 1e6, 2)
    return sizes


def cold_starts() -> dict[str, float]:
    """Starts the stack on free ports once, only to time each service's cold start."""
    from bench.common import bench_stack, start_stack

    stack = bench_stack(Path(tempfile.mkdtemp(prefix="bench-cold-")))
    try:
        return start_stack(stack)
    finally:
        stack.stop_all()


def run(skip_install: bool = False, skip_train: bool = False, install: str | None = None,
        cold: dict[str, float] | None = None) -> dict[str, Any]:
    """install: "always", "skip" or "auto" (measure only when no number is recorded)."""
    install = install or ("skip" if skip_install else "always")
    out: dict[str, Any] = {}
    out["training"] = (recorded(TRAIN_RECORD, "training") if skip_train else None) or training_time()
    out["model_mb"] = model_sizes()
    if install == "skip":
        out["install"] = recorded(INSTALL_RECORD, "install") or {"error": "not measured (--skip-install and no "
                                                                           "recorded number)"}
    elif install == "auto":
        out["install"] = recorded(INSTALL_RECORD, "install") or install_time()
    else:
        out["install"] = install_time()
    out["venv_mb"] = _du_mb(ROOT / ".venv")
    out["cold_start_s"] = cold if cold is not None else cold_starts()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="training, model size, cold start and install costs")
    parser.add_argument("--skip-install", action="store_true", help="reuse the recorded install time")
    parser.add_argument("--skip-train", action="store_true", help="reuse the recorded training time")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    result = run(skip_install=args.skip_install, skip_train=args.skip_train)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
