# The project's commands. Everything a fresh clone needs is installed by the targets themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AUTOREST := env -u PYTHONUNBUFFERED node_modules/.bin/autorest
AUTOREST_USE := --use=$(CURDIR)/node_modules/@autorest/python --use=$(CURDIR)/node_modules/@autorest/modelerfour
CHECK_DIR := .generated-check
# Files that codegen/derive_versions.py writes from swagger/ (besides AutoRest's input in .codegen/).
DERIVED := customizations/_version_table.py emulator/_version_table.py README.md

.PHONY: install generate check-generated test lint demo serve bench yardstick clean

install: $(VENV)/.installed

# Two distributions, both editable: the client (setup.py) and the emulator (emulator/pyproject.toml).
$(VENV)/.installed: setup.py customizations/_version.py emulator/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip uninstall --quiet --yes azure-communication-identity-gen 2>/dev/null || true  # the name before 1.6.0
	$(PY) -m pip install --quiet -e '.[aio,dev]' -e ./emulator
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# generated/ is emptied first: AutoRest keeps an existing _patch.py instead of rewriting it, so only a
# generation into an empty folder is reproducible. derive_versions.py writes AutoRest's input (the union of
# every version's swagger document) and the version tables; see autorest.md.
generate: node_modules/.installed
	$(PYTHON) codegen/derive_versions.py
	rm -rf generated
	$(AUTOREST) autorest.md $(AUTOREST_USE) > .generate.log 2>&1 || { cat .generate.log; exit 1; }
	rm -f .generate.log
	@echo "generate: generated/ and the version tables rewritten from swagger/ + autorest.md"

check-generated: node_modules/.installed
	rm -rf $(CHECK_DIR)
	$(PYTHON) codegen/derive_versions.py --output $(CHECK_DIR) > /dev/null
	$(AUTOREST) autorest.md $(AUTOREST_USE) --output-folder=$(CURDIR)/$(CHECK_DIR)/generated > $(CHECK_DIR).log 2>&1 || { cat $(CHECK_DIR).log; exit 1; }
	@status=0; diff -ru generated $(CHECK_DIR)/generated -x __pycache__ || status=1; \
	for file in $(DERIVED); do diff -u $$file $(CHECK_DIR)/$$file || status=1; done; \
	if [ $$status = 0 ]; then \
		echo "check-generated: generated/ and the version tables are exactly what swagger/ + autorest.md produce"; rm -rf $(CHECK_DIR) $(CHECK_DIR).log; \
	else \
		echo "check-generated: generated/ or a derived file differs from what swagger/ + autorest.md produce; run 'make generate' and commit the result" >&2; exit 1; \
	fi

lint: install
	$(VENV)/bin/ruff check $(wildcard codegen customizations emulator tests samples bench) setup.py

test: install check-generated lint
	$(VENV)/bin/pytest

demo: install
	$(PY) samples/quickstart.py

serve: install
	$(VENV)/bin/acs-identity-emulator

bench: install
	$(PY) bench/run.py

# The official 1.5.0 test suite, run live against the emulator with the official package and with ours.
yardstick: install
	$(PY) tests/yardstick/harness.py

clean:
	rm -rf $(VENV) node_modules .codegen $(CHECK_DIR) $(CHECK_DIR).log .bench .yardstick build dist *.egg-info emulator/build emulator/*.egg-info
