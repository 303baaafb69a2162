"""What one NLU model costs to use: load time, parse latency and resident memory (issue 12).

    .venv/bin/python -m bench.nlu_cost [MODEL.tar.gz ...]      # default models/current.tar.gz

Each model is measured in a fresh process (memory is the process's peak RSS after loading and
parsing) on the first 300 messages of the held-out real-register set, one message at a time as
the chat does. Prints one JSON line per model; docs/NLU_EVAL.md records the numbers.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 300

CHILD = r"""
import asyncio, json, resource, statistics, sys, time
sys.path.insert(0, "scripts")
import eval_nlu
from bot.integrations.parse import _agent
texts = [e.text for e in eval_nlu.load_testset(eval_nlu.REAL_REGISTER_TESTSET)][:int(sys.argv[2])]
start = time.perf_counter()
agent = _agent(sys.argv[1])
load_s = time.perf_counter() - start
async def run():
    await agent.parse_message("你好")  # warm-up
    times = []
    for text in texts:
        t = time.perf_counter()
        await agent.parse_message(text)
        times.append((time.perf_counter() - t) * 1000)
    return times
times = sorted(asyncio.run(run()))
print(json.dumps({"model": sys.argv[1], "load_s": round(load_s, 1),
                  "parse_ms_median": round(statistics.median(times), 1),
                  "parse_ms_p95": round(times[int(len(times) * 0.95)], 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def main(argv: list[str]) -> int:
    models = argv or [str(ROOT / "models" / "current.tar.gz")]
    for model in models:
        env = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
               "PATH": "/usr/bin:/bin"}
        result = subprocess.run([sys.executable, "-c", CHILD, model, str(MESSAGES)], cwd=ROOT,
                                capture_output=True, text=True, env=env)
        line = next((x for x in reversed(result.stdout.splitlines()) if x.startswith("{")), None)
        print(line or json.dumps({"model": model, "error": result.stderr[-500:]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
