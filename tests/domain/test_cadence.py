"""W8 (tandem.domain.cadence): an agent's cadence status from their last held session, their
next booked one, the policy and the clock; the boundaries of each status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tandem.domain.cadence import CadencePolicy, CadenceStatus, standing, to_plan, urgency

NOW = datetime(2030, 3, 4, 10, tzinfo=UTC)
POLICY = CadencePolicy(
    division="d", every_weeks=2, duration_minutes=30, due_soon_days=7, updated_at=NOW
)
WEEK = timedelta(weeks=1)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("last", "booked", "status"),
    [
        (NOW - WEEK + SECOND, None, CadenceStatus.OK),  # due just over a week from now
        (NOW - WEEK, None, CadenceStatus.DUE),  # due exactly a week from now
        (NOW - 2 * WEEK, None, CadenceStatus.DUE),  # due now
        (NOW - 2 * WEEK - SECOND, None, CadenceStatus.OVERDUE),
        (NOW - 2 * WEEK + SECOND, NOW + SECOND, CadenceStatus.OK),  # booked before the date
        (NOW - 2 * WEEK - SECOND, NOW + WEEK, CadenceStatus.OVERDUE),  # booked too late
        (NOW - WEEK, NOW + 2 * WEEK, CadenceStatus.DUE),  # booked after the due date
        (None, None, CadenceStatus.DUE),  # never coached: due now
        (None, NOW + 3 * WEEK, CadenceStatus.OK),  # the first session is booked
    ],
)
def test_w8_status_boundaries(last, booked, status) -> None:
    entry = standing(POLICY, last, booked, NOW)
    assert entry.status is status
    assert entry.due_by == (None if last is None else last + 2 * WEEK)


def test_w8_what_a_plan_for_the_due_books_and_in_which_order() -> None:
    overdue = standing(POLICY, NOW - 3 * WEEK, None, NOW)
    never = standing(POLICY, None, None, NOW)
    soon = standing(POLICY, NOW - WEEK - timedelta(days=2), None, NOW)
    later = standing(POLICY, NOW - timedelta(days=2), None, NOW)  # due in 12 days: ok now
    booked = standing(POLICY, NOW - 3 * WEEK, NOW + WEEK, NOW)  # overdue, booked late
    window_end = NOW + WEEK
    assert [to_plan(e, window_end) for e in (overdue, never, soon, later, booked)] == [
        True,
        True,
        True,
        False,  # falls due after the window
        False,  # something is booked already
    ]
    assert to_plan(later, NOW + 2 * WEEK)  # falls due within this longer window
    ordered = sorted([later, soon, never, overdue], key=lambda e: urgency(e, NOW))
    assert ordered == [overdue, never, soon, later]
    assert (overdue.priority, never.priority, soon.priority) == (2.0, 1.0, 1.0)
