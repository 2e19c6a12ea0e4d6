"""The grader as a package of its own: what students install carries none of it, its modules import each
other without cycles and only from their layer or below (no command from another), its nbgrader configuration is
derived from nbgrader's defaults, and the report's misconception counts are read from autograded notebooks."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import reglab_autograder
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.preprocessors import CheckCellMetadata, ClearHiddenTests, Execute, GetGrades, SaveAutoGrades
from reglab_autograder import config, misconceptions, report
from reglab_autograder.jobs import JobRecord, Note, Part
from reglab_autograder.plugins.late import LatePenalty, LatePolicy
from reglab_autograder.preprocessors import metadata
from reglab_autograder.preprocessors.execute import SandboxedExecute
from reglab_autograder.preprocessors.feedback import NoteUnrenderedFigures, RedactTracebacks, SanitizeFeedback
from reglab_autograder.preprocessors.graded_view import FeedbackSummary, GradedGate
from reglab_autograder.preprocessors.intake_rules import INTAKE_RULES
from reglab_autograder.testing.classroom import cell_by_id, released

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(reglab_autograder.__file__).parent
A0 = "00_overfitting"


def test_the_students_library_has_no_grading_code():
    lib = ROOT / "lib" / "reglab"
    assert not (lib / "grading").exists()
    for path in lib.rglob("*.py"):
        text = path.read_text()
        for word in ("setuid", "CLONE_NEWNS", "unshare", "RLIMIT_", "SandboxedExecute"):
            assert word not in text, f"{path.relative_to(ROOT)} mentions {word}"


def test_without_the_grader_reglab_grade_says_how_to_install_it():
    code = ("import sys; sys.modules['reglab_autograder'] = None  # as if not installed\n"
            "from reglab import cli; sys.exit(cli.main(['grade', 'submissions', '--workers', '2']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 2 and "make instructor" in r.stderr and "pip install -e autograder" in r.stderr


def _imports(path: Path) -> set[str]:
    """Modules of this package that ``path`` imports (at any level, also inside functions)."""
    pkg = "reglab_autograder"
    here = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[:-node.level]) if here[-1] != "__init__" or node.level > 1 else list(here[:-1])
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith(pkg):
                found.add(mod)
                found.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(pkg))
    return found


def test_no_import_cycle_in_the_grader():
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")}
    modules = {m.removesuffix(".__init__"): p for m, p in modules.items()}
    graph = {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}
    done, stack = set(), []

    def visit(m):
        if m in stack:
            pytest.fail("import cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
        if m in done:
            return
        stack.append(m)
        for n in sorted(graph[m]):
            visit(n)
        stack.pop()
        done.add(m)

    for m in sorted(graph):
        visit(m)
    assert "reglab_autograder.report" not in graph["reglab_autograder.report"]


# The grader's layers, lowest first: a module imports from its own layer and those below, never from above.
LAYERS = (
    # the kinds of the report's rows (a leaf: it imports nothing of the grader)
    ("vocabulary", ("rows",)),
    # parts of their own: the sandbox (its launcher and in-sandbox half run without the rest of the grader) and the
    # trusted-verdicts checker
    ("parts", ("sandbox", "verdicts")),
    # records, rules and files every path reads: the job record, the execution's events, the gradebook, the
    # submission's intake, dates, the nbgrader plugins, the report
    ("base", ("common", "jobs", "execution", "database", "mathjax", "misconceptions", "progress", "converters",
              "dates", "roster", "intake", "gradebook", "options", "discovery", "plugins", "report")),
    ("preprocessors", ("preprocessors",)),
    # the grading course, its configuration, one job (worker), the cluster path, formgrader's server extension
    ("grading", ("config", "exporters", "coursedir", "worker", "survey", "formgrader_server", "cluster")),
    ("commands", ("commands",)),
    ("cli", ("cli", "testing")),
)


def _grader_modules() -> dict[str, Path]:
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")}
    return {m.removesuffix(".__init__"): p for m, p in modules.items()}


def _part(module: str) -> str:
    """The top-level module or subpackage of the grader that ``module`` belongs to."""
    return module.split(".")[1] if "." in module else ""


def test_every_module_of_the_grader_has_a_layer():
    parts = {part for _, members in LAYERS for part in members}
    assert {_part(m) for m in _grader_modules() if m != "reglab_autograder"} == parts


def test_the_graders_modules_import_only_from_their_layer_or_below():
    rank = {part: i for i, (_, members) in enumerate(LAYERS) for part in members}
    modules = _grader_modules()
    wrong = []
    for m, path in sorted(modules.items()):
        if m == "reglab_autograder":
            continue
        for i in sorted(_imports(path)):
            if i in modules and i != "reglab_autograder" and rank[_part(i)] > rank[_part(m)]:
                wrong.append(f"{m} imports {i}")
    assert wrong == []


def test_the_sandbox_and_the_checker_import_nothing_of_the_grader_outside_themselves():
    modules = _grader_modules()
    assert {i for i in _imports(modules["reglab_autograder.rows"]) if i in modules} == set()  # a leaf
    for m, path in modules.items():
        if _part(m) in ("sandbox", "verdicts"):
            # the row kinds' vocabulary (a leaf) only: the checker's events are report rows
            outside = {i for i in _imports(path) if i in modules and _part(i) not in (_part(m), "rows")}
            assert outside == set(), f"{m} imports {outside}"
    zygote = PACKAGE / "sandbox" / "zygote.py"  # run as a script inside the sandbox, where the package is masked
    assert _imports(zygote) == set() and "from ." not in zygote.read_text()


def test_no_command_imports_another_command():
    modules = _grader_modules()
    commands = {m for m in modules if _part(m) == "commands" and m != "reglab_autograder.commands"}
    assert len(commands) == 4
    for m in commands:
        assert {i for i in _imports(modules[m]) if i in commands and i != m} == set(), m
    importers = {m for m, p in modules.items() if _imports(p) & commands}
    assert importers == {"reglab_autograder.cli"}


# calls whose argument is a report row's kind: the callee's name -> the kind's position
KIND_ARGUMENT = {"Problem": 0, "Note": 2, "ProblemRow": 2, "report": 1, "_event": 0, "event": 0}
# every module of the grader names its rows' kinds through the vocabulary (reglab_autograder.rows.Kind), never as a
# literal
KINDS_BY_NAME = tuple(str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py")))


def _kind_literals(path: Path) -> list[tuple[int, str]]:
    """(line, string) of every string literal given as a row's kind in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name not in KIND_ARGUMENT:
            continue
        pos = KIND_ARGUMENT[name]
        arg = node.args[pos] if len(node.args) > pos else next((k.value for k in node.keywords if k.arg == "kind"),
                                                               None)
        found += [(node.lineno, kind) for kind in _strings(arg)]
    return found


