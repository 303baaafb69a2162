"""The pure parts of the benchmarks (bench/): percentiles, reading the bot's replies, how a simulated
customer answers, success judgement and the report. No stack, no model, fast."""
import re
from pathlib import Path

import pytest

from bench import phrases
from bench.common import percentile, summarise
from bench.keyword_bot import KeywordBot
from bench.report import evaluate_targets, render
from bench.simulator import (
    PERSONAS,
    BotTurn,
    Customer,
    Goal,
    classify_turn,
    judge,
    make_goal,
    order_number,
    parse_summary,
    report,
)
from bot.domain.orders import find_order_numbers, is_valid_order_number

ROOT = Path(__file__).resolve().parents[2]

ASK_ORDER = [{"text": "非常抱歉让您久等了！"},
             {"text": "请问是哪一笔订单呢？把订单号发我就行。",
              "buttons": [{"title": "不知道订单号", "payload": "/dont_know"}]}]
ASK_WISH = [{"text": "您希望我们怎么处理呢？直接说您的想法，或者选一个：", "buttons": [
    {"title": "退货退款", "payload": '/inform{"expectation": "return_refund"}'},
    {"title": "换货", "payload": '/inform{"expectation": "exchange"}'}]}]
ASK_ISSUE = [{"text": "方便说一下是哪方面的问题吗？", "buttons": [
    {"title": "商品质量问题", "payload": "/complain_product_quality"}]}]


def summary_reply(order="4512345678901234567", issue="质量问题", wish="退货退款"):
    return [{"text": f"好的，我跟您确认一下：\n· 订单号：{order}\n· 问题：{issue}（水壶坏了）\n· 您的诉求：{wish}\n"
                     "没问题的话，我就提交给客服同事处理。",
             "buttons": [{"title": "确认提交", "payload": "/affirm"}, {"title": "需要修改", "payload": "/deny"}]}]


def goal(**kw):
    base = {"issue_type": "product_quality", "expectation": "return_refund", "order_number": "4512345678901234567",
            "platform": "taobao"}
    base.update(kw)
    return Goal(**base)


# -- statistics -------------------------------------------------------------------------------

def test_percentiles_interpolate_like_numpy():
    values = list(range(1, 101))
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3, 1, 2], 0) == 1 and percentile([3, 1, 2], 100) == 3
    assert percentile([7], 95) == 7
    assert percentile([], 95) is None
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_summarise_empty_and_full():
    assert summarise([])["p95"] is None
    s = summarise([0.1, 0.2, 0.3])
    assert s["count"] == 3 and s["mean"] == pytest.approx(0.2) and s["max"] == 0.3


# -- reading the bot --------------------------------------------------------------------------

@pytest.mark.parametrize("replies, kind", [
    (ASK_ORDER, "ask_order"),
    (ASK_WISH, "ask_expectation"),
    (ASK_ISSUE, "ask_issue"),
    (summary_reply(), "confirm"),
    ([{"text": "好的，哪里需要修改？直接告诉我正确的内容就行"}], "ask_correction"),
    ([{"text": "已经为您提交好了，工单号 TK-20261123-0007。客服同事会在今天 10:15 前联系您"}], "ticket"),
    ([{"text": "好的，马上为您转人工客服（工单号 TK-20261123-0008）。"}], "handoff"),
    ([{"text": "抱歉我没太理解您希望怎么处理，可以点选下面的选项"}], "ask_expectation"),
    ([{"text": "抱歉，我没太看明白😥 能换个说法再说一次吗？"}], "fallback"),
    ([{"text": "好的，这次的登记先取消了。"}], "cancelled"),
])
def test_classify_turn(replies, kind):
    assert classify_turn(replies).kind == kind


