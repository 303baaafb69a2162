"""Evidence photos' records (the files themselves are on disk: bot.services.attachments)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, update

from bot.store import schema


def _row(row) -> dict:
    found = dict(row)
    found["created_at"] = found["created_at"].replace(tzinfo=timezone.utc)
    return found


class AttachmentStore:
    engine = None  # set by Store

    def add_attachment(self, attachment: dict, now: datetime) -> dict:
        values = {**attachment, "created_at": now.astimezone(timezone.utc).replace(tzinfo=None)}
        with self.engine.begin() as conn:
            conn.execute(schema.attachments.insert().values(**values))
        return self.get_attachment(attachment["id"])

    def link_attachment(self, attachment_id: str, message_id: int) -> None:
        table = schema.attachments
        with self.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == attachment_id).values(message_id=message_id))

    def get_attachment(self, attachment_id: str) -> dict | None:
        table = schema.attachments
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == attachment_id)).mappings().first()
        return _row(row) if row else None

    def session_attachments(self, session_id: str) -> list[dict]:
        table = schema.attachments
        query = select(table).where(table.c.session_id == session_id).order_by(table.c.created_at, table.c.id)
        with self.engine.connect() as conn:
            return [_row(row) for row in conn.execute(query).mappings().all()]

    def count_attachments(self, session_id: str) -> int:
        table = schema.attachments
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)
                                    .where(table.c.session_id == session_id)).scalar_one())
