"""Versioned schema migrations: Alembic revision scripts, run at start-up by `open_store()`.

The steps live in bot/store/migrations/versions/ (`0001_chat_log.py`, `0002_tickets.py`, …), one
straight line numbered 0001, 0002, …. Each describes its tables as they were at that step and never
imports today's schema (bot/store/schema.py), so an old step still builds what it built when it
shipped, and a later ALTER finds the table it expects. Never edit a step that has shipped; add one:

    .venv/bin/python -m bot.store.migrations new "add tickets.channel_detail" --autogenerate

drafts the next numbered script from the difference between schema.py and the migrated schema
(review it, keep it free of project imports); `check` fails while the two differ.

`migrate(engine)` brings a database to the newest step in one transaction, safe to call from several
processes starting at once (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE, with foreign keys
off for the duration, as SQLite requires for the table rebuilds behind its ALTERs, and checked before
commit). A database made before Alembic, whose steps were recorded only in `schema_version`, is
adopted: stamped at the revision of its last recorded step, then upgraded. `alembic_version` says
where a database is; `schema_version` keeps the history (step number, applied_at) as before.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, func, select
from sqlalchemy.engine import Connection, Engine

SCRIPTS = Path(__file__).parent  # env.py, script.py.mako, versions/
POSTGRES_LOCK_KEY = 7246815  # the key the pre-Alembic runner locked too: old and new never overlap

# The history of applied steps, as the pre-Alembic runner defined it (frozen here: it is the
# runner's table, like alembic_version, not part of any step).
_history = Table(
    "schema_version", MetaData(),
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=False), nullable=False),
)


class MigrationError(RuntimeError):
    """The scripts or the database are not in a state this code can migrate."""


@dataclass(frozen=True)
class Migration:
    """One step: its number (1, 2, …), Alembic revision id and script."""

    number: int
    revision: str
    script: Script

    @property
    def title(self) -> str:
        return (self.script.doc or "").strip().splitlines()[0] if self.script.doc else ""

    def __call__(self, conn: Connection) -> None:
        """Applies this step alone, recording nothing: how tests build a database of an old version."""
        with Operations.context(MigrationContext.configure(conn)):
            self.script.module.upgrade()


def load_migrations(location: Path = SCRIPTS) -> list[Migration]:
    """The steps in order; refuses branches and ids that do not count 0001, 0002, …"""
    scripts = ScriptDirectory(str(location))
    heads = scripts.get_heads()
    if len(heads) > 1:
        raise MigrationError(f"{location}: migrations must form one line, found several heads {sorted(heads)}")
    chain = list(reversed(list(scripts.walk_revisions("base", heads[0])))) if heads else []
    steps = []
    for number, script in enumerate(chain, start=1):
        if script.revision != f"{number:04d}" or isinstance(script.down_revision, tuple | list):
            raise MigrationError(f"{script.path}: expected revision {number:04d} following one revision, "
                                 f"found {script.revision!r} after {script.down_revision!r}")
        steps.append(Migration(number, script.revision, script))
    return steps


MIGRATIONS: list[Migration] = load_migrations()


def alembic_config(location: Path, **attributes: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(location).replace("%", "%%"))
    config.attributes.update(attributes)
    return config


def _record_step(numbers: dict[str, int]):
    """Keeps `schema_version` in step with what Alembic applies, in the same transaction."""

    def record(*, ctx: MigrationContext, step: Any, heads: Any, run_args: Any) -> None:
        if step.is_stamp:
            return
        number = numbers[step.up_revision_id]
        conn = ctx.connection
        if step.is_upgrade:  # (a step applied again after a downgrade replaces its old row)
            conn.execute(_history.delete().where(_history.c.version == number))
            conn.execute(_history.insert().values(
                version=number, applied_at=datetime.now(timezone.utc).replace(tzinfo=None)))
        else:
            conn.execute(_history.delete().where(_history.c.version >= number))

    return record


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction around the whole upgrade, which also keeps a second migrator waiting."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({POSTGRES_LOCK_KEY})")
                yield conn
            return
        # pysqlite runs DDL outside any transaction unless the transaction is begun by hand; a
        # table rebuild cut short would lose the table. Foreign keys can only be switched off
        # outside a transaction, and must be: dropping the old copy of a referenced table fails
        # (or cascades) with them on. migrate() checks them before the commit instead.
        conn.execution_options(isolation_level="AUTOCOMMIT")
        foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock now: a second process waits here
            try:
                yield conn
            except BaseException:
                if conn.connection.dbapi_connection.in_transaction:  # SQLite may have rolled back itself
                    conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
        finally:
            conn.exec_driver_sql(f"PRAGMA foreign_keys={int(bool(foreign_keys))}")


def _adopt_pre_alembic(conn: Connection, config: Config, migrations: list[Migration]) -> None:
    """A database the pre-Alembic runner made has steps in `schema_version` and no alembic_version."""
    if MigrationContext.configure(conn).get_current_heads():
        return
    recorded = conn.execute(select(func.max(_history.c.version))).scalar() or 0
    if recorded > len(migrations):
        raise MigrationError(f"the database is at schema version {recorded}, newer than this code "
                             f"(which knows 1..{len(migrations)}): upgrade the code, not the database")
    if recorded:
        command.stamp(config, migrations[recorded - 1].revision)


def _version(conn: Connection, migrations: list[Migration]) -> int:
    heads = MigrationContext.configure(conn).get_current_heads()
    numbers = {m.revision: m.number for m in migrations}
    if not heads:
        return 0
    if heads[0] not in numbers:
        raise MigrationError(f"the database is at revision {heads[0]!r}, which this code does not know "
                             f"(it knows 1..{len(migrations)}): upgrade the code, not the database")
    return numbers[heads[0]]


def migrate(engine: Engine, location: Path = SCRIPTS) -> int:
    """Applies pending migrations; returns the resulting step number (`len(MIGRATIONS)` when done).
    `location` is another script directory, for tests that add a step of their own."""
    migrations = MIGRATIONS if location == SCRIPTS else load_migrations(location)
    numbers = {m.revision: m.number for m in migrations}
    with _migration_transaction(engine) as conn:
        _history.create(conn, checkfirst=True)
        config = alembic_config(location, connection=conn, on_version_apply=[_record_step(numbers)])
        _adopt_pre_alembic(conn, config, migrations)
        if _version(conn, migrations) == len(migrations):  # (an unknown revision fails there, with a message)
            return len(migrations)
        dangling_before = _dangling_rows(conn)
        command.upgrade(config, "head")
        added = _dangling_rows(conn) - dangling_before
        if added:
            raise MigrationError(f"the migration would leave rows whose foreign keys point nowhere: {dict(added)}")
        return _version(conn, migrations)


def _dangling_rows(conn: Connection) -> Counter:
    """SQLite (foreign keys off while migrating): rows per (table, referenced table) that point
    nowhere. Compared before and after, so rows an older database already had do not stop start-up."""
    if conn.dialect.name != "sqlite":
        return Counter()  # PostgreSQL checks every statement
    return Counter((row[0], row[2]) for row in conn.exec_driver_sql("PRAGMA foreign_key_check"))


def schema_drift(conn: Connection) -> list:
    """What differs between bot/store/schema.py and the database on `conn` (empty: nothing)."""
    from alembic.autogenerate import compare_metadata

    from bot.store import schema

    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, schema.metadata)
