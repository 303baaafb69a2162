"""Shopper-side fixes in headless Chromium (harness: tests/browser/test_desk_browser.py, no Rasa):
a mis-tapped rating corrected in the chat (the desk shows the change); the rating buttons 5 → 1
and apart; message times under the bubbles; after a reload the unread badge counts only what is
new; the "网络已断开" banner goes away soon after the network is back."""
from __future__ import annotations

import pytest

from tests.browser import test_desk_browser as desk
from tests.browser.test_desk_browser import SCREENSHOTS, create_ticket, log_in
from tests.support.live_app import AgentClient

live, browser, page = desk.live, desk.browser, desk.page  # the same fixtures, one live app for this module

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None

PHONE = {"viewport": {"width": 390, "height": 760}, "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "timezone_id": "Asia/Shanghai"}


def open_widget(shopper, live) -> str:
    shopper.goto(f"{live.base}/")
    shopper.click(".sc-bubble")
    shopper.wait_for_selector(".sc-panel:not([hidden])")
    return shopper.evaluate("ShopChat.sessionId()")


def agent_answers_and_resolves(live, ticket: dict) -> None:
    lily = AgentClient(live, "lily")
    path = f"/api/tickets/{ticket['id']}"
    assert lily.call("PATCH", path, json={"assignee": "lily"}).status_code == 200
    assert lily.call("POST", f"{path}/replies", json={"text": "已经给您补发了，明天到"}).status_code in (200, 201)
    assert lily.call("PATCH", path, json={"status": "resolved"}).status_code == 200


@pytest.mark.browser
def test_a_mistapped_rating_is_corrected_and_the_desk_shows_it(live, browser, page):
    shopper = browser.new_context(**PHONE).new_page()
    session = open_widget(shopper, live)
    ticket = create_ticket(live, "fix-rating-1", session_id=session, description="杯子碎了")
    agent_answers_and_resolves(live, ticket)

    buttons = shopper.locator('.sc-msg[data-kind="rating_request"] .sc-choice')
    expect(buttons).to_have_count(5)
    assert [b.split()[0] for b in buttons.all_inner_texts()] == ["5", "4", "3", "2", "1"]
    boxes = [b.bounding_box() for b in buttons.all()]
    assert all(box["height"] >= 44 for box in boxes)
    for a, b in zip(boxes, boxes[1:], strict=False):
        apart = b["x"] - (a["x"] + a["width"]) if abs(a["y"] - b["y"]) < 1 else b["y"] - (a["y"] + a["height"])
        assert apart >= 8, "rating buttons are at least 8 px apart"

    buttons.last.click()  # the thumb slipped: 1 非常不满意
    expect(shopper.locator('.sc-msg[data-kind="rating_thanks"]')).to_have_count(1)
    assert live.store.get_ticket(ticket["id"])["csat"] == 1
    shopper.fill(".sc-input", "刚才点错了，应该是5分")
    shopper.press(".sc-input", "Enter")
    confirmation = shopper.locator('.sc-msg[data-sender="bot"][data-kind="rating_done"]')
    expect(confirmation).to_contain_text("已把您的评分改为 5 分")
    assert live.store.get_ticket(ticket["id"])["csat"] == 5
    assert shopper.locator('.sc-msg[data-kind="rating_done"]').count() == 1, "one confirmation"

    # Every message shows its time under the bubble, no hovering needed.
    shown_time = shopper.evaluate("""() => {
      const root = document.getElementById('shop-chat-widget').shadowRoot;
      const node = root.querySelector('.sc-msg.sc-customer[data-id]');
      return getComputedStyle(node, '::after').content;
    }""")
    assert shown_time.strip('"').count(":") == 1 and len(shown_time.strip('"')) == 5
    shopper.screenshot(path=str(SCREENSHOTS / "widget-rating-corrected.png"))
    shopper.context.close()

    log_in(page, live, path=f"/desk/tickets/{ticket['id']}")
    expect(page.locator("#events")).to_contain_text("顾客把评价从 1 分改为 5 分")


@pytest.mark.browser
def test_after_a_reload_the_badge_counts_only_new_messages_and_the_offline_banner_clears(live, browser):
    context = browser.new_context(**PHONE)
    shopper = context.new_page()
    session = open_widget(shopper, live)
    ticket = create_ticket(live, "fix-badge-1", session_id=session, description="快递还没到")
    lily = AgentClient(live, "lily")
    path = f"/api/tickets/{ticket['id']}"
    lily.call("PATCH", path, json={"assignee": "lily"})
    lily.call("POST", f"{path}/replies", json={"text": "您好，我来帮您查一下"})
    expect(shopper.locator('.sc-msg[data-sender="agent"][data-id]')).to_have_count(1)
    shopper.click(".sc-close")

    shopper.reload()
    shopper.wait_for_selector(".sc-bubble")
    shopper.wait_for_timeout(1500)  # history loaded, socket up
    assert shopper.locator(".sc-badge").is_hidden(), "messages already seen are not unread"
    lily.call("POST", f"{path}/replies", json={"text": "查到了，明天送达"})
    expect(shopper.locator(".sc-badge")).to_have_text("1")

    shopper.click(".sc-bubble")
    context.set_offline(True)
    banner = shopper.locator(".sc-conn")
    expect(banner).to_contain_text("网络已断开")
    context.set_offline(False)
    expect(banner).to_be_hidden(timeout=10_000)
    context.close()
