"""What the API answers: the response models. They are the documented shape of the dicts the
services build (`ticket_view`, `customer_view`, `event_view`, the chat's `public_message` …);
tests/service/test_openapi.py checks real answers against them, so neither side can drift.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Optional

from bot.domain.taxonomy import CATEGORIES
from bot.web.events import EVENT_KINDS
from bot.web.schemas.base import Schema, tidy_schema
from bot.web.schemas.fields import TicketId, choice, field
from bot.web.schemas.tickets import (
    Expectation,
    Intake,
    IssueType,
    MissingField,
    OrderNumberStatus,
    Priority,
    RiskFlag,
    Score,
    Status,
)

Category = choice(CATEGORIES)
Sender = choice(("customer", "bot", "agent", "system"))
# What the store records in a ticket's audit trail (bot/store/tickets.py, bot/services/escalation.py).
EventAction = choice(("created", "assigned", "status_changed", "priority_changed", "note", "replied", "escalated",
                      "csat", "intake_updated"))
LiveEventKind = choice(EVENT_KINDS)


class View(Schema):
    """A response object: every key is always there (null where nullable) unless named in
    `sometimes`; `open_ended` ones may carry more keys than listed."""

    sometimes: ClassVar[tuple[str, ...]] = ()
    open_ended: ClassVar[bool] = False

    class Config:
        @staticmethod
        def schema_extra(schema: dict[str, Any], model) -> None:
            tidy_schema(schema, model)
            required = [f.alias for f in model.__fields__.values() if f.alias not in model.sometimes]
            if required:  # OpenAPI 3.0: a `required` list may not be empty
                schema["required"] = required
            else:
                schema.pop("required", None)
            if model.open_ended:
                schema["additionalProperties"] = True


# -- chat messages (also in a ticket's transcript) -----------------------------------------------------

class Button(View):
    title: str
    payload: str


class ChatMessage(View):
    id: int
    sender: Sender
    text: str
    buttons: list[Button] = field(description="quick replies the customer may click")
    meta: dict[str, Any] = field(description=(
        "to the customer: kind, display_name, client_id, button_title, mode; in a ticket's transcript also "
        "agent, ticket_id and what the chat recorded"))
    created_at: datetime = field(description="UTC")


# -- tickets, as agents and machines see them ---------------------------------------------------------

class Ticket(View):
    id: str = field(example=TicketId.example)
    idempotency_key: str
    session_id: Optional[str] = field(...)
    customer_ref: Optional[str] = field(...)
    channel: str = field(example="web")
    order_number: Optional[str] = field(...)
    order_number_status: OrderNumberStatus
    issue_type: IssueType
    issue_type_label: str
    category: Category
    category_label: str
    expectation: Optional[Expectation] = field(...)
    expectation_label: str
    description: str = field(description="the customer's own words, personal data masked (escape when rendering)")
    phone: Optional[str] = field(..., description="masked: 138****5678")
    priority: Priority
    priority_label: str
    risk_flags: list[RiskFlag]
    risk_labels: list[str]
    triage_reasons: list[str] = field(description="why this priority, in Chinese")
    repeat_contacts: int = field(description="tickets of this customer in the 7 days before")
    complex_case: bool = field(description="longer resolution target (48 h by default)")
    off_hours: bool
    handoff_requested: bool = field(description="the customer asked for a person (转人工)")
    status: Status
    status_label: str
    assignee: Optional[str] = field(..., description="agent login name")
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime
    first_response_due_text: str = field(example="明天（周二）09:15 前")
    resolution_due: datetime
    resolution_due_text: str
    first_responded_at: Optional[datetime] = field(...)
    resolved_at: Optional[datetime] = field(...)
    escalated_at: Optional[datetime] = field(...)
    overdue: bool = field(description="open and past a due time right now")
    csat: Optional[Score] = field(...)
    csat_comment: Optional[str] = field(...)
    intake: Intake = field(description=(
        "collecting (登记中), complete (confirmed), incomplete (filed as it stands) or withdrawn (顾客已撤销: "
        "the customer withdrew it while it was collected; closed)"))
    intake_label: str = field(example="信息不全（缺：订单号、诉求）")
    missing_fields: list[MissingField] = field(description="what the record still lacks; [] when complete")
    missing_labels: list[str] = field(example=["订单号", "诉求"])
    customer_deadline: Optional[str] = field(..., description="the customer's own words: 明天务必送到, 周五前")


class TicketEvent(View):
    id: int
    ticket_id: str
    actor: str = field(description="agent name, or system / bot / customer")
    action: EventAction
    details: dict[str, Any]
    at: datetime


class Attachment(View):
    id: str
    url: str = field(description="fetchable by the session's customer and by logged-in agents")
    content_type: str = field(description="image/jpeg | image/png | image/webp (from the bytes, not the name)")
    bytes: int = field(description="size as stored, after the metadata (EXIF) was removed")


class StoredAttachment(Attachment):
    width: int
    height: int
    created_at: datetime


class TicketDetail(Ticket):
    transcript: list[ChatMessage] = field(description="the chat session's messages, agent replies included")
    events: list[TicketEvent] = field(description="audit trail, oldest first")
    attachments: list[StoredAttachment] = field(description="evidence photos the customer sent in the chat")


class Change(View):
    action: EventAction
    details: dict[str, Any]


class TicketCreated(View):
    id: str
    created: bool = field(description="false: an earlier call with this idempotency_key made it")
    first_response_due_text: str = field(example="今天 17:15 前")
    ticket: Ticket


class TicketList(View):
    tickets: list[Ticket]
    total: int = field(description="matching tickets, all pages")
    limit: int
    offset: int


class OneTicket(View):
    ticket: TicketDetail


class ChangedTicket(View):
    ticket: Ticket
    changes: list[Change] = field(description="what actually changed (empty when nothing did)")


class SentReply(View):
    message: ChatMessage
    ticket: Ticket


# -- what a customer may know ----------------------------------------------------------------------------

class CustomerTicket(View):
    id: str
    status: Status
    status_label: str
    issue_type: IssueType
    issue_type_label: str
    expectation: Optional[Expectation] = field(...)
    expectation_label: str
    order_number: Optional[str] = field(...)
    created_at: datetime
    first_response_due: datetime
    first_response_due_text: str
    resolution_due: datetime
    resolution_due_text: str
    first_responded: bool
    first_responded_at: Optional[datetime] = field(...)
    assignee: Optional[str] = field(..., description="display name of the agent following it up (as in the chat)")
    resolved_at: Optional[datetime] = field(...)
    csat: Optional[Score] = field(...)
    summary: str = field(description="one Chinese sentence for the assistant to say")
    intake: Intake
    missing_fields: list[MissingField]
    customer_deadline: Optional[str] = field(...)


class CustomerTickets(View):
    tickets: list[CustomerTicket]


class RatedTicket(View):
    ticket: CustomerTicket


# -- for agents ----------------------------------------------------------------------------------------

class Suggestion(View):
    key: str
    title: str = field(description="the option, for the agent")
    reply: str = field(description="a draft reply; the agent edits and sends it")
    note: str = field(description="for the agent only")


class Suggestions(View):
    ticket_id: str
    issue_type: IssueType
    expectation: Optional[Expectation] = field(...)
    suggestions: list[Suggestion]


class LiveEvent(View):
    """The data of one Server-Sent Events frame."""

    id: int
    type: LiveEventKind
    at: datetime
    data: dict[str, Any] = field(description=(
        "ticket_created: {ticket}; ticket_updated: {ticket, changes: [{action, details}], by: who changed it}; "
        "message: {session_id, ticket_id, message}"))
