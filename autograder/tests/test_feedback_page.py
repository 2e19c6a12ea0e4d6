"""What a student sees in their feedback page, read from the generated HTML (parsed) and in Chromium with no
network: the mastery gate computed from the grades, sanitized outputs that keep their structure, output text that
wraps, equations rendered by the MathJax handed back with the page, and a box explaining deleted tests, restored
cells, the late penalty and pending written answers, after ``reglab grade`` and after ``reglab feedback``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbgrader.api import Gradebook
from reglab_autograder import mathjax
from reglab_autograder.commands.grade import grade
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.preprocessors import graded_view
from reglab_autograder.testing import classroom
from reglab_autograder.testing.classroom import cell_by_id, grade_id

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
A1 = "01_l2_weight_decay"
pytestmark = pytest.mark.xdist_group("feedback_page")  # one graded class, the tests in file order

LATE_POLICY = f"""
c.LatePolicy.due_dates = {{{A1!r}: "2026-10-05 23:59:00 UTC"}}
c.LateSubmissionPlugin.penalty_method = "per_day"
c.LatePenalty.fraction_per_day = 0.25
"""
LONG = "x" * 200 + " the end of a long line"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(4)</script><circle r="1"/></svg>'
PASTED = ("Bias terms shift outputs; see my sketch:\n\n![image.png](attachment:image.png)\n\n"
          "and my drawing ![drawing.svg](attachment:drawing.svg) and ![gone](attachment:nothing.png) "
          "and ![remote](http://evil.example/t.png)\n")
SMUGGLED = ("I think <h4>big</h4><script>alert(1)</script><img src=x onerror=alert(2)> "
            "$\\alpha$ and $\\href{javascript:alert(3)}{click}$")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("feedback_page")
    course = base / "course"
    (course / "autograder").mkdir(parents=True)
    (course / "autograder" / "nbgrader_config.py").write_text(
        (ROOT / "autograder" / "nbgrader_config.py").read_text() + LATE_POLICY)
    (course / "solutions").symlink_to(ROOT / "solutions")
    sub = base / "submitted"
    classroom.write(sub, "alice", A1, classroom.answered(A1))  # everything right, on time
    (sub / "alice" / A1 / "timestamp.txt").write_text("2026-10-05 22:00:00 UTC")
    bob = classroom.answered(A1)  # right answers, but the q1 test deleted, q2a's edited, 36 h late
    bob.cells = [c for c in bob.cells if grade_id(c) != "q1"]
    cell_by_id(bob, "q2a").source = "pass"
    cell_by_id(bob, "w1").source = SMUGGLED
    classroom.write(sub, "bob", A1, bob)
    (sub / "bob" / A1 / "timestamp.txt").write_text("2026-10-07 11:59:00 UTC")
    carol = classroom.answered(A1)  # q1 wrong (the classic mistake), a long printed line; the gate replaced
    cell_by_id(carol, "a_q1").source = (f"eta, lam = checks.givens('q1')\ndecay = 1 - eta * lam\nprint({LONG!r})\n"
                                        "from reglab import checks\n"
                                        "try:\n    checks.mastery_gate = lambda *a: print('All required questions "
                                        "pass. FA' + 'KE')\nexcept Exception:\n    pass")
    classroom.write(sub, "carol", A1, carol)
    dave = classroom.answered(A1)  # images pasted into the written answer (JupyterLab's format), one never attached
    cell_by_id(dave, "w1").source = PASTED
    cell_by_id(dave, "w1").attachments = {"image.png": {"image/png": PNG}, "drawing.svg": {"image/svg+xml": SVG}}
    classroom.write(sub, "dave", A1, dave)
    out = base / "out"
    result = grade(GradeOptions(submissions=sub, out=out, workers=2, course_root=course, progress=False))
    assert result.exit_code == 0 and all(r.graded for r in result.records), result.records
    return {"out": out, "records": {r.student: r for r in result.records}}


def page_path(out, student):
    return out / "feedback" / student / A1 / f"{A1}.html"


def page(out, student) -> BeautifulSoup:
    return BeautifulSoup(page_path(out, student).read_text(), "html.parser")


def gate_rows(soup, written=False) -> dict:
    """{question id: status} of the gate's table (``written``: {grade id: state} of the written answers)."""
    table = soup.select_one("div.reglab-gate table")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.find_all("tr")
            if ("reglab-gate-written" in (tr.get("class") or [])) == written]
    return {r[1]: r[3] for r in rows if r}


