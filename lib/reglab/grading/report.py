"""What ``reglab grade`` writes: grades.csv (nbgrader export), a per-question breakdown, report.html."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
from collections import defaultdict

import numpy as np

EVENT_KINDS = {
    "timeout": "timeout",
    "kernel died": "killed",
    "notebook time cap": "timeout",
    "output truncated": "output flood",
    "processes killed": "processes killed",
    "replay stopped": "killed",
}


def problem_rows(records, notes):
    """One row per thing that went wrong: (student, assignment, kind, what happened)."""
    rows = [tuple(n) for n in notes]
    for r in records:
        s, a = r["student"], r["assignment"]
        for p in r.get("intake", {}).get("problems", []):
            rows.append((s, a, p["kind"], p["detail"]))
        if r.get("status") == "grader error":
            rows.append((s, a, "grader error", r.get("detail", "")[-600:]))
        for t in r.get("deleted_tests", []):
            rows.append((s, a, "deleted test", f"test cell {t} was deleted: scored 0"))
        ex = r.get("execution") or {}
        for e in ex.get("events", []):
            rows.append((s, a, EVENT_KINDS.get(e["kind"], e["kind"]), f"cell {e['cell']}: {e['detail']}"))
        if ex.get("sandbox_note"):
            rows.append((s, a, "not sandboxed", ex["sandbox_note"]))
    return rows


def export_grades(opts, records):
    """grades.csv through nbgrader's own CSV export, and grades_by_question.csv from the job records."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    from .pipeline import db_url_for

    with Gradebook(db_url_for(opts)) as gb:
        CsvExportPlugin(to=str(opts.out / "grades.csv")).export(gb)
    with open(opts.out / "grades_by_question.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "assignment", "notebook", "grade_id", "type", "score", "max_score", "needs_manual_grade"])
        for r in records:
            for p in r.get("parts", []):
                w.writerow([r["student"], r["assignment"], p["notebook"], p["grade_id"], p["type"],
                            p["score"], p["max_score"], p["needs_manual_grade"]])


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _figures(by_assignment):
    from matplotlib.figure import Figure

    out = {}
    for aid, recs in sorted(by_assignment.items()):
        graded = [r for r in recs if r.get("status") == "graded"]
        if not graded:
            continue
        fig = Figure(figsize=(10, 3.2), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 1.6])
        scores = [r["auto_score"] for r in graded]
        top = max(r["auto_max"] for r in graded) or 1
        ax1.hist(scores, bins=np.linspace(0, top, min(int(top), 20) + 2), color="C0", edgecolor="k")
        ax1.set_xlabel("autograded score")
        ax1.set_ylabel("submissions")
        ax1.set_title(f"{aid}: score distribution")
        parts = defaultdict(list)
        for r in graded:
            for p in r["parts"]:
                if p["type"] == "code":
                    parts[p["grade_id"]].append((p["score"] or 0) >= p["max_score"])
        names = list(parts)
        ax2.bar(names, [np.mean(parts[n]) for n in names], color="C2")
        ax2.set_ylim(0, 1)
        ax2.set_ylabel("pass rate")
        ax2.set_title("pass rate per question part")
        ax2.tick_params(axis="x", rotation=60, labelsize=8)
        out[aid] = _png(fig)
    return out


def write_all(opts, root, records, notes):
    export_grades(opts, records)
    rows = problem_rows(records, notes)
    by_assignment = defaultdict(list)
    for r in records:
        by_assignment[r["assignment"]].append(r)
    summary = []
    for aid, recs in sorted(by_assignment.items()):
        graded = [r for r in recs if r.get("status") == "graded"]
        sc = np.array([r["auto_score"] for r in graded]) if graded else np.array([np.nan])
        summary.append({
            "assignment": aid, "submissions": len(recs), "graded": len(graded),
            "max": graded[0]["auto_max"] if graded else float("nan"),
            "mean": float(np.nanmean(sc)) if graded else float("nan"),
            "median": float(np.nanmedian(sc)) if graded else float("nan"),
            "min": float(np.nanmin(sc)) if graded else float("nan"),
            "best": float(np.nanmax(sc)) if graded else float("nan"),
            "problems": sum(1 for row in rows if row[1] == aid),
        })
    figures = _figures(by_assignment)
    _write_html(opts, summary, rows, figures, records)
    errors = [r for r in records if r.get("status") == "grader error"]
    _print_summary(opts, summary, rows, errors)
    return {"summary": summary, "problems": rows, "records": records, "exit_code": 1 if errors else 0}


