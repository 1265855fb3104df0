"""Search attributes on meeting workflows, so ops can find them in the Temporal UI (SPEC O1)."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)
from temporalio.service import RPCError, RPCStatusCode

from tandem.domain.meetings import Meeting

MEETING_ID = SearchAttributeKey.for_keyword("MeetingId")
FACILITATOR_ID = SearchAttributeKey.for_keyword("FacilitatorId")
PARTICIPANT_IDS = SearchAttributeKey.for_keyword_list("ParticipantIds")
MEETING_STATUS = SearchAttributeKey.for_keyword("MeetingStatus")
STARTS_AT = SearchAttributeKey.for_datetime("StartsAt")

ALL_KEYS = (MEETING_ID, FACILITATOR_ID, PARTICIPANT_IDS, MEETING_STATUS, STARTS_AT)


def for_meeting(meeting: Meeting) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(MEETING_ID, meeting.id),
            SearchAttributePair(FACILITATOR_ID, meeting.facilitator_id),
            SearchAttributePair(PARTICIPANT_IDS, list(meeting.participant_ids)),
            SearchAttributePair(MEETING_STATUS, meeting.status.value),
            SearchAttributePair(STARTS_AT, meeting.starts_at),
        ]
    )


def changed(before: Meeting, after: Meeting) -> list[SearchAttributeUpdate]:
    updates: list[SearchAttributeUpdate] = []
    if before.facilitator_id != after.facilitator_id:
        updates.append(FACILITATOR_ID.value_set(after.facilitator_id))
    if before.participant_ids != after.participant_ids:
        updates.append(PARTICIPANT_IDS.value_set(list(after.participant_ids)))
    if before.status != after.status:
        updates.append(MEETING_STATUS.value_set(after.status.value))
    if before.starts_at != after.starts_at:
        updates.append(STARTS_AT.value_set(after.starts_at))
    return updates


async def register(client: Client, namespace: str = "default") -> None:
    """Register the keys unless already there. One key per call: the time-skipping test server
    implements AddSearchAttributes but not ListSearchAttributes."""
    for key in ALL_KEYS:
        request = AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={key.name: IndexedValueType.ValueType(int(key.indexed_value_type))},
        )
        try:
            await client.operator_service.add_search_attributes(request)
        except RPCError as error:
            if error.status is not RPCStatusCode.ALREADY_EXISTS:
                raise
