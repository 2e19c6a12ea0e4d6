"""The grader's nbgrader preprocessors, one test class each, in the style of nbgrader's tests/preprocessors/:
a preprocessor instance, a notebook (the released student version of a real session, changed the way a
submission would change it), ``resources`` as nbgrader's converters pass them, and the result checked.
"""

from __future__ import annotations

import copy
import json

import nbformat
import pytest
from nbgrader import utils
from nbgrader.nbgraderformat import MetadataValidator
from reglab_autograder.common import grade_id
from reglab_autograder.preprocessors import feedback, intake_rules, metadata
from reglab_autograder.testing.classroom import answered, cell_by_id, course_root, released

A0, A1 = "00_overfitting", "01_l2_weight_decay"


def _resources(tmp_path, aid=A0):
    return {"nbgrader": {"assignment": aid, "notebook": aid, "student": "s", "db_url": ""}}


def _rule(cls, tmp_path):
    """A rule comparing with the committed student versions (notebooks/<id>/<id>.ipynb is the release layout)."""
    return cls(release_root=str(course_root() / "notebooks"), findings_file=str(tmp_path / "findings.jsonl"))


def _findings(tmp_path):
    path = tmp_path / "findings.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class TestNormalizeCellIds:
    def test_old_format_without_ids_is_upgraded(self, tmp_path):
        nb = released(A0)
        nb.nbformat_minor = 0
        for c in nb.cells:
            del c["id"]
        nb, res = _rule(intake_rules.NormalizeCellIds, tmp_path).preprocess(nb, _resources(tmp_path))
        assert nb.nbformat_minor == 5 and all(c.get("id") for c in nb.cells)
        assert len({c.id for c in nb.cells}) == len(nb.cells)
        nbformat.validate(nb)
        assert [f["kind"] for f in _findings(tmp_path)] == ["normalized"] == [f["kind"] for f in res["intake"]]

    def test_repeated_ids_are_made_unique_silently(self, tmp_path):
        nb = released(A0)
        nb.cells[1].id = nb.cells[0].id
        nb, res = _rule(intake_rules.NormalizeCellIds, tmp_path).preprocess(nb, _resources(tmp_path))
        assert len({c.id for c in nb.cells}) == len(nb.cells)
        assert "intake" not in res

    def test_a_current_notebook_is_left_alone(self, tmp_path):
        nb = released(A0)
        before = copy.deepcopy(nb)
        nb, res = _rule(intake_rules.NormalizeCellIds, tmp_path).preprocess(nb, _resources(tmp_path))
        assert nb == before and "intake" not in res


class TestReplaceForeignNotebook:
    def test_another_assignment_is_graded_blank(self, tmp_path):
        nb, res = _rule(intake_rules.ReplaceForeignNotebook, tmp_path).preprocess(answered(A1), _resources(tmp_path))
        assert [c.source for c in nb.cells] == [c.source for c in released(A0).cells]
        assert res["intake"][0]["kind"] == "other assignment" and res["intake"][0]["zero"]

    def test_own_assignment_with_answers_is_kept(self, tmp_path):
        nb = answered(A0)
        out, res = _rule(intake_rules.ReplaceForeignNotebook, tmp_path).preprocess(copy.deepcopy(nb),
                                                                                   _resources(tmp_path))
        assert out == nb and "intake" not in res