def _strings(node) -> list[str]:
    """The string literals an expression may evaluate to (``"a" if x else "b"``: both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def test_every_row_kind_is_in_the_vocabulary_and_named_through_it():
    from reglab_autograder.rows import Kind

    unknown = [f"{p.relative_to(PACKAGE)}:{line}: {kind!r}" for p in sorted(PACKAGE.rglob("*.py"))
               for line, kind in _kind_literals(p) if kind not in {k.value for k in Kind}]
    assert unknown == [], "kinds missing from reglab_autograder.rows.Kind"
    spelled = [f"{name}:{line}: {kind!r}" for name in KINDS_BY_NAME for line, kind in _kind_literals(PACKAGE / name)]
    assert spelled == [], "kinds spelled as literals instead of rows.Kind members"


def test_the_report_labels_every_event_kind_from_the_vocabulary():
    from reglab_autograder import rows

    assert rows.label("kernel died") == rows.Kind.KERNEL_DIED.label == "killed"
    assert rows.label("output truncated") == "output flood" and rows.label("notebook time cap") == "timeout"
    assert rows.label("tampering") == "tampering"
    assert rows.label("a kind of an older grader") == "a kind of an older grader"
    assert len(rows.Kind.__members__) == len(rows.Kind)  # no value given twice (the second would be an alias)


def test_the_kernels_log_is_named_once():
    spellings = [f"{p.relative_to(PACKAGE)}:{node.lineno}" for p in sorted(PACKAGE.rglob("*.py"))
                 for node in ast.walk(ast.parse(p.read_text()))
                 if isinstance(node, ast.Constant) and isinstance(node.value, str) and "kernel.log" in node.value]
    assert len(spellings) == 1 and spellings[0].startswith("sandbox/layout.py"), spellings


@pytest.mark.parametrize("name", ["sandbox", "preprocessors/execute.py", "verdicts/checker.py"])
def test_no_function_body_of_the_sandbox_and_the_executor_is_over_50_lines(name):
    paths = sorted((PACKAGE / name).glob("*.py")) if (PACKAGE / name).is_dir() else [PACKAGE / name]
    long = [f"{p.name}: {n.name} ({n.end_lineno - n.body[0].lineno + 1} lines)" for p in paths
            for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.end_lineno - n.body[0].lineno + 1 > 50]
    assert long == []


def _compiled_check(p):
    """nbgrader's preprocessor, or ours where ours takes its place (the metadata check, its schema compiled once)."""
    return metadata.CheckCellMetadata if p is CheckCellMetadata else p


