"""Tests for scripts/eval_nlu.py: the metric functions, the annotation parser, the CLI."""
from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("eval_nlu", ROOT / "scripts" / "eval_nlu.py")
ev = importlib.util.module_from_spec(_spec)
sys.modules["eval_nlu"] = ev
_spec.loader.exec_module(ev)


# --- F1 and counts ----------------------------------------------------------------------------

def test_prf_by_hand():
    # P = 3/4, R = 3/5, F1 = 2*0.75*0.6/1.35 = 2/3
    s = ev.prf(3, 1, 2)
    assert s["precision"] == pytest.approx(0.75)
    assert s["recall"] == pytest.approx(0.6)
    assert s["f1"] == pytest.approx(2 / 3)
    assert (s["tp"], s["fp"], s["fn"]) == (3, 1, 2)


def test_prf_zero_denominators_give_zero():
    assert ev.prf(0, 0, 0)["f1"] == 0.0
    s = ev.prf(0, 2, 0)  # predicted only wrong ones, nothing to find
    assert (s["precision"], s["recall"], s["f1"]) == (0.0, 0.0, 0.0)
    assert ev.prf(4, 0, 0)["f1"] == pytest.approx(1.0)


def test_binary_counts():
    gold = [True, True, False, False, True]
    pred = [True, False, True, False, True]
    assert ev.binary_counts(gold, pred) == (2, 1, 1, 1)


def test_order_number_counts_exact_match_and_spurious():
    gold = [["12345678901"], [], ["3917465028371945610"], [], ["240918-637201948562013"]]
    pred = ["12345678901", "98765432101", None, None, "240918-63720194856201"]
    # tp: message 1; fp: message 2 (no gold) and 5 (truncated); fn: message 3 and 5
    assert ev.order_number_counts(gold, pred) == (1, 2, 2)


def test_order_number_counts_empty():
    assert ev.order_number_counts([[], []], [None, ""]) == (0, 0, 0)


def test_confusion_counts_only_observed_cells():
    pairs = [("a", "a"), ("a", "b"), ("a", "a"), (None, "a"), (None, None), ("c", None)]
    assert ev.confusion_counts(pairs) == {
        "a": {"a": 2, "b": 1},
        "(none)": {"a": 1, "(none)": 1},
        "c": {"(none)": 1},
    }


def test_confusion_columns_in_taxonomy_order():
    table = {"price_dispute": {"product_quality": 1}, "product_quality": {"product_quality": 3}}
    rows, cols = ev.confusion_columns(table)
    assert rows == ["product_quality", "price_dispute"]
    # gold labels are columns too, so the diagonal is always visible
    assert cols == ["product_quality", "price_dispute"]


def test_accuracy():
    assert ev.accuracy([("a", "a"), ("b", "c"), (None, None), ("d", "d")]) == (3, 4, 0.75)
    assert ev.accuracy([]) == (0, 0, 0.0)


# --- parsing annotated examples ---------------------------------------------------------------

def test_parse_annotated_order_number_and_expectation():
    line = ('订单号：[3917465028371945610](order_number)，要求'
            '[退货退款]{"entity": "expectation", "value": "return_refund"}')
    text, ents = ev.parse_annotated(line)
    assert text == "订单号：3917465028371945610，要求退货退款"
    assert ents == [
        {"entity": "order_number", "value": "3917465028371945610", "start": 4, "end": 23,
         "text": "3917465028371945610"},
        {"entity": "expectation", "value": "return_refund", "start": 26, "end": 30,
         "text": "退货退款"},
    ]
    for e in ents:
        assert text[e["start"]:e["end"]] == e["text"]


def test_parse_annotated_glued_to_chinese():
    text, ents = ev.parse_annotated("淘宝订单[4827361950283746102](order_number)买的电池鼓包了")
    assert text == "淘宝订单4827361950283746102买的电池鼓包了"
    assert (ents[0]["start"], ents[0]["end"]) == (4, 23)


def test_parse_annotated_short_value_form_and_plain():
    text, ents = ev.parse_annotated("[退钱](expectation:refund) 快点")
    assert text == "退钱 快点"
    assert ents[0]["entity"] == "expectation" and ents[0]["value"] == "refund"
    assert ev.parse_annotated("还没到 [什么]情况") == ("还没到 [什么]情况", [])
    assert ev.parse_annotated("质量问题") == ("质量问题", [])


