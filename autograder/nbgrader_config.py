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
c.SaveCells.enabled = False  # what `nbgrader generate_assignment --no-db` sets too; no_database alone still writes cells

# What replaces a solution in the student version.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Generous per-cell limit when validating or grading (the slowest course cell takes about a second).
c.Execute.timeout = 120
