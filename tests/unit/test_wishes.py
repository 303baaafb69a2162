"""Wishes (诉求) stated the ways customers state them (issue 12): the everyday words map to the
canonical expectation, a refused wish never counts, and a message with no wish has none."""
import pytest

from bot.domain.taxonomy import normalise_expectation


@pytest.mark.parametrize("text, wish", [
    ("刚买就降价了，能不能补差价", "refund"),
    ("申请价保被拒了，把差价退给我", "refund"),
    ("钱还给我就行", "refund"),
    ("帮我申请退回余额", "refund"),
    ("重新发一个好的给我", "resend"),
    ("少了一个，补一个给我", "resend"),
    ("你们必须给个说法", "explanation"),
    ("要个合理的解释", "explanation"),
    ("这种情况你们得赔偿吧", "compensation"),
    ("鞋码不对，给我换一双", "exchange"),
    ("质量这么差，退掉算了", "return_refund"),
    ("明天务必送到，孩子等着用", "expedite"),
    ("屏幕又黑了，再返修一次", "repair"),
    ("码数小了，换个大一号的吧", "exchange"),        # said without the usual words
    ("少了一件，给我重新寄一个", "resend"),
    ("开机就黑屏，能修吗", "repair"),
    ("等了一周了，快点给我处理", "expedite"),
    ("麻烦你们给我查一下物流", "other"),
    ("最迟周六得送到 不然白买了", "expedite"),              # a delivery deadline is the wish
    ("15号前必须到货 婚礼要用", "expedite"),
])
def test_everyday_words_name_the_wish(text, wish):
    assert normalise_expectation(text) == wish


@pytest.mark.parametrize("text, wish", [
    ("不要退款了，给我换一双", "exchange"),   # the refused wish never counts
    ("不是要赔偿，我要换货", "exchange"),
    ("不退货，补发就行", "resend"),
])
def test_a_refused_wish_gives_way_to_the_one_asked_for(text, wish):
    assert normalise_expectation(text) == wish


@pytest.mark.parametrize("text", ["东西坏了", "快递三天没动了", "客服态度太差", "收到的颜色不对"])
def test_no_wish_stated_means_none(text):
    assert normalise_expectation(text) is None


@pytest.mark.parametrize("text", ["明天到了", "明天就到了吧", "周五到的货"])
def test_a_delivery_date_said_as_news_is_no_wish(text):
    assert normalise_expectation(text) is None

