"""nbgrader preprocessors of the grading pipeline.

The intake rules (:data:`INTAKE_RULES`) run first in ``Autograde.sanitize_preprocessors``, before
nbgrader's own (which restore locked cells, points and cell types from the gradebook). Each compares
the submitted notebook with the released version (``IntakeRule.release_root``), fixes what nbgrader
cannot grade, and reports what it found: as a log warning, in ``resources["intake"]``, and as one JSON
line per finding in ``IntakeRule.findings_file`` (the report's rows).

:class:`RedactTracebacks` runs in ``GenerateFeedback.preprocessors``. :class:`CheckCellMetadata` takes the place of
nbgrader's own wherever nbgrader runs it (setting up the assignments, the sanitize and autograde passes).
"""

from __future__ import annotations

import copy
import json
import re
import traceback
from pathlib import Path

import jsonschema
import nbformat
from nbformat.v4.nbbase import random_cell_id
from nbgrader import preprocessors as nbgrader_preprocessors
from nbgrader import utils
from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, SchemaTooOldError, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from .common import grade_id
from .tampering import find_tampering


class IntakeRule(NbGraderPreprocessor):
    """Base of the intake rules: the released notebook to compare with, and the findings it reports."""

    release_root = Unicode(
        "",
        help="Folder holding <assignment>/<notebook>.ipynb as released to students: what the rules compare with.",
    ).tag(config=True)
    findings_file = Unicode(
        "",
        help="File the rules append their findings to, one JSON object per line ('' = do not write).",
    ).tag(config=True)

    def reference(self, resources):
        """The released version of the notebook being graded."""
        info = resources["nbgrader"]
        path = Path(self.release_root) / info["assignment"] / f"{info['notebook']}.ipynb"
        return nbformat.read(path, as_version=4)

    def report(self, resources, kind: str, detail: str, zero: bool = False) -> None:
        finding = {"kind": kind, "detail": detail, "zero": zero}
        resources.setdefault("intake", []).append(finding)
        self.log.warning("%s: %s", kind, detail)
        if self.findings_file:
            with open(self.findings_file, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(finding) + "\n")

    def preprocess_cell(self, cell, resources, index):
        return cell, resources


class NormalizeCellIds(IntakeRule):
    """nbformat 4.0-4.4 notebooks and repeated or missing cell ids: upgraded to 4.5 with unique ids."""

    def preprocess(self, nb, resources):
        if nb.nbformat_minor < 5 or any("id" not in c for c in nb.cells):
            self.report(resources, "normalized",
                        f"nbformat 4.{nb.nbformat_minor} notebook without cell ids upgraded to 4.5")
            nb.nbformat_minor = 5
        seen = set()
        for c in nb.cells:
            if not c.get("id") or c["id"] in seen:
                c["id"] = random_cell_id()
            seen.add(c["id"])
            if c.cell_type == "markdown":  # stray keys of old formats that 4.5 rejects
                c.pop("outputs", None)
                c.pop("execution_count", None)
        return nb, resources


def _locked_cells(nb) -> dict:
    return {grade_id(c): c for c in nb.cells if utils.is_locked(c) and grade_id(c)}


class ReplaceForeignNotebook(IntakeRule):
    """A notebook holding at most a third of this assignment's locked cells unchanged belongs to another
    assignment: graded as the blank released version."""

    def preprocess(self, nb, resources):
        ref = self.reference(resources)
        locked = {gid: c.source for gid, c in _locked_cells(ref).items()}
        if not locked:
            return nb, resources
        got = {}
        for c in nb.cells:
            if grade_id(c) in locked:
                got.setdefault(grade_id(c), c.source)
        same = sum(1 for gid, src in locked.items() if got.get(gid) == src)
        if same <= len(locked) / 3:
            self.report(resources, "other assignment",
                        f"{resources['nbgrader']['notebook']}.ipynb does not have this assignment's locked cells "
                        "(setup, tests); graded as blank", zero=True)
            nb.cells = copy.deepcopy(ref.cells)
        return nb, resources


def released_before(cell, ref_cell) -> bool:
    """A locked cell unchanged since an earlier release: its source is not the current release's, but matches the
    checksum nbgrader wrote into it when it was released (a student who edits a cell does not recompute it; one who
    does is only labelled otherwise: the current source is graded either way)."""
    checksum = cell.metadata.get("nbgrader", {}).get("checksum")
    return bool(checksum) and checksum != ref_cell.metadata["nbgrader"].get("checksum") and \
        checksum == utils.compute_checksum(cell)


