"""Canned replies on the desk in headless Chromium (harness: tests/browser/test_desk_browser.py):
an agent adds one to the team's library, types "/" and part of its title in the reply box, picks
it with the keyboard and sends it; the customer's chat shows it. Assigning a ticket to a colleague
notifies them (a toast and a desktop notification) on the desk page they have open."""
from __future__ import annotations

import pytest
import requests

from tests.browser import test_desk_browser as desk
from tests.browser.test_desk_browser import SCREENSHOTS, create_ticket, log_in
from tests.browser.test_desk_shift_browser import FAKE_NOTIFICATION

live, browser, page = desk.live, desk.browser, desk.page  # the same fixtures, one live app for this module

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None

CANNED = "您好，已为您安排补发，新的快递单号会在 24 小时内短信通知您。"


@pytest.mark.browser
def test_a_canned_reply_is_added_and_inserted_with_slash(live, page):
    session = "web-canned-1"
    live.store.append_message(session, "customer", "少发了一个杯垫")
    ticket = create_ticket(live, "canned-1", session_id=session, issue_type="wrong_or_missing_item",
                           expectation="resend", description="少发了一个杯垫")
    log_in(page, live, path=f"/desk/tickets/{ticket['id']}")
    page.wait_for_selector("#transcript .bubble")
    page.click(".canned-library summary")
    expect(page.locator("#canned-list")).to_contain_text("还没有快捷回复")
    page.fill("#canned-title", "补发说明")
    page.select_option("#canned-issue", "wrong_or_missing_item")
    page.fill("#canned-body", CANNED)
    page.click("#canned-save")
    expect(page.locator("#canned-list li[data-id]")).to_have_count(1)

    page.click("#claim")
    page.wait_for_selector("#events li[data-action='assigned']")
    page.click("#reply-text")
    page.keyboard.type("/补发")
    option = page.locator("#canned-picker .canned-option")
    expect(option).to_have_count(1)
    expect(option).to_contain_text("补发说明")
    page.locator("#canned-picker").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "desk-canned-reply.png"))
    page.keyboard.press("Enter")
    assert page.locator("#canned-picker").is_hidden()
    assert page.input_value("#reply-text") == CANNED
    page.keyboard.press("Control+Enter")
    expect(page.locator("#transcript .bubble.from-agent").last).to_contain_text("已为您安排补发")
    chat = requests.get(f"{live.base}/api/chat/{session}/messages", timeout=10).json()["messages"]
    assert chat[-1]["sender"] == "agent" and chat[-1]["text"] == CANNED

    # "/" inside a sentence is just a slash.
    page.fill("#reply-text", "")
    page.keyboard.type("1/2")
    assert page.locator("#canned-picker").is_hidden()


@pytest.mark.browser
def test_assigning_to_a_colleague_notifies_them(live, browser, page):
    ticket = create_ticket(live, "assign-1", description="颜色发错了，想换货")
    colleague = browser.new_context(viewport=desk.VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    colleague.add_init_script(FAKE_NOTIFICATION)
    log_in(colleague, live, name="max")
    colleague.wait_for_selector("#live.on")

    log_in(page, live, path=f"/desk/tickets/{ticket['id']}")
    page.wait_for_selector("#assign-to option[value='max']", state="attached")
    assert page.locator("#assign-to option[value='lily']").count() == 0, "not offered to oneself"
    page.select_option("#assign-to", "max")
    page.click("#assign")
    expect(page.locator("#head-assignee")).to_contain_text("小马")
    assert live.store.get_ticket(ticket["id"])["assignee"] == "max"

    colleague.wait_for_function("document.body.dataset.assignedNotices === '1'")
    expect(colleague.locator(".toast").last).to_contain_text(f"把工单 {ticket['id']} 分派给了你")
    notes = colleague.evaluate("window.__notes")
    assert notes[-1]["title"] == "有工单分派给你" and ticket["id"] in notes[-1]["body"]
    colleague.screenshot(path=str(SCREENSHOTS / "desk-assigned-notice.png"))
    colleague.context.close()
