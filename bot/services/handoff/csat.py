"""Satisfaction ratings in the chat, after a person has resolved the customer's ticket.

`rating_request` is the question (with 1–5 buttons) the reactions post when a ticket is done (never
for a record the customer withdrew: nobody served them, so nothing of theirs is taken as its rating).
`Ratings.capture` reads the customer's next messages: a clear rating (bot.domain.rating) within a
day of the resolution is stored on the ticket through the ticket service and thanked; the message
right after a button rating may be its comment. Within 10 minutes a rating can be corrected
("点错了，应该是5分" → the score changes, one confirmation; a bare "点错了" gets the buttons again
and the next rating replaces the old one). Anything else goes on to the assistant.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.intake import is_withdrawn_record
from bot.domain.rating import SCORES, parse_correction, parse_rating, rating_payload
from bot.domain.taxonomy import DONE_STATUSES
from bot.services import wording

RATING_WINDOW = timedelta(hours=24)  # a rating is accepted this long after the ticket was resolved
COMMENT_WINDOW = timedelta(minutes=10)  # the message right after a button rating may be its comment
CORRECTION_WINDOW = timedelta(minutes=10)  # a rating can be corrected this long after it was given
MAX_COMMENT_CHARS = 1000


def rating_request() -> tuple[str, list[dict]]:
    """The satisfaction question and its buttons."""
    return wording.RATING_PROMPT, [{"title": wording.RATING_TITLES[score], "payload": rating_payload(score)}
                                   for score in SCORES]


class Ratings:
    """One per app (`app.ctx.handoff.ratings`)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def capture(self, session_id: str, text: str) -> list[dict] | None:
        """When this message answers the rating question (or adds the comment right after it),
        stores it on the ticket and returns the thanks; else None (the message goes to Rasa)."""
        now = self.ctx.clock()
        tickets = self.ctx.store.tickets_for_customer(session_id=session_id, limit=20)
        fixed = self._correction(session_id, text, tickets, now)
        if fixed is not None:
            return fixed
        score, comment = parse_rating(text)
        if score is not None:
            ticket = next((t for t in tickets if t["status"] in DONE_STATUSES and t["csat"] is None
                           and t["resolved_at"] and now - t["resolved_at"] <= RATING_WINDOW
                           and not is_withdrawn_record(t)), None)  # a withdrawn record was never served
            if ticket is None:
                return None
            self._store(ticket, session_id, score, comment, now)
            thanks = wording.RATING_THANKS_GOOD if score >= 4 else wording.RATING_THANKS_BAD
            if comment is not None:
                return [{"text": thanks, "kind": "rating_done"}]
            return [{"text": thanks + wording.RATING_ASK_COMMENT, "kind": "rating_thanks"}]
        if text.startswith("/"):
            return None
        ticket = next((t for t in tickets if t["csat"] is not None and not t["csat_comment"] and t["csat_at"]
                       and now - t["csat_at"] <= COMMENT_WINDOW), None)
        if ticket is None or self.ctx.store.last_bot_message_kind(session_id) != "rating_thanks":
            return None
        self._store(ticket, session_id, ticket["csat"], text.strip()[:MAX_COMMENT_CHARS], now)
        return [{"text": wording.RATING_COMMENT_THANKS, "kind": "rating_done"}]

    def _correction(self, session_id: str, text: str, tickets: list[dict], now: datetime) -> list[dict] | None:
        """A correction of a rating given in the last 10 minutes: the new score stored (the comment
        kept) and confirmed once; without a score yet, the buttons again. None when it is not one."""
        recent = next((t for t in tickets if t["csat"] is not None and t["csat_at"]
                       and now - t["csat_at"] <= CORRECTION_WINDOW), None)
        if recent is None:
            return None
        correcting, score = parse_correction(text)
        if not correcting and self.ctx.store.last_bot_message_kind(session_id) == "rating_fix":
            score = parse_rating(text)[0]  # the answer to "改成几分？"
            correcting = score is not None
        if not correcting:
            return None
        if score is None:
            _, buttons = rating_request()
            return [{"text": wording.RATING_FIX_ASK, "buttons": buttons, "kind": "rating_fix"}]
        if score != recent["csat"]:
            self.ctx.tickets.rate(recent["id"], session_id, score, recent["csat_comment"], now=now,
                                  corrected_from=recent["csat"])
        return [{"text": wording.rating_corrected(score), "kind": "rating_done"}]

    def _store(self, ticket: dict, session_id: str, score: int, comment: str | None, now: datetime) -> None:
        self.ctx.tickets.rate(ticket["id"], session_id, score, comment, now=now)
