"""The grader's nbgrader plugins, at nbgrader's extension points (as nbgrader keeps its own under ``plugins/``):

* :mod:`.export`: the CSV export (quoted, formulas neutralized) and the LMS grade files;
* :mod:`.late`: the late penalty (``LateSubmissionPlugin``), the due-date policy and how submission times are read;
* :mod:`.zipcollect`: the extractor and file-name collector of ``zip_collect`` (LMS downloads).
"""
