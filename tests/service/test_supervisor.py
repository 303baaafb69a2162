"""The supervisor keeps the stack running: a service killed with SIGKILL is restarted (logged, its
restarts in the status file /healthz reads) while the others keep their processes; a service that
never came up stops everything. Small Python HTTP servers stand in for Rasa and the bot service."""
from __future__ import annotations

import json
import os
import signal
import sys
import time

from bot.supervisor import Child, Service, Supervisor
from tests.support.live_app import free_port, make_settings


def http_service(name: str) -> Service:
    port = free_port()
    return Service(name, [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                   f"http://127.0.0.1:{port}/")


def supervisor_for(tmp_path, *children: Service) -> Supervisor:
    supervisor = Supervisor(make_settings(tmp_path), tmp_path / "status.json")
    supervisor.children = [Child(service) for service in children]
    return supervisor


def until(condition, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_killed_service_is_restarted_and_the_others_keep_running(tmp_path, capsys):
    supervisor = supervisor_for(tmp_path, http_service("rasa"), http_service("bot"))
    try:
        for child in supervisor.children:
            supervisor.start(child)
        assert all(supervisor.watch_health(child, child.process, 20) for child in supervisor.children)
        rasa, bot = supervisor.children
        bot_pid, first_rasa_pid = bot.process.pid, rasa.process.pid
        os.kill(first_rasa_pid, signal.SIGKILL)

        def restarted_and_up():
            assert supervisor.check() is None  # never "stop everything"
            return rasa.restarts == 1 and rasa.up_since is not None

        until(restarted_and_up)
        assert rasa.process.pid != first_rasa_pid and rasa.last_exit_code == -signal.SIGKILL
        assert bot.process.pid == bot_pid and bot.restarts == 0
        status = json.loads((tmp_path / "status.json").read_text())
        assert status["services"]["rasa"]["restarts"] == 1 and status["services"]["rasa"]["state"] == "up"
        assert status["services"]["rasa"]["last_exit_code"] == -9
        out = capsys.readouterr().out
        assert "rasa exited with code -9" in out and "restarting it in 1 s" in out and "rasa is up again" in out
    finally:
        supervisor.stopping.set()
        supervisor.stop_all()


def test_back_off_grows_while_a_service_keeps_dying_quickly(tmp_path, capsys):
    supervisor = supervisor_for(tmp_path, http_service("rasa"))
    [rasa] = supervisor.children
    try:
        supervisor.start(rasa)
        assert supervisor.watch_health(rasa, rasa.process, 20)
        for restarts in (1, 2):
            os.kill(rasa.process.pid, signal.SIGKILL)
            until(lambda: supervisor.check() is None and rasa.restart_at is not None)
            until(lambda n=restarts: supervisor.check() is None and rasa.restarts == n and rasa.process, 10)
        out = capsys.readouterr().out
        assert "restarting it in 1 s (restart 1)" in out and "restarting it in 2 s (restart 2)" in out
    finally:
        supervisor.stopping.set()
        supervisor.stop_all()


def test_a_service_that_never_came_up_stops_everything(tmp_path):
    broken = Service("actions", [sys.executable, "-c", "raise SystemExit(3)"], "http://127.0.0.1:9/")
    supervisor = supervisor_for(tmp_path, broken)
    [child] = supervisor.children
    supervisor.start(child)
    child.process.wait(10)
    assert supervisor.check() == 3
    assert child.restarts == 0


def test_one_service_runs_alone_with_the_supervisors_command_line(tmp_path):
    """`python -m bot service bot`: what the systemd units in deploy/systemd start."""
    import subprocess

    port = free_port()
    env = {**os.environ, "DOTENV_DISABLED": "1", "BOT_PORT": str(port), "BOT_HOST": "127.0.0.1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}", "RASA_URL": f"http://127.0.0.1:{free_port()}",
           **{name: "x" * 24 for name in ("BOT_API_TOKEN", "RASA_AUTH_TOKEN", "SESSION_SECRET", "SHOP_SECRET",
                                         "ACTION_SERVER_TOKEN", "IDENTITY_SECRET")}}
    process = subprocess.Popen([sys.executable, "-m", "bot", "service", "bot"], env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = until(lambda: _health(f"http://127.0.0.1:{port}/healthz"), 60)
        assert body["services"]["bot"]["ok"] is True
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    assert process.returncode is not None


def _health(url: str):
    import requests

    try:
        return requests.get(url, timeout=2).json()
    except (requests.RequestException, ValueError):
        return None
