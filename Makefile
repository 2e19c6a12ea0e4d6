# reglab: two commands from a fresh machine.
#   make lab    set up and open the course in JupyterLab
#   make test   set up and run every test
# (make student writes the copy students receive: no solutions, hidden tests or grader.)
PYTEST_ARGS ?=
# test processes (pytest-xdist); more than the cores made the suite slower here (2 cores) and the browser tests flaky
TEST_WORKERS ?= auto

.PHONY: lab test lint instructor bench figures lock release student clean help sysdeps

help:
	@echo "make lab    - create .venv, install the course, open JupyterLab on notebooks/ (ARGS=--no-browser on a headless machine)"
	@echo "make student - write the student copy into $(STUDENT)/ and $(STUDENT).zip: what students receive"
	@echo "make test   - create .venv with test extras and the grader, lint (ruff) and run the whole test suite"
	@echo "make lint   - ruff check of the code and the notebooks (configuration in pyproject.toml)"
	@echo "make instructor - install the grader (autograder/) into .venv: reglab grade, formgrader, feedback, handback"
	@echo "make bench  - run the benchmarks and print their ratio tables (library, explorations, grading, widget stall, cluster)"
	@echo "make figures - points, run time per session and equations checked, for the whole course"
	@echo "make release - regenerate notebooks/ from solutions/ (nbgrader generate_assignment)"
	@echo "make lock   - regenerate constraints.txt from the current .venv"

# The student's environment and `make lab` (PYTHON, VENV, BIN, ARGS, pip_install): the same file drives the
# student copy's Makefile.
include student/lab.mk

# Instructors' environment: the course plus the grader, a distribution of its own in autograder/
# (students never install it: no sandbox or grading code in their environment).
$(BIN)/.reglab-instructor: $(BIN)/.reglab-runtime autograder/pyproject.toml
	$(call pip_install,-c constraints.txt -e ./autograder[cluster])
	touch $@

instructor: $(BIN)/.reglab-instructor

# Test environment: the course with its test extras and the grader, in one pip run (one resolution instead of
# three: about half a minute less on a fresh clone); it is also the student's and the instructor's environment.
$(BIN)/.reglab-test: pyproject.toml constraints.txt autograder/pyproject.toml | $(BIN)/python
	$(call pip_install,-c constraints.txt -e .[test] -e ./autograder[cluster])
	touch $(BIN)/.reglab-runtime $(BIN)/.reglab-instructor $@

# System packages the tests need: Debian's chromium for the browser tests (Playwright drives it;
# browser downloads do not work on these machines); bubblewrap, the grader's sandbox; the system's
# Python with venv, for grading as an unprivileged user in the tests; PostgreSQL's server (initdb, pg_ctl: the
# cluster tests start a throwaway one; found on PATH or under /usr/lib/postgresql/*/bin).
sysdeps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; }
	@{ command -v bwrap >/dev/null 2>&1 && /usr/bin/python3.11 -c "import ensurepip, venv" >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's bubblewrap (the grader's sandbox) and python3-venv..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap python3.11-venv >/dev/null; \
	  else \
	    echo "The grader's sandbox needs bubblewrap: sudo apt-get install bubblewrap python3.11-venv" >&2; exit 1; \
	  fi; }
	@{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's PostgreSQL server (the cluster tests start their own; no system cluster is created)..."; \
	    mkdir -p /etc/postgresql-common/createcluster.d && \
	    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/reglab-no-main-cluster.conf && \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "The cluster tests need PostgreSQL's server programs: sudo apt-get install postgresql" >&2; exit 1; \
	  fi; }

# Lint the code and the notebooks' code cells; any finding fails `make test`.
lint: $(BIN)/.reglab-test
	$(BIN)/ruff check .

test: $(BIN)/.reglab-test sysdeps lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS)

bench: $(BIN)/.reglab-test
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/widget_stall.py
	$(BIN)/python benchmarks/cluster.py

figures: $(BIN)/.reglab-test
	$(BIN)/python benchmarks/course_figures.py

release: $(BIN)/.reglab-runtime
	$(BIN)/reglab release

# What students receive (reglab release --bundle): the student notebooks, the course index, the library, a README
# and a Makefile of their own; nothing of solutions/, the hidden tests, the grader or the tests.
STUDENT ?= build/reglab-student
student: $(BIN)/.reglab-runtime
	rm -rf $(STUDENT) $(STUDENT).zip
	$(BIN)/reglab release --bundle $(STUDENT) --zip

# Pins with an environment marker (another version for older Pythons) are kept as they are: written by hand.
lock:
	{ echo "# Pins for older Pythons (environment markers), kept by make lock:"; grep ';' constraints.txt; } > constraints.markers
	$(PIP) freeze --exclude-editable \
	  | sed -e 's/^torch==\([0-9.]*\)+cpu/torch==\1/' -e 's|^torch @ .*torch-\([0-9.]*\)%2Bcpu.*|torch==\1|' \
	  | awk -F'==' 'NR == FNR { split($$0, pin, "=="); kept[tolower(pin[1])] = 1; next } !(tolower($$1) in kept)' \
	      constraints.markers - > constraints.tmp
	{ echo "# Exact versions every student and CI gets (pip constraints: pip install -c constraints.txt ...)."; \
	  echo "# Regenerate with: make lock"; cat constraints.tmp constraints.markers; } > constraints.txt
	rm constraints.tmp constraints.markers

clean:
	rm -rf $(VENV) .pytest_cache build lib/*.egg-info