class TestReportLockedCellChanges:
    @pytest.mark.parametrize("change, kind", [
        (lambda nb: setattr(cell_by_id(nb, "q1"), "source", "pass"), "edited test"),
        (lambda nb: cell_by_id(nb, "q1").metadata.nbgrader.update(points=100), "changed points"),
        (lambda nb: cell_by_id(nb, "q4a").metadata.nbgrader.update(checksum="0" * 32), "changed checksum"),
        (lambda nb: nb.cells.insert(2, nb.cells.pop(nb.cells.index(cell_by_id(nb, "q4a")))), "reordered"),
        (lambda nb: cell_by_id(nb, "q1").metadata.nbgrader.update(grade_id="q1x"), "unknown grade ids"),
    ])
    def test_each_change_is_reported_and_nothing_is_changed(self, tmp_path, change, kind):
        nb = released(A0)
        change(nb)
        before = copy.deepcopy(nb)
        nb, res = _rule(intake_rules.ReportLockedCellChanges, tmp_path).preprocess(nb, _resources(tmp_path))
        assert [f["kind"] for f in res["intake"]] == [kind]
        assert nb == before  # nbgrader's OverwriteCells restores; this rule only reports

    def test_a_cell_of_an_earlier_release_is_not_called_an_edit(self, tmp_path):
        """The course changed a test after release: the student's copy is the earlier release's, whose checksum
        nbgrader wrote into the cell. It is not the student's edit (their edits leave the checksum stale)."""
        nb = released(A0)
        old = cell_by_id(nb, "q1")
        old.source += "\n# the test as first released"
        old.metadata.nbgrader["checksum"] = utils.compute_checksum(old)
        nb, res = _rule(intake_rules.ReportLockedCellChanges, tmp_path).preprocess(nb, _resources(tmp_path))
        assert [f["kind"] for f in res["intake"]] == ["updated test"]

    def test_retyped_test_cell(self, tmp_path):
        nb = released(A0)
        c = cell_by_id(nb, "q2a")
        c.cell_type = "markdown"
        nb, res = _rule(intake_rules.ReportLockedCellChanges, tmp_path).preprocess(nb, _resources(tmp_path))
        assert [f["kind"] for f in res["intake"]] == ["retyped test"]

    def test_answers_alone_are_not_reported(self, tmp_path):
        nb, res = _rule(intake_rules.ReportLockedCellChanges, tmp_path).preprocess(answered(A0), _resources(tmp_path))
        assert "intake" not in res


class TestStripUnknownGradeIds:
    def test_unknown_grade_cell_becomes_an_ordinary_cell(self, tmp_path):
        nb = released(A0)
        cell_by_id(nb, "q1").metadata.nbgrader["grade_id"] = "q1x"
        nb, _ = _rule(intake_rules.StripUnknownGradeIds, tmp_path).preprocess(nb, _resources(tmp_path))
        assert "q1x" not in {grade_id(c) for c in nb.cells}
        assert sum(utils.is_grade(c) for c in nb.cells) == sum(utils.is_grade(c) for c in released(A0).cells) - 1

    def test_known_cells_keep_their_metadata(self, tmp_path):
        nb = released(A0)
        out, _ = _rule(intake_rules.StripUnknownGradeIds, tmp_path).preprocess(copy.deepcopy(nb), _resources(tmp_path))
        assert out == nb


class TestRemoveDuplicateIds:
    def test_duplicate_is_reported_and_the_copy_becomes_ordinary(self, tmp_path):
        nb = released(A0)
        i = nb.cells.index(cell_by_id(nb, "q1"))
        nb.cells.insert(i, copy.deepcopy(nb.cells[i]))
        nb.cells[i].source = "# the copy"
        nb, res = _rule(intake_rules.RemoveDuplicateIds, tmp_path).preprocess(nb, _resources(tmp_path))
        assert res["intake"] == [{"kind": "duplicate grade ids", "zero": False,
                                  "detail": f"{A0}.ipynb: q1 appear more than once; the last counts, "
                                            "the copies run as ordinary cells"}]
        assert "nbgrader" not in nb.cells[i].metadata and utils.is_grade(nb.cells[i + 1])
        # what nbgrader's own metadata check (next in the sanitize pass) accepts
        MetadataValidator().validate_nb(nb)

    def test_no_duplicates_no_report(self, tmp_path):
        _, res = _rule(intake_rules.RemoveDuplicateIds, tmp_path).preprocess(released(A0), _resources(tmp_path))
        assert "intake" not in res


class TestFlagTampering:
    def test_suspicious_code_is_a_review_row_and_changes_nothing(self, tmp_path):
        nb = answered(A0)
        cell_by_id(nb, "a_q1").source = "checks.check = lambda *a, **k: None"
        out, res = _rule(intake_rules.FlagTampering, tmp_path).preprocess(copy.deepcopy(nb), _resources(tmp_path))
        assert out == nb  # graded as submitted: what code looks like never costs points
        finding = res["intake"][0]
        assert finding["kind"] == "review" and not finding["zero"] and "assigns to checks.check" in finding["detail"]

    def test_locked_cells_are_not_scanned(self, tmp_path):
        # the course's own setup cells import and call what an answer may not; only answers are scanned
        nb = answered(A0)
        out, res = _rule(intake_rules.FlagTampering, tmp_path).preprocess(copy.deepcopy(nb), _resources(tmp_path))
        assert out == nb and "intake" not in res


