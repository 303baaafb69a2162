"""`python -m bot up`: runs Rasa, the action server and the bot service as one unit.

Each child's output is prefixed with its name; Ctrl-C (or SIGTERM) stops every child. A child that
dies after it was up is restarted (after 1, 2, 5, 10, then 30 s while it keeps dying quickly) and
the others keep running: conversations live in Rasa's SQL tracker store and the bot service answers
in degraded mode meanwhile, so a shop need not notice. Each exit and restart is logged and shown
in /healthz. A child that dies before it was ever up stops everything (a configuration problem).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from bot.integrations.rasa_stores import endpoint_env

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
        "RASA_TELEMETRY_ENABLED": "false",  # no usage data or crash reports leave the machine
        "PYTHONUNBUFFERED": "1",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    })
    env.update(endpoint_env(settings))  # endpoints.yml: tracker and lock stores
    return env


def _wait_healthy(service: Service, deadline: float) -> bool:
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(service.health_url, timeout=2):
                return True
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.5)
    return False


RESTART_DELAYS = (1, 2, 5, 10, 30)  # seconds before the 1st, 2nd, … restart of a crash loop
STABLE_SECONDS = 60  # a service up this long before it died starts again with the shortest delay
RESTART_HEALTH_SECONDS = 300  # how long a restarted service may take to answer its health check


def _stamp(moment: float | None) -> str | None:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat() if moment else None


def _say(message: str) -> None:
    print(f"==> {time.strftime('%H:%M:%S')} {message}", flush=True)


@dataclass
class Child:
    """One supervised service: its current process and what happened to it so far."""

    service: Service
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    up_since: float | None = None
    ever_up: bool = False
    restarts: int = 0
    crashes_in_a_row: int = 0
    restart_at: float | None = None
    last_exit_code: int | None = None
    last_exit_at: float | None = None

    def status(self) -> dict:
        state = ("restarting" if self.restart_at else "up" if self.up_since else
                 "starting" if self.process else "stopped")
        return {"state": state, "pid": self.process.pid if self.process else None, "restarts": self.restarts,
                "up_since": _stamp(self.up_since), "last_exit_code": self.last_exit_code,
                "last_exit_at": _stamp(self.last_exit_at)}


class Supervisor:
    """Starts the services, restarts one that dies (with back-off) and stops them all on request.

    A service that dies before it ever answered its health check stops everything instead: that
    is a configuration or port problem a restart cannot fix, and `make run` should say so at once.
    The state of every service is written to a small JSON file (SUPERVISOR_STATUS_FILE, passed to
    the children) that the bot service shows in /healthz.
    """

    def __init__(self, settings: Settings, status_file: Path):
        self.env = {**_child_env(settings), "SUPERVISOR_STATUS_FILE": str(status_file)}
        self.children = [Child(service) for service in services(settings)]
        self.status_file = status_file
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def write_status(self) -> None:
        with self.lock:
            body = {"supervisor_pid": os.getpid(), "updated_at": _stamp(time.time()),
                    "services": {child.service.name: child.status() for child in self.children}}
            temporary = self.status_file.with_suffix(".tmp")
            temporary.write_text(json.dumps(body), encoding="utf-8")
            os.replace(temporary, self.status_file)

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.service.command, cwd=PROJECT_ROOT, env=self.env,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        child.started_at, child.up_since, child.restart_at = time.time(), None, None
        threading.Thread(target=_pump, args=(child.service.name, child.process.stdout), daemon=True).start()
        self.write_status()

    def watch_health(self, child: Child, process: subprocess.Popen, seconds: float) -> bool:
        """Waits until the service answers its health check (or its process ends); records it."""
        deadline = time.time() + seconds
        while time.time() < deadline and process.poll() is None and not self.stopping.is_set():
            if _wait_healthy(child.service, min(deadline, time.time() + 1)):
                if child.process is process:
                    child.up_since, child.ever_up = time.time(), True
                    self.write_status()
                return True
        return False

    def _await_restart(self, child: Child, process: subprocess.Popen, exited_at: float) -> None:
        if self.watch_health(child, process, RESTART_HEALTH_SECONDS):
            _say(f"{child.service.name} is up again ({time.time() - exited_at:.0f} s after it stopped, "
                 f"restart {child.restarts})")

    def check(self) -> int | None:
        """One pass: notes services that died, schedules or performs restarts. Returns an exit
        code when everything must stop."""
        now = time.time()
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                child.process, child.up_since = None, None
                child.last_exit_code, child.last_exit_at = process.returncode, now
                if not child.ever_up:
                    _say(f"{child.service.name} exited with code {process.returncode} before it was ever up; "
                         "stopping the rest")
                    self.write_status()
                    return process.returncode or 1
                ran = now - child.started_at
                child.crashes_in_a_row = 1 if ran >= STABLE_SECONDS else child.crashes_in_a_row + 1
                delay = RESTART_DELAYS[min(child.crashes_in_a_row, len(RESTART_DELAYS)) - 1]
                child.restart_at = now + delay
                _say(f"{child.service.name} exited with code {process.returncode} after {ran:.0f} s; "
                     f"restarting it in {delay} s (restart {child.restarts + 1})")
                self.write_status()
            elif process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self.start(child)
                _say(f"restarted {child.service.name} (pid {child.process.pid})")
                threading.Thread(target=self._await_restart, args=(child, child.process, child.last_exit_at),
                                 daemon=True).start()
        return None

    def stop_all(self) -> None:
        running = [child.process for child in self.children if child.process and child.process.poll() is None]
        for process in running:
            os.killpg(process.pid, signal.SIGTERM)
        end = time.time() + 10
        for process in running:
            try:
                process.wait(timeout=max(0.1, end - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for child in self.children:
            child.process, child.up_since, child.restart_at = None, None, None
        self.write_status()


def _print_urls(settings: Settings) -> None:
    print("\n==> 客服助手已启动 / the assistant is running:", flush=True)
    print(f"    shop demo page + chat widget: {settings.public_url}/", flush=True)
    print(f"    agent desk:                   {settings.public_url}/desk", flush=True)
    print(f"    health:                       {settings.public_url}/healthz", flush=True)
    print(f"    Rasa {settings.rasa_url}, action server {settings.action_server_url}", flush=True)
    print("    A service that stops is restarted. Ctrl-C stops everything.\n", flush=True)


def run(settings: Settings) -> int:
    if settings.supervisor_status_file:
        status_file = Path(settings.supervisor_status_file)
    else:
        handle, name = tempfile.mkstemp(prefix="complaint-bot-supervisor-", suffix=".json")
        os.close(handle)
        status_file = Path(name)
    supervisor = Supervisor(settings, status_file)

    def stop(*_args) -> None:
        supervisor.stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for child in supervisor.children:
        supervisor.start(child)
        print(f"==> started {child.service.name} (pid {child.process.pid})", flush=True)

    exit_code: int | None = None
    deadline = time.time() + 180
    for child in supervisor.children:
        if supervisor.stopping.is_set() or exit_code is not None:
            break
        ok = supervisor.watch_health(child, child.process, max(1.0, deadline - time.time()))
        print(f"==> {child.service.name}: {'up' if ok else 'NOT UP after waiting'} ({child.service.health_url})",
              flush=True)
        exit_code = supervisor.check()
    if not supervisor.stopping.is_set() and exit_code is None:
        _print_urls(settings)

    while not supervisor.stopping.is_set() and exit_code is None:
        exit_code = supervisor.check()
        supervisor.stopping.wait(0.5)

    supervisor.stopping.set()
    supervisor.stop_all()
    if not settings.supervisor_status_file:
        status_file.unlink(missing_ok=True)
    print("==> all services stopped", flush=True)
    return exit_code or 0
