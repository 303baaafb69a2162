#!/usr/bin/env bash
# Installs the agent desk's browser libraries (ECharts for the statistics page) from npm and copies
# the files the desk serves into bot/web/static/vendor/ (served from our own origin, no CDN).
# `npm ci` runs only when web/package-lock.json changed (stamp file in web/node_modules).
# Without npm the desk still works; the statistics page then shows its numbers without charts.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=bot/web/static/vendor
stamp_file=web/node_modules/.lock-$(sha256sum web/package-lock.json | cut -c1-16)
if [ ! -f "$stamp_file" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "warning: npm not found, so the statistics page has no charts; install Node.js 18+ with npm" \
         "(Debian: apt-get install nodejs npm) and run make setup again" >&2
    exit 0
  fi
  echo "==> installing the desk's chart library (npm ci in web/)"
  (cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  touch "$stamp_file"
fi
mkdir -p "$vendor"
# Copy only when different, so a running service never reads a half-written file needlessly.
for file in echarts/dist/echarts.min.js; do
  source_file=web/node_modules/$file
  target=$vendor/$(basename "$file")
  if ! cmp -s "$source_file" "$target"; then
    cp "$source_file" "$target.tmp" && mv "$target.tmp" "$target"
  fi
done
