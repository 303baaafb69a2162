#!/usr/bin/env bash
# Creates .venv with a Python 3.8–3.10 and installs the pinned dependencies.
# Re-installs only when requirements*.txt or constraints.txt change (stamp file in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp_value=$(cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -c1-16)
stamp_file=.venv/.pins-$stamp_value
if [ -x .venv/bin/python ] && [ -f "$stamp_file" ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] <= (3, 10)' 2>/dev/null; then
  python=$(scripts/find_python.sh)
  echo "==> creating .venv with $python ($("$python" --version 2>&1))"
  rm -rf .venv
  "$python" -m venv .venv
fi
echo "==> installing pinned dependencies (first time: about 3 minutes and 2.7 GB, mostly TensorFlow)"
start=$(date +%s)
.venv/bin/python -m pip install --upgrade --quiet "pip==24.0" "setuptools==70.3.0" "wheel==0.45.1"
set +e +o pipefail  # grep finds nothing to print when pip is quiet: not a failure
.venv/bin/python -m pip install --progress-bar on -r requirements.txt -r requirements-dev.txt -c constraints.txt \
  2>&1 | grep -v -E "is ignored: it is neither a file nor a directory"
status=${PIPESTATUS[0]}
set -e -o pipefail
if [ "$status" -ne 0 ]; then echo "error: pip install failed (exit $status)" >&2; exit 1; fi
.venv/bin/python -c 'import rasa, rasa_sdk, sanic, dotenv, requests, chinese_calendar' 
rm -f .venv/.pins-*
touch "$stamp_file"
echo "==> dependencies ready in $(( $(date +%s) - start ))s"
