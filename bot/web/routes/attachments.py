"""Evidence photos in the customer chat: the widget uploads one (multipart field `file`), the
customer and the desk fetch it. The checks and the cleaning (type from the magic bytes, size,
count per session, EXIF removed) are in bot.services.attachments.

Who can fetch: the URL carries the session id (the customer's own capability, as for the chat
itself) and an unguessable id; the same photo under another session id is 404, as is any id that
does not exist. Agents fetch through the same URL (the desk knows the session)."""
from __future__ import annotations

import asyncio

from sanic import Blueprint, Request
from sanic.response import empty, json, raw

from bot.services.attachments import AttachmentRefused, Attachments, attachment_view
from bot.web.contract import Reply, operation
from bot.web.http import BadRequest
from bot.web.schemas.attachments import AttachmentCreated, AttachmentId
from bot.web.schemas.fields import SessionId

bp = Blueprint("attachments")


def _not_found() -> BadRequest:
    return BadRequest("attachment_not_found", "找不到这张图片。", status=404)


@bp.post("/api/chat/<session_id>/attachments")
@operation("A customer's evidence photo (JPEG/PNG/WebP, EXIF removed); shown in the chat, the desk and the ticket",
           upload={"file": "the photo; type decided by its bytes"},
           responses={201: Reply(AttachmentCreated, "stored")}, errors=(413, 415, 422, 429))
async def upload_attachment(request: Request, session_id: SessionId):
    ctx = request.app.ctx
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise BadRequest("not_multipart", "请用 multipart/form-data 上传图片，字段名为 file。", status=415)
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise BadRequest("missing_field", "缺少字段 file（要上传的图片）。", status=422, field="file")
    service: Attachments = ctx.attachments
    try:
        record = await service.save(ctx.db, session_id, upload.body, ctx.clock())
    except AttachmentRefused as exc:
        raise BadRequest(exc.code, str(exc), status=exc.status, field="file") from None
    view = attachment_view(record)
    return json({"attachment": {key: view[key] for key in ("id", "url", "content_type", "bytes")}}, status=201)


@bp.get("/api/chat/<session_id>/attachments/<attachment_id>")
@operation("One evidence photo of this session (another session's id: 404)",
           responses={200: Reply(description="the image", media_type="image/*")}, errors=(404,))
async def get_attachment(request: Request, session_id: SessionId, attachment_id: AttachmentId):
    ctx = request.app.ctx
    found = await ctx.db.run(ctx.attachments.for_session, session_id, attachment_id)
    if found is None:
        raise _not_found()
    record, path = found
    body = await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
    return raw(body, content_type=record["content_type"], headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{record["id"]}"',
        "Cross-Origin-Resource-Policy": "cross-origin"})


@bp.route("/api/chat/<session_id>/attachments", methods=["OPTIONS"])
async def attachments_preflight(request: Request, session_id: str):
    from bot.web.routes.chat import CORS_HEADERS

    return empty(status=204, headers=CORS_HEADERS)


def install(app) -> None:
    app.ctx.attachments = Attachments.for_settings(app.ctx.store, app.ctx.settings)
