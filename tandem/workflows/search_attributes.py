"""Search attributes on meeting, series and plan workflows, so ops can find them through
Temporal's visibility (the Temporal UI, ``tandem ops find``; SPEC O1)."""

from __future__ import annotations

from datetime import UTC, datetime

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
from tandem.domain.plans import PlanCommit, PlanState
from tandem.domain.series import Series

MEETING_ID = SearchAttributeKey.for_keyword("MeetingId")
FACILITATOR_ID = SearchAttributeKey.for_keyword("FacilitatorId")
PARTICIPANT_IDS = SearchAttributeKey.for_keyword_list("ParticipantIds")
MEETING_STATUS = SearchAttributeKey.for_keyword("MeetingStatus")
STARTS_AT = SearchAttributeKey.for_datetime("StartsAt")
# A series' own workflow, and each of its occurrences' meetings, carry its id.
SERIES_ID = SearchAttributeKey.for_keyword("SeriesId")
SERIES_STATUS = SearchAttributeKey.for_keyword("SeriesStatus")
PLAN_ID = SearchAttributeKey.for_keyword("PlanId")
PLAN_STATUS = SearchAttributeKey.for_keyword("PlanStatus")

ALL_KEYS = (
    MEETING_ID,
    FACILITATOR_ID,
    PARTICIPANT_IDS,
    MEETING_STATUS,
    STARTS_AT,
    SERIES_ID,
    SERIES_STATUS,
    PLAN_ID,
    PLAN_STATUS,
)

# Series and plan workflows that started before they carried attributes get them at their next
# change; their recorded histories have no upsert there (tests/histories).
PATCH = "search-attributes-on-series-and-plans"


def for_meeting(meeting: Meeting) -> TypedSearchAttributes:
    pairs: list[SearchAttributePair] = [
        SearchAttributePair(MEETING_ID, meeting.id),
        SearchAttributePair(FACILITATOR_ID, meeting.facilitator_id),
        SearchAttributePair(PARTICIPANT_IDS, list(meeting.participant_ids)),
        SearchAttributePair(MEETING_STATUS, meeting.status.value),
        SearchAttributePair(STARTS_AT, meeting.starts_at),
    ]
    if meeting.series_id is not None:
        pairs.append(SearchAttributePair(SERIES_ID, meeting.series_id))
    return TypedSearchAttributes(pairs)


def for_series(series: Series) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(SERIES_ID, series.id),
            SearchAttributePair(FACILITATOR_ID, series.facilitator_id),
            SearchAttributePair(PARTICIPANT_IDS, [series.participant_id]),
            SearchAttributePair(SERIES_STATUS, series.status.value),
        ]
    )


def for_plan(commit: PlanCommit, state: PlanState) -> TypedSearchAttributes:
    """Everyone a plan books, facilitators and agents, is a participant of it."""
    people = {p for s in commit.sessions for p in (s.agent_id, s.facilitator_id)}
    return TypedSearchAttributes(
        [
            SearchAttributePair(PLAN_ID, commit.plan_id),
            SearchAttributePair(PARTICIPANT_IDS, sorted(people)),
            SearchAttributePair(PLAN_STATUS, state.value),
        ]
    )


def meeting_query(
    *,
    facilitator_id: str | None = None,
    participant_id: str | None = None,
    status: str | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
) -> str:
    """The visibility query for meeting workflows: what ``tandem ops find`` sends, and what
    ops can type into the Temporal UI's search box."""
    terms = ['WorkflowType = "Meeting"']
    for key, value in (
        (FACILITATOR_ID, facilitator_id),
        (PARTICIPANT_IDS, participant_id),
        (MEETING_STATUS, status),
    ):
        if value is not None:
            terms.append(f"{key.name} = {_quoted(value)}")
    if starts_from is not None:
        terms.append(f"{STARTS_AT.name} >= {_quoted(_utc(starts_from))}")
    if starts_before is not None:
        terms.append(f"{STARTS_AT.name} < {_quoted(_utc(starts_before))}")
    return " AND ".join(terms)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def differences(
    current: TypedSearchAttributes, wanted: TypedSearchAttributes
) -> list[SearchAttributeUpdate]:
    """What to upsert so that ``current`` (a workflow's, as ``workflow.info()`` has it) holds
    ``wanted``: nothing when it does already."""
    return [
        pair.key.value_set(pair.value)
        for pair in wanted.search_attributes
        if current.get(pair.key) != pair.value
    ]


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
