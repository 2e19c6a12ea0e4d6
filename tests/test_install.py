"""The README's install works where students and instructors are: the pins are valid for every Python the README
names (Debian 12's python3 is 3.11.2; 3.11 to 3.13), and a failed install says why.

The environment built from /usr/bin/python3 by `make instructor`, with constraints.txt as it is, is checked in
``test_grading.py`` (the unprivileged batch grades with it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# manylinux tags a current x86-64 Linux accepts (pip takes --platform values literally)
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64"]


def pins() -> list[Requirement]:
    out = []
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(Requirement(line))
    return out


def declared_dependencies() -> list[str]:
    """Everything the course, its tests and the grader (with its cluster extra) ask for, but the local packages."""
    course = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    grader = tomllib.loads((ROOT / "autograder" / "pyproject.toml").read_text())["project"]
    deps = (course["dependencies"] + course["optional-dependencies"]["test"] + grader["dependencies"]
            + grader["optional-dependencies"]["cluster"])
    return [d for d in deps if Requirement(d).name != "reglab"]


@pytest.mark.parametrize("python", ["3.11.2", "3.11.5", "3.12.0", "3.13.0"])
def test_exactly_one_pin_per_package_for_each_python(python):
    env = dict(default_environment(), python_full_version=python, python_version=python.rsplit(".", 1)[0])
    seen: dict[str, int] = {}
    for req in pins():
        if req.marker is None or req.marker.evaluate(env):
            seen[req.name.lower()] = seen.get(req.name.lower(), 0) + 1
    assert {n: k for n, k in seen.items() if k != 1} == {}
    assert "soupsieve" in seen


def test_the_pins_resolve_for_newer_pythons(tmp_path):
    """pip's own resolver, against the package index, as for a machine whose python3 is 3.12 or 3.13 (binary wheels
    for x86-64 Linux), both at once (each mostly waits on the index). torch, a test-only cross-check pinned to the CPU
    build of this machine's Python 3.11, is left out: on another Python pip takes PyPI's CUDA build, whose CUDA
    packages the index may not carry."""
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("\n".join(d for d in declared_dependencies() if Requirement(d).name != "torch") + "\n")
    runs = {}
    for python in ("3.12", "3.13"):
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--python-version", python, "--only-binary=:all:", *[f"--platform={p}" for p in PLATFORMS],
               "--target", str(tmp_path / f"target-{python}"), "-c", str(ROOT / "constraints.txt"), "-r", str(reqs),
               "--report", str(tmp_path / f"report-{python}.json")]
        runs[python] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failed = {}
    for python, proc in runs.items():
        _, err = proc.communicate(timeout=600)
        if proc.returncode:
            failed[python] = err[-3000:]
    assert not failed, "the pins do not resolve for " + "; ".join(f"Python {v}:\n{e}" for v, e in failed.items())


def test_a_failed_install_prints_pips_reason(tmp_path):
    """`make lab`'s install, with a pin no Python can satisfy beside pyproject.toml's range: the Makefile prints
    pip's explanation (which pin, what asks for it) and the Python it ran on, not only "ResolutionImpossible"."""
    for name in ("Makefile", "pyproject.toml", "README.md", "student/lab.mk"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "lib" / "reglab", tmp_path / "lib" / "reglab",
                    ignore=shutil.ignore_patterns("__pycache__"))
    broken = [str(r) for r in pins() if r.name != "numpy"] + ["numpy==1.21.0"]  # pyproject.toml asks numpy>=1.26
    (tmp_path / "constraints.txt").write_text("\n".join(broken) + "\n")
    r = subprocess.run(["make", "-C", str(tmp_path), ".venv/bin/.reglab-runtime", f"PYTHON={sys.executable}"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode != 0
    assert "The conflict is caused by" in r.stderr and "numpy" in r.stderr, r.stderr[-3000:]
    assert f"Python {sys.version.split()[0]}" in r.stderr
    assert "pip-install.log" in r.stderr


def test_make_lab_starts_jupyterlab_as_whoever_runs_it(tmp_path):
    """`make lab` as root (a container, a cloud machine: Jupyter refuses root unless told --allow-root) or as an
    ordinary user serves the course; the environment `make test` built is already up to date, so nothing installs.
    Its terminal finds `reglab`, and nbgrader's instructor menus are hidden (the student copy's `make lab` is the
    same file, student/lab.mk: tests/test_student_copy.py)."""
    import json
    import os
    import urllib.request

    from helpers import assert_students_jupyterlab, make_lab

    env = dict(os.environ, REGLAB_PROGRESS_FILE=str(tmp_path / "progress.json"))
    with make_lab(ROOT, env=env) as (url, token, proc, _):
        with urllib.request.urlopen(f"{url}/api/contents?token={token}", timeout=30) as r:
            names = {item["name"] for item in json.load(r)["content"]}
        assert {"00_overfitting", "index.ipynb"} <= names  # the server's root is notebooks/
        assert_students_jupyterlab(url, token, proc, ROOT / ".venv" / "bin",
                                   ROOT / "lib" / "reglab" / "student_jupyter")
