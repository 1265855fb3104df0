"""Tables. Meeting rows are a projection of the meeting workflows, written only by activities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tandem.store.types import UtcDateTime

ID = String(36)


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
    }


class RoleRow(Base):
    """Roles an admin defined; the built-in ones live in code (tandem.domain.permissions)."""

    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    permissions: Mapped[list[str]]


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]]
    divisions: Mapped[list[str]]
    business_unit: Mapped[str | None] = mapped_column(String(100))
    preferences: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    feed_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TokenRow(Base):
    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]


class WebSessionRow(Base):
    """A signed-in browser (SPEC A3 on the web). The cookie holds a secret; ``id`` is its SHA-256,
    so a copy of this table signs nobody in."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class MagicLinkRow(Base):
    """A single-use sign-in link sent by e-mail; only the SHA-256 of its token is kept."""

    __tablename__ = "magic_links"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class MeetingRow(Base):
    __tablename__ = "meetings"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    facilitator_id: Mapped[str] = mapped_column(ID, index=True)
    created_by: Mapped[str] = mapped_column(ID)
    # Ordered as given; meeting_participants indexes the same ids for "I'm the participant".
    participant_ids: Mapped[list[str]]
    guest_emails: Mapped[list[str]]
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(200), default="")
    participant_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    focus: Mapped[list[dict[str, Any]]]
    status: Mapped[str] = mapped_column(String(20), index=True)
    series_id: Mapped[str | None] = mapped_column(ID, index=True)
    occurrence_index: Mapped[int | None] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MeetingParticipantRow(Base):
    __tablename__ = "meeting_participants"

    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)


class BookingRow(Base):
    """A person's time taken by a meeting: the rows the no-overlap guard checks (SPEC W5)."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        Index("ix_bookings_user_time", "user_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class MeetingEventRow(Base):
    __tablename__ = "meeting_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ID, index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str | None] = mapped_column(ID)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]]


class NotificationRow(Base):
    """The outbox (SPEC N1): one row per notification per recipient, in-app and e-mail."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_mail_queue", "email_status", "email_next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    user_id: Mapped[str | None] = mapped_column(ID, index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    meeting_id: Mapped[str | None] = mapped_column(ID, index=True)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    email_status: Mapped[str] = mapped_column(String(12))
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_next_attempt_at: Mapped[datetime | None]
    email_sent_at: Mapped[datetime | None]
    email_error: Mapped[str | None] = mapped_column(Text)
    # The invitation (iCalendar, METHOD:REQUEST or CANCEL) the e-mail carries, if any (SPEC N6).
    calendar: Mapped[str | None] = mapped_column(Text)


