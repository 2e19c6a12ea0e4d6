"""The nbconvert exporter the feedback is written with: nbconvert's ``HTMLExporter``, without two costs that
change nothing in the page.

* nbgrader's ``GenerateFeedback`` builds a new exporter for every submission, and every new exporter compiles
  its Jinja templates (nbgrader's feedback template and the nbconvert templates it extends, nine of them)
  again: about a tenth of a second of each job. Here the compiled templates are kept for the life of the
  worker process. Jinja keys them by template name and a checksum of the template's source, so an edited
  template is compiled again.
* After rendering, ``HTMLExporter`` parses the whole page with BeautifulSoup to give images without ``alt`` a
  description and JupyterLab-template cells a ``tabindex``, then writes the tree back out: a fifth of a second
  for a course notebook. nbgrader's feedback template is the classic one (no JupyterLab cells), and grading
  does not rasterize figures, so a feedback page usually has no image: the pass then changes nothing but the
  serialization. It is skipped where the page has neither an image nor a JupyterLab cell, and run exactly as
  nbconvert runs it otherwise.
"""

from __future__ import annotations

import copy
from pathlib import Path

from jinja2 import BytecodeCache
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

from .preprocessors.feedback import drop_unsafe_images


def nbgrader_templates() -> Path:
    """nbgrader's templates folder (its feedback and formgrade templates)."""
    import nbgrader

    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


# what nbconvert's accessibility pass looks for (HTMLExporter.from_notebook_node)
ACCESSIBILITY_TARGETS = ("<img", "jp-Notebook")


class ProcessBytecodeCache(BytecodeCache):
    """Compiled Jinja templates, in memory, for the life of the process."""

    def __init__(self):
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._store.clear()


TEMPLATES = ProcessBytecodeCache()


class FeedbackExporter(HTMLExporter):
    """nbconvert's ``HTMLExporter`` (same configuration, templates, filters and page), templates compiled once
    per process, the accessibility pass run where it has something to change."""

    def _create_environment(self):
        from jinja2 import ChoiceLoader, FileSystemLoader

        env = super()._create_environment()
        env.bytecode_cache = TEMPLATES
        # templates/reglab_feedback extends "feedback/index.html.j2", nbgrader's template, named from the folder that
        # holds it (nbgrader sets this exporter's extra_template_paths to its stylesheets' folder)
        env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(nbgrader_templates()))])
        return env

    def from_notebook_node(self, nb, resources=None, **kw):
        original = copy.deepcopy(resources)
        # HTMLExporter.from_notebook_node up to its BeautifulSoup pass (nbconvert 7.17)
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                 resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        if any(target in html for target in ACCESSIBILITY_TARGETS):  # the pass has work: nbconvert's own, whole
            html, resources = super().from_notebook_node(nb, original, **kw)
        return drop_unsafe_images(html), resources
