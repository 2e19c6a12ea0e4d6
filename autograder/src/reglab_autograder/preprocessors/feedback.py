"""What feedback shows of a graded notebook: sanitized (no script, event handler, remote image or active output),
hidden tests' tracebacks redacted, figures that grading built without drawing them named as such.

:class:`RedactTracebacks`, :class:`SanitizeFeedback` and :class:`NoteUnrenderedFigures` run in
``GenerateFeedback.preprocessors``; :func:`sanitize_html` is also nbconvert's ``clean_html`` filter of the feedback
page and formgrader's, and :func:`drop_unsafe_images` the feedback exporter's last step.
"""

from __future__ import annotations

import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

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
