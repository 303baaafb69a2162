#!/usr/bin/env bash
# Creates .venv-tools with the test tools that cannot live in .venv beside Rasa 3.6's pins
# (requirements-tools.txt: schemathesis, which tests/service/test_api_fuzz.py runs against the
# served OpenAPI document). Re-installs only when requirements-tools.txt changes (stamp file).
# Any Python 3.9+ will do; without one the fuzz test skips and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp_file=.venv-tools/.pins-$(sha256sum requirements-tools.txt | cut -c1-16)
if [ -x .venv-tools/bin/st ] && [ -f "$stamp_file" ]; then
  exit 0
fi
python=""
for name in python3.12 python3.11 python3.10 python3; do
  if command -v "$name" >/dev/null 2>&1 && "$name" -c 'import sys, venv; assert sys.version_info[:2] >= (3, 9)' 2>/dev/null; then
    python=$(command -v "$name"); break
  fi
done
if [ -z "$python" ]; then
  echo "warning: no Python 3.9+ for .venv-tools; the API fuzz test will be skipped" >&2
  exit 0
fi
echo "==> installing test tools into .venv-tools ($("$python" --version 2>&1))"
rm -rf .venv-tools
"$python" -m venv .venv-tools
.venv-tools/bin/python -m pip install --quiet --upgrade pip
set +e +o pipefail  # grep finds nothing to print when pip is quiet: not a failure
.venv-tools/bin/python -m pip install --quiet -r requirements-tools.txt 2>&1 | grep -v -E "is ignored: it is neither"
status=${PIPESTATUS[0]}
set -e -o pipefail
if [ "$status" -ne 0 ]; then echo "error: pip install of the test tools failed (exit $status)" >&2; exit 1; fi
.venv-tools/bin/st --version
touch "$stamp_file"
