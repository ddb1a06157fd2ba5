# Each target sets itself up on a fresh machine that has only python3:
# it creates .venv when missing and installs the package with its test tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# nbgrader creates its gradebook by running the alembic executable from this folder.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install lab grade-demo test generate generate-check bench bench-full clean

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

# bench runs every benchmark on fewer sizes, in a few minutes. bench-full measures
# every size of docs/benchmarks.md and grades a 60-student class twice (plain
# nbgrader and backprop-course grade), estimated at two hours. bench_torch.py skips
# itself unless PyTorch is installed: pip install -e ".[bench]".
bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_gradients_vs_forward.py --quick
	$(BIN)/python benchmarks/bench_gradcheck.py --quick
	$(BIN)/python benchmarks/bench_training_step.py --quick
	$(BIN)/python benchmarks/bench_torch.py --quick
	$(BIN)/python benchmarks/bench_notebooks.py --skip-grading
	$(BIN)/python benchmarks/bench_grading.py --students 4 01_chain_rule

bench-full: $(INSTALLED)
	$(BIN)/python benchmarks/bench_gradients_vs_forward.py
	$(BIN)/python benchmarks/bench_gradcheck.py
	$(BIN)/python benchmarks/bench_training_step.py
	$(BIN)/python benchmarks/bench_torch.py
	$(BIN)/python benchmarks/bench_notebooks.py
	$(BIN)/python benchmarks/bench_grading.py --students 60

clean:
	rm -rf build .pytest_cache
