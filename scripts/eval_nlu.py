#!/usr/bin/env python3
"""Evaluate a message parser on the held-out NLU test set.

Usage (from the project root):

    .venv/bin/python scripts/eval_nlu.py                       # bot.integrations.parse:parse_texts
    .venv/bin/python scripts/eval_nlu.py --parser scripts.baseline_keywords:parse_texts
    .venv/bin/python scripts/eval_nlu.py --json out.json --markdown docs/nlu-eval.md

The parser is any function ``parse_texts(texts: list[str]) -> list[dict]`` whose dicts carry at
least ``intent, is_complaint, issue_type, expectation, order_number`` (the shape of
``bot.integrations.parse.parse_texts``). The script reports; it does not assert: the exit code is 0 whatever
the numbers are, 2 if the test set cannot be read and 3 if the parser cannot be loaded or run.

Only the standard library and PyYAML are used.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TESTSET = ROOT / "tests" / "nlu" / "testset.yml"
# The second held-out set, in the register of real shop chats (issue 12), written by someone who
# did not write the training data. Neither set is ever tuned on.
REAL_REGISTER_TESTSET = ROOT / "tests" / "nlu" / "real_register.yml"
DEFAULT_TESTSETS = (DEFAULT_TESTSET, REAL_REGISTER_TESTSET)
# Issue-type confidence thresholds reported: how often the model is that sure, and how often right then.
CONFIDENCE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
# Everything from this line on in the Markdown report is hand-written and kept when it is regenerated.
KEPT_MARKER = "<!-- hand-written below: kept by scripts/eval_nlu.py -->"
DEFAULT_PARSER = "bot.integrations.parse:parse_texts"

# From docs/CONTRACTS.md: complaint intent -> issue type, in taxonomy order.
INTENT_TO_ISSUE = {
    "complain_product_quality": "product_quality",
    "complain_not_as_described": "not_as_described",
    "complain_wrong_or_missing_item": "wrong_or_missing_item",
    "complain_out_of_stock": "out_of_stock",
    "complain_logistics_delay": "logistics_delay",
    "complain_package_damaged_or_lost": "package_damaged_or_lost",
    "complain_courier_attitude": "courier_attitude",
    "complain_service_attitude": "service_attitude",
    "complain_after_sales_refund": "after_sales_refund",
    "complain_payment_issue": "payment_issue",
    "complain_promotion_issue": "promotion_issue",
    "complain_price_dispute": "price_dispute",
    "complain_other": "other_complaint",
}
ISSUE_TYPES = list(INTENT_TO_ISSUE.values())
ISSUE_ABBR = {
    "product_quality": "PQ",
    "not_as_described": "NAD",
    "wrong_or_missing_item": "WMI",
    "out_of_stock": "OOS",
    "logistics_delay": "LD",
    "package_damaged_or_lost": "PDL",
    "courier_attitude": "CA",
    "service_attitude": "SA",
    "after_sales_refund": "ASR",
    "payment_issue": "PAY",
    "promotion_issue": "PRO",
    "price_dispute": "PRI",
    "other_complaint": "OTH",
}
NONE_LABEL = "(none)"
EXPECTATIONS = {
    "refund", "return_refund", "exchange", "resend", "compensation", "repair", "expedite",
    "explanation", "other",
}
ORDER_NUMBER_RE = re.compile(r"^(\d{18,19}|\d{11,12}|\d{6}-\d{15})$")

# The same annotation syntax Rasa accepts in YAML training data:
#   [text](entity)  [text](entity:value)  [text]{"entity": "e", "value": "v"}  [text][{...}, {...}]
ENTITY_RE = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\]"
    r"(\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}"
    r"|\[(?P<list_entity_dicts>.*?)\])"
)


# ---------------------------------------------------------------------------------------------
# Test set


@dataclass
class Example:
    text: str
    intent: str
    entities: list[dict] = field(default_factory=list)

    @property
    def is_complaint(self) -> bool:
        return is_complaint_intent(self.intent)

    @property
    def issue_type(self) -> str | None:
        return issue_type_for_intent(self.intent)

    @property
    def expectations(self) -> list[str]:
        return [e["value"] for e in self.entities if e["entity"] == "expectation"]

    @property
    def expectation(self) -> str | None:
        values = self.expectations
        return values[0] if values else None

    @property
    def order_numbers(self) -> list[str]:
        return [e["value"] for e in self.entities if e["entity"] == "order_number"]


def is_complaint_intent(intent: str | None) -> bool:
    return bool(intent) and intent.startswith("complain_")


def issue_type_for_intent(intent: str | None) -> str | None:
    """Gold issue type of an intent: the CONTRACTS.md mapping, None for non-complaints."""
    if not is_complaint_intent(intent):
        return None
    return INTENT_TO_ISSUE.get(intent, intent[len("complain_"):])


def parse_annotated(line: str) -> tuple[str, list[dict]]:
    """Turn one annotated example into its plain text and its entities.

    Each entity is ``{"entity", "value", "start", "end", "text"}`` with character offsets into
    the plain text; ``value`` is the annotated synonym value or else the annotated text.
    """
    entities: list[dict] = []
    plain: list[str] = []
    pos = 0  # position in the plain text
    last = 0  # position in the annotated line
    for m in ENTITY_RE.finditer(line):
        before = line[last:m.start()]
        plain.append(before)
        pos += len(before)
        surface = m.group("entity_text")
        start, end = pos, pos + len(surface)
        plain.append(surface)
        pos = end
        last = m.end()
        specs: list[dict]
        if m.group("entity"):
            specs = [{"entity": m.group("entity").strip(), "value": m.group("value")}]
        elif m.group("entity_dict") is not None:
            specs = [json.loads("{" + m.group("entity_dict") + "}")]
        else:
            specs = json.loads("[" + m.group("list_entity_dicts") + "]")
        for spec in specs:
            value = spec.get("value")
            entities.append({
                "entity": spec["entity"],
                "value": (value.strip() if isinstance(value, str) else value) or surface,
                "start": start,
                "end": end,
                "text": surface,
            })
    plain.append(line[last:])
    return "".join(plain), entities


def parse_examples_block(block: str) -> list[str]:
    """The ``examples: |`` block as a list of annotated lines (leading "- " removed)."""
    lines = []
    for raw in block.splitlines():
        s = raw.strip()
        if not s:
            continue
        if s.startswith("- "):
            s = s[2:].strip()
        elif s == "-":
            continue
        lines.append(s)
    return lines


def load_testset(path: str | Path) -> list[Example]:
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, dict) or not isinstance(doc.get("nlu"), list):
        raise ValueError(f"{path}: no 'nlu:' list")
    examples: list[Example] = []
    for item in doc["nlu"]:
        if not isinstance(item, dict) or "intent" not in item:
            continue  # synonyms, regexes, lookups: not test messages
        block = item.get("examples") or ""
        if isinstance(block, list):
            block = "\n".join(f"- {x}" for x in block)
        for line in parse_examples_block(block):
            text, entities = parse_annotated(line)
            examples.append(Example(text=text, intent=item["intent"], entities=entities))
    return examples


def check_testset(examples: list[Example]) -> list[str]:
    """Warnings about annotations that break the contracts (reported, never fatal)."""
    warnings = []
    seen: dict[str, str] = {}
    for ex in examples:
        for number in ex.order_numbers:
            if not ORDER_NUMBER_RE.match(number):
                warnings.append(f"order number {number!r} has no known format: {ex.text}")
        for value in ex.expectations:
            if value not in EXPECTATIONS:
                warnings.append(f"expectation value {value!r} is not canonical: {ex.text}")
        if ex.text in seen:
            warnings.append(f"duplicate message ({seen[ex.text]} / {ex.intent}): {ex.text}")
        seen[ex.text] = ex.intent
    return warnings


# ---------------------------------------------------------------------------------------------
# Metric functions (pure)


def safe_div(a: float, b: float) -> float:
    return a / b if b else 0.0


def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 from counts; 0.0 where the denominator is 0."""
    precision = safe_div(tp, tp + fp)
    recall = safe_div(tp, tp + fn)
    f1 = safe_div(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def binary_counts(gold: Iterable[bool], pred: Iterable[bool]) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) for a binary decision."""
    tp = fp = fn = tn = 0
    for g, p in zip(gold, pred, strict=True):
        if g and p:
            tp += 1
        elif p:
            fp += 1
        elif g:
            fn += 1
        else:
            tn += 1
    return tp, fp, fn, tn


def order_number_counts(
    gold: Iterable[Iterable[str]], pred: Iterable[str | None]
) -> tuple[int, int, int]:
    """(tp, fp, fn) for order numbers, exact string match, one prediction per message.

    A predicted number that is not among the message's gold numbers is a false positive (also when
    the message has none); every gold number not predicted is a false negative.
    """
    tp = fp = fn = 0
    for gold_numbers, p in zip(gold, pred, strict=True):
        g = set(gold_numbers)
        if p:
            if p in g:
                tp += 1
                g.discard(p)
            else:
                fp += 1
        fn += len(g)
    return tp, fp, fn


def confusion_counts(pairs: Iterable[tuple[str | None, str | None]]) -> dict[str, dict[str, int]]:
    """Counts of (gold, predicted) label pairs: ``{gold: {pred: n}}``; None becomes "(none)".

    Only pairs that occur are present, so every row is non-zero.
    """
    table: dict[str, dict[str, int]] = {}
    for g, p in pairs:
        g = g or NONE_LABEL
        p = p or NONE_LABEL
        row = table.setdefault(g, {})
        row[p] = row.get(p, 0) + 1
    return table


def accuracy(pairs: Iterable[tuple[object, object]]) -> tuple[int, int, float]:
    """(correct, total, accuracy) for (gold, predicted) pairs."""
    correct = total = 0
    for g, p in pairs:
        total += 1
        correct += g == p
    return correct, total, safe_div(correct, total)


def _clean(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def normalise_prediction(pred: dict) -> dict:
    intent = _clean(pred.get("intent"))
    is_complaint = pred.get("is_complaint")
    if is_complaint is None:
        is_complaint = is_complaint_intent(intent)
    return {
        "intent": intent,
        "is_complaint": bool(is_complaint),
        "issue_type": _clean(pred.get("issue_type")),
        "expectation": _clean(pred.get("expectation")),
        "order_number": _clean(pred.get("order_number")),
        "confidence": pred.get("confidence"),
        "issue_type_confidence": pred.get("issue_type_confidence"),
    }


def evaluate(examples: list[Example], predictions: list[dict]) -> dict:
    """All metrics for predictions aligned with examples."""
    preds = [normalise_prediction(p) for p in predictions]
    n = len(examples)

    correct, _, intent_acc = accuracy((e.intent, p["intent"]) for e, p in zip(examples, preds, strict=True))

    complaint_pairs = [(e.issue_type, p["issue_type"]) for e, p in zip(examples, preds, strict=True) if e.is_complaint]
    it_correct, it_total, it_acc = accuracy(complaint_pairs)

    tp, fp, fn, tn = binary_counts([e.is_complaint for e in examples], [p["is_complaint"] for p in preds])
    complaint = prf(tp, fp, fn)
    complaint["tn"] = tn

    exp_correct = exp_total = spurious = 0
    for e, p in zip(examples, preds, strict=True):
        if e.expectations:
            exp_total += 1
            exp_correct += p["expectation"] in e.expectations
        elif p["expectation"]:
            spurious += 1
    expectation = {
        "accuracy": safe_div(exp_correct, exp_total),
        "correct": exp_correct,
        "total": exp_total,
        "predicted_without_gold": spurious,
    }

    o_tp, o_fp, o_fn = order_number_counts(
        [e.order_numbers for e in examples], [p["order_number"] for p in preds]
    )
    order_number = prf(o_tp, o_fp, o_fn)

    confidence = []
    scored = [(e.issue_type, p["issue_type"], p["issue_type_confidence"]) for e, p in zip(examples, preds, strict=True)
              if e.is_complaint and p["issue_type"] and p["issue_type_confidence"] is not None]
    for threshold in CONFIDENCE_THRESHOLDS:
        sure = [(g, pr) for g, pr, conf in scored if conf >= threshold]
        confidence.append({"threshold": threshold, "confident": len(sure), "of": sum(e.is_complaint for e in examples),
                           "share": safe_div(len(sure), sum(e.is_complaint for e in examples)),
                           "accuracy": safe_div(sum(g == pr for g, pr in sure), len(sure))})

    per_intent: dict[str, dict] = {}
    labels = sorted({e.intent for e in examples} | {p["intent"] or NONE_LABEL for p in preds})
    for label in labels:
        support = sum(e.intent == label for e in examples)
        predicted = sum((p["intent"] or NONE_LABEL) == label for p in preds)
        hits = sum(e.intent == label and p["intent"] == label for e, p in zip(examples, preds, strict=True))
        scores = prf(hits, predicted - hits, support - hits)
        scores["support"] = support
        per_intent[label] = scores

    confusion = confusion_counts((e.issue_type, p["issue_type"]) for e, p in zip(examples, preds, strict=True))

    errors = []
    for e, p in zip(examples, preds, strict=True):
        kinds = []
        if e.intent != p["intent"]:
            kinds.append("intent")
        if e.issue_type != p["issue_type"]:
            kinds.append("issue_type")
        if e.is_complaint != p["is_complaint"]:
            kinds.append("is_complaint")
        if e.expectations and p["expectation"] not in e.expectations:
            kinds.append("expectation")
        if sorted(e.order_numbers) != sorted([p["order_number"]] if p["order_number"] else []):
            kinds.append("order_number")
        if kinds:
            errors.append({
                "text": e.text,
                "kinds": kinds,
                "gold": {
                    "intent": e.intent,
                    "issue_type": e.issue_type,
                    "expectation": e.expectation,
                    "order_number": e.order_numbers[0] if e.order_numbers else None,
                },
                "pred": {k: p[k] for k in ("intent", "issue_type", "expectation", "order_number", "confidence")},
            })

    return {
        "n_messages": n,
        "n_complaints": sum(e.is_complaint for e in examples),
        "intent_accuracy": intent_acc,
        "intent_correct": correct,
        "issue_type_accuracy": it_acc,
        "issue_type_correct": it_correct,
        "issue_type_total": it_total,
        "complaint": complaint,
        "non_complaints_kept_out": safe_div(tn, tn + fp),
        "issue_type_confidence": confidence,
        "expectation": expectation,
        "order_number": order_number,
        "per_intent": per_intent,
        "confusion": confusion,
        "errors": errors,
    }


# ---------------------------------------------------------------------------------------------
# Reports


def confusion_columns(table: dict[str, dict[str, int]]) -> tuple[list[str], list[str]]:
    """Rows (gold labels present) and columns (labels present anywhere), in taxonomy order."""
    order = ISSUE_TYPES + [NONE_LABEL]
    present = set(table)
    for row in table.values():
        present |= set(row)
    extra = sorted(present - set(order))
    cols = [c for c in order if c in present] + extra
    rows = [r for r in order + extra if r in table and any(table[r].values())]
    return rows, cols


def _abbr(label: str) -> str:
    return ISSUE_ABBR.get(label, "-" if label == NONE_LABEL else label)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def summary_lines(m: dict) -> list[str]:
    c, o, x = m["complaint"], m["order_number"], m["expectation"]
    return [
        f"messages: {m['n_messages']} ({m['n_complaints']} complaints)",
        f"intent accuracy: {_pct(m['intent_accuracy'])} ({m['intent_correct']}/{m['n_messages']})",
        f"issue-type accuracy (complaints): {_pct(m['issue_type_accuracy'])} "
        f"({m['issue_type_correct']}/{m['issue_type_total']})",
        f"complaint detection: P {c['precision']:.3f}  R {c['recall']:.3f}  F1 {c['f1']:.3f} "
        f"(tp {c['tp']}, fp {c['fp']}, fn {c['fn']}, tn {c['tn']})",
        f"non-complaints kept out: {_pct(m['non_complaints_kept_out'])} ({c['tn']}/{c['tn'] + c['fp']})",
        "issue type when confident (threshold: share of complaints, accuracy): " + "; ".join(
            f"≥{t['threshold']:.1f}: {_pct(t['share'])}, {_pct(t['accuracy'])}" for t in m["issue_type_confidence"]),
        f"expectation accuracy (annotated): {_pct(x['accuracy'])} ({x['correct']}/{x['total']}); "
        f"predicted where none annotated: {x['predicted_without_gold']}",
        f"order number: P {o['precision']:.3f}  R {o['recall']:.3f}  F1 {o['f1']:.3f} "
        f"(tp {o['tp']}, fp {o['fp']}, fn {o['fn']})",
    ]


def confusion_text(table: dict[str, dict[str, int]]) -> list[str]:
    rows, cols = confusion_columns(table)
    width = max(len(r) for r in rows) if rows else 10
    head = " " * width + " " + " ".join(f"{_abbr(c):>4}" for c in cols)
    out = [head]
    for r in rows:
        cells = " ".join(f"{table[r].get(c, 0) or '.':>4}" for c in cols)
        out.append(f"{r:<{width}} {cells}")
    return out


def text_report(m: dict, parser: str, testset: str, max_errors: int | None) -> str:
    lines = [f"parser: {parser}", f"test set: {testset}", ""]
    lines += summary_lines(m)
    lines += ["", "per intent (support / precision / recall / F1):"]
    for label, s in m["per_intent"].items():
        lines.append(
            f"  {label:<34} {s['support']:>4}  {s['precision']:.2f}  {s['recall']:.2f}  {s['f1']:.2f}"
        )
    lines += ["", "issue-type confusion (rows gold, columns predicted; - = none):"]
    lines += ["  " + x for x in confusion_text(m["confusion"])]
    errors = m["errors"]
    shown = errors if max_errors is None else errors[:max_errors]
    lines += ["", f"errors: {len(errors)} messages"]
    for err in shown:
        g, p = err["gold"], err["pred"]
        lines.append(
            f"  [{','.join(err['kinds'])}] {err['text']}\n"
            f"      gold {g['intent']} exp={g['expectation']} order={g['order_number']}\n"
            f"      pred {p['intent']} issue={p['issue_type']} exp={p['expectation']} "
            f"order={p['order_number']}"
        )
    if len(shown) < len(errors):
        lines.append(f"  ... {len(errors) - len(shown)} more (see --json / --markdown)")
    return "\n".join(lines)


def _md(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def markdown_report(results: list[tuple[str, dict]] | dict, parser: str, testset: str | None = None,
                    when: _dt.datetime | None = None, kept: str = "") -> str:
    """The report for one set (`results` a metrics dict) or several ((name, metrics) pairs): a
    side-by-side summary, then each set's details; `kept` (hand-written text) goes at the end."""
    if isinstance(results, dict):
        results = [(testset or "", results)]
    when = when or _dt.datetime.now(_dt.timezone.utc)
    out = ["# NLU evaluation", "", f"- date: {when.strftime('%Y-%m-%d %H:%M %Z').strip()}",
           f"- parser: `{parser}`", "- produced by `scripts/eval_nlu.py` (`make nlu-eval`)", ""]
    names = [name for name, _ in results]
    out += ["| metric | " + " | ".join(f"`{n}`" for n in names) + " |",
            "| --- | " + " | ".join("---:" for _ in names) + " |"]
    rows = [
        ("messages (complaints)", lambda m: f"{m['n_messages']} ({m['n_complaints']})"),
        ("issue-type accuracy (complaints)", lambda m: _pct(m["issue_type_accuracy"])),
        ("non-complaints kept out", lambda m: _pct(m["non_complaints_kept_out"])),
        ("complaint recall", lambda m: f"{m['complaint']['recall']:.3f}"),
        ("complaint F1", lambda m: f"{m['complaint']['f1']:.3f}"),
        ("wish (expectation) accuracy", lambda m: _pct(m["expectation"]["accuracy"])),
        ("intent accuracy", lambda m: _pct(m["intent_accuracy"])),
    ]
    for label, cell in rows:
        out.append(f"| {label} | " + " | ".join(cell(m) for _, m in results) + " |")
    for name, m in results:
        out += ["", f"# Test set `{name}`", ""] + _markdown_section(m)
    text = "\n".join(out) + "\n"
    return text + ("\n" + kept if kept else "")


