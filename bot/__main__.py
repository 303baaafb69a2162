"""Command line: `python -m bot up | serve | service NAME | parse | agent add NAME`."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from bot.agents_cli import register as register_agent_commands
from bot.config import PROJECT_ROOT, ConfigError, ensure_secrets, load_settings, require_secrets


def _settings():
    try:
        settings = load_settings()
        require_secrets(settings)
        return settings
    except ConfigError as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_up(_args) -> int:
    written = ensure_secrets()
    if written:
        print(f"==> generated {', '.join(written)} into .env (keep that file private)")
    from bot.supervisor import run

    return run(_settings())


def cmd_serve(args) -> int:
    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    from bot.web.app import create_app

    app = create_app(settings)
    app.run(host=args.host or settings.bot_host, port=args.port or settings.bot_port,
            access_log=False, motd=False)
    return 0


def cmd_service(args) -> int:
    """One service alone, with exactly the command line `up` uses (for systemd units, one per process:
    docs/DEPLOY.md). Replaces this process, so systemd supervises the service itself."""
    import os

    from bot.supervisor import _child_env, services

    settings = _settings()
    for service in services(settings):
        if service.name == args.name:
            os.chdir(PROJECT_ROOT)
            os.execve(service.command[0], service.command, _child_env(settings))
    print(f"unknown service {args.name!r}", file=sys.stderr)
    return 2


def cmd_parse(args) -> int:
    texts = args.text or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        print("usage: python -m bot parse TEXT ...  (or one text per line on stdin)", file=sys.stderr)
        return 2
    from bot.integrations.parse import parse_texts

    try:
        results = parse_texts(texts)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for result in results:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="complaint assistant")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start Rasa, the action server and the bot service").set_defaults(func=cmd_up)
    serve = commands.add_parser("serve", help="start only the bot service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)
    one = commands.add_parser("service", help="run one service (rasa, actions or bot) in the foreground")
    one.add_argument("name", choices=("rasa", "actions", "bot"))
    one.set_defaults(func=cmd_service)
    parse = commands.add_parser("parse", help="print how the trained model understands each text")
    parse.add_argument("text", nargs="*")
    parse.set_defaults(func=cmd_parse)
    register_agent_commands(commands, _settings)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
