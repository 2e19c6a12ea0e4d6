# The student's environment and `make lab`: included by the course repository's Makefile and by the student
# copy's (written by `reglab release --bundle`), so both set up and open the course the same way.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
ARGS   ?=

.PHONY: lab

# pip install, quiet when it works; when it fails, pip's whole explanation (with --quiet pip prints only
# "ResolutionImpossible", not which pin this Python cannot install), the Python it ran on, and its full log.
PIP_LOG := $(VENV)/pip-install.log
define pip_install
	@echo "pip install $(1)"
	@$(PIP) install --progress-bar off $(1) > $(PIP_LOG) 2>&1 || { \
	  echo "pip could not install $(1) with $$($(BIN)/python --version) ($(PYTHON)). pip said:" >&2; \
	  grep -v "is ignored: it is neither a file nor a directory" $(PIP_LOG) | tail -n 40 >&2; \
	  echo "(whole log: $(PIP_LOG))" >&2; exit 1; }
endef

# The virtual environment, created once, with a current pip.
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "$(PYTHON) -m venv failed: on Debian/Ubuntu install the venv module (sudo apt-get install python3-venv)" >&2; \
	  exit 1; }
	$(call pip_install,--upgrade pip)

# Student environment: runtime dependencies only, pinned by constraints.txt (markers pick the pins of older Pythons,
# e.g. Debian 12's python3 3.11.2).
$(BIN)/.reglab-runtime: pyproject.toml constraints.txt | $(BIN)/python
	$(call pip_install,-c constraints.txt -e .)
	touch $@

# JupyterLab on notebooks/. As root (a container, a cloud machine) with --allow-root: Jupyter refuses root without
# it. The environment's scripts come first on PATH, and its terminal is the user's shell as a plain (not login)
# shell, so it keeps that PATH and finds `reglab` (`reglab progress`): Jupyter starts a login shell when its output
# is not a terminal (a container, output to a log), and a login shell's /etc/profile resets PATH.
# lib/reglab/student_jupyter, first on JUPYTER_CONFIG_PATH, hides nbgrader's instructor tools and their server
# extensions (the Nbgrader menu: formgrader, course list, assignment list; create assignment; Validate stays).
lab: $(BIN)/.reglab-runtime
	PATH="$$(cd "$(BIN)" && pwd):$$PATH" \
	JUPYTER_CONFIG_PATH="$(CURDIR)/lib/reglab/student_jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root) \
	  "--ServerApp.terminado_settings={'shell_command': ['$${SHELL:-/bin/sh}']}" $(ARGS)
