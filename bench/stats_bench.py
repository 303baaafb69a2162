"""Statistics at size: 50,000 tickets over a year on SQLite and on PostgreSQL, and the time the
database takes to answer `GET /api/stats` (bot.services.stats.compute_stats: every query of one
answer) for the default week, a month and the longest range (366 days), plus the heat map and
the early-warning check the desk's banner polls.

    .venv/bin/python -m bench.stats_bench                       # both databases, writes the section
    .venv/bin/python -m bench.stats_bench --databases sqlite --tickets 10000 --no-write-doc

PostgreSQL: `--postgres-url` (default postgresql://postgres@127.0.0.1:5432/test); the tickets go
into a fresh schema that is dropped afterwards. Results: var/bench/stats.json and the section
"Statistics queries at 50,000 tickets" in docs/BENCHMARKS.md (kept when `make bench` rewrites
the page). Records, never fails on timing.
"""
from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from bench.common import ROOT, VAR, load_average, log, machine_info
from bench.report import SECTION_END, SECTION_START, replace_own_section

DOC = ROOT / "docs" / "BENCHMARKS.md"
RESULTS = VAR / "stats.json"
SECTION = "stats"
ZONE = ZoneInfo("Asia/Shanghai")
TYPES = {"product_quality": 16, "not_as_described": 9, "wrong_or_missing_item": 9, "out_of_stock": 3,
         "logistics_delay": 18, "package_damaged_or_lost": 8, "courier_attitude": 4, "service_attitude": 5,
         "after_sales_refund": 15, "payment_issue": 3, "promotion_issue": 5, "price_dispute": 3, "other_complaint": 2}
HOURS = [1, 1, 0.5, 0.3, 0.2, 0.3, 1, 2, 4, 8, 10, 9, 6, 7, 9, 10, 8, 6, 5, 6, 8, 9, 6, 3]
AGENTS = [f"agent{n}" for n in range(1, 9)]


def generate(count: int, now: datetime, seed: int = 50000) -> list[dict[str, Any]]:
    """`count` tickets spread over the 365 days up to `now`, shaped like a shop's year."""
    from bot.domain.taxonomy import category_of

    rng = random.Random(seed)
    types, type_weights = list(TYPES), list(TYPES.values())
    start_day = (now.astimezone(ZONE) - timedelta(days=364)).replace(hour=0, minute=0, second=0, microsecond=0)
    now_utc = now.astimezone(timezone.utc).replace(tzinfo=None)
    per_day: dict[str, int] = {}
    rows = []
    for n in range(count):
        created = start_day + timedelta(days=rng.randrange(365), hours=rng.choices(range(24), HOURS)[0],
                                        minutes=rng.randrange(60), seconds=rng.randrange(60))
        if created > now:
            created = now - timedelta(seconds=rng.randrange(1, 86400))
        local = created.astimezone(ZONE)
        created = created.astimezone(timezone.utc).replace(tzinfo=None)
        day = local.strftime("%Y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        priority = rng.choices(["normal", "high", "urgent"], [80, 15, 5])[0]
        first_due = created + timedelta(minutes={"normal": 15, "high": 10, "urgent": 5}[priority])
        resolution_due = created + timedelta(hours=24)
        age_hours = (now_utc - created).total_seconds() / 3600
        answered = rng.random() < (0.93 if age_hours > 2 else 0.4)
        responded = created + timedelta(minutes=rng.lognormvariate(2.3, 0.8)) if answered else None
        resolved = responded + timedelta(hours=rng.lognormvariate(2.5, 0.9)) if answered and \
            rng.random() < (0.9 if age_hours > 48 else 0.3) else None
        csat = rng.choices([5, 4, 3, 2, 1], [45, 25, 12, 10, 8])[0] if resolved and rng.random() < 0.45 else None
        rows.append({
            "id": f"TK-{day}-{per_day[day]:04d}", "idempotency_key": f"bench-{n}", "session_id": f"s-{n}",
            "customer_ref": None, "channel": "web", "order_number": None, "order_number_status": "unknown",
            "issue_type": (issue := rng.choices(types, type_weights)[0]), "category": category_of(issue) or "other",
            "expectation": None, "description": "快递五天了还没到，麻烦催一下", "phone": None, "priority": priority,
            "risk_flags": "[]", "triage_reasons": "[]", "repeat_contacts": 1 if rng.random() < 0.07 else 0,
            "complex_case": False, "off_hours": not 9 <= local.hour < 18, "handoff_requested": rng.random() < 0.3,
            "status": "resolved" if resolved else ("open" if answered else "new"),
            "assignee": rng.choice(AGENTS) if answered else None, "created_at": created, "updated_at": created,
            "first_response_due": first_due, "resolution_due": resolution_due, "first_responded_at": responded,
            "resolved_at": resolved, "escalated_at": None, "csat": csat,
            "csat_comment": rng.choice(["太慢了", "没解决", None]) if csat and csat <= 2 else None,
            "csat_at": resolved + timedelta(minutes=10) if csat else None,
        })
    return rows


def seed(store, rows: list[dict[str, Any]]) -> float:
    from bot.store import schema

    started = time.perf_counter()
    with store.engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            conn.execute(schema.tickets.insert(), rows[chunk:chunk + 5000])
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # what autovacuum / a long-running shop's database already has
    return time.perf_counter() - started


def measure(function, repeat: int) -> dict[str, float]:
    function()  # warm-up: connections, caches, the first plan
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    # CPU time of this process: for SQLite all of the work (the database runs in-process), so it is
    # close to what a quiet machine would take; for PostgreSQL only the client's share.
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1), "median_cpu_ms": round(statistics.median(cpu), 1)}


