"""The shop's signed customer id: who a chatting customer is, vouched for by the shop's server.

A shop that knows its logged-in customer renders the widget with a token made on its server:

    v1.<customer id, base64url without padding>.<expiry, Unix seconds>.<signature>
    signature = hex(HMAC-SHA256(SHOP_SECRET, "v1.<customer id b64>.<expiry>"))

The widget sends it as `metadata.customer_token` with every message; the chat route verifies it
and passes only the verified id on to Rasa (`metadata.customer_ref`), so a returning customer
sees their own tickets on any device and nobody can claim someone else's id. docs/WIDGET.md has
the Python and Node.js code for shop developers.

Between our own processes, the bot service vouches for each message it relays to Rasa: the
metadata carries `bot_signature` = hex(HMAC-SHA256(IDENTITY_SECRET, "conversation-v1\n<session
id>\n<customer_ref or empty>")). The action server acts on the sender and customer_ref of a
message only when that signature matches (`verify_conversation`), so a tracker crafted by anyone
else, or a message posted to Rasa's REST channel directly, reads and changes nobody's tickets.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time

VERSION = "v1"
MAX_CUSTOMER_ID_CHARS = 128  # the ticket's customer_ref column
MAX_TOKEN_CHARS = 512
CLOCK_SKEW_SECONDS = 60  # the shop's clock may run a little ahead of ours
_TOKEN = re.compile(r"^v1\.([A-Za-z0-9_\-]{1,200})\.(\d{1,12})\.([0-9a-f]{64})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).rstrip(b"=").decode("ascii")


def _b64decode(part: str) -> str:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8")


def _signature(secret: str, signed_part: str) -> str:
    return hmac.new(secret.encode("utf-8"), signed_part.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_customer(secret: str, customer_id: str, expires_at: int | None = None, ttl_seconds: int = 86400) -> str:
    """A token for `customer_id`, valid until `expires_at` (Unix seconds; default: now + ttl)."""
    if not secret:
        raise ValueError("SHOP_SECRET is empty")
    if not customer_id or len(customer_id) > MAX_CUSTOMER_ID_CHARS or _CONTROL.search(customer_id):
        raise ValueError(f"customer id must be 1–{MAX_CUSTOMER_ID_CHARS} characters without control characters")
    expires = int(expires_at if expires_at is not None else time.time() + ttl_seconds)
    signed_part = f"{VERSION}.{_b64encode(customer_id)}.{expires}"
    return f"{signed_part}.{_signature(secret, signed_part)}"


def verify_customer(secret: str, token: object, now: float | None = None) -> str | None:
    """The customer id of a genuine, unexpired token; None for anything else (never raises)."""
    if not secret or not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    match = _TOKEN.match(token.strip())
    if match is None:
        return None
    encoded, expires, signature = match.groups()
    signed_part = f"{VERSION}.{encoded}.{expires}"
    if not hmac.compare_digest(signature, _signature(secret, signed_part)):
        return None
    if int(expires) + CLOCK_SKEW_SECONDS < (time.time() if now is None else now):
        return None
    try:
        customer_id = _b64decode(encoded)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not customer_id or len(customer_id) > MAX_CUSTOMER_ID_CHARS or _CONTROL.search(customer_id):
        return None
    return customer_id


CONVERSATION_SIGNATURE = "bot_signature"  # the metadata key the bot service signs each message under


def _conversation_part(session_id: str, customer_ref: str | None) -> str:
    return f"conversation-v1\n{session_id}\n{customer_ref or ''}"


def sign_conversation(secret: str, session_id: str, customer_ref: str | None = None) -> str:
    """The bot service's signature over who this message is from (its chat session and the verified
    customer id, if any). Session ids and customer ids never contain a newline, so the signed text
    is unambiguous."""
    if not secret:
        raise ValueError("IDENTITY_SECRET is empty")
    return _signature(secret, _conversation_part(session_id, customer_ref))


def verify_conversation(secret: str, session_id: object, customer_ref: object, signature: object) -> bool:
    """True only for the signature `sign_conversation` made for exactly this session and customer id."""
    if not secret or not isinstance(session_id, str) or not session_id or not isinstance(signature, str):
        return False
    if customer_ref is not None and not isinstance(customer_ref, str):
        return False
    if "\n" in session_id or (customer_ref and "\n" in customer_ref) or len(signature) != 64:
        return False
    expected = _signature(secret, _conversation_part(session_id, customer_ref))
    return hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode("ascii"))