def test_parse_annotated_list_form():
    text, ents = ev.parse_annotated('我要[退款][{"entity": "expectation", "value": "refund"}, {"entity": "x"}]')
    assert text == "我要退款"
    assert [(e["entity"], e["value"], e["start"]) for e in ents] == [
        ("expectation", "refund", 2), ("x", "退款", 2)]


def test_parse_examples_block():
    block = "- 你好\n-   在吗  \n\n- [退款]{\"entity\": \"expectation\"}\n"
    assert ev.parse_examples_block(block) == ["你好", "在吗", '[退款]{"entity": "expectation"}']


def test_issue_type_for_intent():
    assert ev.issue_type_for_intent("complain_other") == "other_complaint"
    assert ev.issue_type_for_intent("complain_logistics_delay") == "logistics_delay"
    assert ev.issue_type_for_intent("greet") is None
    assert ev.issue_type_for_intent(None) is None


def test_mapping_agrees_with_bot_taxonomy():
    taxonomy = pytest.importorskip("bot.domain.taxonomy")
    for intent, issue in ev.INTENT_TO_ISSUE.items():
        assert taxonomy.issue_type_for_intent(intent) == issue
    assert set(ev.EXPECTATIONS) == set(taxonomy.EXPECTATIONS)


# --- evaluate() on a tiny hand-made set ------------------------------------------------------

TINY = textwrap.dedent("""\
    version: "3.1"
    nlu:
    - intent: complain_product_quality
      examples: |
        - 耳机坏了 [12345678901](order_number)
        - 杯子裂了 [退款]{"entity": "expectation", "value": "refund"}
    - intent: complain_logistics_delay
      examples: |
        - 还没发货
    - intent: greet
      examples: |
        - 你好
    - synonym: refund
      examples: |
        - 退钱
    """)

TINY_PREDICTIONS = [
    {"intent": "complain_product_quality", "is_complaint": True, "issue_type": "product_quality",
     "expectation": None, "order_number": "12345678901"},
    {"intent": "complain_after_sales_refund", "is_complaint": True, "issue_type": "after_sales_refund",
     "expectation": "refund", "order_number": None},
    {"intent": "greet", "is_complaint": False, "issue_type": None, "expectation": None,
     "order_number": "99999999999"},
    {"intent": "greet", "is_complaint": False, "issue_type": None, "expectation": None,
     "order_number": None},
]


@pytest.fixture
def tiny_path(tmp_path):
    p = tmp_path / "tiny.yml"
    p.write_text(TINY, encoding="utf-8")
    return p


def test_load_testset(tiny_path):
    examples = ev.load_testset(tiny_path)
    assert [e.text for e in examples] == ["耳机坏了 12345678901", "杯子裂了 退款", "还没发货", "你好"]
    assert [e.issue_type for e in examples] == ["product_quality", "product_quality", "logistics_delay", None]
    assert examples[0].order_numbers == ["12345678901"] and examples[0].expectation is None
    assert examples[1].expectation == "refund"
    assert [e.is_complaint for e in examples] == [True, True, True, False]


def test_evaluate_by_hand(tiny_path):
    m = ev.evaluate(ev.load_testset(tiny_path), TINY_PREDICTIONS)
    assert m["intent_accuracy"] == pytest.approx(0.5)  # messages 1 and 4
    assert (m["issue_type_correct"], m["issue_type_total"]) == (1, 3)
    c = m["complaint"]
    assert (c["tp"], c["fp"], c["fn"], c["tn"]) == (2, 0, 1, 1)
    assert c["f1"] == pytest.approx(0.8)  # P 1, R 2/3
    assert m["expectation"] == {"accuracy": 1.0, "correct": 1, "total": 1, "predicted_without_gold": 0}
    o = m["order_number"]
    assert (o["tp"], o["fp"], o["fn"]) == (1, 1, 0)
    assert o["f1"] == pytest.approx(2 / 3)
    assert m["confusion"] == {
        "product_quality": {"product_quality": 1, "after_sales_refund": 1},
        "logistics_delay": {"(none)": 1},
        "(none)": {"(none)": 1},
    }
    greet = m["per_intent"]["greet"]
    assert (greet["support"], greet["precision"], greet["recall"]) == (1, 0.5, 1.0)
    assert [e["text"] for e in m["errors"]] == ["杯子裂了 退款", "还没发货"]
    assert m["errors"][1]["kinds"] == ["intent", "issue_type", "is_complaint", "order_number"]