def run_database(kind: str, url: str, tickets: int, repeat: int, now: datetime) -> dict[str, Any]:
    from bot.config import load_settings
    from bot.services.alerts import current_alerts
    from bot.services.stats import DateRange, compute_stats, hour_weekday_counts
    from bot.store import open_store

    store = open_store(url)
    settings = load_settings({"DOTENV_DISABLED": "1", "DATABASE_URL": url}, env_file=Path("/nonexistent"))
    log(f"{kind}: seeding {tickets} tickets")
    seconds = seed(store, generate(tickets, now))
    today = now.astimezone(ZONE).date()
    statements = []

    def count(*_args) -> None:
        statements.append(1)

    event.listen(store.engine, "before_cursor_execute", count)
    compute_stats(store, settings, DateRange(today - timedelta(days=6), today), now)
    event.remove(store.engine, "before_cursor_execute", count)
    cases = {}
    for label, days in (("7 days (default)", 7), ("30 days", 30), ("366 days", 366)):
        days_range = DateRange(today - timedelta(days=days - 1), today)
        log(f"{kind}: GET /api/stats over {label}")
        cases[f"stats {label}"] = measure(lambda r=days_range: compute_stats(store, settings, r, now), repeat)
    year = DateRange(today - timedelta(days=365), today)
    cases["heat map 366 days"] = measure(lambda: hour_weekday_counts(store, settings, year, now), repeat)
    cases["alerts (banner)"] = measure(lambda: current_alerts(store, settings, now), repeat)
    store.close()
    return {"tickets": tickets, "seed_seconds": round(seconds, 1), "queries_per_answer": len(statements),
            "cases": cases}


def postgres_schema_url(base: str) -> tuple[str, str]:
    name = f"bench_stats_{secrets.token_hex(4)}"
    separator = "&" if "?" in base else "?"
    return name, f"{base}{separator}options=-csearch_path%3D{name}"