def _print_summary(opts, summary, rows, errors):
    print(f"\n{'assignment':22s}{'submissions':>12s}{'mean':>8s}{'median':>8s}{'min':>6s}{'max':>6s}{'of':>5s}{'problems':>10s}")
    for s in summary:
        print(f"{s['assignment']:22s}{s['submissions']:12d}{s['mean']:8.2f}{s['median']:8.1f}{s['min']:6.0f}"
              f"{s['best']:6.0f}{s['max']:5.0f}{s['problems']:10d}")
    print(f"\ngradebook: {opts.out / 'gradebook.db' if not opts.db_url else opts.db_url}")
    print(f"grades:    {opts.out / 'grades.csv'}  (per question: grades_by_question.csv)")
    print(f"feedback:  {opts.out / 'feedback'}")
    print(f"report:    {opts.out / 'report.html'}  ({len(rows)} problem row(s))")
    if errors:
        print(f"GRADER ERRORS in {len(errors)} job(s): see the report; rerun to retry them.")


def _write_html(opts, summary, rows, figures, records):
    e = html.escape
    sandboxed = [r.get("execution", {}).get("sandboxed") for r in records if r.get("execution")]
    if sandboxed and all(sandboxed):
        box = "<p class='ok'>Every kernel ran sandboxed: own uid, no network, course files hidden, resource limits.</p>"
    elif sandboxed:
        box = ("<p class='warn'><b>Not sandboxed.</b> The grader was not running as root: kernels ran as the grader's user "
               "with its file and network access; only memory, CPU-time and file-size limits applied.</p>")
    else:
        box = ""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>reglab grading report</title><style>",
        "body{font-family:sans-serif;margin:2em;max-width:70em} table{border-collapse:collapse;margin:1em 0}",
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top} th{background:#f3f3f3}",
        ".warn{background:#fff3cd;padding:.6em} .ok{background:#e8f5e9;padding:.6em} td.num{text-align:right}",
        "</style></head><body>",
        f"<h1>Grading report</h1><p>{e(dt.datetime.now().isoformat(timespec='seconds'))} &middot; "
        f"{len(records)} submission(s) &middot; {opts.workers} worker(s) &middot; cell timeout {opts.timeout} s, "
        f"notebook cap {opts.notebook_timeout} s</p>", box,
        "<h2>Scores (autograded points)</h2><table><tr><th>assignment</th><th>submissions</th><th>graded</th>"
        "<th>mean</th><th>median</th><th>min</th><th>max</th><th>out of</th><th>problem rows</th></tr>",
    ]
    for s in summary:
        parts.append(f"<tr><td>{e(s['assignment'])}</td><td class=num>{s['submissions']}</td><td class=num>{s['graded']}</td>"
                     f"<td class=num>{s['mean']:.2f}</td><td class=num>{s['median']:.1f}</td><td class=num>{s['min']:.0f}</td>"
                     f"<td class=num>{s['best']:.0f}</td><td class=num>{s['max']:.0f}</td><td class=num>{s['problems']}</td></tr>")
    parts.append("</table>")
    for aid, uri in figures.items():
        parts.append(f"<h3>{e(aid)}</h3><img alt='score distribution and pass rates of {e(aid)}' src='{uri}'>")
    parts.append(f"<h2>Problem submissions ({len(rows)})</h2>")
    if rows:
        parts.append("<table id='problems'><tr><th>student</th><th>assignment</th><th>what</th><th>what happened</th></tr>")
        for s, a, kind, detail in rows:
            parts.append(f"<tr><td>{e(s)}</td><td>{e(a)}</td><td>{e(kind)}</td><td><pre style='white-space:pre-wrap;margin:0'>"
                         f"{e(detail)}</pre></td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")
    parts.append("<h2>Every submission</h2><table><tr><th>student</th><th>assignment</th><th>status</th>"
                 "<th>autograded</th><th>total (incl. manual)</th><th>needs manual grading</th><th>seconds</th></tr>")
    for r in sorted(records, key=lambda r: (r["assignment"], r["student"])):
        parts.append(f"<tr><td>{e(r['student'])}</td><td>{e(r['assignment'])}</td><td>{e(r.get('status', ''))}</td>"
                     f"<td class=num>{r.get('auto_score', 0):g} / {r.get('auto_max', 0):g}</td>"
                     f"<td class=num>{r.get('score', 0):g} / {r.get('max_score', 0):g}</td>"
                     f"<td>{'yes' if r.get('needs_manual_grade') else 'no'}</td><td class=num>{r.get('seconds', '')}</td></tr>")
    parts.append("</table></body></html>")
    (opts.out / "report.html").write_text("".join(parts), encoding="utf-8")
