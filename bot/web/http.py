"""Request validation helpers shared by the routes: every bad input becomes a clear 4xx."""
from __future__ import annotations

import re
from typing import Any

from sanic import Request
from sanic.exceptions import SanicException
from sanic.response import json

SESSION_ID = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")


class BadRequest(SanicException):
    """A 4xx with a machine-readable code and a Chinese message for people."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: Any):
        super().__init__(message, status_code=status)
        self.code = code
        self.extra = extra


def error_response(exc: BadRequest):
    return json({"error": exc.code, "message": str(exc), **exc.extra}, status=exc.status_code)


def json_object(request: Request) -> dict:
    """The request body as a JSON object, or a 400 saying what is wrong."""
    if not request.body:
        raise BadRequest("empty_body", "请求体为空，需要一个 JSON 对象。")
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - Sanic raises its own error type for bad JSON
        body = None
        raise BadRequest("invalid_json", "请求体不是合法的 JSON。") from None
    if not isinstance(body, dict):
        raise BadRequest("invalid_json", "请求体必须是一个 JSON 对象。")
    return body


def check_session_id(session_id: str) -> str:
    if not SESSION_ID.match(session_id or ""):
        raise BadRequest("invalid_session_id", "会话编号只能包含字母、数字和 _-.:，最长 64 个字符。")
    return session_id


def string_field(body: dict, name: str, *, required: bool = True, max_chars: int | None = None,
                 default: str | None = None) -> str | None:
    value = body.get(name, default)
    if value is None:
        if required:
            raise BadRequest("missing_field", f"缺少字段 {name}。", status=422, field=name)
        return None
    if not isinstance(value, str):
        raise BadRequest("wrong_type", f"字段 {name} 必须是字符串。", status=422, field=name)
    if required and not value.strip():
        raise BadRequest("empty_field", f"字段 {name} 不能为空。", status=422, field=name)
    if max_chars is not None and len(value) > max_chars:
        raise BadRequest("too_long", f"字段 {name} 最长 {max_chars} 个字符。", status=413, field=name,
                         max_chars=max_chars)
    return value
