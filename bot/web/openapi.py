"""The OpenAPI 3 description of the bot service's HTTP API, served at `GET /api/openapi.json`.

Written by hand next to the routes (bot/web/routes/); the enumerations come from the taxonomy and
triage modules, so they cannot drift from what the service accepts. tests/service/test_tickets_api.py
checks that every route of the app is described here.
"""
from __future__ import annotations

from typing import Any

from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES, PRIORITIES, STATUSES
from bot.services.tickets import ORDER_NUMBER_STATUSES, RISK_FLAGS

MACHINE = [{"bearerAuth": []}]
AGENT = [{"cookieAuth": [], "csrfToken": []}]
EITHER = [{"bearerAuth": []}, {"cookieAuth": [], "csrfToken": []}]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict:
    texts = {400: "请求体不是合法的 JSON 对象，或参数不对", 401: "没有或错误的凭据", 403: "身份不符或缺少 CSRF 令牌",
             404: "找不到（或不属于这位顾客的）工单", 409: "状态冲突", 413: "字段太长", 422: "字段缺失、类型或取值不对",
             429: "尝试次数过多"}
    return {str(code): {"description": texts[code], "content": {"application/json": {"schema": _ref("Error")}}}
            for code in codes}


def _json_body(schema: dict, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict | None = None, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


TICKET_ID_PARAM = {"name": "ticket_id", "in": "path", "required": True, "description": "工单号，如 TK-20261123-0007",
                   "schema": {"type": "string", "pattern": r"^TK-\d{8}-\d{4,}$"}}
HTML_PAGE = {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
LOGIN_REDIRECT = {"description": "not logged in: to /desk/login?next=…"}
NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}
TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC"}


def _schemas() -> dict[str, Any]:
    string = {"type": "string"}
    nullable_string = {"type": "string", "nullable": True}
    message = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "sender": {"type": "string", "enum": ["customer", "bot", "agent", "system"]},
            "text": string, "buttons": {"type": "array", "items": {"type": "object"}},
            "meta": {"type": "object", "description": "agent replies: {agent, display_name, ticket_id}"},
            "created_at": TIME,
        },
    }
    ticket_properties = {
        "id": {"type": "string", "example": "TK-20261123-0007"},
        "idempotency_key": string,
        "session_id": nullable_string,
        "customer_ref": nullable_string,
        "channel": {"type": "string", "example": "web"},
        "order_number": nullable_string,
        "order_number_status": {"type": "string", "enum": list(ORDER_NUMBER_STATUSES)},
        "issue_type": {"type": "string", "enum": list(ISSUE_TYPES)},
        "issue_type_label": string,
        "category": {"type": "string", "enum": ["product", "logistics", "service", "other"]},
        "category_label": string,
        "expectation": {"type": "string", "enum": list(EXPECTATIONS), "nullable": True},
        "expectation_label": string,
        "description": {"type": "string", "description": "the customer's own words (escape when rendering)"},
        "phone": {"type": "string", "nullable": True, "description": "masked: 138****5678"},
        "priority": {"type": "string", "enum": list(PRIORITIES)},
        "priority_label": string,
        "risk_flags": {"type": "array", "items": {"type": "string", "enum": list(RISK_FLAGS)}},
        "risk_labels": {"type": "array", "items": string},
        "triage_reasons": {"type": "array", "items": string, "description": "why this priority, in Chinese"},
        "repeat_contacts": {"type": "integer", "description": "tickets of this customer in the 7 days before"},
        "complex_case": {"type": "boolean", "description": "longer resolution target (48 h by default)"},
        "off_hours": {"type": "boolean"},
        "handoff_requested": {"type": "boolean", "description": "the customer asked for a person (转人工)"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "status_label": string,
        "assignee": {"type": "string", "nullable": True, "description": "agent login name"},
        "created_at": TIME, "updated_at": TIME,
        "first_response_due": TIME,
        "first_response_due_text": {"type": "string", "example": "明天（周二）09:15 前"},
        "resolution_due": TIME,
        "resolution_due_text": string,
        "first_responded_at": NULLABLE_TIME, "resolved_at": NULLABLE_TIME, "escalated_at": NULLABLE_TIME,
        "overdue": {"type": "boolean", "description": "open and past a due time right now"},
        "csat": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
        "csat_comment": nullable_string,
    }
    event = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "ticket_id": string,
                       "actor": {"type": "string", "description": "agent name, or system / bot / customer"},
                       "action": {"type": "string", "enum": ["created", "assigned", "status_changed",
                                                             "priority_changed", "note", "replied", "escalated",
                                                             "csat"]},
                       "details": {"type": "object"}, "at": TIME},
    }
    return {
        "Error": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string", "description": "machine-readable code, e.g. missing_field"},
            "message": {"type": "string", "description": "Chinese explanation for people"},
            "field": {"type": "string", "description": "the offending field, when there is one"}}},
        "Ticket": {"type": "object", "properties": ticket_properties},
        "TicketDetail": {"allOf": [_ref("Ticket"), {"type": "object", "properties": {
            "transcript": {"type": "array", "items": _ref("ChatMessage"),
                           "description": "the chat session's messages, agent replies included"},
            "events": {"type": "array", "items": _ref("TicketEvent"), "description": "audit trail, oldest first"}}}]},
        "ChatMessage": message,
        "TicketEvent": event,
        "NewTicket": {"type": "object", "required": ["idempotency_key", "issue_type", "description"], "properties": {
            "idempotency_key": {"type": "string", "pattern": r"^[A-Za-z0-9_\-.:]{1,128}$",
                                "description": "chosen by the caller; the same key always returns the same ticket"},
            "session_id": {"type": "string", "nullable": True, "pattern": r"^[A-Za-z0-9_\-.:]{1,64}$"},
            "customer_ref": {"type": "string", "nullable": True, "maxLength": 128,
                             "description": "the shop's verified customer id; pass only verified values"},
            "channel": {"type": "string", "default": "web", "pattern": r"^[a-z0-9_\-]{1,32}$"},
            "order_number": {"type": "string", "nullable": True, "maxLength": 64},
            "order_number_status": {"type": "string", "enum": list(ORDER_NUMBER_STATUSES),
                                    "description": "default: given with a number, unknown without"},
            "issue_type": {"type": "string", "enum": list(ISSUE_TYPES)},
            "expectation": {"type": "string", "enum": list(EXPECTATIONS), "nullable": True},
            "description": {"type": "string", "maxLength": 5000},
            "priority": {"type": "string", "enum": list(PRIORITIES),
                         "description": "the assistant's view; the service re-triages and keeps the higher"},
            "risk_flags": {"type": "array", "items": {"type": "string", "enum": list(RISK_FLAGS)}},
            "off_hours": {"type": "boolean", "description": "default: whether the shop is closed now"},
            "phone": {"type": "string", "maxLength": 24,
                      "description": "default: a mobile number found in the customer's words"},
            "handoff_requested": {"type": "boolean", "default": False},
            "submitted_at": {"type": "string", "format": "date-time", "description": (
                "when the assistant took the complaint (with offset); a ticket delivered late from an outbox "
                "counts its promises from here. Later than now is taken as now; more than 30 days ago is refused")}},
            "description": "other keys are ignored"},
        "TicketCreated": {"type": "object", "properties": {
            "id": string, "created": {"type": "boolean", "description": "false: an earlier call made it"},
            "first_response_due_text": {"type": "string", "example": "今天 17:15 前"},
            "ticket": _ref("Ticket")}},
        "TicketList": {"type": "object", "properties": {
            "tickets": {"type": "array", "items": _ref("Ticket")}, "total": {"type": "integer"},
            "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
        "TicketChange": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
            "status": {"type": "string", "enum": list(STATUSES)},
            "assignee": {"type": "string", "nullable": True, "description": "an active agent's name; null unassigns"},
            "priority": {"type": "string", "enum": list(PRIORITIES)},
            "note": {"type": "string", "maxLength": 5000, "description": "internal note, never shown to customers"}}},
        "CustomerTicket": {"type": "object", "properties": {
            "id": string, "status": {"type": "string", "enum": list(STATUSES)}, "status_label": string,
            "issue_type": string, "issue_type_label": string, "expectation": nullable_string,
            "expectation_label": string, "order_number": nullable_string, "created_at": TIME,
            "first_response_due": TIME, "first_response_due_text": string, "resolution_due": TIME,
            "resolution_due_text": string, "first_responded": {"type": "boolean"},
            "first_responded_at": NULLABLE_TIME,
            "assignee": {"type": "string", "nullable": True,
                         "description": "display name of the agent following it up (as shown in the chat)"},
            "resolved_at": NULLABLE_TIME,
            "csat": {"type": "integer", "nullable": True},
            "summary": {"type": "string", "description": "one Chinese sentence for the assistant to say"}}},
        "Agent": {"type": "object", "properties": {"name": string, "display_name": string,
                                                   "active": {"type": "boolean"}}},
        "LiveEvent": {"type": "object", "description": "data of one SSE frame", "properties": {
            "id": {"type": "integer"}, "type": {"type": "string", "enum": ["ticket_created", "ticket_updated",
                                                                          "message"]},
            "at": TIME, "data": {"type": "object", "description": (
                "ticket_created: {ticket}; ticket_updated: {ticket, changes: [{action, details}]}; "
                "message: {session_id, ticket_id, message}")}}},
    }


