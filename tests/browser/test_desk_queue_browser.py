"""The queue's day-one tools in headless Chromium (harness: tests/browser/test_desk_browser.py):
paging past the first page with the total (共 N 条, 上一页 / 下一页, the page kept in the address),
bulk claim / assign / close with per-ticket outcomes in Chinese and one reason for all, and the
customer's earlier tickets on the ticket page, reached from the repeat-contact reason."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.browser import test_desk_browser as desk
from tests.browser.test_desk_browser import SCREENSHOTS, create_ticket, log_in
from tests.support.live_app import AgentClient

live, browser, page = desk.live, desk.browser, desk.page  # the same fixtures, one live app for this module

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None


@pytest.mark.browser
def test_the_queue_pages_past_the_first_hundred_with_a_count(live, page):
    for n in range(105):
        create_ticket(live, f"paging-{n}", order_number=f"PAGE{n:05d}", description=f"第 {n} 个包裹还没到")
    log_in(page, live)
    rows = page.locator("#queue-body tr")
    expect(rows).to_have_count(100)
    expect(page.locator("#queue-count")).to_have_text("共 105 条，第 1–100 条")
    expect(page.locator("#page-info")).to_have_text("第 1 / 2 页")
    assert page.locator("#page-prev").is_disabled() and page.locator("#page-next").is_enabled()
    first_page = set(rows.evaluate_all("(trs) => trs.map((tr) => tr.dataset.id)"))

    page.click("#page-next")
    expect(page.locator("#queue-count")).to_have_text("共 105 条，第 101–105 条")
    expect(rows).to_have_count(5)
    assert re.search(r"[?&]page=2\b", page.url)
    second_page = set(rows.evaluate_all("(trs) => trs.map((tr) => tr.dataset.id)"))
    assert not first_page & second_page, "no ticket is on both pages"
    assert page.locator("#page-next").is_disabled()
    page.locator("#pager").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "desk-queue-paging.png"))

    page.reload()  # the page is in the address
    expect(page.locator("#page-info")).to_have_text("第 2 / 2 页")
    expect(rows).to_have_count(5)
    page.click("#page-prev")
    expect(rows).to_have_count(100)
    # A new filter starts again at the first page.
    page.click("#page-next")
    expect(rows).to_have_count(5)
    page.fill("#f-q", "PAGE00007")
    expect(page.locator("#queue-count")).to_have_text("共 1 条")
    assert page.locator("#pager").is_hidden() and "page=" not in page.url


@pytest.mark.browser
def test_bulk_claim_assign_and_close_with_one_reason(live, page):
    free = create_ticket(live, "bulk-ui-free", order_number="BULK00001", description="少发了一个杯垫")
    held = create_ticket(live, "bulk-ui-held", order_number="BULK00002", description="颜色发错了")
    answered = create_ticket(live, "bulk-ui-answered", order_number="BULK00003", description="快递一直没更新")
    silent = create_ticket(live, "bulk-ui-silent", order_number="BULK00004", description="想取消这次投诉")
    max_agent = AgentClient(live, "max")
    max_agent.call("PATCH", f"/api/tickets/{held['id']}", json={"assignee": "max"})
    max_agent.call("POST", f"/api/tickets/{answered['id']}/replies", json={"text": "您好，已为您催促快递"})

    log_in(page, live, path="/desk?q=BULK")
    rows = page.locator("#queue-body tr")
    expect(rows).to_have_count(4)
    assert page.locator("#bulk-bar").is_hidden()
    page.check("#pick-all")
    expect(page.locator("#bulk-count")).to_have_text("已选 4 条")

    # Claim: a colleague's ticket is left alone and says why, in Chinese.
    page.click("#bulk-claim")
    result = page.locator("#bulk-result")
    expect(result).to_contain_text("批量认领：3 条成功，1 条未处理：")
    failure = result.locator(f"li[data-id='{held['id']}']")
    expect(failure).to_contain_text("已由 小马 负责，没有改派")
    assert live.store.get_ticket(free["id"])["assignee"] == "lily"
    assert live.store.get_ticket(held["id"])["assignee"] == "max"
    expect(page.locator("#bulk-count")).to_have_text("已选 1 条")  # the failed one stays ticked

    # Assign the untouched one to its holder's colleague… and back to lily: assign moves it.
    page.select_option("#bulk-assignee", "lily")
    page.click("#bulk-assign")
    expect(result).to_contain_text("批量分派：1 条成功。")
    assert live.store.get_ticket(held["id"])["assignee"] == "lily"

    # Close all four: one reason for all, asked for because two were never answered.
    page.check("#pick-all")
    page.click("#bulk-close")
    expect(page.locator("#bulk-reason")).to_be_visible()
    expect(page.locator("#bulk-reason-hint")).to_contain_text("将关闭 4 条工单，其中 3 条还没有人回复过顾客")
    page.select_option("#bulk-reason-choice", "")
    page.click("#bulk-reason-submit")
    expect(page.locator(".toast-error", has_text="请选择或填写原因")).to_be_visible()
    page.select_option("#bulk-reason-choice", label="已电话联系顾客并处理完毕")
    page.fill("#bulk-reason-text", "已统一电话回访")
    page.screenshot(path=str(SCREENSHOTS / "desk-bulk-close-reason.png"))
    page.click("#bulk-reason-submit")
    expect(result).to_contain_text("批量关闭：4 条成功。")
    expect(rows).to_have_count(0)  # the default filter shows unfinished tickets only
    assert page.locator("#bulk-bar").is_hidden() and page.locator("#bulk-reason").is_hidden()
    for ticket in (free, held, answered, silent):
        assert live.store.get_ticket(ticket["id"])["status"] == "closed"
    events = live.call("GET", f"/api/tickets/{silent['id']}").json()["ticket"]["events"]
    assert events[-1]["details"]["reason"] == "已电话联系您并处理完毕，已统一电话回访"
    page.screenshot(path=str(SCREENSHOTS / "desk-bulk-result.png"))


@pytest.mark.browser
def test_the_customers_earlier_tickets_are_linked_from_the_repeat_badge(live, page):
    now = datetime.now(timezone.utc)
    oldest = create_ticket(live, "hist-ui-1", customer_ref="cust-ui", order_number="HIST00001",
                           submitted_at=(now - timedelta(days=2)).isoformat(), description="上周买的台灯不亮")
    by_phone = create_ticket(live, "hist-ui-2", order_number="HIST00002", phone="13700001234",
                             submitted_at=(now - timedelta(days=1)).isoformat(), description="台灯换货还没寄出")
    create_ticket(live, "hist-ui-other", customer_ref="cust-someone-else", order_number="HIST00003",
                  submitted_at=(now - timedelta(hours=5)).isoformat(), description="别人的工单")
    current = create_ticket(live, "hist-ui-now", customer_ref="cust-ui", order_number="HIST00004",
                            phone="13700001234", description="台灯到底什么时候能换好")
    assert current["repeat_contacts"] == 1

    log_in(page, live, path=f"/desk/tickets/{current['id']}")
    items = page.locator("#history li[data-id]")
    expect(items).to_have_count(2)
    assert items.evaluate_all("(lis) => lis.map((li) => li.dataset.id)") == [by_phone["id"], oldest["id"]]
    expect(items.nth(0)).to_contain_text("相同：手机号")
    expect(items.nth(1)).to_contain_text("相同：顾客编号")
    expect(page.locator("#history-count")).to_have_text("之前 2 张")
    assert "别人的工单" not in page.locator("#history").inner_text()

    badge = page.locator("#risks a.to-history", has_text="7 天内第 2 次")
    expect(badge).to_be_visible()
    badge.click()
    expect(page.locator("#history-card")).to_have_class(re.compile(r"is-pointed"))
    expect(page.locator("#history-card")).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOTS / "desk-customer-history.png"))
    items.nth(1).locator("a").click()
    page.wait_for_url(f"{live.base}/desk/tickets/{oldest['id']}")
    expect(page.locator("#history")).to_contain_text("这位顾客之前没有其他工单。")
