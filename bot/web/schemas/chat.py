"""What the customer chat API accepts and answers (bot/web/routes/chat.py): one message from the
widget (HTTP body or WebSocket frame), the conversation so far, the shop's opening status."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import validator

from bot.web.schemas.base import Body, Query
from bot.web.schemas.fields import ClientId, choice, field, json_object, text, whole
from bot.web.schemas.views import ChatMessage, View

MAX_METADATA_CHARS = 2000
MAX_TITLE_CHARS = 100

Metadata = json_object(MAX_METADATA_CHARS)
ChatMode = choice(("bot", "human", "degraded"))


class IncomingMessage(Body):
    """A customer's message: `POST /api/chat/{session_id}/messages`, or a WebSocket frame of type
    `message`. Its length limit (MAX_MESSAGE_CHARS) is checked after the message is stored, so
    even a refused message reaches the agents (413 too_long)."""

    text: text() = field(description="what the customer typed", messages={
        "missing": "缺少字段 text（顾客发送的文字）。", "empty": "消息不能为空。"})
    metadata: Metadata = field({}, nullable=True, description=(
        f"at most {MAX_METADATA_CHARS} characters as JSON; `customer_token`: the shop's signed customer id "
        "(docs/WIDGET.md). A `customer_ref` sent here is ignored."),
        messages={"too_long": "字段 metadata 太大（最多 {max_chars} 个字符）。"})
    client_id: Optional[ClientId] = field(
        None, description="the widget's id for this message: sent twice, answered once",
        invalid="字段 client_id 只能包含字母、数字、_ 和 -，最长 64 个字符。")
    button_title: Optional[text(MAX_TITLE_CHARS)] = field(
        None, description="the button the customer clicked",
        invalid=f"字段 button_title 必须是不超过 {MAX_TITLE_CHARS} 个字符的字符串。")

    @validator("metadata", pre=True)
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @validator("button_title")
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


MAX_HISTORY_PAGE = 200


class ChatHistoryQuery(Query):
    error_code = "invalid_after"

    after: whole(0, 2**63 - 1) = field(0, description="only messages with a larger id")


class ChatPageQuery(ChatHistoryQuery):
    """One page of the conversation: ask again with `after` = the last id while `has_more`."""

    limit: whole(1, MAX_HISTORY_PAGE) = field(MAX_HISTORY_PAGE, description="at most this many messages")


class Queue(View):
    position: int
    wait_minutes: int


class ChatReply(View):
    """One reply bubble; Rasa's other keys (`custom`, `image` …) pass through."""

    text: str = field("")
    buttons: list[dict] = field([], description="[{title, payload}]")
    sometimes = ("text", "buttons")
    open_ended = True


class ChatAnswer(View):
    replies: list[ChatReply] = field(description="none while a person has the conversation and is online")
    mode: ChatMode
    agent: Optional[str] = field(None, description="the agent's display name, when a person has the conversation")
    ticket_id: Optional[str] = field(None)
    queue: Optional[Queue] = field(None, description="waiting for a person: place in the queue")
    sometimes = ("agent", "ticket_id", "queue")


class ChatHistory(View):
    session_id: str
    messages: list[ChatMessage]
    has_more: bool = field(description="more messages follow: ask again with `after` = the last id")
    mode: ChatMode
    agent: Optional[str] = field(...)
    ticket_id: Optional[str] = field(...)
    queue: Optional[Queue] = field(...)


class ShopStatus(View):
    open: bool
    next_opening_text: str
    hours_text: str
    shop_name: str
    agents_online: bool
    max_message_chars: int
