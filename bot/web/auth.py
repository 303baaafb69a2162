"""Who is calling: machines with the bearer token, agents with a login session cookie.

- Machines (the action server) send `Authorization: Bearer $BOT_API_TOKEN`.
- Agents log in at `POST /desk/login`; the cookie `desk_session` holds a random token signed
  with SESSION_SECRET (HttpOnly, SameSite=Strict, Secure behind https). The database keeps only
  a hash of the token, with the session's CSRF token and expiry, so logging out ends it.
- CSRF: a state-changing request (anything but GET/HEAD/OPTIONS) that authenticates with the
  cookie must also carry the session's CSRF token in the `X-CSRF-Token` header or a
  `csrf_token` form field. SameSite=Strict already stops most cross-site posts; the token also
  covers old browsers and same-site subdomains.
- After logging in, `safe_next` decides where the agent goes: only ever a desk page.

No or wrong credentials → 401; valid credentials of a kind the endpoint does not accept → 403.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sanic import Request

from bot.services.store_access import StoreUnavailable
from bot.web.http import BadRequest

COOKIE_NAME = "desk_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    kind: str  # "machine" | "agent"
    name: str  # the agent's login name, or "bot" for the machine token
    display_name: str
    csrf_token: str | None = None

    @property
    def is_agent(self) -> bool:
        return self.kind == "agent"


def safe_next(value: str | None) -> str:
    """Where to send an agent after logging in: a desk page of this site, else `/desk`. Never
    `//evil.example`, `https://…` or a path outside the desk (open redirect)."""
    if not value or not value.startswith("/desk") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/desk"
    return value


def unauthorized() -> BadRequest:
    return BadRequest("unauthorized", "需要登录客服台，或提供有效的访问令牌（Authorization: Bearer …）。", status=401)


def forbidden(message: str = "当前身份无权执行此操作。") -> BadRequest:
    return BadRequest("forbidden", message, status=403)


# -- session cookies ---------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _signature(secret: str, token: str) -> str:
    return hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_session_token(secret: str, token: str) -> str:
    return f"{token}.{_signature(secret, token)}"


def read_session_cookie(secret: str, value: str | None) -> str | None:
    """The session token of a correctly signed cookie value, else None."""
    if not value or "." not in value or len(value) > 512:
        return None
    token, _, signature = value.rpartition(".")
    if not token or not (token + signature).isascii():  # our tokens and signatures are plain ASCII
        return None
    if not hmac.compare_digest(signature, _signature(secret, token)):
        return None
    return token


def start_session(store, settings, agent_name: str, now: datetime | None = None) -> tuple[str, str]:
    """Creates a login session; returns (cookie value, CSRF token)."""
    now = now or datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    store.create_agent_session(token_hash(token), agent_name, csrf_token, now,
                               now + timedelta(hours=settings.desk_session_hours))
    return sign_session_token(settings.session_secret, token), csrf_token


def set_session_cookie(response, settings, value: str) -> None:
    response.cookies[COOKIE_NAME] = value
    cookie = response.cookies[COOKIE_NAME]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = settings.desk_session_hours * 3600
    if settings.public_url.startswith("https://"):
        cookie["secure"] = True


def clear_session_cookie(response, settings) -> None:
    set_session_cookie(response, settings, "")
    response.cookies[COOKIE_NAME]["max-age"] = 0


# -- identifying the caller ------------------------------------------------------------------

def _machine(request: Request) -> Caller | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    expected = request.app.ctx.settings.bot_api_token
    # Header bytes that are not UTF-8 arrive as lone surrogates: compared as they came, never raised on.
    if scheme.lower() != "bearer" or not expected or not hmac.compare_digest(
            token.strip().encode("utf-8", "surrogatepass"), expected.encode()):
        raise unauthorized()  # wrong credentials are never silently ignored in favour of a cookie
    return Caller("machine", "bot", "系统")


_NOT_YET, _UNAVAILABLE = object(), object()  # request.ctx.agent_session before the lookup, after it failed


async def agent_session(request: Request) -> tuple[dict, str] | None:
    """(agent, CSRF token) of the request's session cookie, or None. Looked up once per request
    (the presence middleware and the route share it), in a worker thread with the database's
    bounded wait (bot.services.store_access): StoreUnavailable when the database does not answer,
    for every later call of the same request too, so no request waits twice."""
    found = getattr(request.ctx, "agent_session", _NOT_YET)
    if found is _NOT_YET:
        found = None
        token = session_token(request)
        if token is not None:
            ctx = request.app.ctx
            try:
                found = await ctx.db.run(ctx.store.agent_for_session, token_hash(token), datetime.now(timezone.utc))
            except StoreUnavailable:
                found = _UNAVAILABLE
        request.ctx.agent_session = found
    if found is _UNAVAILABLE:
        raise StoreUnavailable("the agent's session could not be read")
    return found


async def _agent(request: Request) -> Caller | None:
    found = await agent_session(request)
    if found is None:
        return None
    agent, csrf_token = found
    return Caller("agent", agent["name"], agent["display_name"], csrf_token)


def session_token(request: Request) -> str | None:
    return read_session_cookie(request.app.ctx.settings.session_secret, request.cookies.get(COOKIE_NAME))


def check_csrf(request: Request, caller: Caller) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        try:
            form = request.form if request.content_type.startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")) else None
        except Exception:  # noqa: BLE001 - an unreadable form simply has no token
            form = None
        sent = form.get(CSRF_FIELD) if form else None
    if not sent or not caller.csrf_token or not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"),
                                                                    caller.csrf_token.encode()):
        raise BadRequest("csrf_failed", "页面已过期或请求来源不可信，请刷新客服台后重试。", status=403)


async def authenticate(request: Request, *, machine: bool = True, agent: bool = True) -> Caller:
    """The caller of this request, or a 401/403 BadRequest. CSRF is checked for agents here.
    StoreUnavailable when an agent's session cannot be read (the app answers 503)."""
    caller = _machine(request) or await _agent(request)
    if caller is None:
        raise unauthorized()
    if caller.kind == "machine" and not machine:
        raise forbidden("此操作需要客服登录后进行。")
    if caller.kind == "agent" and not agent:
        raise forbidden("此接口只供智能助手调用。")
    if caller.is_agent and request.method.upper() not in SAFE_METHODS:
        check_csrf(request, caller)
    return caller


