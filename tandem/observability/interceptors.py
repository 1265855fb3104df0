"""Temporal interceptors that carry the request id (tandem.observability.requests) from the API
into the workflows it starts or updates, and from there into their activities.

Headers, not arguments: every workflow, update and activity keeps its one pydantic argument, and
workflow code does not change (the id rides along with the commands it already issues). Headers
are not sealed by the payload codec: a request id is a random token or a caller's plain one
(tandem.observability.requests keeps out anything else).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio import client, worker
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadConverter

from tandem.observability import requests

HEADER_KEY = "tandem-request-id"


def _with_request_id(headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
    request_id = requests.current.get()
    if request_id is None:
        return headers
    return {**headers, HEADER_KEY: PayloadConverter.default.to_payload(request_id)}


def _request_id_in(headers: Mapping[str, Payload]) -> str | None:
    payload = headers.get(HEADER_KEY)
    if payload is None:
        return None
    return PayloadConverter.default.from_payload(payload, str)


class _ClientOutbound(client.OutboundInterceptor):
    async def start_workflow(self, input: client.StartWorkflowInput) -> Any:
        input.headers = _with_request_id(input.headers)
        return await super().start_workflow(input)

    async def start_workflow_update(self, input: client.StartWorkflowUpdateInput) -> Any:
        input.headers = _with_request_id(input.headers)
        return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: client.StartWorkflowUpdateWithStartInput
    ) -> Any:
        start, update = input.start_workflow_input, input.update_workflow_input
        start.headers = _with_request_id(start.headers)
        update.headers = _with_request_id(update.headers)
        return await super().start_update_with_start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        input.headers = _with_request_id(input.headers)
        await super().signal_workflow(input)


class RequestIdClientInterceptor(client.Interceptor):
    """On a client: what it starts, updates or signals carries the current request id."""

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientOutbound(next)


def carrying_request_ids(temporal: client.Client) -> client.Client:
    """``temporal``, or a client on the same connection that carries request ids."""
    config = temporal.config()
    if any(isinstance(i, RequestIdClientInterceptor) for i in config["interceptors"]):
        return temporal
    config["interceptors"] = [*config["interceptors"], RequestIdClientInterceptor()]
    return client.Client(**config)


class _WorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def start_activity(self, input: worker.StartActivityInput) -> Any:
        input.headers = _with_request_id(input.headers)
        return super().start_activity(input)

    def start_local_activity(self, input: worker.StartLocalActivityInput) -> Any:
        input.headers = _with_request_id(input.headers)
        return super().start_local_activity(input)

    async def start_child_workflow(self, input: worker.StartChildWorkflowInput) -> Any:
        input.headers = _with_request_id(input.headers)
        return await super().start_child_workflow(input)


class _WorkflowInbound(worker.WorkflowInboundInterceptor):
    """Each run, update and signal handler runs in its own asyncio task: the id set here is the
    one its activities carry. Timer-driven work in the run (a reminder) carries the id of the
    request that started the workflow."""

    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        requests.current.set(_request_id_in(input.headers))
        return await super().execute_workflow(input)

    async def handle_update_handler(self, input: worker.HandleUpdateInput) -> Any:
        requests.current.set(_request_id_in(input.headers))
        return await super().handle_update_handler(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        requests.current.set(_request_id_in(input.headers))
        await super().handle_signal(input)


class _ActivityInbound(worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        # Each activity runs in a task of its own: setting the id here leaks into no other.
        requests.current.set(_request_id_in(input.headers))
        return await super().execute_activity(input)


class RequestIdWorkerInterceptor(worker.Interceptor):
    """On a worker: workflows and activities log, and pass on, the id of their request."""

    def intercept_activity(
        self, next: worker.ActivityInboundInterceptor
    ) -> worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        return _WorkflowInbound
