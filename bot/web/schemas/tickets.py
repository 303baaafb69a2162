"""What the ticket API accepts: request bodies and query arguments, each field's type, enum,
pattern and limit declared here once. The routes (bot/web/routes/tickets.py) validate with these
models and bot/web/openapi.py describes them; enumerations come from the taxonomy and the ticket
service, so neither re-types them.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Optional

from pydantic import create_model, root_validator

from bot.domain.intake import INTAKE_STATES, MISSING_FIELDS, OPENING_STATES
from bot.domain.orders import normalise_order_number
from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES, PRIORITIES, STATUSES
from bot.services.tickets import ORDER_NUMBER_STATUSES, RISK_FLAGS, IntakeUpdate, NewTicket
from bot.web.schemas.base import Body, Query, invalid_field, tidy_schema
from bot.web.schemas.fields import (
    ClientId,
    Day,
    Flag,
    Line,
    Moment,
    Problem,
    SessionId,
    Text,
    choice,
    field,
    line,
    text,
    whole,
)

MAX_SUBMISSION_AGE = timedelta(days=30)
MAX_PAGE = 500
MAX_EXPORT_DAYS = 366
EXPORT_YEARS = (2000, 2999)  # tickets exist between these; beyond them a day has no UTC bounds

IssueType = choice(ISSUE_TYPES)
Expectation = choice(EXPECTATIONS)
Priority = choice(PRIORITIES)
Status = choice(STATUSES)
OrderNumberStatus = choice(ORDER_NUMBER_STATUSES)
RiskFlag = choice(RISK_FLAGS)
Intake = choice(INTAKE_STATES)
OpeningIntake = choice(OPENING_STATES)  # a ticket is never posted withdrawn: only a record being collected is
MissingField = choice(MISSING_FIELDS)
CustomerDeadline = text(200)
Description = text(5000)
Note = text(5000, blank=False)
Reason = text(200, blank=False)
CsatComment = text(1000)
CustomerRef = line(128)
Score = whole(1, 5)
AssigneeFilter = line(64)
SearchText = line(64)
TicketRef = line(32)
PageSize = whole(1, MAX_PAGE)
Offset = whole(0, 10_000_000)


class IdempotencyKey(Line):
    pattern = re.compile(r"^[A-Za-z0-9_\-.:]{1,128}$")
    max_length = 128
    hint = "1–128 个字母、数字或 _-.:，同一次提交重试时保持不变。"


class Channel(Line):
    pattern = re.compile(r"^[a-z0-9_\-]{1,32}$")
    max_length = 32
    hint = "小写字母、数字、_ 或 -，如 web、wechat、phone。"


class OrderNumber(Line):
    pattern = re.compile(r"^[A-Za-z0-9\-]{4,64}$")
    max_length = 64
    hint = "订单号只能包含字母、数字和 -，4–64 个字符。"

    @classmethod
    def clean(cls, value: str) -> str:
        return normalise_order_number(value)


class Phone(Line):
    pattern = re.compile(r"^\+?[\d\s\-]{5,24}$")
    max_length = 24
    hint = "数字，可带 +、空格或 -。"


class AgentName(Text):
    """An agent's login name; whether that agent exists is the handler's question."""


# -- bodies ------------------------------------------------------------------------------------------

class NewTicketBody(Body):
    """`POST /api/tickets`. Other keys are ignored."""

    idempotency_key: IdempotencyKey = field(
        description="chosen by the caller; the same key always returns the same ticket")
    session_id: Optional[SessionId] = field(None, description="the chat session the complaint came from")
    customer_ref: Optional[CustomerRef] = field(
        None, description="the shop's verified customer id; pass only verified values")
    channel: Optional[Channel] = field("web")
    order_number: Optional[OrderNumber] = field(
        None, description="spaces, full-width digits and # are dropped before checking",
        messages={"pattern": OrderNumber.hint})
    order_number_status: Optional[OrderNumberStatus] = field(
        None, description="default: given with a number, unknown without")
    issue_type: IssueType = field()
    expectation: Optional[Expectation] = field(None)
    description: Description = field(description="the customer's own words")
    priority: Optional[Priority] = field(
        None, description="the assistant's view; the service re-triages and keeps the higher")
    risk_flags: Optional[list[RiskFlag]] = field([], messages={"choice": "不认识的风险标记：{values}。"})
    phone: Optional[Phone] = field(None, description="default: a mobile number found in the customer's words")
    off_hours: Optional[Flag] = field(None, description="default: whether the shop is closed now")
    handoff_requested: Optional[Flag] = field(False, description="the customer asked for a person (转人工)")
    submitted_at: Optional[Moment] = field(None, description=(
        "when the assistant took the complaint; a ticket delivered late from an outbox counts its promises "
        f"from here. Later than now is taken as now; more than {MAX_SUBMISSION_AGE.days} days ago is refused"))
    intake: Optional[OpeningIntake] = field("complete", description=(
        "collecting: opened at the first message, still being collected (登记中); complete: confirmed; "
        "incomplete: filed as it stands (withdrawn is only reached by PATCH …/intake)"))
    missing_fields: Optional[list[MissingField]] = field(
        [], description="fields still missing (default: computed from the ticket unless complete)",
        messages={"choice": "不认识的字段名：{values}。"})
    customer_deadline: Optional[CustomerDeadline] = field(
        None, description="the customer's own words for a deadline (明天务必送到); default: found in the description")

    def new_ticket(self, created_by: str) -> NewTicket:
        return NewTicket(
            idempotency_key=self.idempotency_key, issue_type=self.issue_type, description=self.description.strip(),
            session_id=self.session_id, customer_ref=self.customer_ref, channel=self.channel or "web",
            order_number=self.order_number, order_number_status=self.order_number_status,
            expectation=self.expectation, priority=self.priority,
            risk_flags=list(dict.fromkeys(self.risk_flags or [])), off_hours=self.off_hours,
            phone=re.sub(r"\D", "", self.phone) if self.phone else None,
            handoff_requested=bool(self.handoff_requested), created_by=created_by, intake=self.intake or "complete",
            missing_fields=list(self.missing_fields or []),
            customer_deadline=(self.customer_deadline or "").strip() or None)

    def created_at(self, now: datetime) -> datetime:
        """When the complaint was taken: `submitted_at`, never later than now."""
        if self.submitted_at is None:
            return now
        if self.submitted_at < now - MAX_SUBMISSION_AGE:
            raise invalid_field("submitted_at", f"字段 submitted_at 太早了（超过 {MAX_SUBMISSION_AGE.days} 天）。")
        return min(self.submitted_at.astimezone(now.tzinfo), now)


class ChangeBody(Body):
    """A PATCH body: at least one of the model's fields, and no other."""

    wording = {"unknown_field": "不能修改字段 {name}，可改：{fields}。",
               "empty_body": "请至少给出一个要修改的字段：{fields}。"}

    class Config:
        extra = "forbid"

        @staticmethod
        def schema_extra(schema: dict[str, Any], model) -> None:
            tidy_schema(schema, model)
            schema["minProperties"] = 1

    @root_validator(pre=True)
    def _something(cls, values: dict[str, Any]) -> dict[str, Any]:
        if not values:
            raise Problem("empty_body")
        return values


