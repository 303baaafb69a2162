"""Application logic with side effects: the ticket service (every change written, published and
notified in one place), the conversation pipeline, hand-off and escalation."""
