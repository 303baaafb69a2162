"""The service's 4xx: `BadRequest` (a machine-readable code, a Chinese message for people and the
offending `field`), its JSON form, and reading a JSON body. Field-level validation lives in the
request models (bot/web/schemas), which raise BadRequest through bot/web/schemas/base.py."""
from __future__ import annotations

from typing import Any

from sanic import Request
from sanic.exceptions import SanicException
from sanic.response import json

from bot.web.schemas.fields import SESSION_ID, SessionId

__all__ = ["SESSION_ID", "BadRequest", "check_session_id", "error_response", "json_object"]


class BadRequest(SanicException):
    """A 4xx with a machine-readable code and a Chinese message for people."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: Any):
        super().__init__(message, status_code=status)
        self.code = code
        self.extra = extra


def error_response(exc: BadRequest):
    return json({"error": exc.code, "message": str(exc), **exc.extra}, status=exc.status_code)


MAX_JSON_BYTES = 1_000_000  # a JSON body; photos have their own limit (MAX_ATTACHMENT_MB)


def json_object(request: Request) -> dict:
    """The request body as a JSON object, or a 400 saying what is wrong."""
    if not request.body:
        raise BadRequest("empty_body", "请求体为空，需要一个 JSON 对象。")
    if len(request.body) > MAX_JSON_BYTES:
        raise BadRequest("payload_too_large", "请求体太大了（最多 1 MB）。", status=413)
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - Sanic raises its own error type for bad JSON
        body = None
        raise BadRequest("invalid_json", "请求体不是合法的 JSON。") from None
    if not isinstance(body, dict):
        raise BadRequest("invalid_json", "请求体必须是一个 JSON 对象。")
    return body


def check_session_id(session_id: str) -> str:
    """A chat session id from a URL path (400 invalid_session_id unless it is one, exactly)."""
    return SessionId.from_path(session_id)
