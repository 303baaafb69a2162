"""The bot service and the shop's domain knowledge (taxonomy, calendar, triage, privacy)."""
