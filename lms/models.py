"""SQLAlchemy 2.x typed models: content (courses, items, assets) apart from learning records (Flask-free)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The largest id an INTEGER column holds (PostgreSQL's int4): larger numbers name nothing and are refused before they
# reach the database, where they would overflow.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite stores them without a zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dict[str, Any]: sa.JSON, list[Any]: sa.JSON, datetime: UTCDateTime()}


class Role(enum.StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    ORG_MANAGER = "org_manager"
    ADMIN = "admin"


class LearnerType(enum.StrEnum):
    SME = "sme"
    STARTUP = "startup"
    STUDENT = "student"
    OTHER = "other"


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignedIn:
    """Flask-Login's user protocol and the role checks, for any object with `id`, `role` and `active`
    (kept here so models need no Flask import)."""

    id: int
    role: str
    active: bool
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        # Flask-Login keeps this in the session and the remember-me cookie. It names one sign-in (a row of
        # `sign_in`), so ending that row on the server ends both cookies; an object without one cannot sign in.
        sign_in = getattr(self, "sign_in", None)
        return f"{self.id}:{sign_in}" if sign_in else None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def has_role(self, *roles: str) -> bool:
        return self.role in roles or self.role == Role.ADMIN


class User(SignedIn, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.LEARNER.value, index=True)
    learner_type: Mapped[str] = mapped_column(sa.String(20), default=LearnerType.OTHER.value)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship()


class SignIn(Base):
    """One signed-in browser: the session and remember-me cookies carry its key, so deleting the row (logout, a
    password change or reset) ends them on the server. Only a hash of the key is stored."""

    __tablename__ = "sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Course(Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text)
    track: Mapped[str] = mapped_column(sa.String(40), index=True)
    industry: Mapped[str] = mapped_column(sa.String(40), index=True)
    level: Mapped[str] = mapped_column(sa.String(20), index=True)
    audience: Mapped[list[Any]]
    language: Mapped[str] = mapped_column(sa.String(8), default="ko")
    hours: Mapped[float] = mapped_column(default=0.0)
    licence: Mapped[str] = mapped_column(sa.String(100))
    tags: Mapped[list[Any]]
    instructors: Mapped[list[Any]]
    prerequisites: Mapped[list[Any]]
    completion: Mapped[dict[str, Any]]
    overview_html: Mapped[str] = mapped_column(sa.Text, default="")
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    published: Mapped[bool] = mapped_column(default=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    modules: Mapped[list[CourseModule]] = relationship(
        back_populates="course", order_by="CourseModule.position", cascade="all, delete-orphan"
    )


class CourseInstructor(Base):
    """An instructor who teaches a course: from the manifest's `instructors` (by e-mail) or added by an admin.
    Instructors see and grade only their courses' learners and submissions."""

    __tablename__ = "course_instructor"

    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    source: Mapped[str] = mapped_column(sa.String(10), default="admin")  # manifest | admin
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseModule(Base):
    __tablename__ = "course_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))

    course: Mapped[Course] = relationship(back_populates="modules")


class Item(Base):
    """An outline item of a kind of `lms.content.kinds`; retired items (no longer in the outline) keep learners'
    records."""

    __tablename__ = "item"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course_module.id", ondelete="SET NULL"))
    slug: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    minutes: Mapped[int] = mapped_column(default=0)
    required: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    # Kind-specific content: objectives and tags; quiz questions with their answers (server-side only).
    data: Mapped[dict[str, Any]]


