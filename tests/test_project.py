"""The project's own promises: layout, pinned environment, the two README commands, the CLI."""

import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

import reglab
from reglab import cli

ROOT = Path(__file__).resolve().parents[1]


def _constraints():
    """{package: version} of the pins that apply to this Python (constraints.txt has environment markers)."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate():
                pins[req.name.lower().replace("_", "-")] = str(req.specifier).removeprefix("==")
    return pins


def test_layout_exists():
    for p in ["notebooks", "solutions", "autograder", "lib/reglab", "tests", "environment.yml", "pyproject.toml",
              "Makefile", "README.md", ".ci/run", "constraints.txt", "benchmarks"]:
        assert (ROOT / p).exists(), p


def test_every_dependency_is_pinned():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _constraints()
    deps = meta["dependencies"] + meta["optional-dependencies"]["test"]
    for dep in deps:
        name = re.split(r"[<>=!~\[ ]", dep, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pins, f"{name} is not pinned in constraints.txt"


def test_environment_yml_mirrors_the_pins():
    text = (ROOT / "environment.yml").read_text()
    pins = _constraints()
    runtime = ["jupyterlab", "notebook", "numpy", "matplotlib", "nbgrader", "ipywidgets",
               "scikit-learn", "threadpoolctl"]
    for name in runtime:
        assert f"{name}=={pins[name]}" in text, f"environment.yml does not pin {name}=={pins[name]}"
    assert "-e ." in text


def test_readme_has_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = [line for line in (ROOT / ".ci/run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert ci[-1].strip() == "make test"


def test_each_session_module_names_its_session():
    for number, (sid, modname) in enumerate(reglab.SESSION_MODULES.items()):
        mod = importlib.import_module(modname)
        assert mod.__doc__.startswith(f"Session {number} "), modname
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj):
                assert obj.__doc__, f"{modname}.{name} has no docstring"


def test_cli_sessions(capsys):
    assert cli.main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "01_l2_weight_decay" in out and "reglab.l2" in out


def test_console_command_is_installed():
    exe = Path(sys.executable).with_name("reglab")
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"reglab {reglab.__version__}"


def _declared_equations():
    found = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for m in re.finditer(r"@pytest\.mark\.equation\(([^)]*)\)\s*\n(?:@[^\n]*\n)*def (\w+)", path.read_text()):
            for eq in re.findall(r'"([^"]+)"', m.group(1)):
                found.setdefault(eq, []).append(f"{path.name}::{m.group(2)}")
    return found


def test_every_spec_equation_is_checked_numerically(capsys):
    from reglab.course import SPEC_EQUATIONS

    found = _declared_equations()
    missing = sorted(set(SPEC_EQUATIONS) - set(found))
    unknown = sorted(set(found) - set(SPEC_EQUATIONS))
    assert not missing, f"spec equations no test checks: {missing}"
    assert not unknown, f"tests mark equations the spec list does not have: {unknown}"
    print(
        f"{len(SPEC_EQUATIONS)} spec equations and facts checked numerically by {sum(map(len, found.values()))} tests"
    )
