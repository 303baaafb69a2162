"""canned replies: the team's reply library in the desk (title, text, optional issue type)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:21:07.436924

Frozen once shipped: never edit it. Describe the tables as they are at this step, with literal
names and types; import nothing from the project (bot.store.schema is today's schema, not this
step's). Use `op.batch_alter_table` for ALTERs so SQLite can apply them too.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('issue_type', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('canned_replies')
