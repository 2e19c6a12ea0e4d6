"""The project's own promises: layout, pinned environment, the two README commands, the CLI."""

import ast
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


def _source_names(path):
    """Every name a module's code uses (names and attributes) and the names it imports from each module."""
    tree = ast.parse(path.read_text())
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    imported = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            imported.setdefault(n.module, set()).update(a.name for a in n.names)
    return used, imported


def test_the_capstone_runs_on_the_mlp_engine_and_repeats_none_of_it():
    """One network engine: capstone.py computes no softmax, log-softmax or ReLU of its own and defines no forward
    pass, input check, NLL or probabilities: it imports them from mlp.py (the lower layer, which imports nothing
    from it)."""
    lib = ROOT / "lib" / "reglab"
    used, imported = _source_names(lib / "capstone.py")
    assert not used & {"softmax", "log_softmax", "_softmax", "_log_softmax", "maximum", "check_labels"}
    assert {"check_network_input", "backprop", "network_nll", "network_proba"} <= imported["mlp"]
    defined = {n.name for n in ast.walk(ast.parse((lib / "capstone.py").read_text()))
               if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert not defined & {"_forward", "_check_xy", "_nll", "_proba", "forward_pass", "check_network_input"}
    assert "capstone" not in _source_names(lib / "mlp.py")[1]


def test_names_say_what_they_are_and_unused_api_is_gone():
    lib = ROOT / "lib" / "reglab"
    sources = {p: p.read_text() for p in lib.rglob("*.py")}
    sources |= {p: p.read_text() for p in (ROOT / "solutions").rglob("*.ipynb")}
    for path, text in sources.items():
        for gone in ("best_layers", "nearest_neighbor_predict", "previous_session", "reglab.SESSIONS"):
            assert gone not in text, f"{path.relative_to(ROOT)} still says {gone}"
    assert not hasattr(reglab, "SESSIONS") and set(reglab.SESSION_MODULES) == {s.id for s in reglab.course.SESSIONS}
    assert not hasattr(reglab.mlp, "compare_regularizers") and not hasattr(reglab.mlp, "CAPSTONE_METHODS")
