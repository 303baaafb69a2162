"""The scale-out harness: two bot services and two Rasa servers behind nginx, one action server,
all on PostgreSQL (one fresh schema for the bot service's tables and Rasa's tracker store) and
Redis (RedisLockStore, live events). Processes are started with the supervisor's own command lines
(`bot.supervisor.services`), nginx with the configuration `scripts/nginx_conf.py` writes for
docs/DEPLOY.md. Used by tests/stack/test_scale_out.py and `make scale-test`.

Customers (`ResilientChat`) behave like the widget: each message carries a client_id and is sent
again after a failed attempt, and every text is recorded so the test can compare it with the
stored chat.
"""
from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections import defaultdict
from pathlib import Path

import requests

from tests.support.net import free_port
from tests.support.stack import MODEL, ROOT

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
ACCESS_LINE = re.compile(r"^(?P<time>\S+) (?P<method>\S+) (?P<uri>\S+) (?P<status>\d+) (?P<upstream>.+?) "
                         r"(?P<seconds>\d+\.\d+) (?P<body>.*)$")


def missing_parts() -> str | None:
    """Why the scale-out set-up cannot run here (None when it can)."""
    if not MODEL.exists():
        return "no trained model (models/current.tar.gz)"
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        return "nginx is not installed (apt-get install -y nginx)"
    from tests.support.live_app import postgres_unreachable

    reason = postgres_unreachable()
    if reason:
        return reason
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} unreachable: {exc}"
    return None


