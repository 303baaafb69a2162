"""Satisfaction ratings in the customer's words (bot.domain.rating): strict in the chat after a
resolved ticket, lenient once the NLU has recognised a rating; one vocabulary for both."""
import pytest

from bot.domain.rating import SCORES, parse_rating, rating_from, rating_payload


@pytest.mark.parametrize("text, expected", [
    ("5", (5, None)), ("4分", (4, None)), ("５分！", (5, None)), ("3分，一般般", (3, "一般般")),
    ('/rate{"rating": 1}', (1, None)), ("非常满意", (5, None)), ("不满意，太慢了", (2, "不满意，太慢了")),
    ("3天了还没发货", (None, None)), ("4512345678901234567", (None, None)), ("我要投诉", (None, None)),
    ("6分", (None, None)),
    ("很不满意", (1, None)), ("不是很好", (None, None)),
    *[(rating_payload(score), (score, None)) for score in SCORES],  # every button the service offers
])
def test_what_counts_as_a_rating(text, expected):
    assert parse_rating(text) == expected


@pytest.mark.parametrize("text, entity_value, score", [
    ("", 4, 4), ("", 4.0, 4), ("", 9, None), ("还行", None, 3), ("很满意 5分", None, 5), ("嗯", None, None),
    ("给5分吧", None, 5), ("很不满意", None, 1), ("服务很好", None, 5),
    ("不是很好", None, None), ("不太满意", None, None),  # a negated rating word is no score: ask again
])
def test_rating_from(text, entity_value, score):
    assert rating_from(text, entity_value) == score


@pytest.mark.parametrize("text, expected", [
    ("点错了", (True, None)), ("刚才点错了，应该是5分", (True, 5)), ("改成5分", (True, 5)), ("应该是五分", (True, 5)),
    ("手滑了，改成非常满意", (True, 5)), ("点错了 应该给5星", (True, 5)),
    ("5分", (False, None)), ("应该是我的快递没到", (False, None)), ("我订单123456的快递", (False, None)),
])
def test_what_counts_as_correcting_a_rating(text, expected):
    from bot.domain.rating import parse_correction

    assert parse_correction(text) == expected