def test_a_degraded_reply_is_not_a_hand_off_and_ends_once_everything_is_said():
    degraded = [{"text": "非常抱歉，系统暂时有点忙，您的留言已经完整记录下来了🙏 工单号 TK-20261123-0003，"
                         "客服会在今天 10:15 前联系您。您可以继续补充遇到的问题、订单号和诉求，都会一并转给客服。"}]
    turn = classify_turn(degraded, mode="degraded")
    assert turn.kind == "degraded" and turn.ticket_id == "TK-20261123-0003"
    customer = Customer("terse", "product_quality", 1, goal=goal())
    customer.opening()
    assert "4512345678901234567" in customer.answer(turn)  # volunteers what is missing
    customer.answer(turn)
    assert customer.answer(turn) is None and customer.outcome == "degraded"


def test_ticket_number_is_read_and_the_last_question_wins():
    assert classify_turn([{"text": "已经为您提交好了，工单号 TK-20261123-0007。"}]).ticket_id == "TK-20261123-0007"
    # An order-number give-up note followed by the expectation question: the question counts.
    turn = classify_turn([{"text": "订单号暂时对不上也没关系，我先不填，客服会帮您核对。",
                           "buttons": [{"title": "转人工", "payload": "/request_human"}]}] + ASK_WISH)
    assert turn.kind == "ask_expectation"


def test_parse_summary():
    assert parse_summary(summary_reply()[0]["text"]) == {
        "order_number": "4512345678901234567", "issue_type": "product_quality", "expectation": "return_refund"}
    text = summary_reply(order="暂未提供（客服会帮您核对）", issue="物流延误", wish="催发货/加急")[0]["text"]
    assert parse_summary(text) == {"order_number": None, "issue_type": "logistics_delay", "expectation": "expedite"}


# -- the simulated customer -------------------------------------------------------------------

def test_order_numbers_have_real_formats_and_are_found_in_text():
    import random
    rng = random.Random(1)
    for platform, pattern in (("taobao", r"\d{18,19}"), ("jd", r"[23]\d{10,11}"), ("pdd", r"\d{6}-\d{15}")):
        for _ in range(20):
            number = order_number(platform, rng)
            assert re.fullmatch(pattern, number) and is_valid_order_number(number)
            assert find_order_numbers(f"订单号{number}，快点") == [number]


def test_goals_cover_every_persona_and_no_order_number_has_none():
    import random
    assert make_goal("no_order_number", "logistics_delay", random.Random(1)).order_number is None
    assert make_goal("terse", "logistics_delay", random.Random(1)).order_number


def test_answers_follow_the_question():
    customer = Customer("terse", "product_quality", 1, goal=goal())
    customer.button_rate = 0.0
    customer.opening()
    assert "4512345678901234567" in customer.answer(classify_turn(ASK_ORDER))
    wish = customer.answer(classify_turn(ASK_WISH))
    assert wish in phrases.WISHES["return_refund"]
    assert customer.answer(classify_turn(summary_reply())) in phrases.AFFIRM
    assert customer.answer(classify_turn([{"text": "已经为您提交好了，工单号 TK-20261123-0007。"}])) is None
    assert customer.outcome == "ticket" and customer.ticket_id == "TK-20261123-0007"


def test_buttons_are_pressed_sometimes():
    customer = Customer("terse", "product_quality", 1, goal=goal())
    customer.button_rate = 1.0
    customer.opening()
    assert customer.answer(classify_turn(ASK_WISH)) == '/inform{"expectation": "return_refund"}'
    assert customer.answer(classify_turn(ASK_ISSUE)) == "/complain_product_quality"
    assert customer.answer(classify_turn(summary_reply())) == "/affirm"


def test_customer_without_order_number_says_so():
    customer = Customer("no_order_number", "product_quality", 1, goal=goal(order_number=None))
    customer.button_rate = 0.0
    customer.opening()
    assert customer.answer(classify_turn(ASK_ORDER)) in phrases.DONT_KNOW
    customer.button_rate = 1.0
    assert customer.answer(classify_turn(ASK_ORDER)) == "/dont_know"


