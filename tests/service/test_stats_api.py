"""`GET /api/stats` served for real on loopback, on a SQLite file and on PostgreSQL, against a
seeded week whose every number was worked out by hand below: the on-time rates count tickets
that were never answered (the bug of the old page), shop-local days and hours put a ticket
created at 00:10 Beijing time (16:10 UTC the day before) on the right day, boundaries (a reply
exactly at the due time is on time) hold, and bad dates get a clear Chinese 400.

The shop's clock stands at Monday 2026-11-23 10:00 (Asia/Shanghai) throughout.
"""
from __future__ import annotations

import pytest

from tests.support.live_app import AgentClient, LiveApp, add_agent, database_url, make_settings
from tests.support.stats_seed import local, seed_ticket

NOW = local("2026-11-23 10:00")


def seed_week(store) -> dict[str, str]:
    """The week 11-17 (Tue) … 11-23 (Mon); times are Beijing time. Returns letter → ticket id."""
    s = seed_ticket
    ids = {
        # answered after 10 min (due 15), resolved after 5 h (due 24 h), rated 5
        "A": s(store, "2026-11-17 09:30", responded="2026-11-17 09:40", resolved="2026-11-17 14:30",
               status="resolved", assignee="lily", csat=5, csat_at="2026-11-17 15:00"),
        # at night; answered late (30 min), resolved late (30 h), rated 2 with a comment holding a phone number
        "B": s(store, "2026-11-17 23:50", issue_type="product_quality", off_hours=True, repeat_contacts=1,
               responded="2026-11-18 00:20", resolved="2026-11-19 05:50", status="resolved", assignee="lily",
               csat=2, csat_comment="处理太慢了，我的电话13812345678", csat_at="2026-11-19 06:00"),
        # 00:10 Beijing = 16:10 UTC the day before; never answered, never resolved: missed twice, overdue
        "C": s(store, "2026-11-18 00:10", handoff=True),
        # answered in 5 min, still open past its resolution due time: overdue
        "D": s(store, "2026-11-20 14:05", responded="2026-11-20 14:10", status="open", assignee="max"),
        # today, urgent (due in 5 min), unanswered at 10:00: missed and overdue
        "E": s(store, "2026-11-23 09:50", issue_type="after_sales_refund", priority="urgent",
               first_response_minutes=5),
        # today, due 10:13: pending for both promises
        "F": s(store, "2026-11-23 09:58", issue_type="after_sales_refund", handoff=True),
        # answered exactly at the due time and resolved exactly at the due time: both on time; rated 1, no comment
        "I": s(store, "2026-11-19 12:00", issue_type="price_dispute", responded="2026-11-19 12:15",
               resolved="2026-11-20 12:00", status="closed", assignee="max", csat=1, csat_at="2026-11-20 13:00"),
        # resolved after 1 h without any reply to the customer: resolution met, first response missed
        "J": s(store, "2026-11-21 08:00", off_hours=True, first_response_minutes=135, resolved="2026-11-21 09:00",
               status="resolved", assignee="lily", csat=3, csat_at="2026-11-21 09:30"),
        # 23:59 the day before the range: not counted
        "G": s(store, "2026-11-16 23:59", issue_type="payment_issue"),
    }
    return {letter: ticket["id"] for letter, ticket in ids.items()}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"stats_{request.param}")
    with database_url(request.param, tmp) as url:
        running = LiveApp(make_settings(tmp, DATABASE_URL=url, SHOP_TIMEZONE="Asia/Shanghai"))
        running.app.ctx.escalation_interval = 3600
        running.set_clock(NOW)
        running.start()
        add_agent(running.store, "lily", display_name="丽丽")
        running.ids = seed_week(running.store)
        yield running
        running.stop()
        running.store.close()


def get_stats(live, query: str = "") -> dict:
    response = live.call("GET", f"/api/stats{query}")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