def openapi_spec(settings=None) -> dict[str, Any]:
    server = getattr(settings, "public_url", "") or "/"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "投诉助手 · 工单服务 (bot service)",
            "version": "1.0.0",
            "description": (
                "Tickets, the agent desk and customer progress. Machines (the action server) send "
                "`Authorization: Bearer $BOT_API_TOKEN`; agents log in at `/desk/login` and send the "
                "`desk_session` cookie plus `X-CSRF-Token` (from `/api/me`) on every state-changing request. "
                "Errors are `{\"error\": code, \"message\": 中文说明}` with a 4xx status. Times are UTC; "
                "`*_text` fields are the shop-local promise wording."),
        },
        "servers": [{"url": server}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "BOT_API_TOKEN"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "desk_session"},
                "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                              "description": "needed with the cookie on POST/PATCH; or form field csrf_token"},
            },
            "schemas": _schemas(),
        },
        "paths": {
            "/api/tickets": {
                "post": {
                    "summary": "Create a ticket (idempotent)", "security": EITHER,
                    "requestBody": _json_body(_ref("NewTicket")),
                    "responses": {"201": _ok(_ref("TicketCreated"), "created"),
                                  "200": _ok(_ref("TicketCreated"), "already created with this idempotency_key"),
                                  **_errors(400, 401, 403, 413, 422)}},
                "get": {
                    "summary": "List tickets: open first, then urgent → normal, then next due time",
                    "security": EITHER,
                    "parameters": [
                        _query("status", "comma-separated: " + ",".join(STATUSES)),
                        _query("priority", "comma-separated: " + ",".join(PRIORITIES)),
                        _query("issue_type", "comma-separated issue types"),
                        _query("assignee", "agent name; `none` = unassigned; `me` = the logged-in agent"),
                        _query("overdue", "true: only overdue; false: only not overdue",
                               {"type": "string", "enum": ["true", "false"]}),
                        _query("customer_ref", "exact customer id"),
                        _query("session_id", "exact chat session"),
                        _query("q", "ticket id, order number (part) or phone digits (part)"),
                        _query("limit", "page size, 1–500 (default 100)", {"type": "integer"}),
                        _query("offset", "skip this many", {"type": "integer"}),
                    ],
                    "responses": {"200": _ok(_ref("TicketList")), **_errors(400, 401)}},
            },
            "/api/tickets/export.csv": {"get": {
                "summary": "Tickets created in a date range (shop-local days, inclusive) as CSV (UTF-8 with BOM)",
                "security": EITHER,
                "parameters": [_query("from", "YYYY-MM-DD (default: 29 days before `to`)", {"type": "string",
                                                                                        "format": "date"}),
                               _query("to", "YYYY-MM-DD (default: today)", {"type": "string", "format": "date"})],
                "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                              **_errors(400, 401)}}},
            "/api/tickets/{ticket_id}": {
                "parameters": [TICKET_ID_PARAM],
                "get": {"summary": "One ticket with its transcript and audit trail", "security": EITHER,
                        "responses": {"200": _ok({"type": "object", "properties": {"ticket": _ref("TicketDetail")}}),
                                      **_errors(401, 404)}},
                "patch": {"summary": "Change status, assignee, priority; add an internal note", "security": EITHER,
                          "requestBody": _json_body(_ref("TicketChange")),
                          "responses": {"200": _ok({"type": "object", "properties": {
                              "ticket": _ref("Ticket"), "changes": {"type": "array", "items": {"type": "object"}}}}),
                              **_errors(400, 401, 403, 404, 413, 422)}},
            },
            "/api/tickets/{ticket_id}/replies": {
                "parameters": [TICKET_ID_PARAM],
                "post": {"summary": "An agent's message to the customer (shown in the customer's chat)",
                         "security": AGENT,
                         "requestBody": _json_body({"type": "object", "required": ["text"], "properties": {
                             "text": {"type": "string", "maxLength": getattr(settings, "max_message_chars", 2000)}}}),
                         "responses": {"201": _ok({"type": "object", "properties": {
                             "message": _ref("ChatMessage"), "ticket": _ref("Ticket")}}, "sent"),
                             **_errors(400, 401, 403, 404, 409, 413, 422)}}},
            "/api/tickets/{ticket_id}/csat": {
                "parameters": [TICKET_ID_PARAM],
                "post": {"summary": "The customer's rating of their own ticket (assistant only)", "security": MACHINE,
                         "requestBody": _json_body({"type": "object", "required": ["session_id", "score"],
                                                    "properties": {
                                                        "session_id": {"type": "string"},
                                                        "score": {"type": "integer", "minimum": 1, "maximum": 5},
                                                        "comment": {"type": "string", "maxLength": 1000}}}),
                         "responses": {"200": _ok({"type": "object", "properties": {
                             "ticket": _ref("CustomerTicket")}}),
                             **_errors(400, 401, 403, 404, 413, 422)}}},
            "/api/progress": {"get": {
                "summary": "The asking customer's own tickets (assistant only); others' are never returned",
                "security": MACHINE,
                "parameters": [_query("session_id", "the customer's chat session"),
                               _query("customer_ref", "the customer's verified id"),
                               _query("ticket_id", "narrow to one ticket; 404 unless it is this customer's")],
                "responses": {"200": _ok({"type": "object", "properties": {
                    "tickets": {"type": "array", "items": _ref("CustomerTicket")}}}),
                    **_errors(400, 401, 403, 404, 422)}}},
            "/desk/login": {"get": {
                "summary": "The desk's login page (HTML); `error` and `next` as left by a failed form login",
                "parameters": [_query("next", "local /desk… path to open after login"),
                               _query("error", "invalid_credentials | too_many_attempts | session_expired")],
                "responses": {"200": HTML_PAGE, "303": {"description": "already logged in: to `next`"}}}, "post": {
                "summary": "Agent login; sets the desk_session cookie (HttpOnly, SameSite=Strict)",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"type": "object", "required": ["name", "password"],
                                                    "properties": {"name": {"type": "string"},
                                                                   "password": {"type": "string"}}}},
                    "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                        "name": {"type": "string"}, "password": {"type": "string"},
                        "next": {"type": "string", "description": "local path to go to after login"}}}}}},
                "responses": {
                    "200": _ok({"type": "object", "properties": {"agent": _ref("Agent"),
                                                                 "csrf_token": {"type": "string"}}}, "JSON login"),
                    "303": {"description": "form login: to `next` (default /desk), or back to "
                                           "/desk/login?error=invalid_credentials"},
                    **_errors(401, 403, 422, 429)}}},
            "/desk": {"get": {"summary": "The desk's ticket queue (HTML)", "security": AGENT,
                              "responses": {"200": HTML_PAGE, "303": LOGIN_REDIRECT}}},
            "/desk/tickets/{ticket_id}": {"parameters": [TICKET_ID_PARAM], "get": {
                "summary": "The desk's page of one ticket (HTML)", "security": AGENT,
                "responses": {"200": HTML_PAGE, "303": LOGIN_REDIRECT, "404": {"description": "no such ticket"}}}},
            "/desk/stats": {"get": {"summary": "The desk's statistics (HTML)", "security": AGENT,
                                    "responses": {"200": HTML_PAGE, "303": LOGIN_REDIRECT}}},
            "/desk/assets/{name}": {"get": {
                "summary": "The desk's scripts and styles",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "CSS, JavaScript or an image"}, **_errors(404)}}},
            "/api/tickets/{ticket_id}/suggestions": {"parameters": [TICKET_ID_PARAM], "get": {
                "summary": "Suggested next steps (two or more solution options) for the agent; never sent to anyone",
                "security": AGENT,
                "responses": {"200": _ok({"type": "object", "properties": {
                    "ticket_id": {"type": "string"}, "issue_type": {"type": "string"},
                    "expectation": {"type": "string", "nullable": True},
                    "suggestions": {"type": "array", "items": {"type": "object", "properties": {
                        "key": {"type": "string"},
                        "title": {"type": "string", "description": "the option, for the agent"},
                        "reply": {"type": "string", "description": "a draft reply; the agent edits and sends it"},
                        "note": {"type": "string", "description": "for the agent only"}}}}}}),
                    **_errors(401, 403, 404)}}},
            "/desk/logout": {"post": {
                "summary": "End the agent's session (needs the CSRF token)", "security": AGENT,
                "responses": {"200": _ok({"type": "object"}), "303": {"description": "form logout"},
                              **_errors(403)}}},
            "/api/me": {"get": {
                "summary": "The logged-in agent, the session's CSRF token and the shop's settings",
                "security": AGENT,
                "responses": {"200": _ok({"type": "object", "properties": {
                    "agent": _ref("Agent"), "csrf_token": {"type": "string"},
                    "shop": {"type": "object", "properties": {"name": {"type": "string"},
                                                              "timezone": {"type": "string"},
                                                              "business_hours": {"type": "string"}}}}}),
                    **_errors(401, 403)}}},
            "/api/agents": {"get": {
                "summary": "Agents (for assigning tickets)", "security": EITHER,
                "responses": {"200": _ok({"type": "object", "properties": {
                    "agents": {"type": "array", "items": _ref("Agent")}}}), **_errors(401)}}},
            "/api/desk/events": {"get": {
                "summary": "Live updates as Server-Sent Events (event: ticket_created | ticket_updated | message)",
                "security": EITHER,
                "parameters": [{"name": "Last-Event-ID", "in": "header", "required": False,
                                "schema": {"type": "integer"}, "description": "replay events after this id"}],
                "responses": {"200": {"description": "text/event-stream; each `data:` line is a LiveEvent",
                                      "content": {"text/event-stream": {"schema": _ref("LiveEvent")}}},
                              **_errors(401)}}},
            "/api/openapi.json": {"get": {"summary": "This description", "responses": {"200": _ok(
                {"type": "object"}, "OpenAPI 3 document")}}},
            "/api/chat/{session_id}/messages": {
                "parameters": [{"name": "session_id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_\-.:]{1,64}$"}}],
                "post": {"summary": "A customer's chat message; replies from the assistant (none while a person has "
                                    "the conversation); the same `client_id` twice is answered once",
                         "requestBody": _json_body({"type": "object", "required": ["text"], "properties": {
                             "text": {"type": "string"},
                             "metadata": {"type": "object", "description": (
                                 "≤2000 characters as JSON; `customer_token`: the shop's signed customer id "
                                 "(docs/WIDGET.md). A `customer_ref` sent here is ignored.")},
                             "client_id": {"type": "string", "pattern": r"^[A-Za-z0-9_\-]{1,64}$"},
                             "button_title": {"type": "string", "description": "the button the customer clicked"}}}),
                         "responses": {"200": _ok({"type": "object", "properties": {
                             "replies": {"type": "array", "items": {"type": "object"}},
                             "mode": {"type": "string", "enum": ["bot", "human", "degraded"]},
                             "agent": {"type": "string", "nullable": True},
                             "queue": {"type": "object", "nullable": True, "properties": {
                                 "position": {"type": "integer"}, "wait_minutes": {"type": "integer"}}}}}),
                             **_errors(400, 413, 422, 429)}},
                "get": {"summary": "The conversation so far (agent replies included)",
                        "parameters": [_query("after", "only messages with a larger id", {"type": "integer"})],
                        "responses": {"200": _ok({"type": "object", "properties": {
                            "session_id": {"type": "string"},
                            "messages": {"type": "array", "items": _ref("ChatMessage")}}}), **_errors(400)}}},
            "/api/chat/{session_id}/ws": {
                "parameters": [{"name": "session_id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_\-.:]{1,64}$"}}],
                "get": {"summary": "WebSocket: the customer's messages in, every message of the session out, live "
                                   "(frames: hello, message, ready, result, error, mode, pong); see docs/WIDGET.md",
                        "parameters": [_query("after", "replay stored messages with a larger id first",
                                              {"type": "integer"})],
                        "responses": {"101": {"description": "switching protocols"}}}},
            "/api/shop/status": {"get": {
                "summary": "For the widget's banner: open now, the next opening and the weekly hours",
                "responses": {"200": _ok({"type": "object", "properties": {
                    "open": {"type": "boolean"}, "next_opening_text": {"type": "string"},
                    "hours_text": {"type": "string"}, "shop_name": {"type": "string"},
                    "agents_online": {"type": "boolean"}, "max_message_chars": {"type": "integer"}}})}}},
            "/": {"get": {"summary": "The demo shop page with the chat widget", "responses": {"200": {
                "description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}}}},
            "/widget.js": {"get": {"summary": "The chat widget: one <script> tag adds it to a shop page",
                                   "responses": {"200": {"description": "JavaScript"}}}},
            "/widget/{name}": {"get": {
                "summary": "The widget's stylesheet and images",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "CSS or an image"}, **_errors(404)}}},
            "/healthz": {"get": {"summary": "The bot service, its database, Rasa and the action server",
                                 "responses": {"200": {"description": "ok or degraded"},
                                               "503": {"description": "database unreachable"}}}},
        },
    }
