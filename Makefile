# Two entry points (see README): `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/redis-cache-dev.yaml

.PHONY: setup demo test validators lint eval bench bench-quick clean

$(BIN)/opsteam: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	# The editable finder's notice ("Editable installation") is information, not a problem.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e ".[dev,validators,postgres,studio]"
	touch $@

setup: $(BIN)/opsteam

validators: setup
	bash .ci/install-validators.sh

demo: setup validators
	# Exit 3 is a run paused at a human checkpoint: the output says how to decide it.
	OPSTEAM_HOME=$${OPSTEAM_HOME:-.opsteam-demo} $(BIN)/opsteam submit $(EXAMPLE) --out out/demo || [ $$? -eq 3 ]
	@echo "This demo's runs live in $${OPSTEAM_HOME:-.opsteam-demo}: to decide, run"
	@echo "  export OPSTEAM_HOME=$${OPSTEAM_HOME:-$$PWD/.opsteam-demo}; source $(BIN)/activate"
	@echo "then the approve command above; the bundle is written to out/demo when the run completes."

test: setup validators
	$(BIN)/python -m pytest -n 2 --cov --cov-report=
	$(BIN)/python .ci/coverage_summary.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy -p opsteam
	$(BIN)/lint-imports

# The request routing eval (evals/requests) and the incident triage eval (evals/incidents):
# each exits non-zero when a target is missed.
eval: setup
	$(BIN)/opsteam eval
	$(BIN)/opsteam eval --incidents

# Side-by-side benchmarks (opsteam vs a bare LangGraph graph of the same shape) -> BENCHMARKS.md.
# About 10-15 minutes on 2 cores; needs the local PostgreSQL (or: bench/run.py --no-postgres).
bench: setup
	$(BIN)/python bench/run.py

# The same harness with few repetitions (a smoke run); writes out/BENCHMARKS-quick.md.
bench-quick: setup
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) build dist *.egg-info out .opsteam-demo
