"""What the agents' endpoints, the health check and every error answer look like
(bot/web/routes/desk.py, desk_pages.py, health.py)."""
from __future__ import annotations

from typing import Optional

from bot.web.schemas.base import Body
from bot.web.schemas.fields import choice, field
from bot.web.schemas.views import View


class LoginForm(Body):
    """`POST /desk/login`, as JSON or as a form. Checked in bot/web/routes/desk.py: a wrong or
    over-long name or password is 401 invalid_credentials, never a hint which one."""

    name: str = field(description="the agent's login name")
    password: str
    next: Optional[str] = field(None, description="form login: the local /desk… page to open afterwards")


class AgentCard(View):
    name: str = field(description="login name")
    display_name: str = field(description="the name customers see")


class Agent(AgentCard):
    active: bool


class AgentList(View):
    agents: list[Agent]


class LoginResult(View):
    agent: AgentCard
    csrf_token: str = field(description="send as X-CSRF-Token with every state-changing request")


class Shop(View):
    name: str
    timezone: str
    business_hours: str


class ShopWarning(View):
    code: str = field(description="holiday_data_missing")
    first_uncovered_day: str = field(description="first day the holiday data does not know (YYYY-MM-DD)")
    years: list[int]
    message: str = field(description="what the shop should do, in Chinese")


class Me(View):
    agent: AgentCard
    csrf_token: str
    shop: Shop
    warnings: list[ShopWarning] = field([], description="problems the shop should fix (e.g. holiday data)")


class LoggedOut(View):
    ok: bool


class ServiceHealth(View):
    ok: bool
    database: Optional[choice(("ok", "unwritable", "unreachable"))] = field(
        None, description="bot: ok | unwritable (locked, read-only, full: chat messages wait) | unreachable")
    spooled_messages: Optional[int] = field(None, description="bot: chat messages waiting for the database")
    last_error: Optional[str] = field(None, description="bot: why the latest write was refused")
    url: Optional[str] = field(None)
    restarts: Optional[int] = field(None, description="under `python -m bot up`: restarts by the supervisor")
    state: Optional[str] = field(None, description="under the supervisor: running | restarting | …")
    last_exit_code: Optional[int] = field(None)
    last_exit_at: Optional[str] = field(None)
    sometimes = ("database", "spooled_messages", "last_error", "url", "restarts", "state", "last_exit_code",
                 "last_exit_at")


class Health(View):
    status: choice(("ok", "degraded")) = field(description="degraded: Rasa or the action server is down")
    services: dict[str, ServiceHealth] = field(description="bot, rasa, action_server")
    live_events: dict = field({}, description="how live events reach the desks (log, bus)")
    warnings: list[ShopWarning] = field([], description="problems the shop should fix (e.g. holiday data)")
    supervisor: Optional[dict] = field(None, description="the supervisor's status file, when supervised")
    sometimes = ("supervisor",)
