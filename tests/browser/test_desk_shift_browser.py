"""The desk for a real shift, in headless Chromium (harness: tests/browser/test_desk_browser.py):
a customer waiting live appears at the top with a sound and a desktop notification; resolving a
ticket nobody answered asks for a reason, which the customer is told."""
from __future__ import annotations

import pytest
import requests

from tests.browser import test_desk_browser as desk
from tests.browser.test_desk_browser import SCREENSHOTS, create_ticket, log_in

live, browser, page = desk.live, desk.browser, desk.page  # the same fixtures, one live app for this module

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None

# A stand-in for the Notification API that records what the desk raised (permission granted).
FAKE_NOTIFICATION = """
window.__notes = [];
window.Notification = class {
  constructor(title, options) { window.__notes.push({ title, body: (options || {}).body }); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
"""


def join_live_queue(live, ticket: dict) -> None:
    """As when the assistant's answer was a hand-off and an agent is online (runs on the app's loop)."""
    stored = live.store.get_ticket(ticket["id"])
    live.loop.call_soon_threadsafe(live.app.ctx.handoff.queue.join, stored, stored["session_id"])


@pytest.mark.browser
def test_a_live_customer_appears_at_the_top_with_a_sound_and_a_notification(live, page):
    page.add_init_script(FAKE_NOTIFICATION)
    for n in range(3):
        create_ticket(live, f"lane-backlog-{n}", description=f"积压工单 {n}，快递还没到")
    log_in(page, live)
    page.wait_for_selector("#live.on")
    assert page.locator("#live-lane").is_hidden()
    assert page.locator("#presence").get_attribute("data-status") == "online"

    waiting = create_ticket(live, "lane-live-1", session_id="web-lane-1", issue_type="wrong_or_missing_item",
                            expectation="resend", description="收到的颜色发错了，想马上找人工")
    join_live_queue(live, waiting)
    item = page.locator(f'#live-list li[data-id="{waiting["id"]}"]')
    item.wait_for()
    assert page.locator("#live-lane").is_visible()
    lane_box, table_box = page.locator("#live-lane").bounding_box(), page.locator("#queue").bounding_box()
    assert lane_box["y"] < table_box["y"], "the live lane is above the queue"
    expect(item.locator(".live-wait")).to_contain_text("已等待 00:0")
    assert "第 1 位" in item.inner_text()
    page.wait_for_function("document.body.dataset.liveAlerts === '1'")  # the sound played
    notes = page.evaluate("window.__notes")
    assert notes and notes[0]["title"] == "有顾客在线等待人工" and waiting["id"] in notes[0]["body"]
    page.mouse.move(0, 0)
    page.screenshot(path=str(SCREENSHOTS / "desk-live-lane.png"))

    # Away: the switch says so and the customers' estimate no longer counts this agent.
    page.click("#presence")
    expect(page.locator("#presence")).to_have_attribute("data-status", "away")
    assert "lily" not in live.app.ctx.handoff.presence.online_agents()
    page.click("#presence")
    expect(page.locator("#presence")).to_have_attribute("data-status", "online")

    # Claimed: the customer leaves the lane.
    item.locator("a.btn").click()
    page.wait_for_url(f"{live.base}/desk/tickets/{waiting['id']}")
    page.click("#claim")
    page.wait_for_selector("#events li[data-action='assigned']")
    assert requests.get(f"{live.base}/api/chat/web-lane-1/messages", timeout=10).json()["mode"] == "human"


@pytest.mark.browser
def test_resolving_a_ticket_nobody_answered_asks_for_a_reason_the_customer_is_told(live, page):
    session = "web-reason-1"
    live.store.append_message(session, "customer", "我不要了，取消投诉吧")
    ticket = create_ticket(live, "reason-1", session_id=session, description="想取消这次投诉")
    log_in(page, live, path=f"/desk/tickets/{ticket['id']}")
    page.wait_for_selector("#transcript .bubble")
    page.click("#resolve")
    expect(page.locator("#reason-form")).to_be_visible()
    assert live.store.get_ticket(ticket["id"])["status"] == "new", "nothing is sent before a reason"
    page.select_option("#reason-choice", "")
    page.click("#reason-submit")
    expect(page.locator(".toast-error")).to_contain_text("请选择或填写原因")
    page.select_option("#reason-choice", label="顾客撤回")
    page.fill("#reason-text", "顾客在对话里说不要了")
    page.screenshot(path=str(SCREENSHOTS / "desk-resolve-reason.png"))
    page.click("#reason-submit")
    page.wait_for_selector("#head-status .status-resolved")
    expect(page.locator("#events")).to_contain_text("原因：您已撤回这次投诉，顾客在对话里说不要了")
    assert page.locator("#reason-form").is_hidden()
    chat = requests.get(f"{live.base}/api/chat/{session}/messages", timeout=10).json()["messages"]
    closing = [m for m in chat if m["meta"].get("kind") == "agent_done"]
    assert closing and "您已撤回这次投诉" in closing[-1]["text"]


@pytest.mark.browser
def test_a_photo_sent_from_the_widget_is_seen_on_the_desk(live, browser, page):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (40, 120, 200)).save(buffer, format="JPEG")
    shopper = browser.new_context(viewport={"width": 390, "height": 760}, locale="zh-CN").new_page()
    shopper.goto(f"{live.base}/")
    shopper.click(".sc-bubble")
    session = shopper.evaluate("ShopChat.sessionId()")
    shopper.set_input_files(".sc-photo-input", files=[{"name": "破损.jpg", "mimeType": "image/jpeg",
                                                       "buffer": buffer.getvalue()}])
    shopper.wait_for_selector(".sc-customer img.sc-image")
    shopper.screenshot(path=str(SCREENSHOTS / "widget-photo.png"))

    live.store.append_message(session, "customer", '/inform{"expectation": "resend"}', None,
                              {"button_title": "补发商品"})
    ticket = create_ticket(live, "photo-desk-1", session_id=session, issue_type="package_damaged_or_lost",
                           expectation="resend", description="杯子碎了，照片已发")
    log_in(page, live, path=f"/desk/tickets/{ticket['id']}")
    photo = page.locator("#transcript .bubble.from-customer .bubble-photo img")
    photo.wait_for()
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 120", arg=photo.element_handle())
    detail = live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]
    assert len(detail["attachments"]) == 1
    # The transcript shows the button the customer clicked, not its payload.
    clicked = page.locator("#transcript .bubble.from-customer .bubble-text").last
    assert clicked.inner_text() == "补发商品" and "/inform" not in page.locator("#transcript").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "desk-photo-transcript.png"))
    shopper.context.close()
