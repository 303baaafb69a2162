"""`make bench`: baselines, costs, the stack on free ports, the simulator, the load test and a profile;
writes docs/BENCHMARKS.md and var/bench/results.json.

    .venv/bin/python -m bench.run [--quick] [--skip-install | --install always] [--skip-train]

Benchmarks print and record; they never fail because a number misses its target. The exit code
is 1 only when a phase could not run at all (its error is in the page and in results.json).
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    ResourceSampler,
    bench_stack,
    load_average,
    load_results,
    log,
    machine_info,
    save_results,
    stack_pids,
    start_stack,
)

DOC = ROOT / "docs" / "BENCHMARKS.md"
ALL_PHASES = {"nlu", "costs", "stack", "scale"}


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                               timeout=30).stdout.strip()
        return f"{head}{' + uncommitted changes' if dirty else ''}" if head else "–"
    except (OSError, subprocess.SubprocessError):
        return "–"


def profile_notes(results: dict[str, Any]) -> list[str]:
    """Plain-language reading of the profile and the CPU numbers."""
    notes: list[str] = []
    profile = results.get("profile") or {}
    layers = profile.get("layers") or {}
    c = profile.get("concurrency")
    if {"rasa_nlu_only", "rasa_whole_turn", "bot_service_end_to_end", "action_server_only"} <= set(layers):
        nlu, whole = layers["rasa_nlu_only"]["p50"], layers["rasa_whole_turn"]["p50"]
        e2e, act = layers["bot_service_end_to_end"]["p50"], layers["action_server_only"]["p50"]
        notes.append(
            f"At {c} concurrent, a first message takes {e2e * 1000:.0f} ms (p50) end to end; Rasa's whole turn "
            f"alone {whole * 1000:.0f} ms, of which NLU alone is {nlu * 1000:.0f} ms; one action-server call alone "
            f"{act * 1000:.0f} ms (a first message makes two or three: acknowledgement, form validation). "
            + (f"The bot service adds about {(e2e - whole) * 1000:.0f} ms." if e2e - whole > 0.02 else
               "The bot service adds no measurable time at this load (the layers were timed one after the other, "
               "so the machine's other work shows as noise between them)."))
    single = profile.get("single_client") or {}
    if {"rasa_nlu_only", "rasa_whole_turn", "bot_service_end_to_end"} <= set(single):
        notes.append(
            "One request at a time (no queueing): NLU "
            f"{single['rasa_nlu_only']['p50'] * 1000:.0f} ms, Rasa whole turn "
            f"{single['rasa_whole_turn']['p50'] * 1000:.0f} ms, end to end "
            f"{single['bot_service_end_to_end']['p50'] * 1000:.0f} ms (p50): the difference to the concurrent "
            "numbers is waiting for a CPU.")
    inside = results.get("rasa_profile") or {}
    if inside.get("ms_per_message"):
        ms = inside["ms_per_message"]
        share = ms["response_schema_check"] / ms["total"] * 100 if ms["total"] else 0
        notes.append(
            f"Inside stock Rasa, one message at a time: {ms['total']:.0f} ms per message, of which NLU "
            f"{ms['nlu']:.0f} ms, "
            f"policy predictions {ms['policies']:.0f} ms, running actions {ms['actions']:.0f} ms. Of the actions, "
            f"{ms['response_schema_check']:.0f} ms ({share:.0f} % of the whole turn) is Rasa checking each "
            "action-server response against its JSON schema with `jsonschema.validate`, which re-checks the "
            f"schema itself on every call; the HTTP round trips take {ms['http_roundtrip']:.0f} ms.")
        fast = (inside.get("with_runner_speedups") or {}).get("ms_per_message")
        if fast:
            notes.append(
                f"As served: `python -m bot.integrations.rasa_runner` (what `make run` starts) "
                "builds that validator once, "
                "keeps one HTTP session to the action server open instead of opening a connection per call, "
                "sends actions the domain without its responses (with `enable_selective_domain`, only the "
                "form-validation action gets a domain at all), leaves intent button payloads uninterpolated (each "
                "wish question logged seven ERROR tracebacks) and looks event types up in a table. The same "
                f"conversations take {fast['total']:.0f} ms per message instead of {ms['total']:.0f} ms "
                f"(schema check {fast['response_schema_check']:.1f} ms, action-server calls "
                f"{fast['action_server_http']:.0f} ms instead of {ms['action_server_http']:.0f} ms). In the bot "
                "service, setting SQLite's WAL mode once instead of on every new connection (SQLAlchemy 1.4 "
                "opens one per query) and one transaction for a turn's replies cut its CPU per message from 13 "
                "to 8–9 ms. A connection pool cut it to 4–5 ms but could serve an old WAL snapshot to a "
                "later read, so the store keeps fresh connections.")
    levels = (results.get("load") or {}).get("levels") or []
    busiest = max(levels, key=lambda lv: lv["concurrency"], default=None)
    if busiest and busiest.get("cpu"):
        cpu = {name: v["cpu_ms_per_message"] or 0 for name, v in busiest["cpu"].items()}
        total = sum(cpu.values())
        if total:
            parts = ", ".join(f"{name} {ms:.0f} ms ({ms / total * 100:.0f} %)" for name, ms in
                              sorted(cpu.items(), key=lambda kv: -kv[1]))
            rasa_ms = cpu.get("rasa") or 0
        reached = busiest.get("messages_per_second") or 0
        ceiling = (f" Rasa serves every message on one event loop in one process, so it can use one core: at "
                   f"{rasa_ms:.0f} ms of CPU per message that allows about {1000 / rasa_ms:.0f} messages/s, and "
                   f"this level reached {reached:.1f} msg/s. The next step up is a second Rasa process (about "
                   "1.3 GB more) with conversations routed to it by session.") if rasa_ms else ""
        notes.append(
                f"CPU per chat message at {busiest['concurrency']} concurrent: {parts}; total {total:.0f} ms.{ceiling}")
    return notes


def scale_section(results: dict[str, Any]) -> str:
    from bench import scale

    return scale.render(results.get("scale") or {"skipped": "not run yet (make bench, phase scale)"})


class _SkipStack(Exception):
    """The stack phase was not asked for."""


def _phase(results: dict[str, Any], name: str, fn, *args, **kwargs):
    started = time.perf_counter()
    log(f"== {name} ==")
    try:
        value = fn(*args, **kwargs)
        results.setdefault("phase_seconds", {})[name] = round(time.perf_counter() - started, 1)
        return value
    except Exception as exc:  # noqa: BLE001 - recorded, the other phases still run
        traceback.print_exc()
        results.setdefault("phase_errors", {})[name] = f"{type(exc).__name__}: {exc}"
        return None
    finally:
        save_results(results)


def write_doc(page: str) -> None:
    """Writes docs/BENCHMARKS.md, keeping the sections other benchmarks own (bench.stats_bench)."""
    from bench.report import keep_own_sections

    DOC.write_text(keep_own_sections(page, DOC.read_text(encoding="utf-8") if DOC.exists() else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run every benchmark and write docs/BENCHMARKS.md")
    parser.add_argument("--quick", action="store_true", help="15 s per load level, 1 conversation per cell")
    parser.add_argument("--skip-install", action="store_true", help="reuse the recorded install time")
    parser.add_argument("--install", choices=("auto", "always", "skip"), default="auto",
                        help="auto (default): measure the install only when no number is recorded yet")
    parser.add_argument("--skip-train", action="store_true",
                        help="reuse the recorded training time (none recorded: not measured)")
    parser.add_argument("--per-cell", type=int, help="simulator conversations per persona × issue type (default 2)")
    parser.add_argument("--duration", type=float, help="seconds per load level (default 45)")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--no-write-doc", action="store_true", help="do not overwrite docs/BENCHMARKS.md")
    parser.add_argument("--phases", default="nlu,costs,stack,scale",
                        help="comma list of nlu (baselines), costs (training + install), stack (cold start, "
                             "simulator, load, profile), scale (one Rasa process vs two on PostgreSQL + Redis "
                             "behind nginx, bench/scale.py); with fewer than all, the other phases' numbers are "
                             "kept from the last var/bench/results.json")
    parser.add_argument("--render-only", action="store_true",
                        help="only rewrite docs/BENCHMARKS.md from var/bench/results.json")
    parser.add_argument("--no-stock-training", action="store_true",
                        help="do not train the stock baseline now (use var/bench/stock.tar.gz only if present)")
    args = parser.parse_args(argv)
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    per_cell = args.per_cell or (1 if args.quick else 2)
    duration = args.duration or (15 if args.quick else 45)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    install = "skip" if args.skip_install else args.install

    from bench import baselines, costs, load, simulator
    from bench.report import evaluate_targets, render

    if args.render_only:
        results = load_results()
        results["profile_notes"] = profile_notes(results)
        results["targets"] = evaluate_targets(results)
        save_results(results)
        write_doc(render(results) + "\n" + scale_section(results))
        log(f"wrote {DOC.relative_to(ROOT)} from var/bench/results.json")
        return 0

    started = time.time()
    results: dict[str, Any] = {}
    if phases != ALL_PHASES:
        results = load_results()
        results.pop("phase_errors", None)
        results["phases_rerun"] = {**(results.get("phases_rerun") or {}),
                                   **{p: time.strftime("%Y-%m-%d %H:%M %Z") for p in sorted(phases)}}
    if phases == ALL_PHASES:
        results["full_run_date"] = time.strftime("%Y-%m-%d %H:%M %Z")
    results.update({"date": time.strftime("%Y-%m-%d %H:%M %Z"), "commit": _commit(), "machine": machine_info()})
    results.setdefault("settings", {}).update({"install": install} if "costs" in phases else {})
    if "stack" in phases:
        results["settings"].update({"per_cell": per_cell, "duration_s": duration, "levels": levels})
    log(f"machine: {results['machine']['cpu_model']}, {results['machine']['cores']} cores, load average "
        f"{results['machine']['load_average_at_start']}")

    # 1. Without the stack running: NLU baselines, training time, install time.
    if "nlu" in phases:
        results["baselines"] = _phase(results, "baselines", baselines.run, args.no_stock_training)
        if results["baselines"]:
            baselines.print_table(results["baselines"])
    if "costs" in phases:
        cold_before = (results.get("costs") or {}).get("cold_start_s")
        costs_part = _phase(results, "costs (training, install)", lambda: {
            "training": (costs.recorded(costs.TRAIN_RECORD, "training")
                         or {"error": "not measured (--skip-train, none recorded)"}) if args.skip_train
            else costs.training_time(),
            "install": (costs.recorded(costs.INSTALL_RECORD, "install") if install in ("skip", "auto") else None)
            or (costs.install_time() if install != "skip" else {"error": "not measured (--skip-install, none "
                                                                         "recorded)"}),
            "model_mb": costs.model_sizes(),
            "venv_mb": costs._du_mb(ROOT / ".venv"),
        })
        results["costs"] = {**(costs_part or {}), **({"cold_start_s": cold_before} if cold_before else {})}
    results.setdefault("costs", {})

    # 2. The stack on free ports: cold starts, simulator, load, profile.
    stack = bench_stack(Path(tempfile.mkdtemp(prefix="bench-stack-")))
    try:
        if "stack" not in phases:
            raise _SkipStack
        cold = _phase(results, "start the stack", start_stack, stack)
        if cold:
            results["costs"]["cold_start_s"] = cold
            pids = stack_pids(stack)
            idle = ResourceSampler(pids)
            idle.sample_once()
            results["load"] = {"duration_s": duration, "idle_memory": idle.report()}
            results["load_average_before_simulator"] = load_average()

            def sim_ours():
                return asyncio.run(simulator.run_http(stack.base, stack.token, per_cell, 4, 2026))

            ours = _phase(results, "simulator (ours)", sim_ours)
            kw = _phase(results, "simulator (keyword bot)", lambda: asyncio.run(simulator.run_keyword_bot(per_cell,
                                                                                                        2026)))
            results["simulator"] = {"per_cell": per_cell, "ours": ours, "keyword_bot": kw}
            if ours:
                simulator.print_summary(ours, "ours")
            if kw:
                simulator.print_summary(kw, "keyword bot")
            save_results(results)

            levels_result = _phase(results, "load", lambda: asyncio.run(
                load.run_levels(stack.base, stack.token, levels, duration, None, pids)))
            if levels_result:
                results["load"]["levels"] = levels_result
            paced = _phase(results, "load, customers typing like people", lambda: asyncio.run(
                load.run_levels(stack.base, stack.token, [lv for lv in levels if lv >= 10], max(duration, 60), None,
                                pids, pause=load.PAUSE_S)))
            if paced:
                results["load"]["paced"] = paced
            log("== profile: each layer on its own ==")
            results["profile"] = _phase(results, "profile", lambda: asyncio.run(load.profile_components(stack, 10)))
            from bench import profile_rasa

            action_url = f"http://127.0.0.1:{stack.action_port}/webhook"
            results["rasa_profile"] = _phase(results, "profile inside Rasa", lambda: asyncio.run(
                profile_rasa.profile(str(ROOT / "models" / "current.tar.gz"), action_url,
                                     action_token=stack.env["ACTION_SERVER_TOKEN"])))
            if results["rasa_profile"]:
                profile_rasa.print_profile(results["rasa_profile"])
            sampler = ResourceSampler(pids)
            sampler.sample_once()
            results["memory_after_load"] = sampler.report()
    except _SkipStack:
        pass
    finally:
        log("stopping the stack")
        stack.stop_all()

    # 3. One Rasa process or two, in the scale-out set-up (its own processes, after the stack stopped).
    if "scale" in phases:
        from bench import scale

        results["scale"] = _phase(results, "scale: one Rasa process or two", scale.run)

    results["profile_notes"] = profile_notes(results)
    results["targets"] = evaluate_targets(results)
    results["run_minutes"] = round((time.time() - started) / 60, 1)
    save_results(results)
    if not args.no_write_doc:
        write_doc(render(results) + "\n" + scale_section(results))
        log(f"wrote {DOC.relative_to(ROOT)} and var/bench/results.json")
    for key, target in results["targets"].items():
        state = "not measured" if target["met"] is None else ("met" if target["met"] else "MISSED")
        log(f"target {key}: {target['text']} → {state}")
    return 1 if results.get("phase_errors") else 0


if __name__ == "__main__":
    raise SystemExit(main())