class TestRestoreCellFlags:
    def test_a_grade_flag_on_an_answer_cell_is_restored(self, tmp_path):
        nb = answered(A0)
        cell_by_id(nb, "a_q1").metadata["nbgrader"].update(grade=True, points=50)
        nb, res = _rule(intake_rules.RestoreCellFlags, tmp_path).preprocess(nb, _resources(tmp_path))
        ref = cell_by_id(released(A0), "a_q1").metadata["nbgrader"]
        assert cell_by_id(nb, "a_q1").metadata["nbgrader"] == ref and not utils.is_grade(cell_by_id(nb, "a_q1"))
        assert res["intake"][0]["kind"] == "changed cell flags" and "a_q1" in res["intake"][0]["detail"]
        MetadataValidator().validate_nb(nb)

    def test_unchanged_flags_no_report(self, tmp_path):
        nb = answered(A0)
        out, res = _rule(intake_rules.RestoreCellFlags, tmp_path).preprocess(copy.deepcopy(nb), _resources(tmp_path))
        assert out == nb and "intake" not in res


class TestSanitizeFeedback:
    def test_script_handlers_remote_images_and_javascript_outputs_are_gone(self):
        nb = released(A0)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(
            "**kept** <script>steal()</script><img src=https://evil.example/t.png onerror=steal()>"))
        cell = cell_by_id(nb, "a_q1")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"application/javascript": "steal()"}),
                        nbformat.v4.new_output("display_data", data={"text/html": "<b onclick=steal()>hi</b>"})]
        nb, _ = feedback.SanitizeFeedback().preprocess(nb, {})
        md = nb.cells[0].source
        assert "**kept**" in md and "<script" not in md and "onerror" not in md and "evil.example" not in md
        js, html_out = cell_by_id(nb, "a_q1").outputs
        assert "application/javascript" not in js.data and "not shown in feedback" in js.data["text/plain"]
        assert html_out.data["text/html"] == "<b>hi</b>"

    def test_raster_attachments_are_kept_and_other_or_missing_ones_read_not_shown(self):
        nb = released(A0)
        png = {"image/png": "iVBORw0KGgo="}
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(
            "![a](attachment:a.png) ![b](attachment:b.svg) ![c](<attachment:c.png>) ![r][ref] [link](attachment:d)"
            "\n\n[ref]: attachment:e.png\n"))
        nb.cells[0].attachments = {"a.png": png, "b.svg": {"image/svg+xml": "<svg/>"},
                                   "f.gif": {"image/gif": "R0lG", "text/html": "<script>x()</script>"}}
        nb, _ = feedback.SanitizeFeedback().preprocess(nb, {})
        cell = nb.cells[0]
        assert cell.attachments == {"a.png": png, "f.gif": {"image/gif": "R0lG"}}
        # (the sanitizer escapes "<attachment:c.png>": that image reads as a remote one, not shown either)
        assert cell.source.startswith("![a](attachment:a.png) [attachment not shown] [image not shown] ![r][ref]")
        assert "attachment:d" not in cell.source and "attachment:e.png" not in cell.source

    def test_remote_images_are_dropped_in_markdown_and_in_the_page(self):
        nb = released(A0)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell("![x](http://e.example/t.png) ![y](data:image/png;base64,AA)"))
        nb, _ = feedback.SanitizeFeedback().preprocess(nb, {})
        assert nb.cells[0].source == "[image not shown] ![y](data:image/png;base64,AA)"
        page = '<img alt="x" src="http://e.example/t.png"><IMG SRC=//e.example/a><img src="data:image/png;base64,AA">'
        assert feedback.drop_unsafe_images(page) == '<img alt="x"><IMG><img src="data:image/png;base64,AA">'


class TestRedactTracebacks:
    def test_a_failed_test_shows_its_message_not_its_source(self):
        nb = released(A0)
        cell = cell_by_id(nb, "q1")
        cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="q1: not answered yet",
                                               traceback=["Traceback", "    assert best_degree == SECRET", "boom"])]
        nb, _ = feedback.RedactTracebacks().preprocess(nb, {})
        assert cell_by_id(nb, "q1").outputs[0].traceback == ["AssertionError: q1: not answered yet"]

    def test_a_failed_check_keeps_its_box_and_one_line_and_no_marker_is_shown(self):
        from reglab import checks

        nb = released(A0)
        cell = cell_by_id(nb, "q1")
        box = checks.Failure("q1", "your answer matches a known mistake.", mistake="training error")
        evalue = "q1: your answer matches a known mistake.\n[misconception:s00.q1.chose-by-training-error]"
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": box._repr_html_()}),
                        nbformat.v4.new_output("error", ename="AnswerError", evalue=evalue, traceback=["x"])]
        other = cell_by_id(nb, "q2a")
        other.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="bad [misconception:s00.q2.x]",
                                                traceback=["Traceback", "secret line"])]
        nb, _ = feedback.RedactTracebacks().preprocess(nb, {})
        assert cell_by_id(nb, "q1").outputs[1].traceback == [box.summary()]
        assert cell_by_id(nb, "q2a").outputs[0].traceback == ["ValueError: bad"]
        assert cell_by_id(nb, "q1").outputs[1].evalue == evalue  # still there for the grader's report

    def test_answer_cells_keep_their_traceback(self):
        nb = released(A0)
        cell = cell_by_id(nb, "a_q1")
        tb = ["Traceback", "NotImplementedError"]
        cell.outputs = [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="", traceback=tb)]
        nb, _ = feedback.RedactTracebacks().preprocess(nb, {})
        assert cell_by_id(nb, "a_q1").outputs[0].traceback == tb


