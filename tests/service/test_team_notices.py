"""Early warnings and the daily digest reach the team's webhook once, even from two bot-service
processes: two apps served for real on one database run their notice loops every 50 ms against
a local webhook receiver, which must see exactly one spike message and one digest. Also: what the
messages say in each format (masked examples, numbers, the 钉钉 keyword) and when a digest is due.
The two-process test runs on a SQLite file and on PostgreSQL."""
from __future__ import annotations

import time
from datetime import date

import pytest

from bot.integrations.team_messages import digest_payload, spike_payload
from bot.services.digest import digest_day
from tests.support.live_app import LiveApp, Receiver, database_url, make_settings
from tests.support.stats_seed import local, seed_ticket

MONDAY_0859 = local("2026-11-23 08:59")
MONDAY_0930 = local("2026-11-23 09:30")


def seed(store) -> None:
    # Sunday: Y1 answered on time, Y2 late (rated 4), Y3 urgent and never answered (overdue now)
    seed_ticket(store, "2026-11-22 10:00", responded="2026-11-22 10:05", status="open", assignee="lily")
    seed_ticket(store, "2026-11-22 11:00", responded="2026-11-22 11:40", resolved="2026-11-22 12:00",
                status="resolved", assignee="lily", csat=4, csat_at="2026-11-22 12:10")
    seed_ticket(store, "2026-11-22 20:00", issue_type="product_quality", priority="urgent",
                first_response_minutes=5)
    # Monday night: 6 logistics complaints against 2 on the only day before: 6 ≥ 5 and ≥ 3 × 2
    for hour in range(6):
        seed_ticket(store, f"2026-11-23 0{hour}:00", first_response_minutes=600,
                    description=f"第{hour + 1}个：快递一周没动了，电话 1381234567{hour}，[点我](http://x.example)")


def team_events(receiver) -> list[str]:
    """The lead's messages among everything posted (the overdue ticket Y3 is also notified, once)."""
    return [r["json"]["event"] for r in receiver.requests if r["json"]["event"] in ("spike", "digest")]


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def two_processes(request, tmp_path, receiver):
    with database_url(request.param, tmp_path) as url:
        env = {"DATABASE_URL": url, "WEBHOOK_URL": receiver.url, "WEBHOOK_FORMAT": "json", "SHOP_NAME": "小满家居",
               "DIGEST_TIME": "09:00", "PUBLIC_URL": "http://desk.example:8000"}
        apps = []
        for name in ("a", "b"):  # two bot-service processes sharing one database
            (tmp_path / name).mkdir()
            apps.append(LiveApp(make_settings(tmp_path / name, **env)))
        seed(apps[0].store)
        for app in apps:
            app.app.ctx.escalation_interval = 3600
            app.app.ctx.notice_interval = 0.05
            app.set_clock(MONDAY_0859)
        for app in apps:
            app.start()
        yield apps
        for app in apps:
            app.stop()
            app.store.close()


def test_two_processes_send_exactly_one_spike_message_and_one_digest(two_processes, receiver):
    wait_for(lambda: team_events(receiver))
    time.sleep(1.0)  # some 20 more passes of each loop
    assert team_events(receiver) == ["spike"]  # 08:59: no digest yet
    for app in two_processes:
        app.set_clock(MONDAY_0930)
    wait_for(lambda: len(team_events(receiver)) >= 2)
    time.sleep(1.0)
    assert team_events(receiver) == ["spike", "digest"]

    spike = next(r["json"] for r in receiver.requests if r["json"]["event"] == "spike")
    assert spike["title"] == "投诉预警：物流延误今天已有 6 件"
    assert spike["spike"] == {
        "issue_type": "logistics_delay", "label": "物流延误", "count": 6, "baseline": 2.0,
        "since": "2026-11-23T00:00:00+08:00",
        "examples": [f"第{n}个：快递一周没动了，电话 138****567{n - 1}，[点我](http://x.example)" for n in (6, 5, 4)]}
    assert "过去 14 天日均：2 件，是日均的 3.0 倍" in spike["text"]
    assert spike["url"] == "http://desk.example:8000/desk/stats"
    assert "13812345675" not in spike["text"]

    digest = next(r["json"] for r in receiver.requests if r["json"]["event"] == "digest")
    assert digest["title"] == "投诉日报 11月22日（周日）"
    assert digest["digest"] == {
        "day": "2026-11-22", "tickets": 3,
        "by_issue_type": [{"issue_type": "logistics_delay", "label": "物流延误", "count": 2},
                          {"issue_type": "product_quality", "label": "质量问题", "count": 1}],
        "first_response": {"met": 1, "missed": 2, "pending": 0, "met_rate": 0.3333},
        "csat": {"count": 1, "average": 4.0},
        "overdue_now": 1, "open_urgent": 1,
    }
    for line in ("昨日新工单：3 件", "按类型：物流延误 2、质量问题 1",
                 "首次响应准时率：33%（准时 1，超时 2，未到时限 0）", "平均评分：4 分（1 条评价）",
                 "当前超时未处理：1 件", "未完成的紧急工单：1 件"):
        assert line in digest["text"]
    assert digest["url"] == "http://desk.example:8000/desk/stats?from=2026-11-22&to=2026-11-22"


