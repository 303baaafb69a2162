"""Command line: `python -m bot up | serve | parse | agent add NAME`."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from bot.agents_cli import register as register_agent_commands
from bot.config import ConfigError, ensure_secrets, load_settings, require_secrets


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
    parse = commands.add_parser("parse", help="print how the trained model understands each text")
    parse.add_argument("text", nargs="*")
    parse.set_defaults(func=cmd_parse)
    register_agent_commands(commands, _settings)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
