"""What a person does about themselves: their settings (SPEC A1, N3) and signing in to the web
app with an API token or an e-mailed link (A3), and signing out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy.orm import Session

from tandem.domain.access import require
from tandem.domain.errors import Invalid, invalid
from tandem.domain.permissions import Permission
from tandem.domain.users import Preferences, User
from tandem.store import outbox, users, web_sessions
from tandem.store.outbox import OutboxMessage
from tandem.usecases.context import Services
from tandem.usecases.schemas import SettingsPatch

SIGN_IN_LINK_KIND = "sign_in_link"


async def update_settings(svc: Services, actor: User, change: SettingsPatch) -> User:
    """Applies the fields given; returns the person as they now are."""
    changes = change.model_dump(exclude_none=True)
    timezone = changes.pop("timezone", None)
    if not changes and timezone is None:
        raise invalid("body", "nothing to change")
    preferences = Preferences.model_validate({**actor.preferences.model_dump(), **changes})

    def write(session: Session) -> User | None:
        users.set_preferences(session, actor.id, preferences)
        if timezone is not None:
            users.set_timezone(session, actor.id, timezone)
        return users.get_user(session, actor.id)

    updated = await svc.db.write(write)
    assert updated is not None  # the actor was read from this table a moment ago
    return updated


async def directory(svc: Services, actor: User, q: str | None) -> list[User]:
    """People to choose participants from, whose name contains ``q`` (any case). Only the name
    is matched: the directory shows no e-mail addresses, so matching them would let anyone
    find out whose address is whose, a letter at a time."""
    if not (actor.can(Permission.FACILITATE) or actor.can(Permission.OPS_HISTORY)):
        require(actor, Permission.FACILITATE)
    everyone = await svc.db.read(users.all_users)
    needle = (q or "").strip().casefold()
    return [u for u in everyone if needle in u.name.casefold()]


async def sign_in_with_token(svc: Services, token: str) -> str:
    """A web session for the owner of an API token; returns the session's cookie secret."""
    token = token.strip()
    user = await svc.db.read(lambda s: users.user_by_token(s, token)) if token else None
    if user is None:
        raise Invalid("That token is not valid. Check you pasted all of it.", field="token")
    return await _start(svc, user.id)


async def send_sign_in_link(svc: Services, email: str, next_path: str | None) -> None:
    """E-mails a sign-in link if ``email`` is a user's; says nothing either way, so the form
    cannot be used to find out who has an account."""
    email = email.strip()
    if "@" not in email:
        raise Invalid("Enter your e-mail address, like name@example.com.", field="email")
    now = datetime.now(UTC)

    def write(session: Session) -> None:
        user = users.user_by_email(session, email)
        if user is None:
            return
        link_id, token = web_sessions.issue_link(session, user.id, now)
        url = f"{svc.settings.base_url}/sign-in/link/{token}"
        if next_path:
            url += f"?next={quote(next_path, safe='/')}"
        minutes = int(web_sessions.LINK_LIFETIME.total_seconds() // 60)
        # user_id stays None: this is a credential for one inbox, not an in-app notification,
        # so it never appears in the notification list (of this or any browser signed in).
        message = OutboxMessage(
            dedupe_key=f"magic-link/{link_id}/{user.email}",
            kind=SIGN_IN_LINK_KIND,
            subject="Your Tandem sign-in link",
            body=(
                f"Hello {user.name},\n\n"
                f"Open this link to sign in to Tandem:\n\n{url}\n\n"
                f"It works once, within {minutes} minutes. If you did not ask to sign in, "
                "ignore this e-mail: nobody can sign in without the link.\n"
            ),
            user_id=None,
            email=user.email,
            meeting_id=None,
        )
        outbox.enqueue(session, [message], now)

    await svc.db.write(write)


async def check_sign_in_link(svc: Services, token: str) -> None:
    """Raises :class:`Invalid` if the link is unknown, used or expired; leaves it unused."""
    now = datetime.now(UTC)
    await svc.db.read(lambda s: web_sessions.check_link(s, token, now))


async def sign_in_with_link(svc: Services, token: str) -> str:
    """Uses up a sign-in link and starts a session; returns the session's cookie secret."""
    now = datetime.now(UTC)
    lifetime = timedelta(days=svc.settings.web_session_days)

    def write(session: Session) -> str:
        user_id = web_sessions.use_link(session, token, now)
        return web_sessions.start_session(session, user_id, now, lifetime)

    return await svc.db.write(write)


async def sign_out(svc: Services, secret: str) -> None:
    await svc.db.write(lambda s: web_sessions.end_session(s, secret))


async def _start(svc: Services, user_id: str) -> str:
    now = datetime.now(UTC)
    lifetime = timedelta(days=svc.settings.web_session_days)
    return await svc.db.write(lambda s: web_sessions.start_session(s, user_id, now, lifetime))
