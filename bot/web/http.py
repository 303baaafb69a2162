"""The service's 4xx: `BadRequest` (a machine-readable code, a Chinese message for people and the
offending `field`), its JSON form, and reading a JSON body. Field-level validation lives in the
request models (bot/web/schemas), which raise BadRequest through bot/web/schemas/base.py."""
from __future__ import annotations

import re
from http.cookies import CookieError
from typing import Any

from sanic import Request
from sanic.exceptions import SanicException
from sanic.response import json

from bot.web.schemas.fields import SESSION_ID, SessionId

__all__ = ["SESSION_ID", "BadRequest", "check_session_id", "clean_text", "error_response", "json_object",
           "readable_cookies", "store_busy"]


class BadRequest(SanicException):
    """A 4xx with a machine-readable code and a Chinese message for people."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: Any):
        super().__init__(message, status_code=status)
        self.code = code
        self.extra = extra


def error_response(exc: BadRequest):
    return json({"error": exc.code, "message": str(exc), **exc.extra}, status=exc.status_code)


def store_busy() -> BadRequest:
    """The database did not answer in time (bot.services.store_access.StoreUnavailable): a 503
    the caller may retry, the same for every route."""
    return BadRequest("store_busy", "系统暂时有点忙，请稍后再试。", status=503)


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
    return clean_text(body)


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: Any) -> Any:
    """`value` (JSON) with every lone surrogate ("\\ud800" is valid JSON but no character, and no
    database or UTF-8 encoder takes it) replaced by U+FFFD, so the rest of what a customer typed
    is kept as it is."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {clean_text(key): clean_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_text(item) for item in value]
    return value


COOKIE_NAME_CHARS = re.compile(r"^[A-Za-z0-9!#%&'*+\-.^_`|~]+$")


def readable_cookies(request: Request) -> None:
    """Makes `request.cookies` safe to read: Sanic parses the Cookie header with SimpleCookie,
    which raises on a header it dislikes (`a=1; $p=2`) — then every route would answer 500. A
    browser sends such headers for cookies other sites' scripts set, so the parts that are plain
    `name=value` pairs are kept and the rest ignored."""
    try:
        request.cookies  # noqa: B018 - parses and caches, or raises
    except CookieError:
        cookies: dict[str, str] = {}
        for header in request.headers.getall("cookie", []):
            for part in header.split(";"):
                name, sep, value = part.partition("=")
                name, value = name.strip(), value.strip()
                if sep and COOKIE_NAME_CHARS.match(name) and not name.startswith("$"):
                    cookies.setdefault(name, value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value)
        request._cookies = cookies


def check_session_id(session_id: str) -> str:
    """A chat session id from a URL path (400 invalid_session_id unless it is one, exactly)."""
    return SessionId.from_path(session_id)
