"""Masking personal data while keeping the order numbers agents need."""
from __future__ import annotations

import pytest

from bot.domain.privacy import (
    mask_emails,
    mask_id_numbers,
    mask_personal_data,
    mask_phone,
    mask_phone_numbers,
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
