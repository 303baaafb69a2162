"""Table definitions (the current schema). Alembic scripts in `bot/store/migrations/` create and alter them.

Times are naive UTC everywhere (`DateTime(timezone=False)`); the shop's time zone is applied when
they are shown. JSON lists and objects are stored as text so SQLite and PostgreSQL agree.
"""
from sqlalchemy import (
                        Boolean,
                        Column,
                        DateTime,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
)

metadata = MetaData()

# Every message of a chat, whoever wrote it: the customer's own words are never lost, even when
# Rasa is down or the message was too long to process.
chat_messages = Table(
    "chat_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(64), nullable=False),
    Column("sender", String(16), nullable=False),  # customer | bot | agent | system
    Column("text", Text, nullable=False),
    Column("buttons", Text, nullable=True),  # JSON list of {title, payload}
    Column("meta", Text, nullable=True),  # JSON: mode, agent, flags
    Column("created_at", DateTime(timezone=False), nullable=False),  # UTC, naive
    Index("ix_chat_messages_session", "session_id", "id"),
)

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=False), nullable=False),
)

# One complaint handed to people. The id is what the customer is told (TK-20261123-0007).
tickets = Table(
    "tickets", metadata,
    Column("id", String(24), primary_key=True),
    # Chosen by the caller (the action server) so a retried submission never makes two tickets.
    Column("idempotency_key", String(128), nullable=False),
    Column("session_id", String(64), nullable=True),
    Column("customer_ref", String(128), nullable=True),
    Column("channel", String(32), nullable=False),
    Column("order_number", String(64), nullable=True),
    Column("order_number_status", String(16), nullable=False),  # given | verified | unknown
    Column("issue_type", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("expectation", String(32), nullable=True),
    Column("description", Text, nullable=False),  # the customer's own words
    Column("phone", String(32), nullable=True),  # digits only; shown masked
    Column("priority", String(8), nullable=False),  # urgent | high | normal
    Column("risk_flags", Text, nullable=False),  # JSON list of bot.domain.triage flag codes
    Column("triage_reasons", Text, nullable=False),  # JSON list of Chinese reasons for agents
    Column("repeat_contacts", Integer, nullable=False, default=0),
    Column("complex_case", Boolean, nullable=False, default=False),
    Column("off_hours", Boolean, nullable=False, default=False),
    Column("handoff_requested", Boolean, nullable=False, default=False),  # the customer asked for a person
    Column("status", String(20), nullable=False),
    Column("assignee", String(64), nullable=True),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("updated_at", DateTime(timezone=False), nullable=False),
    Column("first_response_due", DateTime(timezone=False), nullable=False),
    Column("resolution_due", DateTime(timezone=False), nullable=False),
    Column("first_responded_at", DateTime(timezone=False), nullable=True),
    Column("resolved_at", DateTime(timezone=False), nullable=True),
    Column("escalated_at", DateTime(timezone=False), nullable=True),
    Column("csat", Integer, nullable=True),  # 1..5
    Column("csat_comment", Text, nullable=True),
    Column("csat_at", DateTime(timezone=False), nullable=True),
    # Issue 11: the record opens at the first message (collecting, 登记中) and is filed complete
    # (confirmed) or incomplete (as it stands, missing_fields named), or withdrawn by the customer
    # while collected (closed); see bot.domain.intake.
    Column("intake", String(16), nullable=False, server_default="complete"),
    Column("missing_fields", Text, nullable=False, server_default="[]"),  # JSON list of field names
    Column("customer_deadline", String(200), nullable=True),  # the customer's own words ("明天务必送到")
    UniqueConstraint("idempotency_key", name="uq_tickets_idempotency_key"),
    Index("ix_tickets_session", "session_id"),
    Index("ix_tickets_customer_ref", "customer_ref"),
    Index("ix_tickets_status_priority", "status", "priority"),
    Index("ix_tickets_created_at", "created_at"),
    Index("ix_tickets_order_number", "order_number"),
    Index("ix_tickets_intake", "intake"),
)

# The last ticket number handed out per shop-local day; incremented in the ticket's transaction.
ticket_counters = Table(
    "ticket_counters", metadata,
    Column("day", String(8), primary_key=True),  # YYYYMMDD in the shop's time zone
    Column("last_number", Integer, nullable=False),
)

# The audit trail: who did what to a ticket and when. Never updated, never deleted.
ticket_events = Table(
    "ticket_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(24), ForeignKey("tickets.id"), nullable=False),
    Column("actor", String(64), nullable=False),  # agent name | system | bot | customer
    Column("action", String(32), nullable=False),
    Column("details", Text, nullable=True),  # JSON object
    Column("at", DateTime(timezone=False), nullable=False),
    Index("ix_ticket_events_ticket", "ticket_id", "id"),
)

agents = Table(
    "agents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("display_name", String(64), nullable=False),
    Column("password_hash", String(256), nullable=False),  # scrypt$n$r$p$salt$hash (bot.web.passwords)
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=False), nullable=False),
    UniqueConstraint("name", name="uq_agents_name"),
)

# Server-side login sessions, so logging out really ends one. Only a hash of the cookie's token
# is stored: a copy of the database does not let anyone log in.
agent_sessions = Table(
    "agent_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("agent_name", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("expires_at", DateTime(timezone=False), nullable=False),
    Index("ix_agent_sessions_expires", "expires_at"),
)

# One row per team notice that must go out at most once (a spike per type and day, the daily
# digest): whoever inserts first sends (bot/store/notices.py).
team_notices = Table(
    "team_notices", metadata,
    Column("kind", String(16), primary_key=True),  # spike | digest
    Column("subject", String(64), primary_key=True),  # the issue type of a spike; "-" for the digest
    Column("day", String(10), primary_key=True),  # shop-local YYYY-MM-DD
    Column("claimed_at", DateTime(timezone=False), nullable=False),  # UTC, naive
    Column("sent_at", DateTime(timezone=False), nullable=True),
)

# Failed desk logins per (name, address), so the back-off survives a restart (bot.web.auth
# LoginThrottle). The key is a hash: no typed name (sometimes a password typed in the wrong box)
# or address is stored.
login_failures = Table(
    "login_failures", metadata,
    Column("key", String(64), primary_key=True),  # sha256 hex of "name\naddress"
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", DateTime(timezone=False), nullable=False),
    Column("blocked_until", DateTime(timezone=False), nullable=True),
    Index("ix_login_failures_last", "last_failed_at"),
)

# Evidence photos a customer sent in the chat (bot.services.attachments). The file is on disk
# (ATTACHMENTS_DIR, 0600) under `stored_name`; only its session's customer and agents fetch it.
attachments = Table(
    "attachments", metadata,
    Column("id", String(32), primary_key=True),  # random, unguessable
    Column("session_id", String(64), nullable=False),
    Column("message_id", Integer, nullable=True),  # the chat message that shows it
    Column("content_type", String(32), nullable=False),  # image/jpeg | image/png | image/webp
    Column("bytes", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("stored_name", String(64), nullable=False),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Index("ix_attachments_session", "session_id", "created_at"),
)

# The team's canned replies: agents edit them in the desk and insert one with "/" in the reply box.
canned_replies = Table(
    "canned_replies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(60), nullable=False),
    Column("text", Text, nullable=False),
    Column("issue_type", String(40), nullable=True),  # shown first for tickets of this type
    Column("created_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=False), nullable=False),
)
