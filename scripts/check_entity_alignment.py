#!/usr/bin/env python
"""Check the NLU training data against the Jieba tokens Rasa will see.

Rasa's JiebaTokenizer cuts every training example with ``jieba.tokenize`` (default mode,
HMM on) after loading each file under its ``dictionary_path``. An entity annotation whose
start or end falls inside a token is dropped from entity training with only a warning, so
the data must be written so that every span starts and ends on a token boundary. This
script reads the NLU files with Rasa's own YAML reader, tokenizes each example the same
way and fails (exit 1) on:

* misaligned entity spans (the main purpose);
* annotations Rasa did not parse (stray ``[``/``]`` or ``{"entity"`` left in the text);
* unknown entity names, ``expectation`` values outside the canonical set, order numbers
  or ticket ids that do not match their documented formats;
* a surface form mapped to two different ``expectation`` values, and synonyms that are not
  words of the user dictionary (their spans could not be whole tokens);
* the same example text under two different intents.

Usage: ``python scripts/check_entity_alignment.py [--nlu data/nlu] [--dicts data/dicts]
[--counts]``
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import sys
from collections import Counter, defaultdict

ENTITIES = {"order_number", "expectation", "ticket_id"}
EXPECTATIONS = {
    "refund", "return_refund", "exchange", "resend", "compensation",
    "repair", "expedite", "explanation", "other",
}
ORDER_NUMBER = re.compile(r"\d{18,19}|\d{11,12}|\d{6}-\d{15}")
TICKET_ID = re.compile(r"TK-\d{8}-\d{4}")


def load_user_dicts(dict_dir: str) -> set[str]:
    """Load every file of ``dict_dir`` into jieba, as JiebaTokenizer does; return the words."""
    import jieba

    words: set[str] = set()
    for path in sorted(glob.glob(os.path.join(dict_dir, "*"))):
        jieba.load_userdict(path)
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line and not line.startswith("#"):
                    words.add(line.split()[0])
    return words


def tokenize(text: str) -> list[tuple[str, int, int]]:
    import jieba

    return list(jieba.tokenize(text))


def read_nlu(path: str):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    return RasaYAMLReader().read(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nlu", default="data/nlu", help="directory of NLU YAML files")
    parser.add_argument("--dicts", default="data/dicts", help="Jieba user dictionary directory")
    parser.add_argument("--counts", action="store_true", help="print examples per intent")
    args = parser.parse_args(argv)

    import jieba

    jieba.setLogLevel(60)
    dict_words = load_user_dicts(args.dicts)
    errors: list[str] = []
    intents_of_text: dict[str, set[str]] = defaultdict(set)
    surface_values: dict[str, set[str]] = defaultdict(set)
    counts: Counter = Counter()
    annotated = Counter()
    checked_spans = 0

    files = sorted(glob.glob(os.path.join(args.nlu, "*.yml")))
    if not files:
        print(f"no NLU files under {args.nlu}")
        return 1
    for path in files:
        data = read_nlu(path)
        for surface, value in data.entity_synonyms.items():
            surface_values[surface.lower()].add(value)
            if value not in EXPECTATIONS:
                errors.append(f"{path}: synonym {surface!r} maps to unknown value {value!r}")
            if surface not in dict_words and surface.lower() != value:
                errors.append(f"{path}: synonym {surface!r} is not a user-dictionary word")
        for message in data.training_examples:
            text = message.get("text")
            intent = message.get("intent")
            if not intent:
                continue
            counts[intent] += 1
            intents_of_text[text].add(intent)
            if re.search(r"[\[\]]|\{\s*\"entity", text):
                errors.append(f"{path}: [{intent}] unparsed annotation in {text!r}")
            entities = message.get("entities") or []
            if entities:
                annotated[intent] += 1
            tokens = tokenize(text)
            starts = {start for _, start, _ in tokens}
            ends = {end for _, _, end in tokens}
            for entity in entities:
                name, start, end = entity["entity"], entity["start"], entity["end"]
                span = text[start:end]
                value = entity.get("value")
                checked_spans += 1
                if name not in ENTITIES:
                    errors.append(f"{path}: [{intent}] unknown entity {name!r} in {text!r}")
                if start not in starts or end not in ends:
                    cut = " | ".join(w for w, s, e in tokens if e > start - 4 and s < end + 4)
                    errors.append(
                        f"{path}: [{intent}] misaligned {name} {span!r} in {text!r}; "
                        f"tokens: {cut}"
                    )
                if span != span.strip():
                    errors.append(f"{path}: [{intent}] whitespace in span {span!r}")
                if name == "expectation":
                    if value not in EXPECTATIONS:
                        errors.append(f"{path}: [{intent}] expectation value {value!r} in {text!r}")
                    if span.lower() != value:
                        surface_values[span.lower()].add(value)
                    if span not in dict_words and span.lower() != value:
                        errors.append(
                            f"{path}: [{intent}] expectation {span!r} is not a dictionary word"
                        )
                elif name == "order_number" and not ORDER_NUMBER.fullmatch(span):
                    errors.append(f"{path}: [{intent}] bad order number {span!r}")
                elif name == "ticket_id" and not TICKET_ID.fullmatch(span):
                    errors.append(f"{path}: [{intent}] bad ticket id {span!r}")

    for surface, values in sorted(surface_values.items()):
        if len(values) > 1:
            errors.append(f"expectation {surface!r} maps to several values {sorted(values)}")
    for text, intents in sorted(intents_of_text.items()):
        if len(intents) > 1:
            errors.append(f"{text!r} appears under several intents {sorted(intents)}")

    if args.counts:
        for intent, count in sorted(counts.items()):
            print(f"{intent:34s} {count:4d} examples, {annotated[intent]:3d} annotated")
        print(f"{'total':34s} {sum(counts.values()):4d} examples")
    for error in errors:
        print("ERROR", error)
    print(
        f"{len(files)} files, {sum(counts.values())} examples, {checked_spans} entity spans "
        f"checked, {len(errors)} problems"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
