# Each target sets itself up on a fresh machine that has only python3:
# it creates .venv when missing and installs the package with its test tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# nbgrader creates its gradebook by running the alembic executable from this folder.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install lab grade-demo test generate generate-check clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

lab: $(INSTALLED)
	$(BIN)/backprop-course lab

grade-demo: $(INSTALLED)
	$(BIN)/backprop-course grade examples/submitted --out build/demo-grades --jobs 2

test: $(INSTALLED)
	$(BIN)/python -m pytest

generate: $(INSTALLED)
	$(BIN)/backprop-course generate

generate-check: $(INSTALLED)
	$(BIN)/backprop-course generate --check

clean:
	rm -rf build .pytest_cache