def test_every_field_of_the_default_week_matches_the_hand_count(live):
    stats = get_stats(live)  # default: the last 7 days up to today
    assert set(stats) == {"from", "to", "timezone", "totals", "by_issue_type", "by_day", "by_hour", "by_weekday",
                          "first_response", "resolution", "csat", "repeat_contact_rate", "by_agent", "alerts"}
    assert (stats["from"], stats["to"], stats["timezone"]) == ("2026-11-17", "2026-11-23", "Asia/Shanghai")
    # A B C D E F I J (G is the day before); open: C D E F; overdue now: C (unanswered), D (unresolved), E
    assert stats["totals"] == {"tickets": 8, "open": 4, "overdue": 3, "resolved": 4, "handoffs": 2, "off_hours": 2,
                               "withdrawn": 0}
    assert stats["by_issue_type"] == [
        {"issue_type": "logistics_delay", "label": "物流延误", "count": 4, "share": 0.5},  # A C D J
        {"issue_type": "after_sales_refund", "label": "售后退款", "count": 2, "share": 0.25},  # E F
        {"issue_type": "product_quality", "label": "质量问题", "count": 1, "share": 0.125},  # B
        {"issue_type": "price_dispute", "label": "价格争议", "count": 1, "share": 0.125},  # I
    ]
    assert stats["by_day"] == [
        {"date": "2026-11-17", "count": 2}, {"date": "2026-11-18", "count": 1},  # C at 00:10 is the 18th
        {"date": "2026-11-19", "count": 1}, {"date": "2026-11-20", "count": 1}, {"date": "2026-11-21", "count": 1},
        {"date": "2026-11-22", "count": 0}, {"date": "2026-11-23", "count": 2}]
    hours = {0: 1, 8: 1, 9: 3, 12: 1, 14: 1, 23: 1}  # C; J; A E F; I; D; B
    assert stats["by_hour"] == [{"hour": h, "count": hours.get(h, 0)} for h in range(24)]
    weekdays = {1: 2, 2: 2, 3: 1, 4: 1, 5: 1, 6: 1, 7: 0}  # Mon E F; Tue A B; Wed C; Thu I; Fri D; Sat J
    assert stats["by_weekday"] == [{"weekday": d, "count": n} for d, n in weekdays.items()]
    # met: A (10 min), D (5), I (exactly at due); missed: B late, C, E and J never answered; pending: F.
    # median of the answered: 5, 10, 15, 30 → 12.5 minutes
    assert stats["first_response"] == {"met": 3, "missed": 4, "pending": 1, "met_rate": 0.4286,
                                       "median_minutes": 12.5}
    # met: A (5 h), I (exactly at due), J (1 h); missed: B late, C and D unresolved past due; pending: E F.
    # median of the resolved: 1, 5, 24, 30 → 14.5 hours
    assert stats["resolution"] == {"met": 3, "missed": 3, "pending": 2, "met_rate": 0.5, "median_hours": 14.5}
    assert stats["csat"] == {
        "count": 4, "average": 2.75,  # 5 2 1 3
        "distribution": {"1": 1, "2": 1, "3": 1, "4": 0, "5": 1},
        "low_comments": [{"ticket_id": live.ids["B"], "score": 2, "comment": "处理太慢了，我的电话138****5678",
                          "issue_type": "product_quality", "label": "质量问题", "agent": "lily",
                          "at": "2026-11-18T22:00:00+00:00"}],
    }
    assert stats["repeat_contact_rate"] == 0.125  # B
    assert stats["by_agent"] == [
        # A B J: answered A 10, B 30 → 20; ratings 5 2 3
        {"agent": "lily", "handled": 3, "median_first_response_minutes": 20.0, "csat_average": 3.33},
        # D I: 5, 15 → 10; rating 1
        {"agent": "max", "handled": 2, "median_first_response_minutes": 10.0, "csat_average": 1.0},
    ]
    assert stats["alerts"] == []  # two of a type today is no spike (ALERT_MIN_COUNT 5)


def test_a_record_the_customer_withdrew_counts_in_no_promise(live):
    """A record withdrawn during the intake was closed by the system with nobody owing an answer:
    it is a ticket of the day and counted as withdrawn, but neither a missed first response, a
    resolution, nor part of the resolution median. (A week of its own, away from the seeded one.)"""
    seed_ticket(live.store, "2025-06-02 10:00", responded="2025-06-02 10:05", resolved="2025-06-02 12:00",
                status="resolved", assignee="lily")
    seed_ticket(live.store, "2025-06-03 10:00", resolved="2025-06-03 10:03", status="closed", intake="withdrawn")
    stats = get_stats(live, "?from=2025-06-02&to=2025-06-08")
    assert stats["totals"] == {"tickets": 2, "open": 0, "overdue": 0, "resolved": 1, "handoffs": 0, "off_hours": 0,
                               "withdrawn": 1}
    assert stats["first_response"] == {"met": 1, "missed": 0, "pending": 0, "met_rate": 1.0, "median_minutes": 5.0}
    assert stats["resolution"] == {"met": 1, "missed": 0, "pending": 0, "met_rate": 1.0, "median_hours": 2.0}


