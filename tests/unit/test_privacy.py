"""Masking personal data while keeping the order numbers agents need."""
from __future__ import annotations

import pytest

from bot.domain.privacy import (
    is_bank_card,
    is_resident_id,
    mask_bank_cards,
    mask_emails,
    mask_id_numbers,
    mask_landlines,
    mask_personal_data,
    mask_phone,
    mask_phone_numbers,
    passes_luhn,
    shorten,
)


@pytest.mark.parametrize("text, expected", [
    ("我的电话13812345678", "我的电话138****5678"),
    ("电话 138 1234 5678 找我", "电话 138****5678 找我"),
    ("138-1234-5678", "138****5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("+86-139-0000-1111", "+86-139****1111"),
    ("008615912345678", "0086159****5678"),
    ("打19912345678或者17712345678", "打199****5678或者177****5678"),
])
def test_mobiles_are_masked(text, expected):
    assert mask_phone_numbers(text) == expected


@pytest.mark.parametrize("text", [
    "12812345678",  # 12x is not a mobile prefix
    "订单号2025112313812345678",  # 19-digit Taobao order: no stand-alone phone inside
    "1381234567",  # 10 digits
    "138123456789",  # 12 digits
    "订单号：13812345678",  # an 11-digit JD order number after order context
    "订单号是 13912345678",
    "单号13812345678",
    "快递单号 13812345678",
    "order no. 13812345678",
])
def test_order_numbers_are_not_phones(text):
    assert mask_phone_numbers(text) == text


def test_order_context_only_protects_the_number_right_after_it():
    text = "订单号：13812345678，电话13912345678"
    assert mask_phone_numbers(text) == "订单号：13812345678，电话139****5678"


@pytest.mark.parametrize("text, expected", [
    ("身份证110101199003071234", "身份证110101********1234"),
    ("身份证号 11010119900307123X", "身份证号 110101********123X"),
    ("44030620001231002x。", "440306********002x。"),
])
def test_id_numbers_are_masked(text, expected):
    assert mask_id_numbers(text) == expected


@pytest.mark.parametrize("text", [
    "202511231234567890",  # 18 digits; 'birth date' 1234-56-78 is impossible
    "110101199013071234",  # month 13
    "110101199002301234",  # February 30
    "010101199003071234",  # region cannot start with 0
    "1101011990030712345",  # 19 digits: an order number, not an ID
    "订单号110101199003071234",  # ID-shaped, but stated as an order number
    "110101189003071234",  # born in the 1800s
])
def test_numbers_that_are_not_ids_stay(text):
    assert mask_id_numbers(text) == text


@pytest.mark.parametrize("text, expected", [
    ("邮箱zhangsan@example.com", "邮箱z***@example.com"),
    ("mail: li.si+shop@mail.qq.com.", "mail: l***@mail.qq.com."),
    ("无邮箱 @someone", "无邮箱 @someone"),
])
def test_emails_are_masked(text, expected):
    assert mask_emails(text) == expected


def test_personal_data_all_together():
    text = ("订单号2025112313812345678，电话+86 138 1234 5678，身份证11010119900307123X，"
            "邮箱13912345678@163.com")
    assert mask_personal_data(text) == (
        "订单号2025112313812345678，电话+86 138****5678，身份证110101********123X，"
        "邮箱1***@163.com")


def test_personal_data_leaves_plain_text_alone():
    text = "衣服有色差，订单号 123456789012，想退货"
    assert mask_personal_data(text) == text
    assert mask_personal_data("") == ""


@pytest.mark.parametrize("phone, expected", [
    ("13812345678", "138****5678"),
    ("+86 138-1234-5678", "138****5678"),
    ("8613812345678", "138****5678"),
    ("010-12345678", "010****5678"),
    ("12345", "****"),
    ("", ""),
    (None, ""),
])
def test_mask_phone_field(phone, expected):
    assert mask_phone(phone) == expected


# -- issue 13, finding 4: what slipped past the masking ---------------------------------------------------

def test_the_reported_message_keeps_the_order_number_and_masks_the_id():
    text = "订单号 4512345678901234077，我身份证号 110101199003074514"
    assert mask_personal_data(text) == "订单号 4512345678901234077，我身份证号 110101********4514"


def test_an_id_with_a_right_check_digit_is_masked_even_after_order_context():
    assert mask_personal_data("订单号110101199003074514") == "订单号110101********4514"
    assert mask_personal_data("订单号110101199003071234") == "订单号110101199003071234"  # wrong check digit


@pytest.mark.parametrize("text, expected", [
    ("１３９１２３４５６７８", "139****5678"),
    ("电话：＋８６ １３８ １２３４ ５６７８", "电话：+86 138****5678"),
    ("身份证１１０１０１１９９００３０７４５１４", "身份证110101********4514"),
    ("座机０１０－１２３４５６７８", "座机010-****5678"),
])
def test_full_width_digits_are_masked_like_any_other(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("座机010-12345678", "座机010-****5678"),
    ("0755 1234 5678 白天打", "0755 **** 5678 白天打"),
    ("电话(021)87654321", "电话(021)****4321"),
    ("（0571）8765 4321", "（0571）**** 4321"),
    ("打01012345678找我", "打010****5678找我"),
    ("0512-6543210", "0512-***3210"),  # 7-digit local number
])
def test_landlines_are_masked(text, expected):
    assert mask_landlines(text) == expected
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize("text", [
    "订单号 075512345678", "快递单号：01012345678",  # stated as order / tracking numbers
    "4512345678901234567", "240612-123456789012345",  # inside or next to longer numbers
    "2025-11-23", "12345678",
])
def test_numbers_that_are_not_landlines_stay(text):
    assert mask_landlines(text) == text


