#!/usr/bin/env bash
# Runs the end-to-end conversation tests against the trained model: --e2e checks the intent the
# model predicts for each user text as well as every bot action; any prediction error fails.
set -euo pipefail
cd "$(dirname "$0")/.."
out=var/rasa-test
rm -rf "$out"; mkdir -p "$out"
files=$(ls tests/conversations/test_*.yml)
.venv/bin/rasa test core --model models/current.tar.gz --stories tests/conversations/ \
  --out "$out" --e2e --fail-on-prediction-errors --quiet >"$out/log.txt" 2>&1 || {
  echo "conversation tests failed:"; tail -n 40 "$out/log.txt"
  [ -f "$out/failed_test_stories.yml" ] && cat "$out/failed_test_stories.yml"
  exit 1; }
echo "==> $(grep -c '^- story:' $files | awk -F: '{s+=$2} END {print s}') conversations passed"
