"""team notices sent at most once

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:26:11.900684

Frozen once shipped: never edit it. Describe the tables as they are at this step, with literal
names and types; import nothing from the project (bot.store.schema is today's schema, not this
step's). Use `op.batch_alter_table` for ALTERs so SQLite can apply them too.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A development build of the statistics created this table itself before this step existed.
    if "team_notices" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table('team_notices',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('kind', 'subject', 'day')
    )


def downgrade() -> None:
    op.drop_table('team_notices')