def test_evaluate_derives_is_complaint_from_intent_when_missing(tiny_path):
    preds = [{"intent": "complain_other"}, {"intent": "greet"}, {"intent": "complain_other"}, {}]
    m = ev.evaluate(ev.load_testset(tiny_path), preds)
    assert (m["complaint"]["tp"], m["complaint"]["fn"]) == (2, 1)


# --- command line ------------------------------------------------------------------------------

def test_main_with_stand_in_parser(tiny_path, tmp_path, monkeypatch, capsys):
    mod = tmp_path / "tiny_parser.py"
    mod.write_text(
        "PREDS = " + repr(TINY_PREDICTIONS) + "\n"
        "def parse_texts(texts):\n"
        "    return [dict(p, text=t) for p, t in zip(PREDS, texts)]\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out_json, out_md = tmp_path / "m.json", tmp_path / "r.md"
    rc = ev.main(["--testset", str(tiny_path), "--parser", "tiny_parser:parse_texts",
                  "--json", str(out_json), "--markdown", str(out_md)])
    assert rc == 0
    assert "intent accuracy: 50.0%" in capsys.readouterr().out
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert data["parser"] == "tiny_parser:parse_texts"
    assert data["complaint"]["f1"] == pytest.approx(0.8)
    md = out_md.read_text(encoding="utf-8")
    assert md.startswith("# NLU evaluation") and "| product_quality | 1 |" in md


def test_main_unreadable_testset(tmp_path):
    assert ev.main(["--testset", str(tmp_path / "missing.yml"), "--parser", "json:loads"]) == 2


def test_main_parser_that_cannot_load(tiny_path):
    assert ev.main(["--testset", str(tiny_path), "--parser", "no_such_module_xyz:parse_texts"]) == 3


# --- the real test set stays valid --------------------------------------------------------------

def test_real_testset_is_well_formed():
    examples = ev.load_testset(ev.DEFAULT_TESTSET)
    assert len(examples) >= 330
    assert ev.check_testset(examples) == []
    per_intent: dict[str, int] = {}
    for e in examples:
        per_intent[e.intent] = per_intent.get(e.intent, 0) + 1
    for intent in ev.INTENT_TO_ISSUE:
        assert per_intent.get(intent, 0) >= 12, intent
    assert sum(not e.is_complaint for e in examples) >= 90


def test_keep_out_rate_and_confidence_table(tiny_path):
    preds = [dict(p) for p in TINY_PREDICTIONS]
    preds[0]["issue_type_confidence"] = 0.9   # product_quality, right
    preds[1]["issue_type_confidence"] = 0.45  # after_sales_refund, wrong
    m = ev.evaluate(ev.load_testset(tiny_path), preds)
    assert m["non_complaints_kept_out"] == 1.0  # the one greeting stayed out
    by_threshold = {t["threshold"]: t for t in m["issue_type_confidence"]}
    assert (by_threshold[0.4]["confident"], by_threshold[0.4]["of"], by_threshold[0.4]["accuracy"]) == (2, 3, 0.5)
    assert (by_threshold[0.5]["confident"], by_threshold[0.5]["accuracy"]) == (1, 1.0)
    assert by_threshold[0.8]["share"] == pytest.approx(1 / 3)


def test_several_sets_in_one_report_and_the_hand_written_part_is_kept(tiny_path, tmp_path, monkeypatch):
    mod = tmp_path / "tiny_parser2.py"
    mod.write_text("PREDS = " + repr(TINY_PREDICTIONS) + "\n"
                   "def parse_texts(texts):\n    return [dict(p, text=t) for p, t in zip(PREDS, texts)]\n",
                   encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    second = tmp_path / "second.yml"
    second.write_text(tiny_path.read_text(encoding="utf-8"), encoding="utf-8")
    out_md, out_json = tmp_path / "r.md", tmp_path / "m.json"
    out_md.write_text("old generated part\n" + ev.KEPT_MARKER + "\n## Comparison\nwritten by hand\n", encoding="utf-8")
    assert ev.main(["--testset", str(tiny_path), "--testset", str(second), "--parser", "tiny_parser2:parse_texts",
                    "--markdown", str(out_md), "--json", str(out_json)]) == 0
    md = out_md.read_text(encoding="utf-8")
    assert "old generated part" not in md and md.rstrip().endswith("written by hand")
    assert md.count("# Test set `") == 2 and "| non-complaints kept out | 100.0% | 100.0% |" in md
    assert set(json.loads(out_json.read_text(encoding="utf-8"))["sets"]) == {str(tiny_path), str(second)}
