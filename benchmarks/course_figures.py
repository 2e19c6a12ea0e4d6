"""Whole-course figures: points, questions, parts, named misconceptions and variants per session, run time, equations
checked.

    make figures        (or: .venv/bin/python benchmarks/course_figures.py)

Executes every solution notebook top to bottom in a fresh kernel (as the tests do) and times it.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from reglab import course, variants

ROOT = Path(__file__).resolve().parents[1]


def equations_checked():
    found = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        for m in re.finditer(r"@pytest\.mark\.equation\(([^)]*)\)", path.read_text()):
            found.update(re.findall(r'"([^"]+)"', m.group(1)))
    return found & set(course.SPEC_EQUATIONS)


def variant_pool(session_id, question, draws=2000):
    """How many distinct givens a question's variants take in ``draws`` students' first attempts."""
    seen = {repr(variants.givens(session_id, question, f"s{i}").as_dict()) for i in range(draws)}
    return len(seen)


def main():
    os.environ.setdefault("REGLAB_PROGRESS_FILE", str(Path(tempfile.mkdtemp()) / "progress.json"))
    print(f"{'session':22s}{'autograded':>11s}{'manual':>8s}{'questions':>10s}{'parts':>7s}{'misconceptions':>15s}"
          f"{'run time':>10s}")
    total_t = total_auto = total_manual = 0.0
    failures = []
    for s in course.SESSIONS:
        path = ROOT / "solutions" / s.notebook
        auto, manual = course.notebook_points(path)
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": tmp}}).execute()
            dt = time.perf_counter() - t0
        if any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs):
            failures.append(s.id)
        total_t += dt
        total_auto += auto
        total_manual += manual
        print(f"{s.id:22s}{auto:11.0f}{manual:8.0f}{len(s.questions):10d}{len(s.parts):7d}"
              f"{len(s.misconception_ids()):15d}{dt:9.1f}s")
    n_q = sum(len(s.questions) for s in course.SESSIONS)
    n_p = sum(len(s.parts) for s in course.SESSIONS)
    n_m = sum(len(s.misconception_ids()) for s in course.SESSIONS)
    print(f"{'whole course':22s}{total_auto:11.0f}{total_manual:8.0f}{n_q:10d}{n_p:7d}{n_m:15d}{total_t:9.1f}s")
    named = sum(bool(q.misconceptions) for s in course.SESSIONS for q in s.questions)
    print(f"questions naming at least one misconception: {named} of {n_q}")
    print("variants (questions whose givens are drawn per student and attempt; distinct givens in 2,000 draws):")
    for s in course.SESSIONS:
        pools = {q: variant_pool(s.id, q) for q in variants.questions_with_variants(s.id)}
        fixed = len(s.questions) - len(pools)
        shown = ", ".join(f"{q} {n:,}" for q, n in pools.items()) or "none"
        print(f"  {s.id:22s}{len(pools):3d} with variants ({shown}); {fixed} with one fixed instance")
    eqs = equations_checked()
    print(f"spec equations and facts checked numerically in tests/: {len(eqs)} of {len(course.SPEC_EQUATIONS)}")
    if failures:
        print("notebooks with errors:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
