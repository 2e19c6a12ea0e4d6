"""The fingerprints the visible checks compare with live in ``reglab.fingerprints``, out of the check cells."""

import json
import re
from pathlib import Path

import pytest

from reglab import checks, course, fingerprints, variants

ROOT = Path(__file__).resolve().parents[1]
READS = re.compile(r'checks\.(expected|mistakes)\("([^"]*)"\)')


def _test_cells(folder, session):
    nb = json.loads((ROOT / folder / session.notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("grade"):
            yield meta["grade_id"], "".join(cell["source"])


@pytest.fixture(autouse=True)
def no_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("REGLAB_PROGRESS_FILE", str(tmp_path / "progress.json"))
    yield
    checks.start_session("01_l2_weight_decay")


def test_expected_and_mistakes_read_the_current_session_and_name_what_is_missing():
    checks.start_session("01_l2_weight_decay")
    assert checks.expected("q1").matches(1 - 2 * 0.1 * 0.01) and not checks.expected("q1").matches(1 - 0.1 * 0.01)
    named = checks.mistakes("q1")
    assert set(named) == {"forgot-factor-2", "sign-flipped"} and named["forgot-factor-2"].matches(1 - 0.1 * 0.01)
    checks.check("q1", lambda: 0.998, checks.expected("q1"), misconceptions=checks.mistakes("q1"))
    with pytest.raises(checks.AnswerError, match=r"\[misconception:s01\.q1\.forgot-factor-2\]"):
        checks.check("q1", lambda: 0.999, checks.expected("q1"), misconceptions=checks.mistakes("q1"))
    with pytest.raises(LookupError, match="no entry 'q9' for session 01_l2_weight_decay"):
        checks.mistakes("q9")
    checks.start_session("05_dropout")  # the same name in another session is that session's check
    assert checks.expected("q1c").matches(3.0) and set(checks.mistakes("q1c")) >= {"unweighted-mean"}
    # a question with one fixed instance (session 6's modelling question) reads the table
    checks.start_session("06_capstone")
    assert set(checks.mistakes("q4a")) == {"training-loss", "test-loss"}
    with pytest.raises(LookupError, match="no entry 'q4z' for session 06_capstone"):
        checks.expected("q4z")


def test_the_table_is_read_only():
    with pytest.raises(TypeError):
        fingerprints.FINGERPRINTS["01_l2_weight_decay"]["q1"] = ("fp2:c:00:00", {})
    with pytest.raises(TypeError):
        named = next(named for table in fingerprints.FINGERPRINTS.values() for _, named in table.values() if named)
        named[next(iter(named))] = "fp2:c:00:00"


@pytest.mark.parametrize("session", course.SESSIONS, ids=lambda s: s.id)
def test_check_cells_read_the_table_and_show_no_fingerprint(session):
    table = fingerprints.FINGERPRINTS.get(session.id, {})
    read = set()
    for part, source in _test_cells("solutions", session):
        for accessor, name in READS.findall(source.split("### BEGIN HIDDEN TESTS")[0]):
            spec = variants.spec(session.id, session.question_of(part).id)
            if spec is not None:  # computed from the student's givens (reglab.variants), not hashed here
                g = variants.givens(session.id, session.question_of(part).id)
                values = spec.expected(g) if accessor == "expected" else spec.mistakes(g)
                assert name in values and name not in table, f"{part}: checks.{accessor}({name!r})"
                continue
            assert name in table, f"{part}: checks.{accessor}({name!r}) has no entry in reglab.fingerprints"
            assert name.split(":")[0] == part, f"{part} reads another part's fingerprints ({name!r})"
            assert accessor == "mistakes" or table[name][0] is not None, name
            read.add(name)
    assert read == set(table), f"entries no check cell reads: {sorted(set(table) - read)}"
    for name, (exp, named) in table.items():
        question = session.question_of(name.split(":")[0])
        for key, text in named.items():
            question.misconception(key)  # declared in the course map
            checks.Fingerprint(text)
        if exp is not None:
            checks.Fingerprint(exp)
    for part, source in _test_cells("notebooks", session):  # what the student reads
        assert "Fingerprint(" not in source and "fp2:" not in source and "fp1:" not in source, part
