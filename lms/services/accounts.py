"""Accounts: registration, password checks with Argon2, sign-ins that end on the server, organisations, demo
accounts."""

from __future__ import annotations

import gzip
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import orm

from ..models import MAX_ID, LearnerType, Organisation, Role, SignedIn, SignIn, User, utcnow
from .teaching import link_listed_courses

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a login takes as long either way (made on the first login,
    not at import: hashing costs a fifth of a second of CPU in every process that starts)."""
    return _hasher.hash("not a password")


class EmailTaken(ValueError):
    """An account with this e-mail address exists already."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


def is_weak_password(password: str, email: str = "") -> bool:
    """A password found in breach corpora (NIST SP 800-63B), or the account's own e-mail address or its name part."""
    lowered = password.strip().lower()
    email = normalise_email(email)
    return lowered in _common_passwords() or (bool(email) and lowered in (email, email.split("@", 1)[0]))


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
    link_listed_courses(session, user)
    return user


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: orm.Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None."""
    user = find_user_by_email(session, email)
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
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
    """Who is signed in, as a page needs it: read with one plain query per request instead of a whole ORM row.
    `sign_in` is the key of this browser's sign-in, which the session and remember-me cookies carry."""

    id: int
    name: str
    email: str
    role: str
    active: bool
    sign_in: str


# -- sign-ins: each signed-in browser is a row; its key is in the cookies, only its hash in the database --


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_sign_in(session: orm.Session, user: User, *, remember: bool = False, lifetime: timedelta) -> Identity:
    """Record a new sign-in for `user` (and forget the user's sign-ins older than `lifetime`)."""
    session.execute(sa.delete(SignIn).where(SignIn.user_id == user.id, SignIn.created_at < utcnow() - lifetime))
    key = secrets.token_urlsafe(32)
    session.add(SignIn(user_id=user.id, key_hash=_key_hash(key), remember=remember))
    session.flush()
    return Identity(user.id, user.name, user.email, user.role, user.active, key)


def end_sign_in(session: orm.Session, user_id: int, key: str) -> None:
    session.execute(sa.delete(SignIn).where(SignIn.user_id == user_id, SignIn.key_hash == _key_hash(key)))


def end_sign_ins(session: orm.Session, user_id: int, *, keep: str | None = None) -> None:
    """End every sign-in of the user (but `keep`, the browser that asked)."""
    statement = sa.delete(SignIn).where(SignIn.user_id == user_id)
    if keep is not None:
        statement = statement.where(SignIn.key_hash != _key_hash(keep))
    session.execute(statement)


def change_password(session: orm.Session, user: User, new_password: str, *, keep: str | None = None) -> None:
    """Set a new password; every other sign-in of the user ends (all of them when `keep` is None: a reset)."""
    user.password_hash = hash_password(new_password)
    end_sign_ins(session, user.id, keep=keep)


def reset_password(session: orm.Session, user: User) -> str:
    """Give the user a random temporary password and sign them out everywhere; returns the password."""
    temporary = secrets.token_urlsafe(12)
    change_password(session, user, temporary)
    return temporary


# The identity read of every signed-in request: one query finds the user and checks that the browser's sign-in still
# exists. Built once with bound parameters, so SQLAlchemy's statement cache compiles it once per dialect; written over
# the tables' columns (plain values, no ORM entities), so the session runs it as a Core statement on its connection.
_users, _sign_ins = User.__table__, SignIn.__table__
_IDENTITY = (
    sa.select(_users.c.id, _users.c.name, _users.c.email, _users.c.role, _users.c.active, _sign_ins.c.created_at)
    .join(_sign_ins, _sign_ins.c.user_id == _users.c.id)
    .where(_users.c.id == sa.bindparam("user_id"), _sign_ins.c.key_hash == sa.bindparam("key_hash"))
)


def identity(session: orm.Session, cookie_id: str, lifetime: timedelta) -> Identity | None:
    """The user of the sign-in named by `cookie_id` ("<user id>:<key>", from the session or remember-me cookie);
    None when it was ended (logout, password change), is older than `lifetime`, the account is deactivated, or the
    id is malformed."""
    user_id, _, key = cookie_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and key) or int(user_id) > MAX_ID:
        return None
    # Looked up by the key's hash, so how long the lookup takes says nothing about the key itself.
    row = session.execute(_IDENTITY, {"user_id": int(user_id), "key_hash": _key_hash(key)}).first()
    if row is None or row.created_at < utcnow() - lifetime:
        return None
    if not row.active:  # a deactivated account is signed out at once
        return None
    return Identity(row.id, row.name, row.email, row.role, row.active, key)


def user_by_id(session: orm.Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_users(session: orm.Session, text: str, *, page: int, per_page: int) -> tuple[list[User], int]:
    """One page of the accounts whose e-mail or name contains `text` (all when empty), newest first, and how many
    match in all."""
    query = sa.select(User)
    if text:
        like = f"%{text.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.email).like(like), sa.func.lower(User.name).like(like)))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(orm.selectinload(User.organisation))
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def users_by_role(session: orm.Session) -> dict[str, int]:
    """How many accounts each role has."""
    rows = session.execute(sa.select(User.role, sa.func.count(User.id)).group_by(User.role))
    return {role: count for role, count in rows}
