"""The agent desk in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)
against the bot service served for real on loopback with a SQLite file; no Rasa needed.

The journey: an agent logs in, sees a new urgent ticket (the customer mentioned 12315) at the top
of the queue with a running countdown, a ticket created through the API appears without a reload,
the agent opens the ticket, reads the whole conversation (and a new message arriving live), uses a
suggested next step, claims, replies (the customer's chat shows it), adds a note and resolves; the
audit trail shows each step. A second test proves that a customer's `<script>`/`<img onerror>`
text is shown as text and never runs. The page routes' plain-HTTP behaviour (login redirects,
security headers, no echoed query text) is checked without a browser at the end.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tests.support.live_app import LiveApp, add_agent, make_settings, ticket_body

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the plain-HTTP tests below still run
    expect = sync_playwright = None

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "correct horse 1"
XSS_DESCRIPTION = '<script>window.__xss = "script"</script><img src=x onerror="window.__xss = \'img\'; alert(1)">漏发了'
# Collects any Content-Security-Policy violation: text rendered as text never even tries to run.
WATCH_CSP = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "(e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("desk_browser"), SHOP_NAME="小鹿家居旗舰店"))
    running.app.ctx.escalation_interval = 3600  # an escalation pass would change priorities mid-test
    running.start()
    add_agent(running.store, "lily", PASSWORD, display_name="丽丽")
    add_agent(running.store, "max", PASSWORD, display_name="小马")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        pytest.skip("browser tests need Playwright for Python (requirements-dev.txt)")
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium); "
                    "Playwright's own browser downloads are not used")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    opened.add_init_script(WATCH_CSP)
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors on the desk: {errors}"


def create_ticket(live, key: str, **fields) -> dict:
    response = live.call("POST", "/api/tickets", json=ticket_body(key, **fields))
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def log_in(page, live, name: str = "lily", path: str = "/desk") -> None:
    page.goto(f"{live.base}{path}")
    page.wait_for_url(re.compile(r"/desk/login\?next="))
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{live.base}{path}")


def audit_actions(live, ticket_id: str) -> list[str]:
    ticket = live.call("GET", f"/api/tickets/{ticket_id}").json()["ticket"]
    return [event["action"] for event in ticket["events"]]


@pytest.mark.browser
def test_agent_journey_from_urgent_ticket_to_resolution(live, page):
    # Yesterday's ordinary ticket, one already past its promised first response, and the urgent one.
    create_ticket(live, "journey-normal", description="快递五天了还没到，麻烦催一下")
    overdue = create_ticket(live, "journey-overdue", issue_type="promotion_issue", expectation="refund",
                            description="满减没有生效，多付了 20 元",
                            submitted_at=(datetime.now(timezone.utc) - timedelta(minutes=40)).isoformat())
    assert overdue["overdue"] is True
    session = "web-journey-1"
    conversation = [
        ("customer", "你们的电水壶用了两天就漏电了！订单号 4512345678901234567"),
        ("bot", "非常抱歉给您带来这么不好的体验！请问您希望怎么处理呢？"),
        ("customer", "退货退款，再不处理我就打 12315 投诉"),
        ("bot", "明白，已为您记录，客服同事会在 5 分钟内联系您。"),
    ]
    for sender, text in conversation:
        live.store.append_message(session, sender, text)
    urgent = create_ticket(live, "journey-urgent", session_id=session, issue_type="product_quality",
                           expectation="return_refund", phone="13812345678",
                           description="电水壶用了两天就漏电了，差点出事，再不处理我就打12315投诉")
    assert urgent["priority"] == "urgent"

    # Logging in: a wrong password is explained in Chinese, the right one opens the queue.
    page.goto(f"{live.base}/desk")
    page.wait_for_url(re.compile(r"/desk/login\?next="))
    page.fill("#name", "lily")
    page.fill("#password", "wrong password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_contain_text("账号或密码不正确")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{live.base}/desk")

    # The urgent ticket is on top with a countdown that runs.
    page.wait_for_selector(f'#queue-body tr[data-id="{urgent["id"]}"]')
    first = page.locator("#queue-body tr").first
    assert first.get_attribute("data-id") == urgent["id"]
    assert first.locator(".badge.priority-urgent").inner_text() == "紧急"
    assert "质量问题" in first.inner_text() and "4512345678901234567" in first.inner_text()
    countdown = first.locator("[data-countdown]")
    before = countdown.inner_text()
    assert re.fullmatch(r"剩余 0[0-5]:\d\d", before), before
    expect(countdown).not_to_have_text(before, timeout=3000)
    late = page.locator(f'#queue-body tr[data-id="{overdue["id"]}"] [data-countdown]')
    assert late.inner_text().startswith("已超时 ") and "overdue" in late.get_attribute("class")
    assert "丽丽" in page.locator("#whoami").inner_text()

    # A ticket created meanwhile appears without a reload, highlighted.
    page.evaluate("window.__same_page = true")
    page.wait_for_selector("#live.on")
    arrived = create_ticket(live, "journey-live", issue_type="package_damaged_or_lost", expectation="resend",
                            description="包裹外箱压坏了，里面的杯子碎了两个")
    page.wait_for_selector(f'#queue-body tr.is-new[data-id="{arrived["id"]}"]')
    assert page.evaluate("window.__same_page") is True
    assert arrived["id"] in page.locator("#queue-news").inner_text()
    assert page.locator("#queue-body tr").first.get_attribute("data-id") == urgent["id"]

    # Filters and search by order number or phone digits (phones are never shown unmasked).
    rows = page.locator("#queue-body tr")
    page.select_option("#f-priority", "urgent")
    expect(rows).to_have_count(1)
    page.select_option("#f-priority", "")
    expect(rows).to_have_count(4)
    page.fill("#f-q", "13812345678")
    expect(rows).to_have_count(1)
    assert page.locator("#queue-body tr").first.get_attribute("data-id") == urgent["id"]
    assert "q=13812345678" in page.url
    page.fill("#f-q", "")
    expect(rows).to_have_count(4)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(SCREENSHOTS / "desk-queue.png"))

    # The ticket page: every field, risk flags with reasons, and the whole conversation.
    page.click(f'#queue-body tr[data-id="{urgent["id"]}"] a.ticket-id')
    page.wait_for_url(f"{live.base}/desk/tickets/{urgent['id']}")
    page.wait_for_selector("#transcript .bubble")
    assert page.locator("#description").inner_text() == urgent["description"]
    bubbles = page.locator("#transcript .bubble")
    assert bubbles.count() == len(conversation)
    for index, (sender, text) in enumerate(conversation):
        assert text in bubbles.nth(index).inner_text()
        assert f"from-{sender}" in bubbles.nth(index).get_attribute("class")
    fields = page.locator("#fields").inner_text()
    for expected in ("4512345678901234567", "质量问题", "退货退款", "138****5678", "待处理", "未认领"):
        assert expected in fields
    assert "13812345678" not in page.content()
    risks = page.locator("#risks").inner_text()
    assert "提到监管部门" in risks and "12315" in risks and "人身安全" in risks
    assert re.fullmatch(r"剩余 0[0-5]:\d\d", page.locator("#head-countdown").inner_text())

    # A new message from the customer shows up live.
    live.store.append_message(session, "customer", "人呢？我在等你们回复")
    expect(bubbles).to_have_count(5)
    assert "人呢？" in bubbles.last.inner_text()

    # Suggested next steps: at least two options; a button only fills the reply box.
    page.wait_for_selector("#suggestions li")
    options = page.locator("#suggestions li")
    assert options.count() >= 2
    titles = page.locator("#suggestions").inner_text()
    assert "同意退货退款，提供上门取件并承担运费" in titles and "先补偿小额红包请顾客保留商品" in titles
    page.click("#suggestions li[data-key='return_refund.pickup'] button.use-suggestion")
    draft = page.input_value("#reply-text")
    assert "退货退款" in draft and "4512345678901234567" in draft
    chat = requests.get(f"{live.base}/api/chat/{session}/messages", timeout=10).json()["messages"]
    assert [m["sender"] for m in chat].count("agent") == 0, "a suggestion must never be sent by itself"

    # Claim, reply, note, resolve.
    page.click("#claim")
    page.wait_for_selector("#events li[data-action='assigned']")
    assert "丽丽" in page.locator("#head-assignee").inner_text()
    assert page.locator("#claim").is_hidden() and page.locator("#release").is_visible()
    reply = "您好，我是客服丽丽。非常抱歉！漏电非常危险，请先停止使用。我们同意为您退货退款，今天安排上门取件。"
    page.fill("#reply-text", reply)
    page.click("#send-reply")
    page.wait_for_selector("#transcript .bubble.from-agent")
    assert reply in page.locator("#transcript .bubble.from-agent").last.inner_text()
    assert page.input_value("#reply-text") == ""
    chat = requests.get(f"{live.base}/api/chat/{session}/messages", timeout=10).json()["messages"]
    assert any(m["sender"] == "agent" and m["text"] == reply for m in chat), chat
    page.fill("#note-text", "已电话联系顾客，仓库排查同批次电水壶。")
    page.click("#add-note")
    page.wait_for_selector("#events li[data-action='note']")
    page.click("#resolve")
    page.wait_for_selector("#head-status .status-resolved")
    expect(page.locator("#events")).to_contain_text("已解决")
    trail = page.locator("#events").inner_text()
    for step in ("认领了工单", "首次回复了顾客", reply, "已电话联系顾客", "状态：处理中 → 已解决"):
        assert step in trail
    assert "done" in page.locator("#head-countdown").get_attribute("class")
    assert page.locator("#resolve").is_disabled()
    page.evaluate("document.querySelectorAll('.toast').forEach((t) => t.remove()); window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "desk-ticket.png"))

    actions = audit_actions(live, urgent["id"])
    for action in ("created", "assigned", "replied", "note", "status_changed"):
        assert action in actions
    resolved_at = len(actions) - 1 - actions[::-1].index("status_changed")
    assert actions.index("assigned") < actions.index("replied") < resolved_at
    assert page.evaluate("window.__csp") == []

    # The lead's statistics count the same tickets.
    page.click("nav a[href='/desk/stats']")
    page.wait_for_selector("body[data-ready='1']")  # tests/browser/test_stats_browser.py tests the page itself
    expect(page.locator("#stat-cards .stat-card")).to_have_count(8)
    expect(page.locator("#stat-cards")).to_contain_text("顾客撤销")
    expect(page.locator("#issue-table")).to_contain_text("质量问题")
    assert page.evaluate("window.__csp") == []


@pytest.mark.browser
def test_customer_text_is_shown_as_text_and_never_runs(live, page):
    session = "web-xss-1"
    live.store.append_message(session, "customer", XSS_DESCRIPTION)
    live.store.append_message(session, "customer", "<b>加粗</b><iframe src=javascript:alert(2)></iframe>")
    ticket = create_ticket(live, "xss-1", session_id=session, issue_type="wrong_or_missing_item", expectation="resend",
                           customer_ref='<img src=x onerror="window.__xss=\'ref\'">', description=XSS_DESCRIPTION)
    noted = live.call("PATCH", f"/api/tickets/{ticket['id']}", json={"note": "<svg onload=\"window.__xss='note'\">"})
    assert noted.status_code == 200
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    log_in(page, live, "max")
    row = page.locator(f'#queue-body tr[data-id="{ticket["id"]}"]')
    row.wait_for()
    assert "<script>" in row.locator(".desc").inner_text()
    assert row.locator("img, script").count() == 0

    page.goto(f"{live.base}/desk/tickets/{ticket['id']}")
    page.wait_for_selector("#transcript .bubble")
    assert page.locator("#description").inner_text() == XSS_DESCRIPTION
    assert "<b>加粗</b>" in page.locator("#transcript").inner_text()
    assert "<svg onload" in page.locator("#events").inner_text()
    assert "onerror" in page.locator("#fields").inner_text()
    rendered = page.locator("main img, main script, main iframe, main svg, main b")
    assert rendered.count() == 0
    page.wait_for_timeout(300)  # give any injected handler a chance to fire
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert page.evaluate("window.__csp") == [], "nothing should even try to run"


# -- the page routes over plain HTTP ------------------------------------------------------------------

def test_desk_pages_need_a_login_and_send_security_headers(live):
    for path in ("/desk", "/desk/stats", "/desk/tickets/TK-20261123-0001"):
        response = requests.get(f"{live.base}{path}", allow_redirects=False, timeout=10)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/desk/login?next=%2Fdesk")
    login = requests.get(f"{live.base}/desk/login", timeout=10)
    assert login.status_code == 200 and "<form" in login.text and 'action="/desk/login"' in login.text
    policy = login.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert login.headers["x-content-type-options"] == "nosniff"


def test_login_page_never_echoes_the_query(live):
    attack = "<script>alert(1)</script>"
    response = requests.get(f"{live.base}/desk/login", params={"error": attack, "next": f'/desk"><{attack}'},
                            timeout=10)
    assert response.status_code == 200
    assert attack not in response.text and '"><' not in response.text
    shown = requests.get(f"{live.base}/desk/login", params={"error": "invalid_credentials"}, timeout=10)
    assert "账号或密码不正确" in shown.text
    offsite = requests.get(f"{live.base}/desk/login", params={"next": "//evil.example/desk"}, timeout=10)
    assert 'value="/desk"' in offsite.text


def test_form_login_sends_the_agent_on_and_the_assets_are_served(live):
    http = requests.Session()
    form = {"name": "lily", "password": PASSWORD, "next": "/desk/stats"}
    response = http.post(f"{live.base}/desk/login", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 303 and response.headers["location"] == "/desk/stats"
    page = http.get(f"{live.base}/desk/stats", allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "统计" in page.text
    missing = http.get(f"{live.base}/desk/tickets/TK-20000101-9999", allow_redirects=False, timeout=10)
    assert missing.status_code == 404 and "找不到这个工单" in missing.text
    script = http.get(f"{live.base}/desk/assets/common.js", timeout=10)
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    for name in ("..%2Fapp.py", "queue.html", "nope.js", "%2E%2E%2Fsuggestions.py"):
        assert http.get(f"{live.base}/desk/assets/{name}", timeout=10).status_code == 404
