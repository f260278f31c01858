"""Course content: the on-disk course format, its item kinds (`kinds/`) and vocabulary, Markdown rendering and quiz
grading. Flask-free and database-free: the services store what it reads."""
