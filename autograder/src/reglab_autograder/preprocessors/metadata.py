"""nbgrader's check of the cells' nbgrader metadata, its JSON schema compiled once per process.

:class:`CheckCellMetadata` takes the place of nbgrader's own wherever nbgrader runs it (setting up the assignments,
the sanitize and autograde passes): the same checks, log and error.
"""

from __future__ import annotations

import traceback

import jsonschema
from nbgrader import preprocessors as nbgrader_preprocessors
from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, SchemaTooOldError, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator

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