def test_autograde_preprocessors_are_nbgraders_with_execute_swapped():
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    ours = config.autograde_preprocessors(SandboxedExecute)
    assert Execute in default and Execute not in ours
    assert [p for p in ours if p is not GradedGate] == [SandboxedExecute if p is Execute else _compiled_check(p)
                                                        for p in default]


def test_sanitize_runs_the_intake_rules_then_nbgraders_own():
    default = Autograde.class_traits()["sanitize_preprocessors"].default()
    assert config.sanitize_preprocessors() == [*INTAKE_RULES, *map(_compiled_check, default)]


def test_feedback_hides_hidden_tests_and_tracebacks_after_reading_grades():
    default = GenerateFeedback.class_traits()["preprocessors"].default()
    ours = config.feedback_preprocessors()
    ours_only = (ClearHiddenTests, RedactTracebacks, SanitizeFeedback, NoteUnrenderedFigures, GradedGate,
                 FeedbackSummary)
    assert [p for p in ours if p not in ours_only] == default
    assert ours.index(GetGrades) < ours.index(ClearHiddenTests) < ours.index(RedactTracebacks) \
        < ours.index(SanitizeFeedback) < ours.index(NoteUnrenderedFigures) < ours.index(GradedGate) \
        < ours.index(FeedbackSummary)


def test_the_gate_is_computed_after_the_grades_are_saved():
    ours = config.autograde_preprocessors(SandboxedExecute)
    assert ours.index(SaveAutoGrades) + 1 == ours.index(GradedGate)


@pytest.mark.parametrize("cls", [SandboxedExecute, LatePolicy, LatePenalty, FeedbackSummary, *INTAKE_RULES])
def test_every_new_trait_has_help(cls):
    for name, trait in cls.class_own_traits(config=True).items():
        assert trait.help, f"{cls.__name__}.{name} has no help text"


