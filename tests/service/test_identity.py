"""The shop's signed customer id: tokens made by bot.domain.identity and by the documented Python and
Node.js recipes verify; tampered, foreign, expired and malformed ones do not; and the chat route
passes only a verified id to Rasa (a customer_ref the browser claims itself is dropped)."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from bot.domain.identity import (
    CLOCK_SKEW_SECONDS,
    CONVERSATION_SIGNATURE,
    sign_conversation,
    sign_customer,
    verify_conversation,
    verify_customer,
)
from tests.support.fake_rasa import FakeRasa, live_app

ROOT = Path(__file__).resolve().parents[2]
SECRET = "shop-secret-for-tests-0123456789"


def test_a_signed_id_verifies_back_to_the_same_customer():
    for customer in ("c-1024", "张三-9527", "a.b.c", "x" * 128, "会员 007 / 上海"):
        assert verify_customer(SECRET, sign_customer(SECRET, customer)) == customer


def test_tampered_tokens_are_refused():
    token = sign_customer(SECRET, "c-1024")
    version, encoded, expires, signature = token.split(".")
    other = sign_customer(SECRET, "c-2048").split(".")[1]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    for bad in (
        f"{version}.{other}.{expires}.{signature}",  # someone else's id with my signature
        f"{version}.{encoded}.{int(expires) + 86400}.{signature}",  # a longer life
        f"{version}.{encoded}.{expires}.{flipped}",
        f"v2.{encoded}.{expires}.{signature}",
        f"{version}.{encoded}.{expires}.{signature.upper()}",
        f"{version}.{encoded}.{expires}",
        token + ".extra",
    ):
        assert verify_customer(SECRET, bad) is None, bad


def test_another_shops_secret_does_not_verify():
    assert verify_customer("another-shop-secret-abcdefgh", sign_customer(SECRET, "c-1024")) is None
    assert verify_customer("", sign_customer(SECRET, "c-1024")) is None


def test_expired_tokens_are_refused_with_a_little_clock_skew_allowed():
    now = time.time()
    token = sign_customer(SECRET, "c-1024", expires_at=int(now) - 10)
    assert verify_customer(SECRET, token, now=now) == "c-1024"  # within the allowed skew
    assert verify_customer(SECRET, token, now=now + CLOCK_SKEW_SECONDS + 20) is None
    assert verify_customer(SECRET, sign_customer(SECRET, "c-1", ttl_seconds=-3600)) is None


@pytest.mark.parametrize("token", [None, 42, "", "   ", "v1..1.ab", "not a token", "v1.%%%.1." + "a" * 64,
                                   "v1." + "QQ" * 300 + ".1." + "a" * 64, ["v1"], {"t": 1}])
def test_malformed_tokens_are_refused_without_errors(token):
    assert verify_customer(SECRET, token) is None


def test_ids_that_cannot_be_stored_are_not_signed():
    for bad in ("", "x" * 129, "tab\there", "new\nline"):
        with pytest.raises(ValueError):
            sign_customer(SECRET, bad)
    with pytest.raises(ValueError):
        sign_customer("", "c-1")


def _doc_block(language: str) -> str:
    text = (ROOT / "docs" / "WIDGET.md").read_text(encoding="utf-8")
    return re.search(rf"```{language}\n(.*?)```", text, re.DOTALL).group(1)


def test_the_documented_python_recipe_makes_tokens_the_service_accepts():
    scope: dict = {}
    exec(_doc_block("python"), scope)  # noqa: S102 - our own documentation, run as written
    token = scope["chat_customer_token"]("会员-42", SECRET)
    assert verify_customer(SECRET, token) == "会员-42"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_documented_node_recipe_makes_tokens_the_service_accepts(tmp_path):
    script = tmp_path / "sign.js"
    call = "console.log(chatCustomerToken(process.argv[2], process.argv[3]));"
    script.write_text(_doc_block("javascript") + "\n" + call + "\n", encoding="utf-8")
    token = subprocess.run(["node", str(script), "会员-42", SECRET], capture_output=True, text=True, check=True,
                           timeout=30).stdout.strip()
    assert verify_customer(SECRET, token) == "会员-42"


# -- the chat route -----------------------------------------------------------------------------

@pytest.fixture()
def chat(tmp_path):
    with FakeRasa() as rasa, live_app(tmp_path, rasa, SHOP_SECRET=SECRET) as live:
        yield live, rasa


def _metadata_seen_by_rasa(rasa: FakeRasa, text: str) -> dict:
    return next(body["metadata"] for body in rasa.messages if body["message"] == text)


def test_a_claimed_customer_ref_never_reaches_rasa(chat):
    live, rasa = chat
    response = requests.post(f"{live.base}/api/chat/s-claim/messages", timeout=10, json={
        "text": "我的投诉怎么样了", "metadata": {"customer_ref": "someone-else", "page": "/p/1"}})
    assert response.status_code == 200 and response.json()["mode"] == "bot"
    metadata = _metadata_seen_by_rasa(rasa, "我的投诉怎么样了")
    assert "customer_ref" not in metadata and metadata["page"] == "/p/1"


def test_a_verified_token_becomes_customer_ref_and_is_not_stored(chat):
    live, rasa = chat
    token = sign_customer(SECRET, "vip-7")
    requests.post(f"{live.base}/api/chat/s-vip/messages", timeout=10, json={
        "text": "查一下进度", "metadata": {"customer_token": token, "customer_ref": "someone-else"}})
    metadata = _metadata_seen_by_rasa(rasa, "查一下进度")
    assert metadata == {"customer_ref": "vip-7",
                        CONVERSATION_SIGNATURE: sign_conversation(live.settings.identity_secret, "s-vip", "vip-7")}
    stored = live.store.list_messages("s-vip")[0]
    assert token not in str(stored["meta"]) and stored["meta"]["metadata"] == {"customer_ref": "vip-7"}


def test_every_message_to_rasa_is_signed_by_the_bot_service_and_a_browser_signature_is_replaced(chat):
    live, rasa = chat
    lifted = sign_conversation(live.settings.identity_secret, "s-victim")
    requests.post(f"{live.base}/api/chat/s-plain/messages", timeout=10, json={
        "text": "你好呀", "metadata": {CONVERSATION_SIGNATURE: lifted, "page": "/"}})
    metadata = _metadata_seen_by_rasa(rasa, "你好呀")
    assert metadata[CONVERSATION_SIGNATURE] == sign_conversation(live.settings.identity_secret, "s-plain")
    assert verify_conversation(live.settings.identity_secret, "s-plain", None, metadata[CONVERSATION_SIGNATURE])


def test_a_conversation_signature_holds_for_exactly_one_session_and_customer():
    signature = sign_conversation(SECRET, "s-1", "vip-7")
    assert verify_conversation(SECRET, "s-1", "vip-7", signature)
    for session, customer, sig, secret in [("s-2", "vip-7", signature, SECRET), ("s-1", "vip-8", signature, SECRET),
                                           ("s-1", None, signature, SECRET), ("s-1", "vip-7", signature, "other" * 8),
                                           ("s-1", "vip-7", signature.upper(), SECRET), ("s-1", "vip-7", None, SECRET),
                                           ("s-1", "vip-7", signature, ""), ("s-1", 7, signature, SECRET),
                                           ("s-1\nvip-7", None, signature, SECRET), ("s-1", "vip-7", "é" * 64, SECRET)]:
        assert not verify_conversation(secret, session, customer, sig), (session, customer)
    assert verify_conversation(SECRET, "s-1", None, sign_conversation(SECRET, "s-1"))
    assert verify_conversation(SECRET, "s-1", "", sign_conversation(SECRET, "s-1"))


def test_a_tampered_or_foreign_token_is_ignored(chat):
    live, rasa = chat
    forged = sign_customer("not-the-shop-secret-000000", "vip-7")
    requests.post(f"{live.base}/api/chat/s-forged/messages", timeout=10, json={
        "text": "我是VIP", "metadata": {"customer_token": forged}})
    assert "customer_ref" not in _metadata_seen_by_rasa(rasa, "我是VIP")


def test_the_verified_customer_is_on_a_degraded_mode_ticket(chat):
    live, rasa = chat
    rasa.mode = "down"
    response = requests.post(f"{live.base}/api/chat/s-vip-down/messages", timeout=10, json={
        "text": "衣服破了个洞", "metadata": {"customer_token": sign_customer(SECRET, "vip-8")}})
    assert response.json()["mode"] == "degraded"
    ticket = live.store.active_ticket_for_session("s-vip-down")
    assert ticket["customer_ref"] == "vip-8"
