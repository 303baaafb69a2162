"""What the agents' endpoints, the health check and every error answer look like
(bot/web/routes/desk.py, desk_pages.py, health.py)."""
from __future__ import annotations

from typing import Optional

from bot.web.models.base import Body
from bot.web.models.fields import choice, field
from bot.web.models.views import View


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


class Me(View):
    agent: AgentCard
    csrf_token: str
    shop: Shop


class LoggedOut(View):
    ok: bool


class ServiceHealth(View):
    ok: bool
    database: Optional[str] = field(None, description="bot: ok | unreachable")
    url: Optional[str] = field(None)
    sometimes = ("database", "url")


class Health(View):
    status: choice(("ok", "degraded")) = field(description="degraded: Rasa or the action server is down")
    services: dict[str, ServiceHealth] = field(description="bot, rasa, action_server")
