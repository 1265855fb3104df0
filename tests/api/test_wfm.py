"""WFM imports over HTTP (SPEC W1; A2/A3 for who may call them), against the real stack.

JSON and CSV schedules, staffing, re-imports replacing the week, and bad input: every case is a
4xx naming the field path (JSON) or the line and column (CSV), after which GET shows exactly
what was there before.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support import Person, Stack

LONDON = "Europe/London"
# Everyone here shares one division: WFM data is scoped to the caller's divisions (A5).
DIVISION = "wfm-tests"
WEEK = date(2031, 3, 24)  # a Monday; London moves to BST on Sunday 30 March 2031
CSV_HEADER = (
    "business_unit,timezone,agent_id,shift_start,shift_end,"
    "activity_start,activity_end,category,paid,interruptible"
)

# -- helpers ---------------------------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0, tz: str = LONDON) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).isoformat()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def working_day(day: date) -> dict[str, Any]:
    """09:00-17:00: on queue throughout, a break and a meal on top (overlaps are allowed)."""

    def act(start: tuple[int, int], end: tuple[int, int], category: str, **flags: Any) -> dict:
        times = {"starts_at": local(day, *start), "ends_at": local(day, *end)}
        return {**times, "category": category, **flags}

    return {
        "starts_at": local(day, 9),
        "ends_at": local(day, 17),
        "activities": [
            act((9, 0), (17, 0), "on_queue", paid=True, interruptible=True),
            act((11, 0), (11, 15), "break", paid=True, interruptible=False),
            act((13, 0), (13, 30), "meal", paid=False, interruptible=False),
        ],
    }


def agent_week(agent_id: str, week: date = WEEK) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "shifts": [working_day(week + timedelta(days=d)) for d in range(5)],
    }


def schedule(unit: str, agent_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "business_unit": unit,
        "timezone": LONDON,
        "agents": [agent_week(a) for a in agent_ids],
        **extra,
    }


def as_csv(data: dict[str, Any]) -> str:
    lines = [CSV_HEADER]
    for agent in data["agents"]:
        for s in agent["shifts"]:
            head = [data["business_unit"], data["timezone"], agent["agent_id"]]
            head += [s["starts_at"], s["ends_at"]]
            for a in s["activities"]:
                flags = [str(a["paid"]).lower(), str(a["interruptible"]).lower()]
                lines.append(",".join([*head, a["starts_at"], a["ends_at"], a["category"], *flags]))
            if not s["activities"]:
                lines.append(",".join([*head, "", "", "", "", ""]))
    return "\r\n".join(lines) + "\r\n"


def unit_name() -> str:
    return f"bu-{uuid.uuid4().hex[:8]}"


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"type", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]
    return error


def normalised(stored: dict[str, Any]) -> dict[str, list]:
    """GET's agents as comparable instants (GET answers in the unit's zone)."""
    return {
        agent["agent_id"]: [
            (
                instant(s["starts_at"]),
                instant(s["ends_at"]),
                sorted(
                    (
                        instant(a["starts_at"]),
                        instant(a["ends_at"]),
                        a["category"],
                        a["paid"],
                        a["interruptible"],
                    )
                    for a in s["activities"]
                ),
            )
            for s in agent["shifts"]
        ]
        for agent in stored["agents"]
    }


def sent(data: dict[str, Any]) -> dict[str, list]:
    return normalised(data)


class Wfm:
    """One business unit with a quality manager to import and a supervisor to look."""

    def __init__(self, stack: Stack, importer: Person, viewer: Person, unit: str) -> None:
        self.stack, self.importer, self.viewer, self.unit = stack, importer, viewer, unit

    async def put(self, data: dict[str, Any], by: Person | None = None) -> httpx.Response:
        who = by or self.importer
        return await self.stack.http.put("/v1/wfm/schedules", json=data, headers=who.auth)

    async def csv(self, text: str | bytes, by: Person | None = None) -> httpx.Response:
        headers = {**(by or self.importer).auth, "Content-Type": "text/csv"}
        return await self.stack.http.post("/v1/wfm/schedules/import", content=text, headers=headers)

    async def staffing(self, data: dict[str, Any], by: Person | None = None) -> httpx.Response:
        who = by or self.importer
        return await self.stack.http.put("/v1/wfm/staffing", json=data, headers=who.auth)

    async def get(self, path: str = "schedules", **params: str) -> dict[str, Any]:
        response = await self.stack.http.get(
            f"/v1/wfm/{path}",
            params={"business_unit": self.unit, **params},
            headers=self.viewer.auth,
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def wfm(stack: Stack) -> Wfm:
    return Wfm(
        stack,
        await stack.person("quality_manager", divisions=[DIVISION]),
        await stack.person("supervisor", divisions=[DIVISION]),
        unit_name(),
    )


async def agents(stack: Stack, count: int) -> list[str]:
    return [(await stack.person("agent", divisions=[DIVISION])).id for _ in range(count)]


# -- imports ---------------------------------------------------------------------------------


async def test_w1_json_import_then_get_shows_it(stack: Stack, wfm: Wfm) -> None:
    ids = await agents(stack, 2)
    data = schedule(wfm.unit, ids, week_start=WEEK.isoformat())
    response = await wfm.put(data)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["business_unit"] == wfm.unit and summary["weeks"] == [WEEK.isoformat()]
    assert (summary["agents"], summary["shifts"], summary["activities"]) == (2, 10, 30)
    assert instant(summary["starts_at"]) == datetime(2031, 3, 24, tzinfo=UTC)
    # The week ends at Monday 00:00 BST: 167 hours, because the clocks go forward on Sunday.
    assert instant(summary["ends_at"]) == datetime(2031, 3, 30, 23, tzinfo=UTC)
    assert sorted(summary["changed_agent_ids"]) == sorted(ids)

    stored = await wfm.get()
    assert stored["timezone"] == LONDON
    assert [w["week_start"] for w in stored["weeks"]] == [WEEK.isoformat()]
    assert normalised(stored) == sent(data)
    # The same shape: what GET returns can be sent back as it is.
    again = {"business_unit": wfm.unit, "timezone": LONDON, "agents": stored["agents"]}
    response = await wfm.put(again)
    assert response.status_code == 200, response.text
    assert response.json()["changed_agent_ids"] == []

    # Shifts starting in [from, to) only.
    clipped = await wfm.get(
        **{"from": local(WEEK + timedelta(days=1), 0), "to": local(WEEK + timedelta(days=2), 0)}
    )
    assert all(len(a["shifts"]) == 1 for a in clipped["agents"])


async def test_w1_csv_import_of_the_same_data(stack: Stack, wfm: Wfm) -> None:
    ids = await agents(stack, 2)
    data = schedule(wfm.unit, ids)
    response = await wfm.csv(as_csv(data))
    assert response.status_code == 200, response.text
    assert (response.json()["agents"], response.json()["shifts"]) == (2, 10)
    assert normalised(await wfm.get()) == sent(data)

    # The same file as a form upload replaces the week with identical data.
    response = await stack.http.post(
        "/v1/wfm/schedules/import",
        files={"file": ("week.csv", as_csv(data).encode(), "text/csv")},
        headers=wfm.importer.auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["changed_agent_ids"] == []
    assert normalised(await wfm.get()) == sent(data)


async def test_w1_reimport_replaces_the_week_and_an_agent_left_out_loses_shifts(
    stack: Stack, wfm: Wfm
) -> None:
    ana, ben = await agents(stack, 2)
    assert (await wfm.put(schedule(wfm.unit, [ana, ben]))).status_code == 200
    changed = schedule(wfm.unit, [ana])
    changed["agents"][0]["shifts"].pop()  # Ana's Friday goes too
    response = await wfm.put(changed)
    assert response.status_code == 200, response.text
    assert sorted(response.json()["changed_agent_ids"]) == sorted([ana, ben])

    stored = normalised(await wfm.get())
    assert stored[ben] == []  # still in the business unit, without shifts this week
    assert len(stored[ana]) == 4

    # Another week is a separate import: this one stays.
    later = schedule(wfm.unit, [ben])
    later["agents"] = [agent_week(ben, WEEK + timedelta(weeks=1))]
    assert (await wfm.put(later)).status_code == 200
    stored = normalised(await wfm.get())
    assert (len(stored[ana]), len(stored[ben])) == (4, 5)


async def test_w1_staffing_import_and_replace(wfm: Wfm) -> None:
    nine = datetime(2031, 3, 24, 9, tzinfo=UTC)

    def body(values: list[tuple[float, float]], offset: int = 0, **extra: Any) -> dict:
        return {
            "business_unit": wfm.unit,
            "intervals": [
                {
                    "starts_at": (nine + (offset + i) * timedelta(minutes=15)).isoformat(),
                    "forecast": f,
                    "scheduled": s,
                }
                for i, (f, s) in enumerate(values)
            ],
            **extra,
        }

    # A business unit without a schedule yet needs its zone.
    error = error_of(await wfm.staffing(body([(1, 1)])), 422)
    assert error["details"]["field"] == "timezone"
    response = await wfm.staffing(body([(10, 9), (12.5, 11), (14, 15), (9, 9)], timezone=LONDON))
    assert response.status_code == 200, response.text
    assert response.json()["intervals"] == 4
    assert instant(response.json()["ends_at"]) == nine + timedelta(hours=1)

    response = await wfm.staffing(body([(1, 2), (3, 4)], offset=1))
    assert response.status_code == 200, response.text
    got = (await wfm.get("staffing"))["intervals"]
    assert [(instant(i["starts_at"]), i["forecast"], i["scheduled"]) for i in got] == [
        (nine, 10, 9),
        (nine + timedelta(minutes=15), 1, 2),
        (nine + timedelta(minutes=30), 3, 4),
        (nine + timedelta(minutes=45), 9, 9),
    ]
    windowed = await wfm.get(
        "staffing", **{"from": nine.isoformat(), "to": (nine + timedelta(minutes=30)).isoformat()}
    )
    assert len(windowed["intervals"]) == 2


# -- bad input -------------------------------------------------------------------------------


def _overlapping_shift(data: dict) -> None:
    monday = WEEK
    data["agents"][0]["shifts"].append(
        {"starts_at": local(monday, 16), "ends_at": local(monday, 20), "activities": []}
    )


def _activity_outside_shift(data: dict) -> None:
    data["agents"][2]["shifts"][0]["activities"][2]["ends_at"] = local(WEEK, 17, 30)


def _naive(data: dict) -> None:
    data["agents"][1]["shifts"][3]["starts_at"] = f"{WEEK + timedelta(days=3)}T09:00:00"


def _missing_local_time(data: dict) -> None:
    sunday = WEEK + timedelta(days=6)  # 01:00-02:00 does not exist in London that night
    data["agents"][0]["shifts"].append(
        {
            "starts_at": f"{sunday}T01:30:00+01:00",
            "ends_at": f"{sunday}T06:00:00+01:00",
            "activities": [],
        }
    )


def _bad_category(data: dict) -> None:
    data["agents"][0]["shifts"][0]["activities"][1]["category"] = "lunch"


def _unknown_agent(data: dict) -> None:
    data["agents"][1]["agent_id"] = str(uuid.uuid4())


def _shift_outside_week(data: dict) -> None:
    data["week_start"] = WEEK.isoformat()
    data["agents"][0]["shifts"].append(working_day(WEEK + timedelta(days=7)))


def _week_start_not_monday(data: dict) -> None:
    data["week_start"] = (WEEK + timedelta(days=1)).isoformat()


def _end_before_start(data: dict) -> None:
    data["agents"][0]["shifts"][1]["ends_at"] = local(WEEK + timedelta(days=1), 8)


def _unknown_field(data: dict) -> None:
    data["agents"][0]["shifts"][0]["activities"][0]["colour"] = "blue"


def _bad_zone(data: dict) -> None:
    data["timezone"] = "Europe/Atlantis"


def _same_agent_twice(data: dict) -> None:
    data["agents"][1]["agent_id"] = data["agents"][0]["agent_id"]


def _seconds(data: dict) -> None:
    data["agents"][0]["shifts"][0]["ends_at"] = f"{WEEK}T17:00:30+00:00"


def _other_zone(data: dict) -> None:
    data["timezone"] = "Europe/Paris"
    for agent in data["agents"]:
        for s in agent["shifts"]:
            for item in (s, *s["activities"]):
                for key in ("starts_at", "ends_at"):
                    item[key] = instant(item[key]).isoformat()


BAD_SCHEDULES = {
    "overlapping shifts": (_overlapping_shift, 422, "agents.0.shifts.5.starts_at"),
    "activity outside its shift": (
        _activity_outside_shift,
        422,
        "agents.2.shifts.0.activities.2.ends_at",
    ),
    "naive datetime": (_naive, 422, "agents.1.shifts.3.starts_at"),
    "local time that does not exist": (_missing_local_time, 422, "agents.0.shifts.5.starts_at"),
    "unknown category": (_bad_category, 422, "agents.0.shifts.0.activities.1.category"),
    "unknown agent": (_unknown_agent, 422, "agents.1.agent_id"),
    "shift outside the week": (_shift_outside_week, 422, "agents.0.shifts.5.starts_at"),
    "week_start not a Monday": (_week_start_not_monday, 422, "week_start"),
    "end before start": (_end_before_start, 422, "agents.0.shifts.1.ends_at"),
    "unknown field": (_unknown_field, 422, "agents.0.shifts.0.activities.0.colour"),
    "unknown zone": (_bad_zone, 422, "timezone"),
    "agent twice": (_same_agent_twice, 422, "agents.1.agent_id"),
    "not on a whole minute": (_seconds, 422, "agents.0.shifts.0.ends_at"),
    "business unit zone changed": (_other_zone, 409, "timezone"),
}


@pytest.mark.parametrize("case", list(BAD_SCHEDULES))
async def test_w1_bad_schedule_names_the_field_and_changes_nothing(
    stack: Stack, wfm: Wfm, case: str
) -> None:
    change, status, field = BAD_SCHEDULES[case]
    ids = await agents(stack, 3)
    assert (await wfm.put(schedule(wfm.unit, ids[:2]))).status_code == 200
    before = await wfm.get()

    data = schedule(wfm.unit, ids)
    change(data)
    error = error_of(await wfm.put(data), status)
    assert error["details"]["field"] == field, error
    assert field in error["message"]
    after = await wfm.get()
    assert after == before
    assert ids[2] not in normalised(after)  # not even made a member


async def test_w1_malformed_json_is_422(wfm: Wfm) -> None:
    response = await wfm.stack.http.put(
        "/v1/wfm/schedules",
        content=b'{"business_unit": ',
        headers={**wfm.importer.auth, "Content-Type": "application/json"},
    )
    error = error_of(response, 422)
    assert error["details"]["field"] == "body" and "JSON" in error["message"]


async def test_w1_agent_of_another_business_unit_is_409(stack: Stack, wfm: Wfm) -> None:
    ana, ben = await agents(stack, 2)
    other = unit_name()
    assert (await wfm.put(schedule(other, [ben]))).status_code == 200
    assert (await wfm.put(schedule(wfm.unit, [ana]))).status_code == 200
    before = await wfm.get()
    error = error_of(await wfm.put(schedule(wfm.unit, [ana, ben])), 409)
    assert error["type"] == "Conflict"
    assert error["details"]["field"] == "agents.1.agent_id"
    assert error["details"]["business_unit"] == other and other in error["message"]
    assert ben in error["message"]
    assert await wfm.get() == before


def _csv_lines(unit: str, ids: list[str]) -> list[str]:
    return as_csv(schedule(unit, ids)).splitlines()


def _replace_cell(lines: list[str], line: int, column: int, value: str) -> None:
    cells = lines[line - 1].split(",")
    cells[column - 1] = value
    lines[line - 1] = ",".join(cells)


def _csv_bad_datetime(lines: list[str]) -> None:
    _replace_cell(lines, 3, 4, "Monday 9am")


def _csv_naive(lines: list[str]) -> None:
    _replace_cell(lines, 5, 7, f"{WEEK + timedelta(days=1)}T17:00:00")


def _csv_bad_category(lines: list[str]) -> None:
    _replace_cell(lines, 4, 8, "lunch")


def _csv_outside_shift(lines: list[str]) -> None:
    _replace_cell(lines, 7, 7, local(WEEK + timedelta(days=1), 17, 30))


def _csv_unknown_agent(lines: list[str]) -> None:
    for number in range(17, 32):
        _replace_cell(lines, number, 3, "nobody")


def _csv_unknown_column(lines: list[str]) -> None:
    lines[0] = lines[0].replace("interruptible", "interuptible")


def _csv_missing_column(lines: list[str]) -> None:
    lines[:] = [",".join(line.split(",")[:4]) for line in lines]


def _csv_unit_differs(lines: list[str]) -> None:
    _replace_cell(lines, 9, 1, "elsewhere")


def _csv_bad_flag(lines: list[str]) -> None:
    _replace_cell(lines, 10, 9, "maybe")


def _csv_overlap(lines: list[str]) -> None:
    # A second Monday shift for the first agent, 16:00-20:00, on a line of its own.
    cells = lines[1].split(",")
    cells[3:] = [local(WEEK, 16), local(WEEK, 20), "", "", "", "", ""]
    lines.append(",".join(cells))


BAD_CSV = {
    "unparseable date-time": (_csv_bad_datetime, 3, "shift_start"),
    "naive date-time": (_csv_naive, 5, "activity_end"),
    "unknown category": (_csv_bad_category, 4, "category"),
    "activity outside its shift": (_csv_outside_shift, 7, "activity_end"),
    "unknown agent": (_csv_unknown_agent, 17, "agent_id"),
    "unknown column": (_csv_unknown_column, 1, "interuptible"),
    "missing columns": (_csv_missing_column, 1, None),
    "business unit differs": (_csv_unit_differs, 9, "business_unit"),
    "bad boolean": (_csv_bad_flag, 10, "paid"),
    "overlapping shifts": (_csv_overlap, 32, "shift_start"),
}


@pytest.mark.parametrize("case", list(BAD_CSV))
async def test_w1_bad_csv_row_names_line_and_column_and_imports_nothing(
    stack: Stack, wfm: Wfm, case: str
) -> None:
    change, line, column = BAD_CSV[case]
    ids = await agents(stack, 2)
    assert (await wfm.csv(as_csv(schedule(wfm.unit, ids[:1])))).status_code == 200
    before = await wfm.get()

    lines = _csv_lines(wfm.unit, ids)
    change(lines)
    error = error_of(await wfm.csv("\n".join(lines) + "\n"), 422)
    assert error["details"]["line"] == line, error
    assert f"line {line}" in error["message"]
    if column is not None:
        assert error["details"]["column"] == column, error
        assert column in error["message"]
    assert await wfm.get() == before


async def test_w1_csv_that_is_not_utf8_or_empty_is_422(wfm: Wfm) -> None:
    error = error_of(await wfm.csv(CSV_HEADER.encode() + b"\n\xff\xfe,x\n"), 422)
    assert error["details"]["line"] == 2
    error = error_of(await wfm.csv(b""), 422)
    assert "empty" in error["message"]
    response = await wfm.stack.http.post(
        "/v1/wfm/schedules/import", files={"other": ("a.csv", b"x")}, headers=wfm.importer.auth
    )
    assert error_of(response, 422)["details"]["field"] == "file"


def _staffing(unit: str, *rows: tuple[str, Any, Any]) -> dict[str, Any]:
    return {
        "business_unit": unit,
        "intervals": [{"starts_at": at, "forecast": f, "scheduled": s} for at, f, s in rows],
    }


BAD_STAFFING = {
    "negative headcount": (
        [("2031-03-24T09:00:00+00:00", 3, 2), ("2031-03-24T09:15:00+00:00", -1, 2)],
        "intervals.1.forecast",
    ),
    "negative scheduled": ([("2031-03-24T09:00:00+00:00", 3, -0.5)], "intervals.0.scheduled"),
    "not on a 15-minute boundary": ([("2031-03-24T09:10:00+00:00", 3, 2)], "intervals.0.starts_at"),
    "naive": ([("2031-03-24T09:00:00", 3, 2)], "intervals.0.starts_at"),
    "twice the same interval": (
        [
            ("2031-03-24T09:00:00+00:00", 3, 2),
            ("2031-03-24T09:15:00+00:00", 3, 2),
            ("2031-03-24T09:15:00Z", 3, 2),
        ],
        "intervals.2.starts_at",
    ),
    "offset not the unit's": ([("2031-03-24T10:00:00+01:00", 3, 2)], "intervals.0.starts_at"),
    "not a number": ([("2031-03-24T09:00:00+00:00", "many", 2)], "intervals.0.forecast"),
    "no intervals": ([], "intervals"),
}


@pytest.mark.parametrize("case", list(BAD_STAFFING))
async def test_w1_bad_staffing_names_the_field_and_changes_nothing(wfm: Wfm, case: str) -> None:
    rows, field = BAD_STAFFING[case]
    first = _staffing(wfm.unit, ("2031-03-24T09:00:00+00:00", 5, 5))
    assert (await wfm.staffing({**first, "timezone": LONDON})).status_code == 200
    before = await wfm.get("staffing")
    error = error_of(await wfm.staffing(_staffing(wfm.unit, *rows)), 422)
    assert error["details"]["field"] == field, error
    assert await wfm.get("staffing") == before


async def test_w1_get_needs_a_known_unit_and_a_sane_range(wfm: Wfm) -> None:
    http, auth = wfm.stack.http, wfm.viewer.auth
    response = await http.get("/v1/wfm/schedules", params={"business_unit": "nope"}, headers=auth)
    assert error_of(response, 404)["type"] == "NotFound"
    response = await http.get("/v1/wfm/staffing", params={"business_unit": "nope"}, headers=auth)
    assert error_of(response, 404)["type"] == "NotFound"
    response = await http.get("/v1/wfm/schedules", headers=auth)
    assert error_of(response, 422)["details"]["field"] == "business_unit"
    params = {"business_unit": "nope", "from": "2031-03-24T00:00:00"}
    response = await http.get("/v1/wfm/schedules", params=params, headers=auth)
    assert error_of(response, 422)["details"]["field"] == "from"
    params = {"business_unit": "x", "from": "2031-03-24T00:00:00Z", "to": "2031-03-23T00:00:00Z"}
    response = await http.get("/v1/wfm/schedules", params=params, headers=auth)
    assert error_of(response, 422)["details"]["field"] == "to"


# -- permissions (A2, A3) --------------------------------------------------------------------

IMPORTS = [
    ("PUT", "/v1/wfm/schedules"),
    ("POST", "/v1/wfm/schedules/import"),
    ("PUT", "/v1/wfm/staffing"),
]
VIEWS = [("GET", "/v1/wfm/schedules"), ("GET", "/v1/wfm/staffing")]


async def test_a3_wfm_endpoints_need_a_token(stack: Stack) -> None:
    for method, path in IMPORTS + VIEWS:
        response = await stack.http.request(
            method, path, params={"business_unit": "x"}, json={"business_unit": "x"}
        )
        assert error_of(response, 401)["type"] == "Unauthenticated", (method, path)
        assert response.headers.get("WWW-Authenticate") == "Bearer"


async def test_a2_imports_need_wfm_schedule_import(stack: Stack, wfm: Wfm) -> None:
    ana = await agents(stack, 1)
    data = schedule(wfm.unit, ana)
    staffing = {**_staffing(wfm.unit, ("2031-03-24T09:00:00+00:00", 1, 1)), "timezone": LONDON}
    for role in ("agent", "supervisor", "ops"):
        person = await stack.person(role)
        for response in (
            await wfm.put(data, by=person),
            await wfm.csv(as_csv(data), by=person),
            await wfm.staffing(staffing, by=person),
            # Even a body that is not valid: who you are comes before what you sent.
            await wfm.put({"nonsense": True}, by=person),
        ):
            error = error_of(response, 403)
            assert "wfm.schedule.import" in error["message"], role
    for role in ("agent", "ops"):
        person = await stack.person(role)
        response = await stack.http.get(
            "/v1/wfm/schedules", params={"business_unit": wfm.unit}, headers=person.auth
        )
        assert "wfm.schedule.view" in error_of(response, 403)["message"]

    for role in ("quality_manager", "admin"):
        person = await stack.person(role, divisions=[DIVISION])
        assert (await wfm.put(data, by=person)).status_code == 200, role
        assert (await wfm.csv(as_csv(data), by=person)).status_code == 200, role
        assert (await wfm.staffing(staffing, by=person)).status_code == 200, role
    # A supervisor may look (wfm.schedule.view).
    assert normalised(await wfm.get()) == sent(data)


# -- divisions (A5; issue 7, item 3) ---------------------------------------------------------


async def test_issue7_a5_wfm_imports_and_views_stay_in_the_callers_divisions(
    stack: Stack,
) -> None:
    """A quality manager of another division can neither import a schedule for our agents,
    nor wipe their shifts, nor overwrite our staffing; a supervisor of another division sees
    none of it (404, as for a unit that does not exist); admins do everything."""
    ours, theirs = f"div-{uuid.uuid4().hex[:6]}", f"div-{uuid.uuid4().hex[:6]}"
    our_qm = await stack.person("quality_manager", divisions=[ours])
    our_sup = await stack.person("supervisor", divisions=[ours])
    their_qm = await stack.person("quality_manager", divisions=[theirs])
    their_sup = await stack.person("supervisor", divisions=[theirs])
    admin = await stack.person("admin")
    ana = await stack.person("agent", name="Ana Ours", divisions=[ours])
    zed = await stack.person("agent", name="Zed Theirs", divisions=[theirs])
    unit = unit_name()
    wfm = Wfm(stack, our_qm, our_sup, unit)
    data = schedule(unit, [ana.id])
    staffing = {**_staffing(unit, ("2031-03-24T09:00:00+00:00", 5, 4)), "timezone": LONDON}
    assert (await wfm.put(data)).status_code == 200
    assert (await wfm.staffing(staffing)).status_code == 200
    schedules, staffed = await wfm.get(), await wfm.get("staffing")

    # An agent outside the caller's divisions: 403 naming them, in JSON and in CSV.
    mixed = schedule(unit, [ana.id, zed.id])
    for response in (await wfm.put(mixed), await wfm.csv(as_csv(mixed))):
        error = error_of(response, 403)
        assert error["details"]["agent_id"] == zed.id and "Zed Theirs" in error["message"]
    # Their quality manager: not our agent, not our unit, not our staffing.
    error = error_of(await wfm.put(data, by=their_qm), 403)
    assert error["details"]["agent_id"] == ana.id
    assert error["details"]["field"] == "agents.0.agent_id"
    wipe = schedule(unit, [], week_start=WEEK.isoformat())
    assert error_of(await wfm.put(wipe, by=their_qm), 404)["type"] == "NotFound"
    # Their agent into our unit would drop Ana's shifts for the week: refused, naming Ana.
    error = error_of(await wfm.put(schedule(unit, [zed.id]), by=their_qm), 403)
    assert error["details"]["agent_id"] == ana.id
    new_staffing = {**staffing, "intervals": [{**staffing["intervals"][0], "forecast": 99}]}
    assert error_of(await wfm.staffing(new_staffing, by=their_qm), 404)["type"] == "NotFound"
    assert await wfm.get() == schedules and await wfm.get("staffing") == staffed

    for path in ("schedules", "staffing"):
        response = await stack.http.get(
            f"/v1/wfm/{path}", params={"business_unit": unit}, headers=their_sup.auth
        )
        unknown = await stack.http.get(
            f"/v1/wfm/{path}", params={"business_unit": unit_name()}, headers=their_sup.auth
        )
        assert error_of(response, 404) == error_of(unknown, 404)

    # Admins: everything, and a unit of both divisions shows each supervisor their own agents.
    assert (await wfm.put(mixed, by=admin)).status_code == 200
    assert [a["agent_id"] for a in (await wfm.get())["agents"]] == [ana.id]
    theirs_view = await stack.http.get(
        "/v1/wfm/schedules", params={"business_unit": unit}, headers=their_sup.auth
    )
    assert [a["agent_id"] for a in theirs_view.json()["agents"]] == [zed.id]
    admin_view = await stack.http.get(
        "/v1/wfm/schedules", params={"business_unit": unit}, headers=admin.auth
    )
    assert {a["agent_id"] for a in admin_view.json()["agents"]} == {ana.id, zed.id}
