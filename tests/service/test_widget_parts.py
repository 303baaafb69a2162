"""The widget's source is kept in parts (bot/web/static/widget/parts/) and served as one script:
every part in order, inside one function, strict, syntactically valid; the parts are not served
on their own."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import requests

from bot.web.routes.widget import WIDGET_DIR, WIDGET_PARTS, widget_source
from tests.support.live_app import LiveApp, make_settings


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("widget_parts"))).start()
    yield running
    running.stop()


def test_widget_js_is_every_part_in_order_in_one_function(live):
    served = requests.get(f"{live.base}/widget.js", timeout=10)
    assert served.status_code == 200 and served.headers["Access-Control-Allow-Origin"] == "*"
    text = served.text
    assert served.content == widget_source()
    assert text.startswith("(function () {\n") and text.rstrip().endswith("})();")
    positions = []
    for name in WIDGET_PARTS:
        part = (WIDGET_DIR / "parts" / name).read_text(encoding="utf-8")
        assert part.count("\n") < 400, f"{name} is a part, keep it small"
        positions.append(text.index(part))
    assert positions == sorted(positions)
    # "use strict" is the function's first statement (only a comment before it), so strict mode holds.
    body = text[len("(function () {\n"):]
    assert body.split("*/", 1)[1].lstrip().startswith('"use strict";')
    assert sorted(p.name for p in (WIDGET_DIR / "parts").glob("*.js")) == sorted(WIDGET_PARTS), "no part left out"
    for name in WIDGET_PARTS:
        assert requests.get(f"{live.base}/widget/{name}", timeout=10).status_code == 404


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to check the syntax")
def test_the_joined_widget_is_valid_javascript(tmp_path):
    script = tmp_path / "widget.js"
    script.write_bytes(widget_source())
    checked = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
