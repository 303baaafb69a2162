"""Tickets as the application sees them.

- bot.services.tickets.service — `TicketService`: open / update / resolve / reply / rate /
  escalate, each written through the store, announced on the event hub and notified in one place;
- bot.services.tickets.new — what a new ticket says (triage, repeat contacts, due times);
- bot.services.tickets.intake — what an intake change does (issue 11: raise-only priority, united
  flags, text appended once, the customer's deadline, missing fields);
- bot.services.tickets.views — how a ticket is shown to agents, machines and its customer.
"""
from bot.services.tickets.intake import IntakeUpdate
from bot.services.tickets.new import ORDER_NUMBER_STATUSES, RISK_FLAGS, NewTicket, find_phone, prepare_ticket
from bot.services.tickets.service import ReasonRequired, TicketService, open_ticket
from bot.services.tickets.views import customer_summary, customer_view, event_view, is_overdue, ticket_view

__all__ = ["ORDER_NUMBER_STATUSES", "RISK_FLAGS", "IntakeUpdate", "NewTicket", "ReasonRequired", "TicketService",
           "customer_summary", "customer_view", "event_view", "find_phone", "is_overdue", "open_ticket",
           "prepare_ticket", "ticket_view"]
