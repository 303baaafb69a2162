"""Bot ↔ human: who has a conversation, who is online, the live queue for 转人工, pausing the
assistant while a person talks, and the satisfaction rating afterwards.

- bot.services.handoff.mode — who has a conversation (`SessionMode`); `Handoff`, the parts
  together (`app.ctx.handoff`);
- bot.services.handoff.presence — which agents are at the desk; "your agent is away";
- bot.services.handoff.queue — the live queue, the customer's place and the wait estimate;
- bot.services.handoff.conversation_control — pausing and resuming Rasa;
- bot.services.handoff.reactions — hub listeners: agent joined / left / done, merging a
  degraded-mode ticket, asking for the rating;
- bot.services.handoff.csat — capturing the rating and its comment in the chat.
"""
from bot.services.handoff.mode import Handoff, SessionMode

__all__ = ["Handoff", "SessionMode"]
