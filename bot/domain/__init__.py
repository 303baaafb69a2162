"""Pure shop rules used by both processes (bot service and action server): the taxonomy, the
business calendar, SLA and promises, triage, privacy masking, reply suggestions, order numbers,
customer identity and ratings. No I/O: tests/unit/test_layers.py fails if anything here imports a
web, database, HTTP or Rasa library."""