class TicketChange(ChangeBody):
    """`PATCH /api/tickets/{id}`: at least one of these, nothing else."""

    status: Status = field(None, nullable=False)
    assignee: Optional[AgentName] = field(None, description="an active agent's name; null unassigns",
                                          messages={"wrong_type": "字段 assignee 必须是客服账号名或 null。"})
    priority: Priority = field(None, nullable=False)
    note: Note = field(None, nullable=False, description="internal note, never shown to customers")
    reason: Reason = field(None, nullable=False, description=(
        "why the ticket ends (with status resolved/closed); required when no agent has replied yet "
        "(e.g. 已电话联系顾客并处理完毕); recorded in the audit trail and told to the customer"))

    def changes(self) -> dict[str, Any]:
        """The given fields other than the note, as the store takes them."""
        return {name: getattr(self, name) for name in ("status", "priority", "assignee") if name in self.__fields_set__}


class IntakeChange(ChangeBody):
    """`PATCH /api/tickets/{id}/intake` (the assistant only): what the intake learnt, at least one
    field, nothing else. Priority is only raised, risk flags are added, the text is appended once."""

    issue_type: IssueType = field(None, nullable=False)
    order_number: OrderNumber = field(None, nullable=False, messages={"pattern": OrderNumber.hint})
    order_number_status: OrderNumberStatus = field(None, nullable=False)
    expectation: Expectation = field(None, nullable=False)
    customer_deadline: Optional[CustomerDeadline] = field(
        None, description="the customer's words for a deadline; null clears it")
    priority: Priority = field(None, nullable=False, description="raise only: a lower value is ignored")
    risk_flags: list[RiskFlag] = field(None, nullable=False, description="added to the ticket's",
                                       messages={"choice": "不认识的风险标记：{values}。"})
    intake: Intake = field(None, nullable=False, description=(
        "complete clears missing_fields; withdrawn (the customer withdrew the complaint in the chat) closes a "
        "record still collecting that no agent claimed or answered — status closed, reason in the history, no "
        "message or rating request to the customer — and leaves any other ticket open with a note"))
    missing_fields: list[MissingField] = field(
        None, nullable=False, description="default when filed incomplete: computed from the ticket",
        messages={"choice": "不认识的字段名：{values}。"})
    handoff_requested: Flag = field(None, nullable=False)
    append_description: Description = field(
        None, nullable=False, description="the customer's words, added on a new line unless already there")

    def update(self) -> IntakeUpdate:
        given = self.__fields_set__
        change = IntakeUpdate(
            issue_type=self.issue_type, order_number=self.order_number or None,
            order_number_status=self.order_number_status, expectation=self.expectation, priority=self.priority,
            risk_flags=list(dict.fromkeys(self.risk_flags or [])), intake=self.intake,
            missing_fields=list(self.missing_fields) if self.missing_fields is not None else None,
            handoff_requested=self.handoff_requested, append_description=self.append_description)
        if "customer_deadline" in given:
            change.customer_deadline = self.customer_deadline
        return change


