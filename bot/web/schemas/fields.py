"""The value types of the HTTP contract. Each declares once what a value may be (JSON type, enum,
pattern, length, range) for both validation and the OpenAPI document (`openapi()`), and says
what is wrong as a `Problem` (a kind plus details). bot/web/schemas/base.py turns a Problem into
the service's Chinese 4xx; the only Chinese here describes a type (format hints, path errors).

Pydantic 1.10 calls `check` when a model is validated and `__modify_schema__` when its schema is
generated; path parameters call `from_path`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic.fields import FieldInfo

from bot.domain.taxonomy import TICKET_ID  # one definition for the whole project

NO_CONTROL_CHARS = re.compile(r"^[^\x00-\x1f\x7f]+$")
SESSION_ID = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DIGITS = re.compile(r"[0-9]+")  # fullmatch: no sign, no spaces, no trailing newline


class Problem(ValueError):
    """One thing wrong with one value. `kind`: missing, wrong_type, empty, too_long, pattern,
    choice, range, format, date, flag, unknown_field, empty_body."""

    def __init__(self, kind: str, **details: Any):
        super().__init__(kind)
        self.kind = kind
        self.details = details


class ContractField(FieldInfo):
    """pydantic's FieldInfo plus what the contract needs besides the type: whether null is
    accepted (`nullable`, default: when the default is None) and field-specific wording
    (`messages`: kind → text; `invalid`: one text, as invalid_value, for anything but missing)."""

    __slots__ = ("nullable", "messages")

    def __init__(self, default: Any = ..., *, nullable: bool | None = None, messages: dict[str, str] | None = None,
                 **kwargs: Any):
        super().__init__(default, **kwargs)
        self.nullable = nullable
        self.messages = messages or {}


def field(default: Any = ..., *, description: str | None = None, nullable: bool | None = None,
          invalid: str | None = None, messages: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """`Field()` for the contract's models; see ContractField."""
    wording = dict(messages or {})
    if invalid is not None:
        wording["invalid"] = invalid
    return ContractField(default, description=description, nullable=nullable, messages=wording, **kwargs)


class ContractType:
    """Base of the value types: schema from `openapi()`, validation in `check`."""

    path_error: ClassVar[tuple[str, int, str] | None] = None  # (code, status, message) when in a URL path
    path_exact: ClassVar[bool] = True  # in a path, taken only as sent (not trimmed or re-cased)

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def __modify_schema__(cls, schema: dict[str, Any]) -> None:
        schema.update(cls.openapi())

    @classmethod
    def __get_validators__(cls):
        yield cls.check

    @classmethod
    def check(cls, value: Any, field: Any = None, config: Any = None) -> Any:
        raise NotImplementedError

    @classmethod
    def from_path(cls, value: str) -> Any:
        """A URL path segment: any problem is the type's `path_error`."""
        from bot.web.http import BadRequest

        try:
            checked = cls.check(value)
        except Problem:
            checked = None
        if checked is None or (cls.path_exact and checked != value):
            code, status, message = cls.path_error or ("not_found", 404, "找不到这个地址。")
            raise BadRequest(code, message, status=status)
        return checked


def _in_query(config: Any) -> bool:
    return getattr(config, "location", "body") == "query"


# -- strings -------------------------------------------------------------------------------------

class Text(ContractType, str):
    """A JSON string of at most `max_length` characters (counted as sent). With `trim`, spaces
    around it are dropped and a blank optional value counts as absent; with `pattern`, the
    (trimmed) value must match it; `hint` says the format in Chinese."""

    max_length: ClassVar[int | None] = None
    pattern: ClassVar[re.Pattern | None] = None
    hint: ClassVar[str] = ""
    blank: ClassVar[bool] = True  # may a given value be only spaces? (a required one never may)
    trim: ClassVar[bool] = False
    example: ClassVar[str | None] = None

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if cls.max_length is not None:
            schema["maxLength"] = cls.max_length
        if cls.pattern is not None:
            schema["pattern"] = cls.pattern.pattern
        if not cls.blank:
            schema["minLength"] = 1
        if cls.example is not None:
            schema["example"] = cls.example
        return schema

    @classmethod
    def clean(cls, value: str) -> str:
        return value.strip()

    @classmethod
    def check(cls, value: Any, field: Any = None, config: Any = None) -> str | None:
        if not isinstance(value, str):
            raise Problem("wrong_type", expected="字符串")
        if not value.strip() and ((field is not None and field.required) or not cls.blank):
            raise Problem("empty")
        if cls.max_length is not None and len(value) > cls.max_length:
            raise Problem("too_long", max_chars=cls.max_length)
        if cls.trim:
            value = cls.clean(value)
            if not value:
                return None
        if cls.pattern is not None and not cls.pattern.match(value):
            raise Problem("pattern", hint=cls.hint, max_chars=cls.max_length)
        return value


