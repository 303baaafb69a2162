"""One Rasa process or two on the same machine: throughput, first-reply latency and CPU per message.

    .venv/bin/python -m bench.scale [--duration 45] [--levels 10,20] [--paced 50]

The scale-out set-up of docs/DEPLOY.md on loopback (tests/support/scale.py): one bot service and
one action server, PostgreSQL (the bot's tables and Rasa's SQL tracker store) and Redis
(RedisLockStore), nginx in front of the Rasa servers. First with one Rasa server behind nginx,
then with a second one started: the same simulated customers, closed loop (each sends the next
message when the reply arrives) and paced (3–8 s to read and type). CPU per chat message is
measured for every process, PostgreSQL and Redis included, and turned into a prediction for 4 and
8 cores. Needs PostgreSQL, Redis, nginx and the trained model; part of `make bench` (phase `scale`).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, VAR, load_average, log, tree_usage

RASA_MEMORY_GB = 0.7  # per process with the linear model (DIET: 1.3); measured below as RSS, quoted in DEPLOY.md


def _service_pids() -> dict[str, int]:
    """PostgreSQL's postmaster and the Redis server (their whole process trees count)."""
    pids = {}
    for name, pattern in (("postgresql", "postgres"), ("redis", "redis-server")):
        found = subprocess.run(["pgrep", "-o", "-x", pattern], capture_output=True, text=True).stdout.split()
        if found:
            pids[name] = int(found[0])
    return pids


def _level_summary(result: dict[str, Any]) -> dict[str, Any]:
    keep = ("concurrency", "pause_s", "conversations", "messages", "messages_per_second",
            "answered_per_second_in_window", "errors", "degraded", "load_average_after")
    summary = {k: result.get(k) for k in keep}
    summary["first_reply_ms"] = {k: round((result["first_reply_s"].get(k) or 0) * 1000) for k in ("p50", "p95", "p99")}
    summary["message_ms"] = {k: round((result["message_latency_s"].get(k) or 0) * 1000) for k in ("p50", "p95")}
    summary["cpu_ms_per_message"] = {name: v["cpu_ms_per_message"] for name, v in (result.get("cpu") or {}).items()}
    memory = (result.get("memory") or {}).get("per_process") or {}
    summary["peak_rss_mb"] = {name: v["peak_mb"] for name, v in memory.items()}
    return summary


async def _measure(stack, pids: dict[str, int], levels: list[int], paced: list[int], duration: float) -> dict:
    from bench.load import PAUSE_S, run_levels

    closed = await run_levels(stack.front, stack.token, levels, duration, None, pids)
    paced_results = await run_levels(stack.front, stack.token, paced, max(duration, 60), None, pids, pause=PAUSE_S)
    return {"closed_loop": [_level_summary(r) for r in closed], "paced": [_level_summary(r) for r in paced_results]}


def predict(cpu_ms: dict[str, float], rasa_processes: int, cores: int) -> dict[str, Any]:
    """Messages per second a machine with `cores` should sustain with `rasa_processes` Rasa servers,
    from the CPU each part burns per message: every core busy, and each Rasa process (one event
    loop: one core at most) and the one bot service under their own single-core ceilings."""
    rasa = sum(v for k, v in cpu_ms.items() if k.startswith("rasa"))
    total = sum(cpu_ms.values())
    bot = sum(v for k, v in cpu_ms.items() if k.startswith("bot"))
    limits = {"all cores busy": cores * 1000 / total if total else None,
              "Rasa processes (one core each)": rasa_processes * 1000 / rasa if rasa else None,
              "one bot service (one core)": 1000 / bot if bot else None}
    bound = min((v, k) for k, v in limits.items() if v)
    return {"cores": cores, "rasa_processes": rasa_processes, "messages_per_second": round(bound[0], 1),
            "limited_by": bound[1], "limits": {k: round(v, 1) for k, v in limits.items() if v},
            "memory_gb": round(rasa_processes * RASA_MEMORY_GB + 0.6, 1)}


