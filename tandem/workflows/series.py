"""The series workflow: owner of one recurring 1:1's plan (SPEC S1-S4, N2).

It keeps every occurrence of the next four weeks (and at least the next one) materialised as a
meeting workflow, sleeping until the next occurrence enters that horizon. Edits re-plan the
future and move the occurrences already made; "delete this instance" skips one; ending stops the
series and cancels what is still ahead. Occurrences the booking guard refuses are reported and
retried, never dropped silently. The workflow continues as new whenever the server suggests it,
carrying its whole state.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from tandem.activities.errors import BUSINESS_ERROR_TYPES, business_rules
    from tandem.activities.messages import (
        CHANGE_OCCURRENCE,
        MATERIALISE_OCCURRENCE,
        SYNC_SERIES,
        ChangeOutcome,
        Materialise,
        Materialised,
        OccurrenceChange,
        SyncSeries,
    )
    from tandem.domain.errors import Conflict, Invalid
    from tandem.domain.meetings import Cancel, Delete, Edit, MeetingChanges, Reassign
    from tandem.domain.notifications import NotificationKind, Notify, Recipient
    from tandem.domain.series import (
        MATERIALISE_AHEAD,
        CreateSeries,
        DeleteOccurrence,
        EditSeries,
        EndSeries,
        Occurrence,
        OccurrenceNotMoved,
        ReassignSeries,
        Series,
        SeriesInput,
        SeriesReassigned,
        SeriesStatus,
        edited,
    )
    from tandem.workflows import search_attributes
    from tandem.workflows.keyed import keyed_update_id

RETRY = RetryPolicy(
    maximum_interval=timedelta(minutes=1), non_retryable_error_types=BUSINESS_ERROR_TYPES
)
# How often occurrences the guard refused are tried again while their time is still ahead.
CLASH_RETRY = timedelta(hours=6)
SERIES_CHANGED = "the 1:1 series was changed"
SERIES_ENDED = "the 1:1 series has ended"
# Create and edit answer once the occurrences they make due are booked, so the caller reads its
# own write; histories from before this ran those bookings in the main loop just after.
MATERIALISE_BEFORE_ANSWER = "materialise-before-answer"
# An edit while the next occurrence is gap-shifted keeps the series' own wall time (S1);
# histories from before re-anchored on the shifted time, and replay must do that again.
OWN_WALL_TIME = "edit-keeps-own-wall-time"
# Occurrences due together are booked together (they are different weeks of one pair, so they
# cannot clash with each other): a create answers after one round of bookings, not four.
MATERIALISE_TOGETHER = "materialise-together"


def workflow_id(series_id: str) -> str:
    return f"series-{series_id}"


@workflow.defn(name="Series")
class SeriesWorkflow:
    @workflow.init
    def __init__(self, start: SeriesInput) -> None:
        self.series = start.series
        self.materialised = set(start.materialised)
        self.clashes = dict(start.clashes)
        self.created = start.resumed
        self.rejected = False
        self.generation = 0
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: SeriesInput) -> Series:
        await workflow.wait_condition(lambda: self.created or self.rejected)
        while not self.rejected and self.series.status is SeriesStatus.ACTIVE:
            async with self.lock:
                await self._materialise()
            generation = self.generation
            try:
                await workflow.wait_condition(
                    lambda seen=generation: self.generation != seen or self._hop_due(),
                    timeout=self._until_next_pass(),
                    timeout_summary="next occurrence enters the four-week horizon",
                )
            except TimeoutError:
                pass
            if self._hop_due():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._carried())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.series

    @workflow.query
    def state(self) -> SeriesInput:
        return self._carried()

    def _hop_due(self) -> bool:
        return workflow.info().is_continue_as_new_suggested()

    def _carried(self) -> SeriesInput:
        return SeriesInput(
            series=self.series,
            materialised=sorted(self.materialised),
            clashes=self.clashes,
            resumed=True,
        )

    # -- materialising -----------------------------------------------------------------------

    async def _materialise(self) -> None:
        now = workflow.now()
        due = self.series.due(now)
        pending = [o for o in due if o.index not in self.materialised]
        if workflow.patched(MATERIALISE_TOGETHER):
            results = await asyncio.gather(*(self._book(o) for o in pending))
        else:
            results = [await self._book(o) for o in pending]
        changed = False
        for occurrence, result in zip(pending, results, strict=True):
            if result.booked:
                self.materialised.add(occurrence.index)
                changed |= self.clashes.pop(occurrence.index, None) is not None
            elif self.clashes.get(occurrence.index) != result.reason:
                self.clashes[occurrence.index] = result.reason or "clash"
                changed = True
        # Only what is still ahead needs remembering; the projection keeps the rest.
        first_due = min((o.index for o in due), default=None)
        if first_due is not None:
            self.materialised = {i for i in self.materialised if i >= first_due}
            stale = [i for i in self.clashes if i < first_due]
            for index in stale:
                del self.clashes[index]
            changed |= bool(stale)
        if changed:
            self.series = self._bump(self.series)
            await self._sync()
        if not due and self.series.next_after(now, include_skipped=True) is None:
            await self._end(None, "its last occurrence has passed")

    async def _book(self, occurrence: Occurrence) -> Materialised:
        return await workflow.execute_activity(
            MATERIALISE_OCCURRENCE,
            Materialise(series=self.series, occurrence=occurrence),
            result_type=Materialised,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
            summary=f"occurrence {occurrence.index}",
        )

    def _until_next_pass(self) -> timedelta | None:
        now = workflow.now()
        wakes = []
        ahead = self.series.planned(now, now + MATERIALISE_AHEAD * 3, limit=20)
        pending = [
            o
            for o in ahead
            if o.index not in self.materialised and o.index not in self.series.skipped
        ]
        if pending:
            wakes.append(pending[0].starts_at - MATERIALISE_AHEAD)
        upcoming = [o for o in ahead if o.index in self.materialised]
        if upcoming:
            wakes.append(upcoming[0].starts_at)  # "at least the next one" moves on then
        if self.clashes:
            wakes.append(now + CLASH_RETRY)
        if not wakes:
            upcoming_far = self.series.next_after(now + MATERIALISE_AHEAD * 3)
            if upcoming_far is None:
                return None
            wakes.append(upcoming_far.starts_at - MATERIALISE_AHEAD)
        return max(min(wakes) - now, timedelta(seconds=1))

    # -- persisting --------------------------------------------------------------------------

    async def _sync(self, notify: list[Notify] | None = None) -> None:
        try:
            await workflow.execute_local_activity(
                SYNC_SERIES,
                SyncSeries(
                    series=self.series,
                    clashes=self.clashes,
                    notify=notify or [],
                    update_id=keyed_update_id(),
                ),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RETRY,
                summary=f"series v{self.series.version}",
            )
        except ActivityError as failure:
            if isinstance(failure.cause, ApplicationError):
                raise failure.cause from None
            raise
        self._publish()

    def _publish(self) -> None:
        """Keep the search attributes on what the projection now says (a reassign, an end)."""
        if not workflow.patched(search_attributes.PATCH):
            return
        wanted = search_attributes.for_series(self.series)
        if updates := search_attributes.differences(
            workflow.info().typed_search_attributes, wanted
        ):
            workflow.upsert_search_attributes(updates)

    async def _change(self, meeting_id: str, **message: object) -> ChangeOutcome:
        return await workflow.execute_activity(
            CHANGE_OCCURRENCE,
            OccurrenceChange(meeting_id=meeting_id, **message),
            result_type=ChangeOutcome,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
            summary=next(iter(message)),
        )

    def _bump(self, series: Series) -> Series:
        return series.model_copy(update={"version": self.series.version + 1})

    # -- updates -----------------------------------------------------------------------------

    @workflow.update
    async def create(self, request: CreateSeries) -> Series:
        """No validator: under update-with-start a refused create must end this run."""
        async with self.lock:
            if self.created:
                return self.series
            s = self.series = self._bump(self.series)
            announce = Notify(
                kind=NotificationKind.SERIES_CREATED,
                recipients=[
                    Recipient(user_id=uid)
                    for uid in (s.facilitator_id, s.participant_id)
                    if uid != request.actor_id
                ],
                occasion="created",
            )
            try:
                await self._sync([announce])
            except ApplicationError:
                self.rejected = True
                raise
            self.created = True
            if workflow.patched(MATERIALISE_BEFORE_ANSWER):
                await self._materialise()
            return self.series

    def _check_active(self) -> None:
        if self.series.status is not SeriesStatus.ACTIVE:
            raise Conflict("the series has ended", status=self.series.status.value)

    @workflow.update
    async def edit(self, request: EditSeries) -> Series:
        async with self.lock:
            now = workflow.now()
            with business_rules():
                self._check_active()
                own = workflow.patched(OWN_WALL_TIME)
                new = self._bump(edited(self.series, request.changes, now, own_wall_time=own))
            for index in sorted(self.materialised):
                before, after = self.series.occurrence(index), new.occurrence(index)
                if before is None or before.starts_at <= now:
                    continue
                meeting_id = before.meeting_id
                if after is None:
                    delete = Delete(actor_id=request.actor_id, reason=SERIES_CHANGED)
                    if (await self._change(meeting_id, delete=delete)).applied:
                        self.materialised.discard(index)
                    continue
                changes = MeetingChanges(
                    name=new.name,
                    description=new.description,
                    location=new.location,
                    starts_at=after.starts_at,
                    duration_minutes=after.duration_minutes,
                    timezone=after.timezone,
                )
                edit = Edit(actor_id=request.actor_id, changes=changes, reason=SERIES_CHANGED)
                outcome = await self._change(meeting_id, edit=edit)
                if outcome.applied:
                    self.clashes.pop(index, None)
                else:
                    self.clashes[index] = outcome.reason or "could not be moved"
            self.series = new
            await self._sync()
            if workflow.patched(MATERIALISE_BEFORE_ANSWER):
                await self._materialise()
            self.generation += 1
            return self.series

    @edit.validator
    def _validate_edit(self, request: EditSeries) -> None:
        with business_rules():
            self._check_active()
            edited(self.series, request.changes, workflow.now())

    async def _end(self, actor_id: str | None, reason: str | None) -> None:
        now = workflow.now()
        for index in sorted(self.materialised):
            occurrence = self.series.occurrence(index)
            if occurrence is not None and occurrence.starts_at > now and actor_id is not None:
                cancel = Cancel(actor_id=actor_id, reason=reason or SERIES_ENDED)
                await self._change(occurrence.meeting_id, cancel=cancel)
        self.series = self._bump(
            self.series.model_copy(update={"status": SeriesStatus.ENDED, "ended_at": now})
        )
        self.materialised.clear()
        self.clashes.clear()
        await self._sync()
        self.generation += 1

    @workflow.update
    async def end(self, request: EndSeries) -> Series:
        async with self.lock:
            with business_rules():
                self._check_active()
            await self._end(request.actor_id, request.reason)
            return self.series

    @end.validator
    def _validate_end(self, request: EndSeries) -> None:
        with business_rules():
            self._check_active()

    def _check_reassign(self, request: ReassignSeries) -> None:
        self._check_active()
        if request.facilitator_id == self.series.facilitator_id:
            raise Conflict("the series already has that facilitator", field="facilitator_id")
        if request.facilitator_id == self.series.participant_id:
            raise Invalid("the participant cannot facilitate their own 1:1", field="facilitator_id")

    @workflow.update
    async def reassign(self, request: ReassignSeries) -> SeriesReassigned:
        """M10: the occurrences still ahead move one by one through the meeting's own reassign
        (guard, notices, history); those not yet made are made with the new facilitator."""
        async with self.lock:
            with business_rules():
                self._check_reassign(request)
            # The projection first: it refuses a pair that already has a series (S2) before
            # any occurrence has moved.
            previous = self.series
            self.series = self._bump(
                previous.model_copy(update={"facilitator_id": request.facilitator_id})
            )
            try:
                await self._sync()
            except ApplicationError:
                self.series = previous
                raise
            now = workflow.now()
            not_moved = []
            for index in sorted(self.materialised):
                occurrence = self.series.occurrence(index)
                if occurrence is None or occurrence.starts_at <= now:
                    continue
                reassign = Reassign(
                    actor_id=request.actor_id,
                    facilitator_id=request.facilitator_id,
                    reason=request.reason,
                )
                outcome = await self._change(occurrence.meeting_id, reassign=reassign)
                if not outcome.applied:
                    not_moved.append(
                        OccurrenceNotMoved(
                            meeting_id=occurrence.meeting_id,
                            starts_at=occurrence.starts_at,
                            reason=outcome.reason or "could not be reassigned",
                        )
                    )
            self.generation += 1
            return SeriesReassigned(series=self.series, not_moved=not_moved)

    @reassign.validator
    def _validate_reassign(self, request: ReassignSeries) -> None:
        with business_rules():
            self._check_reassign(request)

    def _check_instance(self, request: DeleteOccurrence) -> None:
        self._check_active()
        if request.index in self.series.skipped:
            raise Conflict("that occurrence is already deleted", index=request.index)
        if self.series.occurrence(request.index) is None:
            raise Invalid("the series has no such occurrence", field="meeting_id")

    @workflow.update
    async def delete_occurrence(self, request: DeleteOccurrence) -> Series:
        """S3: "delete this instance" removes one occurrence only."""
        async with self.lock:
            with business_rules():
                self._check_instance(request)
            occurrence = self.series.occurrence(request.index)
            assert occurrence is not None
            if request.index in self.materialised:
                delete = Delete(
                    actor_id=request.actor_id,
                    reason=request.reason,
                    may_delete_started=request.may_delete_started,
                )
                outcome = await self._change(occurrence.meeting_id, delete=delete)
                if not outcome.applied:
                    raise ApplicationError(
                        outcome.reason or "the occurrence could not be deleted",
                        type=outcome.error_type or "Conflict",
                        non_retryable=True,
                    )
            skipped = sorted({*self.series.skipped, request.index})
            self.series = self._bump(self.series.model_copy(update={"skipped": skipped}))
            self.materialised.discard(request.index)
            self.clashes.pop(request.index, None)
            await self._sync()
            self.generation += 1
            return self.series

    @delete_occurrence.validator
    def _validate_delete_occurrence(self, request: DeleteOccurrence) -> None:
        with business_rules():
            self._check_instance(request)


# The update each series message is sent as.
SERIES_UPDATES = {
    CreateSeries: SeriesWorkflow.create,
    EditSeries: SeriesWorkflow.edit,
    EndSeries: SeriesWorkflow.end,
    DeleteOccurrence: SeriesWorkflow.delete_occurrence,
    ReassignSeries: SeriesWorkflow.reassign,
}
