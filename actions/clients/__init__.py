"""Clients for what the action server calls: the bot service's ticket API (with its outbox) and
the shop's optional order lookup."""
