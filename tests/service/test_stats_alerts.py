"""The early warning on a real database (SQLite file and PostgreSQL): the spike rule at its
boundaries with a seeded 14-day history, a young shop compared with the days it has, shop-local
days across a daylight-saving change, and the once-only claim the webhook messages rely on."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services.alerts import current_alerts
from bot.services.stats import DateRange, compute_stats
from bot.store import notices, open_store
from tests.support.live_app import database_url, make_settings
from tests.support.stats_seed import local, seed_ticket

NOW = local("2026-11-23 10:00")  # Monday, Beijing time


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        store = open_store(url)
        settings = make_settings(tmp_path, DATABASE_URL=url)
        yield store, settings
        store.close()


def days_before(n: int, at: str = "12:00") -> str:
    return f"{date(2026, 11, 23) - timedelta(days=n)} {at}"


def test_spikes_at_the_minimum_and_the_factor_over_14_days(shop):
    store, settings = shop
    seed_ticket(store, "2026-10-01 12:00", issue_type="other_complaint")  # the shop is older than 14 days
    # logistics: 1 a day over the 14 days before today (11-09 00:00 is the window's first moment) → baseline 1
    seed_ticket(store, days_before(14, "00:00"))
    for n in range(1, 14):
        seed_ticket(store, days_before(n, "23:59" if n == 1 else "12:00"))
    seed_ticket(store, days_before(15, "23:59"))  # 11-08: outside the window
    # quality: 2 a day → baseline 2, the factor asks for 6
    for n in range(1, 15):
        seed_ticket(store, days_before(n), issue_type="product_quality")
        seed_ticket(store, days_before(n, "13:00"), issue_type="product_quality")
    # today: logistics 5 (from 00:00 on), quality 5, payment 4 (below the minimum), price 5 (never seen before)
    for n in range(5):
        seed_ticket(store, "2026-11-23 00:00" if n == 0 else f"2026-11-23 0{n}:00")
        seed_ticket(store, f"2026-11-23 0{n}:30", issue_type="product_quality")
        seed_ticket(store, f"2026-11-23 0{n}:40", issue_type="price_dispute")
        if n < 4:
            seed_ticket(store, f"2026-11-23 0{n}:50", issue_type="payment_issue")
    since = "2026-11-23T00:00:00+08:00"
    assert current_alerts(store, settings, NOW) == [
        {"issue_type": "logistics_delay", "label": "物流延误", "count": 5, "baseline": 1.0, "since": since},
        {"issue_type": "price_dispute", "label": "价格争议", "count": 5, "baseline": 0.0, "since": since},
    ]
    seed_ticket(store, "2026-11-23 09:00", issue_type="product_quality")  # 6 = 3 × 2: now it spikes
    seed_ticket(store, "2026-11-23 09:10", issue_type="payment_issue")  # 5: the minimum, no history
    alerts = current_alerts(store, settings, NOW)
    assert [(a["issue_type"], a["count"], a["baseline"]) for a in alerts] == [
        ("product_quality", 6, 2.0), ("logistics_delay", 5, 1.0), ("payment_issue", 5, 0.0),
        ("price_dispute", 5, 0.0)]
    # the same numbers in GET /api/stats, whatever range is asked for
    stats = compute_stats(store, settings, DateRange(date(2026, 10, 1), date(2026, 10, 1)), NOW)
    assert stats["alerts"] == alerts


def test_configured_minimum_and_factor(shop, tmp_path):
    store, _settings = shop
    settings = make_settings(tmp_path, ALERT_MIN_COUNT="2", ALERT_FACTOR="1.5")
    seed_ticket(store, days_before(20))
    for n in range(1, 15):  # 1 a day
        seed_ticket(store, days_before(n))
    seed_ticket(store, "2026-11-23 08:00")
    assert current_alerts(store, settings, NOW) == []  # 1 < 2
    seed_ticket(store, "2026-11-23 08:30")
    assert [a["count"] for a in current_alerts(store, settings, NOW)] == [2]  # 2 ≥ 2 and ≥ 1.5 × 1


def test_a_young_shop_is_compared_with_the_days_it_has(shop):
    store, settings = shop
    for n in (1, 2, 3):  # opened three days ago, 2 logistics complaints a day
        seed_ticket(store, days_before(n, "10:00"))
        seed_ticket(store, days_before(n, "11:00"))
    for n in range(5):
        seed_ticket(store, f"2026-11-23 0{n}:00")
    # 5 < 3 × 2; averaged over 14 days (6/14 a day) it would have been a false alarm
    assert current_alerts(store, settings, NOW) == []
    seed_ticket(store, "2026-11-23 09:00")
    assert [(a["count"], a["baseline"]) for a in current_alerts(store, settings, NOW)] == [(6, 2.0)]


def test_a_brand_new_shop_warns_on_the_minimum_alone(shop):
    store, settings = shop
    for n in range(4):
        seed_ticket(store, f"2026-11-23 0{n}:00", issue_type="courier_attitude")
    assert current_alerts(store, settings, NOW) == []
    seed_ticket(store, "2026-11-23 09:59", issue_type="courier_attitude")
    assert [(a["issue_type"], a["count"], a["baseline"]) for a in current_alerts(store, settings, NOW)] == [
        ("courier_attitude", 5, 0.0)]


def test_shop_local_days_and_hours_across_daylight_saving(shop, tmp_path):
    store, _settings = shop
    zone = ZoneInfo("America/New_York")
    settings = make_settings(tmp_path, SHOP_TIMEZONE="America/New_York")
    for moment in ("2026-03-07 23:30", "2026-03-08 01:30", "2026-03-08 03:30", "2026-03-09 00:30",
                   "2026-10-31 23:30", "2026-11-01 01:10", "2026-11-01 23:50"):
        seed_ticket(store, moment, zone=zone)
    # 2026-11-01 01:10 happens twice in New York; fold=0 (EDT) is the one seeded
    now = local("2026-11-02 12:00", zone)
    spring = compute_stats(store, settings, DateRange(date(2026, 3, 7), date(2026, 3, 9)), now)
    assert [d["count"] for d in spring["by_day"]] == [1, 2, 1]
    assert {h["hour"]: h["count"] for h in spring["by_hour"] if h["count"]} == {23: 1, 1: 1, 3: 1, 0: 1}
    autumn = compute_stats(store, settings, DateRange(date(2026, 10, 31), date(2026, 11, 1)), now)
    assert [d["count"] for d in autumn["by_day"]] == [1, 2]
    assert {h["hour"]: h["count"] for h in autumn["by_hour"] if h["count"]} == {23: 2, 1: 1}
    assert autumn["timezone"] == "America/New_York"


def test_half_hour_offsets_are_shifted_in_the_database(shop, tmp_path):
    store, _settings = shop
    zone = ZoneInfo("Asia/Kolkata")  # UTC+05:30: a UTC hour is not a local hour
    settings = make_settings(tmp_path, SHOP_TIMEZONE="Asia/Kolkata")
    for moment in ("2026-11-22 23:45", "2026-11-23 00:15", "2026-11-23 09:29", "2026-11-23 09:31"):
        seed_ticket(store, moment, zone=zone)
    stats = compute_stats(store, settings, DateRange(date(2026, 11, 22), date(2026, 11, 23)),
                          local("2026-11-23 12:00", zone))
    assert [d["count"] for d in stats["by_day"]] == [1, 3]
    assert {h["hour"]: h["count"] for h in stats["by_hour"] if h["count"]} == {23: 1, 0: 1, 9: 2}


def test_scanning_the_table_or_walking_the_index_gives_the_same_answer(shop, monkeypatch):
    from bot.store import stats as queries
    from tests.service.test_stats_api import NOW as MONDAY
    from tests.service.test_stats_api import seed_week

    store, settings = shop
    seed_week(store)
    week = DateRange(date(2026, 11, 17), date(2026, 11, 23))
    by_index = compute_stats(store, settings, week, MONDAY)
    # the scan is SQLite's (PostgreSQL's planner chooses by itself)
    monkeypatch.setattr(queries, "with_best_access",
                        lambda conn, window: replace(window, full_scan=conn.dialect.name == "sqlite"))
    assert compute_stats(store, settings, week, MONDAY) == by_index
    assert by_index["totals"]["tickets"] == 8


def test_a_notice_is_claimed_once(shop):
    store, _settings = shop
    engine = store.engine
    assert notices.claim(engine, "digest", "-", "2026-11-23", NOW) is True
    assert notices.claim(engine, "digest", "-", "2026-11-23", NOW) is False  # someone is sending it
    notices.release(engine, "digest", "-", "2026-11-23")  # the send failed: free again
    assert notices.claim(engine, "digest", "-", "2026-11-23", NOW) is True
    notices.mark_sent(engine, "digest", "-", "2026-11-23", NOW)
    notices.release(engine, "digest", "-", "2026-11-23")  # a sent notice is never given back
    assert notices.claim(engine, "digest", "-", "2026-11-23", NOW + timedelta(hours=5)) is False
    assert notices.sent(engine, "digest", "2026-11-23") == {"-"}
    # a sender that died: after ten minutes another process may take the claim over
    assert notices.claim(engine, "spike", "logistics_delay", "2026-11-23", NOW) is True
    assert notices.claim(engine, "spike", "logistics_delay", "2026-11-23", NOW + timedelta(minutes=9)) is False
    assert notices.claim(engine, "spike", "logistics_delay", "2026-11-23", NOW + timedelta(minutes=11)) is True
    assert notices.claim(engine, "spike", "product_quality", "2026-11-23", NOW) is True  # other subject, own row
