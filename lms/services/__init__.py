"""Use cases: accounts, course import, enrolment, progress, quizzes, exercises and completion. Services take a session
and never commit."""
