"""Evidence photos in the customer chat (bot/web/routes/attachments.py)."""
from __future__ import annotations

import re

from bot.web.schemas.fields import Line
from bot.web.schemas.views import Attachment, View


class AttachmentId(Line):
    pattern = re.compile(r"^[0-9a-f]{32}$")
    max_length = 32
    hint = "是 32 位十六进制编号。"
    path_error = ("attachment_not_found", 404, "找不到这张图片。")


class AttachmentCreated(View):
    attachment: Attachment
