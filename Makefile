# The two commands of the README: `make lab` (read and run) and `make test` (check everything).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch is installed first and pinned so pip never resolves an unpinned torch (a multi-GB CUDA
# build on Linux). Override for your machine, e.g. a CPU-only build on a Linux laptop:
#   make lab TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH  ?= torch==2.13.0
NB     ?= $(wildcard notebooks/[0-9][0-9]_*.ipynb)

.PHONY: lab test lint unit notebooks render nbval reproduce bench browser screenshot binder-check colab-check clean help

help:
	@echo "make lab     set up .venv and open JupyterLab on notebooks/"
	@echo "make test    set up .venv and run lint, unit tests, notebook hygiene, every notebook at ci scale"
	@echo "make render  re-run notebooks at small scale and save their outputs (NB=notebooks/01_....ipynb)"
	@echo "make nbval   run the notebooks with pytest --nbval-lax at LBDL_SCALE=ci (part of make test)"
	@echo "make reproduce  re-run notebooks at small and compare every output with the committed one"
	@echo "make bench   the chapter-5 GPT against a plain reference GPT, lever by lever (A/B in one process)"
	@echo "make browser every notebook in JupyterLab in headless Chromium at ci, widgets moved (NB=... for some)"
	@echo "make screenshot    README's screenshot (docs/jupyterlab.png) of a rendered notebook in JupyterLab"
	@echo "make binder-check  every notebook at small under one CPU, 2 GB and no network, as on Binder"
	@echo "make colab-check   notebooks at ci in a Colab-like venv (Python 3.12, ipywidgets 7.7.1), installed as on Colab"

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
	$(PY) -m pytest -m "not notebooks"

notebooks: $(VENV)/.test
	$(PY) -m pytest -m notebooks

# Every notebook runs twice at ci: through papermill (parameters injected, metrics checked) in
# pytest's tests, and through nbval, as a plain pytest user would run them. The two runs share one
# zoo cache, empty at the start: papermill's run trains the zoo's models cold, nbval's loads them.
test: lint $(VENV)/.test
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	LBDL_TEST_ZOO="$$tmp" $(PY) -m pytest && \
	$(MAKE) --no-print-directory nbval ZOO="$$tmp"

render: $(VENV)/.test
	$(PY) scripts/render.py $(NB)

# ZOO: a zoo cache to use (make test passes its own); by default an empty temporary one.
nbval: $(VENV)/.test
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	LBDL_SCALE=ci LBDL_HEADLESS=1 LBDL_CACHE="$(if $(ZOO),$(ZOO),$$tmp)" $(PY) -m pytest --nbval-lax -p no:cacheprovider $(NB)

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

# Colab-like: another Python with Colab's pins; the first download of torch's CUDA build takes a while.
COLAB_PYTHON ?= $(HOME)/.pyenv/versions/3.12.1/bin/python
colab-check: $(VENV)/.test
	$(PY) scripts/colab_check.py --python $(COLAB_PYTHON) $(NB)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
