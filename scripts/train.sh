#!/usr/bin/env bash
# Trains the Rasa model only when data/, domain.yml or config.yml changed since the last training.
# The fingerprint of those inputs is stored next to the model (models/current.fingerprint).
set -euo pipefail
cd "$(dirname "$0")/.."
fingerprint=$(find data domain.yml config.yml -type f \( -name '*.yml' -o -name '*.txt' \) -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [ "${1:-}" != "--force" ] && [ -f models/current.tar.gz ] && [ "$(cat models/current.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
  echo "==> model is up to date (fingerprint $fingerprint)"
  exit 0
fi
echo "==> training the Rasa model (about 2 minutes on 2 cores; each step is logged below)"
start=$(date +%s)
mkdir -p models
ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://127.0.0.1:5055/webhook} \
  ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-no-action-server-offline} TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false .venv/bin/rasa train --fixed-model-name current --out models --num-threads 2 2>&1 | grep --line-buffered -v -E "UserWarning|warnings.warn|^  *(warn|rasa.shared.utils.io.raise_warning)|sentry|DeprecationWarning"
echo "$fingerprint" > models/current.fingerprint
echo "==> model trained in $(( $(date +%s) - start ))s: models/current.tar.gz"
