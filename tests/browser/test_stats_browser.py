"""The lead's statistics page in a real headless Chromium against the bot service on loopback with a
SQLite file holding a month of seeded tickets and a spike today.

The lead logs in, sees the charts drawn by ECharts (served from this site: /desk/vendor/, installed
by `make setup` from npm) under the page's strict Content-Security-Policy without a single
violation, the numbers matching GET /api/stats, the early-warning banner, a customer's low-rating
comment shown as text, the per-agent table, then picks 近 30 天 and gets a CSV export link for that
range. The screenshot goes to docs/screenshots/desk-stats.png. The queue page shows the banner too.
"""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.browser import test_desk_browser as desk_browser
from tests.browser.test_desk_browser import PASSWORD, SCREENSHOTS, log_in
from tests.support.live_app import LiveApp, add_agent, make_settings
from tests.support.stats_seed import SHANGHAI, seed_ticket

VENDOR = Path(__file__).resolve().parents[2] / "bot" / "web" / "static" / "vendor" / "echarts.min.js"
XSS_COMMENT = '<img src=x onerror="window.__xss = 1">等了三天才有人回，电话13812345678'
TYPES = ["product_quality", "not_as_described", "wrong_or_missing_item", "package_damaged_or_lost",
         "after_sales_refund", "service_attitude", "promotion_issue", "price_dispute", "logistics_delay"]
TYPE_WEIGHTS = [14, 8, 9, 7, 16, 5, 6, 4, 2]
HOUR_WEIGHTS = [1, 1, 0, 0, 0, 0, 1, 2, 4, 8, 10, 9, 6, 7, 9, 10, 8, 6, 5, 6, 8, 9, 6, 3]
# the desk journey's Chromium (Debian's, headless) and page (with the CSP watcher, failing on JS errors)
browser = desk_browser.browser
page = desk_browser.page
COMMENTS = ["退款拖了好几天", "客服态度敷衍", "问题没解决就关单了", "等太久了"]


