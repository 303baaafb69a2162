"""Which doorbell between bot-service replicas: Redis pub/sub or PostgreSQL LISTEN/NOTIFY?
(NOTIFY won; bot.integrations.event_bus, docs/DEPLOY.md.)

    .venv/bin/python -m bench.event_bus [--events 2000] [--rate 200]

Both carry the same thing in the bot service: "a live event was stored", after the event's row
is written to PostgreSQL (bot.store.live_events). For each kind, this process appends events with
`EventLog.append` and rings the bell (Redis: PUBLISH after the commit; PostgreSQL: pg_notify inside
the insert's transaction, delivered at commit); a listener in another process records when each
ring arrived. Measured: publish → delivery latency (paced, and as fast as possible), the time one
append + ring takes the publisher, and the publisher's CPU per event. Then the bot service's own
path end to end: `EventHub.publish` in one process, a subscriber of another process's hub, woken
by LISTEN/NOTIFY (`hub-notify`, what the bot service uses), by the Redis alternative
(`hub-redis`, bench/redis_bell.py) or only by the once-a-second poll (`hub-poll`).
Prints JSON; writes var/bench/event_bus.json. Needs PostgreSQL (127.0.0.1:5432, database test)
and Redis.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import time
from typing import Any

from bench.common import VAR, load_average, summarise

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"
CHANNEL = "bench_live_events"


def _hub(kind: str, log):
    """The bot service's EventHub on this log, with the bell `kind` names (hub-notify: the bot
    service's own; hub-redis: the measured alternative; hub-poll: none)."""
    from bot.web.events import EventHub

    bus = None
    if kind == "hub-redis":
        from bench.redis_bell import RedisBus

        bus = RedisBus(REDIS, channel=CHANNEL)
    elif kind == "hub-notify":
        from bot.integrations.event_bus import PgNotifyBus

        bus = PgNotifyBus(log.engine)
        log.notify = (bus.channel, bus.sender)
    return EventHub(log=log, bus=bus)


def _listen(kind: str, schema: str, expected: int, ready, results) -> None:
    """Child process: records (event id, publish time, arrival time) for every ring."""
    arrivals: list[tuple[int, float, float]] = []

    async def redis_listener():
        from redis import asyncio as aioredis

        client = aioredis.Redis.from_url(REDIS)
        pubsub = client.pubsub()
        await pubsub.subscribe(CHANNEL)
        ready.set()
        async for message in pubsub.listen():
            if message.get("type") == "message":
                event_id, sent = message["data"].decode().split(":")
                arrivals.append((int(event_id), float(sent), time.time()))
                if len(arrivals) >= expected:
                    break
        await pubsub.reset()
        await client.close()

    async def postgres_listener():
        import psycopg2

        conn = psycopg2.connect(POSTGRES)
        conn.autocommit = True
        conn.cursor().execute(f"LISTEN {CHANNEL}")
        done = asyncio.get_running_loop().create_future()

        def on_readable():
            conn.poll()
            while conn.notifies:
                event_id, sent = conn.notifies.pop(0).payload.split(":")
                arrivals.append((int(event_id), float(sent), time.time()))
            if len(arrivals) >= expected and not done.done():
                done.set_result(None)

        asyncio.get_running_loop().add_reader(conn.fileno(), on_readable)
        ready.set()
        await done
        conn.close()

    async def hub_listener():
        """The bot service's own path: EventHub tailing the log, woken by RedisBus (or the poll)."""
        from bot.store.db import _make_engine
        from bot.store.live_events import EventLog

        hub = _hub(kind, EventLog(_make_engine(f"{POSTGRES}?options=-csearch_path%3D{schema}")))
        await hub.start()
        subscription = hub.subscribe()
        while hub._bus is not None and not hub._bus.connected:
            await asyncio.sleep(0.05)
        ready.set()
        while len(arrivals) < expected:
            event = await subscription.next(timeout=30)
            if event is None:
                break
            arrivals.append((event.id, event.data["sent"], time.time()))
        hub.shutdown()

    listeners = {"redis": redis_listener, "postgres": postgres_listener}
    asyncio.run(asyncio.wait_for(listeners.get(kind, hub_listener)(), 120))
    results.put(arrivals)


