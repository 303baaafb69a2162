"""The wordless-message fallback: punctuation becomes nlu_fallback; words, digits, emoji and
button payloads keep the classifier's reading."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.integrations.nlu_components import WordlessFallback, is_wordless


def parsed(text: str, intent: str, confidence: float) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": confidence},
                                   {"name": "deny", "confidence": 0.05}], add_to_output=True)
    return message


@pytest.mark.parametrize("text", ["？？？", "。。。", "……", "~~~", "!!", " ？ ", "ฅ^•ﻌ•^ฅ", "(ง •̀_•́)ง"])
def test_messages_without_a_word_become_fallback(text):
    [message] = WordlessFallback().process([parsed(text, "complain_product_quality", 0.47)])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == "nlu_fallback"
    assert [r["name"] for r in ranking[1:]] == ["complain_product_quality", "deny"]  # kept for diagnostics


@pytest.mark.parametrize("text", ["坏了？", "12345", "ok", "/affirm", "好的👍", "👍👍", "ok啦", "１２３"])
def test_words_digits_and_button_payloads_keep_their_reading(text):
    [message] = WordlessFallback().process([parsed(text, "affirm", 0.9)])
    assert message.get("intent") == {"name": "affirm", "confidence": 0.9}


def test_is_wordless_ignores_empty_text():
    assert not is_wordless("") and not is_wordless("   ") and not is_wordless(None)


@pytest.mark.parametrize("text, expected", [("不用了 谢谢", "thank"), ("没了，就这样", "goodbye"),
                                            ("不用了", "cancel"), ("不投诉了", "cancel"),
                                            ("不用了 商家刚刚已经给我退了", "cancel")])
def test_closing_words_read_as_cancel_end_the_chat_instead(text, expected):
    from bot.integrations.nlu_components import ExplicitCommands

    [message] = ExplicitCommands().process([parsed(text, "cancel", 0.88)])
    assert message.get("intent")["name"] == expected