def test_a_wrong_summary_is_corrected_and_a_right_one_confirmed():
    customer = Customer("rambling", "product_quality", 1, goal=goal())
    customer.button_rate = 0.0
    customer.opening()
    fix = customer.answer(classify_turn(summary_reply(order="4512345678901234999")))
    assert "4512345678901234567" in fix
    fix = customer.answer(classify_turn(summary_reply(wish="换货")))
    assert any(w in fix for w in phrases.WISHES["return_refund"])
    assert customer.answer(classify_turn(summary_reply())) in phrases.AFFIRM


def test_a_correction_that_did_not_take_is_repeated_with_the_summary_labels():
    customer = Customer("terse", "product_quality", 1, goal=goal())
    customer.button_rate = 0.0
    customer.opening()
    wrong = classify_turn(summary_reply(issue="售后退款"))
    first = customer.answer(wrong)
    assert any(p in first for p in phrases.PROBLEMS["product_quality"])
    second = customer.answer(wrong)
    assert "质量问题" in second
    customer.answer(wrong)
    assert customer.answer(wrong) in phrases.AFFIRM  # after three tries the customer gives in


def test_pressing_the_deny_button_then_saying_what_is_wrong():
    customer = Customer("terse", "product_quality", 1, goal=goal())
    customer.opening()
    customer.button_rate = 1.0
    assert customer.answer(classify_turn(summary_reply(wish="换货"))) == "/deny"
    fix = customer.answer(classify_turn([{"text": "好的，哪里需要修改？直接告诉我正确的内容就行"}]))
    assert any(w in fix for w in phrases.WISHES["return_refund"])


def test_a_customer_who_corrects_themselves_fixes_the_slip():
    customer = Customer("corrects_themselves", "product_quality", 3, goal=goal())
    customer.mistake, customer.fix_when, customer.button_rate = "order_number", "summary", 0.0
    customer.opening()
    wrong = customer.answer(classify_turn(ASK_ORDER))
    assert "4512345678901234567" not in wrong and find_order_numbers(wrong)
    customer.answer(classify_turn(ASK_WISH))
    fix = customer.answer(classify_turn(summary_reply(order=find_order_numbers(wrong)[0])))
    assert "4512345678901234567" in fix


def test_asks_for_a_human_midway():
    customer = Customer("asks_for_human_midway", "logistics_delay", 1, goal=goal(issue_type="logistics_delay"))
    customer.human_at = 2
    customer.opening()
    assert customer.answer(classify_turn(ASK_ORDER)) in phrases.HUMAN
    assert customer.answer(classify_turn(ASK_ORDER)) in phrases.HUMAN  # ignored: asks again
    assert "4512345678901234567" in customer.answer(classify_turn(ASK_ORDER))  # then carries on
    assert customer.answer(BotTurn("handoff", "", ticket_id="TK-20261123-0009")) is None
    assert customer.outcome == "handoff"


def test_one_long_message_says_everything_at_once():
    customer = Customer("one_long_message", "payment_issue", 1, goal=goal(issue_type="payment_issue",
                                                                          expectation="refund"))
    text = customer.opening()
    assert "4512345678901234567" in text and any(w in text for w in phrases.WISHES["refund"])


def test_every_persona_can_open_for_every_issue_type():
    for persona in PERSONAS:
        for issue in phrases.PROBLEMS:
            assert Customer(persona, issue, 0).opening().strip()


# -- success ----------------------------------------------------------------------------------

