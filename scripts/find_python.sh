#!/usr/bin/env bash
# Prints the path of a Python 3.8–3.10 interpreter that actually runs (Rasa 3.6 needs < 3.11).
# Order: python3.10 / python3.9 / python3.8 on PATH, then pyenv's versions directory.
set -u
works() { "$1" -c 'import sys, venv; assert (3, 8) <= sys.version_info[:2] <= (3, 10)' >/dev/null 2>&1; }
for name in python3.10 python3.9 python3.8; do
  if command -v "$name" >/dev/null 2>&1 && works "$(command -v "$name")"; then
    command -v "$name"; exit 0
  fi
done
roots=()
if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root)"); fi
roots+=("${PYENV_ROOT:-}" "$HOME/.pyenv")
for root in "${roots[@]}"; do
  [ -n "$root" ] && [ -d "$root/versions" ] || continue
  for minor in 10 9 8; do
    for candidate in $(ls -d "$root"/versions/3."$minor".* 2>/dev/null | sort -V -r); do
      if works "$candidate/bin/python3"; then echo "$candidate/bin/python3"; exit 0; fi
    done
  done
done
cat >&2 <<'MSG'
error: no Python 3.8–3.10 found (Rasa 3.6 does not run on 3.11 or newer).
Install one, for example:
  pyenv install 3.10.13            # then run make again
  sudo apt-get install python3.10 python3.10-venv
MSG
exit 1
