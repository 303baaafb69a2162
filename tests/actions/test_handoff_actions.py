"""转人工, progress questions and ratings: real Trackers, a real dispatcher, and the bot service as a
real HTTP server on loopback (or a closed port when it is down)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionCheckProgress, ActionHandoff, ActionRecordRating
from tests.support.actions import (
    DOMAIN,
    SENDER,
    SHOP_TZ,
    TAOBAO,
    TOKEN,
    LocalServer,
    Reply,
    action,
    closed_now_hours,
    created_ticket,
    entity,
    in_form,
    outbox_rows,
    payloads,
    responses,
    set_up_shop,
    slot,
    slot_values,
    texts,
    tracker,
    user,
)

TICKET = "TK-20261123-0007"


def opening_day(hour: int) -> str:
    return "今天" if hour > datetime.now(SHOP_TZ).hour else "明天"


def mid_form_handoff() -> list[dict]:
    """The customer asks for a person while the form waits for their wish."""
    history = in_form("快递三天没动了 急用的", "complain_logistics_delay",
                      filled={"order_number": TAOBAO, "order_number_status": "verified"}, requested="expectation")
    return [*history, user("转人工", "request_human")]


# -- hand-off --------------------------------------------------------------------------------------------

async def test_handoff_files_what_was_collected_and_leaves_the_form(monkeypatch, tmp_path):
    with LocalServer(lambda request: created_ticket(request.body, due_text="今天 14:05 前")) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        dispatcher = CollectingDispatcher()
        events = await ActionHandoff().run(dispatcher, tracker(mid_form_handoff()), DOMAIN)

    [request] = service.requests_to("/api/tickets")
    body = request.body
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert body["handoff_requested"] is True
    assert body["session_id"] == SENDER
    assert body["order_number"] == TAOBAO and body["order_number_status"] == "verified"
    assert body["issue_type"] == "logistics_delay"
    assert body["expectation"] == "other"  # not asked yet: the agent will
    assert body["description"] == "快递三天没动了 急用的"

    assert events[0]["event"] == "active_loop" and events[0]["name"] is None
    values = slot_values(events)
    assert values["requested_slot"] is None
    assert values["order_number"] is None and values["issue_type"] is None
    assert values["ticket_id"] == TICKET

    text = texts(dispatcher)
    assert f"马上为您转人工客服（工单号 {TICKET}）" in text
    assert "不用再重复" in text
    assert "今天 14:05 前" in text
    assert "非工作时间" not in text


async def test_a_wish_said_with_the_handoff_request_reaches_the_ticket(monkeypatch, tmp_path):
    history = in_form("快递三天没动了 急用的", "complain_logistics_delay",
                      filled={"order_number": TAOBAO, "order_number_status": "verified"}, requested="expectation")
    with LocalServer(lambda request: created_ticket(request.body)) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        await ActionHandoff().run(CollectingDispatcher(), tracker(
            [*history, user("我要求赔偿损失，别跟我扯别的，叫你们负责人来", "request_human")]), DOMAIN)

    [request] = service.requests_to("/api/tickets")
    assert request.body["expectation"] == "compensation"


async def test_a_handoff_request_that_describes_the_problem_files_it_under_that_type(monkeypatch, tmp_path):
    async def handoff(text: str, courier: float, sender: str) -> dict:
        message = user(text, "request_human", confidence=0.6)
        message["parse_data"]["intent_ranking"] = [{"name": "request_human", "confidence": 0.6},
                                                   {"name": "complain_courier_attitude", "confidence": courier}]
        with LocalServer(lambda request: created_ticket(request.body)) as service:
            set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
            await ActionHandoff().run(CollectingDispatcher(), tracker([message], sender_id=sender), DOMAIN)
        [request] = service.requests_to("/api/tickets")
        return request.body

    assert (await handoff("送件的人太凶了，找个人来", 0.3, "s-courier"))["issue_type"] == "courier_attitude"
    assert (await handoff("转人工", 0.05, "s-plain"))["issue_type"] == "other_complaint"


async def test_handoff_off_hours_says_when_people_are_back_and_when_they_will_reply(monkeypatch, tmp_path):
    hours, opening_hour = closed_now_hours()
    set_up_shop(monkeypatch, tmp_path, BUSINESS_HOURS=hours)  # the bot service is down too
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker(mid_form_handoff()), DOMAIN)

    text = texts(dispatcher)
    assert "非工作时间" in text
    assert f"客服{opening_day(opening_hour)}" in text and f"{opening_hour:02d}:00上班" in text
    # "急用的" says the customer is in a hurry (issue 11): high priority, 10 minutes after opening.
    assert f"最晚{opening_day(opening_hour)}" in text and f"{opening_hour:02d}:10 前" in text
    assert "马上" not in text  # nobody is there right now
    assert events[0]["name"] is None


async def test_handoff_off_hours_names_the_ticket_number(monkeypatch, tmp_path):
    hours, opening_hour = closed_now_hours()
    with LocalServer(lambda request: created_ticket(request.body, due_text="明天 09:15 前")) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url, BUSINESS_HOURS=hours)
        dispatcher = CollectingDispatcher()
        await ActionHandoff().run(dispatcher, tracker(mid_form_handoff()), DOMAIN)

    assert responses(dispatcher) == ["utter_handoff_off_hours"]
    text = texts(dispatcher)
    assert "非工作时间" in text and f"{opening_hour:02d}:00上班" in text
    assert f"转给客服（工单号 {TICKET}），最晚明天 09:15 前会联系您" in text


async def test_handoff_with_the_bot_service_down_keeps_the_ticket(monkeypatch, tmp_path):
    settings, _client = set_up_shop(monkeypatch, tmp_path)
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker(mid_form_handoff()), DOMAIN)

    [row] = outbox_rows(settings.outbox_path)
    assert row["payload"]["handoff_requested"] is True
    assert slot_values(events)["ticket_id"] == row["idempotency_key"]
    assert "马上为您转人工客服。" in texts(dispatcher)  # no ticket number to give, no failure to admit


async def test_handoff_without_a_form_uses_the_customers_words(monkeypatch, tmp_path):
    with LocalServer(lambda request: created_ticket(request.body)) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        events = [action("action_listen"), user("你们这个机器人听不懂 我要找真人", "request_human")]
        await ActionHandoff().run(CollectingDispatcher(), tracker(events), DOMAIN)

    body = service.received[0].body
    assert body["description"] == "你们这个机器人听不懂 我要找真人"
    assert body["issue_type"] == "other_complaint"
    assert body["order_number"] is None and body["order_number_status"] == "unknown"


# -- progress ---------------------------------------------------------------------------------------------

def progress_ticket(**fields) -> dict:
    """A ticket as GET /api/progress returns it (bot/services/tickets/views.py `customer_view`)."""
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    ticket = {"id": TICKET, "status": "new", "status_label": "待处理", "issue_type": "logistics_delay",
              "issue_type_label": "物流延误", "expectation": "expedite", "order_number": TAOBAO,
              "created_at": (now - timedelta(minutes=5)).isoformat(),
              "first_response_due": (now + timedelta(hours=2)).isoformat(),
              "resolution_due": (now + timedelta(hours=30)).isoformat(),
              "first_responded": False, "resolved_at": None, "csat": None,
              "summary": "已登记，客服会在今天 18:15 前联系您。"}
    ticket.update(fields)
    return ticket


def asks_progress(text: str = "我的投诉怎么样了", customer_ref: str | None = "cust-42",
                  signed_for: str | None = SENDER):
    metadata = {"customer_ref": customer_ref} if customer_ref else {}
    return tracker([action("action_listen"), user(text, "ask_progress", metadata=metadata, signed_for=signed_for)])


def clock(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(SHOP_TZ).strftime("%H:%M")


async def test_progress_asks_only_for_this_customers_tickets(monkeypatch, tmp_path):
    ticket = progress_ticket()
    with LocalServer(lambda request: Reply(200, {"tickets": [ticket]})) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        dispatcher = CollectingDispatcher()
        assert await ActionCheckProgress().run(dispatcher, asks_progress(), DOMAIN) == []

    [request] = service.received
    assert (request.method, request.path) == ("GET", "/api/progress")
    assert request.query == {"session_id": [SENDER], "customer_ref": ["cust-42"]}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    text = texts(dispatcher)
    assert "帮您查到了" in text
    assert f"{TICKET}（物流延误，待处理）已登记，客服会在今天 18:15 前联系您。" in text


async def test_progress_for_a_named_ticket_still_asks_as_this_session(monkeypatch, tmp_path):
    with LocalServer(lambda request: Reply(200, {"tickets": [progress_ticket()]})) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        await ActionCheckProgress().run(CollectingDispatcher(), asks_progress(f"{TICKET.lower()} 处理到哪了", None),
                                        DOMAIN)

    assert service.received[0].raw_query == f"session_id={SENDER}&ticket_id={TICKET}"


async def test_progress_with_no_tickets_offers_to_register_one(monkeypatch, tmp_path):
    with LocalServer(lambda request: Reply(200, {"tickets": []})) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        dispatcher = CollectingDispatcher()
        await ActionCheckProgress().run(dispatcher, asks_progress(), DOMAIN)

    assert len(service.received) == 1
    assert "暂时没有查到您的投诉记录" in texts(dispatcher)


@pytest.mark.parametrize("failure", ["refused", "500"])
async def test_progress_with_the_service_down_apologises_and_offers_a_human(monkeypatch, tmp_path, failure):
    with LocalServer(lambda request: Reply(500, {"error": "boom"})) as service:
        env = {"BOT_SERVICE_URL": service.url} if failure == "500" else {}
        set_up_shop(monkeypatch, tmp_path, **env)
        dispatcher = CollectingDispatcher()
        await ActionCheckProgress().run(dispatcher, asks_progress(), DOMAIN)

    assert len(service.received) == (1 if failure == "500" else 0)
    assert "进度暂时没查到" in texts(dispatcher) and "转人工" in texts(dispatcher)


async def test_someone_elses_ticket_number_is_not_found_in_your_records(monkeypatch, tmp_path):
    not_found = Reply(404, {"error": {"code": "ticket_not_found", "message": "找不到这个工单。"}})
    with LocalServer(lambda request: not_found) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        dispatcher = CollectingDispatcher()
        await ActionCheckProgress().run(dispatcher, asks_progress("TK-20261101-0001 怎么样了"), DOMAIN)

    assert "没有在您的记录里找到 TK-20261101-0001" in texts(dispatcher)


@pytest.mark.parametrize("signed_for", [None, "web-someone-else"])
async def test_progress_without_the_bot_services_signature_reads_nothing(monkeypatch, tmp_path, signed_for):
    with LocalServer(lambda request: Reply(200, {"tickets": [progress_ticket()]})) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        dispatcher = CollectingDispatcher()
        await ActionCheckProgress().run(dispatcher, asks_progress(signed_for=signed_for), DOMAIN)

    assert service.received == []
    assert TICKET not in texts(dispatcher) and "转人工" in texts(dispatcher)


# -- rating -------------------------------------------------------------------------------------------------

def rated(text: str, entities=(), ticket_id: str | None = TICKET, signed_for: str | None = SENDER):
    return tracker([slot("ticket_id", ticket_id), action("utter_ask_rating"), action("action_listen"),
                    user(text, "rate", entities=entities, signed_for=signed_for)])


async def test_a_rating_without_the_bot_services_signature_is_not_posted(csat_service):
    await ActionRecordRating().run(CollectingDispatcher(), rated("1分", signed_for=None), DOMAIN)
    await ActionRecordRating().run(CollectingDispatcher(), rated("1分", signed_for="web-someone-else"), DOMAIN)
    assert csat_service.received == []


@pytest.fixture
def csat_service(monkeypatch, tmp_path):
    with LocalServer(lambda request: Reply(200, {"ticket": {"id": TICKET, "csat": request.body["score"]}})) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        yield service


@pytest.mark.parametrize("text, entities, score", [
    ("5分", [], 5),
    ("非常满意", [], 5),
    ('/rate{"rating": 5}', [entity("rating", 5)], 5),  # the button
    ("给个4星吧", [], 4),
    ("３分", [], 3),
])
async def test_a_good_rating_is_posted_with_its_score(csat_service, text, entities, score):
    dispatcher = CollectingDispatcher()
    assert await ActionRecordRating().run(dispatcher, rated(text, entities), DOMAIN) == []

    [request] = csat_service.received
    assert (request.method, request.path) == ("POST", f"/api/tickets/{TICKET}/csat")
    assert request.body["score"] == score
    assert request.body["session_id"] == SENDER
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert ("谢谢您的评价" in texts(dispatcher)) == (score >= 4)


@pytest.mark.parametrize("text, score", [("不满意", 2), ("非常不满意", 1), ("太差了", 1), ("一般吧", 3)])
async def test_a_poor_rating_is_posted_and_answered_with_an_apology(csat_service, text, score):
    dispatcher = CollectingDispatcher()
    await ActionRecordRating().run(dispatcher, rated(text), DOMAIN)

    assert csat_service.received[0].body == {"session_id": SENDER, "score": score, "comment": text}
    assert "抱歉这次没让您满意" in texts(dispatcher)


async def test_a_rating_for_a_ticket_still_in_the_outbox_is_not_posted(csat_service):
    dispatcher = CollectingDispatcher()
    await ActionRecordRating().run(dispatcher, rated("5分", ticket_id="0f3a9c2e7b1d4e6f8a0b2c4d6e8f0a1b"), DOMAIN)

    assert csat_service.received == []
    assert "谢谢您的评价" in texts(dispatcher)


async def test_an_unreadable_rating_asks_again(csat_service):
    dispatcher = CollectingDispatcher()
    await ActionRecordRating().run(dispatcher, rated("嗯"), DOMAIN)

    assert csat_service.received == []
    assert responses(dispatcher) == ["utter_ask_rating"]
    assert dispatcher.messages[0]["buttons"] == []  # the response (with its buttons) comes from the domain
    assert payloads(dispatcher) == [f'/rate{{"rating": {score}}}' for score in (5, 4, 3, 2, 1)]


async def test_a_button_rating_posts_no_payload_as_comment(csat_service):
    await ActionRecordRating().run(CollectingDispatcher(), rated('/rate{"rating": 5}', [entity("rating", 5)]),
                                   DOMAIN)

    assert not (csat_service.received[0].body.get("comment") or "").startswith("/")


async def test_handoff_after_a_submitted_complaint_points_to_it_instead_of_a_second_ticket(monkeypatch, tmp_path):
    with LocalServer(lambda request: created_ticket(request.body)) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        dispatcher = CollectingDispatcher()
        events = await ActionHandoff().run(
            dispatcher, tracker([slot("ticket_id", TICKET), action("action_listen"), user("转人工", "request_human")]),
            DOMAIN)

    assert service.requests_to("/api/tickets") == []
    assert events == []
    assert f"您的工单 {TICKET} 已经在客服那里了" in texts(dispatcher)


async def test_handoff_off_hours_after_a_submitted_complaint_says_when_people_are_back(monkeypatch, tmp_path):
    hours, opening_hour = closed_now_hours()
    set_up_shop(monkeypatch, tmp_path, BUSINESS_HOURS=hours)
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(
        dispatcher, tracker([slot("ticket_id", TICKET), action("action_listen"), user("转人工", "request_human")]),
        DOMAIN)

    assert events == []
    assert responses(dispatcher) == ["utter_handoff_ticket_exists_off_hours"]
    text = texts(dispatcher)
    assert f"您的工单 {TICKET} 已经在客服那里了" in text
    assert f"客服{opening_day(opening_hour)}" in text and f"{opening_hour:02d}:00上班后会第一时间联系您" in text


# -- an unsure reading is not a hand-off ---------------------------------------------------------------

async def test_an_unsure_request_human_reading_asks_instead_of_handing_over(monkeypatch, tmp_path):
    with LocalServer(lambda request: created_ticket(request.body)) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        dispatcher = CollectingDispatcher()
        events = await ActionHandoff().run(dispatcher, tracker([user("你们客服呢", "request_human", 0.37)]), DOMAIN)
        assert service.requests_to("/api/tickets") == [] and events == []
        assert responses(dispatcher) == ["utter_ask_handoff"] and "转人工" in texts(dispatcher)

        sure = CollectingDispatcher()
        await ActionHandoff().run(sure, tracker([user("我要跟客服说话", "request_human", 0.93)]), DOMAIN)
        assert len(service.requests_to("/api/tickets")) == 1 and "utter_ask_handoff" not in responses(sure)


async def test_hold_on_read_as_request_human_mid_form_is_an_answer_not_a_handoff(shop):
    from actions.intake import ValidateComplaintForm
    from tests.support.actions import form_turn

    history = in_form("保温杯不保温", "complain_product_quality", requested="order_number",
                      filled={"asked": {"order_number": 1}})
    events = await ValidateComplaintForm().run(CollectingDispatcher(), form_turn(
        history, user("好 等下我找找", "request_human", 0.31)), DOMAIN)
    # The form takes the message as its reply (not rejected for the hand-off rule, no follow-up).
    assert "asked" in slot_values(events) and not any(e.get("event") == "followup" for e in events)
