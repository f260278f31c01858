"""Work outside a page request: the grading queue and the app's sandbox pool (`jobs`), first-run setup (`setup`:
migrate, import the courses, demo accounts), and the `flask` commands (`cli`)."""