def test_judge():
    g = goal()
    right = {"order_number": "4512345678901234567", "issue_type": "product_quality", "expectation": "return_refund"}
    assert judge("terse", g, {}, [right]) == (True, [])
    assert judge("terse", g, {}, []) == (False, ["no ticket"])
    ok, reasons = judge("terse", g, {}, [{**right, "expectation": "exchange"}])
    assert not ok and reasons == ["expectation: got 'exchange', want 'return_refund'"]
    assert judge("no_order_number", goal(order_number=None), {}, [{**right, "order_number": None}])[0]
    assert not judge("no_order_number", goal(order_number=None), {}, [right])[0]
    # Asked for a human after saying only the problem: only the problem must be right.
    partial = {"order_number": None, "issue_type": "product_quality", "expectation": "other"}
    assert judge("asks_for_human_midway", g, {"issue_type": "product_quality"}, [partial])[0]
    assert not judge("asks_for_human_midway", g, {"issue_type": "x", "order_number": "1"}, [partial])[0]
    assert judge("asks_for_human_midway", g, {"issue_type": "x"}, [partial], outcome="handoff")[0]
    ok, reasons = judge("asks_for_human_midway", g, {"issue_type": "x"}, [partial], outcome="ticket")
    assert not ok and "not handed off" in reasons[0]


def keyword_bot_report():
    import asyncio

    from bench.simulator import simulate
    conversations = asyncio.run(simulate(KeywordBot(), per_cell=1, concurrency=1, progress=False))
    assert len(conversations) == len(PERSONAS) * 13
    return report(conversations)


def test_simulator_report_and_keyword_bot_end_to_end_in_process():
    result = keyword_bot_report()
    assert result["conversations"] == len(PERSONAS) * 13
    assert set(result["per_persona"]) == set(PERSONAS) and len(result["per_issue_type"]) == 13
    assert 0 <= result["success_rate"] <= 1 and len(result["failures"]) <= 10


def test_targets_and_report_render_from_partial_results():
    ours = {**keyword_bot_report(), "success_rate": 0.9, "success": 9, "conversations": 10}
    results = {"load": {"levels": [{"concurrency": 10, "first_reply_s": {"p95": 0.25},
                                    "answered_per_second_in_window": 31.0,
                                    "memory": {"total": {"peak_mb": 2000.0}, "per_process": {}}}]},
               "simulator": {"ours": ours}}
    targets = evaluate_targets(results)
    assert targets["first_reply_p95_ms_at_10"]["met"] is True
    assert targets["messages_per_second"]["met"] is True
    assert targets["simulator_success"]["met"] is False
    assert targets["stack_memory_mb"]["met"] is True
    page = render(results)
    assert "simulator success rate | ≥ 95 % | 90.0 % (9/10) | **missed**" in page
    assert "# Benchmarks" in render({})


def test_the_paced_and_the_stress_latency_are_judged_separately():
    stress = {"concurrency": 10, "first_reply_s": {"p95": 0.42}, "answered_per_second_in_window": 45.0}
    paced = {"concurrency": 10, "pause_s": [3, 8], "first_reply_s": {"p50": 0.05, "p95": 0.09, "p99": 0.12},
             "message_latency_s": {"p50": 0.04, "p95": 0.08, "p99": 0.1}, "messages": 90, "conversations": 20,
             "messages_per_second": 1.5, "errors": 0, "degraded": 0}
    targets = evaluate_targets({"load": {"levels": [stress], "paced": [paced]}})
    assert targets["first_reply_p95_ms_at_10_paced"]["met"] is True
    assert targets["first_reply_p95_ms_at_10"]["met"] is False
    page = render({"load": {"levels": [stress], "paced": [paced]}})
    assert "typing like people (3–8 s between messages) | < 300 ms | 90 ms | **met**" in page
    assert "| 10 | 20 | 90 | 1.5 | 50 / 90 / 120 |" in page
    assert "no pauses at all" in page and "| 420 ms | **missed**" in page


def test_simulator_sentences_are_not_copied_from_training_or_test_data():
    corpus = ""
    for path in list((ROOT / "data" / "nlu").glob("*.yml")) + [ROOT / "tests" / "nlu" / "testset.yml"]:
        if path.exists():
            corpus += re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", path.read_text(encoding="utf-8"))
    sentences = [s for group in (phrases.PROBLEMS, phrases.TERSE, phrases.WISHES) for items in group.values()
                 for s in items]
    copied = [s for s in sentences if len(s) >= 5 and s in corpus]
    assert not copied, copied
