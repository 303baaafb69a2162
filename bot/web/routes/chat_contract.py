"""The contracts of the customer chat routes in bot/web/routes/chat.py, for the OpenAPI document.

They are attached here with `documented` (which changes nothing about how a handler runs) while
the chat pipeline moves out of chat.py into bot/services/conversation.py; once it has, they become
decorators on the handlers like the ticket routes'. The body is validated by the same model:
`chat.parse_incoming` is `IncomingMessage.parse`.
"""
from __future__ import annotations

from bot.web.contract import Reply, documented
from bot.web.routes import chat
from bot.web.schemas.chat import ChatAnswer, ChatHistory, ChatHistoryQuery, ChatPageQuery, IncomingMessage, ShopStatus
from bot.web.schemas.fields import SessionId

SESSION = {"session_id": SessionId}


def describe_chat_routes() -> None:
    documented("A customer's chat message; the assistant's replies (none while a person has the conversation); "
               "the same `client_id` twice is answered once", path=SESSION, body=IncomingMessage,
               responses={200: ChatAnswer}, errors=(429,))(chat.post_message)
    documented("The conversation so far (agent replies included), a page at a time", path=SESSION,
               query=ChatPageQuery, responses={200: ChatHistory}, errors=(503,))(chat.get_messages)
    documented("For the widget's banner: open now, the next opening and the weekly hours",
               responses={200: ShopStatus})(chat.shop_status)
    documented("WebSocket: the customer's messages in, every message of the session out, live (frames: hello, "
               "message, ready, result, error, mode, pong; see docs/WIDGET.md). A bad session id closes with 4400",
               path=SESSION, query=ChatHistoryQuery, implied_errors=False,
               responses={101: Reply(description="switching protocols", media_type="")})(chat.chat_socket)
