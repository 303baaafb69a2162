"""The team's canned replies (bot/web/routes/canned.py)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from bot.web.schemas.base import Body
from bot.web.schemas.fields import Line, field, line, text
from bot.web.schemas.tickets import IssueType
from bot.web.schemas.views import View


class CannedId(Line):
    """A canned reply's number in a URL path."""

    pattern = re.compile(r"^[1-9][0-9]{0,9}$")
    max_length = 10
    hint = "快捷回复编号是数字。"
    path_error = ("canned_reply_not_found", 404, "找不到这条快捷回复，可能已被同事删除。")


CannedTitle = line(60)
CannedText = text(2000, blank=False)


class CannedReplyBody(Body):
    """`POST /api/desk/canned-replies`: a new reply for the whole team."""

    title: CannedTitle = field(description="what the agent types after / to find it, e.g. 补发说明")
    text: CannedText = field(description="inserted into the reply box, editable before sending")
    issue_type: Optional[IssueType] = field(None, description="offered first on tickets of this type")

    class Config:
        extra = "forbid"


class CannedReplyChange(Body):
    """`PATCH /api/desk/canned-replies/{id}`: only the fields given change."""

    title: Optional[CannedTitle] = field(None)
    text: Optional[CannedText] = field(None)
    issue_type: Optional[IssueType] = field(None, description="null: for every issue type")

    class Config:
        extra = "forbid"


class CannedReply(View):
    id: int
    title: str
    text: str
    issue_type: Optional[str] = field(None, nullable=True)
    created_by: str = field(description="the agent who added it")
    updated_at: datetime


class CannedReplyList(View):
    replies: list[CannedReply] = field(description="by title")


class CannedReplyOne(View):
    reply: CannedReply
