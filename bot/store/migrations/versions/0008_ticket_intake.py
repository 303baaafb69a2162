"""ticket intake, missing fields and the customer's deadline

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:56:46.588356

Frozen once shipped: never edit it. Describe the tables as they are at this step, with literal
names and types; import nothing from the project (bot.store.schema is today's schema, not this
step's). Use `op.batch_alter_table` for ALTERs so SQLite can apply them too.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tickets from before the intake were posted whole: complete, nothing missing.
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake', sa.String(length=16), server_default='complete', nullable=False))
        batch_op.add_column(sa.Column('missing_fields', sa.Text(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('customer_deadline', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_tickets_intake', ['intake'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_intake')
        batch_op.drop_column('customer_deadline')
        batch_op.drop_column('missing_fields')
        batch_op.drop_column('intake')
