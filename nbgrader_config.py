"""nbgrader configuration for the course, read by plain `nbgrader` run from the repo root.

solutions/ holds the instructor versions (full solutions and hidden tests);
`nbgrader generate_assignment` writes the student versions to course/.
"""

c = get_config()  # noqa: F821  (nbgrader injects get_config)

# PostgreSQL enforces the gradebook's foreign key to the course table, which
# nbgrader fills only when the course id is not empty.
c.CourseDirectory.course_id = "backprop-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A test cell the student deleted is put back (with its hidden tests) before grading.
c.OverwriteCells.add_missing_cells = True

# Seconds a single cell may run during autograde or validate before it is stopped.
c.Execute.timeout = 120
