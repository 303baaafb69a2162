"""The shop's FAQ file (`faq.yml`, or FAQ_PATH): read, checked and turned into bot.domain.faq entries.

Both processes use it — the action server answers policy questions with it, the bot service checks
it at start-up — so it imports nothing but PyYAML and the pure domain. The file is shop-editable:
`load_faq` reads it again when it changes (size or modification time), so an edit needs no
restart. A malformed file raises `FaqFileError` naming the entry and the field; bot.config turns
that into a start-up error naming FAQ_PATH. Once a process has read a good version, a broken
edit (or a file removed) while it runs is logged and the last good entries stay in use: a typo in
the FAQ must not stop the assistant from answering complaints.
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import yaml

from bot.domain.faq import FaqEntry

ENTRY_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
MAX_ANSWER_CHARS = 600
MAX_ENTRIES = 200

log = logging.getLogger(__name__)

_cache: dict[str, tuple[tuple[int, int], tuple[FaqEntry, ...]]] = {}  # path → (version, last good entries)
_lock = threading.Lock()


class FaqFileError(ValueError):
    """The FAQ file cannot be read or an entry is malformed; the message says where."""


def _words(value, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    words = tuple(str(item).strip() for item in items if item is not None and str(item).strip())
    if not words:
        raise FaqFileError(f"{where}: expected a list of words")
    return words


def parse_faq(data, source: str = "faq.yml") -> tuple[FaqEntry, ...]:
    """Entries from the YAML data of a FAQ file (a list of {id, question, keywords, answer})."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise FaqFileError(f"{source}: expected a list of entries (- id: …)")
    if len(data) > MAX_ENTRIES:
        raise FaqFileError(f"{source}: at most {MAX_ENTRIES} entries")
    entries, seen = [], set()
    for number, item in enumerate(data, start=1):
        where = f"{source}, entry {number}"
        if not isinstance(item, dict):
            raise FaqFileError(f"{where}: expected id, question, keywords and answer")
        entry_id = str(item.get("id") or "").strip()
        if not ENTRY_ID.match(entry_id):
            raise FaqFileError(f"{where}: id {entry_id!r} must be 1–64 letters, digits, _ or -")
        if entry_id in seen:
            raise FaqFileError(f"{where}: id {entry_id!r} is used twice")
        seen.add(entry_id)
        where = f"{source}, entry {entry_id!r}"
        question, answer = str(item.get("question") or "").strip(), str(item.get("answer") or "").strip()
        if not question:
            raise FaqFileError(f"{where}: question is missing")
        if not answer or len(answer) > MAX_ANSWER_CHARS:
            raise FaqFileError(f"{where}: answer must be 1–{MAX_ANSWER_CHARS} characters")
        raw = item.get("keywords")
        if not isinstance(raw, list) or not raw:
            raise FaqFileError(f"{where}: keywords must be a list of words or of word groups")
        # A flat list is one group; a list of lists, several (the first is the topic).
        groups = [raw] if all(not isinstance(k, list) for k in raw) else raw
        keywords = tuple(_words(group, f"{where}, keywords group {n}") for n, group in enumerate(groups, start=1))
        entries.append(FaqEntry(entry_id, question, keywords, " ".join(answer.split())))
    return tuple(entries)


def load_faq(path: str | Path, *, required: bool = False) -> tuple[FaqEntry, ...]:
    """The entries of the FAQ file at `path` (read again only when it changed); () when the file
    does not exist, unless `required`. Raises FaqFileError for a file that cannot be read or
    parsed — unless this process read a good version before: then that one is kept (and logged)."""
    file = Path(path)
    key = str(file.absolute())
    with _lock:
        cached = _cache.get(key)
    try:
        stat = file.stat()
    except OSError as exc:
        if cached is not None:
            log.error("FAQ file %s cannot be read (%s); keeping the last good version", file, exc.strerror)
            return cached[1]
        if isinstance(exc, FileNotFoundError) and not required:
            return ()
        raise FaqFileError(f"{file}: cannot be read ({exc.strerror})") from None
    version = (stat.st_mtime_ns, stat.st_size)
    if cached is not None and cached[0] == version:
        return cached[1]
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        entries = parse_faq(data, file.name)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, FaqFileError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if cached is not None:
            log.error("FAQ file %s is broken (%s); keeping the last good version", file, reason)
            return cached[1]
        if isinstance(exc, FaqFileError):
            raise
        raise FaqFileError(f"{file}: not a readable YAML file ({reason})") from None
    with _lock:
        _cache[key] = (version, entries)
    return entries
