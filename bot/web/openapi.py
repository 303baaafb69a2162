"""The OpenAPI 3 document of the bot service, served at `GET /api/openapi.json`.

Generated, never written by hand: it walks the app's route table (`app.router.routes`) and
reads each handler's contract (bot/web/contract.py) — access, path types, query, body and response
models — and the JSON schemas of those models (bot/web/schemas). A field's type, enum, pattern and
limit are declared once, on its model, and appear here the way the service enforces them.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from pydantic.schema import get_flat_models_from_models, get_model_name_map, schema
from sanic import Blueprint, Request
from sanic.response import json

from bot.web.contract import Operation, Reply, documented, operation_of
from bot.web.schemas.base import Error

REF = "#/components/schemas/{model}"
ROUTE_PARAM = re.compile(r"^<(\w+)(?::[^>]*)?>$")
UNDOCUMENTED_METHODS = ("HEAD", "OPTIONS")  # CORS preflights and automatic HEADs
ERROR_TEXTS = {
    400: "请求体不是合法的 JSON 对象，或参数不对", 401: "没有或错误的凭据", 403: "身份不符或缺少 CSRF 令牌",
    404: "找不到（或不属于这位顾客的）工单", 409: "状态冲突", 413: "字段或请求体太长", 415: "不支持的文件类型",
    422: "字段缺失、类型或取值不对", 429: "太频繁，请稍后再试", 503: "数据库暂时无法应答，请稍后再试",
}
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "BOT_API_TOKEN"},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "desk_session"},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                  "description": "needed with the cookie on POST/PATCH; or form field csrf_token"},
}
DESCRIPTION = (
    "Tickets, the agent desk, the customer chat and customer progress. Machines (the action server) send "
    "`Authorization: Bearer $BOT_API_TOKEN`; agents log in at `/desk/login` and send the `desk_session` "
    "cookie plus `X-CSRF-Token` (from `/api/me`) on every state-changing request. Errors are "
    "`{\"error\": code, \"message\": 中文说明, \"field\": …}` with a 4xx status. Times are UTC; `*_text` "
    "fields are the shop-local promise wording. Generated from the routes and their models.")

bp = Blueprint("openapi")


def openapi_path(route) -> str:
    """`api/tickets/<ticket_id:str>` → `/api/tickets/{ticket_id}`."""
    parts = [f"{{{found.group(1)}}}" if (found := ROUTE_PARAM.match(part)) else part for part in route.parts]
    return "/" + "/".join(part for part in parts if part)


def documented_routes(app) -> list[tuple[str, str, Any, Operation | None]]:
    """(path, method, route, contract) for every method the app serves, sorted by path."""
    found = []
    for route in app.router.routes:
        for method in sorted(route.methods):
            if method not in UNDOCUMENTED_METHODS:
                found.append((openapi_path(route), method, route, operation_of(route.handler)))
    return sorted(found, key=lambda item: (item[0], item[1]))


def _models(contract: Operation, settings) -> list[type]:
    models = [reply.model for reply in contract.replies().values() if reply.model is not None]
    if contract.body is not None:
        models.append(contract.body.for_settings(settings))
    return models


def _ref(model: type, names: dict) -> dict[str, str]:
    return {"$ref": REF.format(model=names[model])}


def _parameters(route, contract: Operation) -> list[dict[str, Any]]:
    parameters = []
    for part in route.parts:
        found = ROUTE_PARAM.match(part)
        if found:
            kind = contract.path.get(found.group(1))
            parameters.append({"name": found.group(1), "in": "path", "required": True,
                               "schema": kind.openapi() if kind else {"type": "string"}})
    if contract.query is not None:
        properties = copy.deepcopy(contract.query.schema()["properties"])
        for name, model_field in contract.query.__fields__.items():
            prop = properties[model_field.alias]
            prop.pop("nullable", None)  # an absent argument is the absent value
            parameter = {"name": model_field.alias, "in": "query", "required": model_field.required,
                         "description": prop.pop("description", ""), "schema": prop}
            if contract.query.is_list(name):
                parameter.update(style="form", explode=False)  # status=new,open
            parameters.append(parameter)
    return parameters + [dict(p) for p in contract.parameters]


def _content(reply: Reply, names: dict) -> dict[str, Any]:
    if reply.model is not None:
        return {reply.media_type: {"schema": _ref(reply.model, names)}}
    return {reply.media_type: {"schema": {"type": "object" if reply.media_type == "application/json" else "string"}}}


def _operation(path: str, method: str, route, contract: Operation | None, settings, names: dict) -> dict[str, Any]:
    blueprint, _, handler = route.name.partition(".")[2].partition(".")
    if contract is None:
        return {"summary": handler, "tags": [blueprint], "responses": {"default": {"description": "undocumented"}},
                "x-undocumented": True}
    described: dict[str, Any] = {"operationId": f"{handler}_{method.lower()}" if len(route.methods) > 1 else handler,
                                 "summary": contract.summary, "tags": [blueprint]}
    if contract.description:
        described["description"] = contract.description
    if contract.access is not None:
        described["security"] = contract.access.security(method)
    parameters = _parameters(route, contract)
    if parameters:
        described["parameters"] = parameters
    if contract.body is not None:
        body_schema = _ref(contract.body.for_settings(settings), names)
        described["requestBody"] = {"required": True, "content": {
            media: {"schema": body_schema} for media in contract.body_media_types}}
    if contract.upload:
        described["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": sorted(contract.upload),
            "properties": {name: {"type": "string", "format": "binary", "description": text}
                           for name, text in contract.upload.items()}}}}}
    responses: dict[str, Any] = {}
    for status, reply in contract.replies().items():
        responses[str(status)] = {"description": reply.description}
        if reply.media_type:
            responses[str(status)]["content"] = _content(reply, names)
    for status in sorted(contract.error_statuses(method)):
        if status not in ERROR_TEXTS:
            raise ValueError(f"{route.name}: no wording for error status {status} in ERROR_TEXTS")
        responses.setdefault(str(status), {"$ref": f"#/components/responses/Error{status}"})
    described["responses"] = responses
    return described


def _error_responses(names: dict) -> dict[str, Any]:
    return {f"Error{status}": {"description": text, "content": {"application/json": {"schema": _ref(Error, names)}}}
            for status, text in ERROR_TEXTS.items()}


def openapi_document(app) -> dict[str, Any]:
    """The whole document for this app (its routes, its settings' limits)."""
    settings = app.ctx.settings
    routes = documented_routes(app)
    models = {Error}
    for _, _, _, contract in routes:
        if contract is not None:
            models.update(_models(contract, settings))
    names = get_model_name_map(get_flat_models_from_models(models))
    paths: dict[str, dict[str, Any]] = {}
    for path, method, route, contract in routes:
        paths.setdefault(path, {})[method.lower()] = _operation(path, method, route, contract, settings, names)
    return {
        "openapi": "3.0.3",
        "info": {"title": "投诉助手 · 工单服务 (bot service)", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": getattr(settings, "public_url", "") or "/"}],
        "paths": paths,
        "components": {"securitySchemes": SECURITY_SCHEMES, "responses": _error_responses(names),
                       "schemas": schema(sorted(models, key=lambda m: names[m]), ref_template=REF)["definitions"]},
    }


@bp.get("/api/openapi.json")
@documented("This description, generated from the routes and their models",
            responses={200: Reply(description="OpenAPI 3 document")})
async def openapi(request: Request):
    ctx = request.app.ctx
    if getattr(ctx, "openapi_document", None) is None:
        ctx.openapi_document = openapi_document(request.app)  # routes and models are fixed once serving
    return json(ctx.openapi_document)
