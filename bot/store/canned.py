"""The team's canned replies (title, text, optional issue type), edited by any agent in the desk."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select, update

from bot.store import schema


def _row(row) -> dict:
    found = dict(row)
    found["updated_at"] = found["updated_at"].replace(tzinfo=timezone.utc)
    return found


def _naive(now: datetime):
    return now.astimezone(timezone.utc).replace(tzinfo=None)


class CannedReplyStore:
    engine = None  # set by Store

    def list_canned_replies(self) -> list[dict]:
        table = schema.canned_replies
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.title, table.c.id)).mappings().all()
        return [_row(row) for row in rows]

    def get_canned_reply(self, reply_id: int) -> dict | None:
        table = schema.canned_replies
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == reply_id)).mappings().first()
        return _row(row) if row else None

    def add_canned_reply(self, title: str, text: str, issue_type: str | None, agent: str, now: datetime) -> dict:
        table = schema.canned_replies
        with self.engine.begin() as conn:
            result = conn.execute(table.insert().values(title=title, text=text, issue_type=issue_type,
                                                        created_by=agent, updated_at=_naive(now)))
            new_id = result.inserted_primary_key[0]
        return self.get_canned_reply(new_id)

    def update_canned_reply(self, reply_id: int, changes: dict, now: datetime) -> dict | None:
        table = schema.canned_replies
        with self.engine.begin() as conn:
            result = conn.execute(update(table).where(table.c.id == reply_id)
                                  .values(**changes, updated_at=_naive(now)))
        return self.get_canned_reply(reply_id) if result.rowcount else None

    def delete_canned_reply(self, reply_id: int) -> bool:
        table = schema.canned_replies
        with self.engine.begin() as conn:
            return conn.execute(delete(table).where(table.c.id == reply_id)).rowcount > 0
