"""``tandem cadence`` at a terminal (issue 12 item 3, W8 in tandem.domain.cadence): the same
answers and rules as the API, in the caller's zone."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.api.test_coaching import wfm_team
from tests.api.test_coaching_cadence import division_of, held_ago
from tests.support import Stack, api_command


async def test_w8_tandem_cadence_sets_the_policy_and_prints_who_is_due(stack: Stack) -> None:
    sup, (late, never), _, _, _ = await wfm_team(stack, agents=2)
    division = await division_of(stack, sup)
    held = await held_ago(stack, sup, late, timedelta(weeks=3))

    code, out, err = await api_command(stack, sup, "cadence", division)
    assert code == 2 and "no such cadence policy [HTTP 404]" in err, (out, err)

    code, out, err = await api_command(
        stack, sup, "cadence", division, "--every-weeks", "2", "--duration", "45"
    )
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"{division}: every 2 week(s), 45-minute sessions")
    assert "times in Europe/London" in lines[0]
    assert lines[1].split() == ["status", "agent", "last", "session", "due", "by", "next", "booked"]
    london = held.astimezone(ZoneInfo("Europe/London"))
    assert lines[2].startswith("overdue") and late.name in lines[2]
    assert f"{london:%a %Y-%m-%d %H:%M}" in lines[2]
    assert lines[3].startswith("due") and never.name in lines[3] and "now (never)" in lines[3]
    assert len(lines) == 4

    code, out, err = await api_command(stack, sup, "cadence", division, "--json")
    assert code == 0, err
    found = json.loads(out)
    assert [i["status"] for i in found["items"]] == ["overdue", "due"]
    assert found["policy"]["duration_minutes"] == 45

    code, out, err = await api_command(
        stack, sup, "cadence", division, "--every-weeks", "0", "--duration", "45"
    )
    assert code == 2 and "(every_weeks) [HTTP 422]" in err, err
    code, out, err = await api_command(
        stack, late, "cadence", division, "--every-weeks", "1", "--duration", "30"
    )
    assert code == 2 and "[HTTP 403]" in err, err
