"""The OpenAPI document is generated from the app's route table and the request/response models:
every route is in it with a declared contract, it is OpenAPI 3 in shape (every $ref resolves), a
limit or enumeration declared once on a model shows in both the document and the validation, and
what the service really answers matches the documented response models."""
from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest
import requests

from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES, PRIORITIES, STATUSES
from bot.services.tickets import ORDER_NUMBER_STATUSES, RISK_FLAGS
from bot.web.contract import operation_of
from bot.web.openapi import openapi_document, openapi_path
from bot.web.schemas import tickets as ticket_models
from tests.support.live_app import AgentClient, LiveApp, add_agent, make_settings, ticket_body

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("openapi"), MAX_MESSAGE_CHARS="300"))
    running.app.ctx.escalation_interval = 3600
    running.start()
    add_agent(running.store, "ann", display_name="安安")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def spec(live) -> dict:
    response = requests.get(f"{live.base}/api/openapi.json", timeout=10)
    assert response.status_code == 200
    return response.json()


# -- every route, with a contract ----------------------------------------------------------------

def test_every_route_of_the_app_is_in_the_document_with_a_declared_contract(live, spec):
    served = []
    for route in live.app.router.routes:
        for method in route.methods - {"HEAD", "OPTIONS"}:
            path = openapi_path(route)
            served.append((path, method))
            assert operation_of(route.handler) is not None, f"{method} {path} declares no contract"
            described = spec["paths"].get(path, {}).get(method.lower())
            assert described is not None, f"{method} {path} is not in the OpenAPI document"
            assert described["summary"] and "x-undocumented" not in described
    api = {(path, method) for path, method in served if path.startswith("/api/") or path == "/healthz"}
    assert len(api) >= 18 and ("/healthz", "GET") in api and ("/api/chat/{session_id}/ws", "GET") in api
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    assert documented == set(served)  # and nothing that is not served


def test_a_route_added_without_a_contract_still_shows_up_marked_undocumented(tmp_path):
    from bot.web.app import create_app

    app = create_app(make_settings(tmp_path))

    @app.get("/api/experiment")
    async def experiment(request):  # pragma: no cover - never called
        return None

    described = openapi_document(app)["paths"]["/api/experiment"]["get"]
    assert described["x-undocumented"] is True


# -- OpenAPI 3 in shape ------------------------------------------------------------------------------

