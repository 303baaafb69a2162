"""What follows in the chat when a ticket changes: listeners on the event hub.

- an agent claims a ticket → the customer is told who joined (or that another agent took over)
  and Rasa is paused;
- the agent lets go → the assistant is back, Rasa resumed (unless another agent has the chat);
- the ticket is resolved or closed → the customer is told (with the agent's stated reason when
  nobody had answered), asked for a rating, Rasa resumed;
- reopened by its agent → as if claimed again;
- a proper ticket is created where the same chat has a degraded-mode ticket nobody took → that
  one is closed into it (no duplicate for agents);
- the customer withdrew a record still being collected (`withdrawn`: the ticket service closed
  it) → it leaves the live queue and nothing is said: the assistant already answered, and
  nobody is asked to rate a complaint they withdrew.

Listeners run inside `publish()`, so the notices are written at once, in order with the agents'
messages; Rasa is told in the background (bot.services.handoff.conversation_control).
"""
from __future__ import annotations

from typing import Any

from bot.domain.taxonomy import ACTIVE_STATUSES, DONE_STATUSES
from bot.services import wording
from bot.services.handoff.conversation_control import ConversationControl
from bot.services.handoff.csat import rating_request
from bot.services.handoff.queue import LiveQueue
from bot.services.tickets.new import DEGRADED_KEY, degraded_key_prefix


def display_name(store, agent: str | None) -> str | None:
    """What the customer sees of an agent: the display name, never the login name."""
    if not agent:
        return None
    found = store.get_agent(agent)
    return found["display_name"] if found else wording.AGENT


class Reactions:
    """One per app (`app.ctx.handoff.reactions`); `on_event` is registered with the hub."""

    def __init__(self, ctx, queue: LiveQueue, control: ConversationControl):
        self.ctx = ctx
        self.queue = queue
        self.control = control

    def on_event(self, event) -> None:
        if event.data.get("merged_into"):
            return
        if event.data.get("withdrawn"):
            self.queue.remove((event.data.get("ticket") or {}).get("id") or "")
            return
        if event.kind == "ticket_created":
            self.merge_triage_ticket(event.data.get("ticket") or {})
        elif event.kind == "ticket_updated":
            self.on_ticket_updated(event.data.get("ticket") or {}, event.data.get("changes") or [])

    def _tickets(self, session_id: str) -> list[dict]:
        return self.ctx.store.tickets_for_customer(session_id=session_id, limit=20)

    def merge_triage_ticket(self, created: dict) -> None:
        """The assistant is back and the customer completed a proper ticket: the same chat's
        degraded-mode ticket, if nobody took it yet, is closed into it (its transcript is the same
        conversation)."""
        session_id = created.get("session_id")
        if not session_id or (created.get("idempotency_key") or "").startswith(DEGRADED_KEY):
            return
        for ticket in self._tickets(session_id):
            if (ticket["id"] != created["id"] and ticket["idempotency_key"].startswith(degraded_key_prefix(session_id))
                    and ticket["status"] == "new" and not ticket["assignee"]):
                self.ctx.tickets.resolve(ticket["id"], "system", wording.note_merged_into(created["id"]),
                                         status="closed", merged_into=created["id"])

    def on_ticket_updated(self, ticket: dict, changes: list[dict]) -> None:
        session_id = ticket.get("session_id")
        if not session_id:
            return
        actions = {change.get("action"): change.get("details") or {} for change in changes}
        status_change = actions.get("status_changed")
        if status_change and ticket["status"] in DONE_STATUSES and status_change.get("from") in ACTIVE_STATUSES:
            self._ended(ticket, status_change.get("reason"))
            return
        if ticket["status"] in DONE_STATUSES:
            return
        if "assigned" in actions:
            if ticket.get("assignee"):
                self._taken(ticket, actions["assigned"].get("from"))
            else:
                self._released(ticket)
        elif status_change and status_change.get("from") in DONE_STATUSES and ticket.get("assignee"):
            self._taken(ticket, None)  # reopened by its agent

    def _say(self, session_id: str, sender: str, text: str, kind: str, ticket_id: str,
             buttons: list[dict] | None = None, **meta: Any) -> None:
        self.ctx.store.append_message(session_id, sender, text, buttons,
                                      {"kind": kind, "ticket_id": ticket_id, **meta})

    def _someone_else_has(self, session_id: str, ticket_id: str) -> bool:
        return any(t["status"] in ACTIVE_STATUSES and t["assignee"] and t["id"] != ticket_id
                   for t in self._tickets(session_id))

    def _taken(self, ticket: dict, previous: str | None) -> None:
        session_id = ticket["session_id"]
        self.queue.remove(ticket["id"])
        name = display_name(self.ctx.store, ticket["assignee"])
        text = wording.agent_transferred(name) if previous else wording.agent_joined(name)
        self._say(session_id, "system", text, "agent_joined", ticket["id"], display_name=name)
        self.control.pause_soon(session_id)

    def _released(self, ticket: dict) -> None:
        session_id = ticket["session_id"]
        if self._someone_else_has(session_id, ticket["id"]):
            return
        self._say(session_id, "system", wording.AGENT_LEFT, "agent_left", ticket["id"])
        self.control.resume_soon(session_id)

    def _ended(self, ticket: dict, reason: str | None = None) -> None:
        session_id = ticket["session_id"]
        self.queue.remove(ticket["id"])
        if self._someone_else_has(session_id, ticket["id"]):
            return
        text = wording.agent_done_because(ticket["id"], reason) if reason else wording.agent_done(ticket["id"])
        self._say(session_id, "system", text, "agent_done", ticket["id"])
        if ticket.get("csat") is None:
            question, buttons = rating_request()
            self._say(session_id, "bot", question, "rating_request", ticket["id"], buttons, mode="bot")
        if ticket.get("assignee"):
            self.control.resume_soon(session_id)