def test_a_range_counts_its_own_days_inclusive(live):
    stats = get_stats(live, "?from=2026-11-16&to=2026-11-18")
    assert (stats["from"], stats["to"]) == ("2026-11-16", "2026-11-18")
    assert [d["count"] for d in stats["by_day"]] == [1, 2, 1]  # G; A B; C
    assert stats["totals"]["tickets"] == 4
    # G (due long ago, unanswered), B late, C unanswered: missed; A met
    assert {k: stats["first_response"][k] for k in ("met", "missed", "pending")} == {"met": 1, "missed": 3,
                                                                                       "pending": 0}
    single = get_stats(live, "?from=2026-11-22&to=2026-11-22")
    assert single["totals"]["tickets"] == 0 and single["by_day"] == [{"date": "2026-11-22", "count": 0}]
    assert single["first_response"] == {"met": 0, "missed": 0, "pending": 0, "met_rate": None,
                                        "median_minutes": None}
    assert single["csat"] == {"count": 0, "average": None,
                              "distribution": {str(n): 0 for n in range(1, 6)}, "low_comments": []}
    assert single["repeat_contact_rate"] is None and single["by_issue_type"] == [] and single["by_agent"] == []
    only_to = get_stats(live, "?to=2026-11-20")  # from defaults to 6 days before to
    assert (only_to["from"], only_to["to"]) == ("2026-11-14", "2026-11-20")
    only_from = get_stats(live, "?from=2026-11-20")  # to defaults to today
    assert (only_from["from"], only_from["to"]) == ("2026-11-20", "2026-11-23")
    year = get_stats(live, "?from=2025-11-23&to=2026-11-23")  # 366 days is allowed
    assert len(year["by_day"]) == 366 and year["totals"]["tickets"] == 9


def test_the_heat_map_crosses_weekday_and_hour(live):
    response = live.call("GET", "/api/stats/heatmap?from=2026-11-17&to=2026-11-23")
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["timezone"]) == ("2026-11-17", "2026-11-23", "Asia/Shanghai")
    assert len(body["cells"]) == 7 * 24
    filled = {(c["weekday"], c["hour"]): c["count"] for c in body["cells"] if c["count"]}
    assert filled == {(2, 9): 1, (2, 23): 1, (3, 0): 1, (4, 12): 1, (5, 14): 1, (6, 8): 1, (1, 9): 2}


@pytest.mark.parametrize("query, field, words", [
    ("?from=2026/11/01", "from", "YYYY-MM-DD"),
    ("?to=20261101", "to", "YYYY-MM-DD"),
    ("?from=2026-02-30", "from", "不是有效的日期"),
    ("?from=1999-12-31&to=2000-01-02", "from", "2000 年到 2100 年"),
    ("?from=2026-11-20&to=2026-11-19", "from", "不能晚于"),
    ("?from=2025-11-22&to=2026-11-23", "from", "最多统计 366 天"),
    ("?from=2026-11-30", "from", "不能晚于"),  # after today, the default `to`
])
def test_bad_dates_get_a_clear_chinese_400(live, query, field, words):
    response = live.call("GET", f"/api/stats{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_date" and body["field"] == field and words in body["message"]


@pytest.mark.parametrize("path", ["/api/stats", "/api/stats/heatmap", "/api/stats/alerts"])
def test_agents_and_the_machine_token_may_read_nobody_else(live, path):
    assert live.call("GET", path, token=None).status_code == 401
    assert live.call("GET", path, token="wrong-token").status_code == 401
    assert live.call("GET", path).status_code == 200
    live.set_clock(None)  # login sessions expire by the real clock; log in now, then back to the shop's Monday
    try:
        agent = AgentClient(live, "lily")
    finally:
        live.set_clock(NOW)
    assert agent.call("GET", path, csrf=False).status_code == 200  # a GET needs no CSRF token


def test_the_chart_library_is_served_from_this_site_and_nothing_else_is(live):
    import requests

    from bot.web.routes.stats import VENDOR_DIR

    if not (VENDOR_DIR / "echarts.min.js").exists():
        pytest.skip("ECharts not installed (scripts/setup_web.sh)")
    response = requests.get(f"{live.base}/desk/vendor/echarts.min.js", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["X-Content-Type-Options"] == "nosniff" and b"echarts" in response.content[:5000]
    for name in ("..%2F..%2Fconfig.py", "echarts.js", "package.json", ".gitignore"):
        assert requests.get(f"{live.base}/desk/vendor/{name}", timeout=10).status_code == 404