def _refs(node, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            found.append(node["$ref"])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _resolve(spec: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_openapi_3_in_shape_and_every_ref_resolves(spec):
    assert spec["openapi"].startswith("3.0.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert set(spec) >= {"openapi", "info", "paths", "components"}
    schemes = spec["components"]["securitySchemes"]
    operation_ids = []
    for path, item in spec["paths"].items():
        assert path.startswith("/")
        template_names = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            assert method in HTTP_METHODS, (path, method)
            operation_ids.append(operation["operationId"])
            assert operation["responses"] and all(re.fullmatch(r"[1-5]\d\d", s) for s in operation["responses"])
            for response in operation["responses"].values():
                assert "description" in response or "$ref" in response
            parameters = operation.get("parameters", [])
            assert {p["name"] for p in parameters if p["in"] == "path"} == template_names, (method, path)
            for parameter in parameters:
                assert parameter["in"] in ("path", "query", "header", "cookie") and "schema" in parameter
                assert parameter["in"] != "path" or parameter["required"] is True
            for requirement in operation.get("security", []):
                assert set(requirement) <= set(schemes)
            if "requestBody" in operation:
                assert operation["requestBody"]["content"]
    assert len(operation_ids) == len(set(operation_ids))
    for name, schema in spec["components"]["schemas"].items():
        assert "type" in schema or "allOf" in schema, name
        assert "title" not in schema  # pydantic's generated titles are noise in OpenAPI
        jsonschema.Draft4Validator.check_schema(_json_schema(schema))
    refs = _refs(spec, [])
    assert refs, "the document uses no components at all"
    for ref in refs:
        _resolve(spec, ref)  # KeyError when it points nowhere


# -- declared once: in the document and in the validation ----------------------------------------------

def _property(spec: dict, model: str, name: str) -> dict:
    return spec["components"]["schemas"][model]["properties"][name]


def _create(live, key: str, **fields) -> requests.Response:
    return live.call("POST", "/api/tickets", json=ticket_body(key, **fields))


def test_the_description_limit_is_the_models_in_document_and_validation(live, spec):
    limit = ticket_models.Description.max_length
    assert _property(spec, "NewTicketBody", "description")["maxLength"] == limit == 5000
    assert _create(live, "limit-at", description="气" * limit).status_code == 201
    over = _create(live, "limit-over", description="气" * (limit + 1))
    assert over.status_code == 413  # the contract's status for a field over its limit
    assert over.json() == {"error": "too_long", "message": f"字段 description 最长 {limit} 个字符。",
                           "field": "description", "max_chars": limit}


def test_changing_the_limit_on_the_model_changes_both(live, monkeypatch):
    monkeypatch.setattr(ticket_models.Description, "max_length", 20)
    monkeypatch.setattr(live.app.ctx, "openapi_document", None, raising=False)  # generated once per app
    spec = requests.get(f"{live.base}/api/openapi.json", timeout=10).json()
    assert _property(spec, "NewTicketBody", "description")["maxLength"] == 20
    assert _create(live, "limit-20", description="气" * 20).status_code == 201
    over = _create(live, "limit-21", description="气" * 21)
    assert over.status_code == 413 and over.json()["max_chars"] == 20


def test_a_limit_from_the_settings_is_documented_as_this_app_enforces_it(live, spec):
    assert _property(spec, "AgentReply", "text")["maxLength"] == live.settings.max_message_chars == 300
    ticket = _create(live, "reply-limit").json()["ticket"]
    ann = AgentClient(live, "ann")
    path = f"/api/tickets/{ticket['id']}/replies"
    assert ann.call("POST", path, json={"text": "好" * 301}).status_code == 413
    assert ann.call("POST", path, json={"text": "好" * 300}).status_code == 201


def test_enumerations_and_patterns_come_from_the_domain(live, spec):
    new = spec["components"]["schemas"]["NewTicketBody"]["properties"]
    assert new["issue_type"]["enum"] == list(ISSUE_TYPES)
    assert new["expectation"]["enum"] == list(EXPECTATIONS)
    assert new["priority"]["enum"] == list(PRIORITIES)
    assert new["order_number_status"]["enum"] == list(ORDER_NUMBER_STATUSES)
    assert new["risk_flags"]["items"]["enum"] == list(RISK_FLAGS)
    assert new["idempotency_key"]["pattern"] == ticket_models.IdempotencyKey.pattern.pattern
    assert spec["components"]["schemas"]["Ticket"]["properties"]["status"]["enum"] == list(STATUSES)
    listing = {p["name"]: p for p in spec["paths"]["/api/tickets"]["get"]["parameters"]}
    assert listing["status"]["schema"]["items"]["enum"] == list(STATUSES)
    assert listing["status"]["style"] == "form" and listing["status"]["explode"] is False
    assert listing["limit"]["schema"]["maximum"] == ticket_models.MAX_PAGE
    # The document's enumeration is exactly what validation accepts: the refusal lists the same values.
    refused = _create(live, "enum", issue_type="broken").json()
    assert refused["error"] == "invalid_value" and refused["allowed"] == new["issue_type"]["enum"]
    bad_filter = live.call("GET", "/api/tickets?status=done").json()
    assert bad_filter["field"] == "status" and bad_filter["allowed"] == list(STATUSES)


# -- what the service really answers matches the documented models ------------------------------------

def _json_schema(node):
    """OpenAPI 3.0 schema → JSON Schema: `nullable` becomes a null alternative, and objects with
    listed properties allow no others unless they say so (so an undocumented key fails)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items() if key != "example"}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


def _check(spec: dict, response: requests.Response, path: str, method: str) -> None:
    described = spec["paths"][path][method]["responses"][str(response.status_code)]
    described = _resolve(spec, described["$ref"]) if "$ref" in described else described
    schema = described["content"]["application/json"]["schema"]
    converted = _json_schema(copy.deepcopy(spec))
    validator = jsonschema.Draft4Validator(_json_schema(schema),
                                           resolver=jsonschema.RefResolver.from_schema(converted))
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert not errors, f"{method.upper()} {path} {response.status_code}: {errors[0].message} at {list(errors[0].path)}"


def test_real_answers_match_the_documented_response_models(live, spec):
    ann = AgentClient(live, "ann")
    requests.post(f"{live.base}/api/chat/s-shape/messages", json={"text": "快递丢了，电话13812345678"}, timeout=30)
    created = _create(live, "shape", session_id="s-shape", customer_ref="c-shape", phone="13812345678")
    _check(spec, created, "/api/tickets", "post")
    ticket_id = created.json()["id"]
    _check(spec, _create(live, "shape"), "/api/tickets", "post")  # 200: the same key again
    _check(spec, live.call("GET", "/api/tickets?customer_ref=c-shape"), "/api/tickets", "get")
    one = f"/api/tickets/{ticket_id}"
    changed = ann.call("PATCH", one, json={"assignee": "ann", "note": "先核实"})
    _check(spec, changed, "/api/tickets/{ticket_id}", "patch")
    _check(spec, ann.call("POST", f"{one}/replies", json={"text": "您好"}), "/api/tickets/{ticket_id}/replies", "post")
    intake = live.call("PATCH", f"{one}/intake", json={"append_description": "盒子也压坏了",
                                                       "customer_deadline": "周五前"})
    _check(spec, intake, "/api/tickets/{ticket_id}/intake", "patch")
    detail = live.call("GET", one)
    assert detail.json()["ticket"]["transcript"] and detail.json()["ticket"]["events"]
    _check(spec, detail, "/api/tickets/{ticket_id}", "get")
    _check(spec, ann.call("GET", f"{one}/suggestions"), "/api/tickets/{ticket_id}/suggestions", "get")
    bulk = ann.call("POST", "/api/tickets/bulk", json={"action": "claim", "ids": [ticket_id, "TK-20990101-0001"]})
    assert bulk.json()["failed"] == 1
    _check(spec, bulk, "/api/tickets/bulk", "post")
    earlier = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    shown = _create(live, "shape-earlier", customer_ref="c-shape", submitted_at=earlier).json()["id"]
    history = ann.call("GET", f"{one}/history")
    assert "customer_ref" in next(t for t in history.json()["tickets"] if t["id"] == shown)["matched_by"]
    _check(spec, history, "/api/tickets/{ticket_id}/history", "get")
    _check(spec, live.call("GET", "/api/progress?session_id=s-shape"), "/api/progress", "get")
    rated = live.call("POST", f"{one}/csat", json={"session_id": "s-shape", "score": 5, "comment": "好"})
    _check(spec, rated, "/api/tickets/{ticket_id}/csat", "post")
    _check(spec, ann.call("GET", "/api/me"), "/api/me", "get")
    _check(spec, live.call("GET", "/api/agents"), "/api/agents", "get")
    chat = requests.post(f"{live.base}/api/chat/s-shape/messages", json={"text": "还在吗"}, timeout=30)
    _check(spec, chat, "/api/chat/{session_id}/messages", "post")
    _check(spec, requests.get(f"{live.base}/api/chat/s-shape/messages", timeout=10),
           "/api/chat/{session_id}/messages", "get")
    _check(spec, requests.get(f"{live.base}/api/shop/status", timeout=10), "/api/shop/status", "get")
    _check(spec, requests.get(f"{live.base}/healthz", timeout=10), "/healthz", "get")
    login = requests.post(f"{live.base}/desk/login", json={"name": "ann", "password": "correct horse 1"}, timeout=30)
    _check(spec, login, "/desk/login", "post")


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("POST", "/api/tickets", {"json": {"idempotency_key": "e"}}, 422),
    ("POST", "/api/tickets", {"json": {"idempotency_key": "e", "issue_type": "other_complaint",
                                       "description": "长" * 5001}}, 413),
    ("POST", "/api/tickets", {"data": b"[]", "headers": {"Content-Type": "application/json"}}, 400),
    ("GET", "/api/tickets?limit=0", {}, 400),
    ("GET", "/api/tickets/TK-1", {}, 404),
    ("GET", "/api/tickets", {"token": "wrong"}, 401),
    ("GET", "/api/tickets/export.csv?from=yesterday", {}, 400),
    ("GET", "/api/progress", {}, 422),
    ("PATCH", "/api/tickets/TK-20200101-0001/intake", {"json": {"intake": "complete"}}, 404),
    ("PATCH", "/api/tickets/TK-20200101-0001/intake", {"json": {}}, 422),
])
def test_error_answers_match_the_documented_error_model(live, spec, method, path, kwargs, status):
    response = live.call(method, path, **kwargs)
    assert response.status_code == status
    route = re.sub(r"TK-[^/?]*", "{ticket_id}", path.split("?")[0])
    _check(spec, response, route, method.lower())

