"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Frozen once shipped: never edit it. Describe the tables as they are at this step, with literal
names and types; import nothing from the project (bot.store.schema is today's schema, not this
step's). Use `op.batch_alter_table` for ALTERs so SQLite can apply them too.
"""
import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
