"""What ``reglab grade`` and ``reglab feedback`` write: grades.csv (nbgrader's export), a per-question
breakdown, and report.html (scores, late penalties, misconceptions, one row per problem)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import misconceptions
from .execution import ExecutionRecord
from .jobs import GRADER_ERROR, JobRecord, overridden
from .plugins.export import SafeCsvExportPlugin, for_people, neutralize, write_lms_exports
from .plugins.export import writer as csv_writer
from .rows import Kind, label


class ProblemRow(NamedTuple):
    student: str
    assignment: str
    kind: str
    detail: str


@dataclass(frozen=True)
class ReportContext:
    out: Path
    db_url: str
    settings: str = ""  # how the notebooks were run, for the report's header

    @classmethod
    def of_run(cls, run) -> ReportContext:
        o = run.options
        settings = (f"up to {o.workers} worker(s) &middot; cell timeout {o.timeout} s, "
                    f"notebook cap {o.notebook_timeout} s")
        return cls(out=run.out, db_url=run.db_url, settings=settings)


@dataclass
class GradingResult:
    summary: list[dict]
    problems: list[ProblemRow]
    records: list[JobRecord]
    exit_code: int


def problem_rows(records: list[JobRecord], notes) -> list[ProblemRow]:
    """One row per thing that went wrong or needs a look."""
    rows = [ProblemRow(n.student, n.assignment, n.kind, n.detail) for n in notes]
    for r in records:
        s, a = r.student, r.assignment
        rows += [ProblemRow(s, a, p.kind, p.detail) for p in r.problems]
        if r.status == GRADER_ERROR:
            rows.append(ProblemRow(s, a, Kind.GRADER_ERROR, r.detail[-600:]))
        rows += [ProblemRow(s, a, Kind.DELETED_TEST, f"test cell {t} was deleted: scored 0") for t in r.deleted_tests]
        rows += [ProblemRow(s, a, Kind.CHANGED_SINCE_SCORED, f"{p.grade_id} changed since it was scored "
                            f"{p.manual_score:g}: score it again in formgrader (pending until then)")
                 for p in r.changed_since_scored]
        rows += [ProblemRow(s, a, Kind.MANUAL_OVERRIDE, f"{p.grade_id}: your manual score {p.manual_score:g} "
                            f"overrides the test's {p.auto_score:g}")
                 for p in r.parts if p.type == "code" and overridden(p)]
        execution = ExecutionRecord.from_dict(r.execution)
        rows += [ProblemRow(s, a, label(e.kind), f"cell {e.cell}: {e.detail}") for e in execution.events]
        if execution.sandbox_note:
            rows.append(ProblemRow(s, a, Kind.NOT_SANDBOXED, execution.sandbox_note))
        if r.late_penalty:
            rows.append(ProblemRow(s, a, Kind.LATE, f"submitted {r.submitted_at} UTC, {_duration(r.seconds_late)} "
                                   f"late: penalty {r.late_penalty:g} point(s)"))
    return rows


def _duration(seconds: float) -> str:
    h = seconds / 3600
    return f"{h / 24:.1f} days" if h >= 24 else f"{h:.1f} hours"


PENDING = "pending"  # the score of a cell nobody has scored yet (a written answer before formgrader), never 0


def export_grades(ctx: ReportContext, records: list[JobRecord]) -> None:
    """grades.csv through nbgrader's own CSV export, the wide and LMS exports from the gradebook, and
    grades_by_question.csv from the job records."""
    from nbgrader.api import Gradebook

    with Gradebook(ctx.db_url) as gb:
        SafeCsvExportPlugin(to=str(ctx.out / "grades.csv")).export(gb)
        write_lms_exports(gb, ctx.out)
    with open(ctx.out / "grades_by_question.csv", "w", newline="") as fh:
        w = csv_writer(fh)
        w.writerow(["student", "assignment", "notebook", "grade_id", "type", "score", "auto_score", "manual_score",
                    "max_score", "needs_manual_grade", "misconceptions"])
        for r in records:
            for p in r.parts:
                score = PENDING if p.pending else for_people(p.score)
                w.writerow([neutralize(v) for v in (
                    r.student, r.assignment, p.notebook, p.grade_id, p.type, score, for_people(p.auto_score),
                    for_people(p.manual_score), for_people(p.max_score), p.needs_manual_grade,
                    " ".join(p.misconceptions))])


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _figures(by_assignment) -> dict:
    from matplotlib.figure import Figure

    out = {}
    for aid, recs in sorted(by_assignment.items()):
        graded = [r for r in recs if r.graded]
        if not graded:
            continue
        fig = Figure(figsize=(10, 3.2), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 1.6])
        top = max(r.auto_max for r in graded) or 1
        ax1.hist([r.auto_score for r in graded], bins=np.linspace(0, top, min(int(top), 20) + 2), color="C0",
                 edgecolor="k")
        ax1.set_xlabel("autograded score")
        ax1.set_ylabel("submissions")
        ax1.set_title(f"{aid}: score distribution")
        parts = defaultdict(list)
        for r in graded:
            for p in r.parts:
                if p.type == "code":
                    parts[p.grade_id].append((p.score or 0) >= p.max_score)
        names = list(parts)
        ax2.bar(names, [np.mean(parts[n]) for n in names], color="C2")
        ax2.set_ylim(0, 1)
        ax2.set_ylabel("pass rate")
        ax2.set_title("pass rate per question part")
        ax2.tick_params(axis="x", rotation=60, labelsize=8)
        out[aid] = _png(fig)
    return out


def summarize(records: list[JobRecord], rows: list[ProblemRow]) -> list[dict]:
    by_assignment = defaultdict(list)
    for r in records:
        by_assignment[r.assignment].append(r)
    summary = []
    for aid, recs in sorted(by_assignment.items()):
        graded = [r for r in recs if r.graded]
        sc = np.array([r.auto_score for r in graded]) if graded else np.array([np.nan])
        nan = float("nan")
        summary.append({
            "assignment": aid, "submissions": len(recs), "graded": len(graded),
            "max": graded[0].auto_max if graded else nan,
            "mean": float(np.nanmean(sc)) if graded else nan,
            "median": float(np.nanmedian(sc)) if graded else nan,
            "min": float(np.nanmin(sc)) if graded else nan,
            "best": float(np.nanmax(sc)) if graded else nan,
            "late": sum(1 for r in recs if r.late_penalty),
            "problems": sum(1 for row in rows if row.assignment == aid),
        })
    return summary


def write_all(ctx: ReportContext, records: list[JobRecord], notes=(), echo: bool = True) -> GradingResult:
    export_grades(ctx, records)
    rows = problem_rows(records, notes)
    summary = summarize(records, rows)
    by_assignment = defaultdict(list)
    for r in records:
        by_assignment[r.assignment].append(r)
    _write_html(ctx, summary, rows, _figures(by_assignment), records)
    errors = [r for r in records if r.status == GRADER_ERROR]
    if echo:
        _print_summary(ctx, summary, rows, errors)
    return GradingResult(summary=summary, problems=rows, records=records, exit_code=1 if errors else 0)


def _print_summary(ctx: ReportContext, summary, rows, errors) -> None:
    print(f"\n{'assignment':22s}{'submissions':>12s}{'mean':>8s}{'median':>8s}{'min':>6s}{'max':>6s}{'of':>5s}"
          f"{'late':>6s}{'problems':>10s}")
    for s in summary:
        print(f"{s['assignment']:22s}{s['submissions']:12d}{s['mean']:8.2f}{s['median']:8.4g}{s['min']:6.4g}"
              f"{s['best']:6.4g}{s['max']:5.4g}{s['late']:6d}{s['problems']:10d}")
    print(f"\ngradebook: {ctx.db_url}")
    print(f"grades:    {ctx.out / 'grades.csv'}  (per question: grades_by_question.csv)")
    print(f"LMS:       {ctx.out / 'grades_wide.csv'}  (and grades_canvas.csv, grades_moodle.csv)")
    print(f"feedback:  {ctx.out / 'feedback'}")
    print(f"report:    {ctx.out / 'report.html'}  ({len(rows)} problem row(s))")
    if errors:
        print(f"GRADER ERRORS in {len(errors)} job(s): see the report; rerun to retry them.")


def misconception_table(records) -> list[str]:
    counts = misconceptions.count(records)
    if not counts:
        return ["<h2>Misconceptions</h2><p>No failed test named a misconception.</p>"]
    out = ["<h2>Misconceptions</h2><p>Students whose failed test named each misconception, per question part.</p>",
           "<table id='misconceptions'><tr><th>assignment</th><th>notebook</th><th>question part</th>"
           "<th>misconception</th><th>students</th></tr>"]
    for (aid, nb, gid), counter in sorted(counts.items()):
        for m, n in counter.most_common():
            e = html.escape
            out.append(f"<tr><td>{e(aid)}</td><td>{e(nb)}</td><td>{e(gid)}</td><td>{e(m)}</td>"
                       f"<td class=num>{n}</td></tr>")
    out.append("</table>")
    return out


def _write_html(ctx: ReportContext, summary, rows, figures, records) -> None:
    e = html.escape
    sandboxed = [r.execution.get("sandboxed") for r in records if r.execution]
    modes = sorted({r.execution.get("sandbox", "") for r in records if r.execution.get("sandboxed")})
    if sandboxed and all(sandboxed):
        box = (f"<p class='ok'>Every kernel ran sandboxed ({e(', '.join(modes))}): no network, only allow-listed "
               "files, private size-capped folders, resource limits (each job record lists them).</p>")
    elif sandboxed:
        box = ("<p class='warn'><b>Not sandboxed</b> (--no-sandbox) for some or all submissions: their kernels ran as "
               "the grader's user with its file and network access; only per-process limits applied.</p>")
    else:
        box = ""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>reglab grading report</title><style>",
        "body{font-family:sans-serif;margin:2em;max-width:70em} table{border-collapse:collapse;margin:1em 0}",
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top} th{background:#f3f3f3}",
        ".warn{background:#fff3cd;padding:.6em} .ok{background:#e8f5e9;padding:.6em} td.num{text-align:right}",
        "</style></head><body>",
        f"<h1>Grading report</h1><p>{e(dt.datetime.now().isoformat(timespec='seconds'))} &middot; "
        f"{len(records)} submission(s) &middot; {ctx.settings}</p>", box,
        "<h2>Scores (autograded points)</h2><table><tr><th>assignment</th><th>submissions</th><th>graded</th>"
        "<th>mean</th><th>median</th><th>min</th><th>max</th><th>out of</th><th>late</th><th>problem rows</th></tr>",
    ]
    for s in summary:
        parts.append(f"<tr><td>{e(s['assignment'])}</td><td class=num>{s['submissions']}</td>"
                     f"<td class=num>{s['graded']}</td><td class=num>{s['mean']:.2f}</td>"
                     f"<td class=num>{s['median']:.4g}</td><td class=num>{s['min']:.4g}</td>"
                     f"<td class=num>{s['best']:.4g}</td><td class=num>{s['max']:.4g}</td>"
                     f"<td class=num>{s['late']}</td><td class=num>{s['problems']}</td></tr>")
    parts.append("</table>")
    for aid, uri in figures.items():
        parts.append(f"<h3>{e(aid)}</h3><img alt='score distribution and pass rates of {e(aid)}' src='{uri}'>")
    parts += misconception_table(records)
    parts.append(f"<h2>Problem submissions ({len(rows)})</h2>")
    if rows:
        parts.append("<table id='problems'><tr><th>student</th><th>assignment</th><th>what</th>"
                     "<th>what happened</th></tr>")
        for s, a, kind, detail in rows:
            parts.append(f"<tr><td>{e(s)}</td><td>{e(a)}</td><td>{e(kind)}</td>"
                         f"<td><pre style='white-space:pre-wrap;margin:0'>{e(detail)}</pre></td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")
    parts.append("<h2>Every submission</h2><table id='submissions'><tr><th>student</th><th>assignment</th>"
                 "<th>status</th><th>autograded</th><th>late penalty</th>"
                 "<th>total (manual included, after penalty)</th>"
                 "<th>needs manual grading</th><th>seconds</th></tr>")
    for r in sorted(records, key=lambda r: (r.assignment, r.student)):
        manual = f"{PENDING}: {', '.join(r.pending)}" if r.pending else "yes" if r.needs_manual_grade else "no"
        p = for_people
        by_hand = [f"{q.grade_id} {p(q.manual_score):g} / {p(q.max_score):g}" for q in r.parts
                   if q.type == "code" and overridden(q)]
        by_hand_note = f" (manual: {', '.join(by_hand)})" if by_hand else ""
        parts.append(f"<tr><td>{e(r.student)}</td><td>{e(r.assignment)}</td><td>{e(r.status)}</td>"
                     f"<td class=num>{p(r.auto_score):g} / {p(r.auto_max):g}{e(by_hand_note)}</td>"
                     f"<td class=num>{p(r.late_penalty):g}</td><td class=num>{p(r.score):g} / {p(r.max_score):g}"
                     f"{' + ' + PENDING if r.pending else ''}</td>"
                     f"<td>{e(manual)}</td><td class=num>{r.seconds}</td></tr>")
    parts.append("</table></body></html>")
    (ctx.out / "report.html").write_text("".join(parts), encoding="utf-8")
