"""bot/domain/questions.py: which reply a question back deserves while a complaint is on record."""
from __future__ import annotations

import pytest

from bot.domain.questions import question_reply


@pytest.mark.parametrize("text, kind, subject", [
    ("？", "nudge", None), ("在不在", "nudge", None), ("人呢？？", "nudge", None),
    ("你们客服啥时候回我", "contact", None), ("多久能有人联系我", "contact", None),
    ("补寄的那个要多久", "timing", "补发"), ("钱啥时候能退回来", "timing", "退款到账"),
    ("今天能发出去吗", "timing", "发货"), ("这周六前能送到家吗", "timing", "到货"),
    ("礼拜五前换好来得及吗", "timing", "换货"), ("多久能给个说法", "timing", "处理结果"),
    ("凭什么让我自己出运费", "grievance", None), ("这不是欺负人吗", "grievance", None),
    ("拿旧货当新的卖合理吗", "grievance", None),
    ("能帮我催一下快递吗", "request", None), ("可以直接给我换一个吗", "request", None),
    ("这个插头怎么接", "other", None)])
def test_question_replies(text, kind, subject):
    assert question_reply(text) == (kind, subject)


def test_a_refund_is_not_taken_for_a_parcel():
    # "到账" contains 到: the refund is what was asked about.
    assert question_reply("退款什么时候到账") == ("timing", "退款到账")


@pytest.mark.parametrize("text, expected", [
    ("好 等下我找找", True), ("稍等", True), ("我去查查订单号", True), ("稍等 我翻翻订单", True),
    ("我问问我老公", True), ("一会儿发你", True), ("等下找到发你", True),
    ("好的", False), ("等了五天了", False), ("等下 4512345678901234567", False), ("找不到", False),
    ("看看你们怎么处理", False), ("你们看着办吧", False)])
def test_hold_on_is_a_pause_not_an_answer(text, expected):
    from bot.domain.questions import is_hold_on

    assert is_hold_on(text) is expected