class ReportLockedCellChanges(IntakeRule):
    """Says which locked cells were edited, retyped, moved or re-pointed. It changes nothing: nbgrader's
    ``OverwriteCells`` restores them from the gradebook."""

    def preprocess(self, nb, resources):
        ref = self.reference(resources)
        name = f"{resources['nbgrader']['notebook']}.ipynb"
        locked, known = _locked_cells(ref), {grade_id(c) for c in ref.cells if grade_id(c)}
        got = {}
        for c in nb.cells:
            if grade_id(c):
                got.setdefault(grade_id(c), c)
        edited, updated, retyped, points, sums = [], [], [], [], []
        for gid, ref_cell in locked.items():
            cell = got.get(gid)
            if cell is None:
                continue  # deleted: a deleted test scores 0 after grading, and says so
            meta, ref_meta = cell.metadata.get("nbgrader", {}), ref_cell.metadata["nbgrader"]
            if cell.cell_type != ref_cell.cell_type:
                retyped.append(gid)
            elif cell.source != ref_cell.source:
                (updated if released_before(cell, ref_cell) else edited).append(gid)
                continue  # an older release's cell: its points and checksum are that release's
            if meta.get("points") != ref_meta.get("points"):
                points.append(gid)
            if meta.get("checksum") != ref_meta.get("checksum"):
                sums.append(gid)
        order = [g for g in map(grade_id, nb.cells) if g in locked]
        if edited:
            self.report(resources, "edited test",
                        f"{name}: locked cell(s) {', '.join(edited)} were changed; graded with the original source")
        if updated:
            self.report(resources, "updated test",
                        f"{name}: locked cell(s) {', '.join(updated)} are as an earlier release of the course had "
                        "them (the notebook predates a change to the tests); graded with the current source")
        if retyped:
            self.report(resources, "retyped test",
                        f"{name}: cell(s) {', '.join(retyped)} changed type; graded as the original code cells")
        if points:
            self.report(resources, "changed points",
                        f"{name}: points of {', '.join(points)} were edited; the gradebook's points count")
        if sums and not (edited or retyped):
            self.report(resources, "changed checksum",
                        f"{name}: checksums of {', '.join(sums)} were edited (no effect on grading)")
        if len(order) == len(set(order)) and order != [g for g in locked if g in got]:
            self.report(resources, "reordered",
                        f"{name}: locked cells were moved; tests run where the student put them")
        unknown = sorted(g for g in got if g not in known)
        if unknown:
            self.report(resources, "unknown grade ids",
                        f"{name}: grade ids not in the assignment: {', '.join(unknown)} "
                        "(run as ordinary cells, never scored)")
        return nb, resources


class StripUnknownGradeIds(IntakeRule):
    """Cells whose grade id the assignment does not have lose their nbgrader metadata and run as ordinary
    cells (nbgrader would drop only the id and then fail on a grade cell without one)."""

    def preprocess(self, nb, resources):
        known = {grade_id(c) for c in self.reference(resources).cells if grade_id(c)}
        for c in nb.cells:
            if "nbgrader" in c.metadata and grade_id(c) not in known:
                del c.metadata["nbgrader"]
        return nb, resources


FLAGS = ("grade", "solution", "locked", "task")


class RestoreCellFlags(IntakeRule):
    """A cell of the assignment whose nbgrader flags were edited (a grade flag or points on an answer cell, an
    answer flag on a test): its nbgrader metadata is restored from the released notebook. nbgrader's
    ``OverwriteCells`` would otherwise stop the whole notebook (``MissingEntry``) on a grade flag the
    gradebook holds differently."""

    def preprocess(self, nb, resources):
        ref = {grade_id(c): c for c in self.reference(resources).cells if grade_id(c)}
        changed = []
        for c in nb.cells:
            gid = grade_id(c)
            if gid not in ref:
                continue
            meta, ref_meta = c.metadata.get("nbgrader", {}), ref[gid].metadata["nbgrader"]
            if any(bool(meta.get(f)) != bool(ref_meta.get(f)) for f in FLAGS) or \
                    (not utils.is_locked(ref[gid]) and meta.get("points") != ref_meta.get("points")):
                c.metadata["nbgrader"] = copy.deepcopy(ref_meta)
                changed.append(gid)
        if changed:
            self.report(resources, "changed cell flags",
                        f"{resources['nbgrader']['notebook']}.ipynb: nbgrader flags or points of "
                        f"{', '.join(changed)} were edited; the released ones count")
        return nb, resources