async def test_a_shop_that_started_today_gets_no_empty_digest(tmp_path):
    from bot.integrations.notify import Notifier
    from bot.services.team_notices import notice_pass
    from bot.store import open_store

    settings = make_settings(tmp_path, DIGEST_TIME="09:00")
    store = open_store(settings.database_url)
    with Receiver() as receiver:
        notifier = Notifier(receiver.url, "json", backoff_seconds=0.01)
        try:
            seed_ticket(store, "2026-11-23 08:00")  # the very first ticket, this morning
            assert await notice_pass(store, settings, notifier, MONDAY_0930) == {"spikes": [], "digest": False}
            seed_ticket(store, "2026-11-20 12:00")  # a ticket from before today: now there is a yesterday
            assert await notice_pass(store, settings, notifier, MONDAY_0930) == {"spikes": [], "digest": True}
            assert await notice_pass(store, settings, notifier, MONDAY_0930) == {"spikes": [], "digest": False}
        finally:
            await notifier.close()
            store.close()
    assert [r["json"]["event"] for r in receiver.requests] == ["digest"]
    assert receiver.requests[0]["json"]["digest"]["tickets"] == 0  # nothing on Sunday, and it says so


ALERT = {"issue_type": "logistics_delay", "label": "物流延误", "count": 6, "baseline": 1.5,
         "since": "2026-11-23T00:00:00+08:00"}
EXAMPLES = ["快递没动，电话13812345678，**加急** [点我](http://evil.example)", "# 标题 还没到", "第三个"]
DIGEST = {"day": "2026-11-22", "tickets": 0, "by_issue_type": [],
          "first_response": {"met": 0, "missed": 0, "pending": 0, "met_rate": None},
          "csat": {"count": 0, "average": None}, "overdue_now": 0, "open_urgent": 0}


@pytest.mark.parametrize("fmt", ["wecom", "dingtalk", "feishu", "json"])
def test_every_format_masks_the_examples_and_names_the_complaint(fmt):
    spike = spike_payload(fmt, ALERT, EXAMPLES, shop_name="小满家居", desk_url="http://desk.example/")
    digest = digest_payload(fmt, DIGEST, shop_name="小满家居", desk_url="http://desk.example")
    for payload in (spike, digest):
        text = str(payload)
        assert "投诉" in text  # 钉钉 keyword security
        assert "13812345678" not in text and "138****5678" in str(spike).replace("＊", "*")
    if fmt in ("wecom", "dingtalk"):
        body = spike["markdown"]["content" if fmt == "wecom" else "text"]
        assert "[点我](http://evil.example)" not in body and "**加急**" not in body
        assert "# 标题" not in body and "＃ 标题" in body and "[查看统计](http://desk.example/desk/stats)" in body
    if fmt == "feishu":
        assert set(spike) == {"msg_type", "content"} and "是日均的 4.0 倍" in spike["content"]["text"]
    if fmt == "json":
        assert spike["spike"]["examples"][0] == "快递没动，电话138****5678，**加急** [点我](http://evil.example)"
        assert "平均评分：暂无评价" in digest["text"] and "首次响应准时率：—" in digest["text"]


@pytest.mark.parametrize("moment, expected", [
    ("2026-11-23 08:59", None),  # Monday, before DIGEST_TIME
    ("2026-11-23 09:00", date(2026, 11, 23)),
    ("2026-11-23 23:59", date(2026, 11, 23)),  # a process started late still sends it
    ("2026-11-28 10:00", None),  # Saturday: closed in this shop
    ("2026-10-01 10:00", None),  # 国庆节
    ("2026-10-10 10:00", date(2026, 10, 10)),  # Saturday, a make-up working day (调休)
])
def test_the_digest_is_due_from_its_time_on_days_the_shop_opens(tmp_path, moment, expected):
    settings = make_settings(tmp_path, BUSINESS_HOURS="mon-fri 09:00-18:00", FOLLOW_CHINA_HOLIDAYS="true",
                             DIGEST_TIME="09:00")
    assert digest_day(settings, local(moment)) == expected
    assert digest_day(make_settings(tmp_path, DIGEST_TIME="off"), local(moment)) is None
