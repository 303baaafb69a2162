"""Replay the real-style dialogues (bench/dialogues/real_style.yml) to a running stack and score
what real customers would live through: was every complaint ticketed, with the right type and
fields; how often was one question asked; how often did the bot say it did not understand; were
the customer's questions answered; did any reply promise an outcome or admit fault.

    .venv/bin/python -m bench.replay                 # starts its own stack on free ports
    .venv/bin/python -m bench.replay --base http://127.0.0.1:8000 --token $BOT_API_TOKEN

Each dialogue is one chat session. `pause: idle` waits past the intake idle time; the stack this
module starts sets a short one (INTAKE_IDLE_MINUTES) so a run takes minutes, not hours. The reply
classifiers below are heuristics on the bot's words, written before the replays were read, and
are kept simple on purpose: they are how a reader of the transcripts would count, not a model.
Results go to var/bench/replay.json, transcripts to var/bench/replay_transcripts.md, and the
table to docs/REAL_DIALOGUES.md.
"""
from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from bench.common import ROOT, VAR, bench_stack, log, start_stack

DIALOGUES = ROOT / "bench" / "dialogues" / "real_style.yml"
DOC = ROOT / "docs" / "REAL_DIALOGUES.md"
IDLE_MINUTES = 0.1  # the stack's intake idle time during a replay (6 s)

# -- what a reply does -----------------------------------------------------------------------------
ASKS = {
    "order_number": re.compile(r"(订单号|单号|订单编号)[^。！!]{0,24}(吗|？|\?|发我|发一下|提供|告诉|复制|核对|贴)"
                               r"|(提供|发|告诉我|复制)[^。！!]{0,8}(订单号|单号)"),
    "expectation": re.compile(r"(希望|想要|想怎么|打算怎么|诉求)[^。！!]{0,16}(处理|解决|？|\?)"),
    "issue_type": re.compile(r"(什么问题|哪方面的问题|遇到了什么|具体是什么情况|具体.{0,4}情况|哪类问题|什么情况)"),
    "confirm": re.compile(r"(确认一下|核对一下|没问题的话|确认提交|信息对吗)"),
    "phone": re.compile(r"(手机号|联系电话|电话号码)[^。！!]{0,16}(吗|？|\?|留|提供|告诉)"),
}
BUTTON_ASKS = {"expectation": re.compile(r'expectation'), "issue_type": re.compile(r'issue_type')}
NOT_UNDERSTOOD = re.compile(r"没理解|没看明白|没太明白|没听懂|换个说法|没太理解|不太明白您的意思|没看懂")
PROMISE = re.compile(r"(一定|保证|肯定|马上|立刻|立即)[^。！!，,]{0,8}(退款|退钱|赔|补偿|补发|换货|给您退|到账)"
                     r"|(全额退款|给您退款|给您赔偿|给您补偿)(?![^。！!]{0,12}(由客服|客服确认|客服会|核实))")
FAULT = re.compile(r"我们的(失误|错|问题|疏忽)|流程上的问题|仓库的失误|是我们没做好|我们搞错")
QUESTION = re.compile(r"[？?]|吗$|么$|什么时候|多久|几天|怎么|能不能|可以吗|需要.{0,6}吗|啥时候|要多长")
ANSWER_MARKS = re.compile(r"\d{1,2}:\d{2}|TK-\d{8}-\d{4}|工单|处理中|已解决|待处理|登记中|客服.{0,6}(回复|联系)"
                          r"|天内|个工作日|小时内|可以申请|支持|不支持|运费险|价保|七天无理由|发票")


@dataclass
class Outcome:
    id: str
    expect: dict[str, Any]
    transcript: list[tuple[str, str]] = field(default_factory=list)
    turns: list[dict[str, Any]] = field(default_factory=list)  # raw: customer text and bot replies
    asks: Counter = field(default_factory=Counter)
    not_understood: int = 0
    questions: int = 0
    answered: int = 0
    promises: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ticket(self) -> dict | None:
        """The session's most recent ticket (the one a person works from)."""
        return self.tickets[0] if self.tickets else None


def load_dialogues(path: Path = DIALOGUES) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["dialogues"]


def classify_reply(reply: dict[str, Any]) -> set[str]:
    """The questions one bot reply asks (by its words or its buttons)."""
    text = reply.get("text") or ""
    if ASKS["confirm"].search(text):
        return {"confirm"}  # a read-back names every field; it asks only whether it is right
    kinds = {kind for kind, pattern in ASKS.items() if pattern.search(text)}
    for button in reply.get("buttons") or []:
        for kind, pattern in BUTTON_ASKS.items():
            if pattern.search(button.get("payload") or ""):
                kinds.add(kind)
    return kinds


def score_turn(outcome: Outcome, customer: str, replies: list[dict[str, Any]]) -> None:
    texts = [r.get("text") or "" for r in replies]
    joined = "\n".join(texts)
    asked: set[str] = set()
    for reply in replies:
        asked |= classify_reply(reply)
    outcome.asks.update(asked)
    outcome.not_understood += sum(1 for t in texts if NOT_UNDERSTOOD.search(t))
    outcome.promises += [m.group(0) for t in texts for m in PROMISE.finditer(t)]
    outcome.faults += [m.group(0) for t in texts for m in FAULT.finditer(t)]
    if QUESTION.search(customer.strip()):
        outcome.questions += 1
        if joined and not NOT_UNDERSTOOD.search(joined) and ANSWER_MARKS.search(joined):
            outcome.answered += 1


def replay_one(base: str, token: str, dialogue: dict[str, Any], run: str, idle_seconds: float) -> Outcome:
    outcome = Outcome(dialogue["id"], dialogue.get("expect") or {})
    session = f"replay-{run}-{dialogue['id']}"
    for turn in dialogue["turns"]:
        if isinstance(turn, dict) and turn.get("pause"):
            outcome.transcript.append(("…", f"(customer quiet for {idle_seconds:.0f} s)"))
            time.sleep(idle_seconds)
            continue
        text = str(turn)
        try:
            answer = requests.post(f"{base}/api/chat/{session}/messages", json={"text": text}, timeout=60)
            replies = answer.json().get("replies", []) if answer.ok else []
            if not answer.ok:
                outcome.errors.append(f"{answer.status_code} on {text!r}")
        except (requests.RequestException, ValueError) as exc:
            replies = []
            outcome.errors.append(f"{type(exc).__name__} on {text!r}")
        outcome.transcript.append(("顾客", text))
        for reply in replies:
            buttons = " ".join(f"[{b.get('title')}]" for b in reply.get("buttons") or [])
            said = ((reply.get("text") or "") + (" " + buttons if buttons else "")).strip()
            outcome.transcript.append(("助手", said))
        outcome.turns.append({"customer": text, "replies": replies})
        score_turn(outcome, text, replies)
    # A customer who leaves mid-way is filed after the idle time: give the stack that long.
    if outcome.expect.get("ticket") and not _tickets(base, token, session):
        time.sleep(idle_seconds)
    outcome.tickets = _tickets(base, token, session)
    return outcome


def rescored(item: dict[str, Any]) -> Outcome:
    """An Outcome rebuilt from a saved raw replay (to try a changed classifier on old replies)."""
    outcome = Outcome(item["id"], item["expect"], tickets=item["tickets"], errors=item["errors"])
    for turn in item["turns"]:
        score_turn(outcome, turn["customer"], turn["replies"])
    return outcome


def _tickets(base: str, token: str, session: str) -> list[dict]:
    try:
        answer = requests.get(f"{base}/api/tickets", params={"session_id": session},
                              headers={"Authorization": f"Bearer {token}"}, timeout=30)
        return answer.json().get("tickets", []) if answer.ok else []
    except (requests.RequestException, ValueError):
        return []


def _order(value: Any) -> str | None:
    return re.sub(r"\s", "", str(value)) if value else None


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    complaints = [o for o in outcomes if o.expect.get("ticket")]
    others = [o for o in outcomes if not o.expect.get("ticket")]
    ticketed = [o for o in complaints if o.ticket]
    right_type = [o for o in ticketed if o.ticket.get("issue_type") == o.expect.get("issue_type")]
    right_order = [o for o in ticketed if _order(o.ticket.get("order_number")) == _order(o.expect.get("order_number"))]
    right_wish = [o for o in ticketed
                  if (o.ticket.get("expectation") or "other") == (o.expect.get("expectation") or "other")]
    all_fields = [o for o in ticketed if o in right_type and o in right_order and o in right_wish]
    max_asks = max((n for o in outcomes for n in o.asks.values()), default=0)
    loops = [o.id for o in outcomes if any(n > 2 for n in o.asks.values())]
    questions = sum(o.questions for o in outcomes)
    return {
        "dialogues": len(outcomes),
        "complaint_dialogues": len(complaints),
        "ticketed": len(ticketed),
        "ticketed_rate": len(ticketed) / len(complaints) if complaints else None,
        "no_problem_dialogues": len(others),
        "no_problem_with_ticket": sum(1 for o in others if o.ticket),
        "right_type": len(right_type),
        "right_type_rate": len(right_type) / len(complaints) if complaints else None,
        "right_order_number": len(right_order),
        "right_wish": len(right_wish),
        "all_fields_right": len(all_fields),
        "max_times_one_question": max_asks,
        "dialogues_with_a_question_asked_3_plus": loops,
        "not_understood_replies": sum(o.not_understood for o in outcomes),
        "sessions_with_2_plus_not_understood": sum(1 for o in outcomes if o.not_understood >= 2),
        "customer_questions": questions,
        "questions_answered": sum(o.answered for o in outcomes),
        "outcome_promises": sum(len(o.promises) for o in outcomes),
        "fault_admissions": sum(len(o.faults) for o in outcomes),
        "errors": sum(len(o.errors) for o in outcomes),
        "misses": [
            {"id": o.id, "ticket": bool(o.ticket),
             "expected": {k: o.expect.get(k) for k in ("issue_type", "order_number", "expectation")},
             "got": {k: (o.ticket or {}).get(k) for k in ("issue_type", "order_number", "expectation")}}
            for o in complaints if o not in all_fields],
    }


def write_transcripts(outcomes: list[Outcome], path: Path) -> None:
    lines = ["# Replayed real-style dialogues: transcripts", ""]
    for o in outcomes:
        t = o.ticket or {}
        lines += [f"## {o.id}", "",
                  f"expected: {json.dumps(o.expect, ensure_ascii=False)}",
                  f"ticket: {t.get('id')} {t.get('issue_type')} order={t.get('order_number')} "
                  f"wish={t.get('expectation')} priority={t.get('priority')} status={t.get('status')}",
                  f"asks: {dict(o.asks)} not understood: {o.not_understood} errors: {o.errors}", ""]
        lines += [f"- **{who}**: {text}" for who, text in o.transcript] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")


