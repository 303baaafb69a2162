"""Load test: N concurrent simulated customers drive whole complaint conversations through the chat
API (asyncio + aiohttp), at 1, 10 and 50 concurrent customers.

    .venv/bin/python -m bench.load --start-stack                    # own stack on free ports
    .venv/bin/python -m bench.load --base http://127.0.0.1:8000 --levels 1,10 --duration 30

Customers are closed-loop (the next message goes as soon as the reply arrives, no typing pauses),
so the numbers are the stack's capacity, not a day's traffic. Per level: first-reply latency
(p50/p95/p99), per-message latency, whole-conversation time, messages per second, errors and
degraded replies, RSS of each process with its children (VmRSS from /proc, sampled every 0.5 s)
and the CPU each process burned per message. Every loop is bounded in time and count.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

from bench.common import ResourceSampler, cpu_snapshot, load_average, log, summarise
from bench.simulator import ISSUE_KEYS, PERSONAS, Customer, HttpChat, converse

DEFAULT_LEVELS = (1, 10, 50)


def customer_for(n: int, seed: int) -> Customer:
    """The n-th customer of a run: personas and issue types rotate so every mix is the same."""
    persona = PERSONAS[n % len(PERSONAS)]
    issue = ISSUE_KEYS[(n // len(PERSONAS)) % len(ISSUE_KEYS)]
    return Customer(persona, issue, f"load-{seed}-{n}")


async def run_level(base: str, token: str, concurrency: int, duration: float, max_conversations: int | None = None,
                    pids: dict[str, int] | None = None, seed: int = 7, timeout: float = 60,
                    pause: tuple[float, float] | None = None) -> dict[str, Any]:
    """Runs `concurrency` customers back to back until `duration` seconds have passed (a started
    conversation is finished) or `max_conversations` have started. With `pause` (seconds, min and
    max), each customer waits that long after every reply, as a person reading and typing, and the
    customers start at random moments within the first pause."""
    import random

    import aiohttp

    rng = random.Random(seed)

    run_id = uuid.uuid4().hex[:6]
    messages: list[tuple[float, float, int, str]] = []  # (completed at, latency s, status, mode)
    first: list[float] = []
    whole: list[float] = []
    outcomes: dict[str, int] = {}
    started_count = 0
    t0 = time.perf_counter()
    deadline = t0 + duration
    cpu_before = cpu_snapshot(pids) if pids else {}
    sampler = ResourceSampler(pids or {})

    def record(latency: float, status: int, mode: str):
        messages.append((time.perf_counter(), latency, status, mode))
        return asyncio.sleep(rng.uniform(*pause)) if pause else None

    connector = aiohttp.TCPConnector(limit=max(100, concurrency * 2))
    async with aiohttp.ClientSession(connector=connector) as http:
        chat = HttpChat(base, token, http, timeout=timeout)

        async def worker(w: int) -> None:
            nonlocal started_count
            if pause:
                await asyncio.sleep(rng.uniform(0, pause[1]))
            while time.perf_counter() < deadline and (max_conversations is None or started_count < max_conversations):
                n = started_count
                started_count += 1
                customer = customer_for(n, seed)
                conv = await converse(chat, customer, f"load{concurrency}-{run_id}-{n}", on_message=record)
                if conv.latencies:
                    first.append(conv.latencies[0])
                whole.append(conv.seconds)
                key = conv.outcome or "none"
                outcomes[key] = outcomes.get(key, 0) + 1

        with sampler if pids else _Null():
            await asyncio.gather(*(worker(w) for w in range(concurrency)))
    t_end = time.perf_counter()
    cpu_after = cpu_snapshot(pids) if pids else {}

    elapsed = t_end - t0
    in_window = [m for m in messages if m[0] <= deadline]
    window = min(duration, elapsed)
    ok = [m for m in messages if m[2] == 200]
    errors = [m for m in messages if m[2] != 200]
    degraded = [m for m in ok if m[3] == "degraded"]
    answered = [m for m in in_window if m[2] == 200 and m[3] != "degraded"]
    cpu = {}
    for name in cpu_before:
        used = cpu_after.get(name, 0.0) - cpu_before[name]
        cpu[name] = {"cpu_seconds": round(used, 2),
                     "cpu_ms_per_message": round(1000 * used / len(messages), 1) if messages else None,
                     "cpu_share_of_2_cores": round(used / elapsed / 2, 3) if elapsed else None}
    return {
        "concurrency": concurrency,
        "pause_s": list(pause) if pause else None,
        "duration_s": round(elapsed, 2),
        "conversations": len(whole),
        "messages": len(messages),
        "messages_per_second": round(len(messages) / elapsed, 2) if elapsed else None,
        "messages_per_second_in_window": round(len(in_window) / window, 2) if window else None,
        "answered_per_second_in_window": round(len(answered) / window, 2) if window else None,
        "first_reply_s": summarise(first),
        "message_latency_s": summarise([m[1] for m in ok]),
        "conversation_s": summarise(whole),
        "errors": len(errors),
        "error_statuses": _count(str(m[2]) for m in errors),
        "degraded": len(degraded),
        "outcomes": outcomes,
        "memory": sampler.report() if pids else None,
        "cpu": cpu,
        "load_average_after": load_average(),
    }


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return None


def _count(items) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


async def warm_up(base: str, token: str, conversations: int = 3) -> None:
    """A few conversations first: TensorFlow and the caches warm up outside the measurement."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        chat = HttpChat(base, token, http)
        for n in range(conversations):
            await converse(chat, customer_for(n * 11, 99), f"warm-{uuid.uuid4().hex[:6]}-{n}")


