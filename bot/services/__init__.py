"""Application logic with side effects, between the web layer and the store.

- tickets/      the ticket service: open / update / resolve / reply / rate / escalate, each written,
                announced on the event hub and notified in one place; new tickets; ticket views
- conversation  the message pipeline: one customer message in, replies out (incl. degraded mode)
- handoff/      bot ↔ human: presence, the live queue, pausing Rasa, reactions, ratings
- escalation    the background loop that escalates overdue tickets
- wording       what the bot service itself says to customers and agents

Nothing here imports Sanic or bot.web (tests/unit/test_layers.py); the web layer hands in what
it owns (the rate limiter, the request middleware's findings).
"""
