"""Small nbgrader preprocessors used by the grading pipeline."""

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor


class RedactTracebacks(NbGraderPreprocessor):
    """In feedback, show a failed test's error type and message, not its traceback.

    A traceback quotes the failing source line of the test cell, which for a hidden test would reveal
    it (nbgrader#917); the harness's messages never contain the expected value.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources
