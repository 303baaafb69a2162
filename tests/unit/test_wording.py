"""Wording in one home (issue 10 item 2) and no admitted fault or promised outcome (issue 11 item 4).

- domain.yml's complaint intents, the `issue_type` and `expectation` slots and the acknowledgement
  responses say exactly what bot/domain/taxonomy.py says, in both directions;
- the actions send domain.yml responses by name: no Chinese `text=` literal, every response they
  name exists, and every `{placeholder}` in it is passed by the caller (read from the source);
- no response, no Chinese string in bot/ or actions/ and no answer of the shop's FAQ (faq.yml) admits
  a fault nobody checked or promises an outcome only a person can decide (DESIGN.md "How the
  assistant speaks", points 4 and 8).
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain.taxonomy import (
    EXPECTATIONS,
    ISSUE_TYPES,
    intent_for_issue_type,
    is_complaint_intent,
    issue_type_for_intent,
    issue_type_named_in,
    normalise_expectation,
)

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
ACTION_MODULES = sorted((ROOT / "actions").rglob("*.py"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"{(\w+)}")


# -- (a) domain.yml and the taxonomy ------------------------------------------------------------------

def complaint_intents() -> set[str]:
    return {intent for intent in DOMAIN["intents"] if intent.startswith("complain_")}


def test_the_complaint_intents_are_the_taxonomys_issue_types():
    assert complaint_intents() == {intent_for_issue_type(key) for key in ISSUE_TYPES}
    for intent in complaint_intents():
        assert is_complaint_intent(intent)
        assert issue_type_for_intent(intent) in ISSUE_TYPES
        assert intent_for_issue_type(issue_type_for_intent(intent)) == intent
    other = [i for i in DOMAIN["intents"] if i not in complaint_intents()]
    assert not [i for i in other if is_complaint_intent(i)]


def test_the_issue_type_slot_holds_exactly_the_taxonomys_issue_types():
    slot = DOMAIN["slots"]["issue_type"]
    assert sorted(slot["values"]) == sorted(ISSUE_TYPES)
    assert len(slot["values"]) == len(set(slot["values"]))
    # Each complaint intent fills the slot with its own issue type, and every issue type has one.
    from_intent = {m["intent"]: m["value"] for m in slot["mappings"] if m["type"] == "from_intent"}
    assert from_intent == {intent: issue_type_for_intent(intent) for intent in complaint_intents()}


def test_the_expectation_slot_holds_exactly_the_taxonomys_expectations():
    slot = DOMAIN["slots"]["expectation"]
    assert sorted(slot["values"]) == sorted(EXPECTATIONS)
    assert len(slot["values"]) == len(set(slot["values"]))
    assert {m["value"] for m in slot["mappings"] if m["type"] == "from_intent"} <= set(EXPECTATIONS)


def test_every_issue_type_has_its_acknowledgement_in_several_wordings():
    acknowledgements = {name for name in RESPONSES if name.startswith("utter_ack_")}
    assert acknowledgements == {f"utter_ack_{key}" for key in ISSUE_TYPES}
    for name in acknowledgements:
        assert len(RESPONSES[name]) >= 2, f"{name}: the first reply should not always be the same words"


def button_payloads(response: str) -> list[tuple[str, str]]:
    return [(button["title"], button["payload"]) for variation in RESPONSES[response]
            for button in variation.get("buttons") or []]


def test_the_issue_type_buttons_send_complaint_intents_and_their_titles_name_that_type():
    buttons = button_payloads("utter_ask_issue_type")
    assert buttons
    for title, payload in buttons:
        intent = payload.lstrip("/")
        assert intent in complaint_intents()
        # A customer who types the button's title instead of pressing it means the same type.
        assert issue_type_named_in(title) == issue_type_for_intent(intent), title


def test_the_wish_buttons_send_expectations_and_their_titles_read_as_that_wish():
    buttons = button_payloads("utter_ask_expectation")
    assert buttons
    for title, payload in buttons:
        value = re.fullmatch(r'/inform\{"expectation": "(\w+)"\}', payload).group(1)
        assert value in EXPECTATIONS
        assert normalise_expectation(title) == value, title


def test_the_nlu_data_uses_the_same_complaint_intents_and_wishes():
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    assert {i for i in data.intents if i.startswith("complain_")} == complaint_intents()
    synonyms = data.entity_synonyms
    assert set(synonyms.values()) <= set(EXPECTATIONS)
    wishes = {synonyms.get(e["value"], e["value"]) for example in data.nlu_examples
              for e in example.get("entities") or [] if e["entity"] == "expectation"}
    assert wishes == set(EXPECTATIONS)


# -- (b) the actions send responses by name ----------------------------------------------------------

def utter_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "utter_message":
            yield node


def has_chinese(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and CHINESE.search(n.value)
               for n in ast.walk(node))


def literal_texts_in(source: str) -> list[str]:
    """`utter_message` calls whose text or buttons carry Chinese written in the code."""
    found = []
    for call in utter_calls(ast.parse(source)):
        given = [*call.args, *(k.value for k in call.keywords if k.arg in ("text", "buttons", "json_message"))]
        found += [ast.unparse(node) for node in given if has_chinese(node)]
    return found


def response_names(node: ast.AST) -> list[str] | None:
    """The responses a `response=` expression can name: a literal, either branch of `a if c else b`,
    or every domain response an f-string like f"utter_ack_{issue_type}" can produce. None when
    the name cannot be read from the source."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = response_names(node.body), response_names(node.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(re.escape(part.value) if isinstance(part, ast.Constant) else ".+" for part in node.values)
        return [name for name in RESPONSES if re.fullmatch(pattern, name)] or [f"<nothing matches {pattern}>"]
    return None


def dict_keys_returned(tree: ast.Module, function: str) -> set[str] | None:
    """The keys of the dict literal a module-level helper returns (`**summary_values(tracker)`)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return)]
            if returns and all(isinstance(r, ast.Dict) for r in returns):
                keys = [k for r in returns for k in r.keys]
                if all(isinstance(k, ast.Constant) for k in keys):
                    return {k.value for k in keys}
    return None


def values_passed(tree: ast.Module, call: ast.Call) -> set[str] | None:
    passed: set[str] = set()
    for keyword in call.keywords:
        if keyword.arg is not None:
            passed.add(keyword.arg)
            continue
        value = keyword.value  # **something
        keys = dict_keys_returned(tree, value.func.id) if isinstance(value, ast.Call) and \
            isinstance(value.func, ast.Name) else None
        if keys is None:
            return None
        passed |= keys
    return passed - {"response", "text", "buttons", "image", "json_message", "attachment", "elements"}


def placeholders(response: str) -> set[str]:
    found: set[str] = set()
    for variation in RESPONSES[response]:
        found |= set(PLACEHOLDER.findall(variation.get("text") or ""))
        for button in variation.get("buttons") or []:
            found |= set(PLACEHOLDER.findall(button["title"]))
    return found


def response_problems(source: str) -> tuple[list[str], int]:
    """What is wrong with the `response=` calls in one module's source, and how many it has."""
    tree = ast.parse(source)
    problems, count = [], 0
    for call in utter_calls(tree):
        named = next((k.value for k in call.keywords if k.arg == "response"), None)
        if named is None:
            continue
        count += 1
        where = f"line {call.lineno}"
        names = response_names(named)
        if names is None:
            problems.append(f"{where}: response name {ast.unparse(named)} cannot be read from the source")
            continue
        missing = [n for n in names if n not in RESPONSES]
        problems += [f"{where}: {n} is not a response in domain.yml" for n in missing]
        passed = values_passed(tree, call)
        if passed is None:
            problems.append(f"{where}: the values passed cannot be read from the source")
            continue
        needed = set().union(*(placeholders(n) for n in names if n in RESPONSES))
        problems += [f"{where}: {{{v}}} of {'/'.join(names)} is not passed" for v in sorted(needed - passed)]
        problems += [f"{where}: {v}= is passed but no {'/'.join(names)} says {{{v}}}"
                     for v in sorted(passed - needed)]
    return problems, count


