"""``tandem up --demo``: a small contact centre to try Tandem with; tokens kept in the data dir.

Two divisions, each a business unit with two weeks of WFM schedules and staffing (this week and
next), supervisors with working hours, and a couple of recurring 1:1s once the worker runs.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, time, timedelta

from temporalio.client import Client

from tandem.cli.demo_wfm import load_demo, this_week
from tandem.domain.series import Segment, Series
from tandem.domain.times import zone
from tandem.domain.users import Preferences, WorkingHours
from tandem.settings import Settings
from tandem.store import users
from tandem.store.db import Database
from tandem.usecases.temporal import SeriesGateway

PEOPLE = [
    ("Ada Admin", "admin@demo.tandem", ["admin"], [], "Europe/London"),
    ("Sam Supervisor", "sam@demo.tandem", ["supervisor"], ["north"], "Europe/London"),
    ("Quinn Quality", "quinn@demo.tandem", ["quality_manager"], ["south"], "America/New_York"),
    ("Ana Agent", "ana@demo.tandem", ["agent"], ["north"], "Europe/London"),
    ("Ben Agent", "ben@demo.tandem", ["agent"], ["north"], "Europe/London"),
    ("Cleo Agent", "cleo@demo.tandem", ["agent"], ["north"], "Europe/Dublin"),
    ("Dev Agent", "dev@demo.tandem", ["agent"], ["south"], "America/New_York"),
    ("Eve Agent", "eve@demo.tandem", ["agent"], ["south"], "America/Chicago"),
    ("Finn Agent", "finn@demo.tandem", ["agent"], ["south"], "America/New_York"),
    ("Olive Ops", "ops@demo.tandem", ["ops"], [], "UTC"),
]


# Business units: the divisions' agents, in their WFM zone.
UNITS = {"north": "Europe/London", "south": "America/New_York"}
HOURS = {
    "sam@demo.tandem": [WorkingHours(weekday=d, start=time(8), end=time(17)) for d in range(5)],
    "quinn@demo.tandem": [WorkingHours(weekday=d, start=time(9), end=time(18)) for d in range(5)],
}
# Recurring 1:1s: (facilitator, participant, name, recurrence, local hour).
SERIES = [
    ("sam@demo.tandem", "ana@demo.tandem", "Sam / Ana weekly 1:1", "weekly", 10),
    ("quinn@demo.tandem", "dev@demo.tandem", "Quinn / Dev 1:1", "biweekly", 11),
]


def seed(settings: Settings) -> tuple[list[dict], bool]:
    """Create the demo people and their schedules once; later runs print the same tokens.
    Returns the people and whether they were just created."""
    record = settings.data_dir / "demo-tokens.json"
    if record.exists():
        return json.loads(record.read_text()), False
    db = Database(settings.database, schema=settings.database_schema)
    people = []
    try:
        with db.writing() as session:
            for name, email, roles, divisions, tz in PEOPLE:
                user, token = users.create_user(
                    session,
                    name=name,
                    email=email,
                    timezone=tz,
                    roles=roles,
                    divisions=divisions,
                    now=datetime.now(UTC),
                )
                if email in HOURS:
                    prefs = Preferences(working_hours=HOURS[email])
                    users.set_preferences(session, user.id, prefs)
                people.append(
                    {"name": name, "email": email, "roles": roles, "id": user.id, "token": token}
                )
            for unit, tz in UNITS.items():
                agents = [
                    p["id"] for p in people if p["roles"] == ["agent"] and _division(p) == unit
                ]
                load_demo(session, agents, unit, tz, this_week(tz), weeks=2)
    finally:
        db.dispose()
    fd = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(people, handle, indent=2)
    return people, True


def _division(person: dict) -> str | None:
    return next(
        (divs[0] for _, email, _, divs, _ in PEOPLE if email == person["email"] and divs), None
    )


async def seed_series(client: Client, settings: Settings, people: list[dict]) -> None:
    """The demo's recurring 1:1s, through the same series workflow as any other."""
    by_email = {p["email"]: p for p in people}
    gateway = SeriesGateway(client, settings.task_queue)
    for facilitator, participant, name, recurrence, hour in SERIES:
        tz = next(z for _, e, _, _, z in PEOPLE if e == facilitator)
        first = (datetime.now(UTC) + timedelta(days=2)).astimezone(zone(tz))
        series = Series(
            id=str(uuid.uuid4()),
            facilitator_id=by_email[facilitator]["id"],
            participant_id=by_email[participant]["id"],
            name=name,
            segments=[
                Segment(
                    first_index=0,
                    starts_at=first.replace(hour=hour, minute=0, second=0, microsecond=0),
                    duration_minutes=30,
                    timezone=tz,
                    recurrence=recurrence,
                )
            ],
            created_by=by_email[facilitator]["id"],
            created_at=datetime.now(UTC),
        )
        await gateway.create(series, series.facilitator_id)