def _markdown_section(m: dict) -> list[str]:
    c, o, x = m["complaint"], m["order_number"], m["expectation"]
    out = [
        "| metric | value |",
        "| --- | --- |",
        f"| intent accuracy | {_pct(m['intent_accuracy'])} ({m['intent_correct']}/{m['n_messages']}) |",
        f"| issue-type accuracy (complaints) | {_pct(m['issue_type_accuracy'])} "
        f"({m['issue_type_correct']}/{m['issue_type_total']}) |",
        f"| complaint precision / recall / F1 | {c['precision']:.3f} / {c['recall']:.3f} / {c['f1']:.3f} |",
        f"| expectation accuracy (annotated) | {_pct(x['accuracy'])} ({x['correct']}/{x['total']}) |",
        f"| expectation predicted where none annotated | {x['predicted_without_gold']} |",
        f"| order number precision / recall / F1 | {o['precision']:.3f} / {o['recall']:.3f} / {o['f1']:.3f} |",
        f"| non-complaints kept out | {_pct(m['non_complaints_kept_out'])} ({c['tn']}/{c['tn'] + c['fp']}) |",
        "",
        "## Issue type when the model is sure",
        "",
        "Complaints whose predicted issue type has at least this probability: how many, and how many of those are right.",
        "",
        "| threshold | confident | accuracy when confident |",
        "| ---: | ---: | ---: |",
    ] + [f"| {t['threshold']:.1f} | {_pct(t['share'])} ({t['confident']}/{t['of']}) | {_pct(t['accuracy'])} |"
         for t in m["issue_type_confidence"]] + [
        "",
        "## Per intent",
        "",
        "| intent | support | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, s in m["per_intent"].items():
        out.append(f"| {label} | {s['support']} | {s['precision']:.2f} | {s['recall']:.2f} | {s['f1']:.2f} |")
    rows, cols = confusion_columns(m["confusion"])
    out += [
        "",
        "## Issue-type confusion",
        "",
        "Rows gold, columns predicted; `-` is no issue type (not a complaint). "
        + ", ".join(f"{ISSUE_ABBR[t]} = {t}" for t in ISSUE_TYPES if t in cols) + ".",
        "",
        "| gold \\ predicted | " + " | ".join(_abbr(col) for col in cols) + " |",
        "| --- | " + " | ".join("---:" for _ in cols) + " |",
    ]
    for r in rows:
        cells = " | ".join(str(m["confusion"][r].get(col, 0) or "") for col in cols)
        out.append(f"| {r} | {cells} |")
    out += [
        "",
        f"## Errors ({len(m['errors'])})",
        "",
        "| message | wrong | gold | predicted |",
        "| --- | --- | --- | --- |",
    ]
    for err in m["errors"]:
        g, p = err["gold"], err["pred"]
        gold = f"{g['intent']}; exp={g['expectation']}; order={g['order_number']}"
        pred = f"{p['intent']}; issue={p['issue_type']}; exp={p['expectation']}; order={p['order_number']}"
        out.append(f"| {_md(err['text'])} | {', '.join(err['kinds'])} | {_md(gold)} | {_md(pred)} |")
    return out


# ---------------------------------------------------------------------------------------------
# Command line


def display_path(path: str | Path) -> str:
    """A path relative to the project root when it lies inside it (for reports)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_parser(spec: str) -> Callable[[list[str]], list[dict]]:
    module_name, _, func_name = spec.partition(":")
    func_name = func_name or "parse_texts"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    module = importlib.import_module(module_name)
    return getattr(module, func_name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--testset", action="append", default=None,
                    help="Rasa NLU YAML test set; repeat for several (default: both held-out sets)")
    ap.add_argument("--parser", default=DEFAULT_PARSER, help="MODULE:FUNC (default %(default)s)")
    ap.add_argument("--json", metavar="OUT", help="write the metrics as JSON")
    ap.add_argument("--markdown", metavar="OUT", help="write a Markdown report (for docs/)")
    ap.add_argument("--max-errors", type=int, default=None, help="errors to print (default all)")
    args = ap.parse_args(argv)
    paths = args.testset or [str(p) for p in DEFAULT_TESTSETS]

    sets: list[tuple[str, list[Example]]] = []
    for path in paths:
        try:
            examples = load_testset(path)
        except (OSError, ValueError, yaml.YAMLError, json.JSONDecodeError, KeyError) as exc:
            print(f"cannot read test set {path}: {exc}", file=sys.stderr)
            return 2
        if not examples:
            print(f"cannot read test set {path}: no examples", file=sys.stderr)
            return 2
        for warning in check_testset(examples):
            print(f"warning: {warning}", file=sys.stderr)
        sets.append((display_path(path), examples))

    try:
        parse_texts = load_parser(args.parser)
        predictions = [list(parse_texts([e.text for e in examples])) for _, examples in sets]
    except Exception as exc:  # noqa: BLE001 - any parser failure is reported the same way
        print(f"cannot run parser {args.parser}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    for (name, examples), preds in zip(sets, predictions):
        if len(preds) != len(examples):
            print(f"parser {args.parser} returned {len(preds)} results for {len(examples)} texts", file=sys.stderr)
            return 3

    results = [(name, evaluate(examples, preds)) for (name, examples), preds in zip(sets, predictions)]
    when = _dt.datetime.now(_dt.timezone.utc).astimezone()
    for index, (name, metrics) in enumerate(results):
        if index:
            print("\n" + "=" * 100 + "\n")
        print(text_report(metrics, args.parser, name, args.max_errors))

    if args.json:
        base = {"date": when.isoformat(timespec="seconds"), "parser": args.parser}
        payload = ({**base, "testset": results[0][0], **results[0][1]} if len(results) == 1
                   else {**base, "sets": {name: metrics for name, metrics in results}})
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        target = Path(args.markdown)
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        kept = old[old.index(KEPT_MARKER):] if KEPT_MARKER in old else ""
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(markdown_report(results, args.parser, when=when, kept=kept), encoding="utf-8")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into e.g. head
        sys.exit(0)
