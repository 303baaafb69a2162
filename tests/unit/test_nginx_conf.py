"""The nginx configuration docs/DEPLOY.md gives (scripts/nginx_conf.py) is valid for Debian's nginx
and proxies what the services need: WebSocket upgrade for the chat, no buffering for the desk's
event stream, round robin with failover, kept-alive connections dropped before Sanic drops them."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from nginx_conf import render  # noqa: E402


def test_the_site_proxies_websocket_and_sse_and_balances_both_tiers():
    site = render("80", ["10.0.0.1:8001", "10.0.0.2:8001"], "127.0.0.1:5080", ["127.0.0.1:5006", "127.0.0.1:5007"])
    assert site.count("server 10.0.0.") == 2 and site.count("server 127.0.0.1:500") == 2
    ws = site[site.index("location ~ ^/api/chat/[^/]+/ws$"):]
    assert "proxy_set_header Upgrade $http_upgrade;" in ws.split("}")[0]
    sse = site[site.index("location = /api/desk/events"):]
    assert "proxy_buffering off;" in sse.split("}")[0]
    assert site.count("keepalive_timeout 4s;") == 2 and "proxy_next_upstream error timeout" in site
    assert "$request_body" not in site.split("access_log")[-1]  # bodies only with log_bodies=True


def test_nginx_accepts_it(tmp_path):
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    site = render("127.0.0.1:1", ["127.0.0.1:2"], "127.0.0.1:3", ["127.0.0.1:4"], access_log=str(tmp_path / "a.log"),
                  log_bodies=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\n"
                    f"events {{ worker_connections 16; }}\nhttp {{\n{site}}}\n", encoding="utf-8")
    result = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
