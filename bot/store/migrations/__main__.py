"""`python -m bot.store.migrations new|check|history`: the developer's side of the migrations.

- `new "what changes" [--autogenerate]` writes the next numbered script (0004_what_changes.py) in
  bot/store/migrations/versions/, filled from the difference between schema.py and the migrated
  schema with --autogenerate. Review it and keep it free of project imports.
- `check` exits 1 while schema.py and the migrations describe different schemas.
- `history` lists the steps.
No database of yours is touched: `new` and `check` work on a scratch SQLite file.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from bot.store.migrations import MIGRATIONS, SCRIPTS, alembic_config, migrate, schema_drift


@contextmanager
def _scratch_database() -> Iterator[Engine]:
    """A SQLite file migrated to the newest step."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/head.sqlite3", future=True)
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.store.migrations", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="write the next numbered migration script")
    new.add_argument("message")
    new.add_argument("--autogenerate", action="store_true",
                     help="fill it from the difference between schema.py and the migrated schema")
    commands.add_parser("check", help="exit 1 while schema.py and the migrations differ")
    commands.add_parser("history", help="list the steps")
    args = parser.parse_args(argv)

    if args.command == "history":
        for step in MIGRATIONS:
            print(f"{step.revision}  {step.title}")
        return 0
    with _scratch_database() as engine, engine.begin() as conn:
        if args.command == "check":
            drift = schema_drift(conn)
            for difference in drift:
                print(difference)
            print("schema.py and the migrations differ" if drift else "schema.py matches the migrations")
            return 1 if drift else 0
        from bot.store import schema

        config = alembic_config(SCRIPTS, connection=conn, target_metadata=schema.metadata)
        script = command.revision(config, args.message, autogenerate=args.autogenerate,
                                  rev_id=f"{len(MIGRATIONS) + 1:04d}")
        print(f"wrote {getattr(script, 'path', script)}: review it, and keep it free of project imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
