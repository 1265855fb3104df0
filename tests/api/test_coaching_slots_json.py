"""The slot query's answer written as JSON text (W2: slots and everyone's free/busy).

The free/busy lists are written directly rather than through a dict per segment; on random
schedules the text must parse to exactly what the straightforward encoding gave.
"""

import json

from hypothesis import HealthCheck, given, settings

from tandem.api.routes.coaching import slots_json, slots_out
from tandem.solver import InvalidQuery, SlotQuery, find_slots, from_minutes
from tests.solver.test_solver_slot_oracle import queries


def reference(query: SlotQuery) -> dict:
    result = find_slots(query)
    return {
        **slots_out(result),
        "schedules": {
            person_id: [
                {
                    "starts_at": from_minutes(start).isoformat(),
                    "ends_at": from_minutes(end).isoformat(),
                    "status": status,
                    "reason": reason,
                }
                for start, end, status, reason in free_busy.segments()
            ]
            for person_id, free_busy in result.schedules.items()
        },
    }


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(queries())
def test_w2_slots_json_is_the_plain_encoding(query: SlotQuery) -> None:
    try:
        result = find_slots(query)
    except InvalidQuery:
        return
    expected = reference(query)
    assert json.loads(slots_json(result, include_schedules=True)) == expected
    del expected["schedules"]
    assert json.loads(slots_json(result, include_schedules=False)) == expected
