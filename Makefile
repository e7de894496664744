# Plain entry points.  `make app` and `make test` set everything up on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8866

.PHONY: setup bytecode system app demo test test-fast docs template bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The package's bytecode (again after an edit; a quick look when nothing changed).  Each page of
# the app starts a kernel that imports the package, and where PYTHONDONTWRITEBYTECODE is set
# (as in many containers) Python would otherwise compile every module again in each kernel.
bytecode: setup
	$(BIN)/python -m compileall -q teichaku_nb

# The conference app (Voila) on the bundled demo data: open the URL it prints (with its token).
app: bytecode
	$(BIN)/teichaku app --port $(PORT)

system:
	bash scripts/system-packages.sh

# The store tests also run against PostgreSQL when a server can be started here (Debian's
# postgresql, on loopback); otherwise they say they skipped it.
test: system bytecode
	TEICHAKU_TEST_PG_URL="$${TEICHAKU_TEST_PG_URL:-$$(bash scripts/start-postgres.sh || true)}" \
		$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -x -q -m "not slow"

# Regenerate what is generated from schema.py and checked in.
docs: setup
	$(BIN)/python -m teichaku_nb.template README.md

template: setup
	$(BIN)/teichaku template data/templates/teichaku_template.xlsx --force

demo: setup
	$(BIN)/teichaku demo teichaku_nb/demo/demo.xlsx --users 36 --months 12 --seed 1 --end 2026-10 --force

bench: bytecode
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/validate_memory.py
	$(BIN)/python benchmarks/review.py
	$(BIN)/python benchmarks/audit.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/reports.py --format pdf
	$(BIN)/python benchmarks/app.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
