# The two commands of the README: `make lab` (read and run) and `make test` (check everything).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch is installed first and pinned so pip never resolves an unpinned torch (a multi-GB CUDA
# build on Linux). Override for your machine, e.g. a CPU-only build on a Linux laptop:
#   make lab TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH  ?= torch==2.13.0
NB     ?= $(wildcard notebooks/[0-9][0-9]_*.ipynb)

.PHONY: lab test lint unit render nbval budgets reproduce bench browser screenshot binder-check colab-check oldest-check student zoo slides hub-check \
	clean help

help:
	@echo "make lab     set up .venv and open JupyterLab on notebooks/"
	@echo "make test    set up .venv and run lint, unit tests, notebook hygiene, every notebook at ci scale"
	@echo "make render  re-run notebooks at small scale and save their outputs (NB=notebooks/01_....ipynb)"
	@echo "make nbval   every notebook once at ci through nbval, checked (the notebook half of make test)"
	@echo "make budgets each notebook's first visit timed, scaled to the slowest machine (SCALE=ci|small)"
	@echo "make reproduce  re-run notebooks at small and compare every output with the committed one"
	@echo "make bench   the chapter-5 GPT against a plain reference GPT, lever by lever (A/B in one process)"
	@echo "make browser every notebook in JupyterLab in headless Chromium at ci, widgets moved (NB=... for some)"
	@echo "make screenshot    README's screenshot (docs/jupyterlab.png) of a rendered notebook in JupyterLab"
	@echo "make binder-check  every notebook at small under one CPU, 2 GB and no network, as on Binder"
	@echo "make colab-check   notebooks at ci in a Colab-like venv (Python 3.13, Colab's torch, numpy, matplotlib, ipywidgets 7.7.1)"
	@echo "make oldest-check  notebooks at ci with Python and every dependency at pyproject's lower bounds"
	@echo "make student each chapter's student edition (no solutions) in student/; grade with lbdl-grade (README)"
	@echo "make hub-check     JupyterHub on this machine, two students run chapter 5 from a shared read-only zoo"
	@echo "make slides one offline reveal.js deck per chapter in slides/, checked in Chromium (network cut)"
	@echo "make zoo    every zoo model pre-trained at SCALE into ZOO=DIR, a class's shared read-only zoo (README)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.torch: | $(PY)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install $(TORCH)
	touch $@

$(VENV)/.lab: pyproject.toml $(VENV)/.torch
	$(PY) -m pip install -e ".[lab]"
	$(VENV)/bin/jupyter labextension disable --level=sys_prefix "@jupyterlab/apputils-extension:announcements"
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.torch
	$(PY) -m pip install -e ".[test]"
	touch $@

CHROMIUM ?= /usr/bin/chromium
$(VENV)/.browser: pyproject.toml $(VENV)/.lab
	$(PY) -m pip install -e ".[lab,browser]"
	@test -x $(CHROMIUM) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && apt-get install -y -qq chromium; } || \
	  { echo "make browser needs Chromium at $(CHROMIUM): apt-get install chromium (or CHROMIUM=/path)"; exit 1; }
	touch $@

# Jupyter refuses to run as root unless told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

lab: $(VENV)/.lab
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .

unit: $(VENV)/.test
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) -p no:cacheprovider

# One pytest session: lint aside, everything runs there, two workers side by side (pytest-xdist), each
# notebook once. scripts/ci_notebooks.py installs lbdlutils as a wheel would be, makes a one-thread
# kernel that imports it, and writes each notebook's copy with papermill's parameters injected
# (SCALE="ci") and a last cell that checks its recorded metrics; nbval runs each copy cell by cell,
# longest first (order.txt), then the unit tests fill the gaps. The copies live under build/ (ignored),
# inside pytest's rootdir so that their test ids keep their names, three folders down so that no
# path written for notebooks/ resolves.
# No test times anything: the summary reports each notebook's time (make budgets compares them).
JOBS ?= 2
CI_RUN = mkdir -p build && tmp=$$(mktemp -d "$$PWD/build/ci.XXXXXX") && trap 'rm -rf "$$tmp"' EXIT && \
	$(PY) scripts/ci_notebooks.py "$$tmp" $(NB) && \
	JUPYTER_PATH="$$tmp/jupyter" PYTHONPATH=scripts OMP_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) \
	--dist loadscope --no-loadscope-reorder -p ci_notebooks -p no:cacheprovider --rootdir . -c pyproject.toml \
	--nbval-lax --nbval-kernel-name lbdl-ci --nbval-cell-timeout 900

