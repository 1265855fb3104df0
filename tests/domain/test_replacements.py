"""Pure rules of issue 12 items 4 and 5: the W7+ policy of an appointment whose agents span
divisions, and Tandem's own coaching in a schedule import (W1, the round trip)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tandem.domain.errors import Invalid
from tandem.domain.replacements import DEFAULTS, DivisionSettings, policy_for, rebook_key
from tandem.domain.wfm import coaching_code, own_coaching, parse_schedule_csv, plan_schedule

HEADER = (
    "business_unit,timezone,agent_id,shift_start,shift_end,activity_start,activity_end,"
    "category,paid,interruptible,activity_code"
)
SHIFT = "bu,Europe/London,a1,2031-03-24T09:00:00+00:00,2031-03-24T17:00:00+00:00"


def test_w7_policy_defaults_and_the_most_careful_of_several_divisions() -> None:
    assert policy_for([]) == DEFAULTS == DivisionSettings(auto_rebook=False, replacement_days=14)
    eager = DivisionSettings(auto_rebook=True, replacement_days=21)
    careful = DivisionSettings(auto_rebook=False, replacement_days=7)
    assert policy_for([eager]) == eager
    # Rebooked by itself only if every division says so; the shortest horizon.
    assert policy_for([eager, careful]) == DivisionSettings(auto_rebook=False, replacement_days=7)
    assert policy_for([eager, DivisionSettings(auto_rebook=True, replacement_days=3)]) == (
        DivisionSettings(auto_rebook=True, replacement_days=3)
    )


def test_w7_one_rebook_key_per_break() -> None:
    at, later = datetime(2031, 3, 24, 9, tzinfo=UTC), datetime(2031, 3, 24, 10, tzinfo=UTC)
    assert rebook_key("m1", 4, at) == rebook_key("m1", 4, at) != rebook_key("m1", 6, at)
    assert rebook_key("m1", 4, at) != rebook_key("m1", 4, later)


def test_w1_tandems_own_coaching_is_read_but_not_kept_other_codes_are_harmless() -> None:
    assert own_coaching(coaching_code("m-42")) == "m-42"
    assert own_coaching("WFM-MEETING") is None and own_coaching(None) is None
    assert own_coaching("tandem-coaching:") is None
    text = "\n".join(
        [
            HEADER,
            f"{SHIFT},2031-03-24T09:00:00+00:00,2031-03-24T17:00:00+00:00,on_queue,true,true,",
            f"{SHIFT},2031-03-24T14:00:00+00:00,2031-03-24T14:30:00+00:00,meeting,true,false,"
            + coaching_code("m-42"),
            f"{SHIFT},2031-03-24T15:00:00+00:00,2031-03-24T15:30:00+00:00,meeting,true,false,"
            "WFM-MEETING",
        ]
    )
    parsed = parse_schedule_csv(text)
    codes = [a.code for a in parsed.body.agents[0].shifts[0].activities]
    assert codes == [None, coaching_code("m-42"), "WFM-MEETING"]
    kept = plan_schedule(parsed.body).agents["a1"][0].activities
    assert [(a.category, a.starts_at.hour) for a in kept] == [("on_queue", 9), ("meeting", 15)]


def test_w1_tandems_coaching_outside_its_shift_is_still_refused_naming_line_and_column() -> None:
    text = "\n".join(
        [
            HEADER,
            f"{SHIFT},2031-03-24T16:45:00+00:00,2031-03-24T17:15:00+00:00,meeting,true,false,"
            + coaching_code("m-42"),
        ]
    )
    parsed = parse_schedule_csv(text)
    with pytest.raises(Invalid) as refused:
        plan_schedule(parsed.body)
    located = parsed.locate(refused.value)
    assert located.details["line"] == 2 and located.details["column"] == "activity_end"
