"""Persistence for the bot service: the conversation log, tickets, agents and the audit trail.

SQLAlchemy Core on a SQLite file by default (`var/desk.sqlite3`) or PostgreSQL via DATABASE_URL.
The schema is versioned by `bot.store.migrations`; `open_store()` migrates on start.
"""
from bot.store.db import Store, open_store
from bot.store.intake import TicketClosed
from bot.store.queries import TicketFilter
from bot.store.tickets import NoConversation, TicketNotFound

__all__ = ["NoConversation", "Store", "TicketClosed", "TicketFilter", "TicketNotFound", "open_store"]