class IdempotencyRow(Base):
    """Requests made with an Idempotency-Key (SPEC M13) and the response they got."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(ID)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    # The Temporal update a keyed change is sent as, and what the workflow's transaction wrote
    # for it: a retry whose first answer was lost is answered from this (issue 8).
    update_id: Mapped[str | None] = mapped_column(String(80), unique=True, index=True)
    applied: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The caller's view of the resource when the key was first used (A3), to answer as then.
    view: Mapped[str | None] = mapped_column(String(20))


class AgendaItemRow(Base):
    """Agenda topics and action items (SPEC C1, C2): ordered per meeting and kind."""

    __tablename__ = "agenda_items"
    __table_args__ = (Index("ix_agenda_items_meeting", "meeting_id", "kind", "position"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    author_id: Mapped[str] = mapped_column(ID)
    position: Mapped[int] = mapped_column(Integer)
    assignee_id: Mapped[str | None] = mapped_column(ID)
    due_date: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(ID)
    rolled_over_from: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class NoteRow(Base):
    """Meeting notes (SPEC C4-C6). Bodies live only here: never in workflow history or mail."""

    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str] = mapped_column(ID)
    visibility: Mapped[str] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SeriesRow(Base):
    """Projection of a series workflow. One active series per pair of people (SPEC S2): the
    partial unique index on ``pair_key`` refuses a second one, whoever facilitates."""

    __tablename__ = "series"
    __table_args__ = (
        Index(
            "uq_series_active_pair",
            "pair_key",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    facilitator_id: Mapped[str] = mapped_column(ID, index=True)
    participant_id: Mapped[str] = mapped_column(ID, index=True)
    pair_key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # The whole Series model (segments, skipped occurrences), as the workflow last wrote it.
    state: Mapped[dict[str, Any]]
    # Occurrences the booking guard refused, by index, with why (S3: reported, not dropped).
    clashes: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PlanRow(Base):
    """A team coaching plan (SPEC W6): previewed, then committed as a whole."""

    __tablename__ = "coaching_plans"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    created_by: Mapped[str] = mapped_column(ID, index=True)
    state: Mapped[str] = mapped_column(String(24))
    request: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReassignmentJobRow(Base):
    """A bulk reassignment (SPEC M10): what was asked, and how far its workflow has got."""

    __tablename__ = "reassignment_jobs"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    actor_id: Mapped[str] = mapped_column(ID, index=True)
    from_user_id: Mapped[str] = mapped_column(ID, index=True)
    to_user_id: Mapped[str] = mapped_column(ID)
    reason: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(12))
    progress: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CalendarConnectionRow(Base):
    """A person's CalDAV or ICS calendar (SPEC K1). The password is sealed (Fernet) with the
    calendar key and never leaves the store unsealed except to reach that calendar."""

    __tablename__ = "calendar_connections"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(200))
    sealed_password: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(12))
    error: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # The version last read (K3): an ICS feed's ETag / Last-Modified, a CalDAV calendar's ctag.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)


class CalendarLinkRow(Base):
    """Which calendar event (by UID) a Tandem series or 1:1 came from (SPEC K2)."""

    __tablename__ = "calendar_links"

    calendar_id: Mapped[str] = mapped_column(
        ID, ForeignKey("calendar_connections.id", ondelete="CASCADE"), primary_key=True
    )
    uid: Mapped[str] = mapped_column(String(500), primary_key=True)
    series_id: Mapped[str | None] = mapped_column(ID, index=True)
    meeting_id: Mapped[str | None] = mapped_column(ID, index=True)
    created_at: Mapped[datetime]
    # The event as the calendar and Tandem last agreed on it (tandem.calendars.states JSON)
    # and the Tandem side's version then; None until the first pass after the import.
    agreed: Mapped[str | None] = mapped_column(Text)
    agreed_version: Mapped[int | None]
    disconnected: Mapped[str | None] = mapped_column(Text)  # why sync no longer follows it


# -- WFM (SPEC W1): business units, imported weeks, shifts, activities, staffing ---------------


class WfmBusinessUnitRow(Base):
    """A business unit and its IANA zone, which decides its weeks (Monday 00:00 local)."""

    __tablename__ = "wfm_business_units"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The service-level goal (W4), all null until a staffing import gives one.
    sl_target_percent: Mapped[float | None]
    sl_threshold_seconds: Mapped[float | None]
    sl_floor_percent: Mapped[float | None]
    sl_patience_seconds: Mapped[float | None]


class WfmWeekRow(Base):
    """A week of a business unit's schedule that has been imported: its members are WFM agents
    in ``[starts_at, ends_at)`` (UTC), with or without shifts."""

    __tablename__ = "wfm_weeks"
    __table_args__ = (Index("ix_wfm_weeks_unit_time", "business_unit", "starts_at", "ends_at"),)

    business_unit: Mapped[str] = mapped_column(
        ForeignKey("wfm_business_units.name", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    imported_at: Mapped[datetime]
    imported_by: Mapped[str | None] = mapped_column(ID)


class WfmShiftRow(Base):
    """One shift of one agent. An agent's shifts never overlap, so (agent, start) is the key and
    also the index the slot finder reads by; shifts last at most 24 h, which bounds the scan."""

    __tablename__ = "wfm_shifts"
    __table_args__ = (
        Index("ix_wfm_shifts_unit_week", "business_unit", "week_start"),
        Index("ix_wfm_shifts_unit_time", "business_unit", "starts_at"),
    )

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    ends_at: Mapped[datetime]
    business_unit: Mapped[str] = mapped_column(String(100))
    week_start: Mapped[date] = mapped_column(Date)


class WfmActivityRow(Base):
    """An activity inside the shift (``user_id``, ``shift_starts_at``); the activities of one
    shift may overlap. Replaced together with their shifts, by business unit and week."""

    __tablename__ = "wfm_activities"
    __table_args__ = (
        Index("ix_wfm_activities_shift", "user_id", "shift_starts_at"),
        Index("ix_wfm_activities_unit_week", "business_unit", "week_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ID)
    shift_starts_at: Mapped[datetime]
    business_unit: Mapped[str] = mapped_column(String(100))
    week_start: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    category: Mapped[str] = mapped_column(String(20))
    paid: Mapped[bool] = mapped_column(Boolean)
    interruptible: Mapped[bool] = mapped_column(Boolean)


class WfmStaffingRow(Base):
    """Forecast and scheduled headcount of a business unit for the 15 minutes from ``starts_at``
    (UTC: local keys would collide on the night clocks go back)."""

    __tablename__ = "wfm_staffing"

    business_unit: Mapped[str] = mapped_column(
        ForeignKey("wfm_business_units.name", ondelete="CASCADE"), primary_key=True
    )
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    forecast: Mapped[float]
    scheduled: Mapped[float]
    # Offered contacts and average handle time (W4): null when the import gave no volume.
    contacts: Mapped[float | None]
    aht_seconds: Mapped[float | None]


class AttachmentRow(Base):
    """Interactions, links and documents attached to a meeting (SPEC C7)."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    ref: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    added_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]


class CadencePolicyRow(Base):
    """A division's coaching cadence (issue 12, W8 in tandem.domain.cadence): every agent coached
    every ``every_weeks`` weeks in sessions of ``duration_minutes``."""

    __tablename__ = "cadence_policies"

    division: Mapped[str] = mapped_column(String(100), primary_key=True)
    every_weeks: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    due_soon_days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DivisionSettingsRow(Base):
    """A division's policy for coaching a WFM change broke (W7+; tandem.domain.replacements).
    A division without a row has the defaults."""

    __tablename__ = "division_settings"

    division: Mapped[str] = mapped_column(String(100), primary_key=True)
    auto_rebook: Mapped[bool] = mapped_column(Boolean)
    replacement_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(ID)
