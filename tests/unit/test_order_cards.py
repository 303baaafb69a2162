"""What the customer calls an order number (issue 11 item 2): the platform's pasted order card and
6+ digits right after 订单/订单号/单号, while ID numbers, tracking numbers and amounts stay out; and
`strip_order_card`, so a card's amount, date or product name never reads as a complaint."""
import pytest

from bot.domain.orders import (
    find_order_number,
    find_order_numbers,
    has_order_card,
    is_order_number_only,
    strip_order_card,
)
from bot.domain.triage import triage

ID_NUMBER = "11010519491231002X"  # a valid resident ID (check digit X)


@pytest.mark.parametrize("text, number", [
    ("咨询订单号:123456789 订单金额:99.00 下单时间:2024-01-05 10:00:00", "123456789"),
    ("咨询订单号：88812345 订单金额：¥199.00 下单时间：2026-11-01 12:00", "88812345"),  # full-width colons
    ("[咨询订单号:88812345][订单金额:199.00元][下单时间:2026-11-01 12:00:00] 扣了两次钱", "88812345"),
    ("【订单卡片】订单号：4512345678901234567 商品名称：儿童保温杯 实付款：￥59.90", "4512345678901234567"),
    ("订单编号 : 7788990011 订单状态: 已签收", "7788990011"),
    ("订单号：12345678 还没发货", "12345678"),
    ("我的订单号是：7788990011", "7788990011"),
    ("单号 ( 87654321 )", "87654321"),
    ("【订单号】６６６６６６", "666666"),  # full-width digits
    ("订单123456一直没到", "123456"),  # 6 digits is enough after 订单
])
def test_the_customers_order_number(text, number):
    assert find_order_numbers(text) == [number]
    assert find_order_number(text) == number


@pytest.mark.parametrize("text", [
    "订单号12345",  # fewer than 6 digits
    "订单 199999 元",  # an amount
    "订单 123456 件",
    "快递单号773012345",  # a tracking number, not the order's
    "运单号 SF1234567",
    "退货单号 98765432",
    f"订单号{ID_NUMBER}",  # an ID number never counts
    "订单金额不对，多扣了钱",
    "咨询订单号：[订单x] 订单金额：[金额x] 下单时间：[日期x] [时间x]",  # the corpus's placeholders
])
def test_not_an_order_number(text):
    assert find_order_numbers(text) == []


def test_a_card_leaves_only_the_customers_words():
    assert strip_order_card("咨询订单号:123456789 订单金额:99.00 下单时间:2024-01-05 10:00:00 东西坏了") == "东西坏了"
    card = "咨询订单号：[订单x] 订单金额：[金额x] 下单时间：[日期x] [时间x]\n我的快递怎么还没到"
    assert strip_order_card(card) == "我的快递怎么还没到"
    assert strip_order_card("[咨询订单号:88812345][订单金额:199.00元][下单时间:2026-11-01 12:00:00] 扣了两次钱") == \
        "扣了两次钱"  # the customer's own payment complaint stays
    assert strip_order_card("【订单卡片】订单号：4512345678901234567 商品名称：假一赔十运动鞋 实付款：￥59.90") == ""


@pytest.mark.parametrize("text", ["订单号：12345678 还没发货", "订单金额不对，多扣了钱", "快递五天没到", ""])
def test_text_without_a_card_comes_back_as_it_is(text):
    assert not has_order_card(text)
    assert strip_order_card(text) == text


def test_a_cards_fields_are_no_risk_and_no_deadline():
    card = "商品名称：12315号防爆杯 订单金额：99 下单时间：明天 10:00"
    assert triage(card).risk_flags  # read raw, the product name looks like a regulator
    assert triage(strip_order_card(card)).risk_flags == []


@pytest.mark.parametrize("text", [
    "4512345678901234567", "订单号：4512345678901234567", "亲 4512345678901234567 你查下", "单号是 10004216501",
    "就这单 241101-426070194126509", "在吗 订单号 4512345678901234567", "您好，订单号4512345678901234567，谢谢",
    "拼多多的 241101-426070194126509",
    "咨询订单号:96858149977 订单金额:¥36.80 下单时间:2026-11-21",
    "【订单卡片】订单号：90004216501 商品名称：加厚毛巾 订单金额：¥29.90"])
def test_an_order_number_or_card_alone(text):
    assert is_order_number_only(text)


@pytest.mark.parametrize("text", [
    "4512345678901234567 拉链坏了", "4512345678901234567 退款", "4512345678901234567 什么时候发",
    "4512345678901234567！别让我再说一遍", "订单号是4512345678901234567吗", "看下4512345678901234567到哪了",
    "咨询订单号:96858149977 订单金额:¥36.80 下单时间:2026-11-21 收到是坏的",
    "110101199003078515",  # an ID number is never an order number
    "13812345678", "订单 199999 元", "你好", ""])
def test_more_than_an_order_number_or_none(text):
    assert not is_order_number_only(text)