def run(databases: list[str], tickets: int, repeat: int, postgres_url: str) -> dict[str, Any]:
    import sqlalchemy

    now = datetime.now(timezone.utc)
    results: dict[str, Any] = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "machine": machine_info(),
                               "load_average": load_average(), "repeat": repeat, "databases": {}}
    for kind in databases:
        if kind == "sqlite":
            path = VAR / "stats_bench.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            for leftover in path.parent.glob(f"{path.name}*"):
                leftover.unlink()
            results["databases"]["SQLite"] = run_database("sqlite", f"sqlite:///{path}", tickets, repeat, now)
            for leftover in path.parent.glob(f"{path.name}*"):
                leftover.unlink()
            continue
        name, url = postgres_schema_url(postgres_url)
        admin = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {name}")
            version = conn.exec_driver_sql("SHOW server_version").scalar()
        try:
            results["databases"][f"PostgreSQL {version}"] = run_database("postgresql", url, tickets, repeat, now)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            admin.dispose()
    return results


def _busy(results: dict[str, Any]) -> str:
    load, cores = results["load_average"][0], results["machine"]["cores"] or 1
    if load <= cores:
        return ""
    return (f" **The machine was busy** (load {load:.1f} on {cores} cores, other work running), so wall times "
            "include waiting for a core; for SQLite, which runs inside the process, the CPU time is closer to what "
            "a quiet machine takes.")


def render_section(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [SECTION_START.format(name=SECTION), "## Statistics queries at 50,000 tickets (issue 16)", "",
             f"`python -m bench.stats_bench` on {results['date']}; {machine['cpu_model']}, "
             f"{machine['cores']} cores, load average {', '.join(f'{x:.2f}' for x in results['load_average'])} "
             "when it started. Each database holds the tickets of a year (about 137 a day, shaped like a shop's "
             "hours and types), freshly `ANALYZE`d; the time is all the queries of one answer "
             "(`bot.services.stats.compute_stats`, in-process, no HTTP), median of "
             f"{results['repeat']} runs after a warm-up (min–max in brackets).{_busy(results)}", "",
             "| what | " + " | ".join(results["databases"]) + " |",
             "| --- | " + " | ".join("---:" for _ in results["databases"]) + " |"]
    first = next(iter(results["databases"].values()))
    for case in first["cases"]:
        cells = []
        for name, db in results["databases"].items():
            found = db["cases"][case]
            cpu = f"; CPU {found['median_cpu_ms']} ms" if name == "SQLite" and "median_cpu_ms" in found else ""
            cells.append(f"{found['median_ms']} ms ({found['min_ms']}–{found['max_ms']}{cpu})")
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    lines.append("| tickets / SQL statements per answer | " + " | ".join(
        f"{db['tickets']:,} / {db['queries_per_answer']}" for db in results["databases"].values()) + " |")
    lines.append("| seeding (bulk insert + ANALYZE) | " + " | ".join(
        f"{db['seed_seconds']} s" for db in results["databases"].values()) + " |")
    lines += ["", "Every number is counted in the database: one grouped pass per issue type for the totals, both "
              "promises and the ratings, hourly buckets (at most 24 × 366 rows come back), medians by ORDER BY … "
              "LIMIT/OFFSET (overall) and window functions (per agent), the newest low ratings. SQLite reads the "
              "table instead of `ix_tickets_created_at` when the range holds a quarter of the tickets or more (two "
              "extra counts decide; without range statistics its planner would look every row up through the index, "
              "3–5 × slower for a year); PostgreSQL's planner chooses by itself. The machine is shared: compare runs "
              "by their load average.", SECTION_END.format(name=SECTION)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-write-doc", action="store_true")
    parser.add_argument("--render-only", action="store_true", help="rewrite the section from var/bench/stats.json")
    args = parser.parse_args(argv)
    if args.render_only:
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
    else:
        results = run([d.strip() for d in args.databases.split(",") if d.strip()], args.tickets, args.repeat,
                      args.postgres_url)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    section = render_section(results)
    print(section)
    if not args.no_write_doc:
        DOC.write_text(replace_own_section(DOC.read_text(encoding="utf-8"), SECTION, section), encoding="utf-8")
        log(f"wrote the section into {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
