"""`python -m bot agent add|list|passwd|disable|enable`: the desk's agent accounts.

Passwords are prompted twice (not echoed), or read from the first line of stdin with
`--password-stdin` for scripts; they never appear on the command line or in the shell history.
"""
from __future__ import annotations

import getpass
import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone

from bot.web.passwords import hash_password, password_problem

AGENT_NAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


def _store(settings_factory: Callable):
    from bot.store import open_store

    return open_store(settings_factory().database_url)


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("密码 / password: ")
        if getpass.getpass("再输入一次 / again: ") != password:
            print("两次输入的密码不一致 / passwords differ", file=sys.stderr)
            return None
    problem = password_problem(password)
    if problem:
        print(problem, file=sys.stderr)
        return None
    return password


def cmd_add(args, settings_factory: Callable) -> int:
    from bot.store.agents import AgentExists

    if not AGENT_NAME.match(args.name):
        print("账号名只能包含字母、数字和 _.-，2–64 个字符 / name: 2-64 of A-Z a-z 0-9 _ . -", file=sys.stderr)
        return 2
    display_name = (args.display_name or args.name).strip()
    if not display_name or len(display_name) > 64:
        print("显示名需 1–64 个字符 / display name: 1-64 characters", file=sys.stderr)
        return 2
    store = _store(settings_factory)
    if store.get_agent(args.name) is not None:
        print(f"客服 {args.name} 已存在 / agent exists (use `agent passwd`)", file=sys.stderr)
        return 1
    password = _read_password(args.password_stdin)
    if password is None:
        return 2
    try:
        store.create_agent(args.name, display_name, hash_password(password), datetime.now(timezone.utc))
    except AgentExists:
        print(f"客服 {args.name} 已存在 / agent exists", file=sys.stderr)
        return 1
    print(f"已创建客服账号 {args.name}（{display_name}）/ agent created")
    return 0


def cmd_passwd(args, settings_factory: Callable) -> int:
    store = _store(settings_factory)
    if store.get_agent(args.name) is None:
        print(f"没有客服 {args.name} / no such agent", file=sys.stderr)
        return 1
    password = _read_password(args.password_stdin)
    if password is None:
        return 2
    store.update_agent(args.name, password_hash=hash_password(password))
    print(f"已修改 {args.name} 的密码，原有登录已失效 / password changed, sessions ended")
    return 0


def cmd_set_active(args, settings_factory: Callable, active: bool) -> int:
    if not _store(settings_factory).update_agent(args.name, active=active):
        print(f"没有客服 {args.name} / no such agent", file=sys.stderr)
        return 1
    print(f"{args.name}: {'已启用 / enabled' if active else '已停用 / disabled'}")
    return 0


def cmd_list(_args, settings_factory: Callable) -> int:
    for agent in _store(settings_factory).list_agents():
        state = "active" if agent["active"] else "disabled"
        print(f"{agent['name']}\t{agent['display_name']}\t{state}")
    return 0


def register(subparsers, settings_factory: Callable) -> None:
    """Adds the `agent` command to `python -m bot`; settings are loaded only when it runs."""
    agent = subparsers.add_parser("agent", help="manage the desk's agent accounts")
    commands = agent.add_subparsers(dest="agent_command", required=True)

    add = commands.add_parser("add", help="create an agent (password prompted)")
    add.add_argument("name")
    add.add_argument("--display-name", help="name shown to colleagues and customers (default: NAME)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=lambda args: cmd_add(args, settings_factory))

    passwd = commands.add_parser("passwd", help="set a new password (ends the agent's sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=lambda args: cmd_passwd(args, settings_factory))

    for name, active in (("disable", False), ("enable", True)):
        sub = commands.add_parser(name, help=f"{name} an agent's login")
        sub.add_argument("name")
        sub.set_defaults(func=lambda args, active=active: cmd_set_active(args, settings_factory, active))

    commands.add_parser("list", help="list agents").set_defaults(func=lambda args: cmd_list(args, settings_factory))
