"""Request and response models of the HTTP API: they validate what comes in and are what
bot/web/openapi.py describes (fields.py: value types; base.py: bases and the 4xx wording)."""
