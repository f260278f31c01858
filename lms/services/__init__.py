"""Use cases: accounts, enrolment, progress, quizzes and completion. Services take a session and never commit."""
