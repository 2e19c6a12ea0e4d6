"""Grading speed: serial `nbgrader autograde` against `reglab grade --workers N`, same machine, one run.

    .venv/bin/python benchmarks/grading.py [--students 10] [--workers N]

Builds a class from the real course notebooks (every session; a third of the students submit the
solutions, a third blank notebooks, a third partial answers), grades it both ways, checks that both
give the same scores, and prints the times and the speed ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reglab_autograder import jobs
from reglab_autograder.gradebook import code_scores
from reglab_autograder.options import db_url_for
from reglab_autograder.testing import classroom

from reglab import course

ROOT = Path(__file__).resolve().parents[1]

BIN = Path(sys.executable).parent


def build(base: Path, n_students: int):
    sessions = [s.id for s in course.SESSIONS]
    for i in range(n_students):
        student = f"s{i:02d}"
        for aid in sessions:
            kind = i % 3
            if kind == 0:
                nb = classroom.answered(aid)
            elif kind == 1:
                nb = classroom.released(aid)
            else:
                nb = classroom.answered(aid, set(classroom.solution_ids(aid, code_only=True)[::2]))
            classroom.write(base / "submitted", student, aid, nb)
    return sessions


ANATOMY = (("kernel start", lambda e: e["startup_seconds"]),
           ("setup cell (imports)", lambda e: e["setup_cell_seconds"]),
           ("other cells", lambda e: e["cells_seconds"] - e["setup_cell_seconds"] - e.get("test_cells_seconds", 0)),
           ("test cells, in the checker", lambda e: e.get("test_cells_seconds", 0)),
           ("  of which questions to the kernel", lambda e: e.get("checker_seconds", 0)),
           ("  questions to the kernel (count)", lambda e: e.get("checker_questions", 0)),
           ("kernel shutdown, clean-up", lambda e: e["seconds"] - e["startup_seconds"] - e["cells_seconds"]),
           ("nbgrader's other autograde passes", lambda e: e["phases"]["autograde"] - e["seconds"]),
           ("feedback", lambda e: e["phases"]["feedback"]),
           ("gradebook (scores, deleted tests)", lambda e: e["phases"]["gradebook"]),
           ("whole job", lambda e: e["job_seconds"]))


def anatomy(out: Path) -> list[tuple[str, float]]:
    """Median seconds of each part of a job, over the jobs of a grading output (the first job of each worker
    also starts its fork server: the median leaves it out)."""
    execs = [dict(r.execution, job_seconds=r.seconds) for r in jobs.read_all(out / "jobs") if r.execution.get("phases")]
    return [(name, statistics.median(f(e) for e in execs)) for name, f in ANATOMY]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=10)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="reglab-bench-"))
    try:
        sessions = build(tmp / "class", args.students)
        n = args.students * len(sessions)
        env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
        # baseline: nbgrader's own command line, one notebook after another
        cdir = tmp / "nbgrader_course"
        for aid in sessions:
            shutil.copytree(ROOT / "solutions" / aid, cdir / "source" / aid)
        shutil.copytree(tmp / "class" / "submitted", cdir / "submitted")
        (cdir / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.root = {str(cdir)!r}\nc.Execute.timeout = 120\n")
        for aid in sessions:
            subprocess.run([str(BIN / "nbgrader"), "generate_assignment", aid, "--force"], cwd=cdir, env=env,
                           check=True, capture_output=True)
        t0 = time.perf_counter()
        for aid in sessions:
            subprocess.run([str(BIN / "nbgrader"), "autograde", aid, "--force"], cwd=cdir, env=env, check=True,
                           capture_output=True)
        t_auto = time.perf_counter() - t0
        t0 = time.perf_counter()
        for aid in sessions:
            subprocess.run([str(BIN / "nbgrader"), "generate_feedback", aid, "--force"], cwd=cdir, env=env, check=True,
                           capture_output=True)
        t_serial = t_auto + time.perf_counter() - t0

        # reglab grade: sandboxed; setup, intake, grading, feedback and report included
        def reglab(workers):
            t0 = time.perf_counter()
            out = tmp / f"out{workers}"
            r = subprocess.run([str(BIN / "reglab"), "grade", str(tmp / "class"), "--out", str(out), "--workers",
                                str(workers), "--quiet", "--course-dir", str(ROOT)], env=env, capture_output=True,
                               text=True)
            if r.returncode != 0:
                print(r.stdout, r.stderr)
                sys.exit("reglab grade failed")
            return time.perf_counter() - t0, out

        load = [os.getloadavg()[0]]
        t_one, out1 = reglab(1)
        t_par, outn = reglab(args.workers)
        load.append(os.getloadavg()[0])
        ref = code_scores(f"sqlite:///{cdir / 'gradebook.db'}")
        same = all(ref == code_scores(db_url_for(o)) for o in (out1, outn))
        print(f"{n} notebooks ({args.students} students x {len(sessions)} sessions), {os.cpu_count()} cores, "
              f"load average {load[0]:.1f} before the reglab runs, {load[1]:.1f} after")
        rows = [("serial nbgrader autograde", t_auto), ("serial nbgrader autograde + generate_feedback", t_serial),
                ("reglab grade --workers 1 (sandboxed, with feedback and report)", t_one),
                (f"reglab grade --workers {args.workers} (sandboxed, with feedback and report)", t_par)]
        for name, t in rows:
            print(f"{name:66s}{t:8.1f} s  {t / n:5.2f} s/notebook")
        print(f"speed-up against serial nbgrader doing the same work (autograde + feedback): {t_serial / t_par:.2f}x")
        print(f"speed-up against serial nbgrader autograde alone: {t_auto / t_par:.2f}x")
        print(f"reglab's own parallel scaling (1 -> {args.workers} workers): {t_one / t_par:.2f}x")
        print(f"identical scores in all three gradebooks: {same}")
        print(f"anatomy of one job, median seconds (reglab grade --workers 1 | --workers {args.workers}):")
        for (name, a), (_, b) in zip(anatomy(out1), anatomy(outn)):
            print(f"  {name:40s}{a:6.2f}  {b:6.2f}")
        for label, o in (("--workers 1", out1), (f"--workers {args.workers}", outn)):
            ex = [r.execution for r in jobs.read_all(o / "jobs")]
            q, t = sum(e.get("checker_questions", 0) for e in ex), sum(e.get("checker_seconds", 0) for e in ex)
            print(f"the checker's questions to the kernels ({label}): {q} in all, {1000 * t / max(q, 1):.1f} ms each "
                  f"on average, {t / max(len(ex), 1):.2f} s per notebook")
        if not same:
            sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
