# Beatwise: make run | make test | make bench | make screenshots
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export LANG := C.UTF-8
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test bench screenshots system-deps venv clean lint installer

system-deps:
	@PYTHON=$(PYTHON) bash installer/debian-deps.sh

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Beatwise needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: system-deps $(STAMP)

run: venv
	@bash installer/run.sh $(VENV)

lint: venv
	$(VENV)/bin/lint-imports

test: venv
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile

bench: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -s -p no:cacheprovider \
		-o python_files='bench_*.py test_*.py' tests/benchmarks

screenshots: venv
	xvfb-run -a -s "-screen 0 1600x1000x24" $(VENV)/bin/beatwise-desktop --screenshot resources/screenshots/main-window.png
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/beatwise-desktop --screenshot resources/screenshots/main-window-offscreen.png

clean:
	rm -rf $(VENV) build dist *.egg-info beatwise-demo

# builds dist/beatwise and the .deb, then (as root) installs it, runs it and purges it again;
# BEATWISE_REUSE_VENV=1 keeps the build venv between runs
installer: system-deps
	bash installer/build.sh
	bash installer/test_deb.sh