def text(max_length: int | None = None, *, blank: bool = True) -> type[Text]:
    """Free text (the customer's or an agent's words): only a length limit."""
    return type("Text", (Text,), {"max_length": max_length, "blank": blank})



class ClientId(Text):
    """A sender's own id for one message: the same id sent again is the same message."""

    pattern = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
    max_length = 64

class Line(Text):
    """A one-line value (names, references, search words): no control characters."""

    pattern = NO_CONTROL_CHARS
    hint = "不能包含控制字符。"
    trim = True


def line(max_length: int, hint: str | None = None) -> type[Line]:
    return type("Line", (Line,), {"max_length": max_length,
                                  "hint": hint or f"不能包含控制字符，最长 {max_length} 个字符。"})


class SessionId(Line):
    pattern = SESSION_ID
    max_length = 64
    hint = "只能包含字母、数字和 _-.:，最长 64 个字符。"
    path_error = ("invalid_session_id", 400, "会话编号" + hint)


class TicketId(Line):
    pattern = TICKET_ID
    max_length = 32
    example = "TK-20261123-0007"
    path_exact = False  # tk-20261123-0007 is the same ticket
    path_error = ("ticket_not_found", 404, "找不到这个工单。")

    @classmethod
    def clean(cls, value: str) -> str:
        return value.strip().upper()


# -- choices -----------------------------------------------------------------------------------

class Choice(ContractType, str):
    """One of `choices` (a JSON string)."""

    choices: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        return {"type": "string", "enum": list(cls.choices)}

    @classmethod
    def check(cls, value: Any, field: Any = None, config: Any = None) -> str:
        if not isinstance(value, str):
            raise Problem("wrong_type", expected="字符串")
        if value not in cls.choices:
            raise Problem("choice", value=value[:40], choices=cls.choices)
        return value


def choice(values: Iterable[str]) -> type[Choice]:
    """A Choice of these values (the keys, for a dict such as taxonomy.ISSUE_TYPES)."""
    return type("Choice", (Choice,), {"choices": tuple(values)})


# -- other scalars -------------------------------------------------------------------------------

class Flag(ContractType):
    """true or false: a JSON boolean in a body; the words `true` / `false` in a query."""

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        return {"type": "boolean"}

    @classmethod
    def check(cls, value: Any, field: Any = None, config: Any = None) -> bool:
        if _in_query(config):
            if value not in ("true", "false"):
                raise Problem("flag")
            return value == "true"
        if not isinstance(value, bool):
            raise Problem("wrong_type", expected=" true 或 false")
        return value


class Whole(ContractType, int):
    """A whole number from `low` to `high`: a JSON integer in a body, digits in a query."""

    low: ClassVar[int] = 0
    high: ClassVar[int] = 2**31

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        return {"type": "integer", "minimum": cls.low, "maximum": cls.high}

    @classmethod
    def check(cls, value: Any, field: Any = None, config: Any = None) -> int:
        if _in_query(config) and isinstance(value, str) and DIGITS.fullmatch(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not cls.low <= value <= cls.high:
            raise Problem("range", low=cls.low, high=cls.high)
        return value


def whole(low: int, high: int) -> type[Whole]:
    return type("Whole", (Whole,), {"low": low, "high": high})


class Day(ContractType):
    """A calendar day, YYYY-MM-DD."""

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    @classmethod
    def check(cls, value: Any, field: Any = None, config: Any = None) -> date:
        try:
            if not isinstance(value, str) or not ISO_DAY.match(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise Problem("date") from None


class Moment(ContractType):
    """A point in time: ISO 8601 with a UTC offset (a trailing Z is fine)."""

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}

    @classmethod
    def check(cls, value: Any, field: Any = None, config: Any = None) -> datetime:
        if not isinstance(value, str):
            raise Problem("wrong_type", expected="带时区的 ISO 8601 时间字符串")
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if len(value) <= 40 else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
            raise Problem("format", expected="带时区的 ISO 8601 时间，如 2026-11-23T09:30:00+08:00")
        return moment


class JsonObject(ContractType, dict):
    """A JSON object of at most `max_chars` characters once serialised."""

    max_chars: ClassVar[int | None] = None

    @classmethod
    def openapi(cls) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object"}
        if cls.max_chars is not None:
            schema["x-maxJsonLength"] = cls.max_chars
        return schema

    @classmethod
    def check(cls, value: Any, field: Any = None, config: Any = None) -> dict:
        if not isinstance(value, dict):
            raise Problem("wrong_type", expected=" JSON 对象")
        if cls.max_chars is not None and len(json.dumps(value, ensure_ascii=False)) > cls.max_chars:
            raise Problem("too_long", max_chars=cls.max_chars)
        return value


def json_object(max_chars: int) -> type[JsonObject]:
    return type("JsonObject", (JsonObject,), {"max_chars": max_chars})