def print_level(result: dict[str, Any]) -> None:
    fr, ml = result["first_reply_s"], result["message_latency_s"]

    def ms(value):
        return "-" if value is None else f"{value * 1000:.0f}"

    log(f"  {result['concurrency']:>3} concurrent: {result['conversations']} conversations, "
        f"{result['messages']} messages, {result['messages_per_second']} msg/s; first reply p50/p95/p99 "
        f"{ms(fr['p50'])}/{ms(fr['p95'])}/{ms(fr['p99'])} ms; message p95 {ms(ml['p95'])} ms; "
        f"errors {result['errors']}, degraded {result['degraded']}")
    if result.get("memory"):
        per = result["memory"]["per_process"]
        log("      RSS peak: " + ", ".join(f"{k} {v['peak_mb']} MB" for k, v in per.items())
            + f"; total {result['memory']['total']['peak_mb']} MB")


PAUSE_S = (3.0, 8.0)  # a person reading the reply and typing the next message


async def run_levels(base: str, token: str, levels=DEFAULT_LEVELS, duration: float = 45,
                     max_conversations: int | None = None, pids: dict[str, int] | None = None,
                     pause: tuple[float, float] | None = None) -> list[dict]:
    await warm_up(base, token)
    results = []
    for level in levels:
        paced = f", pausing {pause[0]:.0f}–{pause[1]:.0f} s between messages" if pause else ", no pauses"
        log(f"load: {level} concurrent customers for {duration:.0f} s{paced} …")
        result = await run_level(base, token, level, duration, max_conversations, pids, pause=pause)
        print_level(result)
        results.append(result)
    return results


# ---------------------------------------------------------------------------------------------
# Where the time goes: each component timed on its own, at the same concurrency

OPENINGS = [
    "买的电热水壶才烧了两回水就不加热了",
    "物流信息停在中转站五天了，一点都没更新",
    "付款的时候页面卡住了，结果银行卡被扣了两次钱",
    "详情页写的是纯棉，到手一摸全是化纤的",
    "申请售后被你们拒绝了，连个理由都不给",
]


