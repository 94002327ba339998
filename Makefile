# vaes_biomed: the README's two commands are `make demo` and `make test`.
# Both set up a virtual environment first: the active one if there is one, else .venv here.
SHELL := /bin/bash
ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
BIN := $(VENV)/bin
PY := $(BIN)/python
# A pinned CPU build: an unpinned torch would pull a multi-GB CUDA build.
# Users with a GPU install their own torch first; an importable torch is kept.
TORCH_VERSION ?= 2.13.0
NB_WORKERS ?= 2

.PHONY: demo test setup setup-dev check-sync unit notebooks scverse ray docs docs-check bench calibration package clean

demo: setup
	$(BIN)/vaes-biomed demo --out demo

test: setup-dev check-sync unit notebooks scverse ray

$(PY):
	python3 -m venv $(VENV)

$(VENV)/.torch-installed: | $(PY)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install "torch==$(TORCH_VERSION)"
	touch $@

$(VENV)/.vaes-biomed-installed: setup.py settings.ini $(VENV)/.torch-installed
	$(PY) -m pip install -e .
	touch $@

$(VENV)/.vaes-biomed-dev-installed: setup.py settings.ini $(VENV)/.torch-installed
	$(PY) -m pip install -e ".[dev]"
	touch $@ $(VENV)/.vaes-biomed-installed

setup: $(VENV)/.vaes-biomed-installed
setup-dev: $(VENV)/.vaes-biomed-dev-installed

# The library must be what the notebooks export, and the notebooks must be committed clean
# (outputs cleared). Each step must leave nbs/ and vaes_biomed/ exactly as they were.
TREE_SUM = find vaes_biomed nbs -type f \( -name '*.py' -o -name '*.ipynb' \) -not -path '*/.ipynb_checkpoints/*' | LC_ALL=C sort | xargs sha1sum | sha1sum
check-sync: setup-dev
	@before=$$($(TREE_SUM)); $(BIN)/nbdev_export; after=$$($(TREE_SUM)); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: vaes_biomed/ is out of sync with nbs/: run nbdev_export and commit the result"; git status --short vaes_biomed nbs; exit 1; fi
	@before=$$($(TREE_SUM)); $(BIN)/nbdev_clean --clear_all; after=$$($(TREE_SUM)); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: notebooks are not clean: run 'nbdev_clean --clear_all' and commit the result"; git status --short nbs; exit 1; fi
	@echo "library and notebooks in sync and clean"

unit: setup-dev
	OMP_NUM_THREADS=1 $(BIN)/pytest -n $(NB_WORKERS) tests/

# MuData input needs the scverse extra, whose anndata pins pandas<3: its tests run in a second environment so that the
# main one keeps the pandas every other test and notebook was checked with.
SCVERSE_VENV ?= .venv-scverse
$(SCVERSE_VENV)/.installed: setup.py settings.ini
	python3 -m venv $(SCVERSE_VENV)
	$(SCVERSE_VENV)/bin/python -c "import torch" 2>/dev/null || $(SCVERSE_VENV)/bin/pip install "torch==$(TORCH_VERSION)"
	$(SCVERSE_VENV)/bin/pip install -e ".[dev,scverse]"
	touch $@

scverse: $(SCVERSE_VENV)/.installed
	OMP_NUM_THREADS=1 $(SCVERSE_VENV)/bin/pytest -p no:cacheprovider tests/test_scverse.py

# The documentation site (not part of make test): Sphinx + myst-nb + the book theme in a third environment, the
# narrative notebooks executed in quick mode, then screenshots of the built pages in Debian's headless Chromium.
# View it with: python3 -m http.server -d docs/_build/html 8000
DOCS_VENV ?= .venv-docs
CHROMIUM ?= /usr/bin/chromium
$(DOCS_VENV)/.installed: setup.py settings.ini
	python3 -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -c "import torch" 2>/dev/null || $(DOCS_VENV)/bin/pip install "torch==$(TORCH_VERSION)"
	$(DOCS_VENV)/bin/pip install -e ".[dev,docs]"
	touch $@

docs: $(DOCS_VENV)/.installed
	OMP_NUM_THREADS=1 $(DOCS_VENV)/bin/python docs/build_site.py
	$(MAKE) docs-check

$(CHROMIUM):
	@command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { echo "docs-check needs Chromium at $(CHROMIUM): install Debian's chromium package, or set CHROMIUM=/path/to/chrome"; exit 1; }
	apt-get install -y -q chromium

docs-check: $(DOCS_VENV)/.installed $(CHROMIUM)
	$(DOCS_VENV)/bin/python docs/check_site.py --chromium $(CHROMIUM)

# Ray (the optional extra `ray`) in its own environment, so that the main one stays as small as a user's: the tests
# start a local Ray with 2 CPUs and check that tuning grids give the same tables as the local executor.
RAY_VENV ?= .venv-ray
$(RAY_VENV)/.installed: setup.py settings.ini
	python3 -m venv $(RAY_VENV)
	$(RAY_VENV)/bin/python -c "import torch" 2>/dev/null || $(RAY_VENV)/bin/pip install "torch==$(TORCH_VERSION)"
	$(RAY_VENV)/bin/pip install -e ".[dev,ray]"
	touch $@

ray: $(RAY_VENV)/.installed
	OMP_NUM_THREADS=1 $(RAY_VENV)/bin/pytest -p no:cacheprovider tests/test_ray.py

notebooks: setup-dev
	VAES_BIOMED_QUICK=1 OMP_NUM_THREADS=1 $(BIN)/pytest --nbval-lax --nbval-current-env -n $(NB_WORKERS) --dist loadscope -p no:cacheprovider nbs/

# Benchmarks run outside the test suite. UPSTREAM=/path/to/move-dl adds upstream MOVE 1.5.0, installed in
# its own virtual environment (it pins numpy<2), measured side by side on the same data and seeds.
# The three cases of the speed issue; SEEDS picks the seeds. On a 2-core CPU upstream takes about 20 minutes per
# seed for the 24-refit case: PROJECT=M stops it after M saved refits and projects its time (no upstream scores).
SEEDS ?= 0 1 2
PROJECT ?=
BENCH = OMP_NUM_THREADS=1 $(PY) tests/benchmarks/bench.py $(if $(UPSTREAM),--upstream $(UPSTREAM),) --seeds $(SEEDS) --out bench
bench: setup
	$(BENCH) --case tutorial_ks --refits 1
	$(BENCH) --case tutorial_ks --refits 24 $(if $(PROJECT),--project-upstream-after $(PROJECT),)
	$(BENCH) --case large_bayes
	OMP_NUM_THREADS=1 $(PY) tests/benchmarks/bayes_decoding.py --bench bench --seeds $(SEEDS)
	OMP_NUM_THREADS=1 $(PY) tests/benchmarks/ap_variants.py --seeds $(SEEDS) --out bench

# The calls of the effect-size decision against MOVE's decision on the same refits: five data sets, realised against
# nominal FDR (tests/benchmarks/calibration.py; about 1.5 hours on a 2-core CPU for three seeds, most of it training).
calibration: setup
	OMP_NUM_THREADS=1 $(PY) tests/benchmarks/calibration.py --seeds $(SEEDS) --out bench/calibration

# The package as users get it (outside make test: it downloads packages): sdist and wheel built and checked with twine,
# the wheel installed into two clean virtual environments (numpy 1.26 and numpy 2), each running a short task.
package:
	bash tests/packaging/check_install.sh dist_check

clean:
	rm -rf results demo demo_data bench bench_tutorial_ks .pytest_cache dist_check
