"""What the bot service talks to outside itself: the Rasa client, the Rasa runner and NLU
components, `parse`, and outgoing notifications (webhooks)."""