def summary(soup) -> list[str]:
    box = soup.select_one("div.reglab-feedback-summary")
    return [li.get_text(" ", strip=True) for li in box.find_all("li")] if box else []


# ---------------------------------------------------------------------------------------------- the gate


def test_the_gate_shows_the_grades_in_feedback_and_formgrader(graded):
    out = graded["out"]
    alice, bob, carol = (page(out, s) for s in ("alice", "bob", "carol"))
    assert set(gate_rows(alice).values()) == {"passed"} and alice.select_one(".reglab-gate-ready")
    assert gate_rows(bob)["q1"] == "failed"  # its test deleted
    assert gate_rows(bob)["q2"] == "passed"  # its edited test was put back, and passes
    assert gate_rows(carol)["q1"] == "failed" and carol.select_one(".reglab-gate-blocked")
    assert gate_rows(alice, written=True) == {w: "answered, graded by your instructor" for w in ("w1", "w2")}
    # carol's failed check: the box, its mistake in words and the link to the section, no internal id
    box = carol.select_one("div.reglab-check-failed")
    assert "the factor 2 seems to be missing" in box.get_text()
    assert "s01.q1" not in carol.get_text() and "[misconception:" not in carol.get_text()
    assert box.select_one("a")["href"] == "#1.-The-weight-decay-step-(7.4\u20137.5)"
    assert carol.find("h2", id="1.-The-weight-decay-step-(7.4%E2%80%937.5)")  # the heading it leads to
    for soup in (alice, bob, carol):
        assert soup.select_one(".reglab-gate-note").get_text(strip=True) == graded_view.GATE_NOTE
        assert "not attempted" not in soup.select_one("div.reglab-gate").get_text()
    assert "FAKE" not in carol.get_text()  # nothing the student's kernel printed there
    # formgrader shows the autograded notebook: its gate cell holds the same computed gate
    nb = nbformat.read(out / "autograded" / "alice" / A1 / f"{A1}.ipynb", as_version=4)
    (output,) = cell_by_id(nb, "gate").outputs
    assert graded_view.GATE_NOTE in output.data["text/plain"] and "not attempted" not in output.data["text/plain"]


# ----------------------------------------------------------------------------------- sanitized structure


def test_sanitized_outputs_keep_their_structure_and_print_no_tags(graded):
    bob = page(graded["out"], "bob")
    body_text = bob.body.get_text()
    for tag in ("<h4", "<style", "<tbody", "<table", "<th>", "<p class", "<script", "<img"):
        assert tag not in body_text, tag  # no markup shown as text
    assert ".reglab-gate td" not in body_text  # the <style> element's text is dropped with it
    gate = bob.select_one("div.reglab-gate")
    assert gate.find("h4") and gate.find("th") and not gate.find("style")
    assert not [s for s in bob.body.find_all("style")]  # styles only in the page's head
    answer = bob.find("a", attrs={"name": "w1"}).find_parent("div", class_="nbgrader_cell")
    assert answer.find("h4").get_text() == "big"  # the student's heading is a heading
    assert "alert(1)" not in answer.get_text()  # the script is dropped, text included
    assert all(not any(k.startswith("on") for k in el.attrs) for el in bob.find_all(True))


