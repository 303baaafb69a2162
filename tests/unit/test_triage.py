"""Triage of customer messages: urgent risks, high-priority signals, and the words that must not trip them."""
from __future__ import annotations

import pytest

from bot.domain.triage import PRIORITY_ORDER, max_priority, triage


@pytest.mark.parametrize("text, flag", [
    ("再不处理我就打12315", "regulator"),
    ("我要去消协投诉你们店", "regulator"),
    ("已经向市场监管局反映了", "regulator"),
    ("去工商局告你们", "regulator"),
    ("我申请平台介入了", "platform_dispute"),
    ("叫小二介入吧", "platform_dispute"),
    ("我已经找了律师", "legal"),
    ("准备起诉你们", "legal"),
    ("法院见", "legal"),
    ("我要在网上曝光你们", "media_exposure"),
    ("我认识媒体的朋友", "media_exposure"),
    ("我会联系记者", "media_exposure"),
    ("发微博让大家看看", "media_exposure"),
    ("你们卖的是假货", "counterfeit"),
    ("这是假冒产品", "counterfeit"),
    ("明显是仿品", "counterfeit"),
    ("不是假货吧？", "counterfeit"),  # a doubt about counterfeits is still a counterfeit case
    ("热水壶把孩子烫伤了", "safety"),
    ("用了面霜脸过敏了", "safety"),
    ("充电器漏电", "safety"),
    ("手碰到就触电了", "safety"),
    ("充电的时候起火了", "safety"),
    ("电池爆炸", "safety"),
    ("手被划得流血", "safety"),
    ("吃了以后食物中毒", "safety"),
    ("已经送医了", "safety"),
    ("现在在医院", "safety"),
])
def test_urgent_mentions(text, flag):
    result = triage(text)
    assert result.priority == "urgent"
    assert flag in result.risk_flags


def test_urgent_reason_names_the_word():
    result = triage("再不处理我就打12315")
    assert result.risk_flags == ["regulator"]
    assert result.reasons == ["提到监管部门：12315"]


def test_full_width_digits_count():
    assert triage("打１２３１５").risk_flags == ["regulator"]


@pytest.mark.parametrize("text", [
    "没有过敏，就是颜色不对",
    "孩子没受伤，但是杯子裂了",
    "还好没烫伤",
    "这个面霜不过敏",
])
def test_negated_harm_is_not_safety(text):
    result = triage(text)
    assert "safety" not in result.risk_flags
    assert result.priority == "normal"


def test_negation_only_covers_the_word_it_precedes():
    assert triage("没有过敏，但是手烫伤了").risk_flags == ["safety"]
    assert triage("不会过敏吧").risk_flags == ["safety"]  # documented: only 没有/没/不 right before


@pytest.mark.parametrize("text", [
    "工商银行卡被扣了两次款",  # a bank, not the regulator
    "多媒体音箱没声音",  # a product, not the media
    "相机拍照曝光不足",  # a camera setting
    "买的垃圾袋破了",  # a product
    "烟雾报警器不响",  # a product
    "订单尾号8123159的快递",  # 12315 inside a longer number
])
def test_everyday_words_are_not_risks(text):
    assert triage(text).priority == "normal", text


@pytest.mark.parametrize("text, flag", [
    ("什么破东西！！！", "anger"),
    ("到底怎么回事！！！", "anger"),  # full-width exclamation marks
    ("你们就是骗子", "anger"),
    ("垃圾商家", "anger"),
    ("太坑人了", "anger"),
    ("真恶心", "anger"),
    ("这是什么玩意", "anger"),
    ("I WANT MY MONEY BACK", "anger"),
    ("气死了😡", "anger"),
    ("🤬", "anger"),
    ("💢", "anger"),
    ("不处理就给差评", "bad_review_threat"),
    ("给你们打一星", "bad_review_threat"),
    ("我要投诉你们", "bad_review_threat"),
    ("怎么又没发货", "repeat_contact"),
    ("这是我第三次问了", "repeat_contact"),
    ("我都说了多少遍了", "repeat_contact"),
    ("退款还是没到账", "repeat_contact"),
])
def test_high_signals(text, flag):
    result = triage(text)
    assert result.priority == "high", text
    assert result.risk_flags == [flag]


@pytest.mark.parametrize("text", [
    "衣服有点色差，想换一个",
    "等了一星期了，快递在哪",  # 一星期 is a week, not a one-star review
    "这个箱子又大又重",  # descriptive 又…又…
    "HUAWEI P60 屏幕有划痕",  # brand names in capitals are not shouting
    "USB 接口松了",
    "这是我第二次买了",
    "谢谢！",
    "好的！！",
])
def test_normal_messages(text):
    result = triage(text)
    assert result.priority == "normal", text
    assert result.risk_flags == []
    assert result.reasons == []


def test_exclamation_count_in_reason():
    result = triage("快点！！！!")
    assert result.risk_flags == ["anger"]
    assert result.reasons == ["情绪激动：4 个感叹号"]


def test_repeat_contacts_count():
    assert triage("请帮我看看", repeat_contacts=1).priority == "normal"
    result = triage("请帮我看看", repeat_contacts=2)
    assert result.priority == "high"
    assert result.risk_flags == ["repeat_contact"]
    assert result.reasons == ["重复联系：此前已联系 2 次"]


def test_several_flags_come_in_a_fixed_order_and_urgent_wins():
    result = triage("又是假货！！！骗子，我要找记者曝光，再给差评")
    assert result.priority == "urgent"
    assert result.risk_flags == [
        "media_exposure", "counterfeit", "anger", "bad_review_threat", "repeat_contact"]
    assert result.reasons[0] == "威胁曝光：记者、曝光"


def test_empty_text():
    result = triage("")
    assert (result.priority, result.risk_flags, result.reasons) == ("normal", [], [])


def test_priority_order():
    assert PRIORITY_ORDER == {"urgent": 0, "high": 1, "normal": 2}
    assert sorted(["normal", "urgent", "high"], key=PRIORITY_ORDER.__getitem__) == ["urgent", "high", "normal"]
    assert max_priority("normal", "high") == "high"
    assert max_priority("high", "urgent", "normal") == "urgent"


def test_a_plain_delay_is_not_a_repeat_contact():
    assert triage("还没发货").priority == "normal"
