"""Issue 11 on the agent desk, in a real headless Chromium: a record still being collected shows
登记中, one filed as it stands shows 信息不全（缺：订单号、诉求）, and the customer's own deadline
stands next to the promised first-response time — on the queue and on the ticket page, where the
audit trail names what the intake changed. No JavaScript errors, customer text shown as text."""
from __future__ import annotations

import pytest

from tests.browser.test_desk_browser import browser, log_in, page  # noqa: F401 - shared fixtures
from tests.support.live_app import LiveApp, add_agent, make_settings, ticket_body

PASSWORD = "correct horse 1"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("intake_desk")))
    running.app.ctx.escalation_interval = 3600
    running.start()
    add_agent(running.store, "lily", PASSWORD, display_name="丽丽")
    yield running
    running.stop()


def collecting(live: LiveApp, key: str, **fields) -> dict:
    body = ticket_body(key, intake="collecting", order_number=None, order_number_status=None, expectation=None,
                       **fields)
    response = live.call("POST", "/api/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


@pytest.mark.browser
def test_the_desk_shows_the_intake_and_the_customers_deadline(live, page):  # noqa: F811 - the shared fixture
    being_collected = collecting(live, "desk-collecting", description="快递五天了还没到，真的很急，15号的飞机")
    filed = collecting(live, "desk-filed", description="杯子碎了<img src=x onerror=alert(1)>")
    response = live.call("PATCH", f"/api/tickets/{filed['id']}/intake",
                         json={"intake": "incomplete", "customer_deadline": "周五前<b>务必</b>"})
    assert response.status_code == 200, response.text

    log_in(page, live)
    row = page.locator(f'#queue-body tr[data-id="{being_collected["id"]}"]')
    row.wait_for()
    assert row.locator(".intake-collecting").inner_text() == "登记中"
    assert "顾客时限：15号的飞机" in row.inner_text()
    other = page.locator(f'#queue-body tr[data-id="{filed["id"]}"]')
    assert other.locator(".intake-incomplete").inner_text() == "信息不全（缺：订单号、诉求）"
    assert "顾客时限：周五前<b>务必</b>" in other.inner_text()  # the customer's words, as text

    page.goto(f"{live.base}/desk/tickets/{filed['id']}")
    page.wait_for_selector("#fields dt")
    fields = page.locator("#fields").inner_text()
    assert "信息不全（缺：订单号、诉求）" in fields and "周五前<b>务必</b>" in fields
    page.wait_for_selector("#events li.event-intake_updated")
    assert "更新登记：顾客时限、登记状态" in page.locator("#events").inner_text()
    assert page.evaluate("window.__csp") == []
