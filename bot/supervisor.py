"""`python -m bot up`: runs Rasa, the action server and the bot service as one unit.

Each child's output is prefixed with its name; Ctrl-C (or SIGTERM) stops every child; when one
child dies the others are stopped too, so a half-running stack never pretends to be healthy.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass

from bot.config import PROJECT_ROOT, Settings

COLOURS = {"rasa": "\033[35m", "actions": "\033[36m", "bot": "\033[32m"}
RESET = "\033[0m"


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str


def services(settings: Settings) -> list[Service]:
    model = settings.model_path
    return [
        # The API token reaches Rasa through RASA_AUTH_TOKEN in its environment (_child_env), never
        # on a command line any local user can read with `ps`.
        Service("rasa", [sys.executable, "-m", "bot.integrations.rasa_runner", "run", "--model", model,
                         "--port", str(settings.rasa_port), "--interface", "127.0.0.1", "--enable-api",
                         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
                f"{settings.rasa_url}/"),
        Service("actions", [sys.executable, "-m", "actions.server", "--host", settings.action_host,
                            "--port", str(settings.action_port)],
                settings.action_server_url.rsplit("/webhook", 1)[0] + "/health"),
        Service("bot", [sys.executable, "-m", "bot", "serve"], f"http://127.0.0.1:{settings.bot_port}/healthz"),
    ]


def _pump(name: str, stream) -> None:
    colour = COLOURS.get(name, "") if sys.stdout.isatty() else ""
    reset = RESET if colour else ""
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{colour}{name:>7} |{reset} {line.decode('utf-8', 'replace')}")
        sys.stdout.flush()


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "ACTION_SERVER_URL": settings.action_server_url,
        "ACTION_SERVER_TOKEN": settings.action_server_token,  # endpoints.yml: Rasa → action server
        "RASA_AUTH_TOKEN": settings.rasa_auth_token,  # read by bot.integrations.rasa_runner
        "BOT_SERVICE_URL": settings.bot_service_url,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    })
    return env


def _wait_healthy(service: Service, deadline: float) -> bool:
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(service.health_url, timeout=2):
                return True
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.5)
    return False


def run(settings: Settings) -> int:
    env = _child_env(settings)
    children: list[tuple[Service, subprocess.Popen]] = []
    stopping = threading.Event()

    def stop(*_args) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for service in services(settings):
        process = subprocess.Popen(service.command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=_pump, args=(service.name, process.stdout), daemon=True).start()
        children.append((service, process))
        print(f"==> started {service.name} (pid {process.pid})", flush=True)

    deadline = time.time() + 180
    for service, _process in children:
        if stopping.is_set():
            break
        ok = _wait_healthy(service, deadline)
        print(f"==> {service.name}: {'up' if ok else 'NOT UP after waiting'} ({service.health_url})", flush=True)
    if not stopping.is_set():
        print("\n==> 客服助手已启动 / the assistant is running:", flush=True)
        print(f"    shop demo page + chat widget: {settings.public_url}/", flush=True)
        print(f"    agent desk:                   {settings.public_url}/desk", flush=True)
        print(f"    health:                       {settings.public_url}/healthz", flush=True)
        print(f"    Rasa {settings.rasa_url}, action server {settings.action_server_url}", flush=True)
        print("    Ctrl-C stops everything.\n", flush=True)

    exit_code = 0
    while not stopping.is_set():
        for service, process in children:
            if process.poll() is not None:
                print(f"==> {service.name} exited with code {process.returncode}; stopping the rest", flush=True)
                exit_code = process.returncode or 1
                stopping.set()
        stopping.wait(0.5)

    for _service, process in children:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    end = time.time() + 10
    for _service, process in children:
        try:
            process.wait(timeout=max(0.1, end - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    print("==> all services stopped", flush=True)
    return exit_code
