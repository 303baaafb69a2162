"""The team's canned replies: any agent lists, adds, edits and deletes them in the desk; the reply
box inserts one when the agent types "/" and picks it (bot/web/static/desk/canned.js)."""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import empty, json

from bot.web.auth import Caller
from bot.web.contract import AGENT, Reply, operation
from bot.web.http import BadRequest
from bot.web.routes.tickets import now_utc
from bot.web.schemas.canned import CannedId, CannedReplyBody, CannedReplyChange, CannedReplyList, CannedReplyOne

bp = Blueprint("canned")


def _view(reply: dict) -> dict:
    return {**reply, "updated_at": reply["updated_at"].isoformat()}


def _not_found() -> BadRequest:
    return BadRequest("canned_reply_not_found", "找不到这条快捷回复，可能已被同事删除。", status=404)


@bp.get("/api/desk/canned-replies")
@operation("The team's canned replies, by title", access=AGENT, responses={200: CannedReplyList})
async def list_canned(request: Request, caller: Caller):
    ctx = request.app.ctx
    return json({"replies": [_view(r) for r in await ctx.db.run(ctx.store.list_canned_replies)]})


@bp.post("/api/desk/canned-replies")
@operation("Adds a canned reply for the whole team", access=AGENT,
           responses={201: Reply(CannedReplyOne, "added")})
async def add_canned(request: Request, caller: Caller, body: CannedReplyBody):
    ctx = request.app.ctx
    reply = await ctx.db.run(ctx.store.add_canned_reply, body.title.strip(), body.text.strip(), body.issue_type,
                             caller.name, now_utc(request))
    return json({"reply": _view(reply)}, status=201)


@bp.patch("/api/desk/canned-replies/<reply_id>")
@operation("Edits a canned reply (only the fields given)", access=AGENT, responses={200: CannedReplyOne},
           errors=(404,))
async def edit_canned(request: Request, caller: Caller, reply_id: CannedId, body: CannedReplyChange):
    changes = {name: getattr(body, name) for name in ("title", "text", "issue_type") if name in body.__fields_set__}
    for name in ("title", "text"):
        if name in changes:
            if changes[name] is None:
                raise BadRequest("invalid_field", "标题和内容不能为空。", status=422, field=name)
            changes[name] = changes[name].strip()
    ctx = request.app.ctx
    reply = await (ctx.db.run(ctx.store.update_canned_reply, int(reply_id), changes, now_utc(request)) if changes
                   else ctx.db.run(ctx.store.get_canned_reply, int(reply_id)))
    if reply is None:
        raise _not_found()
    return json({"reply": _view(reply)})


@bp.delete("/api/desk/canned-replies/<reply_id>")
@operation("Deletes a canned reply", access=AGENT, responses={204: Reply(None, "deleted", media_type="")},
           errors=(404,))
async def delete_canned(request: Request, caller: Caller, reply_id: CannedId):
    ctx = request.app.ctx
    if not await ctx.db.run(ctx.store.delete_canned_reply, int(reply_id)):
        raise _not_found()
    return empty()
