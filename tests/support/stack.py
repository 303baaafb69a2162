"""The stack harness: `Stack` starts the real three services on free loopback ports once per test
session, with the trained model, a fresh SQLite file and generated secrets."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"



class Stack:
    """The running services and how to reach them."""

    def __init__(self, tmp: Path, business_hours: str = "daily 00:00-24:00"):
        self.rasa_port, self.action_port, self.bot_port = free_port(), free_port(), free_port()
        self.token = secrets.token_urlsafe(24)
        self.env = {
            **os.environ,
            "BOT_PORT": str(self.bot_port), "RASA_PORT": str(self.rasa_port), "ACTION_PORT": str(self.action_port),
            "BOT_HOST": "127.0.0.1",
            # Derived addresses are pinned too: `make` exports ACTION_SERVER_URL for rasa's CLI.
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
            "BOT_SERVICE_URL": f"http://127.0.0.1:{self.bot_port}",
            "PUBLIC_URL": f"http://127.0.0.1:{self.bot_port}",
            "BOT_API_TOKEN": self.token, "RASA_AUTH_TOKEN": secrets.token_urlsafe(24),
            "SESSION_SECRET": secrets.token_urlsafe(24), "SHOP_SECRET": secrets.token_urlsafe(24),
            "ACTION_SERVER_TOKEN": secrets.token_urlsafe(24), "IDENTITY_SECRET": secrets.token_urlsafe(24),
            "DATABASE_URL": f"sqlite:///{tmp / 'desk.sqlite3'}", "OUTBOX_PATH": str(tmp / "outbox.sqlite3"),
            "TRACKER_STORE_URL": f"sqlite:///{tmp / 'rasa_tracker.sqlite3'}", "REDIS_URL": "",
            "BUSINESS_HOURS": business_hours, "FOLLOW_CHINA_HOLIDAYS": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
        # Nothing from a developer's own .env leaks into the tests.
        self.env["DOTENV_DISABLED"] = "1"
        self.base = f"http://127.0.0.1:{self.bot_port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = tmp

    def start(self, name: str) -> None:
        from bot.config import load_settings
        from bot.supervisor import _child_env, services

        settings = load_settings(self.env)
        for service in services(settings):
            if service.name == name:
                log = open(self.logs / f"{name}.log", "ab")
                self.processes[name] = subprocess.Popen(
                    service.command, cwd=ROOT, env={**_child_env(settings), **self.env}, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True)
                self._wait(service.health_url, name)
                return
        raise KeyError(name)

    def _wait(self, url: str, name: str, seconds: float = 420) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited: {(self.logs / f'{name}.log').read_text()[-3000:]}")
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{name} did not come up: {(self.logs / f'{name}.log').read_text()[-3000:]}")

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def say(self, session_id: str, text: str, **extra) -> dict:
        response = requests.post(f"{self.base}/api/chat/{session_id}/messages", json={"text": text, **extra},
                                 timeout=60)
        response.raise_for_status()
        return response.json()

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)


def texts(result: dict) -> str:
    """All reply texts of one chat answer, joined (for assertions on wording)."""
    return "\n".join(reply.get("text", "") for reply in result["replies"])