test: lint $(VENV)/.test
	$(CI_RUN) $$(cat "$$tmp/order.txt") tests

render: $(VENV)/.test
	$(PY) scripts/render.py $(NB)

# The notebook half of make test: every notebook (or NB=...) once at ci, cell by cell, checked.
nbval: $(VENV)/.test
	$(CI_RUN) $$(cat "$$tmp/order.txt")

# Each notebook's first visit timed alone and scaled to the slowest machine we know (not in make test).
SCALE ?= ci
budgets: $(VENV)/.test
	$(PY) scripts/budgets.py --scale $(SCALE) --out benchmarks/budgets-$(SCALE).md $(NB)

reproduce: $(VENV)/.test
	$(PY) scripts/reproduce.py $(NB)

bench: $(VENV)/.test
	$(PY) benchmarks/gpt_bench.py

# Not part of make test: it needs a browser, and takes as long as the notebooks at ci plus the widgets.
browser: $(VENV)/.browser
	$(PY) scripts/browser_check.py --chromium $(CHROMIUM) $(NB)

# README's screenshot: chapter 6 as a reader first opens it in JupyterLab, with its rendered outputs.
screenshot: $(VENV)/.browser
	$(PY) scripts/browser_check.py --chromium $(CHROMIUM) --readme-shot docs/jupyterlab.png

# Not part of make test either: it runs every notebook at small, one at a time, on one CPU (half an hour).
binder-check: $(VENV)/.test
	$(PY) scripts/binder_check.py $(NB)

# Colab-like: Colab's Python (3.13) with Colab's pins; the first download of torch's CUDA build takes a while.
# oldest-check: pyproject's floors (Python and every dependency at its lower bound), a plain install, at ci.
COLAB_PYTHON ?= $(HOME)/.pyenv/versions/3.13.0/bin/python
colab-check: $(VENV)/.test
	$(PY) scripts/colab_check.py --env colab --python $(COLAB_PYTHON) $(NB)

oldest-check: $(VENV)/.test
	$(PY) scripts/colab_check.py --env oldest $(NB)

# Lecture decks: one reveal.js deck per chapter in slides/ (from the committed outputs, nothing fetched when
# opened), then each opened in Chromium with the network cut: slide count, figures, math. reveal.js, MathJax,
# require.js and jQuery come from npm once (build/slides-npm). `scripts/slides.py tag` writes the slide metadata.
$(VENV)/.slides: pyproject.toml $(VENV)/.browser  # Chromium comes with make browser's set-up
	$(PY) -m pip install -e ".[test,lab,browser,slides]"
	touch $@

slides: $(VENV)/.slides
	$(PY) scripts/slides.py build slides $(NB)
	$(PY) scripts/slides.py check $(CHROMIUM) slides $(NB)

# A class's JupyterHub for real (not part of make test): two students run chapter 5 at ci from a shared,
# read-only zoo, through the hub's API (docs/hub/jupyterhub_config.py is the set-up docs/teaching.md gives).
$(VENV)/.hub: pyproject.toml $(VENV)/.test
	$(PY) -m pip install -e ".[test,hub]"
	touch $@

hub-check: $(VENV)/.hub
	$(PY) scripts/hub_check.py

# A class's shared zoo: every recipe pre-trained at SCALE into ZOO, for students' kernels to read (LBDL_ZOO_SHARED).
ZOO ?= zoo-shared
zoo: $(VENV)/.test
	$(PY) -m lbdlutils.zoo --scale $(if $(filter command line environment,$(origin SCALE)),$(SCALE),small) --out $(ZOO)

# The classroom: the student editions (README, Teaching). A file a student changed is kept (FORCE=--force).
student: $(VENV)/.test
	$(PY) -m lbdlutils.classroom student --out student $(FORCE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
