"""The customer-facing files: the demo shop page at `/`, the widget script at `/widget.js` (the one
`<script>` tag a shop adds) and the widget's other files under `/widget/`.

Plain files from bot/web/static, no build step; only names on an allow-list pattern are served, so
no path ever leaves the folder. The widget's source is kept in parts (static/widget/parts/, one
concern each); `/widget.js` joins them in WIDGET_PARTS order inside one function, so the shop still
loads a single script and the parts share one scope. The parts themselves are not served.
"""
from __future__ import annotations

import re
from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import raw

from bot.web.contract import HTML_PAGE, Reply, documented
from bot.web.http import BadRequest

bp = Blueprint("widget")

STATIC = Path(__file__).resolve().parent.parent / "static"
WIDGET_DIR = STATIC / "widget"
SHOP_PAGE = STATIC / "shop" / "index.html"
WIDGET_PARTS = ("config.js", "panel.js", "messages.js", "outbox.js", "socket.js", "start.js")
FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}\.(js|css|svg|png)$")
TYPES = {"js": "application/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
         "svg": "image/svg+xml", "png": "image/png", "html": "text/html; charset=utf-8"}
# The demo page loads only its own files and talks only to its own origin.
SHOP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _not_found() -> BadRequest:
    return BadRequest("not_found", "找不到这个地址。", status=404)


def _file(path: Path, kind: str, headers: dict | None = None):
    try:
        body = path.read_bytes()
    except OSError:
        raise _not_found() from None
    return raw(body, content_type=TYPES[kind], headers={
        "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", **(headers or {})})


@bp.get("/")
@documented("The demo shop page with the chat widget", responses={200: HTML_PAGE})
async def shop_page(request: Request):
    return _file(SHOP_PAGE, "html", {"Content-Security-Policy": SHOP_CSP, "Referrer-Policy": "same-origin"})


@bp.get("/widget.js")
@documented("The chat widget: one <script> tag adds it to a shop page",
            responses={200: Reply(description="JavaScript", media_type="application/javascript")})
async def widget_script(request: Request):
    # Shops include it from their own pages: any origin may load it.
    return raw(widget_source(), content_type=TYPES["js"], headers={
        "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"})


def widget_source() -> bytes:
    """The widget as one script: its parts in order, inside one function (a private scope)."""
    parts = [(WIDGET_DIR / "parts" / name).read_text(encoding="utf-8") for name in WIDGET_PARTS]
    return ("(function () {\n" + "".join(parts) + "})();\n").encode("utf-8")


@bp.get("/widget/<name>")
@documented("The widget's stylesheet and images", responses={200: Reply(description="CSS or an image", media_type="")},
            errors=(404,))
async def widget_file(request: Request, name: str):
    if not FILE_NAME.match(name):
        raise _not_found()
    return _file(WIDGET_DIR / name, name.rsplit(".", 1)[1], {"Access-Control-Allow-Origin": "*"})
