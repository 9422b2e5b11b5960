# The README's two set-up commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
OUT    ?= lrlab-out

.PHONY: demo test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamp files: re-install when the project's metadata or pins change.
$(VENV)/.lrlab-base: $(PY) pyproject.toml constraints.txt
	$(PIP) torch==2.13.0
	$(PIP) -e .
	touch $@

$(VENV)/.lrlab-dev: $(VENV)/.lrlab-base
	$(PIP) -e ".[dev]"
	touch $@

demo: $(VENV)/.lrlab-base
	$(VENV)/bin/lrlab demo --out $(OUT)

test: $(VENV)/.lrlab-dev
	$(PY) -m pytest

bench: $(VENV)/.lrlab-base
	for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) build src/*.egg-info
