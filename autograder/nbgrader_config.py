# nbgrader configuration of the reglab course.
#
# The course directory is the repository itself: instructor sources live in solutions/<id>/ and the
# student versions nbgrader generates go to notebooks/<id>/. `reglab release` loads this file and
# sets CourseDirectory.root to the repository root, so it works from any working directory.
c = get_config()  # noqa: F821 (provided by traitlets when the file is loaded)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# Students never see a gradebook: releasing does not need one (grading builds its own).
c.GenerateAssignment.no_database = True
# what `nbgrader generate_assignment --no-db` sets too; no_database alone still writes cells
c.SaveCells.enabled = False

# What replaces a solution in the student version.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# No execution settings here: grading's time limits are `reglab grade --timeout/--notebook-timeout` (defaults in
# reglab_autograder.options.GradeOptions), and nothing else runs the notebooks through this file.

# Late submissions (`reglab grade`, `reglab feedback`; see reglab_autograder.plugins.late): due date per assignment,
# ISO 8601 with a UTC offset or an IANA zone name, e.g. {"00_overfitting": "2026-10-05 23:59 Europe/Paris"}
# (or in a dates file next to the submissions, with per-student extensions: reglab_autograder.dates), and the
# penalty: nbgrader's "none" or "zero", or "per_day" (c.LatePenalty.fraction_per_day per started day late).
c.LatePolicy.due_dates = {}
c.LateSubmissionPlugin.penalty_method = "none"
