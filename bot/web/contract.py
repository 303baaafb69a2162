"""A route's contract, declared once on its handler: who may call it, its answers, and — through
the handler's annotated parameters — its path, query and body models.

    @bp.patch("/api/tickets/<ticket_id>")
    @operation("Change status, assignee, priority; add a note", access=EITHER, responses={200: ChangedTicket})
    async def update_ticket(request, ticket_id: TicketId, caller: Caller, body: TicketChange): ...

`@operation` enforces it, in this order: authentication (`access`), the path parameters (their
types' `from_path`), the query (`query: SomeQuery`), the JSON body (`body: SomeBody`); the handler
gets the results by name. bot/web/openapi.py describes the same declaration, so what is documented
is what is enforced. `@documented` only describes a handler that checks its own input (the desk's
HTML pages and login form, which redirect rather than answer 4xx JSON).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import Any, get_type_hints

from bot.web.auth import authenticate
from bot.web.schemas.fields import ContractType

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Access:
    """Who may call: the machine token, a logged-in agent, or either. With `enforced=False` the
    handler checks for itself (pages redirect to the login instead of answering 401)."""

    machine: bool
    agent: bool
    enforced: bool = True

    def security(self, method: str) -> list[dict[str, list]]:
        """OpenAPI security requirements; agents need the CSRF token on state-changing methods."""
        agent = {"cookieAuth": []} if method.upper() in SAFE_METHODS else {"cookieAuth": [], "csrfToken": []}
        return [*([{"bearerAuth": []}] if self.machine else []), *([agent] if self.agent else [])]

    def refusals(self, method: str) -> set[int]:
        """401 without credentials; 403 for the wrong kind, or a missing CSRF token."""
        wrong_kind = not (self.machine and self.agent)
        return {401, 403} if wrong_kind or (self.agent and method.upper() not in SAFE_METHODS) else {401}


MACHINE = Access(machine=True, agent=False)
AGENT = Access(machine=False, agent=True)
EITHER = Access(machine=True, agent=True)
AGENT_PAGE = Access(machine=False, agent=True, enforced=False)  # checked by the handler (pages redirect)


@dataclass(frozen=True)
class Reply:
    """One documented answer: a response model (or none) and its media type."""

    model: type | None = None
    description: str = "OK"
    media_type: str = "application/json"


HTML_PAGE = Reply(description="HTML page", media_type="text/html")
TO_LOGIN = Reply(description="not logged in: to /desk/login?next=…", media_type="")


@dataclass(frozen=True)
class Operation:
    summary: str
    access: Access | None = None
    path: Mapping[str, type[ContractType]] = field(default_factory=dict)
    query: type | None = None
    body: type | None = None
    body_media_types: tuple[str, ...] = ("application/json",)
    responses: Mapping[int, Reply | type] = field(default_factory=dict)
    errors: tuple[int, ...] = ()  # besides those implied by access, path, query and body
    implied_errors: bool = True  # False: only `errors` (a WebSocket closes instead of answering 4xx)
    parameters: tuple[dict[str, Any], ...] = ()  # documented only, e.g. a header the handler reads
    upload: Mapping[str, str] = field(default_factory=dict)  # multipart file fields (name → description)
    description: str | None = None

    def replies(self) -> dict[int, Reply]:
        return {status: reply if isinstance(reply, Reply) else Reply(reply)
                for status, reply in (self.responses or {200: Reply()}).items()}

    def error_statuses(self, method: str) -> set[int]:
        statuses = set(self.errors)
        if not self.implied_errors:
            return statuses
        if self.access is not None and self.access.enforced:
            statuses |= self.access.refusals(method)
        statuses |= {kind.path_error[1] for kind in self.path.values() if kind.path_error}
        if self.query is not None:
            statuses.add(400)
        if self.body is not None:
            statuses |= {400, 413, 422}  # not JSON; too long (a field, or the body over 1 MB); a field's value
        return statuses


def operation(summary: str, **declared: Any) -> Callable:
    """Declares and enforces a route's contract (see the module docstring)."""

    def decorate(handler: Callable) -> Callable:
        hints = get_type_hints(handler)
        names = inspect.signature(handler).parameters
        path = {name: hints[name] for name in names
                if isinstance(hints.get(name), type) and issubclass(hints[name], ContractType)}
        query = hints.get("query") if "query" in names else None
        body = hints.get("body") if "body" in names else None
        access: Access | None = declared.get("access")
        if "caller" in names and (access is None or not access.enforced):
            raise TypeError(f"{handler.__name__} takes the caller but declares no enforced access")
        contract = Operation(summary, path=path, query=query, body=body, **declared)

        @wraps(handler)
        async def route(request, **args):
            caller = (await authenticate(request, machine=access.machine, agent=access.agent)
                      if access is not None and access.enforced else None)
            for name, kind in path.items():
                args[name] = kind.from_path(args[name])
            if query is not None:
                args["query"] = query.from_args(request.args)
            if body is not None:
                args["body"] = body.for_settings(request.app.ctx.settings).from_request(request)
            if "caller" in names:
                args["caller"] = caller
            return await handler(request, **args)

        route.__operation__ = contract
        return route

    return decorate


def documented(summary: str, **declared: Any) -> Callable:
    """Describes a handler that checks its own input; changes nothing about how it runs."""

    def decorate(handler: Callable) -> Callable:
        handler.__operation__ = Operation(summary, **declared)
        return handler

    return decorate


def operation_of(handler: Callable) -> Operation | None:
    """The contract of a registered handler (WebSocket handlers are wrapped in a partial)."""
    while isinstance(handler, partial):
        handler = handler.args[0] if handler.args and callable(handler.args[0]) else handler.func
    return getattr(handler, "__operation__", None)