def _publisher(kind: str, schema: str):
    """(append-and-ring function, close function) for one kind."""
    from sqlalchemy import create_engine

    from bot.store.live_events import EventLog

    engine = create_engine(f"{POSTGRES}?options=-csearch_path%3D{schema}", future=True, pool_pre_ping=True)
    log = EventLog(engine)
    if kind.startswith("hub"):
        ring, stop = _hub_publisher(kind, log)
        return ring, lambda: (stop(), engine.dispose())
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(REDIS)

        def ring(n: int) -> None:
            stored = log.append("message", {"n": n})
            client.publish(CHANNEL, f"{stored['id']}:{time.time()}")
        return ring, engine.dispose

    from bot.store import live_events as table

    def ring_in_transaction(n: int) -> None:
        """EventLog.append's transaction with pg_notify added: the bell rings at commit."""
        def insert_and_notify(cursor) -> None:
            cursor.execute(f"SELECT pg_advisory_xact_lock({table.ORDER_LOCK}); SET LOCAL synchronous_commit TO OFF; "
                           "INSERT INTO live_events (kind, data, created_at) VALUES (%s, %s, now()) RETURNING id",
                           ("message", json.dumps({"n": n})))
            event_id = cursor.fetchone()[0]
            cursor.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{event_id}:{time.time()}"))
        log._run(insert_and_notify)
    return ring_in_transaction, engine.dispose


def _hub_publisher(kind: str, log):
    """EventHub.publish exactly as the bot service calls it, with its loop running in a thread."""
    import threading

    hub = _hub(kind, log)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    asyncio.run_coroutine_threadsafe(hub.start(), loop).result(10)
    time.sleep(0.5)  # the bus connects

    def ring(n: int) -> None:
        loop.call_soon_threadsafe(lambda: hub.publish("message", {"n": n, "sent": time.time()}))

    def close() -> None:
        time.sleep(1)  # the last events reach the other process before the schema goes
        loop.call_soon_threadsafe(hub.shutdown)
        time.sleep(0.2)
        loop.call_soon_threadsafe(loop.stop)
    return ring, close


def measure(kind: str, events: int, rate: float | None) -> dict[str, Any]:
    import psycopg2

    schema = f"bench_bus_{secrets.token_hex(4)}"
    admin = psycopg2.connect(POSTGRES)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE SCHEMA {schema}")
    context = multiprocessing.get_context("spawn")
    ready, results = context.Event(), context.Queue()
    listener = context.Process(target=_listen, args=(kind, schema, events, ready, results))
    listener.start()
    try:
        ready.wait(30)
        ring, close = _publisher(kind, schema)
        ring(-1)  # connections warm
        cpu0, t0 = time.process_time(), time.perf_counter()
        append_seconds = []
        for n in range(events - 1):
            started = time.perf_counter()
            ring(n)
            append_seconds.append(time.perf_counter() - started)
            if rate:
                time.sleep(max(0.0, t0 + (n + 1) / rate - time.perf_counter()))
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        arrivals = results.get(timeout=120)
        close()
    finally:
        listener.join(30)
        admin.cursor().execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()
    latency = summarise([arrived - sent for _, sent, arrived in arrivals])
    return {"kind": kind, "events": events, "rate_per_s": rate, "achieved_per_s": round((events - 1) / elapsed, 1),
            "delivered": len(arrivals), "in_order": [a[0] for a in arrivals] == sorted(a[0] for a in arrivals),
            "latency_ms": {k: round(v * 1000, 2) for k, v in latency.items() if k != "count" and v is not None},
            # For the hub kinds publish() runs on the hub's loop thread: only the CPU figure applies.
            "append_and_ring_ms": None if kind.startswith("hub") else {
                k: round(v * 1000, 2) for k, v in summarise(append_seconds).items() if k != "count" and v is not None},
            "publisher_cpu_ms_per_event": round(cpu * 1000 / (events - 1), 3)}


def run(events: int = 2000, rate: float = 200) -> dict[str, Any]:
    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "load_average_before": load_average(),
                              "cores": os.cpu_count(), "runs": []}
    for kind in ("redis", "postgres", "hub-notify", "hub-redis", "hub-poll"):
        for paced in ((rate, None) if kind in ("redis", "postgres") else (rate,)):
            run_result = measure(kind, events, paced)
            print(json.dumps(run_result, ensure_ascii=False), flush=True)
            result["runs"].append(run_result)
    result["load_average_after"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Redis pub/sub vs PostgreSQL LISTEN/NOTIFY as the live-event bell")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200, help="events per second in the paced run")
    args = parser.parse_args(argv)
    result = run(args.events, args.rate)
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "event_bus.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
