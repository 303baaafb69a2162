"""Accessibility of the widget and the desk in headless Chromium (harness: test_desk_browser.py):
every visible text has a WCAG contrast of at least 4.5:1 (3:1 when large), every keyboard focus
indicator at least 3:1 against what is around it, and the widget's panel on a phone keeps the
keyboard focus inside (Escape closes it and returns focus to the bubble).

The checker is written here rather than pulled in: it walks the computed styles of every visible
element with its own text (through the widget's shadow root), composes the backgrounds behind it
and computes the WCAG 2 ratio; for focus it presses Tab and reads the focused element's outline.
"""
from __future__ import annotations

import pytest

from tests.browser import test_desk_browser as desk
from tests.browser.test_desk_browser import SCREENSHOTS, create_ticket, log_in

live, browser, page = desk.live, desk.browser, desk.page  # the same fixtures, one live app for this module

PHONE = {"viewport": {"width": 390, "height": 760}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}

# Shared helpers: colour parsing, WCAG luminance/ratio, the background composed behind an element.
HELPERS = """
window.__a11y = (() => {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c || "");
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const up = (el) => el.parentElement || (el.getRootNode() && el.getRootNode().host) || null;
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = up(e)) chain.push(e);
    let color = [255, 255, 255, 1];
    for (const e of chain.reverse()) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg && bg[3] > 0) color = over(bg, color);
    }
    return color;
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = up(e)) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const all = (root, out = []) => {
    for (const el of root.querySelectorAll("*")) { out.push(el); if (el.shadowRoot) all(el.shadowRoot, out); }
    return out;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden" && opacity(el) > 0;
  };
  const disabled = (el) => !!el.closest("button:disabled, input:disabled, select:disabled, textarea:disabled");
  const deepActive = () => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a;
  };
  return { parse, ratio, over, up, background, opacity, describe, all, visible, disabled, deepActive };
})();
"""

TEXT_FAILURES = """
() => {
  const A = window.__a11y, failures = [];
  for (const el of A.all(document)) {
    if (!A.visible(el) || A.disabled(el) || ["SCRIPT", "STYLE", "OPTION"].includes(el.tagName)) continue;
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const field = ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) && (el.value || "").trim();
    if (!own && !field) continue;
    const style = getComputedStyle(el);
    const bg = A.background(el);
    let fg = A.parse(style.color);
    fg = A.over([fg[0], fg[1], fg[2], fg[3] * A.opacity(el)], bg);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const r = A.ratio(fg, bg);
    const text = (el.textContent || el.value).trim().slice(0, 20);
    if (r < need) failures.push(`${A.describe(el)} "${text}" ${r.toFixed(2)}:1`);
  }
  return failures;
}
"""

FOCUS_INDICATOR = """
() => {
  const A = window.__a11y, el = A.deepActive();
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const width = parseFloat(style.outlineWidth) || 0;
  const ring = A.parse(style.outlineColor);
  if (style.outlineStyle === "none" || width < 2 || !ring) return { who: A.describe(el), ratio: 0 };
  // An outline drawn inside the element sits on its own background; outside, on its parent's.
  const inside = parseFloat(style.outlineOffset) < 0;
  const behind = A.background(inside ? el : (A.up(el) || el));
  return { who: A.describe(el), ratio: A.ratio(ring, behind) };
}
"""


def contrast_failures(page) -> str:
    page.evaluate(HELPERS)
    return "\n".join(page.evaluate(TEXT_FAILURES))


def focus_failures(page, presses: int = 25) -> str:
    page.evaluate(HELPERS)
    failures, seen = [], 0
    for _ in range(presses):
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUS_INDICATOR)
        if found is None:
            continue
        seen += 1
        if found["ratio"] < 3:
            failures.append(f"{found['who']} {found['ratio']:.2f}:1")
    assert seen >= 3, "the keyboard reached almost nothing"
    return "\n".join(sorted(set(failures)))


@pytest.mark.browser
def test_desk_queue_and_ticket_meet_contrast_and_focus_minimums(live, page):
    create_ticket(live, "a11y-urgent", description="电水壶漏电，我要打 12315 投诉")
    ticket = create_ticket(live, "a11y-normal", description="快递五天了还没到，麻烦催一下")
    live.store.append_message(ticket["session_id"], "customer", "快递五天了还没到")
    log_in(page, live)
    page.wait_for_selector("#queue tbody tr[data-id]")
    assert contrast_failures(page) == ""
    assert focus_failures(page, presses=6) == ""
    page.screenshot(path=str(SCREENSHOTS / "desk-focus-ring.png"))
    assert focus_failures(page) == ""

    page.goto(f"{live.base}/desk/tickets/{ticket['id']}")
    page.wait_for_selector("#transcript .bubble")
    assert contrast_failures(page) == ""
    assert focus_failures(page, presses=40) == ""


@pytest.mark.browser
def test_widget_meets_contrast_and_focus_minimums_and_keeps_focus_in_the_phone_panel(live, browser):
    context = browser.new_context(**PHONE)
    shopper = context.new_page()
    errors: list[str] = []
    shopper.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        shopper.goto(f"{live.base}/")
        shopper.wait_for_selector(".sc-bubble")
        shopper.evaluate(HELPERS)
        assert contrast_failures(shopper) == ""
        shopper.click(".sc-bubble")
        shopper.wait_for_selector(".sc-panel:not([hidden])")
        shopper.fill(".sc-input", "快递还没到")
        shopper.press(".sc-input", "Enter")
        shopper.wait_for_selector(".sc-msg.sc-customer[data-id]")
        assert contrast_failures(shopper) == ""
        assert focus_failures(shopper, presses=12) == ""

        # Focus stays inside the open panel, both ways round.
        for key in ["Tab"] * 10 + ["Shift+Tab"] * 10:
            shopper.keyboard.press(key)
            inside = shopper.evaluate("() => { const a = window.__a11y.deepActive();"
                                      " return !!(a && a.closest && a.closest('.sc-panel')); }")
            assert inside, f"focus left the panel after {key}"
        shopper.screenshot(path=str(SCREENSHOTS / "widget-accessible-phone.png"))
        shopper.keyboard.press("Escape")
        assert shopper.locator(".sc-panel").is_hidden()
        assert shopper.evaluate("() => window.__a11y.deepActive().classList.contains('sc-bubble')")
    finally:
        context.close()
    assert not errors, errors
