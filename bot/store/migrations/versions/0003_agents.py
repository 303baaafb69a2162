"""Agents and their server-side login sessions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-01

Frozen copy of the third shipped step (`_0003_agents`), which created each table only when absent.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "agents" not in existing:
        op.create_table(
            "agents",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(64), nullable=False),
            sa.Column("display_name", sa.String(64), nullable=False),
            sa.Column("password_hash", sa.String(256), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
            sa.UniqueConstraint("name", name="uq_agents_name"),
        )
    if "agent_sessions" not in existing:
        op.create_table(
            "agent_sessions",
            sa.Column("token_hash", sa.String(64), primary_key=True),
            sa.Column("agent_name", sa.String(64), nullable=False),
            sa.Column("csrf_token", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=False), nullable=False),
        )
        op.create_index("ix_agent_sessions_expires", "agent_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("agent_sessions")
    op.drop_table("agents")
