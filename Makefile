# The README's two set-up commands: `make demo` and `make test` (the linters, then the tests).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
OUT    ?= lrlab-out

.PHONY: demo lint test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamp files: re-install when the project's metadata or pins change.
$(VENV)/.lrlab-base: $(PY) pyproject.toml constraints.txt
	$(PIP) torch==2.13.0
	$(PIP) -e .
	touch $@

# The dev install includes the linters (ruff, mypy), the benchmarks' anchors (the bench extra) and every
# integration's extra, so that their tests run.
$(VENV)/.lrlab-dev: $(VENV)/.lrlab-base
	$(PIP) -e ".[dev,bench,lightning,transformers,notebook]"
	touch $@

demo: $(VENV)/.lrlab-base
	$(VENV)/bin/lrlab demo --out $(OUT)

# ruff lints and checks the formatting of everything (src, tests, benchmarks, scripts); mypy checks the package.
lint: $(VENV)/.lrlab-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src/lrlab

test: lint
	$(PY) -m pytest

bench: $(VENV)/.lrlab-dev
	for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) build src/*.egg-info
