"""Where Rasa's time goes inside one turn: the trained model loaded in this process (the same
code `rasa run` uses), simulated conversations sent one message at a time, and the time of each
stage summed per message: NLU graph, slot extraction, policy predictions, running actions (of
which HTTP calls to the action server), tracker store, and the rest.

    .venv/bin/python -m bench.profile_rasa --action-url http://127.0.0.1:5055/webhook

Needs a running action server (the benchmark's stack). Timing wrappers only, no profiler
overhead; one message at a time, so there is no queueing in these numbers.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from collections import defaultdict
from typing import Any

from bench.common import log
from bench.simulator import Customer, converse

STAGES = ("nlu", "slot_extraction", "policies", "actions", "action_server_http", "request_json_build",
          "http_roundtrip", "response_schema_check", "tracker_store")
# Action-server calls happen inside slot extraction (slot validation) and inside running actions.
NESTED = {"action_server_http": "actions", "request_json_build": "action_server_http",
          "http_roundtrip": "action_server_http", "response_schema_check": "action_server_http"}


class Timers:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap_sync(self, owner, name: str, stage: str) -> None:
        original = getattr(owner, name)
        timers = self

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timers.seconds[stage] += time.perf_counter() - started
                timers.calls[stage] += 1
        setattr(owner, name, wrapper)

    def wrap_async(self, owner, name: str, stage: str) -> None:
        original = getattr(owner, name)
        timers = self

        async def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                timers.seconds[stage] += time.perf_counter() - started
                timers.calls[stage] += 1
        setattr(owner, name, wrapper)


class AgentChat:
    """The simulator's chat interface on an in-process Rasa agent (no HTTP, no bot service)."""

    def __init__(self, agent) -> None:
        self.agent = agent

    async def send(self, session_id: str, text: str) -> tuple[int, dict]:
        messages = await self.agent.handle_text(text, sender_id=session_id) or []
        replies = [{"text": m.get("text") or "", **({"buttons": m["buttons"]} if m.get("buttons") else {})}
                   for m in messages]
        return 200, {"replies": replies, "mode": "bot"}

    async def tickets(self, session_id: str, ticket_id: str | None = None) -> list[dict]:
        return []


async def profile(model_path: str, action_url: str, conversations: int = 14,
                  action_token: str | None = None) -> dict[str, Any]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    # Quieter than `rasa run` (which logs at INFO): keep Rasa's per-turn log lines out of the
    # benchmark's output; the error lines about button payloads are reported separately.
    configure_structlog(logging.CRITICAL)
    logging.getLogger().setLevel(logging.CRITICAL)
    logging.getLogger("rasa").setLevel(logging.CRITICAL)

    token = action_token or os.environ.get("ACTION_SERVER_TOKEN", "")
    agent = Agent.load(model_path, action_endpoint=EndpointConfig(
        url=action_url, headers={"Authorization": f"Bearer {token}"}))
    timers = Timers()
    timers.wrap_sync(MessageProcessor, "_parse_message_with_graph", "nlu")
    timers.wrap_async(MessageProcessor, "run_action_extract_slots", "slot_extraction")
    timers.wrap_sync(MessageProcessor, "_predict_next_with_tracker", "policies")
    timers.wrap_async(MessageProcessor, "_run_action", "actions")
    timers.wrap_async(RemoteAction, "run", "action_server_http")
    timers.wrap_sync(RemoteAction, "_action_call_format", "request_json_build")
    timers.wrap_sync(RemoteAction, "_validate_action_result", "response_schema_check")
    timers.wrap_async(EndpointConfig, "request", "http_roundtrip")
    timers.wrap_async(MessageProcessor, "save_tracker", "tracker_store")
    timers.wrap_async(MessageProcessor, "fetch_tracker_and_update_session", "tracker_store")
    timers.wrap_async(MessageProcessor, "handle_message", "total")
    chat = AgentChat(agent)
    run = f"{time.time():.0f}"
    # Warm up outside the measurement.
    await converse(chat, Customer("one_long_message", "logistics_delay", "warm"), f"prof-warm-{run}")
    result = await _measure(chat, timers, conversations, f"{run}a")
    # The same conversations with the speed-ups the served Rasa runs with (bot.integrations.rasa_runner): the
    # response validator built once, one kept-open HTTP session, a slim domain for actions and
    # the event-type table. The timing wrappers stay around the replaced methods.
    from bot.integrations.rasa_runner import install_speedups

    install_speedups()
    timers.wrap_sync(RemoteAction, "_validate_action_result", "response_schema_check")
    result["with_runner_speedups"] = await _measure(chat, timers, conversations, f"{run}b")
    return result


async def _measure(chat, timers: Timers, conversations: int, run: str) -> dict[str, Any]:
    timers.seconds.clear()
    timers.calls.clear()
    messages = 0
    for n in range(conversations):
        customer = Customer(("terse", "angry", "rambling", "corrects_themselves", "no_order_number",
                             "one_long_message", "asks_for_human_midway")[n % 7],
                            ("product_quality", "logistics_delay", "payment_issue", "not_as_described",
                             "after_sales_refund", "promotion_issue", "courier_attitude")[(n // 2) % 7], f"prof-{n}")
        conv = await converse(chat, customer, f"prof-{run}-{n}")
        messages += len(conv.latencies)
    per_message = {stage: 1000 * timers.seconds[stage] / messages for stage in (*STAGES, "total")}
    calls = {stage: timers.calls[stage] / messages for stage in (*STAGES, "total")}
    # Stages nest (NESTED: the action-server call is inside actions, its parts inside it); "other"
    # is what no top-level stage covers.
    accounted = sum(per_message[s] for s in ("nlu", "slot_extraction", "policies", "actions", "tracker_store"))
    per_message["other"] = max(0.0, per_message["total"] - accounted)
    return {"messages": messages, "conversations": conversations,
            "ms_per_message": {k: round(v, 1) for k, v in per_message.items()},
            "calls_per_message": {k: round(v, 2) for k, v in calls.items()}}


def print_profile(result: dict[str, Any]) -> None:
    ms, calls = result["ms_per_message"], result["calls_per_message"]
    log(f"  Rasa in-process, {result['messages']} messages one at a time: total {ms['total']} ms per message")
    for stage in (*STAGES, "other"):
        indent = "  " * (1 + (stage in NESTED) + (NESTED.get(stage) in NESTED))
        log(f"  {indent}{stage:<22} {ms[stage]:>7} ms  ({calls.get(stage, 0)} calls per message)")
    if result.get("with_runner_speedups"):
        fast = result["with_runner_speedups"]["ms_per_message"]
        log(f"  with bot.integrations.rasa_runner's speed-ups (as served): total {fast['total']} ms per message "
            f"(schema check {fast['response_schema_check']} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time the stages of Rasa's turn")
    parser.add_argument("--model", default="models/current.tar.gz")
    parser.add_argument("--action-url", default="http://127.0.0.1:5055/webhook")
    parser.add_argument("--conversations", type=int, default=14)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    result = asyncio.run(profile(args.model, args.action_url, args.conversations))
    print_profile(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
