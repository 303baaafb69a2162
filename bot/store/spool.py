"""The chat spool: chat messages the database could not take (locked too long, read-only, disk
full), kept in an append-only file until it can (issue 13).

One JSON line per message: `{"session_id", "sender", "text", "buttons", "meta", "at"}`, written
with fsync, 0600 in the data directory (the lines hold customers' words). `drain(write)` hands the
lines to `write` in order and keeps what it could not write; several processes may share the file
(an exclusive lock while appending or draining). Delivery is at least once: a process killed
between writing a line to the database and forgetting it writes that line again on the next drain.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.private_files import private_directory

log = logging.getLogger(__name__)


class MessageSpool:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()  # flock is per open file; threads of one process take turns here

    def _open(self) -> int:
        private_directory(self.path.parent)
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)

    def keep(self, session_id: str, items: list[tuple[str, str, list[dict] | None, dict[str, Any] | None]]) -> None:
        """Appends messages (sender, text, buttons, meta) of one session; raises OSError when even
        the file cannot be written."""
        at = datetime.now(timezone.utc).isoformat()
        lines = "".join(json.dumps({"session_id": session_id, "sender": sender, "text": text, "buttons": buttons,
                                    "meta": meta, "at": at}, ensure_ascii=False) + "\n"
                        for sender, text, buttons, meta in items)
        with self._lock:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, lines.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def pending(self) -> int:
        """How many messages are waiting (0 when there is no spool file)."""
        try:
            with open(self.path, "rb") as file:
                return sum(1 for line in file if line.strip())
        except FileNotFoundError:
            return 0

    def drain(self, write: Callable[[dict], None]) -> int:
        """Hands each waiting message to `write` (in the order they came); stops at the first that
        fails and keeps it and the rest. Returns how many were written."""
        if not self.path.exists():
            return 0
        with self._lock:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                with os.fdopen(os.dup(fd), "rb") as file:
                    lines = [line for line in file.read().splitlines() if line.strip()]
                written = 0
                for line in lines:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        log.error("chat spool: an unreadable line skipped (%d bytes)", len(line))
                        written += 1
                        continue
                    try:
                        write(record)
                    except Exception:  # noqa: BLE001 - still down: everything from here waits for the next try
                        log.warning("chat spool: the database still refuses; %d message(s) wait",
                                    len(lines) - written, exc_info=True)
                        break
                    written += 1
                if written:
                    os.ftruncate(fd, 0)  # O_APPEND: the rest is written back at offset 0
                    rest = lines[written:]
                    if rest:
                        os.write(fd, b"\n".join(rest) + b"\n")
                    os.fsync(fd)
                return written
            finally:
                os.close(fd)
