"""Order numbers found in Chinese text without word boundaries, phones kept apart."""
import pytest

from bot.domain.orders import find_order_number, find_order_numbers, is_valid_order_number, normalise_order_number


@pytest.mark.parametrize("text, expected", [
    ("我订单4512345678901234567的羽绒服拉链坏了", "4512345678901234567"),  # 淘宝 19, glued to 汉字
    ("订单号：238765432109876543 还没发货", "238765432109876543"),  # 天猫 18
    ("京东单号31234567890怎么还没到", "31234567890"),  # 京东 11
    ("单号 301234567890", "301234567890"),  # 京东 12
    ("拼多多的 240612-123456789012345 少发了一件", "240612-123456789012345"),
    ("不对，订单号是4512345678901234567，不是4512345678901234000", "4512345678901234000"),
])
def test_order_numbers_are_found_in_running_text(text, expected):
    assert expected in find_order_numbers(text)


def test_a_correction_takes_the_last_number():
    assert find_order_number("之前说错了 4512345678901234567 应该是4512345678901234999") == "4512345678901234999"


@pytest.mark.parametrize("text", [
    "我的手机13812345678，快点联系我",  # a mobile number is not an order number
    "买了3件才100块",
    "订单号123456",  # too short for every platform
    "45123456789012345678901",  # 23 digits: part of nothing we know
])
def test_no_false_order_numbers(text):
    assert find_order_numbers(text) == []


def test_a_mobile_shaped_number_counts_after_order_context():
    assert find_order_numbers("京东订单号13812345678") == ["13812345678"]


def test_configured_patterns_replace_the_defaults():
    assert find_order_numbers("我的单号SO20261123", patterns=[r"SO\d{8}"]) == ["SO20261123"]
    assert find_order_numbers("4512345678901234567", patterns=[r"SO\d{8}"]) == []


def test_validation_and_normalisation():
    assert normalise_order_number(" 4512 3456 7890 1234 567 ") == "4512345678901234567"
    assert normalise_order_number("２４０６１２－123456789012345") == "240612-123456789012345"
    assert is_valid_order_number("240612-123456789012345")
    assert not is_valid_order_number("12345")