def test_the_report_reads_a_jobs_execution_through_its_record_and_shows_the_kinds_labels():
    execution = {"events": [{"kind": "kernel died", "cell": 4, "detail": "segmentation fault (SIGSEGV)"},
                            {"kind": "tampering", "cell": 7, "detail": "q1: checks.check was rebound"}],
                 "sandbox_note": "not sandboxed (--no-sandbox)", "phases": {"autograde": 1.5}}
    rows = report.problem_rows([JobRecord(student="s", assignment="a", execution=execution)], [])
    assert [(r.kind, r.detail) for r in rows] == [("killed", "cell 4: segmentation fault (SIGSEGV)"),
                                                  ("tampering", "cell 7: q1: checks.check was rebound"),
                                                  ("not sandboxed", "not sandboxed (--no-sandbox)")]
    assert report.problem_rows([JobRecord(student="s", assignment="a")], []) == []  # nothing ran: no execution


# ------------------------------------------------------------------------------ misconceptions


def test_marker_regex():
    text = ("q2: wrong [misconception:l2-sign_flip.v2] and again [misconception:l2-sign_flip.v2] "
            "[misconception:Upper] [misconception:-dash] [misconception:] [misconception:7days]")
    assert misconceptions.in_text(text) == ["l2-sign_flip.v2", "7days"]


def _autograded(student_errors):
    """A synthetic autograded notebook: the released session 0 with error outputs on test cells."""
    nb = released(A0)
    for gid, evalue in student_errors.items():
        cell = cell_by_id(nb, gid)
        cell.outputs = [nbformat.v4.new_output("error", ename="AnswerError", evalue=evalue,
                                               traceback=[f"AnswerError: {evalue}"])]
    return nb


def test_misconceptions_are_counted_per_question_part_from_autograded_notebooks(tmp_path):
    errors = {
        "ann": {"q1": "q1: you picked the degree with the lowest training error [misconception:train-error-selection]"},
        "ben": {"q1": "q1: [misconception:train-error-selection]", "q2a": "q2a: [misconception:penalty-half]"},
        "cat": {"q2a": "q2a: the penalty is missing [misconception:penalty-half] [misconception:alpha-squared]"},
        "dan": {"q1": "q1: not answered yet"},
    }
    records = []
    for student, errs in errors.items():
        folder = tmp_path / "autograded" / student / A0
        folder.mkdir(parents=True)
        nb = _autograded(errs)
        a = cell_by_id(nb, "a_q1")  # an answer cell's own error never counts: only tests name misconceptions
        a.outputs = [nbformat.v4.new_output("error", ename="E", evalue="[misconception:not-a-test]", traceback=[])]
        nbformat.write(nb, folder / f"{A0}.ipynb")
        found = misconceptions.in_submission(folder)
        parts = [Part(A0, gid, "code", score=0, auto_score=0, manual_score=None, max_score=1, needs_manual_grade=False,
                      misconceptions=found.get((A0, gid), [])) for gid in ("q1", "q2a")]
        records.append(JobRecord(student, A0, parts=parts))
    counts = misconceptions.count(records)
    assert counts == {(A0, A0, "q1"): Counter({"train-error-selection": 2}),
                      (A0, A0, "q2a"): Counter({"penalty-half": 2, "alpha-squared": 1})}
    table = report.misconception_table(records)
    assert "<td>q2a</td><td>penalty-half</td><td class=num>2</td>" in table
    assert "<td>q1</td><td>train-error-selection</td><td class=num>2</td>" in table
    assert "not-a-test" not in table


def test_the_misconception_marker_is_defined_once_in_the_course_library():
    from reglab import checks

    assert misconceptions.MISCONCEPTION_MARKER is checks.MISCONCEPTION_MARKER
    sources = [*PACKAGE.rglob("*.py"), *(ROOT / "lib" / "reglab").rglob("*.py")]
    defining = [p.relative_to(ROOT).as_posix() for p in sources if "[misconception:(" in p.read_text()]
    assert defining == ["lib/reglab/checks.py"]


# ------------------------------------------------------------------------------ the report page