class RemoveDuplicateIds(IntakeRule):
    """Grade ids that appear more than once: the last cell keeps its nbgrader metadata (as nbgrader's
    ``DeduplicateIds`` decides), the copies lose theirs and run as ordinary cells.

    nbgrader's ``DeduplicateIds`` would leave an empty ``nbgrader`` dict on the copies, which its own
    ``CheckCellMetadata`` then rejects as metadata schema 0 (nbgrader 0.9.6), failing the whole notebook.
    """

    def preprocess(self, nb, resources):
        seen, dups = set(), set()
        for c in reversed(nb.cells):
            if grade_id(c) and (utils.is_grade(c) or utils.is_solution(c) or utils.is_locked(c)):
                if grade_id(c) in seen:
                    dups.add(grade_id(c))
                    del c.metadata["nbgrader"]
                else:
                    seen.add(grade_id(c))
        if dups:
            self.report(resources, "duplicate grade ids",
                        f"{resources['nbgrader']['notebook']}.ipynb: {', '.join(sorted(dups))} appear more than once; "
                        "the last counts, the copies run as ordinary cells")
        return nb, resources


class FlagTampering(IntakeRule):
    """Code in cells the student controls that looks like it could touch the grading machinery: a "review"
    row for the instructor, nothing else. What code looks like never costs points: honest answers use
    ``eval``, ``inspect``, ``vars()`` or ``plt.rcParams`` too. Grading is protected by what the code can
    do (the sandbox, nbgrader restoring the test cells, hidden tests, the harness's own checks)."""

    def preprocess(self, nb, resources):
        ref = self.reference(resources)
        fixed = {grade_id(c) for c in ref.cells if grade_id(c) and (utils.is_locked(c) or utils.is_grade(c))}
        reasons = [f"cell {i}: {r}" for i, c in enumerate(nb.cells)
                   if c.cell_type == "code" and grade_id(c) not in fixed for r in find_tampering(c.source)]
        if reasons:
            more = f" (and {len(reasons) - 4} more)" if len(reasons) > 4 else ""
            self.report(resources, "review",
                        f"{resources['nbgrader']['notebook']}.ipynb: code worth a look "
                        f"({'; '.join(reasons[:4])}{more}); "
                        "graded as submitted, no points taken")
        return nb, resources


INTAKE_RULES = (NormalizeCellIds, ReplaceForeignNotebook, ReportLockedCellChanges, StripUnknownGradeIds,
                RestoreCellFlags, RemoveDuplicateIds, FlagTampering)


ACTIVE_MIME = ("application/javascript", "text/javascript", "application/vnd.jupyter.widget-view+json",
               "application/vnd.jupyter.widget-state+json", "image/svg+xml")
SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "div",
             "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
             "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
             "th", "thead", "tr", "u", "ul", "var"}
# elements dropped with everything inside them (the other unknown tags lose their tags and keep their text)
DROPPED_WITH_CONTENT = ("style", "script", "template", "noscript", "title", "head", "iframe", "object", "svg", "math")


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _safe_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "img" and name == "src":
        return value.startswith("data:image/")  # nothing fetched from anywhere
    if tag == "a" and name == "href":
        return value.startswith(("http://", "https://", "#", "mailto:"))
    if tag in HEADINGS and name == "id":
        return True  # the anchor a failed check's "Reread" link points to (the page runs no script to clobber)
    return name in {"alt", "title", "class", "width", "height", "colspan", "rowspan", "align"}


def drop_unsafe_images(html: str) -> str:
    """``html`` (a whole rendered page) with every ``<img>`` whose ``src`` is not a ``data:`` image left without its
    ``src``: nothing is fetched from anywhere, even by a page whose Content-Security-Policy was stripped."""
    return UNSAFE_IMG_SRC.sub(r"\1", html)


# an <img ...> tag's src attribute (quoted or not) whose value is not a data: image
UNSAFE_IMG_SRC = re.compile(r"""(<img\b[^>]*?)\s+src\s*=\s*(?!["']?data:image/)("[^"]*"|'[^']*'|[^\s>]+)""",
                            re.IGNORECASE)