# -- login throttling --------------------------------------------------------------------------

class LoginThrottle:
    """Failed logins per name *and* address, with exponential back-off, kept in the database so
    a restart forgets nothing (and every replica sees the same counts).

    The first `free_failures` cost nothing; each further one blocks that name from that address
    for `base_seconds` · 2^k (15 s, 30 s, 1 min … at most `max_seconds`, 15 min). The owner of the
    name logging in from another address, and colleagues behind the same office address, are not
    blocked: guessing someone's password no longer locks them out. Failures a day old are
    forgotten; a successful login clears its pair. Only a hash of name and address is stored.
    """

    def __init__(self, store, *, free_failures: int = 4, base_seconds: float = 15.0, max_seconds: float = 900.0,
                 forget_after: timedelta = timedelta(days=1)):
        self.store = store
        self.free_failures = free_failures
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.forget_after = forget_after

    @staticmethod
    def key(name: str, address: str) -> str:
        return hashlib.sha256(f"{name.strip().lower()}\n{address}".encode("utf-8", "replace")).hexdigest()

    def back_off(self, failures: int) -> timedelta:
        extra = failures - self.free_failures
        if extra <= 0:
            return timedelta(0)
        return timedelta(seconds=min(self.max_seconds, self.base_seconds * 2 ** min(extra - 1, 30)))

    def retry_after(self, name: str, address: str, now: datetime) -> int:
        """Seconds until this name may try again from this address (0: now)."""
        until = self.store.login_blocked_until(self.key(name, address))
        return max(0, math.ceil((until - now).total_seconds())) if until else 0

    def failed(self, name: str, address: str, now: datetime) -> int:
        """Counts a failed login; returns the seconds this pair now has to wait (0: none)."""
        until = self.store.record_login_failure(self.key(name, address), now, now - self.forget_after, self.back_off)
        return max(0, math.ceil((until - now).total_seconds())) if until else 0

    def succeeded(self, name: str, address: str) -> None:
        self.store.clear_login_failures(self.key(name, address))
