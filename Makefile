# Two commands on a fresh machine: `make run` and `make test` (see README.md).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench messages clean-var

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

run: $(STAMP)
	bash zunft/stack/run.sh

test: $(STAMP)
	bash zunft/stack/test.sh $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m scheduling.bench $(BENCH_ARGS)

messages: $(STAMP)
	$(PY) manage.py makemessages -l de -l en --ignore=.venv --ignore=.var
	$(PY) manage.py compilemessages --ignore=.venv --ignore=.var

# Removes the private database, Redis data and collected files (stop `make run` first).
clean-var:
	bash zunft/stack/services.sh stop
	rm -rf .var
