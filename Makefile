# One virtualenv, installed from the project's own files with pinned versions.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The tests start many interpreters: let them keep compiled bytecode, Python's default, even
# where the environment turns it off (each would compile synth and rewrite the tests again).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup demo test test-slow lint format docs bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: setup  ## the main job on the embedded default: a local folder, ./data
	$(BIN)/synth generate --preset dents --out data --count 200 --seed 1 --overwrite

test: setup  ## derandomized Hypothesis (profile ci): CI cannot go red by chance
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -n auto -m "not slow"

test-slow: setup  ## the slower tier, end to end (CI runs it after make test); none is a pass
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -n auto -m slow || test $$? -eq 5

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

docs: setup  ## regenerate the docs' generated tables and figures, then build the site (warnings fail)
	$(BIN)/python docs/generate.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/bench_generate.py --memory 200,20000 --large
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/bench_upload.py
	$(BIN)/python bench/bench_strategies.py
	$(BIN)/python bench/bench_fuzz.py 20
	$(BIN)/python bench/bench_painters.py
	$(BIN)/python bench/bench_trace.py 2048 9
	$(BIN)/python bench/bench_sizes.py --sizes 2048,4096 --images 3
	$(BIN)/python bench/bench_dask.py
	$(BIN)/python docs/generate.py  # the results into their pages

clean:
	rm -rf $(VENV) data site .pytest_cache .ruff_cache .hypothesis .mypy_cache *.egg-info