def _metadata_variants():
    """Released and answered notebooks of every session, and copies with one cell's nbgrader metadata broken in
    each way the schema or nbgrader's own checks reject (and a few it accepts)."""
    from reglab import course

    yield "released 00", released(A0)
    for s in course.SESSIONS:
        yield f"answered {s.id}", answered(s.id)
    changes = {
        "points a string": lambda m: m.update(points="two"),
        "points negative": lambda m: m.update(points=-1),
        "no points": lambda m: m.pop("points"),
        "grade not a bool": lambda m: m.update(grade="yes"),
        "no grade_id": lambda m: m.pop("grade_id"),
        "empty grade_id": lambda m: m.update(grade_id=""),
        "grade_id a number": lambda m: m.update(grade_id=7),
        "schema 2": lambda m: m.update(schema_version=2),
        "schema 4": lambda m: m.update(schema_version=4),
        "no schema": lambda m: m.pop("schema_version"),
        "unknown key": lambda m: m.update(colour="red"),
        "no locked": lambda m: m.pop("locked"),
        "metadata a list": lambda m: (m.clear(), m.update({"grade": [1]})),
    }
    for name, change in changes.items():
        nb = released(A0)
        meta = next(c.metadata.nbgrader for c in nb.cells if utils.is_grade(c) and c.cell_type == "code")
        change(meta)
        yield name, nb
    nb = released(A0)
    ids = [c for c in nb.cells if utils.is_grade(c)]
    ids[1].metadata.nbgrader.grade_id = ids[0].metadata.nbgrader.grade_id
    yield "duplicate grade id", nb
    nb = released(A0)
    md = next(c for c in nb.cells if c.cell_type == "markdown" and utils.is_solution(c))
    md.metadata.nbgrader.grade = False
    yield "markdown solution, not graded", nb


def _outcome(validate, nb):
    try:
        validate(copy.deepcopy(nb))
    except Exception as exc:  # noqa: BLE001 - the outcome compared is the exception itself
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("name,nb", list(_metadata_variants()), ids=lambda v: v if isinstance(v, str) else "")
def test_check_cell_metadata_accepts_and_rejects_exactly_as_nbgraders(name, nb):
    """The compiled-schema validator (and its preprocessor) against nbgrader's own, notebook by notebook: the same
    notebooks pass, and a rejected one raises the same exception with the same message."""
    from nbgrader.preprocessors import CheckCellMetadata

    assert _outcome(metadata.CompiledMetadataValidator().validate_nb, nb) == \
        _outcome(MetadataValidator().validate_nb, nb)
    ours, theirs = (_outcome(lambda n, p=p: p().preprocess(n, {}), nb)
                    for p in (metadata.CheckCellMetadata, CheckCellMetadata))
    assert ours == theirs
    assert (ours is None) == name.startswith(("released", "answered")), (name, ours)  # every broken variant fails


def test_nbgraders_check_cell_metadata_is_replaced_everywhere_nbgrader_runs_it():
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import CheckCellMetadata
    from reglab_autograder import config

    lists = {"generate": config.default_list(GenerateAssignment, "preprocessors"),
             "sanitize": config.sanitize_preprocessors(), "autograde": config.autograde_preprocessors(None),
             "feedback": config.feedback_preprocessors()}
    assert all(CheckCellMetadata not in ps for ps in lists.values())
    assert [ps.count(metadata.CheckCellMetadata) for ps in lists.values()] == [2, 1, 1, 0]


def test_every_rule_has_help_on_its_traits():
    for cls in (*intake_rules.INTAKE_RULES, feedback.RedactTracebacks):
        for name, trait in cls.class_traits(config=True).items():
            assert trait.help, f"{cls.__name__}.{name} has no help text"