def _record(student, **kw):
    parts = [Part(A0, "q1", "code", score=0.5, auto_score=0.0, manual_score=0.5, max_score=1.0,
                  needs_manual_grade=False, misconceptions=["penalty-half"]),
             Part(A0, "w1", "markdown", score=None, auto_score=None, manual_score=None, max_score=2.0,
                  needs_manual_grade=True)]
    return JobRecord(student, A0, parts=parts, auto_score=3.0, auto_max=5.0, score=3.5, max_score=7.0,
                     seconds=1.25, **kw)


def test_the_report_page_is_rendered_from_its_template():
    records = [_record("o'brien", execution={"sandboxed": True, "sandbox": "bwrap"}),
               _record("<b>", execution={"sandboxed": True, "sandbox": "bwrap"}, late_penalty=1.0)]
    notes = [Note("-", "-", "unknown archive", "x.zip: name it after an assignment")]
    rows = report.problem_rows(records, notes)
    ctx = report.ReportContext(out=Path("."), db_url="", settings=("up to 2 worker(s)", "cell timeout 60 s"))
    page = report.render_page(ctx, report.summarize(records, rows), rows, {A0: "data:image/png;base64,AA+/"}, records)
    assert page.startswith("<!doctype html>") and page.endswith("</table></body></html>")
    assert " &middot; 2 submission(s) &middot; up to 2 worker(s) &middot; cell timeout 60 s</p>" in page
    assert "<p class='ok'>Every kernel ran sandboxed (bwrap):" in page
    assert (f"<tr><td>{A0}</td><td class=num>2</td><td class=num>2</td><td class=num>3.00</td><td class=num>3</td>"
            "<td class=num>3</td><td class=num>3</td><td class=num>5</td><td class=num>1</td><td class=num>3</td></tr>"
            ) in page
    assert f"<img alt='score distribution and pass rates of {A0}' src='data:image/png;base64,AA+/'>" in page
    assert "<td>q1</td><td>penalty-half</td><td class=num>2</td></tr>" in page
    # every value escaped as html.escape escapes it
    assert ("<tr><td>o&#x27;brien</td><td>00_overfitting</td><td>graded</td><td class=num>3 / 5 (manual: q1 0.5 / 1)"
            "</td><td class=num>0</td><td class=num>3.5 / 7 + pending</td><td>pending: w1</td>"
            "<td class=num>1.25</td></tr>") in page
    assert "<td>&lt;b&gt;</td><td>00_overfitting</td><td>manual override</td>" in page
    assert "overrides the test&#x27;s 0</pre></td></tr>" in page
    assert "<h2>Problem submissions (4)</h2>" in page and "<b>" not in page and "class='warn'" not in page
    records[0].execution["sandboxed"] = False
    assert "<p class='warn'><b>Not sandboxed</b>" in report.render_page(ctx, [], [], {}, records)
    assert "<p>None.</p>" in report.render_page(ctx, [], [], {}, [])


def test_the_report_writes_no_html_itself():
    source = (PACKAGE / "report.py").read_text()
    assert not re.search(r"<(td|tr|th|table|h\d|p)[ >]", source)


# ------------------------------------------------------------------------------ the pipeline's records and defaults


def test_the_findings_file_is_written_and_read_as_problems(tmp_path):
    from reglab_autograder.jobs import Problem, findings_path, read_findings
    from reglab_autograder.preprocessors.intake_rules import IntakeRule

    path = findings_path(tmp_path, "alice__" + A0)
    rule = IntakeRule(findings_file=str(path))
    resources = {}
    rule.report(resources, "edited test", "q1's test cell was edited", zero=True)
    rule.report(resources, "normalized", "upgraded to 4.5")
    assert read_findings(path) == [Problem("edited test", "q1's test cell was edited", True),
                                   Problem("normalized", "upgraded to 4.5", False)]
    assert [Problem(**f) for f in resources["intake"]] == read_findings(path)
    assert read_findings(tmp_path / "none.jsonl") == []


