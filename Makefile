# Two commands on a fresh machine (python3 >= 3.11, make, git):
#   make reports   creates .venv, installs, renders the bundled counties into reports/
#   make test      creates .venv if needed, runs lint and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: reports test test-all lint bench dist clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

reports: $(STAMP)
	$(BIN)/tcmcounty run --out reports

# mypy: the whole package, strict (pyproject.toml [tool.mypy]); cached in .mypy_cache (about 45 s
# cold, 1-3 s warm)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

# pytest exits 5 when it collects no test; that is not a failure of the suite. `-n auto`: one
# process per core (pytest-xdist; 5 min instead of 9 on 2 cores).
test: lint
	$(BIN)/python -m pytest -q -n auto || [ $$? -eq 5 ]

# everything, the `extended` tests too (kernel engine, LocalCluster, wheel build, data rebuilds)
test-all: lint
	$(BIN)/python -m pytest -q -m "extended or not extended"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_access.py --quick
	$(BIN)/python benchmarks/bench_coverage.py --quick
	$(BIN)/python benchmarks/bench_plan.py
	$(BIN)/python benchmarks/bench_batch.py --counties 6 --quick

# sdist, then the wheel built from it (the path a package index takes); offline, no isolation.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -c 'import hatchling.build as b; b.build_sdist("dist")'
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation --no-index -w dist dist/tcmcounty-*.tar.gz

clean:
	rm -rf $(VENV) dist reports/*.html reports/*.json reports/*.ipynb reports/*.xlsx reports/*.csv \
	  reports/.cache reports/.failed reports/.tcmcounty.lock reports/screenshots
