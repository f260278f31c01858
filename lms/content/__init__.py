"""Course content: the on-disk course format, Markdown rendering and quiz grading (Flask-free)."""
