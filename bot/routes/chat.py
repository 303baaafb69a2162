"""The customer chat API: POST a message, GET the conversation so far.

Every customer message is stored before anything else happens, so nothing typed is lost when
Rasa is slow or down; the reply then comes from Rasa (mode "bot") or, when Rasa cannot answer,
from the degraded path (mode "degraded").
"""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import json

from bot.http import BadRequest, check_session_id, json_object
from bot.rasa_client import RasaUnavailable

bp = Blueprint("chat")

DEGRADED_REPLY = ("非常抱歉，系统暂时有点忙，您的留言已经完整记录下来了🙏 "
                  "请继续把遇到的问题、订单号和您的诉求告诉我，客服同事会尽快跟进处理。")


def _reply_record(store, session_id: str, replies: list[dict], mode: str) -> None:
    for reply in replies:
        store.append_message(session_id, "bot", reply.get("text", ""), reply.get("buttons"), {"mode": mode})


@bp.post("/api/chat/<session_id>/messages")
async def post_message(request: Request, session_id: str):
    check_session_id(session_id)
    body = json_object(request)
    ctx = request.app.ctx
    text = body.get("text")
    if text is None:
        raise BadRequest("missing_field", "缺少字段 text（顾客发送的文字）。", status=422, field="text")
    if not isinstance(text, str):
        raise BadRequest("wrong_type", "字段 text 必须是字符串。", status=422, field="text")
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict):
        raise BadRequest("wrong_type", "字段 metadata 必须是 JSON 对象。", status=422, field="metadata")
    if not text.strip():
        raise BadRequest("empty_field", "消息不能为空。", status=422, field="text")
    limit = ctx.settings.max_message_chars
    if len(text) > limit:
        # Kept for the agents all the same: the customer's words are never thrown away.
        ctx.store.append_message(session_id, "customer", text, meta={"rejected": "too_long"})
        raise BadRequest("too_long", f"消息有点长（超过 {limit} 字），已为您保存；麻烦分几条发送，方便我们准确处理。",
                         status=413, field="text", max_chars=limit)

    ctx.store.append_message(session_id, "customer", text, meta={"metadata": metadata} if metadata else None)
    try:
        replies = await ctx.rasa.send_message(session_id, text, metadata)
        mode = "bot"
    except RasaUnavailable:
        replies = [{"text": DEGRADED_REPLY}]
        mode = "degraded"
    _reply_record(ctx.store, session_id, replies, mode)
    return json({"replies": replies, "mode": mode})


@bp.get("/api/chat/<session_id>/messages")
async def get_messages(request: Request, session_id: str):
    check_session_id(session_id)
    after = request.args.get("after", "0")
    if not after.isdigit():
        raise BadRequest("invalid_after", "参数 after 必须是非负整数。")
    messages = request.app.ctx.store.list_messages(session_id, after_id=int(after))
    return json({"session_id": session_id, "messages": messages})
