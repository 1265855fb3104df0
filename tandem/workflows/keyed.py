"""Which update a workflow is handling, when its outcome must be kept for a retry (issue 8)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tandem.activities.messages import KEYED_UPDATE


def keyed_update_id() -> str | None:
    """The id of the keyed request's update being handled, or None (no key, a timer, a create)."""
    info = workflow.current_update_info()
    return info.id if info is not None and info.id.startswith(KEYED_UPDATE) else None