@pytest.mark.parametrize("text, expected", [
    ("老身份证 110101900307123", "老身份证 110101******123"),
    ("320102751231456 是我的证件号", "320102******456 是我的证件号"),
])
def test_fifteen_digit_ids_are_masked(text, expected):
    assert mask_id_numbers(text) == expected


@pytest.mark.parametrize("text", [
    "110101901307123",  # month 13
    "订单号 110101900307123",
    "拼多多 240612-123456789012345",
    "1101019003071234",  # 16 digits
])
def test_fifteen_digit_numbers_that_are_not_ids_stay(text):
    assert mask_id_numbers(text) == text


@pytest.mark.parametrize("text, expected", [
    ("退到我的卡6222020200001234562里", "退到我的卡622202*********4562里"),
    ("卡号 6222 0202 0000 1234 562", "卡号 6222 02** **** ***4 562"),
    ("visa 4111111111111111", "visa 411111******1111"),
])
def test_bank_cards_are_masked(text, expected):
    assert mask_bank_cards(text) == expected


@pytest.mark.parametrize("text", [
    "订单号6222020200001234562",  # given as the order number: agents need it
    "6222020200001234563",  # fails Luhn
    "4512345678901234567",  # a 淘宝 order number
])
def test_numbers_that_are_not_cards_stay(text):
    assert mask_bank_cards(text) == text


def test_the_id_check_digit_and_luhn():
    assert is_resident_id("110101199003074514") and is_resident_id("11010519491231002X")
    assert not is_resident_id("110101199003074515") and not is_resident_id("110101199002304514")
    assert passes_luhn("4111111111111111") and not passes_luhn("4111111111111112")
    assert is_bank_card("6222020200001234562") and not is_bank_card("9222020200001234568")


@pytest.mark.parametrize("text, limit, expected", [
    ("客户说电话是 +86 138 1234 5678 请回电", 15, "客户说电话是…"),
    ("客户说电话是 138****5678 请回电", 12, "客户说电话是…"),
    ("身份证 110101********4514 已打码", 10, "身份证…"),
    ("订单4512345678901234567的拉链坏了", 10, "订单…"),
    ("衣服洗了一次就掉色严重", 6, "衣服洗了一次…"),
    ("短的", 10, "短的"),
    ("13812345678", 5, "…"),
])
def test_shorten_never_cuts_a_number_in_half(text, limit, expected):
    assert shorten(text, limit) == expected


def test_a_cut_summary_is_masked_whole():
    """The reported "+86 138 1234 5…": masking first, then the cut, leaves no digits of the phone."""
    text = "快递丢了，麻烦联系我 +86 138 1234 5678，" + "很着急" * 30
    for limit in range(10, 40):
        short = shorten(mask_personal_data(text), limit)
        assert "1234" not in short and ("138" not in short or "+86 138****5678" in short), short


@pytest.mark.parametrize("text, expected", [
    ("身份证 110101 19900307 4514", "身份证 110101 ******** 4514"),
    ("1101-0119-9003-0745-14", "1101-01**-****-**45-14"),
    ("订单 4490 0138 2746 5510 982", "订单 4490 0138 2746 5510 982")])  # not an ID: left as typed
def test_an_id_typed_in_groups_is_masked(text, expected):
    assert mask_personal_data(text) == expected
