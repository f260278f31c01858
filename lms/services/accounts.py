"""Accounts: registration, password checks with Argon2, organisations and the demo accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import orm

from ..models import LearnerType, Organisation, Role, SignedIn, User, utcnow
from ..prepared import PreparedRead

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password")


class EmailTaken(ValueError):
    """An account with this e-mail address exists already."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_user_by_email(session: orm.Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def organisation_named(session: orm.Session, name: str | None) -> Organisation | None:
    name = (name or "").strip()
    if not name:
        return None
    org = session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        session.add(org)
    return org


def create_user(
    session: orm.Session,
    *,
    name: str,
    email: str,
    password: str,
    role: str = Role.LEARNER,
    learner_type: str = LearnerType.OTHER,
    organisation: str | None = None,
) -> User:
    if find_user_by_email(session, email) is not None:
        raise EmailTaken(email)
    user = User(
        name=name.strip(),
        email=normalise_email(email),
        password_hash=hash_password(password),
        role=str(role),
        learner_type=str(learner_type),
        organisation=organisation_named(session, organisation),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: orm.Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None."""
    user = find_user_by_email(session, email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


@dataclass
class DemoAccount:
    role: str
    email: str
    password: str


DEMO_USERS = (
    (Role.LEARNER, "learner@demo.baeum.kr", "김학습", LearnerType.SME, "데모정밀(주)"),
    (Role.INSTRUCTOR, "instructor@demo.baeum.kr", "이강사", LearnerType.OTHER, None),
    (Role.ORG_MANAGER, "manager@demo.baeum.kr", "박매니저", LearnerType.SME, "데모정밀(주)"),
    (Role.ADMIN, "admin@demo.baeum.kr", "최관리", LearnerType.OTHER, None),
)


def ensure_demo_accounts(session: orm.Session, password: str | None = None) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; returns those created, with their passwords."""
    created = []
    for role, email, name, learner_type, org in DEMO_USERS:
        if find_user_by_email(session, email) is not None:
            continue
        secret = password or secrets.token_urlsafe(9)
        create_user(
            session, name=name, email=email, password=secret, role=role, learner_type=learner_type, organisation=org
        )
        created.append(DemoAccount(str(role), email, secret))
    return created


@dataclass(frozen=True)
class Identity(SignedIn):
    """Who is signed in, as a page needs it: read with one plain query per request instead of a whole ORM row."""

    id: int
    name: str
    email: str
    role: str
    active: bool


# Built once: the statement runs on every request of a signed-in user.
_IDENTITY = PreparedRead(
    sa.select(User.id, User.name, User.email, User.role, User.active).where(User.id == sa.bindparam("user_id"))
)


def identity(session: orm.Session, user_id: int) -> Identity | None:
    row = _IDENTITY.first(session, user_id=user_id)
    return Identity(*row) if row is not None else None