class ScaleStack:
    """rasa1, rasa2, actions, bot1, bot2 and nginx on loopback; `front` is what customers use."""

    def __init__(self, tmp: Path, schema: str, replicas: int = 2, bots: int | None = None):
        self.tmp = tmp
        self.replicas = replicas
        self.bots = replicas if bots is None else bots  # bot services behind nginx (bench: 1)
        self.token = secrets.token_urlsafe(24)
        self.ports = {f"rasa{i}": free_port() for i in range(1, replicas + 1)}
        self.ports.update({f"bot{i}": free_port() for i in range(1, replicas + 1)})
        self.ports.update({"actions": free_port(), "front": free_port(), "rasa_front": free_port()})
        self.front = f"http://127.0.0.1:{self.ports['front']}"
        database = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        self.env = {
            **os.environ,
            "BOT_API_TOKEN": self.token, "RASA_AUTH_TOKEN": secrets.token_urlsafe(24),
            "SESSION_SECRET": secrets.token_urlsafe(24), "SHOP_SECRET": secrets.token_urlsafe(24),
            "ACTION_SERVER_TOKEN": secrets.token_urlsafe(24), "IDENTITY_SECRET": secrets.token_urlsafe(24),
            "DATABASE_URL": database, "TRACKER_STORE_URL": database, "REDIS_URL": REDIS_URL,
            "OUTBOX_PATH": str(tmp / "outbox.sqlite3"), "BOT_HOST": "127.0.0.1",
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.ports['actions']}/webhook",
            "BOT_SERVICE_URL": self.front, "PUBLIC_URL": self.front,
            "BUSINESS_HOURS": "daily 00:00-24:00", "FOLLOW_CHINA_HOLIDAYS": "false",
            "RATE_LIMIT_PER_MINUTE": "10000", "LOG_LEVEL": "WARNING", "DOTENV_DISABLED": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def _env_for(self, name: str) -> dict[str, str]:
        env = dict(self.env)
        index = name[-1] if name[-1].isdigit() else "1"
        env["RASA_PORT"] = str(self.ports.get(f"rasa{index}", free_port()))
        env["BOT_PORT"] = str(self.ports.get(f"bot{index}", free_port()))
        env["ACTION_PORT"] = str(self.ports["actions"])
        # A Rasa process is checked on its own port; bot services reach Rasa through nginx.
        env["RASA_URL"] = self.url(name) if name.startswith("rasa") else f"http://127.0.0.1:{self.ports['rasa_front']}"
        return env

    def start(self, name: str) -> None:
        """Starts one process (rasa1, bot2, actions …) with the supervisor's command line."""
        from bot.config import load_settings
        from bot.supervisor import _child_env, services

        env = self._env_for(name)
        settings = load_settings(env)
        kind = re.sub(r"\d+$", "", name)
        service = next(s for s in services(settings) if s.name == kind)
        log = open(self.tmp / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(service.command, cwd=ROOT, env={**_child_env(settings), **env},
                                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait(name, service.health_url)

    def start_all(self) -> None:
        for name in ["actions", *[f"rasa{i}" for i in range(1, self.replicas + 1)],
                     *[f"bot{i}" for i in range(1, self.bots + 1)]]:
            self.start(name)
        # Last: a request through nginx before the replicas listen would mark them failed, and the
        # next request to probe one could be the desk's hour-long event stream.
        self.start_nginx()

    def _wait(self, name: str, url: str, seconds: float = 600) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited: {(self.tmp / f'{name}.log').read_text()[-3000:]}")
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{name} did not come up: {(self.tmp / f'{name}.log').read_text()[-3000:]}")

    def start_nginx(self) -> None:
        import sys

        sys.path.insert(0, str(ROOT / "scripts"))
        from nginx_conf import render

        bots = [f"127.0.0.1:{self.ports[f'bot{i}']}" for i in range(1, self.bots + 1)]
        rasas = [f"127.0.0.1:{self.ports[f'rasa{i}']}" for i in range(1, self.replicas + 1)]
        site = render(f"127.0.0.1:{self.ports['front']}", bots, f"127.0.0.1:{self.ports['rasa_front']}", rasas,
                      access_log=str(self.tmp / "access.log"), log_bodies=True)
        temp = self.tmp / "nginx-temp"
        temp.mkdir(exist_ok=True)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        paths = "".join(f"{kind}_temp_path {temp / kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                         "uwsgi", "scgi"))
        conf = self.tmp / "nginx.conf"
        conf.write_text(f"{user}worker_processes 1;\npid {self.tmp / 'nginx.pid'};\n"
                        f"error_log {self.tmp / 'nginx.err'};\nevents {{ worker_connections 1024; }}\n"
                        f"http {{\n{paths}client_body_buffer_size 1m;\n"
                        f"{site}}}\n", encoding="utf-8")
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.processes["nginx"] = subprocess.Popen([binary, "-p", str(self.tmp), "-c", str(conf), "-g", "daemon off;"],
                                                   stdout=open(self.tmp / "nginx.log", "ab"),
                                                   stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 20
        while time.time() < deadline:  # listening? (a TCP connection, no request to the replicas)
            try:
                socket.create_connection(("127.0.0.1", self.ports["front"]), timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"nginx did not come up: {(self.tmp / 'nginx.err').read_text()[-2000:]}")

    def kill(self, name: str) -> None:
        """SIGKILL, as the kernel's OOM killer or a power cut would: no clean-up at all."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for name, process in list(self.processes.items()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    def api(self, path: str, **params) -> dict:
        response = requests.get(f"{self.front}{path}", params=params, timeout=30,
                                headers={"Authorization": f"Bearer {self.token}"})
        response.raise_for_status()
        return response.json()

    def served_by(self) -> dict[str, dict[str, set[str]]]:
        """From nginx's access log: for each chat session, the bot services that served its
        messages, and for each Rasa sender, the Rasa servers that processed its messages."""
        bots: dict[str, set[str]] = defaultdict(set)
        rasas: dict[str, set[str]] = defaultdict(set)
        for line in (self.tmp / "access.log").read_text(encoding="utf-8", errors="replace").splitlines():
            parts = ACCESS_LINE.match(line)
            if not parts or parts.group("status") != "200":
                continue
            uri, upstream = parts.group("uri"), parts.group("upstream").split(", ")[-1]  # the one that answered
            chat = re.match(r"^/api/chat/([^/]+)/messages$", uri)
            if parts.group("method") == "POST" and chat:
                bots[chat.group(1)].add(upstream)
            elif uri == "/webhooks/rest/webhook":
                sender = re.search(r'\\"sender\\":\s*\\"([^\\]+)\\"', line)
                if sender:
                    rasas[sender.group(1)].add(upstream)
        return {"bot": dict(bots), "rasa": dict(rasas)}


class ResilientChat:
    """The chat API as the widget uses it: a client_id per message, sent again after a failure
    (connection refused or reset, 502 while nginx notices a dead replica), up to `attempts` times."""

    def __init__(self, base: str, http, attempts: int = 6, timeout: float = 30):
        import aiohttp

        self.base = base.rstrip("/")
        self.http = http
        self.attempts = attempts
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.sent: dict[str, list[str]] = defaultdict(list)  # session → every text the customer typed
        self.retried = 0

    async def send(self, session_id: str, text: str) -> tuple[int, dict]:
        self.sent[session_id].append(text)
        body = {"text": text, "client_id": uuid.uuid4().hex[:16]}
        status, answer = 0, {}
        for attempt in range(self.attempts):
            if attempt:
                self.retried += 1
                await asyncio.sleep(min(0.5 * 2 ** attempt, 4))
            try:
                async with self.http.post(f"{self.base}/api/chat/{session_id}/messages", json=body,
                                          timeout=self.timeout) as response:
                    status = response.status
                    try:
                        answer = await response.json(content_type=None)
                    except ValueError:
                        answer = {}
            except Exception as exc:  # noqa: BLE001 - refused, reset, timed out: send again
                status, answer = 0, {"error": f"{type(exc).__name__}: {exc}"}
            if status == 200 or 400 <= status < 500:
                break
        return status, answer if isinstance(answer, dict) else {}