def test_pasted_raster_images_are_shown_and_other_or_missing_attachments_are_not(graded):
    assert graded["records"]["dave"].graded
    dave = page(graded["out"], "dave")
    answer = dave.find("a", attrs={"name": "w1"}).find_parent("div", class_="nbgrader_cell")
    (img,) = answer.find_all("img")
    assert img["src"] == f"data:image/png;base64,{PNG}"
    text = answer.get_text()
    assert "Bias terms shift outputs" in text and text.count("[attachment not shown]") == 2
    assert "[image not shown]" in text
    page_text = page_path(graded["out"], "dave").read_text()
    assert "svg+xml" not in page_text and "alert(4)" not in page_text and "evil.example" not in page_text


# ---------------------------------------------------------------------------------- the box at the top


def test_the_box_explains_deleted_and_restored_cells_late_penalty_and_pending_answers(graded):
    out, rec = graded["out"], graded["records"]
    bob = page(out, "bob")
    box = bob.select_one("div.reglab-feedback-summary")
    assert box is not None and box.find_parent("div", class_="cell") is bob.select("div.cell")[0]  # first cell
    lines = summary(bob)
    assert rec["bob"].deleted_tests == [f"{A1}:q1"]
    assert any("test cell q1 was deleted" in line and "scores 0" in line for line in lines), lines
    assert graded_view.STUDENT_WORDS["edited test"] in lines
    (late,) = [line for line in lines if line.startswith("Submitted")]
    assert "Submitted 2026-10-07 11:59 UTC, due 2026-10-05 23:59 UTC: 1 day 12 hours late (2 started days)" in late
    assert f"{rec['bob'].late_penalty:g} points" in late and "25 %" in late
    assert any("written answer w1" in line and "pending: graded by your instructor" in line for line in lines)
    assert not any("q1" in line or "deleted" in line or "late" in line for line in summary(page(out, "alice")))
    # the pending answer's score reads "pending", never 0 (nbgrader's score of an unscored answer is 0.0): in its
    # panel's heading and in the page's table of contents
    answer = bob.find("a", attrs={"name": "w1"}).find_parent("div", class_="nbgrader_cell")
    heading = " ".join(answer.select_one(".panel-heading").get_text().split())
    assert "pending, graded by your instructor (out of" in heading and "Score: 0" not in heading
    assert len(bob.select("#toc")) == 1  # nbgrader's header is replaced, not repeated
    (toc_w1,) = [li for li in bob.select("#toc li") if li.find("a", href="#w1")]
    assert "pending" in toc_w1.get_text() and "Score: 0" not in toc_w1.get_text()
    assert "written answers pending" in bob.select_one(".panel-heading h4").get_text()
    # a graded answer keeps nbgrader's score line
    alice_w1 = page(out, "alice").find("a", attrs={"name": "q1"}).find_parent("div", class_="nbgrader_cell")
    assert "Score: " in alice_w1.select_one(".panel-heading").get_text()


