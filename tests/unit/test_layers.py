"""The architecture as tests: pure shop rules stay pure, modules stay small enough to read."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = {"sanic", "sqlalchemy", "aiohttp", "requests", "websockets", "rasa", "rasa_sdk",
                "psycopg2", "redis", "httpx", "urllib3"}
MAX_MODULE_LINES = 400


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "domain").glob("*.py")), ids=lambda p: p.name)
def test_domain_modules_import_no_io_library(path):
    assert not (_imported_roots(path) & IO_LIBRARIES)


def test_importing_the_domain_loads_no_io_library():
    """Transitively too: a domain module importing a helper that imports sanic would pass the
    file check above and still drag the web stack into the action server."""
    code = ("import sys, importlib, pkgutil, bot.domain\n"
            "for m in pkgutil.iter_modules(bot.domain.__path__): importlib.import_module('bot.domain.' + m.name)\n"
            f"print(sorted({{n.split('.')[0] for n in sys.modules}} & set({sorted(IO_LIBRARIES)!r})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("path", sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "actions").rglob("*.py")]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "services").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_services_do_not_reach_into_the_web_layer(path):
    """Dependencies point inwards: web → services → store and domain. A service that imported
    Sanic or bot.web could not run outside a request (scripts, the escalation loop, tests)."""
    web = {name for name in _imported_modules(path) if name.split(".")[0] == "sanic"
           or name == "bot.web" or name.startswith("bot.web.")}
    assert not web
