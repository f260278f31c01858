"""Entry point: `flask --app app run` or `gunicorn app:app`."""

from lms.factory import create_app

app = create_app()
