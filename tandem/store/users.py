"""Users, roles and API tokens (SPEC A1-A3). Tokens are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from tandem.domain.errors import Conflict, Invalid
from tandem.domain.permissions import BUILT_IN_ROLES, Permission, permissions_of
from tandem.domain.users import Preferences, User
from tandem.store.schema import RoleRow, TokenRow, UserRow

TOKEN_PREFIX = "tdm_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def role_table(session: Session) -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in BUILT_IN_ROLES.items()}
    for row in (session.scalars(select(RoleRow))).all():
        table[row.name] = frozenset(row.permissions)
    return table


def _roles_for(session: Session, roles: Iterable[str]) -> Mapping[str, Iterable[str]]:
    if all(role in BUILT_IN_ROLES for role in roles):
        return BUILT_IN_ROLES
    return role_table(session)


def define_role(session: Session, name: str, permissions: Iterable[str]) -> None:
    if name in BUILT_IN_ROLES:
        raise Conflict(f"{name!r} is a built-in role and cannot be redefined", field="name")
    known = {p.value for p in Permission}
    unknown = sorted(set(permissions) - known)
    if unknown:
        raise Invalid(f"unknown permissions: {', '.join(unknown)}", field="permissions")
    row = session.get(RoleRow, name)
    if row is None:
        session.add(RoleRow(name=name, permissions=sorted(set(permissions))))
    else:
        row.permissions = sorted(set(permissions))


def create_user(
    session: Session,
    *,
    name: str,
    email: str,
    timezone: str,
    roles: Iterable[str],
    divisions: Iterable[str] = (),
    business_unit: str | None = None,
    now: datetime,
) -> tuple[User, str]:
    """Create a user and their first API token; the token is returned once and never stored."""
    roles = list(dict.fromkeys(roles))
    table = role_table(session)
    unknown = [r for r in roles if r not in table]
    if unknown:
        raise Invalid(f"unknown role {unknown[0]!r}", field="roles", known=sorted(table))
    email = email.strip().lower()
    if session.scalar(select(UserRow.id).where(UserRow.email == email)):
        raise Conflict(f"a user with e-mail {email} already exists", field="email")
    row = UserRow(
        id=str(uuid.uuid4()),
        name=name.strip(),
        email=email,
        timezone=timezone,
        roles=roles,
        divisions=list(dict.fromkeys(divisions)),
        business_unit=business_unit,
        preferences=Preferences().model_dump(mode="json"),
        created_at=now,
    )
    session.add(row)
    session.flush()  # the token row refers to it
    token = issue_token(session, row.id, now)
    return _from_row(row, table), token


def issue_token(session: Session, user_id: str, now: datetime, label: str = "") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        TokenRow(token_hash=hash_token(token), user_id=user_id, label=label, created_at=now)
    )
    return token


# The two reads every authenticated request and every booking make, as plain rows from
# statements built once: loading ORM objects and building the statement per call was about half
# of each read (issue 13). A user's e-mail was validated when it was stored.
_COLUMNS = (
    UserRow.id,
    UserRow.name,
    UserRow.email,
    UserRow.timezone,
    UserRow.roles,
    UserRow.divisions,
    UserRow.business_unit,
    UserRow.preferences,
    UserRow.feed_generation,
)
_BY_TOKEN = (
    select(*_COLUMNS)
    .join(TokenRow, TokenRow.user_id == UserRow.id)
    .where(TokenRow.token_hash == bindparam("token_hash"))
)
_BY_IDS = select(*_COLUMNS).where(UserRow.id.in_(bindparam("ids", expanding=True)))


def _from_row(row: Row | UserRow, roles: Mapping[str, Iterable[str]]) -> User:
    """A user from a stored row (a plain row or an ORM one: the same columns)."""
    preferences = row.preferences
    return User.model_construct(
        id=row.id,
        name=row.name,
        email=row.email,
        timezone=row.timezone,
        roles=tuple(row.roles),
        divisions=tuple(row.divisions),
        business_unit=row.business_unit,
        preferences=Preferences() if not preferences else Preferences.model_validate(preferences),
        permissions=permissions_of(row.roles, roles),
        feed_generation=row.feed_generation or 0,
    )


def _users_from(session: Session, rows: list[Row]) -> dict[str, User]:
    roles = _roles_for(session, {r for row in rows for r in row.roles})
    return {row.id: _from_row(row, roles) for row in rows}


def user_by_token(session: Session, token: str) -> User | None:
    row = session.connection().execute(_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    return _from_row(row, _roles_for(session, row.roles))


def token_user_and_people(
    session: Session, token: str, ids: Iterable[str]
) -> tuple[User | None, dict[str, User]]:
    """The token's user and these people, in one read (a create's whole lookup)."""
    connection = session.connection()
    me = connection.execute(_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    if me is None:
        return None, {}
    wanted = set(ids) - {me.id}
    rows = [me, *connection.execute(_BY_IDS, {"ids": list(wanted)})] if wanted else [me]
    found = _users_from(session, rows)
    return found[me.id], found


def ids_by_email(session: Session, emails: Iterable[str]) -> dict[str, str]:
    """The ids of the people with these addresses (compared as stored: lower case)."""
    wanted = {e.strip().lower() for e in emails}
    if not wanted:
        return {}
    rows = session.execute(select(UserRow.email, UserRow.id).where(UserRow.email.in_(wanted)))
    return {email: user_id for email, user_id in rows}


def user_by_email(session: Session, email: str) -> User | None:
    row = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
    if row is None:
        return None
    return _from_row(row, _roles_for(session, row.roles))


def get_users(session: Session, ids: Iterable[str]) -> dict[str, User]:
    ids = set(ids)
    if not ids:
        return {}
    # A statement on the connection skips the session's autoflush: a change made through the
    # ORM earlier in this transaction (set_preferences, then reading the person back) must be
    # written first. Nothing pending, nothing to do.
    session.flush()
    return _users_from(session, session.connection().execute(_BY_IDS, {"ids": list(ids)}).all())


def get_user(session: Session, user_id: str) -> User | None:
    return (get_users(session, [user_id])).get(user_id)


def business_unit_members(session: Session, business_unit: str) -> list[User]:
    """Everyone in the WFM business unit, by id."""
    ids = session.scalars(select(UserRow.id).where(UserRow.business_unit == business_unit))
    found = get_users(session, ids)
    return [found[i] for i in sorted(found)]


def all_users(session: Session) -> list[User]:
    rows = (session.scalars(select(UserRow).order_by(UserRow.name, UserRow.id))).all()
    roles = role_table(session)
    return [_from_row(row, roles) for row in rows]


def set_preferences(session: Session, user_id: str, preferences: Preferences) -> None:
    row = session.get(UserRow, user_id)
    if row is None:
        raise Invalid("unknown user", field="user_id")
    row.preferences = preferences.model_dump(mode="json")


def set_timezone(session: Session, user_id: str, timezone: str) -> None:
    row = session.get(UserRow, user_id)
    if row is None:
        raise Invalid("unknown user", field="user_id")
    row.timezone = timezone


def rotate_feed(session: Session, user_id: str) -> int:
    """Moves the user's calendar feed on to a new link; the old one stops working."""
    row = session.get(UserRow, user_id)
    assert row is not None
    row.feed_generation += 1
    return row.feed_generation
