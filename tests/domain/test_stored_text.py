"""Issue 7 tightened what new text may contain; what earlier versions stored must still load,
or a long-lived meeting workflow whose history holds such a name could no longer replay."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tandem.domain.meetings import Meeting
from tandem.usecases.schemas import MeetingCreate

OLD_NAME = "Weekly\r\n1:1 \u202eevil"


def test_a_meeting_stored_with_text_new_input_refuses_still_loads() -> None:
    stored = {
        "id": "m-1",
        "kind": "one_to_one",
        "name": OLD_NAME,
        "location": "Room\n7",
        "facilitator_id": "u-1",
        "participant_ids": ["u-2"],
        "starts_at": "2026-12-08T09:00:00Z",
        "duration_minutes": 30,
        "timezone": "Europe/London",
        "focus": [{"kind": "evaluation", "ref": "line\nbreak"}],
        "created_by": "u-1",
        "created_at": "2026-12-01T09:00:00Z",
    }
    assert Meeting.model_validate_json(Meeting.model_validate(stored).model_dump_json()).name == (
        OLD_NAME
    )


def test_the_same_text_is_refused_as_new_input() -> None:
    body = {
        "kind": "one_to_one",
        "name": OLD_NAME,
        "participant_ids": ["u-2"],
        "starts_at": "2026-12-08T09:00:00Z",
        "duration_minutes": 30,
    }
    with pytest.raises(ValidationError, match="one line"):
        MeetingCreate.model_validate(body)