def render(summary: dict[str, Any], label: str) -> str:
    pct = lambda v: "–" if v is None else f"{v:.0%}"  # noqa: E731
    s = summary
    rows = [
        ("complaint dialogues that end with a ticket", f"{summary['ticketed']}/{summary['complaint_dialogues']} "
                                                       f"({pct(summary['ticketed_rate'])})", "100 %"),
        ("no-problem dialogues that got a ticket", f"{summary['no_problem_with_ticket']}/"
                                                   f"{summary['no_problem_dialogues']}", "0"),
        ("right issue type (of all complaint dialogues)", f"{s['right_type']} ({pct(s['right_type_rate'])})", "≥ 90 %"),
        ("right order number / right wish / all three right",
         f"{summary['right_order_number']} / {summary['right_wish']} / {summary['all_fields_right']}", "–"),
        ("most times one question was asked in a dialogue", str(summary["max_times_one_question"]), "≤ 2"),
        ("dialogues where a question was asked 3+ times", str(len(summary["dialogues_with_a_question_asked_3_plus"])),
         "0"),
        ("'not understood' replies (sessions with 2+)",
         f"{s['not_understood_replies']} ({s['sessions_with_2_plus_not_understood']})", "≤ 1 a session"),
        ("customer questions answered", f"{summary['questions_answered']}/{summary['customer_questions']}", "all"),
        ("outcome promises / fault admissions", f"{s['outcome_promises']} / {s['fault_admissions']}", "0 / 0"),
        ("HTTP errors", str(summary["errors"]), "0"),
    ]
    out = [f"### {label}", "", "| measure | result | target |", "| --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(out) + "\n"


def run(base: str, token: str, idle_seconds: float, only: list[str] | None = None) -> tuple[dict, list[Outcome]]:
    dialogues = [d for d in load_dialogues() if not only or d["id"] in only]
    run_id = time.strftime("%H%M%S")
    outcomes = []
    for number, dialogue in enumerate(dialogues, 1):
        outcomes.append(replay_one(base, token, dialogue, run_id, idle_seconds))
        if number % 10 == 0 or number == len(dialogues):
            log(f"replayed {number}/{len(dialogues)} dialogues")
    return summarise(outcomes), outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="a running bot service (default: start a stack on free ports)")
    parser.add_argument("--token", help="its BOT_API_TOKEN (with --base)")
    parser.add_argument("--idle-seconds", type=float, help="how long `pause: idle` waits (default: the "
                                                           "started stack's idle time + 2 s)")
    parser.add_argument("--only", help="comma-separated dialogue ids")
    parser.add_argument("--label", default=time.strftime("%Y-%m-%d %H:%M"), help="heading of this run in the doc")
    parser.add_argument("--no-write-doc", action="store_true")
    parser.add_argument("--rescore", type=Path, help="score a saved var/bench/replay_raw.json again (no stack)")
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else None
    VAR.mkdir(parents=True, exist_ok=True)
    if args.rescore:
        outcomes = [rescored(item) for item in json.loads(args.rescore.read_text(encoding="utf-8"))]
        print(render(summarise(outcomes), args.label))
        return 0
    stack = None
    if args.base:
        base, token = args.base.rstrip("/"), args.token or ""
    else:
        stack = bench_stack(Path(tempfile.mkdtemp(prefix="bench-replay-")))
        stack.env["INTAKE_IDLE_MINUTES"] = str(IDLE_MINUTES)
        start_stack(stack)
        base, token = stack.base, stack.token
    idle = args.idle_seconds if args.idle_seconds is not None else IDLE_MINUTES * 60 + 4
    try:
        summary, outcomes = run(base, token, idle, only)
    finally:
        if stack:
            stack.stop_all()
    (VAR / "replay.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    raw = [{"id": o.id, "expect": o.expect, "turns": o.turns, "tickets": o.tickets, "errors": o.errors}
           for o in outcomes]
    (VAR / "replay_raw.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    write_transcripts(outcomes, VAR / "replay_transcripts.md")
    table = render(summary, args.label)
    print(table)
    if not args.no_write_doc:
        _append_doc(table)
        log(f"wrote {DOC.relative_to(ROOT)}; transcripts in var/bench/replay_transcripts.md")
    return 0


def _append_doc(table: str) -> None:
    """The new run goes above the earlier ones; whatever the page says before its first run stays."""
    head = ("# Real-style dialogues replayed\n\n"
            "`python -m bench.replay` (part of `make bench`) sends the customer side of the 78 held-out "
            "dialogues in bench/dialogues/real_style.yml to the running stack, one chat session each, and "
            "scores the transcripts (method in bench/replay.py). Newest run first.\n\n")
    old = DOC.read_text(encoding="utf-8") if DOC.exists() else head
    cut = old.find("\n### ")
    head, body = (old[:cut + 1], old[cut + 1:]) if cut >= 0 else (old if old.strip() else head, "")
    DOC.write_text(head + table + "\n" + body, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