def test_a_job_is_a_record_its_producers_and_consumers_name():
    import dataclasses
    import inspect

    from reglab_autograder import worker
    from reglab_autograder.cluster import grading
    from reglab_autograder.commands import grade
    from reglab_autograder.jobs import Job, Problem

    job = Job("alice", A0, "d1", (Problem("late", "x"),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.student = "bob"
    assert job.label == f"alice/{A0}" and job.id == f"alice__{A0}"
    record = job.record(status="grader error", detail="boom")
    assert (record.student, record.assignment, record.digest, record.problems, record.detail) == (
        "alice", A0, "d1", [Problem("late", "x")], "boom")
    assert inspect.signature(grade.take_in).return_annotation == "Job"
    for f in (worker.safe_job, worker.run_job):
        assert list(inspect.signature(f).parameters) == ["run", "job"]
    assert list(inspect.signature(grading.grade_task).parameters) == ["task"]
    assert [f.name for f in dataclasses.fields(grading.Task)] == ["plugin", "run", "job", "files"]


def _parse(*argv):
    import argparse

    from reglab_autograder import cli

    parser = argparse.ArgumentParser(prog="reglab")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_commands(sub)
    return parser, parser.parse_args(argv)


def test_the_cli_reads_its_defaults_from_the_options():
    from reglab_autograder import cli
    from reglab_autograder.options import GradeOptions, default

    assert cli.grade_options(_parse("grade", "subs")[1]) == GradeOptions(Path("subs"))
    assert cli.check_options(_parse("check", "subs")[1]) == GradeOptions(
        Path("subs"), workers=1, isolate=False, progress=False, dry_run=True)
    for command in ("formgrader", "feedback", "handback"):
        assert _parse(command)[1].out == default("out") == Path("grading")
    given = _parse("grade", "subs", "--timeout", "7", "--memory-mb", "99", "--no-sandbox", "--quiet")[1]
    assert cli.grade_options(given) == GradeOptions(Path("subs"), timeout=7, isolate=False, progress=False,
                                                    limits=dict(default("limits"), memory_mb=99))


def test_the_help_text_names_the_defaults_the_options_define():
    from reglab_autograder.options import default

    parser, _ = _parse("grade", "subs")
    subparsers = next(a for a in parser._actions if a.dest == "command")
    text = " ".join(subparsers.choices["grade"].format_help().split())
    limits = default("limits")
    for words in (f"seconds per cell (default {default('timeout')})",
                  f"seconds per notebook (default {default('notebook_timeout')})",
                  f"output folder (default ./{default('out')})",
                  f"kernel's processes together (default {limits['memory_mb']})",
                  f"CPU-time limit per kernel (default {limits['cpu_seconds']})"):
        assert words in text
    # no default written out in a help string: each is read from the option's one definition
    source = ast.parse((PACKAGE / "cli.py").read_text())
    helps = [kw.value for node in ast.walk(source) if isinstance(node, ast.Call) for kw in node.keywords
             if kw.arg == "help"]
    texts = [ast.unparse(h) for h in helps]
    assert len(texts) > 20 and [t for t in texts if re.search(r"default:? \.?/?\w*\d", t)] == []


def test_grading_time_limits_have_one_home(tmp_path):
    from reglab_autograder.options import GradeOptions, Run, default

    from reglab.release import load_config

    assert "Execute" not in load_config(ROOT)  # the course's nbgrader configuration sets no execution limit
    run = Run(options=GradeOptions(tmp_path, tmp_path), root=ROOT, out=tmp_path, submissions=tmp_path)
    cfg = config.grading_config(run)
    assert (cfg.SandboxedExecute.timeout, cfg.SandboxedExecute.notebook_timeout) == (
        default("timeout"), default("notebook_timeout"))
    assert cfg.SandboxedExecute.limits == default("limits")


# functions of the grading pipeline's modules: no body longer than a screen
PIPELINE = ("commands", "cluster", "worker", "jobs", "intake", "options", "cli", "report", "misconceptions",
            "plugins")


def test_the_grading_pipelines_functions_fit_on_a_screen():
    long = []
    for m, path in sorted(_grader_modules().items()):
        if _part(m) in PIPELINE:
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 50:
                    long.append(f"{m}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert long == []


def test_the_graders_dependencies_are_pinned():
    pins = {line.split("==")[0].lower() for line in (ROOT / "constraints.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    deps = tomllib.loads((ROOT / "autograder" / "pyproject.toml").read_text())["project"]["dependencies"]
    names = [re.split(r"[<>=!~\[ ]", d, maxsplit=1)[0].lower() for d in deps]
    assert "reglab" in names
    assert [n for n in names if n != "reglab" and n not in pins] == []


def test_formgrader_shows_a_model_answer_for_every_written_answer_of_the_course():
    """Each manually graded answer of the instructor's notebooks has a model answer and rubric for formgrader's
    panel: its solution region (mark-scheme regions too, as nbgrader's ClearMarkScheme finds them)."""
    from reglab_autograder.formgrader_server import marked_regions, model_answers

    from reglab import course

    delimiters = [("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN MARK SCHEME", "END MARK SCHEME")]
    for s in course.SESSIONS:
        nb = nbformat.read(ROOT / "solutions" / s.notebook, as_version=4)
        found = model_answers(nb, delimiters)
        assert sorted(found) == sorted(s.written), s.id
        assert all("BEGIN SOLUTION" not in t and "END SOLUTION" not in t and "Rubric" in t for t in found.values())
    text = "Q?\n=== BEGIN MARK SCHEME ===\n- 1 point: names it\n=== END MARK SCHEME ===\nafter"
    assert marked_regions(text, delimiters) == "- 1 point: names it"
    assert marked_regions("no region here", delimiters) == ""


def test_formgrader_launch_swaps_nbgrader_extensions_and_keeps_the_users_config():
    from reglab_autograder.commands import formgrader

    cmd = formgrader.command(Path("/x/out"), port=8123, open_browser=False, ip="127.0.0.1")
    arg = next(a for a in cmd if a.startswith("--ServerApp.jpserver_extensions="))
    exts = ast.literal_eval(arg.split("=", 1)[1])
    assert exts["reglab_autograder.formgrader_server"] and not exts["nbgrader.server_extensions.formgrader"]
    env = formgrader.environment({"PATH": "/bin", "JUPYTER_CONFIG_PATH": "/mine", "JUPYTER_CONFIG_DIR": "/home"})
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [str(formgrader.LAB_CONFIG), "/mine"]
    assert env["JUPYTER_CONFIG_DIR"] == "/home"
    assert (formgrader.LAB_CONFIG / "labconfig" / "page_config.json").is_file()


def test_the_graded_gate_counts_written_answers_from_the_gradebook():
    from collections import namedtuple

    from reglab_autograder.preprocessors.graded_view import written_state

    from reglab import checks

    G = namedtuple("G", "manual_score auto_score needs_manual_grade")
    assert written_state(G(None, None, True)) == "answered"  # changed from the released text, not scored yet
    assert written_state(G(None, 0.0, False)) == "not answered"  # nbgrader scored the unchanged text 0
    assert written_state(G(1.5, None, False)) == "graded"
    assert written_state(G(1.5, None, True)) == "answered"  # changed since it was scored: pending again
    results = {p: {"passed": True} for p in checks.course.get_session(A0).parts}
    blocked = checks.gate_report(A0, results, written={"w1": "not answered"}, written_note="from the gradebook")
    assert not blocked.ready and "w1   Written answer" in repr(blocked) and "Not yet: w1" in repr(blocked)
    pending = checks.gate_report(A0, results, written={"w1": "answered"}, written_note="from the gradebook")
    assert pending.ready and "answered, graded by your instructor" in pending._repr_html_()