def _text(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def seed_month(store, now: datetime) -> None:
    """About 200 tickets over the 29 days before today, and 6 logistics complaints in the last minutes."""
    rng = random.Random(16)
    today = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    for days_ago in range(29, 0, -1):
        day = today - timedelta(days=days_ago)
        for _ in range(rng.randint(3, 11) + (3 if day.weekday() == 0 else 0)):
            created = day + timedelta(hours=rng.choices(range(24), HOUR_WEIGHTS)[0], minutes=rng.randrange(60))
            answered = rng.random() < 0.9
            resolved = answered and rng.random() < 0.8
            rating = rng.choices([5, 4, 3, 2, 1], [45, 25, 12, 10, 8])[0] if resolved and rng.random() < 0.6 else None
            response_minutes = rng.choice([3, 6, 9, 12, 14, 18, 25, 40])
            resolution_hours = rng.choice([2, 5, 9, 20, 30])
            seed_ticket(
                store, _text(created), issue_type=rng.choices(TYPES, TYPE_WEIGHTS)[0],
                off_hours=not 9 <= created.astimezone(SHANGHAI).hour < 18, handoff=rng.random() < 0.3,
                repeat_contacts=1 if rng.random() < 0.08 else 0,
                responded=_text(created + timedelta(minutes=response_minutes)) if answered else None,
                resolved=_text(created + timedelta(hours=resolution_hours)) if resolved else None,
                status="resolved" if resolved else ("open" if answered else "new"),
                assignee=rng.choice(["lily", "max", "anna"]) if answered else None,
                csat=rating, csat_at=_text(created + timedelta(hours=resolution_hours, minutes=5)) if rating else None,
                csat_comment=rng.choice(COMMENTS) if rating and rating <= 2 and rng.random() < 0.7 else None)
    afternoon = today - timedelta(days=2) + timedelta(hours=15)  # two days ago, 15:00
    seed_ticket(store, _text(afternoon), issue_type="service_attitude", status="resolved", assignee="max",
                responded=_text(afternoon + timedelta(hours=1)), resolved=_text(afternoon + timedelta(hours=2)),
                csat=1, csat_at=_text(afternoon + timedelta(hours=3)), csat_comment=XSS_COMMENT)
    for minutes in range(6, 0, -1):
        seed_ticket(store, _text(now - timedelta(minutes=minutes)), first_response_minutes=60,
                    description="物流三天没更新了")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    if not VENDOR.exists():
        pytest.fail("ECharts is not installed: run scripts/setup_web.sh (make setup does it; needs npm)")
    running = LiveApp(make_settings(tmp_path_factory.mktemp("stats_browser"), SHOP_NAME="小鹿家居旗舰店"))
    running.app.ctx.escalation_interval = 3600
    running.start()
    for name, display in (("lily", "丽丽"), ("max", "小马"), ("anna", "安娜")):
        add_agent(running.store, name, PASSWORD, display_name=display)
    running.now = datetime.now(timezone.utc)
    seed_month(running.store, running.now)
    yield running
    running.stop()


def chart_drawn(page, selector: str) -> bool:
    return page.evaluate("""(selector) => {
        const canvas = document.querySelector(selector + ' canvas');
        return Boolean(canvas && canvas.width > 100 && canvas.height > 100);
    }""", selector)


@pytest.mark.browser
def test_the_lead_reads_the_month_with_charts_alerts_and_export(live, page):
    page.goto(f"{live.base}/desk/stats")
    page.wait_for_url(re.compile(r"/desk/login\?next="))
    page.fill("#name", "lily")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#charts-missing").is_hidden()
    for chart in ("#chart-trend", "#chart-issues", "#chart-heatmap", "#chart-csat"):
        assert chart_drawn(page, chart), f"{chart} has no chart"

    # the default week, and the page's numbers are the API's
    today = live.now.astimezone(SHANGHAI).date()
    assert page.input_value("#from") == str(today - timedelta(days=6)) and page.input_value("#to") == str(today)
    week = live.call("GET", "/api/stats").json()
    cards = page.locator("#stat-cards .stat-card")
    assert cards.nth(0).locator(".stat-value").inner_text() == str(week["totals"]["tickets"])
    assert cards.nth(2).locator(".stat-value").inner_text() == str(week["totals"]["overdue"])
    rate = week["first_response"]["met_rate"]
    assert page.locator("#sla-first .sla-rate").inner_text() == f"{rate * 100:.1f}%"
    assert f"超时 {week['first_response']['missed']}（晚了或至今没有）" in page.locator("#sla-first").inner_text()

    # early warning: six logistics complaints in the last minutes against a quiet month
    if live.now.astimezone(SHANGHAI).hour or live.now.astimezone(SHANGHAI).minute >= 10:
        assert "今天「物流延误」已有 6 件投诉" in page.locator("#alerts").inner_text()

    # a customer's comment is text, masked, never markup
    comments = page.locator("#low-comments")
    assert '<img src=x onerror="window.__xss = 1">等了三天才有人回，电话138****5678' in comments.inner_text()
    assert page.evaluate("window.__xss") is None and comments.locator("img").count() == 0
    agents = page.locator("#agents tbody").inner_text()
    assert "丽丽（lily）" in agents and "小马（max）" in agents and "安娜（anna）" in agents

    # hovering a chart draws its tooltip on the canvas: still no Content-Security-Policy violation
    box = page.locator("#chart-trend").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5)
    page.wait_for_timeout(300)

    # 近 30 天: the address, the numbers and the export link follow the chosen range
    page.click("button[data-days='30']")
    first = str(today - timedelta(days=29))
    page.wait_for_url(re.compile(rf"/desk/stats\?from={first}&to={today}$"))
    page.wait_for_selector("body[data-ready='1']")
    month = live.call("GET", f"/api/stats?from={first}&to={today}").json()
    assert cards.nth(0).locator(".stat-value").inner_text() == str(month["totals"]["tickets"])
    assert month["totals"]["tickets"] > week["totals"]["tickets"]
    export = page.get_attribute("#export", "href")
    assert export == f"/api/tickets/export.csv?from={first}&to={today}"
    csv = page.request.get(f"{live.base}{export}")
    assert csv.status == 200 and csv.text().count("\n") == month["totals"]["tickets"] + 1

    # a bad range is explained, not sent
    page.fill("#from", str(today))
    page.fill("#to", str(today - timedelta(days=1)))
    page.click("#range button[type='submit']")
    assert page.locator("#stats-error").inner_text() == "开始日期不能晚于结束日期。"
    page.click("button[data-days='30']")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#stats-error").is_hidden()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "desk-stats.png"), full_page=True)
    assert page.evaluate("window.__csp") == []


@pytest.mark.browser
def test_the_queue_shows_the_early_warning_banner(live, page):
    local = live.now.astimezone(SHANGHAI)
    if local.hour == 0 and local.minute < 10:
        pytest.skip("the seeded spike straddles midnight")
    log_in(page, live, "max", "/desk")
    banner = page.locator("#alerts .alert-warn")
    banner.wait_for()
    assert "物流延误" in banner.inner_text() and banner.locator("a").get_attribute("href") == "/desk/stats"
    assert page.evaluate("window.__csp") == []