# attachments nbconvert shows as data: images (an SVG or HTML attachment could carry script)
RASTER_ATTACHMENTS = ("image/png", "image/jpeg", "image/gif")
ATTACHMENT_NOT_SHOWN = "[attachment not shown]"
# a markdown image of an attachment, ![alt](attachment:name "title") or ![alt](<attachment:name>)
ATTACHMENT_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?attachment:([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
# a markdown image of anything but an attachment or a data: image (fetched from the network when the page opens)
REMOTE_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*(?!<?(?:data:image/|attachment:))[^)]*\)")
IMAGE_NOT_SHOWN = "[image not shown]"
# any other mention of an attachment (a reference definition, a link)
ATTACHMENT_URL = re.compile(r"attachment:([^)\s>\]\"']*)")


def raster_attachments(attachments) -> dict:
    """The attachments of a markdown cell that are raster images, each with only its raster image data."""
    kept = {}
    for name, bundle in (attachments or {}).items():
        if isinstance(bundle, dict):
            raster = {m: v for m, v in bundle.items() if m in RASTER_ATTACHMENTS and isinstance(v, str | list)}
            if raster:
                kept[name] = raster
    return kept


def markdown_images_shown(source: str, kept) -> str:
    """Markdown ``source`` whose remote images read :data:`IMAGE_NOT_SHOWN` and whose references to attachments
    not in ``kept`` read :data:`ATTACHMENT_NOT_SHOWN` (an image) or lose their target (anything else): nbconvert
    refuses a notebook that names a missing attachment."""
    from urllib.parse import unquote

    def known(name: str) -> bool:
        return name in kept or unquote(name) in kept

    source = REMOTE_IMAGE.sub(IMAGE_NOT_SHOWN, source)
    source = ATTACHMENT_IMAGE.sub(lambda m: m.group() if known(m.group(1)) else ATTACHMENT_NOT_SHOWN, source)
    return ATTACHMENT_URL.sub(lambda m: m.group() if known(m.group(1)) else "#attachment-not-shown", source)


def sanitize_html(text: str) -> str:
    """Student HTML (or markdown holding HTML) without script, event handlers, styles or remote resources: harmless
    structure (tables, headings, lists, spans with classes) is kept, ``<style>`` and ``<script>`` elements are
    dropped whole, other tags lose their markup and keep their text."""
    import bleach
    from bs4 import BeautifulSoup

    if "<" in text and any(f"<{t}" in text.lower() for t in DROPPED_WITH_CONTENT):
        soup = BeautifulSoup(text, "html.parser")
        for el in soup.find_all(DROPPED_WITH_CONTENT):
            el.decompose()
        text = str(soup)
    return bleach.clean(text, tags=SAFE_TAGS, attributes=_safe_attribute, strip=True, strip_comments=True)


# "<" before a space, digit, "=", "\\" or "(" cannot open a tag, ">" closes none alone, "&" before anything but a
# letter or "#" opens no entity: the sanitizer's escapes of these are undone in markdown, whose renderer escapes the
# mathematics itself (else "$|w| < 1$" reaches MathJax as "&lt;" and fails on the "&")
HARMLESS_ESCAPES = re.compile(r"&lt;(?=[\s\d=\\(])|&gt;|&amp;(?![a-zA-Z#])")


def harmless_unescaped(text: str) -> str:
    """``text`` with the sanitizer's escapes of characters that cannot start markup undone."""
    return HARMLESS_ESCAPES.sub(lambda m: {"&lt;": "<", "&gt;": ">", "&amp;": "&"}[m.group()], text)


