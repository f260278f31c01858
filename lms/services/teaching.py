"""Who teaches which course: links from the manifests' instructors (by e-mail) and from admins."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from ..models import Course, CourseInstructor, Role, User


class NotAnInstructor(ValueError):
    """Only accounts with the instructor (or admin) role can be linked to a course."""


def manifest_emails(instructors: list[dict[str, Any]]) -> set[str]:
    """The e-mail addresses a manifest gives its instructors, normalised as account e-mails are."""
    return {str(i["email"]).strip().lower() for i in instructors or () if i.get("email")}


def sync_manifest_instructors(session: orm.Session, course: Course) -> None:
    """Link the accounts whose e-mail the course's manifest lists; drop manifest links it no longer lists
    (an admin's links stay)."""
    emails = manifest_emails(course.instructors)
    users = dict(session.execute(sa.select(User.id, User.email).where(User.email.in_(emails))).all()) if emails else {}
    links = {
        link.user_id: link
        for link in session.scalars(sa.select(CourseInstructor).where(CourseInstructor.course_id == course.id))
    }
    for user_id in users:
        if user_id not in links:
            session.add(CourseInstructor(course_id=course.id, user_id=user_id, source="manifest"))
    for user_id, link in links.items():
        if link.source == "manifest" and user_id not in users:
            session.delete(link)
    session.flush()


def link_listed_courses(session: orm.Session, user: User) -> None:
    """A new account whose e-mail a manifest lists teaches that course (manifests are read when imported, often
    before the account exists)."""
    email = user.email.strip().lower()
    for course_id, instructors in session.execute(sa.select(Course.id, Course.instructors)).all():
        if email in manifest_emails(instructors) and session.get(CourseInstructor, (course_id, user.id)) is None:
            session.add(CourseInstructor(course_id=course_id, user_id=user.id, source="manifest"))
    session.flush()


def add_instructor(session: orm.Session, course: Course, user: User) -> CourseInstructor:
    if user.role not in (Role.INSTRUCTOR, Role.ADMIN):
        raise NotAnInstructor(user.email)
    link = session.get(CourseInstructor, (course.id, user.id))
    if link is None:
        link = CourseInstructor(course_id=course.id, user_id=user.id, source="admin")
        session.add(link)
        session.flush()
    return link


def remove_instructor(session: orm.Session, course_id: int, user_id: int) -> None:
    session.execute(
        sa.delete(CourseInstructor).where(CourseInstructor.course_id == course_id, CourseInstructor.user_id == user_id)
    )


def instructors_of(session: orm.Session, course_id: int) -> list[tuple[User, str]]:
    return [
        (user, source)
        for user, source in session.execute(
            sa.select(User, CourseInstructor.source)
            .join(CourseInstructor, CourseInstructor.user_id == User.id)
            .where(CourseInstructor.course_id == course_id)
            .order_by(User.name, User.id)
        ).all()
    ]


def taught_course_ids(user_id: int) -> sa.Select[int]:
    """The ids of the courses `user_id` teaches, as a subquery for filters."""
    return sa.select(CourseInstructor.course_id).where(CourseInstructor.user_id == user_id)


def teaches(session: orm.Session, user_id: int, role: str, course_id: int) -> bool:
    """Admins teach everything; instructors their linked courses."""
    if role == Role.ADMIN:
        return True
    return session.get(CourseInstructor, (course_id, user_id)) is not None
