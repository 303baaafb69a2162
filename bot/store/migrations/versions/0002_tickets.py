"""Tickets, the per-day ticket counters and the audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-01

Frozen copy of the second shipped step (`_0002_tickets`), which created each table only when absent.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "tickets" not in existing:
        op.create_table(
            "tickets",
            sa.Column("id", sa.String(24), primary_key=True),
            sa.Column("idempotency_key", sa.String(128), nullable=False),
            sa.Column("session_id", sa.String(64), nullable=True),
            sa.Column("customer_ref", sa.String(128), nullable=True),
            sa.Column("channel", sa.String(32), nullable=False),
            sa.Column("order_number", sa.String(64), nullable=True),
            sa.Column("order_number_status", sa.String(16), nullable=False),
            sa.Column("issue_type", sa.String(32), nullable=False),
            sa.Column("category", sa.String(16), nullable=False),
            sa.Column("expectation", sa.String(32), nullable=True),
            sa.Column("description", sa.Text(), nullable=False),
            sa.Column("phone", sa.String(32), nullable=True),
            sa.Column("priority", sa.String(8), nullable=False),
            sa.Column("risk_flags", sa.Text(), nullable=False),
            sa.Column("triage_reasons", sa.Text(), nullable=False),
            sa.Column("repeat_contacts", sa.Integer(), nullable=False),
            sa.Column("complex_case", sa.Boolean(), nullable=False),
            sa.Column("off_hours", sa.Boolean(), nullable=False),
            sa.Column("handoff_requested", sa.Boolean(), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("assignee", sa.String(64), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=False), nullable=False),
            sa.Column("first_response_due", sa.DateTime(timezone=False), nullable=False),
            sa.Column("resolution_due", sa.DateTime(timezone=False), nullable=False),
            sa.Column("first_responded_at", sa.DateTime(timezone=False), nullable=True),
            sa.Column("resolved_at", sa.DateTime(timezone=False), nullable=True),
            sa.Column("escalated_at", sa.DateTime(timezone=False), nullable=True),
            sa.Column("csat", sa.Integer(), nullable=True),
            sa.Column("csat_comment", sa.Text(), nullable=True),
            sa.Column("csat_at", sa.DateTime(timezone=False), nullable=True),
            sa.UniqueConstraint("idempotency_key", name="uq_tickets_idempotency_key"),
        )
        op.create_index("ix_tickets_session", "tickets", ["session_id"])
        op.create_index("ix_tickets_customer_ref", "tickets", ["customer_ref"])
        op.create_index("ix_tickets_status_priority", "tickets", ["status", "priority"])
        op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
        op.create_index("ix_tickets_order_number", "tickets", ["order_number"])
    if "ticket_counters" not in existing:
        op.create_table(
            "ticket_counters",
            sa.Column("day", sa.String(8), primary_key=True),
            sa.Column("last_number", sa.Integer(), nullable=False),
        )
    if "ticket_events" not in existing:
        op.create_table(
            "ticket_events",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("ticket_id", sa.String(24), sa.ForeignKey("tickets.id"), nullable=False),
            sa.Column("actor", sa.String(64), nullable=False),
            sa.Column("action", sa.String(32), nullable=False),
            sa.Column("details", sa.Text(), nullable=True),
            sa.Column("at", sa.DateTime(timezone=False), nullable=False),
        )
        op.create_index("ix_ticket_events_ticket", "ticket_events", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_table("ticket_events")
    op.drop_table("ticket_counters")
    op.drop_table("tickets")
