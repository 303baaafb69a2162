"""`python -m bot.integrations.rasa_runner run …`: Rasa's own command line with six measured speed fixes.

Each one keeps Rasa's behaviour and removes repeated work found by profiling a served Rasa under
load (docs/BENCHMARKS.md, "Where the time goes"):

- Rasa 3.6 checks every action-server response with `jsonschema.validate`, which re-checks the
  schema itself on each call: 73 % of a conversation turn. The validator is now built once.
- Every call to the action server opened a new HTTP session and TCP connection; one session per
  endpoint is now kept open and reused.
- The form-validation action is sent the domain on every call (Rasa always sends it to `validate_*`
  actions, `enable_selective_domain` spares the others). The copy sent leaves out `responses`, the
  bot's texts, which rasa-sdk never reads: 16 of the domain's 21 KB, encoded twice per form turn.
- Rasa fills slot placeholders in every string of a response, button payloads included: each
  `/inform{"expectation": "refund"}` button raised a KeyError that Rasa logged as an ERROR with a
  rendered traceback, seven times per wish question. Intent payloads (starting with "/") are
  now left as they are, which is what Rasa returned anyway.
- Turning stored events back into objects looked up each event's class by walking every subclass of
  `Event` (about 6 % of Rasa's CPU under load); the lookup is now a table built once.

Also: the API token comes from RASA_AUTH_TOKEN in the environment and is handed to Rasa's argument
parser inside this process (`with_auth_token`), so it never appears on the command line, which
every local user can read (`ps`, /proc/PID/cmdline).

- The SQL tracker store (conversations survive restarts) blocked the event loop on every read and
  write; bot.integrations.tracker_store_speedups runs them in a thread, without ORM objects and
  without waiting for the disk.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping


def install_cached_response_validator() -> None:
    import jsonschema
    from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator = jsonschema.validators.validator_for(schema)(schema)

    def validate(self, result) -> bool:  # same contract as RemoteAction._validate_action_result
        try:
            validator.validate(result)
            return True
        except jsonschema.ValidationError as error:
            error.message += (". Failed to validate Action server response from API, make sure your response "
                              f"from the Action endpoint is valid. See {DOCS_BASE_URL}/custom-actions")
            raise error

    RemoteAction._validate_action_result = validate


class _KeptSession:
    """`async with endpoint.session()` on a session that stays open for the next request."""

    def __init__(self, session) -> None:
        self._session = session

    async def __aenter__(self):
        return self._session

    async def __aexit__(self, *_exc) -> None:
        return None


def install_reused_endpoint_sessions() -> None:
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    new_session = EndpointConfig.session

    def session(self):
        loop = asyncio.get_running_loop()
        kept = getattr(self, "_kept_session", None)
        if kept is None or kept.closed or kept._loop is not loop:
            kept = new_session(self)
            self._kept_session = kept
        return _KeptSession(kept)

    EndpointConfig.session = session


def install_event_type_table() -> None:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type  # a staticmethod: the plain function
    table: dict[str, type] = {}

    def resolve_by_type(type_name, default=None):
        if not table:
            for cls in rasa.shared.utils.common.all_subclasses(Event):
                table.setdefault(cls.type_name, cls)  # first match wins, as in Rasa's own loop
        found = table.get(type_name)
        return found if found is not None else original(type_name, default)

    Event.resolve_by_type = staticmethod(resolve_by_type)


def install_slim_domain_for_actions() -> None:
    from rasa.core.actions.action import RemoteAction

    build = RemoteAction._action_call_format
    last: list = [None, None]  # the full domain dict seen last and its copy without responses

    def action_call_format(self, tracker, domain):
        result = build(self, tracker, domain)
        full = result.get("domain")
        if full is not None:
            if last[0] is not full:
                last[:] = [full, {k: v for k, v in full.items() if k != "responses"}]
            result["domain"] = last[1]
        return result

    RemoteAction._action_call_format = action_call_format


def install_literal_intent_payloads() -> None:
    from rasa.core.nlg import interpolator

    interpolate_text = interpolator.interpolate_text

    def interpolate_unless_intent_payload(response, values):
        if isinstance(response, str) and response.startswith("/"):
            return response
        return interpolate_text(response, values)

    interpolator.interpolate_text = interpolate_unless_intent_payload


def install_speedups() -> None:
    from bot.integrations.tracker_store_speedups import install_fast_sql_tracker_store

    install_fast_sql_tracker_store()
    install_cached_response_validator()
    install_literal_intent_payloads()
    install_slim_domain_for_actions()
    install_reused_endpoint_sessions()
    install_event_type_table()


def with_auth_token(args: list[str], env: Mapping[str, str]) -> list[str]:
    """`rasa run …` arguments plus `--auth-token` from RASA_AUTH_TOKEN, unless one is given.

    The token is joined to its option with "=": a generated token may start with "-", and argparse
    would take a separate "-abc…" for an option and refuse to start Rasa."""
    token = env.get("RASA_AUTH_TOKEN", "").strip()
    if not args or args[0] != "run" or not token or any(a.startswith("--auth-token") for a in args):
        return list(args)
    return [*args, f"--auth-token={token}"]


def main() -> None:
    from bot.integrations.rasa_stores import prepare_tracker_store

    install_speedups()
    if os.environ.get("TRACKER_STORE_URL"):
        prepare_tracker_store(os.environ["TRACKER_STORE_URL"])
    from rasa.__main__ import main as rasa_main

    # Only this process's copy of argv changes; /proc/PID/cmdline keeps what exec was given.
    sys.argv = ["rasa", *with_auth_token(sys.argv[1:], os.environ)]
    rasa_main()


if __name__ == "__main__":
    main()
