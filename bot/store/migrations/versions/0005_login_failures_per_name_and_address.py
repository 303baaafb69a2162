"""login failures per name and address

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:39:57.080416

Frozen once shipped: never edit it. Describe the tables as they are at this step, with literal
names and types; import nothing from the project (bot.store.schema is today's schema, not this
step's). Use `op.batch_alter_table` for ALTERs so SQLite can apply them too.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_last', ['last_failed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_last')

    op.drop_table('login_failures')
