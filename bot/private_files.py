"""Files that hold customers' words stay private to the service's own user.

SQLite creates a database with the process umask (usually 0644: readable by every local user),
and the database holds unmasked chat messages. `private_sqlite_file()` creates the directory
0700 when it makes it and the file 0600 before SQLite opens it; SQLite gives its -wal and -shm
files the database file's permissions. Files from older versions are tightened on start. An
existing directory is left as it is: it may be shared (/tmp, a mounted volume).
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)


def private_directory(path: Path) -> None:
    """Creates `path` (and missing parents) with mode 0700; leaves an existing directory alone."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)


def private_sqlite_file(path: str | Path) -> None:
    """Creates the database file 0600 if missing, or takes group and other access away from it
    (and from its -wal / -shm / -journal companions)."""
    path = Path(path)
    private_directory(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o077:
                file.chmod(mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not ours to change (another owner): say so, do not stop
            log.warning("could not make %s private: %s", file, exc)