def run(duration: float = 45, levels: list[int] | None = None, paced: list[int] | None = None) -> dict[str, Any]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import psycopg2

    from tests.support.scale import POSTGRES, ScaleStack, missing_parts

    levels, paced = levels or [10, 20], paced or [50]
    reason = missing_parts()
    if reason:
        return {"skipped": reason}
    schema = f"bench_scale_{secrets.token_hex(4)}"
    admin = psycopg2.connect(POSTGRES)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE SCHEMA {schema}")
    import tempfile

    stack = ScaleStack(Path(tempfile.mkdtemp(prefix="bench-scale-")), schema, replicas=2, bots=1)
    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cores": os.cpu_count(),
                              "load_average_before": load_average(), "duration_s": duration, "runs": {}}
    try:
        for name in ("actions", "rasa1", "bot1"):
            log(f"scale: starting {name} …")
            stack.start(name)
        stack.start_nginx()
        shared = _service_pids()
        for count in (1, 2):
            if count == 2:
                log("scale: starting rasa2 …")
                stack.start("rasa2")
                time.sleep(6)  # nginx retries the address it had marked down after 5 s
            pids = {name: process.pid for name, process in stack.processes.items() if name != "nginx"}
            pids.update({"nginx": stack.processes["nginx"].pid, **shared})
            log(f"scale: {count} Rasa process(es), load average {load_average()}")
            result["runs"][str(count)] = asyncio.run(_measure(stack, pids, levels, paced, duration))
            result["runs"][str(count)]["idle_rss_mb"] = {name: round(tree_usage(pid)[0] / 1024)
                                                        for name, pid in pids.items()}
    finally:
        stack.stop_all()
        admin.cursor().execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()
    result["load_average_after"] = load_average()
    busiest = max(result["runs"]["2"]["closed_loop"], key=lambda lv: lv["concurrency"])
    cpu = {k: v or 0 for k, v in busiest["cpu_ms_per_message"].items()}
    result["predictions"] = [predict(cpu, rasa, cores) for cores, rasa in ((2, 1), (2, 2), (4, 3), (8, 6))]
    return result


def render(result: dict[str, Any]) -> str:
    """The Markdown section for docs/BENCHMARKS.md."""
    if not result or result.get("skipped"):
        return f"## One Rasa process or two\n\nNot measured: {(result or {}).get('skipped', 'phase not run')}.\n"
    lines = ["## One Rasa process or two (`bench/scale.py`)", "",
             f"{result['date']}, {result['cores']} cores; load average before {result['load_average_before']}, "
             f"after {result['load_average_after']} (other engineers' work on the same machine counts). "
             "Scale-out set-up on loopback: one bot service, one action server, nginx in front of the Rasa "
             "servers, PostgreSQL (bot tables and Rasa's SQL tracker store) and Redis (RedisLockStore).", "",
             "| Rasa processes | customers | pauses | msg/s | first reply p50 / p95 ms | per message p95 ms | "
             "errors | degraded | load after |", "| ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for count, run_result in result["runs"].items():
        for level in run_result["closed_loop"] + run_result["paced"]:
            pauses = "–".join(f"{p:.0f}" for p in level["pause_s"]) + " s" if level["pause_s"] else "none"
            fr = level["first_reply_ms"]
            lines.append(f"| {count} | {level['concurrency']} | {pauses} | {level['answered_per_second_in_window']} | "
                         f"{fr['p50']} / {fr['p95']} | {level['message_ms']['p95']} | {level['errors']} | "
                         f"{level['degraded']} | {level['load_average_after'][0]} |")
    lines += ["", "CPU per chat message by process (ms), closed loop at the highest level:", ""]
    names = sorted({n for r in result["runs"].values() for lv in r["closed_loop"] for n in lv["cpu_ms_per_message"]})
    lines += ["| Rasa processes | " + " | ".join(names) + " | total |", "| ---: |" + " ---: |" * (len(names) + 1)]
    for count, run_result in result["runs"].items():
        cpu = max(run_result["closed_loop"], key=lambda lv: lv["concurrency"])["cpu_ms_per_message"]
        lines.append(f"| {count} | " + " | ".join(f"{cpu.get(n) or 0:.1f}" for n in names)
                     + f" | {sum(v or 0 for v in cpu.values()):.1f} |")
    rss = result["runs"]["2"]["idle_rss_mb"]
    lines += ["", "Memory after the runs (RSS MB): " + ", ".join(f"{k} {v}" for k, v in sorted(rss.items())), "",
              "Prediction from the CPU per message (two Rasa processes' run): every core busy, each Rasa process "
              "and the bot service at most one core each (one event loop).", "",
              "| cores | Rasa processes | msg/s | limited by | memory GB |", "| ---: | ---: | ---: | --- | ---: |"]
    for p in result["predictions"]:
        lines.append(f"| {p['cores']} | {p['rasa_processes']} | {p['messages_per_second']} | {p['limited_by']} | "
                     f"{p['memory_gb']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one Rasa process or two: throughput, latency, CPU")
    parser.add_argument("--duration", type=float, default=45)
    parser.add_argument("--levels", default="10,20")
    parser.add_argument("--paced", default="50")
    args = parser.parse_args(argv)
    result = run(args.duration, [int(x) for x in args.levels.split(",")], [int(x) for x in args.paced.split(",")])
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "scale.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
