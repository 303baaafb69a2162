"""NLU baselines side by side on the held-out test set (tests/nlu/testset.yml):

  (a) keyword rules of the kind shops configure for auto-replies (scripts/baseline_keywords.py)
  (b) Rasa's stock default pipeline made to accept Chinese with the fewest changes
      (bench/config_stock_zh.yml → var/bench/stock.tar.gz, trained here when its inputs changed);
      scored on Rasa's own output, and also through our post-processing rules ("stock + our rules")
      to separate what the model does from what the rules do
  (c) ours: models/current.tar.gz through bot.integrations.parse (the assistant's own view of a message)

    .venv/bin/python -m bench.baselines [--json OUT]

Reports accuracy per issue type, intent accuracy, complaint F1, expectation accuracy,
order-number F1 and parse latency (mean / p95 per message, one message at a time).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, VAR, log, summarise

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import eval_nlu  # noqa: E402

STOCK_CONFIG = ROOT / "bench" / "config_stock_zh.yml"
STOCK_MODEL = VAR / "stock.tar.gz"
STOCK_FINGERPRINT = VAR / "stock.fingerprint"
OUR_MODEL = ROOT / "models" / "current.tar.gz"
TESTSET = ROOT / "tests" / "nlu" / "testset.yml"
PARSERS = ("keyword", "stock", "stock_plus_rules", "ours")
LABELS = {"keyword": "(a) keyword rules", "stock": "(b) stock Rasa zh", "stock_plus_rules": "(b+) stock + our rules",
          "ours": "(c) ours"}


def stock_inputs() -> list[Path]:
    """What the stock model is trained from: the NLU data and its config."""
    return sorted((ROOT / "data" / "nlu").rglob("*.yml")) + [STOCK_CONFIG]


def fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_stock_model(force: bool = False) -> dict[str, Any]:
    """Trains the stock baseline once per change of its inputs; returns what happened."""
    current = fingerprint(stock_inputs())
    recorded = STOCK_FINGERPRINT.read_text().strip() if STOCK_FINGERPRINT.exists() else None
    if not force and STOCK_MODEL.exists() and recorded == current:
        log(f"stock baseline model is up to date ({current})")
        return {"trained": False, "fingerprint": current}
    VAR.mkdir(parents=True, exist_ok=True)
    log("training the stock Rasa baseline (bench/config_stock_zh.yml) …")
    command = [str(ROOT / ".venv" / "bin" / "rasa"), "train", "nlu", "--config", str(STOCK_CONFIG.relative_to(ROOT)),
               "--fixed-model-name", "stock", "--out", str(VAR.relative_to(ROOT)), "--num-threads", "2"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    (VAR / "stock_train.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0 or not STOCK_MODEL.exists():
        raise RuntimeError(f"stock training failed (exit {done.returncode}); see var/bench/stock_train.log:\n"
                           + (done.stdout + done.stderr)[-2000:])
    STOCK_FINGERPRINT.write_text(current)
    log(f"stock baseline trained in {seconds:.0f} s")
    return {"trained": True, "fingerprint": current, "train_seconds": round(seconds, 1),
            "model_mb": round(STOCK_MODEL.stat().st_size / 1e6, 2)}


def raw_view(nlu: dict[str, Any]) -> dict[str, Any]:
    """Rasa's own answer, no shop rules: the best intent that is not the fallback, the first
    order_number and expectation entities as Rasa extracted them (synonyms mapped by Rasa)."""
    ranking = nlu.get("intent_ranking") or [nlu.get("intent") or {}]
    best = next((i for i in ranking if i.get("name") != "nlu_fallback"), ranking[0] if ranking else {})
    intent = best.get("name")
    entities = nlu.get("entities") or []

    def first(name: str):
        return next((str(e.get("value")) for e in entities if e.get("entity") == name), None)

    issue = eval_nlu.issue_type_for_intent(intent)
    return {"text": nlu.get("text"), "intent": intent, "is_complaint": issue is not None, "issue_type": issue,
            "expectation": first("expectation"), "order_number": first("order_number"),
            "confidence": best.get("confidence")}


def _load_agent(path: Path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("rasa").setLevel(logging.ERROR)
    from rasa.core.agent import Agent

    return Agent.load(str(path))


async def _parse_all(agent, texts: list[str]) -> tuple[list[dict], list[float]]:
    results, seconds = [], []
    for text in texts[:5]:  # warm up (first calls build TensorFlow functions)
        await agent.parse_message(text)
    for text in texts:
        started = time.perf_counter()
        results.append(await agent.parse_message(text))
        seconds.append(time.perf_counter() - started)
    return results, seconds


def summary_of(examples, predictions: list[dict], seconds: list[float]) -> dict[str, Any]:
    scores = eval_nlu.evaluate(examples, predictions)
    per_issue = {}
    for issue in eval_nlu.ISSUE_TYPES:
        row = scores["confusion"].get(issue, {})
        support = sum(row.values())
        per_issue[issue] = {"support": support, "correct": row.get(issue, 0),
                            "accuracy": row.get(issue, 0) / support if support else None}
    latency = summarise([s * 1000 for s in seconds])
    return {
        "n_messages": scores["n_messages"],
        "intent_accuracy": scores["intent_accuracy"],
        "issue_type_accuracy": scores["issue_type_accuracy"],
        "complaint_f1": scores["complaint"]["f1"],
        "complaint_precision": scores["complaint"]["precision"],
        "complaint_recall": scores["complaint"]["recall"],
        "expectation_accuracy": scores["expectation"]["accuracy"],
        "expectation_predicted_without_gold": scores["expectation"]["predicted_without_gold"],
        "order_number_f1": scores["order_number"]["f1"],
        "per_issue_type": per_issue,
        "parse_ms": {"mean": latency["mean"], "p95": latency["p95"], "p50": latency["p50"]},
        "errors_sample": scores["errors"][:15],
    }


async def _run(skip_stock: bool) -> dict[str, Any]:
    from bot.config import load_settings
    from bot.integrations.parse import understand
    from scripts.baseline_keywords import parse_one

    examples = eval_nlu.load_testset(TESTSET)
    texts = [e.text for e in examples]
    patterns = tuple(load_settings({"DOTENV_DISABLED": "1"}).order_number_patterns)
    log(f"NLU test set: {len(texts)} messages")
    out: dict[str, Any] = {"testset_messages": len(texts)}

    preds, seconds = [], []
    for text in texts:
        started = time.perf_counter()
        preds.append(parse_one(text))
        seconds.append(time.perf_counter() - started)
    out["keyword"] = summary_of(examples, preds, seconds)
    log(f"  (a) keyword rules: issue type {out['keyword']['issue_type_accuracy']:.3f}")

    if not skip_stock and STOCK_MODEL.exists():
        agent = _load_agent(STOCK_MODEL)
        raw, seconds = await _parse_all(agent, texts)
        out["stock"] = summary_of(examples, [raw_view(r) for r in raw], seconds)
        out["stock_plus_rules"] = summary_of(examples, [understand(r, patterns) for r in raw], seconds)
        log(f"  (b) stock Rasa zh: issue type {out['stock']['issue_type_accuracy']:.3f}")
        del agent

    if OUR_MODEL.exists():
        agent = _load_agent(OUR_MODEL)
        raw, seconds = await _parse_all(agent, texts)
        started = time.perf_counter()
        ours = [understand(r, patterns) for r in raw]
        rules_ms = (time.perf_counter() - started) * 1000 / max(1, len(raw))
        out["ours"] = summary_of(examples, ours, [s + rules_ms / 1000 for s in seconds])
        log(f"  (c) ours: issue type {out['ours']['issue_type_accuracy']:.3f}")
    else:
        log("  (c) ours: no models/current.tar.gz (run `make train`)")
    return out


def run(skip_stock_training: bool = False, force_stock: bool = False) -> dict[str, Any]:
    training = None
    if skip_stock_training:
        current = fingerprint(stock_inputs())
        recorded = STOCK_FINGERPRINT.read_text().strip() if STOCK_FINGERPRINT.exists() else None
        training = {"trained": False, "fingerprint": current,
                    "note": "not trained in this run" + ("" if STOCK_MODEL.exists() else "; no stock model yet")
                    + ("; the stock model is older than the data" if STOCK_MODEL.exists() and recorded != current
                       else "")}
    else:
        try:
            training = ensure_stock_model(force_stock)
        except RuntimeError as exc:
            log(f"stock baseline not available: {exc}")
            training = {"error": str(exc)[:500]}
    result = asyncio.run(_run(skip_stock=False))
    if not STOCK_MODEL.exists():
        result["stock_missing"] = True
    result["stock_training"] = training
    return result


def print_table(result: dict[str, Any]) -> None:
    present = [p for p in PARSERS if p in result]
    log("  " + " | ".join(f"{LABELS[p]}" for p in present))
    for key in ("intent_accuracy", "issue_type_accuracy", "complaint_f1", "expectation_accuracy", "order_number_f1"):
        log(f"  {key:<22} " + "  ".join(f"{result[p][key]:.3f}" for p in present))
    log("  parse ms mean/p95      " + "  ".join(
        f"{result[p]['parse_ms']['mean']:.2f}/{result[p]['parse_ms']['p95']:.2f}" for p in present))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="NLU baselines side by side")
    parser.add_argument("--json", help="write the result here")
    parser.add_argument("--force-stock", action="store_true", help="retrain the stock baseline")
    args = parser.parse_args(argv)
    result = run(force_stock=args.force_stock)
    print_table(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
