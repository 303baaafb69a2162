"""The ticket service: every change to a ticket is written, announced and notified here, once.

- `open` records a complaint (idempotently), whether the action server posts it to
  `POST /api/tickets` or the bot service records it itself in degraded mode; the desk gets
  `ticket_created`, the shop's webhook `new` or `urgent`.
- `update` (status, assignee, priority, an internal note), `resolve` (to a done status with a
  stated reason) and `rate` (the customer's satisfaction score) tell the desk `ticket_updated`
  with the changes written. Ending a ticket nobody answered needs a reason (ReasonRequired
  otherwise): it is written with the status change and the customer's closing message says it.
- `reply` sends an agent's message to the customer: `message`, then `ticket_updated`.
- `escalate_overdue` flags overdue tickets once: `ticket_updated` and the `overdue` webhook.
- `update_intake` records what the intake learnt (issue 11; bot.services.tickets.intake says the
  rules) with an `intake_updated` audit event and `ticket_updated`; `file_quiet_intakes` files
  the tickets whose chat went quiet while they were collected.
- A change to intake `withdrawn` (the customer withdrew the complaint in the chat) closes a record
  still being collected that nobody has touched, in one transaction: `intake_updated` and
  `status_changed` with the reason (wording.REASON_WITHDRAWN), published with `withdrawn: true`
  so the hand-off reactions neither message the customer nor ask for a rating; the team is not
  told. A ticket already claimed, answered or filed stays as it is, with a note for its agent.

Team notices for a ticket still being collected (intake `collecting`) wait until it is filed
(complete or incomplete: `new`), unless it is or becomes urgent (`urgent`, at once, once).

Hub listeners (bot.services.handoff.reactions) react to these events inside `publish`. Blocking
(the database): the web layer calls it from worker threads (bot.services.store_access); the hub
and the notifier hand events and webhooks to the server's loop from there.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.config import Settings
from bot.domain.intake import FILED_STATES, WITHDRAWN, closed_by_withdrawal
from bot.domain.taxonomy import ACTIVE_STATUSES, DONE_STATUSES
from bot.services import wording
from bot.services.tickets.intake import IntakeUpdate, decide_intake
from bot.services.tickets.new import NewTicket, prepare_ticket
from bot.services.tickets.views import ticket_view
from bot.store import Store, TicketClosed, TicketNotFound

log = logging.getLogger(__name__)


class ReasonRequired(ValueError):
    """Ending a ticket that no agent answered needs a stated reason (e.g. 已电话联系, 顾客撤回)."""


REASON_EXEMPT = ("system",)  # the service's own closing (a merged duplicate) states its reason as a note
SAME_COMPLAINT_WINDOW = timedelta(minutes=30)  # a record opened again this soon, of the same kind, is one complaint


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TicketService:
    """One per app (`app.ctx.tickets`); scripts and tests make their own. `hub` (bot.web.events)
    and `notifier` (bot.integrations.notify) are optional: without them nobody is told."""

    def __init__(self, store: Store, settings: Settings, *, hub=None, notifier=None,
                 clock: Callable[[], datetime] = _utcnow):
        self.store = store
        self.settings = settings
        self.hub = hub
        self.notifier = notifier
        self.clock = clock

    # -- telling others -------------------------------------------------------------------------
    def _publish(self, kind: str, data: dict[str, Any]) -> None:
        if self.hub is not None:
            self.hub.publish(kind, data)

    def _notify(self, kind: str, ticket: dict) -> None:
        if self.notifier is not None:
            self.notifier.notify(kind, ticket)

    def _updated(self, ticket: dict, changes: list[dict], now: datetime, **extra: Any) -> None:
        self._publish("ticket_updated", {"ticket": ticket_view(ticket, now, self.settings.tz),
                                         "changes": changes, **extra})

    # -- changes ----------------------------------------------------------------------------------
    def open(self, new: NewTicket, *, now: datetime | None = None) -> tuple[dict, bool]:
        """Records a complaint; returns (ticket, created). The same idempotency key returns the
        first ticket with created=False and tells no one again."""
        now = now or self.clock()
        existing = self.store.ticket_by_idempotency_key(new.idempotency_key)
        if existing is not None:
            return existing, False
        same = self._same_complaint(new, now)
        if same is not None:
            return same, False
        ticket, created = self.store.create_ticket(prepare_ticket(self.store, self.settings, new, now),
                                                   self.settings.tz)
        if created:
            self._publish("ticket_created", {"ticket": ticket_view(ticket, now, self.settings.tz)})
            if ticket["priority"] == "urgent":
                self._notify("urgent", ticket)
            elif ticket["intake"] != "collecting":  # a record still being collected is announced when filed
                self._notify("new", ticket)
        return ticket, created

    def _same_complaint(self, new: NewTicket, now: datetime) -> dict | None:
        """A record opened in a chat whose open ticket of the same kind was created minutes ago is
        that complaint told again (a customer who missed the confirmation after a dropped
        connection starts over): their words already reach that ticket, so no second one."""
        if new.intake != "collecting" or not new.session_id:
            return None
        active = self.store.active_ticket_for_session(new.session_id)
        if active is None or now - active["created_at"] > SAME_COMPLAINT_WINDOW:
            return None
        kinds = {active["issue_type"], new.issue_type} - {"other_complaint"}
        return active if len(kinds) <= 1 else None

    def update(self, ticket_id: str, changes: dict[str, Any], actor: str, *, note: str | None = None,
               reason: str | None = None, now: datetime | None = None,
               **event_data: Any) -> tuple[dict, list[dict]]:
        """Changes status, assignee and/or priority and adds an internal note (bot.store.tickets
        says what each implies); tells the desk when anything was written. Returns (ticket, the
        changes written); raises bot.store.TicketNotFound, ReasonRequired."""
        now = now or self.clock()
        reason = (reason or "").strip() or None
        if changes.get("status") in DONE_STATUSES and actor not in REASON_EXEMPT and reason is None:
            before = self.store.get_ticket(ticket_id)
            if before is None:
                raise TicketNotFound(ticket_id)
            if before["status"] not in DONE_STATUSES and before["first_responded_at"] is None:
                raise ReasonRequired(ticket_id)
        ticket, written = self.store.update_ticket(ticket_id, changes, actor, now, note=note, reason=reason)
        if written:
            self._updated(ticket, written, now, **event_data)
        return ticket, written

    def resolve(self, ticket_id: str, actor: str, reason: str, *, status: str = "resolved",
                now: datetime | None = None, **event_data: Any) -> tuple[dict, list[dict]]:
        """Ends a ticket (`resolved`, or `closed` for one that needs no answer) with the reason as
        an internal note."""
        if status not in DONE_STATUSES:
            raise ValueError(f"{status!r} does not end a ticket; expected one of {DONE_STATUSES}")
        return self.update(ticket_id, {"status": status}, actor, note=reason, reason=reason, now=now, **event_data)

    def reply(self, ticket_id: str, text: str, agent: str, *, display_name: str | None = None,
              now: datetime | None = None, client_id: str | None = None) -> tuple[dict, dict]:
        """An agent's message to the customer (stored in the chat; the first one stamps the first
        response). The same `client_id` again returns the stored message and sends nothing.
        Returns (ticket, message); raises TicketNotFound, NoConversation."""
        now = now or self.clock()
        ticket, message, created = self.store.add_reply(ticket_id, text, agent, now, display_name=display_name,
                                                        client_id=client_id)
        if not created:
            return ticket, message
        self._publish("message", {"session_id": ticket["session_id"], "ticket_id": ticket_id, "message": message})
        self._updated(ticket, [{"action": "replied", "details": {"message_id": message["id"]}}], now)
        return ticket, message

    def rate(self, ticket_id: str, session_id: str, score: int, comment: str | None, *,
             now: datetime | None = None, corrected_from: int | None = None) -> dict:
        """The customer's satisfaction score for their own ticket (a later one replaces it; a
        correction records the score it replaces); raises TicketNotFound when the ticket is not
        that session's."""
        now = now or self.clock()
        details = {"score": score, "comment": comment}
        if corrected_from is not None:
            details["corrected_from"] = corrected_from
        ticket = self.store.set_csat(ticket_id, session_id, score, comment, now, details=details)
        self._updated(ticket, [{"action": "csat", "details": details}], now)
        return ticket

    def update_intake(self, ticket_id: str, change: IntakeUpdate, actor: str, *, now: datetime | None = None,
                      allow_done: bool = False) -> tuple[dict, list[dict]]:
        """Records what the intake learnt about a complaint. Returns (ticket, the changes written:
        one `intake_updated` or none); raises TicketNotFound, and TicketClosed for a resolved or
        closed ticket unless `allow_done`."""
        now = now or self.clock()
        if change.intake == WITHDRAWN:
            return self._withdraw(ticket_id, change, actor, now)
        before, ticket, details = self.store.change_intake(
            ticket_id, lambda current: decide_intake(current, change, self.settings, now), actor, now,
            allow_done=allow_done)
        if details is None:
            return ticket, []
        written = [{"action": "intake_updated", "details": details}]
        self._updated(ticket, written, now)
        if ticket["status"] in ACTIVE_STATUSES:
            self._notify_intake(before, ticket)
        return ticket, written

    def _withdraw(self, ticket_id: str, change: IntakeUpdate, actor: str, now: datetime) -> tuple[dict, list[dict]]:
        """The customer withdrew the complaint: a record still being collected that nobody took is
        kept with everything said and closed by the system (intake `withdrawn`, status `closed`
        with actor `system` and the reason in its history); anything else in `change` is recorded
        as usual. A ticket an
        agent claimed or answered, or one already filed, stays open with a note for the agent.
        Saying it twice changes nothing; a resolved or closed ticket raises TicketClosed."""

        def decide(before: dict) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            if before["intake"] == WITHDRAWN:
                return {}, []  # said again (a retried request)
            if before["status"] in DONE_STATUSES:
                raise TicketClosed(ticket_id)
            closes = closed_by_withdrawal(before)
            rest = replace(change, intake=None, missing_fields=change.missing_fields if closes else None)
            values, details = decide_intake(before, rest, self.settings, now)
            if not closes:
                events = [{"action": "intake_updated", "details": details}] if details else []
                return values, [*events, {"action": "note", "details": {"text": wording.NOTE_WITHDRAWAL_KEPT}}]
            details = details or {"fields": {}}
            details["fields"]["intake"] = {"from": before["intake"], "to": WITHDRAWN}
            details["reason"] = "withdrawn"
            values.update(intake=WITHDRAWN, status="closed", resolved_at=now)
            closing = {"from": before["status"], "to": "closed", "reason": wording.REASON_WITHDRAWN}
            return values, [{"action": "intake_updated", "details": details},
                            {"action": "status_changed", "details": closing, "actor": "system"}]

        before, ticket, written = self.store.change_locked(ticket_id, decide, actor, now)
        if not written:
            return ticket, []
        withdrawn = ticket["intake"] == WITHDRAWN
        if withdrawn:
            log.info("ticket %s withdrawn by the customer while being collected: closed", ticket_id)
        self._updated(ticket, written, now, **({"withdrawn": True} if withdrawn else {}))
        if ticket["status"] in ACTIVE_STATUSES:
            self._notify_intake(before, ticket)
        return ticket, written

    def _notify_intake(self, before: dict, after: dict) -> None:
        """The team hears of a ticket once when it is filed, and at once when it turns urgent."""
        if after["priority"] == "urgent" and before["priority"] != "urgent":
            self._notify("urgent", after)
        elif before["intake"] == "collecting" and after["intake"] in FILED_STATES and after["priority"] != "urgent":
            self._notify("new", after)

    def file_quiet_intakes(self, idle_minutes: float, now: datetime | None = None) -> list[dict]:
        """Files every ticket still collected whose chat has been quiet for `idle_minutes`: intake
        incomplete with the missing fields named, audited, announced, the team told (once, also
        with several replicas: the change is made under the ticket's lock). Returns those tickets."""
        now = now or self.clock()
        filed = []
        filing = IntakeUpdate(intake="incomplete", reason="idle", only_while_collecting=True)
        for quiet in self.store.quiet_intakes(now - timedelta(minutes=idle_minutes)):
            ticket, written = self.update_intake(quiet["id"], filing, "system", now=now, allow_done=True)
            if written and ticket["intake"] == "incomplete":
                log.info("ticket %s filed after %.1f quiet minutes, missing %s", ticket["id"], idle_minutes,
                         ticket["missing_fields"])
                filed.append(ticket)
        return filed

    def escalate_overdue(self, now: datetime | None = None) -> list[dict]:
        """Escalates every overdue ticket not escalated yet (bot.services.escalation says when and
        how); returns those tickets."""
        now = now or self.clock()
        escalated = []
        for ticket, details in self.store.escalate_overdue(now):
            log.warning("ticket %s overdue (%s): priority %s → %s", ticket["id"], details["reason"],
                        details["from"], details["to"])
            self._updated(ticket, [{"action": "escalated", "details": details}], now)
            self._notify("overdue", ticket)
            escalated.append(ticket)
        return escalated


def open_ticket(store: Store, settings: Settings, new: NewTicket, *, now: datetime | None = None,
                hub=None, notifier=None) -> tuple[dict, bool]:
    """`TicketService(...).open(new)` for a caller without a service at hand (scripts, tests)."""
    return TicketService(store, settings, hub=hub, notifier=notifier).open(new, now=now)