@pytest.mark.parametrize("path", ACTION_MODULES, ids=lambda p: p.name)
def test_no_action_writes_customer_text_in_the_code(path):
    assert literal_texts_in(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", ACTION_MODULES, ids=lambda p: p.name)
def test_every_response_an_action_sends_exists_and_gets_its_values(path):
    problems, _count = response_problems(path.read_text(encoding="utf-8"))
    assert problems == []


def test_the_actions_send_responses_and_the_scan_sees_them():
    counts = [response_problems(path.read_text(encoding="utf-8"))[1] for path in ACTION_MODULES]
    assert sum(counts) >= 30  # every customer-facing message of the actions


def test_the_action_scans_catch_what_they_are_for():
    assert literal_texts_in('dispatcher.utter_message(text=f"工单号 {ticket_id}")')
    assert literal_texts_in('d.utter_message(response="utter_x", buttons=[{"title": "转人工", "payload": "/h"}])')
    assert not literal_texts_in('dispatcher.utter_message(response="utter_submitted", ticket_id=t, due=d)')
    problems, _ = response_problems('dispatcher.utter_message(response="utter_submitted", ticket_id=t)')
    assert problems == ["line 1: {due} of utter_submitted is not passed"]
    problems, _ = response_problems('d.utter_message(response="utter_no_such_thing")')
    assert problems == ["line 1: utter_no_such_thing is not a response in domain.yml"]
    problems, _ = response_problems('d.utter_message(response=name)')
    assert "cannot be read" in problems[0]
    problems, _ = response_problems('d.utter_message(response=f"utter_ack_{t}", due=x)')
    assert problems == ["line 1: due= is passed but no " + "/".join(f"utter_ack_{k}" for k in ISSUE_TYPES)
                        + " says {due}"]


# -- (c) no admitted fault, no promised outcome ------------------------------------------------------

# Sorry for the trouble, never for a cause nobody has checked ...
FAULT_ADMISSIONS = ("我们的失误", "我们的错", "是我们的问题", "是我们的责任", "流程上的问题", "仓库的失误", "没把好关",
                    "库存没同步", "我们搞错了", "怪我们")
# ... and no outcome only a person can decide: promise the time of contact instead.
OUTCOME_PROMISES = ("一定给您退款", "保证退款", "保证给您退", "马上给您退款", "马上给您补偿", "一定给您补偿", "肯定赔",
                    "一定赔", "包赔", "保证赔偿", "肯定给您退", "给您全额退款")
FORBIDDEN = FAULT_ADMISSIONS + OUTCOME_PROMISES
# Draft replies offered to agents on the desk: a person who has checked the case reads, edits and
# sends them (the module says so), so they may name a cause or an outcome.
AGENT_DRAFTS = {ROOT / "bot" / "domain" / "suggestions.py"}


def forbidden_in(text: str) -> list[str]:
    return [phrase for phrase in FORBIDDEN if phrase in text]


def response_texts(responses: dict[str, list[dict[str, Any]]]) -> Iterator[tuple[str, str]]:
    for name, variations in responses.items():
        for variation in variations:
            yield name, variation.get("text") or ""
            for button in variation.get("buttons") or []:
                yield name, button["title"]


def chinese_strings(source: str) -> Iterator[tuple[int, str]]:
    """String literals with Chinese in them (f-string parts included), docstrings left out: a
    docstring may quote what must never be said."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                and CHINESE.search(node.value):
            yield node.lineno, node.value


def code_files() -> list[Path]:
    files = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "actions").rglob("*.py")]
    return sorted(path for path in files if path not in AGENT_DRAFTS)


def test_no_response_admits_a_fault_or_promises_an_outcome():
    found = [(name, text, forbidden_in(text)) for name, text in response_texts(RESPONSES) if forbidden_in(text)]
    assert found == []


@pytest.mark.parametrize("path", code_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_text_in_the_code_admits_a_fault_or_promises_an_outcome(path):
    found = [(line, text) for line, text in chinese_strings(path.read_text(encoding="utf-8")) if forbidden_in(text)]
    assert found == []


@pytest.mark.parametrize("path", sorted([*(ROOT / "bot" / "web" / "static").rglob("*.js"),
                                         *(ROOT / "bot" / "web" / "static").rglob("*.html")]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_text_in_the_pages_admits_a_fault_or_promises_an_outcome(path):
    assert forbidden_in(path.read_text(encoding="utf-8")) == []


def test_no_faq_answer_admits_a_fault_or_promises_an_outcome():
    from bot.faq_file import load_faq

    entries = load_faq(ROOT / "faq.yml")
    assert len(entries) >= 8  # the defaults a shop recognises
    found = [(e.id, forbidden_in(f"{e.question} {e.answer}")) for e in entries
             if forbidden_in(f"{e.question} {e.answer}")]
    assert found == []
    assert forbidden_in((ROOT / "faq.yml").read_text(encoding="utf-8")) == []  # comments and keywords too


def test_the_phrase_scans_catch_an_added_admission_or_promise():
    planted = {"utter_x": [{"text": "非常抱歉，这是我们流程上的问题。"}],
               "utter_y": [{"text": "好的", "buttons": [{"title": "一定给您退款", "payload": "/affirm"}]}]}
    assert [name for name, text in response_texts(planted) if forbidden_in(text)] == ["utter_x", "utter_y"]
    source = ('"""Never say 我们的失误."""\n'
              'def reply(ticket):\n'
              '    """Not 仓库的失误 either."""\n'
              '    return f"抱歉，是我们仓库的失误，工单 {ticket} 我们保证退款。"\n')
    assert [(line, forbidden_in(text)) for line, text in chinese_strings(source) if forbidden_in(text)] == \
        [(4, ["仓库的失误"]), (4, ["保证退款"])]  # an f-string's parts, each scanned