class AgentReply(Body):
    """`POST /api/tickets/{id}/replies`; the limit is the setting MAX_MESSAGE_CHARS."""

    text: Text = field(description="shown in the customer's chat as the agent's message")
    client_id: Optional[ClientId] = field(
        None, description="the desk's id for this reply: sent again (after a timeout or a 503), stored and shown once",
        invalid="字段 client_id 只能包含字母、数字、_ 和 -，最长 64 个字符。")

    @classmethod
    def for_settings(cls, settings: Any) -> type[Body]:
        return _agent_reply(settings.max_message_chars)


@lru_cache(maxsize=8)
def _agent_reply(max_chars: int) -> type[Body]:
    limited = text(max_chars)
    return create_model("AgentReply", __base__=AgentReply, text=(limited, AgentReply.__fields__["text"].field_info))


class Rating(Body):
    """`POST /api/tickets/{id}/csat`: the customer's own rating, sent by the assistant."""

    session_id: SessionId = field(description="the customer's chat session; must be the ticket's")
    score: Score = field(messages={"missing": "缺少字段 score（1–5 分）。"})
    comment: Optional[CsatComment] = field(None)


# -- query arguments --------------------------------------------------------------------------------

class TicketQuery(Query):
    """`GET /api/tickets`: open first, then urgent → normal, then the next due time."""

    status: list[Status] = field([], description="any of these")
    priority: list[Priority] = field([], description="any of these")
    issue_type: list[IssueType] = field([], description="any of these")
    assignee: Optional[AssigneeFilter] = field(
        None, description="an agent's name; `none`: unassigned; `me`: the logged-in agent")
    overdue: Optional[Flag] = field(None, description="true: only overdue; false: only not overdue")
    customer_ref: Optional[CustomerRef] = field(None, description="exact customer id")
    session_id: Optional[SessionId] = field(None, description="exact chat session")
    q: Optional[SearchText] = field(None, description="ticket id, order number (part) or phone digits (part)")
    limit: PageSize = field(100, description="page size")
    offset: Offset = field(0, description="skip this many")


class ExportQuery(Query):
    """`GET /api/tickets/export.csv`: shop-local days, both included."""

    error_code = "invalid_date"

    from_: Optional[Day] = field(None, alias="from", description="default: 29 days before `to`")
    to: Optional[Day] = field(None, description="default: today")


class ProgressQuery(Query):
    """`GET /api/progress`: the customer is named by session_id or customer_ref (or both)."""

    session_id: Optional[SessionId] = field(None, description="the customer's chat session")
    customer_ref: Optional[CustomerRef] = field(None, description="the customer's verified id")
    ticket_id: Optional[TicketRef] = field(None, description="narrow to one ticket; 404 unless it is this customer's")
