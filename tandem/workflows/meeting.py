"""The meeting workflow: owner of one meeting's lifecycle (SPEC M2-M11, N2-N5).

Every change is an Update. Its validator applies the status rules, so a refused change never
reaches history; its handler computes the new state and hands it to one local activity that
books the time (the guard), writes the projection and history line, and queues notifications in
a single transaction. Only when that succeeds does the workflow adopt the new state. Deadlines
(reminder, missed, auto-complete) are absolute instants derived from the state, so a reschedule
simply changes what the timer loop waits for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from tandem.activities.errors import BUSINESS_ERROR_TYPES, business_rules
    from tandem.activities.messages import SYNC_MEETING, SyncMeeting, SyncResult
    from tandem.domain import lifecycle
    from tandem.domain.meetings import (
        PLANNED,
        BookingMode,
        Cancel,
        Complete,
        Create,
        Delete,
        Edit,
        InviteGuest,
        Meeting,
        MeetingEvent,
        MeetingInput,
        MeetingKind,
        MeetingStatus,
        Reassign,
        ReassignOutcome,
        Reschedule,
        ScheduleCheck,
        Start,
    )
    from tandem.domain.notifications import Contact, NotificationKind, Notify, Recipient
    from tandem.workflows import search_attributes
    from tandem.workflows.keyed import keyed_update_id

# Search-attribute status of a create the guard refused; there is no meeting behind it.
REJECTED = "rejected"

# W7+ (issue 12): an invalid appointment's notice offers replacement slots, and a reschedule
# Tandem made by itself (auto-rebook) tells the facilitator too. Only messages that carry the
# new fields take this path, so an older history never reaches the patch call.
HEAL_INVALID_SCHEDULE = "heal-invalid-schedule"

SYNC_RETRY = RetryPolicy(
    maximum_interval=timedelta(seconds=10), non_retryable_error_types=BUSINESS_ERROR_TYPES
)


def workflow_id(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


def _users(ids: Sequence[str]) -> list[Recipient]:
    return [Recipient(user_id=uid) for uid in ids]


def _guests(meeting: Meeting) -> list[Recipient]:
    return [Recipient(email=email) for email in meeting.guest_emails]


@workflow.defn(name="Meeting")
class MeetingWorkflow:
    @workflow.init
    def __init__(self, start: MeetingInput) -> None:
        self.meeting = start.meeting
        self.booked = start.resumed
        self.rejected = False
        self.remind_at = (
            None if start.resumed else lifecycle.reminder_due(start.meeting, workflow.now())
        )
        # Bumped on every adopted change; the deadline loop re-plans when it moves.
        self.generation = 0
        # C3: a series meeting hands its open items on once, three hours after it ends.
        self.rolled_over = start.resumed
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: MeetingInput) -> Meeting:
        await workflow.wait_condition(lambda: self.booked or self.rejected)
        if self.booked:
            await self._follow_deadlines()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.meeting

    @workflow.query
    def state(self) -> Meeting:
        return self.meeting

    # -- deadlines ---------------------------------------------------------------------------

    def _next_deadline(self) -> tuple[str, timedelta] | None:
        m = self.meeting
        if m.status in PLANNED:
            if self.remind_at is not None:
                return "reminder", self.remind_at - workflow.now()
            return "missed", m.ends_at - workflow.now()
        if m.status is MeetingStatus.IN_PROGRESS:
            return "auto-complete", m.ends_at + lifecycle.AUTO_COMPLETE_AFTER - workflow.now()
        if m.series_id and not self.rolled_over and m.status in lifecycle.HELD_OR_MISSED:
            return "rollover", m.ends_at + lifecycle.ROLLOVER_AFTER - workflow.now()
        return None

    async def _follow_deadlines(self) -> None:
        while (due := self._next_deadline()) is not None:
            what, delay = due
            generation = self.generation
            if delay > timedelta(0):
                try:
                    await workflow.wait_condition(
                        lambda seen=generation: self.generation != seen,
                        timeout=delay,
                        timeout_summary=what,
                    )
                    continue
                except TimeoutError:
                    pass
            async with self.lock:
                if self.generation == generation:
                    await self._on_deadline(what)

    async def _on_deadline(self, what: str) -> None:
        m = self.meeting
        now = workflow.now()
        if what == "reminder":
            self.remind_at = None
            if now < m.starts_at:
                await self._adopt(
                    m,
                    BookingMode.KEEP,
                    "reminder_sent",
                    notify=[
                        Notify(
                            kind=NotificationKind.REMINDER,
                            recipients=_users(m.attendee_ids),
                            occasion=m.starts_at.isoformat(),
                        )
                    ],
                )
        elif what == "missed":
            await self._adopt(
                m.model_copy(update={"status": MeetingStatus.MISSED}), BookingMode.KEEP, "missed"
            )
        elif what == "auto-complete":
            done = m.model_copy(update={"status": MeetingStatus.COMPLETED, "completed_at": now})
            await self._adopt(done, BookingMode.KEEP, "completed_automatically")
        elif what == "rollover":
            await self._adopt(m, BookingMode.KEEP, "rolled_over", rollover=True)
            self.rolled_over = True

    # -- adopting a change -------------------------------------------------------------------

    async def _adopt(
        self,
        new: Meeting,
        booking: BookingMode,
        action: str,
        *,
        actor_id: str | None = None,
        reason: str | None = None,
        details: dict | None = None,
        notify: Sequence[Notify] = (),
        rollover: bool = False,
        people: Sequence[Contact] = (),
    ) -> SyncResult:
        """Persist ``new`` through the activity; on success it becomes the workflow's state."""
        new = new.model_copy(update={"version": self.meeting.version + 1})
        event = MeetingEvent(
            id=str(workflow.uuid4()),
            meeting_id=new.id,
            at=workflow.now(),
            action=action,
            actor_id=actor_id,
            reason=reason,
            details=details or {},
        )
        try:
            result = await workflow.execute_local_activity(
                SYNC_MEETING,
                SyncMeeting(
                    meeting=new,
                    booking=booking,
                    event=event,
                    notify=list(notify),
                    rollover=rollover,
                    update_id=keyed_update_id(),
                    people=list(people),
                ),
                result_type=SyncResult,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=SYNC_RETRY,
                summary=action,
            )
        except ActivityError as failure:
            # Surface the business reason (e.g. the clashing meeting) as the update's failure.
            if isinstance(failure.cause, ApplicationError):
                raise failure.cause from None
            raise
        if updates := search_attributes.changed(self.meeting, new):
            workflow.upsert_search_attributes(updates)
        self.meeting = new
        self.generation += 1
        return result

    def _changed_time(
        self,
        new: Meeting,
        previous: Meeting,
        actor_id: str,
        reason: str | None,
        *,
        automatic: bool = False,
    ) -> Notify:
        self.remind_at = lifecycle.reminder_due(new, workflow.now())
        # An automatic move acts for the facilitator, who did not make it: they are told too.
        told = [p for p in new.attendee_ids if automatic or p != actor_id]
        return Notify(
            kind=NotificationKind.RESCHEDULED,
            recipients=[*_users(told), *_guests(new)],
            occasion=f"v{previous.version + 1}",
            reason=reason,
            previous_starts_at=previous.starts_at,
            automatic=automatic,
        )

    # -- updates -----------------------------------------------------------------------------

    @workflow.update
    async def create(self, request: Create) -> Meeting:
        """Book the meeting. No validator: under update-with-start a refused create must still
        end this run, so every refusal happens here and marks the run rejected."""
        async with self.lock:
            if self.booked:
                return self.meeting  # a retried create: same meeting, nothing sent twice
            m = self.meeting
            notify = []
            if request.notify_participants:
                notify.append(
                    Notify(
                        kind=NotificationKind.CREATED,
                        recipients=_users(p for p in m.attendee_ids if p != request.actor_id),
                        occasion="v1",
                    )
                )
            try:
                with business_rules():
                    lifecycle.check_timing(m.kind, m.starts_at, m.duration_minutes, workflow.now())
                # The people the API read ride along to the notice (same commands as before:
                # only the local activity's input grows, which replay does not compare).
                await self._adopt(
                    m,
                    BookingMode.STRICT,
                    "created",
                    actor_id=request.actor_id,
                    notify=notify,
                    people=request.people if notify else (),
                )
            except ApplicationError:
                self.rejected = True
                # Ops searching for scheduled meetings must not find one that never existed.
                workflow.upsert_search_attributes(
                    [search_attributes.MEETING_STATUS.value_set(REJECTED)]
                )
                raise
            self.booked = True
            return self.meeting

    @workflow.update
    async def edit(self, request: Edit) -> Meeting:
        async with self.lock:
            with business_rules():
                lifecycle.check_edit(self.meeting)
                changes = request.changes.model_dump(exclude_none=True)
                new = Meeting.model_validate({**self.meeting.model_dump(), **changes})
                if request.changes.moves_time:
                    lifecycle.check_timing(
                        new.kind, new.starts_at, new.duration_minutes, workflow.now()
                    )
            notify = []
            booking = BookingMode.KEEP
            if new.starts_at != self.meeting.starts_at or new.ends_at != self.meeting.ends_at:
                booking = BookingMode.STRICT
                notify.append(
                    self._changed_time(new, self.meeting, request.actor_id, request.reason)
                )
            previous_remind_at = self.remind_at
            try:
                await self._adopt(
                    new,
                    booking,
                    "edited",
                    actor_id=request.actor_id,
                    reason=request.reason,
                    details={"changed": sorted(changes), **self._moved(self.meeting, new)},
                    notify=notify,
                )
            except ApplicationError:
                self.remind_at = previous_remind_at
                raise
            return self.meeting

    @edit.validator
    def _validate_edit(self, request: Edit) -> None:
        with business_rules():
            lifecycle.check_edit(self.meeting)

    @staticmethod
    def _moved(before: Meeting, after: Meeting) -> dict:
        if before.starts_at == after.starts_at and before.ends_at == after.ends_at:
            return {}
        return {
            "from": {
                "starts_at": before.starts_at.isoformat(),
                "ends_at": before.ends_at.isoformat(),
            },
            "to": {"starts_at": after.starts_at.isoformat(), "ends_at": after.ends_at.isoformat()},
        }

    @workflow.update
    async def start(self, request: Start) -> Meeting:
        async with self.lock:
            with business_rules():
                lifecycle.check_start(self.meeting)
            started = self.meeting.model_copy(
                update={"status": MeetingStatus.IN_PROGRESS, "started_at": workflow.now()}
            )
            await self._adopt(started, BookingMode.KEEP, "started", actor_id=request.actor_id)
            return self.meeting

    @start.validator
    def _validate_start(self, request: Start) -> None:
        with business_rules():
            lifecycle.check_start(self.meeting)

    @workflow.update
    async def complete(self, request: Complete) -> Meeting:
        async with self.lock:
            with business_rules():
                lifecycle.check_complete(self.meeting)
            done = self.meeting.model_copy(
                update={"status": MeetingStatus.COMPLETED, "completed_at": workflow.now()}
            )
            await self._adopt(done, BookingMode.KEEP, "completed", actor_id=request.actor_id)
            return self.meeting

    @complete.validator
    def _validate_complete(self, request: Complete) -> None:
        with business_rules():
            lifecycle.check_complete(self.meeting)

    @workflow.update
    async def reschedule(self, request: Reschedule) -> Meeting:
        async with self.lock:
            with business_rules():
                self._check_reschedule(request)
            previous = self.meeting
            moved = previous.model_copy(
                update={
                    "starts_at": request.starts_at,
                    "duration_minutes": request.duration_for(previous),
                    "status": MeetingStatus.SCHEDULED,
                }
            )
            previous_remind_at = self.remind_at
            automatic = request.automatic and workflow.patched(HEAL_INVALID_SCHEDULE)
            notify = self._changed_time(
                moved, previous, request.actor_id, request.reason, automatic=automatic
            )
            details = self._moved(previous, moved)
            if automatic:
                details["automatic"] = True
            try:
                await self._adopt(
                    moved,
                    BookingMode.STRICT,
                    "rescheduled",
                    actor_id=request.actor_id,
                    reason=request.reason,
                    details=details,
                    notify=[notify],
                )
            except ApplicationError:
                self.remind_at = previous_remind_at
                raise
            return self.meeting

    def _check_reschedule(self, request: Reschedule) -> None:
        lifecycle.check_reschedule(self.meeting)
        lifecycle.check_timing(
            self.meeting.kind,
            request.starts_at,
            request.duration_for(self.meeting),
            workflow.now(),
        )

    @reschedule.validator
    def _validate_reschedule(self, request: Reschedule) -> None:
        with business_rules():
            self._check_reschedule(request)

    @workflow.update
    async def cancel(self, request: Cancel) -> Meeting:
        async with self.lock:
            with business_rules():
                lifecycle.check_cancel(self.meeting)
            m = self.meeting
            await self._adopt(
                m.model_copy(update={"status": MeetingStatus.CANCELLED}),
                BookingMode.RELEASE,
                "cancelled",
                actor_id=request.actor_id,
                reason=request.reason,
                rollover=m.series_id is not None,
                notify=[
                    Notify(
                        kind=NotificationKind.CANCELLED,
                        recipients=[
                            *_users(p for p in m.attendee_ids if p != request.actor_id),
                            *_guests(m),
                        ],
                        occasion=f"v{m.version + 1}",
                        reason=request.reason,
                    )
                ],
            )
            return self.meeting

    @cancel.validator
    def _validate_cancel(self, request: Cancel) -> None:
        with business_rules():
            lifecycle.check_cancel(self.meeting)

    @workflow.update
    async def delete(self, request: Delete) -> Meeting:
        async with self.lock:
            with business_rules():
                lifecycle.check_delete(self.meeting, request.may_delete_started, workflow.now())
            m = self.meeting
            was_started = lifecycle.has_started_or_passed(m, workflow.now())
            # Guests only care about meetings still ahead; a past record's deletion is internal.
            guests = [] if was_started or m.status not in PLANNED else _guests(m)
            await self._adopt(
                m.model_copy(update={"status": MeetingStatus.DELETED}),
                BookingMode.RELEASE,
                "deleted",
                actor_id=request.actor_id,
                reason=request.reason,
                rollover=m.series_id is not None,
                notify=[
                    Notify(
                        kind=NotificationKind.DELETED,
                        recipients=[
                            *_users(p for p in m.attendee_ids if p != request.actor_id),
                            *guests,
                        ],
                        occasion=f"v{m.version + 1}",
                        reason=request.reason,
                        was_started=was_started,
                    )
                ],
            )
            return self.meeting

    @delete.validator
    def _validate_delete(self, request: Delete) -> None:
        with business_rules():
            lifecycle.check_delete(self.meeting, request.may_delete_started, workflow.now())

    @workflow.update
    async def invite_guest(self, request: InviteGuest) -> Meeting:
        async with self.lock:
            with business_rules():
                lifecycle.check_invite_guest(self.meeting, request.email, request.replaces)
            m = self.meeting
            guests = [
                g
                for g in m.guest_emails
                if request.replaces is None or g.lower() != request.replaces.lower()
            ]
            email = request.email.lower()
            await self._adopt(
                m.model_copy(update={"guest_emails": [*guests, email]}),
                BookingMode.KEEP,
                "guest_invited",
                actor_id=request.actor_id,
                details={
                    "email": email,
                    **({"replaces": request.replaces.lower()} if request.replaces else {}),
                },
                notify=[
                    Notify(
                        kind=NotificationKind.GUEST_INVITED,
                        recipients=[Recipient(email=email)],
                        occasion=f"v{m.version + 1}",
                        guest_email=email,
                    )
                ],
            )
            return self.meeting

    @invite_guest.validator
    def _validate_invite_guest(self, request: InviteGuest) -> None:
        with business_rules():
            lifecycle.check_invite_guest(self.meeting, request.email, request.replaces)

    @workflow.update
    async def reassign(self, request: Reassign) -> ReassignOutcome:
        async with self.lock:
            with business_rules():
                lifecycle.check_reassign(self.meeting, request.facilitator_id)
            m = self.meeting
            moved = m.model_copy(update={"facilitator_id": request.facilitator_id})
            # M10: only a stated reason lets the new facilitator be double-booked; the guard
            # decides inside the booking transaction, so a racing booking cannot slip between.
            result = await self._adopt(
                moved,
                BookingMode.REASSIGN if request.reason else BookingMode.REASSIGN_FREE,
                "reassigned",
                actor_id=request.actor_id,
                reason=request.reason,
                details={"from": m.facilitator_id, "to": request.facilitator_id},
                notify=[
                    Notify(
                        kind=NotificationKind.REASSIGNED,
                        recipients=_users(
                            [request.facilitator_id, m.facilitator_id, *m.participant_ids]
                        ),
                        occasion=f"v{m.version + 1}",
                        reason=request.reason,
                        previous_facilitator_id=m.facilitator_id,
                    )
                ],
            )
            return ReassignOutcome(meeting=self.meeting, not_available=result.accepted_overlaps)

    @workflow.update
    async def schedule_check(self, check: ScheduleCheck) -> Meeting:
        """W7: a WFM schedule change broke this appointment (or mended it again)."""
        async with self.lock:
            m = self.meeting
            if m.kind is not MeetingKind.COACHING or m.status not in PLANNED:
                return m
            if not check.valid and m.status is MeetingStatus.SCHEDULED:
                notice = Notify(
                    kind=NotificationKind.INVALID_SCHEDULE,
                    recipients=_users([m.facilitator_id]),
                    occasion=f"v{m.version + 1}",
                    reason="; ".join(check.problems),
                )
                details: dict = {"problems": check.problems}
                if check.search_days is not None and workflow.patched(HEAL_INVALID_SCHEDULE):
                    offer = {
                        "options": check.replacements,
                        "search_days": check.search_days,
                        "auto_rebook": check.auto_rebook,
                    }
                    notice = notice.model_copy(update=offer)
                    details |= {
                        "replacements": [r.isoformat() for r in check.replacements],
                        "search_days": check.search_days,
                        "auto_rebook": check.auto_rebook,
                    }
                await self._adopt(
                    m.model_copy(update={"status": MeetingStatus.INVALID_SCHEDULE}),
                    BookingMode.KEEP,
                    "schedule_invalid",
                    actor_id=check.actor_id,
                    details=details,
                    notify=[notice],
                )
            elif check.valid and m.status is MeetingStatus.INVALID_SCHEDULE:
                valid = m.model_copy(update={"status": MeetingStatus.SCHEDULED})
                await self._adopt(
                    valid, BookingMode.KEEP, "schedule_valid_again", actor_id=check.actor_id
                )
            return self.meeting

    @reassign.validator
    def _validate_reassign(self, request: Reassign) -> None:
        with business_rules():
            lifecycle.check_reassign(self.meeting, request.facilitator_id)


# The update each lifecycle message is sent as: callers send the message, not a method name.
UPDATES = {
    Create: MeetingWorkflow.create,
    Edit: MeetingWorkflow.edit,
    Start: MeetingWorkflow.start,
    Complete: MeetingWorkflow.complete,
    Reschedule: MeetingWorkflow.reschedule,
    Cancel: MeetingWorkflow.cancel,
    Delete: MeetingWorkflow.delete,
    InviteGuest: MeetingWorkflow.invite_guest,
    Reassign: MeetingWorkflow.reassign,
    ScheduleCheck: MeetingWorkflow.schedule_check,
}