class SanitizeFeedback(NbGraderPreprocessor):
    """Feedback is built from the student's notebook and opened in a browser: markdown cells and HTML outputs
    are sanitized (no script, no event handler, no remote image), JavaScript outputs, SVG and widget views are
    replaced by a note, the notebook's widget state is dropped. A markdown cell keeps its raster image attachments
    (shown as data: images); its other attachments (SVG, HTML) are dropped, and a reference to an attachment it
    does not keep reads "[attachment not shown]". The page also carries a Content-Security-Policy
    (templates/feedback/mathjax.html.j2) that blocks scripts and network loads whatever it holds."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type in ("markdown", "raw"):
            kept = raster_attachments(cell.get("attachments")) if cell.cell_type == "markdown" else {}
            cell.source = markdown_images_shown(harmless_unescaped(sanitize_html(cell.source)), kept)
            cell.pop("attachments", None)
            if kept:
                cell.attachments = kept
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            if any(m in data for m in ACTIVE_MIME):
                for m in ACTIVE_MIME:
                    data.pop(m, None)
                data["text/plain"] = "[active output (JavaScript, SVG or widget) not shown in feedback]"
            for m in ("text/html", "text/markdown"):
                if m in data:
                    data[m] = sanitize_html("".join(data[m]) if isinstance(data[m], list) else data[m])
        return cell, resources


FIGURE_NOT_RENDERED = "[figure not rendered under grading: the cell ran and built it; run the notebook to see it]"


class NoteUnrenderedFigures(NbGraderPreprocessor):
    """Grading kernels build figures without rasterizing them (their output is matplotlib's text
    ``<Figure size ...>``): the feedback says so where each figure would be."""

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            text = data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            if set(data) == {"text/plain"} and text.startswith("<Figure size"):
                data["text/plain"] = FIGURE_NOT_RENDERED
        return cell, resources


class RedactTracebacks(NbGraderPreprocessor):
    """In feedback, show a failed test's error type and message, not its traceback.

    A traceback quotes the failing source line of the test cell, which for a hidden test would reveal
    it (nbgrader#917); the harness's messages never contain the expected value. A failed check, whose box the
    checker put above its error (``reglab.checks.Failure``), keeps the one line a notebook shows under the box;
    no error shows a misconception's internal marker (the grader reads it from the autograded notebook).
    """

    def preprocess_cell(self, cell, resources, index):
        from reglab import checks

        if cell.cell_type == "code" and utils.is_grade(cell):
            outputs = cell.get("outputs", [])
            boxed = any("reglab-check-failed" in str(o.get("data", {}).get("text/html", "")) for o in outputs)
            for out in outputs:
                if out.get("output_type") == "error":
                    ename, evalue = out.get("ename", "Error"), str(out.get("evalue", ""))
                    part = evalue.split(":", 1)[0] if re.match(r"[\w.-]{1,40}:", evalue) else None
                    out["traceback"] = (
                        [checks.Failure(part, "").summary()] if boxed and ename == "AnswerError" else
                        [checks.MISCONCEPTION_MARKER.sub("", f"{ename}: {evalue}").rstrip()])
        return cell, resources


_COMPILED_SCHEMAS: dict = {}


def _compiled_schema(version: int, schema: dict):
    """A jsonschema validator for nbgrader's cell metadata schema of this version, its schema checked once per
    process (nbgrader ships one schema file per version)."""
    if version not in _COMPILED_SCHEMAS:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _COMPILED_SCHEMAS[version] = cls(schema)
    return _COMPILED_SCHEMAS[version]


class _CompiledSchemaCheck(BaseMetadataValidator):
    """nbgrader's base cell check (the schema version, then the schema), with the schema compiled once.

    ``jsonschema.validate(instance, schema)``, which nbgrader calls for every cell, checks the schema itself and
    builds a new validator each time: about 1.3 ms a cell, 0.8 s to set up the course's seven assignments and
    0.04 s of every grading job. Here the validator is built once; each cell gets the same check and the same
    error (``jsonschema.validate`` raises ``best_match`` of the validator's errors, as here).
    """

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        schema = cell.metadata["nbgrader"].get("schema_version", 0)
        if schema < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {schema} (expected {self.schema_version})",
                                    schema, self.schema_version)
        if schema > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {schema} (expected {self.schema_version})",
                                    schema, self.schema_version)
        validator = _compiled_schema(self.schema_version, self.schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class CompiledMetadataValidator(MetadataValidator, _CompiledSchemaCheck):
    """nbgrader's metadata validator (its checks of grade ids, points, cell types, duplicates), whose base check
    is :class:`_CompiledSchemaCheck`: nbgrader's ``validate_cell`` calls ``super()``, which is now that class."""


class CheckCellMetadata(nbgrader_preprocessors.CheckCellMetadata):
    """nbgrader's ``CheckCellMetadata`` with :class:`CompiledMetadataValidator`: the same checks, log and error."""

    def preprocess(self, nb, resources):
        try:
            CompiledMetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg) from None
        return nb, resources
