"""`python -m bot.rasa_runner run …`: Rasa's own command line with one measured speed fix.

Rasa 3.6 checks every action-server response with `jsonschema.validate`, which re-checks the
schema itself on each call: 73 % of a conversation turn on this machine (docs/BENCHMARKS.md,
"Inside Rasa"). Building the validator once gives the same check at a fraction of the cost.
"""
from __future__ import annotations

import sys


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


def main() -> None:
    install_cached_response_validator()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
