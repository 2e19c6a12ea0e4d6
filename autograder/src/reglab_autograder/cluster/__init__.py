"""The cluster path of ``reglab grade --scheduler ADDRESS --db-url postgresql://...``: every (student, assignment)
as a task on a Dask distributed cluster, graded against a shared PostgreSQL gradebook (:mod:`.grading`: the
coordinator's side and the workers' side of it)."""
