"""Base classes of the contract's models and the one place a validation failure becomes the
service's Chinese 4xx.

- `Schema`: every model; its JSON schema is tidied for OpenAPI 3.0 (no generated titles, `nullable`).
- `Body`: a JSON request body. Problems are 422 (a value), 413 (too long), naming the `field`.
- `Query`: query arguments (`?a=1&b=x,y`). Any problem is a 400 with the model's `error_code`.

The wording below is the API's error format (docs/TICKET_API.md): `{"error": code, "message": 中文,
"field": name}` plus `max_chars` or `allowed` where they help.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Optional

from pydantic import BaseModel, ValidationError, validator
from pydantic.error_wrappers import ErrorWrapper
from pydantic.errors import ExtraError, ListError, MissingError, NoneIsNotAllowedError
from pydantic.fields import SHAPE_LIST, ModelField

from bot.web.http import BadRequest, json_object
from bot.web.schemas.fields import Problem, field

# kind → (code, status, message, extra keys in the answer)
BODY_WORDING: dict[str, tuple[str, int, str, tuple[str, ...]]] = {
    "missing": ("missing_field", 422, "缺少字段 {name}。", ()),
    "wrong_type": ("wrong_type", 422, "字段 {name} 必须是{expected}。", ()),
    "empty": ("empty_field", 422, "字段 {name} 不能为空。", ()),
    "too_long": ("too_long", 413, "字段 {name} 最长 {max_chars} 个字符。", ("max_chars",)),
    "pattern": ("invalid_value", 422, "字段 {name} 格式不对：{hint}", ()),
    "choice": ("invalid_value", 422, "字段 {name} 的值 {value!r} 不认识，可选：{choices}。", ("allowed",)),
    "range": ("invalid_value", 422, "字段 {name} 必须是 {low} 到 {high} 的整数。", ()),
    "format": ("invalid_value", 422, "字段 {name} 必须是{expected}。", ()),
    "unknown_field": ("unknown_field", 422, "不认识字段 {name}，可用：{fields}。", ()),
    "empty_body": ("empty_body", 422, "请至少给出一个字段：{fields}。", ()),
    "invalid": ("invalid_value", 422, "字段 {name} 的值不对。", ()),
}
QUERY_WORDING: dict[str, tuple[str, tuple[str, ...]]] = {
    "too_long": ("参数 {name} 格式不对或太长（最长 {max_chars} 个字符）。", ()),
    "pattern": ("参数 {name} 格式不对或太长（最长 {max_chars} 个字符）。", ()),
    "choice": ("参数 {name} 的值 {value!r} 不认识，可选：{choices}。", ("allowed",)),
    "flag": ("参数 {name} 只能是 true 或 false。", ()),
    "range": ("参数 {name} 必须是 {low} 到 {high} 之间的整数。", ()),
    "date": ("参数 {name} 必须是 YYYY-MM-DD 格式的日期。", ()),
    "invalid": ("参数 {name} 的值不对。", ()),
}
# Which problem of one field is reported first (the order a person fixes them in).
KIND_ORDER = ("missing", "wrong_type", "empty", "too_long")
MODEL_KINDS = ("unknown_field", "empty_body")


def tidy_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """OpenAPI 3.0 flavour of pydantic's JSON schema: no generated titles; `nullable: true` where
    null is accepted (explicitly, or because the default is None)."""
    schema.pop("title", None)
    if model.__dict__.get("__doc__") is None:
        schema.pop("description", None)  # pydantic would repeat a base class's docstring
    properties = schema.get("properties", {})
    for model_field in model.__fields__.values():
        prop = properties.get(model_field.alias)
        if prop is None:
            continue
        prop.pop("title", None)
        if list(prop) == ["allOf"] and len(prop["allOf"]) == 1:
            prop = properties[model_field.alias] = dict(prop["allOf"][0])
        if is_nullable(model_field):
            if "$ref" in prop:
                properties[model_field.alias] = {"allOf": [prop], "nullable": True}
            else:
                prop["nullable"] = True


def is_nullable(model_field: ModelField) -> bool:
    explicit = getattr(model_field.field_info, "nullable", None)
    return model_field.allow_none if explicit is None else explicit


class Schema(BaseModel):
    class Config:
        schema_extra = staticmethod(tidy_schema)


class Error(Schema):
    """Every error answer: 4xx with a code and a Chinese message (5xx: server_error)."""

    error: str = field(description="machine-readable code, e.g. missing_field, ticket_not_found")
    message: str = field(description="Chinese explanation for people")
    max_chars: Optional[int] = field(None, description="too_long: the limit")
    allowed: Optional[list[str]] = field(None, description="invalid_value of an enumeration: the values accepted")
    retry_after: Optional[int] = field(None, description="too_many_messages: seconds to wait")
    field: Optional[str] = field(None, description="the offending field or query argument, when there is one")


# -- from a validation error to a 4xx --------------------------------------------------------------

def _flatten(errors: list, loc: tuple = ()) -> Iterator[tuple[tuple, Exception]]:
    for error in errors:
        if isinstance(error, ErrorWrapper):
            where = loc + error.loc_tuple()
            if isinstance(error.exc, ValidationError):
                yield from _flatten(error.exc.raw_errors, where)
            else:
                yield where, error.exc
        elif isinstance(error, list):
            yield from _flatten(error, loc)


def _as_problem(exc: Exception) -> Problem:
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, MissingError | NoneIsNotAllowedError):
        return Problem("missing")
    if isinstance(exc, ListError):
        return Problem("wrong_type", expected="字符串列表")
    if isinstance(exc, ExtraError):
        return Problem("unknown_field")
    return Problem("invalid")


def _first(model: type[BaseModel], errors: list[tuple[tuple, Problem]]) -> tuple[str, Problem, list[Problem]]:
    """The problem to report, its field name and all problems of that field."""
    for loc, problem in errors:
        if problem.kind in MODEL_KINDS:
            return str(problem.details.get("field", loc[0]))[:40], problem, [problem]
    name = str(errors[0][0][0])
    if name == "__root__":
        return str(errors[0][1].details.get("field", name)), errors[0][1], [errors[0][1]]
    same = [problem for loc, problem in errors if loc[0] == name]
    same.sort(key=lambda p: KIND_ORDER.index(p.kind) if p.kind in KIND_ORDER else len(KIND_ORDER))
    if same[0].kind == "wrong_type" and model.__fields__.get(name) is not None \
            and model.__fields__[name].shape == SHAPE_LIST:
        same[0] = Problem("wrong_type", expected="字符串列表")
    return name, same[0], same


def _context(model: type[BaseModel], name: str, problem: Problem, same: list[Problem]) -> dict[str, Any]:
    choices = problem.details.get("choices", ())
    values = [p.details["value"] for p in same if p.kind == "choice"]
    return {"name": name, "fields": "、".join(model.__fields__), "expected": "合适的值", "max_chars": "",
            **problem.details, "choices": "、".join(choices), "values": "、".join(values[:5])}


def _extra(keys: tuple[str, ...], problem: Problem) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if "max_chars" in keys:
        extra["max_chars"] = problem.details["max_chars"]
    if "allowed" in keys:
        extra["allowed"] = list(problem.details["choices"])
    return extra


def body_refusal(model: type[BaseModel], exc: ValidationError) -> BadRequest:
    errors = [(loc, _as_problem(e)) for loc, e in _flatten(exc.raw_errors)]
    name, problem, same = _first(model, errors)
    model_field = model.__fields__.get(name)
    wording = dict(getattr(model, "wording", {}))
    if model_field is not None:
        wording.update(getattr(model_field.field_info, "messages", {}))
    code, status, message, keys = BODY_WORDING.get(problem.kind, BODY_WORDING["invalid"])
    if problem.kind in wording:
        message = wording[problem.kind]
    elif problem.kind != "missing" and "invalid" in wording:
        code, status, message, keys = "invalid_value", 422, wording["invalid"], ()
    extra = _extra(keys, problem)
    if problem.kind != "empty_body":
        extra["field"] = name
    return BadRequest(code, message.format(**_context(model, name, problem, same)), status=status, **extra)


def query_refusal(model: type[Query], exc: ValidationError) -> BadRequest:
    errors = [(loc, _as_problem(e)) for loc, e in _flatten(exc.raw_errors)]
    name, problem, same = _first(model, errors)
    message, keys = QUERY_WORDING.get(problem.kind, QUERY_WORDING["invalid"])
    return BadRequest(model.error_code, message.format(**_context(model, name, problem, same)), field=name,
                      **_extra(keys, problem))


def invalid_field(name: str, message: str, code: str = "invalid_value", status: int = 422) -> BadRequest:
    """A body field that passed its type but breaks a rule checked by the handler (e.g. a
    submission time too old, an agent who does not exist)."""
    return BadRequest(code, message, status=status, field=name)


# -- the bases --------------------------------------------------------------------------------------

class Body(Schema):
    """A JSON request body. A key sent as null counts as not sent, except for fields declared
    `nullable=False` (null is refused as missing) and required fields."""

    wording: ClassVar[dict[str, str]] = {}  # model-level texts: unknown_field, empty_body

    class Config:
        location = "body"

    @validator("*", pre=True)
    def _refuse_null(cls, value: Any, field: ModelField) -> Any:
        if value is None and getattr(field.field_info, "nullable", None) is False:
            raise Problem("missing")
        return value

    @classmethod
    def for_settings(cls, settings: Any) -> type[Body]:
        """The model as this app enforces it (override when a limit is a setting)."""
        return cls

    @classmethod
    def parse(cls, data: dict[str, Any]):
        try:
            return cls.parse_obj(data)
        except ValidationError as exc:
            raise body_refusal(cls, exc) from None

    @classmethod
    def from_request(cls, request: Any):
        return cls.parse(json_object(request))


class Query(Schema):
    """Query arguments. An empty one counts as not given; words are trimmed (a blank one is not
    given); a list field takes comma-separated values (`status=new,open`)."""

    error_code: ClassVar[str] = "invalid_filter"

    class Config:
        location = "query"

    @classmethod
    def from_args(cls, args: Mapping[str, Any]):
        values: dict[str, Any] = {}
        for model_field in cls.__fields__.values():
            raw = args.get(model_field.alias)
            words = model_field.shape == SHAPE_LIST or issubclass(model_field.type_, str)
            if raw is None or raw == "" or (words and not raw.strip()):
                continue
            if model_field.shape == SHAPE_LIST:
                values[model_field.alias] = [item.strip() for item in raw.split(",") if item.strip()]
            else:
                values[model_field.alias] = raw.strip() if words else raw  # numbers, flags, days: exactly
        try:
            return cls.parse_obj(values)
        except ValidationError as exc:
            raise query_refusal(cls, exc) from None

    @classmethod
    def is_list(cls, name: str) -> bool:
        return cls.__fields__[name].shape == SHAPE_LIST