def test_reglab_feedback_keeps_the_box_and_drops_what_was_graded(graded):
    out = graded["out"]
    with Gradebook(db_url_for(out)) as gb:  # what formgrader does with a score
        for student in ("alice", "bob"):
            for written in ("w1", "w2"):  # session 1's written answers
                g = gb.find_grade(written, A1, A1, student)
                g.manual_score, g.needs_manual_grade = 1.5, False
        gb.db.commit()
    r = subprocess.run([str(BIN / "reglab"), "feedback", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    alice, bob = page(out, "alice"), page(out, "bob")
    assert summary(alice) == [] and alice.select_one("div.reglab-feedback-summary") is None
    lines = summary(bob)
    assert not any("pending" in line for line in lines)
    assert any("test cell q1 was deleted" in line for line in lines)
    assert graded_view.STUDENT_WORDS["edited test"] in lines  # the report's rows, read back from the job record
    assert any(line.startswith("Submitted 2026-10-07 11:59 UTC") for line in lines)
    assert gate_rows(bob)["q1"] == "failed" and gate_rows(alice)["q1"] == "passed"


def test_summary_sentences():
    import datetime as dt

    grades = [("q1", "code", 0, 2.0, None, False), ("q2", "code", 1, 1.0, None, False),
              ("w1", "markdown", None, 2.0, None, True), ("w2", "markdown", 1.0, 2.0, 1.0, False)]
    problems = [{"kind": "retyped test", "detail": "nb.ipynb: cell(s) q2 changed type"},
                {"kind": "review", "detail": "nb.ipynb: code worth a look"},
                {"kind": "edited test", "detail": "other.ipynb: locked cell(s) q9 were changed"}]
    lines = graded_view.summary_lines("nb", {"q2", "w1", "w2"}, grades, problems, None)
    assert lines == ["The test cell q1 was deleted from your notebook: it could not run and scores 0 (of 2 points).",
                     graded_view.STUDENT_WORDS["retyped test"],
                     "Your written answer w1 (2 points) is pending: graded by your instructor. "
                     "Until then the total counts it as 0."]
    due, sub = dt.datetime(2026, 10, 5, 23, 59), dt.datetime(2026, 10, 6, 0, 29)
    assert graded_view.late_sentence(due, sub, 1800, 0.0, "no penalty") == (
        "Submitted 2026-10-06 00:29 UTC, due 2026-10-05 23:59 UTC: 30 min late (1 started day). "
        "Late policy: no penalty. No points were taken.")
    assert graded_view.late_sentence(due, due, 0, 0.0, "no penalty") is None
    assert graded_view.late_sentence(None, sub, 1800, 1.0, "x") is None


# ------------------------------------------------------------------------------------- MathJax, offline


def test_mathjax_is_loaded_from_the_folder_handed_back_and_nothing_else(graded):
    out = graded["out"]
    soup = page(out, "bob")
    scripts = soup.find_all("script")
    assert [s.get("src", "").split("?")[0] for s in scripts] == ["../mathjax/reglab-config.js", "../mathjax/MathJax.js"]
    assert all(not s.string for s in scripts)  # no inline script
    (csp,) = [m["content"] for m in soup.find_all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    rules = dict((r.split()[0], r.split()[1:]) for r in csp.split(";") if r.strip())
    assert rules["default-src"] == ["'none'"] and rules["script-src"] == ["'self'"]
    assert not [s for r in rules.values() for s in r if s.startswith(("http", "'unsafe-eval", "*"))]
    mj = out / "feedback" / "bob" / mathjax.FOLDER
    assert (mj / "MathJax.js").is_file() and (mj / "extensions" / "Safe.js").is_file()
    r = subprocess.run([str(BIN / "reglab"), "handback", str(out), "--zip"], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    assert (out / "handback" / "bob" / mathjax.FOLDER / "MathJax.js").is_file()
    assert sum(f.stat().st_size for f in mj.rglob("*") if f.is_file()) < 4 * 2**20  # the trimmed copy


def _render(url: str):
    """Open ``url`` in Chromium with every non-file request refused; returns (page facts, requests, console)."""
    from playwright.sync_api import sync_playwright

    requests, console = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            pg = browser.new_page(viewport={"width": 1000, "height": 800})
            pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                     else (requests.append(route.request.url), route.abort()))
            pg.on("request", lambda req: req.url == "about:blank" or requests.append(req.url))
            pg.on("console", lambda msg: console.append(msg.text))
            t0 = time.monotonic()
            pg.goto(url)
            done = ("() => !!(window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                    "&& document.querySelectorAll('.MathJax').length > 0)")
            while not pg.evaluate(done) and time.monotonic() - t0 < 30:  # polled: the page's CSP forbids eval
                time.sleep(0.1)
            seconds = time.monotonic() - t0
            facts = pg.evaluate("""() => ({
                math: document.querySelectorAll('.MathJax, .MathJax_Display').length,
                errors: document.querySelectorAll('.MathJax_Error, merror').length,
                raw: document.body.innerText.includes('\\\\tilde w'),
                hrefs: Array.from(document.querySelectorAll('.MathJax a')).map(a => a.getAttribute('href')),
                overflow: Array.from(document.querySelectorAll('div.output_subarea pre'))
                               .filter(p => p.scrollWidth > p.clientWidth + 1).length,
                alerts: window.__alerted || 0})""")
            link = pg.locator("div.reglab-check-failed a").first
            if link.count():  # a failed check's "Reread" link: where does the page scroll to?
                before = pg.evaluate("() => window.scrollY")
                link.click()
                pg.wait_for_timeout(300)
                facts["reread"] = pg.evaluate("""(before) => {
                    const id = decodeURIComponent(location.hash.slice(1));
                    const h = document.getElementById(id) || document.getElementById(encodeURIComponent(id));
                    return {moved: window.scrollY !== before, heading: h ? h.textContent.trim() : null,
                            top: h ? Math.round(h.getBoundingClientRect().top) : null}; }""", before)
        finally:
            browser.close()
    return facts, requests, console, seconds


def test_equations_render_offline_safely_and_messages_wrap(graded):
    out = graded["out"]
    facts, requests, console, seconds = _render(page_path(out, "bob").as_uri())
    assert facts["math"] > 50 and facts["errors"] == 0 and not facts["raw"], facts  # session 1's equations
    assert not [h for h in facts["hrefs"] if h and not h.startswith(("http:", "https:"))]  # no javascript: link
    assert [u for u in requests if not u.startswith("file://")] == []  # nothing asked of the network
    mj = (out / "feedback" / "bob" / mathjax.FOLDER).as_uri()
    assert all(u.startswith(mj) or u == page_path(out, "bob").as_uri() for u in requests), requests
    # the one thing the policy blocks is MathJax's probe of an empty font ('about:blank'): nothing of the page
    assert not [m for m in console if "Content Security Policy" in m and "'about:blank'" not in m], console
    assert seconds < 20
    facts, *_ = _render(page_path(out, "carol").as_uri())
    assert facts["overflow"] == 0, facts  # carol's long printed line wraps
    # her failed check's "Reread" link takes her to the section's heading
    reread = facts["reread"]
    assert reread["moved"] and reread["heading"].startswith("1. The weight decay step"), reread
    assert 0 <= reread["top"] < 100, reread


def test_a_cluster_result_gets_the_mathjax_its_pages_load(tmp_path):
    from reglab_autograder.cluster import grading as cluster
    from reglab_autograder.jobs import JobRecord

    (tmp_path / "jobs").mkdir()
    result = {"files": {f"feedback/bob/{A1}/{A1}.html": b"<html></html>"},
              "record": JobRecord("bob", A1).to_json()}
    cluster.store(tmp_path, "bob", A1, result)  # a worker sends the pages only
    assert (tmp_path / "feedback" / "bob" / mathjax.FOLDER / "MathJax.js").is_file()
    assert (tmp_path / "feedback" / "bob" / mathjax.FOLDER / mathjax.CONFIG).is_file()


def test_mathjax_copies_are_whole_when_two_jobs_write_them_at_once_and_refreshed_when_stale(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as ex:
        folders = set(ex.map(lambda _: mathjax.install(tmp_path), range(4)))
    assert folders == {tmp_path / mathjax.FOLDER} and [p.name for p in tmp_path.iterdir()] == [mathjax.FOLDER]
    copied = sorted(p.relative_to(tmp_path / mathjax.FOLDER) for p in (tmp_path / mathjax.FOLDER).rglob("*"))
    (tmp_path / mathjax.FOLDER / mathjax.CONFIG).write_text("stale settings")
    mathjax.install(tmp_path)
    assert (tmp_path / mathjax.FOLDER / mathjax.CONFIG).read_text().startswith("/* MathJax 2 settings")
    assert sorted(p.relative_to(tmp_path / mathjax.FOLDER) for p in (tmp_path / mathjax.FOLDER).rglob("*")) == copied
    assert [p.name for p in tmp_path.iterdir()] == [mathjax.FOLDER]  # nothing left beside it
