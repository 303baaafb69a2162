"""The request models and their one translation into the service's Chinese 4xx: each kind of
problem keeps the code, status, `field` and wording the API has always had (docs/TICKET_API.md),
and what a model accepts is what the routes get."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.web.http import BadRequest, check_session_id
from bot.web.schemas.chat import IncomingMessage
from bot.web.schemas.fields import TicketId
from bot.web.schemas.tickets import ExportQuery, NewTicketBody, ProgressQuery, Rating, TicketChange, TicketQuery

BASE = {"idempotency_key": "k1", "issue_type": "logistics_delay", "description": "快递没到"}


def refusal(parse, data) -> tuple:
    with pytest.raises(BadRequest) as caught:
        parse(data)
    exc = caught.value
    return exc.status_code, exc.code, str(exc), exc.extra


@pytest.mark.parametrize("fields, expected", [
    ({"idempotency_key": None}, (422, "missing_field", "缺少字段 idempotency_key。", {"field": "idempotency_key"})),
    ({"channel": 3}, (422, "wrong_type", "字段 channel 必须是字符串。", {"field": "channel"})),
    ({"description": "  "}, (422, "empty_field", "字段 description 不能为空。", {"field": "description"})),
    ({"description": "气" * 5001},
     (413, "too_long", "字段 description 最长 5000 个字符。", {"field": "description", "max_chars": 5000})),
    ({"channel": "Web Chat!"}, (422, "invalid_value", "字段 channel 格式不对：小写字母、数字、_ 或 -，"
                                                      "如 web、wechat、phone。", {"field": "channel"})),
    ({"order_number": "12 34'; drop"},
     (422, "invalid_value", "订单号只能包含字母、数字和 -，4–64 个字符。", {"field": "order_number"})),
    ({"priority": "critical"}, (422, "invalid_value", "字段 priority 的值 'critical' 不认识，"
                                                      "可选：urgent、high、normal。",
                                {"field": "priority", "allowed": ["urgent", "high", "normal"]})),
    ({"risk_flags": ["anger", 3]}, (422, "wrong_type", "字段 risk_flags 必须是字符串列表。", {"field": "risk_flags"})),
    ({"risk_flags": "anger"}, (422, "wrong_type", "字段 risk_flags 必须是字符串列表。", {"field": "risk_flags"})),
    ({"off_hours": "yes"}, (422, "wrong_type", "字段 off_hours 必须是 true 或 false。", {"field": "off_hours"})),
    ({"submitted_at": 1700000000},
     (422, "wrong_type", "字段 submitted_at 必须是带时区的 ISO 8601 时间字符串。", {"field": "submitted_at"})),
    ({"submitted_at": "2026-11-23T09:30:00"}, (422, "invalid_value", (
        "字段 submitted_at 必须是带时区的 ISO 8601 时间，如 2026-11-23T09:30:00+08:00。"), {"field": "submitted_at"})),
])
def test_a_new_ticket_refusal_keeps_the_apis_wording(fields, expected):
    assert refusal(NewTicketBody.parse, {**BASE, **fields}) == expected


def test_unknown_risk_flags_are_named_and_the_allowed_ones_listed():
    status, code, message, extra = refusal(NewTicketBody.parse, {**BASE, "risk_flags": ["made_up", "anger", "zz"]})
    assert (status, code, message) == (422, "invalid_value", "不认识的风险标记：made_up、zz。")
    assert extra["field"] == "risk_flags" and "anger" in extra["allowed"]


def test_a_new_ticket_is_built_as_the_service_expects():
    body = NewTicketBody.parse({**BASE, "session_id": " s-1 ", "channel": "", "order_number": "４５１２ ３４５６",
                                "phone": "+86 138-1234-5678", "risk_flags": ["anger", "anger", "legal"],
                                "handoff_requested": None, "customer_ref": None, "unknown_key": 1})
    new = body.new_ticket(created_by="bot")
    assert (new.session_id, new.channel, new.order_number, new.phone) == ("s-1", "web", "45123456", "8613812345678")
    assert new.risk_flags == ["anger", "legal"] and new.handoff_requested is False and new.customer_ref is None


def test_the_submission_time_is_kept_unless_ahead_of_now_or_too_old():
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    earlier = NewTicketBody.parse({**BASE, "submitted_at": "2026-11-23T15:30:00+08:00"})
    assert earlier.created_at(now) == datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc)
    assert NewTicketBody.parse({**BASE, "submitted_at": "2026-11-24T00:00:00Z"}).created_at(now) == now
    with pytest.raises(BadRequest) as caught:
        NewTicketBody.parse({**BASE, "submitted_at": (now - timedelta(days=31)).isoformat()}).created_at(now)
    assert caught.value.extra == {"field": "submitted_at"} and "30 天" in str(caught.value)


@pytest.mark.parametrize("body, expected", [
    ({}, (422, "empty_body", "请至少给出一个要修改的字段：status、assignee、priority、note、reason。", {})),
    ({"state": "open"}, (422, "unknown_field", "不能修改字段 state，可改：status、assignee、priority、note、reason。",
                         {"field": "state"})),
    ({"status": None}, (422, "missing_field", "缺少字段 status。", {"field": "status"})),
    ({"assignee": 7}, (422, "wrong_type", "字段 assignee 必须是客服账号名或 null。", {"field": "assignee"})),
    ({"note": ""}, (422, "empty_field", "字段 note 不能为空。", {"field": "note"})),
])
def test_a_change_refusal_keeps_the_apis_wording(body, expected):
    assert refusal(TicketChange.parse, body) == expected


def test_a_change_knows_which_fields_were_sent():
    assert TicketChange.parse({"assignee": None}).changes() == {"assignee": None}  # null unassigns
    assert TicketChange.parse({"status": "open", "note": " x "}).changes() == {"status": "open"}


SCORE = (422, "invalid_value", "字段 score 必须是 1 到 5 的整数。", {"field": "score"})


@pytest.mark.parametrize("body, expected", [
    ({"session_id": "s"}, (422, "missing_field", "缺少字段 score（1–5 分）。", {"field": "score"})),
    ({"session_id": "s", "score": True}, SCORE),
    ({"session_id": "s", "score": "5"}, SCORE),
    ({"session_id": "s", "score": 6}, SCORE),
    ({"score": 5}, (422, "missing_field", "缺少字段 session_id。", {"field": "session_id"})),
])
def test_a_rating_refusal_keeps_the_apis_wording(body, expected):
    assert refusal(Rating.parse, body) == expected


@pytest.mark.parametrize("body, expected", [
    ({}, (422, "missing_field", "缺少字段 text（顾客发送的文字）。", {"field": "text"})),
    ({"text": ["a"]}, (422, "wrong_type", "字段 text 必须是字符串。", {"field": "text"})),
    ({"text": "  "}, (422, "empty_field", "消息不能为空。", {"field": "text"})),
    ({"text": "你好", "metadata": "x"}, (422, "wrong_type", "字段 metadata 必须是 JSON 对象。", {"field": "metadata"})),
    ({"text": "你好", "metadata": {"k": "v" * 2000}},
     (413, "too_long", "字段 metadata 太大（最多 2000 个字符）。", {"field": "metadata", "max_chars": 2000})),
    ({"text": "你好", "client_id": ""},
     (422, "invalid_value", "字段 client_id 只能包含字母、数字、_ 和 -，最长 64 个字符。", {"field": "client_id"})),
    ({"text": "你好", "button_title": "钮" * 101},
     (422, "invalid_value", "字段 button_title 必须是不超过 100 个字符的字符串。", {"field": "button_title"})),
])
def test_a_chat_message_refusal_keeps_the_apis_wording(body, expected):
    assert refusal(IncomingMessage.parse, body) == expected


def test_a_chat_message_as_the_pipeline_reads_it():
    message = IncomingMessage.parse({"text": " 你好 ", "metadata": None, "button_title": "", "type": "message"})
    assert (message.text, message.metadata, message.client_id, message.button_title) == (" 你好 ", {}, None, None)


@pytest.mark.parametrize("args, expected", [
    ({"status": "new,done"},
     ("invalid_filter", "参数 status 的值 'done' 不认识，可选：new、open、pending_customer、resolved、closed。")),
    ({"overdue": " true"}, ("invalid_filter", "参数 overdue 只能是 true 或 false。")),
    ({"limit": "501"}, ("invalid_filter", "参数 limit 必须是 1 到 500 之间的整数。")),
    ({"q": "9" * 65}, ("invalid_filter", "参数 q 格式不对或太长（最长 64 个字符）。")),
    ({"session_id": "<x>"}, ("invalid_filter", "参数 session_id 格式不对或太长（最长 64 个字符）。")),
])
def test_a_bad_filter_is_a_400_naming_the_argument(args, expected):
    status, code, message, extra = refusal(TicketQuery.from_args, args)
    assert (status, code, message) == (400, *expected) and extra["field"] == next(iter(args))


def test_query_arguments_as_the_routes_read_them():
    query = TicketQuery.from_args({"status": " new, open ,", "assignee": "  ", "overdue": "false", "limit": "5"})
    read = (query.status, query.assignee, query.overdue, query.limit, query.offset)
    assert read == (["new", "open"], None, False, 5, 0)
    assert ExportQuery.from_args({"from": "2026-03-10", "to": ""}).from_ is not None
    assert refusal(ExportQuery.from_args, {"to": "2026-13-01"})[:3] == (
        400, "invalid_date", "参数 to 必须是 YYYY-MM-DD 格式的日期。")
    assert ProgressQuery.from_args({"ticket_id": "tk-1"}).ticket_id == "tk-1"  # not this customer's → 404 later


def test_path_parameters():
    assert TicketId.from_path(" tk-20261123-0007") == "TK-20261123-0007"
    for bad in ("nonsense", "TK-1", "", "TK-20261123-0007\n"[:-1] + "x"):
        with pytest.raises(BadRequest) as caught:
            TicketId.from_path(bad)
        assert (caught.value.status_code, caught.value.code) == (404, "ticket_not_found")
    assert check_session_id("s-1") == "s-1"
    for bad in (" s-1", "a" * 65, "<script>"):
        with pytest.raises(BadRequest) as caught:
            check_session_id(bad)
        assert (caught.value.status_code, caught.value.code) == (400, "invalid_session_id")
