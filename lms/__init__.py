"""Baeum (배움): a learning platform for industry-practical AI courses.

The web application is built by `lms.factory.create_app`; the domain packages (`lms.content`, `lms.grading`,
`lms.search`, `lms.services`, `lms.models`) import no Flask, so importing them does not build the web app.
"""
