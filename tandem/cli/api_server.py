"""How ``tandem api`` (and so ``tandem up``) serves HTTP: uvicorn, with idle clients cut off.

A connection costs a file descriptor for as long as it is open. uvicorn closes an idle
keep-alive connection after ``timeout_keep_alive``, but its timer starts only after a response
and stops at the first byte of the next request: a client that connects and sends nothing, or
half a request line, holds its socket for ever, and a few thousand of them exhaust the process's
descriptors. The protocol here gives every request head the same deadline.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from tandem.settings import Settings


class HeadDeadlineProtocol(AutoHTTPProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools, or h11 without it), closing a connection that
    has not sent a whole request head within ``timeout_keep_alive`` of connecting or of its last
    response. A request being served is never cut: the deadline runs only while the connection
    waits for one."""

    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._await_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._cancel_head_deadline()
        if not self.transport.is_closing():
            self._head_deadline = self.loop.call_later(
                self.config.timeout_keep_alive, self._head_overdue, self.cycle
            )

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_overdue(self, last_cycle: Any) -> None:
        # A new cycle means a whole head arrived (the request is the app's business), and a
        # busy one means a pipelined request is being served; its response re-arms the deadline.
        idle = self.cycle is None or self.cycle.response_complete
        upgraded = self.transport.get_protocol() is not self  # a WebSocket took the connection
        if self.cycle is last_cycle and idle and not upgraded and not self.transport.is_closing():
            self.transport.close()


def api_config(app: Any, settings: Settings) -> uvicorn.Config:
    timeout = settings.client_idle_timeout_seconds
    return uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        # uvicorn's records go to the root logger, formatted like every other line (JSON or
        # text, tandem.observability.logs); requests are logged by tandem.api.observe.
        log_config=None,
        access_log=False,
        http=HeadDeadlineProtocol,
        timeout_keep_alive=timeout,  # typed int, but any number of seconds works
        # On SIGTERM, requests still running get this long; `tandem up` kills at 9 s.
        timeout_graceful_shutdown=6,
    )
