# Two commands for everyone: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PY := .venv/bin/python
RASA := .venv/bin/rasa
export TF_CPP_MIN_LOG_LEVEL := 2
# Rasa would try to send usage data and crash reports to its servers; this product stays offline.
export RASA_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1
# endpoints.yml reads ${ACTION_SERVER_URL}, ${ACTION_SERVER_TOKEN} and the store variables
# (bot/integrations/rasa_stores.py); rasa's CLI needs them set even when no action runs
# (validate, train, test core call no action server).
RASA_ENV := ACTION_SERVER_URL=$${ACTION_SERVER_URL:-http://127.0.0.1:5055/webhook} \
	ACTION_SERVER_TOKEN=$${ACTION_SERVER_TOKEN:-no-action-server-offline} \
	TRACKER_STORE_URL=$${TRACKER_STORE_URL:-sqlite:///var/rasa_tracker.sqlite3} RASA_LOCK_STORE=in_memory \
	RASA_LOCK_STORE_HOST= RASA_LOCK_STORE_PORT=6379 RASA_LOCK_STORE_DB=0 RASA_LOCK_STORE_PASSWORD=
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help setup train run test lint validate pytest e2e nlu-eval bench scale-test clean

help:
	@echo "make run    set up, train if needed, start Rasa + action server + bot service"
	@echo "make test   set up, train if needed, run every check and test"
	@echo "make train  retrain only if data/, domain.yml or config.yml changed"
	@echo "make nlu-eval  score the trained model on both held-out NLU test sets"
	@echo "make bench  benchmarks, then the replay of the held-out real-style dialogues"
	@echo "make scale-test  2 bot services + 2 Rasa behind nginx on PostgreSQL + Redis, kills under load"

setup:
	@scripts/setup_venv.sh
	@scripts/setup_web.sh
	@scripts/setup_tools.sh

train: setup
	@scripts/train.sh

run: setup train
	@$(PY) -m bot up

lint: setup
	@echo "==> ruff"
	@.venv/bin/ruff check bot actions tests scripts bench

validate: setup
	@echo "==> rasa data validate --fail-on-warnings"
	@$(RASA_ENV) $(RASA) data validate --fail-on-warnings --quiet
	@echo "==> entity spans on Jieba token boundaries (scripts/check_entity_alignment.py)"
	@$(PY) scripts/check_entity_alignment.py

pytest: setup train
	@echo "==> pytest"
	@$(PY) -m pytest -q

e2e: setup train
	@echo "==> conversation tests (tests/conversations/test_*.yml)"
	@$(RASA_ENV) scripts/test_conversations.sh

nlu-eval: setup train
	@$(PY) scripts/eval_nlu.py --markdown docs/NLU_EVAL.md --json var/nlu_eval.json

bench: setup train
	@$(PY) -m bench.run $(BENCH_ARGS)
	@echo "==> replaying the held-out real-style dialogues (bench/replay.py → docs/REAL_DIALOGUES.md)"
	@$(PY) -m bench.replay

# Two bot services + two Rasa servers behind nginx on PostgreSQL + Redis, with kills under load
# (docs/DEPLOY.md). Skips, saying why, when nginx, PostgreSQL or Redis is missing.
scale-test: setup train
	@$(PY) -m pytest -q -s -m scale tests/stack/test_scale_out.py

test: setup train lint validate pytest e2e
	@echo "==> all tests passed"

clean:
	rm -rf models var/*.sqlite3 var/*.db .pytest_cache
