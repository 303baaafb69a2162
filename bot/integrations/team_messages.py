"""Webhook messages for the service lead: the early warning (`spike`) and the daily digest (`digest`).

Same four formats as the ticket notifications (bot.integrations.notify): 企业微信 and 钉钉
markdown, 飞书 text, plain JSON with the numbers as data. Every title contains "投诉" (钉钉
robots with keyword security need it). Customers' words (the spike's examples) are masked and
defused like the ticket notifications' descriptions; nothing else here comes from a customer.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from bot.integrations.notify import FORMATS, clean_customer_text, defuse_markdown

EXAMPLE_CHARS = 80
WEEKDAYS_ZH = "一二三四五六日"


def _day_text(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS_ZH[day.weekday()]}）"


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0")


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def _layout(fmt: str, kind: str, title: str, lines: list[str], url: str, data: dict[str, Any]) -> dict[str, Any]:
    """The request body: `lines` are plain text (already masked); markdown formats get them defused."""
    if fmt == "wecom":
        body = "\n".join([f"### {title}", *(f"> {defuse_markdown(line)}" for line in lines), f"[查看统计]({url})"])
        return {"msgtype": "markdown", "markdown": {"content": body}}
    if fmt == "dingtalk":
        body = "\n\n".join([f"### {title}", *(f"- {defuse_markdown(line)}" for line in lines), f"[查看统计]({url})"])
        return {"msgtype": "markdown", "markdown": {"title": title, "text": body}}
    text = "\n".join([title, *lines, f"统计：{url}"])
    if fmt == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    if fmt == "json":
        return {"event": kind, "title": title, "text": text, kind: data, "url": url}
    raise ValueError(f"unknown webhook format {fmt!r}; expected one of {', '.join(FORMATS)}")


def spike_payload(fmt: str, alert: dict[str, Any], examples: list[str], *, shop_name: str,
                  desk_url: str) -> dict[str, Any]:
    """One type spiking today: the count, the baseline and up to three examples (masked)."""
    count, baseline = alert["count"], alert["baseline"]
    ratio = f"，是日均的 {count / baseline:.1f} 倍" if baseline else "，过去没有这类投诉"
    cleaned = [clean_customer_text(text, EXAMPLE_CHARS) for text in examples]
    lines = [f"店铺：{shop_name}", f"问题类型：{alert['label']}",
             f"今天已登记：{count} 件", f"过去 14 天日均：{_number(baseline)} 件{ratio}"]
    lines += [f"例{n}：{text}" for n, text in enumerate(cleaned, start=1)]
    title = f"投诉预警：{alert['label']}今天已有 {count} 件"
    data = {**{key: alert[key] for key in ("issue_type", "label", "count", "baseline", "since")},
            "examples": cleaned}
    return _layout(fmt, "spike", title, lines, f"{desk_url.rstrip('/')}/desk/stats", data)


def digest_payload(fmt: str, digest: dict[str, Any], *, shop_name: str, desk_url: str) -> dict[str, Any]:
    """Yesterday in numbers, and what is waiting now."""
    day = date.fromisoformat(digest["day"])
    first = digest["first_response"]
    csat = digest["csat"]
    kinds = "、".join(f"{row['label']} {row['count']}" for row in digest["by_issue_type"]) or "无"
    lines = [
        f"店铺：{shop_name}",
        f"昨日新工单：{digest['tickets']} 件",
        f"按类型：{kinds}",
        f"首次响应准时率：{_percent(first['met_rate'])}（准时 {first['met']}，超时 {first['missed']}，"
        f"未到时限 {first['pending']}）",
        f"平均评分：{_number(csat['average'])} 分（{csat['count']} 条评价）" if csat["count"] else "平均评分：暂无评价",
        f"当前超时未处理：{digest['overdue_now']} 件",
        f"未完成的紧急工单：{digest['open_urgent']} 件",
    ]
    desk = desk_url.rstrip("/")
    url = f"{desk}/desk/stats?from={digest['day']}&to={digest['day']}"
    return _layout(fmt, "digest", f"投诉日报 {_day_text(day)}", lines, url, digest)