def _action_request(text: str, sender: str) -> dict[str, Any]:
    """A minimal action-server call for `action_acknowledge_complaint` (the first reply's action)."""
    return {
        "next_action": "action_acknowledge_complaint", "sender_id": sender, "version": "3.6.21", "domain": {},
        "tracker": {
            "sender_id": sender, "slots": {"issue_type": "product_quality"}, "events": [], "paused": False,
            "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
            "latest_message": {"text": text, "intent": {"name": "complain_product_quality", "confidence": 0.95},
                               "entities": []},
        },
    }


async def _timed_requests(make, concurrency: int, count: int) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    failures = 0
    counter = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def worker() -> None:
            nonlocal counter, failures
            while counter < count:
                n = counter
                counter += 1
                method, url, kwargs = make(n)
                started = time.perf_counter()
                try:
                    async with http.request(method, url, **kwargs) as response:
                        await response.read()
                        if response.status != 200:
                            failures += 1
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    failures += 1
                latencies.append(time.perf_counter() - started)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    result = summarise(latencies)
    result.update({"failures": failures, "per_second": round(count / elapsed, 2) if elapsed else None})
    return result


async def profile_components(stack, concurrency: int = 10, count: int = 80) -> dict[str, Any]:
    """First-message latency of each layer alone at `concurrency`: Rasa NLU only (/model/parse),
    the action server only (the acknowledgement action), Rasa whole turn (NLU + policies + action
    calls, REST channel) and the bot service end to end (chat API → Rasa → actions)."""
    run = uuid.uuid4().hex[:6]
    token = stack.env["RASA_AUTH_TOKEN"]
    action_url = f"http://127.0.0.1:{stack.action_port}/webhook"
    action_auth = {"Authorization": f"Bearer {stack.env['ACTION_SERVER_TOKEN']}"}
    layers = {
        "rasa_nlu_only": lambda n: ("POST", f"{stack.rasa_url}/model/parse",
                                    {"params": {"token": token}, "json": {"text": OPENINGS[n % len(OPENINGS)]}}),
        "action_server_only": lambda n: ("POST", action_url,
                                         {"json": _action_request(OPENINGS[n % len(OPENINGS)], f"p-{run}-{n}"),
                                          "headers": action_auth}),
        "rasa_whole_turn": lambda n: ("POST", f"{stack.rasa_url}/webhooks/rest/webhook",
                                      {"json": {"sender": f"pr-{run}-{n}", "message": OPENINGS[n % len(OPENINGS)]}}),
        "bot_service_end_to_end": lambda n: ("POST", f"{stack.base}/api/chat/pb-{run}-{n}/messages",
                                             {"json": {"text": OPENINGS[n % len(OPENINGS)]}}),
    }
    results = {}
    for name, make in layers.items():
        await _timed_requests(make, 2, 6)  # warm
        results[name] = await _timed_requests(make, concurrency, count)
        p = results[name]
        log(f"  profile @{concurrency}: {name:<24} p50 {p['p50'] * 1000:.0f} ms, p95 {p['p95'] * 1000:.0f} ms, "
            f"{p['per_second']}/s, failures {p['failures']}")
    single = {}
    for name in ("rasa_nlu_only", "rasa_whole_turn", "bot_service_end_to_end"):
        single[name] = await _timed_requests(layers[name], 1, 20)
    return {"concurrency": concurrency, "count": count, "layers": results, "single_client": single}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="load test of the chat API")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--token", default="")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--duration", type=float, default=45, help="seconds per level")
    parser.add_argument("--conversations", type=int, help="stop starting conversations after this many")
    parser.add_argument("--start-stack", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if args.start_stack:
        import tempfile
        from pathlib import Path

        from bench.common import bench_stack, stack_pids, start_stack

        stack = bench_stack(Path(tempfile.mkdtemp(prefix="bench-load-")))
        try:
            start_stack(stack)
            results = asyncio.run(run_levels(stack.base, stack.token, levels, args.duration, args.conversations,
                                             stack_pids(stack)))
        finally:
            stack.stop_all()
    else:
        results = asyncio.run(run_levels(args.base, args.token, levels, args.duration, args.conversations))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, ensure_ascii=False, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
