"""bot/domain/dialogue.py: the words that may change or end a complaint's record, and questions."""
from __future__ import annotations

import pytest

from bot.domain.dialogue import (
    cancel_is_misread,
    confirms_withdrawal,
    declines_an_item,
    is_bare_no_need,
    is_cancel_registration,
    is_handoff_request,
    is_positive_feedback,
    issue_type_correction,
    question_kind,
    wish_change_allowed,
    withdraws_complaint,
)


@pytest.mark.parametrize("text, expected", [
    ("转人工", True), ("人工客服在吗", True), ("我要真人", True), ("找你们领导来", True),
    ("我个人什么原因", False), ("/request_human", False), ("有真人吗", True),
    ("你是真人还是程序啊", False), ("跟我说话的是机器人还是真人", False)])  # asking what the assistant is
def test_handoff_words_anywhere_but_not_ge_ren(text, expected):
    assert is_handoff_request(text) is expected


@pytest.mark.parametrize("text, explicit, misread", [
    ("不投诉了", True, False), ("算了不投诉了", True, False), ("需要订单号吗", False, True),
    ("我想取消订单", False, True), ("不投诉了可以吗？", False, True)])
def test_only_an_explicit_withdrawal_cancels(text, explicit, misread):
    assert is_cancel_registration(text) is explicit
    assert cancel_is_misread(text) is misread


@pytest.mark.parametrize("text, expected", [
    ("不对，问题是价格问题", "price_dispute"), ("其实是差价", "price_dispute"),
    ("问题不是包裹破损丢件，是错发漏发", "wrong_or_missing_item"), ("不是质量问题，是快递员态度", "courier_attitude"),
    ("降价了", None), ("新东西就只能维修?", None)])
def test_corrections_in_everyday_words(text, expected):
    assert issue_type_correction(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("什么时候给结果", "when"), ("今天能到吗", "when"), ("需要订单号吗", "order_needed"),
    ("我的投诉处理得怎么样了", "progress"), ("快递三天没动了", None), ("换个新的吧", None)])
def test_question_kinds(text, expected):
    assert question_kind(text) == expected


def test_a_question_never_changes_the_wish():
    assert not wish_change_allowed("新东西就只能维修?")
    assert wish_change_allowed("我要换货不要退款")


@pytest.mark.parametrize("text, intent, confidence, expected", [
    ("/request_human", "request_human", 1.0, True), ("转人工", "inform", 0.4, True),
    ("我要跟客服说话", "request_human", 0.93, True), ("好 等下我找找", "request_human", 0.31, False),
    ("你们客服呢", "request_human", 0.37, False), ("快递三天没动了", "complain_logistics_delay", 0.9, False)])
def test_only_the_words_the_button_or_a_sure_reading_ask_for_a_person(text, intent, confidence, expected):
    from bot.domain.dialogue import wants_a_person

    assert wants_a_person(text, intent, confidence) is expected


@pytest.mark.parametrize("text, bare", [
    ("不用了", True), ("算了", True), ("不要了", True), ("不需要了", True), ("算了吧", True), ("哦 不用了", True),
    ("不用了不用了", True), ("好吧，算了", True), ("不用了。", True),
    ("不用了 谢谢", False),  # closing words: the record is filed as it stands
    ("不用登记了", False), ("算了不投诉了", False),  # explicit: withdrawn at once
    ("我只要退款，东西不用了", False), ("照片不用了吧", False), ("不用了吗？", False), ("/cancel", False)])
def test_a_bare_no_need_is_only_the_word_itself(text, bare):
    assert is_bare_no_need(text) is bare
    if bare:  # never a withdrawal at once, however sure the classifier is
        assert not withdraws_complaint(text, "cancel", 0.99)


@pytest.mark.parametrize("text, yes", [
    ("不用了", True), ("是的", True), ("对，不用了", True), ("嗯", True), ("不用登记了", True),
    ("继续", False), ("不是", False), ("好的", False), ("要登记的", False), ("是不是要订单号？", False),
    ("订单号4512345678901234567", False)])
def test_what_answers_yes_to_is_the_registration_not_needed(text, yes):
    assert confirms_withdrawal(text) is yes


@pytest.mark.parametrize("text", ["照片不用了吧", "单号就不用了", "订单号不需要了"])
def test_declining_one_thing_asked_for_is_no_withdrawal(text):
    assert declines_an_item(text) and not is_bare_no_need(text)
    assert not withdraws_complaint(text, "cancel", 0.99)
    assert withdraws_complaint("订单号不用了，不投诉了", "cancel", 0.99)  # the explicit words still count


@pytest.mark.parametrize("text", [
    "东西到了 用了两天很好用", "物流神速 给力👍", "上回你们处理得很快 谢谢", "包装完好无损 谢谢亲", "收到了 没毛病",
    "东西不错", "五星好评", "谢谢", "小姐姐回复好耐心 点赞", "上回处理得特别快 谢谢", "刚才收到了 很好用",
    "咨询订单号:4512345678901234567 订单金额:¥29.00 下单时间:2026-11-03 很喜欢"])  # a card's fields are not words
def test_praise_alone_is_positive_feedback(text):
    assert is_positive_feedback(text)


@pytest.mark.parametrize("text", [
    "很快就坏了", "不错 就是有点小", "好看 但是有色差", "好用吗", "质量好不好", "退款很快 谢谢",
    "等了十天才到 谢谢", "真快啊 呵呵", "好评返现呢", "说好的赠品呢 好评都给了", "不满意", "差评",
    "没问题", "嗯", "", "/thank", "东西很好 可惜少了一个",
    "好快啊 都一个星期了", "真快 三天了还没动"])  # time gone by: sarcasm, not praise
def test_a_problem_a_question_a_turn_or_no_praise_is_not_positive_feedback(text):
    assert not is_positive_feedback(text)


@pytest.mark.parametrize("text, own", [
    ("我下错单了 颜色拍错了", True), ("地址填错了 能改吗", True), ("手滑多拍了一件 还没发货", True),
    ("颜色选错了 自己的锅", True), ("填错地址了 快递已经发了", True),
    ("我拍的红色 你们发成蓝色", False), ("发错颜色了", False), ("我又没拍错 你们寄来L", False),
    ("拍了两件 少发了一件", False), ("东西拍回来就坏了", False), ("地址写错了 快递给送到别人家了 丢了", False)])
def test_an_own_ordering_mistake_names_nothing_the_shop_did(text, own):
    from bot.domain.dialogue import is_own_mistake

    assert is_own_mistake(text) is own
