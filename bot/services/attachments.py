"""Evidence photos from the customer's chat (破损、错发、色差 photos, 签收 screenshots).

A photo is accepted when its bytes are a JPEG, PNG or WebP (the magic bytes decide, not the name
or the declared type), within the size limit (MAX_ATTACHMENT_MB) and the session's count limit
(MAX_ATTACHMENTS_PER_SESSION). It is decoded and saved again by Pillow, which drops EXIF and other
metadata (GPS location, camera serials) after turning the picture upright; the file is written
0600 under ATTACHMENTS_DIR with a random name. The chat gets a customer message showing it, so
the widget, the desk's transcript and the ticket see it. `save` runs the database work through
the bounded worker threads (bot.services.store_access) and the image work in another thread;
`for_session` blocks: call it from a worker thread.
"""
from __future__ import annotations

import asyncio
import io
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.private_files import private_directory

log = logging.getLogger(__name__)

TYPES = {"image/jpeg": ("JPEG", "jpg"), "image/png": ("PNG", "png"), "image/webp": ("WEBP", "webp")}
MAX_PIXELS = 50_000_000  # a 7000×7000 photo is fine; a decompression bomb is not
PHOTO_TEXT = "[图片]"


class AttachmentRefused(Exception):
    def __init__(self, code: str, message: str, status: int):
        super().__init__(message)
        self.code = code
        self.status = status


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def attachment_url(attachment: dict) -> str:
    return f"/api/chat/{attachment['session_id']}/attachments/{attachment['id']}"


def attachment_view(attachment: dict) -> dict:
    return {"id": attachment["id"], "url": attachment_url(attachment), "content_type": attachment["content_type"],
            "bytes": attachment["bytes"], "width": attachment["width"], "height": attachment["height"],
            "created_at": attachment["created_at"].isoformat()}


def clean_image(data: bytes, content_type: str) -> tuple[bytes, int, int]:
    """The picture upright and saved again without any metadata: (bytes, width, height)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise AttachmentRefused("image_too_large", "图片尺寸太大了，请截图或压缩后再发送。", 413)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise AttachmentRefused("invalid_image", "图片无法打开，可能已损坏，请重新拍照或截图后再发送。", 415) from None
    fmt, _ext = TYPES[content_type]
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    upright.save(out, format=fmt, **options)  # no exif=, no icc/xmp: nothing but the pixels
    return out.getvalue(), upright.width, upright.height


@dataclass
class Attachments:
    """One per app (`app.ctx.attachments`)."""

    store: object
    directory: Path
    max_bytes: int
    max_per_session: int

    @classmethod
    def for_settings(cls, store, settings) -> Attachments:
        return cls(store, Path(settings.attachments_dir), settings.max_attachment_bytes,
                   settings.max_attachments_per_session)

    def too_large(self) -> AttachmentRefused:
        return AttachmentRefused("file_too_large", f"图片太大了：每张最多 {self.max_bytes // (1024 * 1024)} MB，"
                                                   "请压缩或截图后再发送。", 413)

    async def save(self, db, session_id: str, data: bytes, now: datetime) -> dict:
        """Checks, cleans and stores a photo and shows it in the chat; returns its record. `db`:
        the app's StoreAccess (StoreUnavailable when the database does not answer in time)."""
        if not data:
            raise AttachmentRefused("empty_file", "没有收到图片，请重新选择。", 422)
        if len(data) > self.max_bytes:
            raise self.too_large()
        content_type = sniff(data)
        if content_type is None:
            raise AttachmentRefused("unsupported_type", "只能发送 JPG、PNG 或 WebP 格式的图片。", 415)
        if await db.run(self.store.count_attachments, session_id) >= self.max_per_session:
            raise AttachmentRefused("too_many_attachments", f"本次对话最多可以发送 {self.max_per_session} 张图片，"
                                                            "如需补充请告诉客服。", 429)
        cleaned, width, height = await asyncio.get_running_loop().run_in_executor(None, clean_image, data,
                                                                                  content_type)
        return await db.run(self._keep, session_id, content_type, cleaned, width, height, now)

    def _keep(self, session_id: str, content_type: str, cleaned: bytes, width: int, height: int,
              now: datetime) -> dict:
        """(worker thread) Writes the cleaned photo and its record, and shows it in the chat."""
        attachment_id = secrets.token_hex(16)
        stored_name = f"{attachment_id}.{TYPES[content_type][1]}"
        private_directory(self.directory)
        path = self.directory / stored_name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(cleaned)
        record = self.store.add_attachment({
            "id": attachment_id, "session_id": session_id, "content_type": content_type, "bytes": len(cleaned),
            "width": width, "height": height, "stored_name": stored_name}, now)
        view = attachment_view(record)
        message_id = self.store.append_message(session_id, "customer", PHOTO_TEXT, None,
                                               {"kind": "attachment", "attachment": view})
        self.store.link_attachment(attachment_id, message_id)
        log.info("chat %s: photo %s (%s, %d bytes)", session_id, attachment_id, content_type, len(cleaned))
        return record

    def for_session(self, session_id: str, attachment_id: str) -> tuple[dict, Path] | None:
        """The attachment and its file when it belongs to that session; None otherwise (404)."""
        if len(attachment_id) != 32 or not all(c in "0123456789abcdef" for c in attachment_id):
            return None
        record = self.store.get_attachment(attachment_id)
        if record is None or record["session_id"] != session_id:
            return None
        path = self.directory / record["stored_name"]
        return (record, path) if path.is_file() else None