class CourseAsset(Base):
    """An image or data file of a course, served from the database so content is one transaction."""

    __tablename__ = "course_asset"
    __table_args__ = (sa.UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(sa.String(300))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    # False: read only by an exercise's hidden tests or solutions; given to grading, never served.
    public: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class Enrolment(Base):
    """A learner in a course, with progress derived from the learning record."""

    __tablename__ = "enrolment"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    progress: Mapped[int] = mapped_column(default=0)  # percent of required items done
    score: Mapped[float | None]  # course score 0-100; None while the course has no scored items
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    last_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id", ondelete="SET NULL"))
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")


class ItemProgress(Base):
    """One summary row per learner and item (kept current from the learning record)."""

    __tablename__ = "item_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "item_id"), sa.Index("ix_item_progress_course", "course_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime | None]
    seconds: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    best_score: Mapped[float | None]
    last_score: Mapped[float | None]
    passed: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(Base):
    __tablename__ = "quiz_attempt"
    __table_args__ = (sa.Index("ix_quiz_attempt_user_item", "user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    answers: Mapped[dict[str, Any]]
    score: Mapped[float]
    result: Mapped[dict[str, Any]]


class LearningRecord(Base):
    """Append-only statement of what a learner did (actor, verb, object, result, time), after xAPI."""

    __tablename__ = "learning_record"
    __table_args__ = (sa.Index("ix_learning_record_user_course", "user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id", ondelete="SET NULL"), index=True)
    verb: Mapped[str] = mapped_column(sa.String(20))
    score: Mapped[float | None]
    success: Mapped[bool | None]
    duration_seconds: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SearchDoc(Base):
    """A searchable text: a course's description or one of its items."""

    __tablename__ = "search_doc"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    length: Mapped[int] = mapped_column(default=0)


class SearchTerm(Base):
    """Inverted index: how strongly a term marks a search document (title hits weigh more)."""

    __tablename__ = "search_term"
    __table_args__ = (sa.Index("ix_search_term_term_doc", "term", "doc_id"),)

    doc_id: Mapped[int] = mapped_column(sa.ForeignKey("search_doc.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    weight: Mapped[float]


class Submission(Base):
    """A learner's notebook sent to be run ("run") or graded ("grade"); outcomes are kept for every attempt."""

    __tablename__ = "submission"
    __table_args__ = (
        sa.Index("ix_submission_user_item", "user_id", "item_id"),
        sa.Index("ix_submission_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))  # run | grade
    origin: Mapped[str] = mapped_column(sa.String(10), default="browser")  # browser | upload
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")  # queued | running | done | error
    notebook: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, deferred=True)
    points: Mapped[float | None]
    max_points: Mapped[float | None]
    score: Mapped[float | None]  # percent of max_points, counting manual grades once given
    final: Mapped[bool] = mapped_column(default=False)  # no answer waits for an instructor
    error: Mapped[str | None] = mapped_column(sa.String(40))  # a message code when status is "error"
    tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ManualGrade(Base):
    """An instructor's points and comment for one manually graded cell of a submission."""

    __tablename__ = "manual_grade"
    __table_args__ = (sa.UniqueConstraint("submission_id", "grade_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    grade_id: Mapped[str] = mapped_column(sa.String(100))
    points: Mapped[float]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    grader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExerciseDraft(Base):
    """The learner's unsent answers in the browser, saved as they type so a closed tab loses nothing."""

    __tablename__ = "exercise_draft"
    __table_args__ = (sa.UniqueConstraint("user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceBlob(Base):
    """The bytes of one course file, stored once per content (its SHA-256): revisions name files by this hash."""

    __tablename__ = "source_blob"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)


class SourceRevision(Base):
    """One version of a course's source, the course format as a file tree: {relative path: blob hash}, with who
    made it, when and why, and the revision it follows. A course's revisions form its history (the source of
    truth); folder imports and browser edits both add one."""

    __tablename__ = "source_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_slug: Mapped[str] = mapped_column(sa.String(100), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("source_revision.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    origin: Mapped[str] = mapped_column(sa.String(10), default="browser")  # folder | browser
    # The loader's content hash of the folder a folder import read (None for browser edits).
    folder_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tree: Mapped[dict[str, Any]]

    author: Mapped[User | None] = relationship()


class PublishedRevision(Base):
    """The revision of a course that learners see; revisions after it are drafts."""

    __tablename__ = "published_revision"

    course_slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("source_revision.id", ondelete="CASCADE"))
    published_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
