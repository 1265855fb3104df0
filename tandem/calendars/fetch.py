"""One guarded HTTP exchange with a calendar server someone named (SPEC K1, K4).

A URL is refused unless it is http(s) and every address its host resolves to is public, or
inside the networks the operator allowed (``TANDEM_CALENDAR_ALLOWED_NETWORKS``). Redirects are
followed by hand, at most three, each re-checked: an open redirect on a public host cannot lead
to the cloud metadata service. Each request then connects to the very address that was checked
(the name kept for the Host header, TLS's SNI and certificate check), so a DNS answer that
changes between the check and the connection (rebinding) cannot move it into a private network.
Bodies are read in chunks up to a cap, so a hostile or broken server cannot make the worker
hold gigabytes. Failures become ``CalendarError`` with a message
for the person whose calendar it is (never the credentials).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from tandem.observability.metrics import CALENDAR_BYTES, CALENDAR_REQUESTS

MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(10.0)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CalendarError(Exception):
    """Why a calendar could not be read, in words for its owner."""


class UnsafeUrl(CalendarError):
    """A URL Tandem will not fetch (not http(s), or a host inside a private network)."""


def networks(spec: str) -> list[Network]:
    """``TANDEM_CALENDAR_ALLOWED_NETWORKS``: comma-separated CIDRs."""
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    ]


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives ``host``."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [address[0] for *_, address in found]


@dataclass(frozen=True)
class Guard:
    allowed: Sequence[Network] = field(default_factory=list)
    max_bytes: int = 5 * 2**20
    # Where names are looked up: the system's resolver (tests name a host inside a private
    # network without owning a DNS zone).
    resolver: Resolver = resolve

    async def check(self, url: str) -> str:
        """The address to connect to for ``url``; raises unless every address its host
        resolves to may be reached."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeUrl("only http and https calendar addresses can be connected")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            found = await self.resolver(parts.hostname, port)
        except socket.gaierror:
            raise CalendarError(f"the calendar server {parts.hostname} is not known") from None
        if not found:
            raise CalendarError(f"the calendar server {parts.hostname} is not known")
        for address in found:
            ip = ipaddress.ip_address(address)
            if not ip.is_global and not any(ip in net for net in self.allowed):
                raise UnsafeUrl(
                    f"{parts.hostname} is inside a private network ({ip}): Tandem does not "
                    "connect calendars there"
                )
        return found[0]


@dataclass(frozen=True)
class Pinned:
    """One request to a checked address: the URL with the address in place of the name, and
    what must still carry the name."""

    url: str
    host: str
    """The Host header: the name (and port) as the URL gave them."""
    sni: str
    """The name TLS sends and checks the server's certificate against."""


def pinned(url: str, address: str) -> Pinned:
    parts = urlsplit(url)
    assert parts.hostname is not None  # Guard.check refused it otherwise
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host = parts.netloc.rsplit("@", 1)[-1]
    return Pinned(parts._replace(netloc=netloc).geturl(), host, parts.hostname)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every calendar request: loading the CA bundle costs ~40 ms of CPU,
    most of an unchanged calendar's pass when each client loaded its own."""
    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes


async def exchange(
    guard: Guard,
    method: str,
    url: str,
    *,
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> Answer:
    """The final answer after at most ``MAX_REDIRECTS`` redirects (each one checked)."""
    for _ in range(MAX_REDIRECTS + 1):
        target = pinned(url, await guard.check(url))
        # A client per hop: a connection opened for one name is never reused for another that
        # happens to share its address (its TLS session was checked for the first name only).
        client = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, verify=_tls())
        async with client as http:
            try:
                answer = await _one(http, guard, method, target, auth, headers, content)
                CALENDAR_REQUESTS.labels(method).inc()
                CALENDAR_BYTES.inc(len(answer.body))
            except httpx.TimeoutException:
                raise CalendarError("the calendar server did not answer in time") from None
            except httpx.HTTPError as error:
                raise CalendarError(f"the calendar server could not be reached ({error})") from None
        if answer.status in (301, 302, 303, 307, 308) and "location" in answer.headers:
            url = urljoin(url, answer.headers["location"])
            if answer.status == 303:
                method, content = "GET", None
            continue
        return answer
    raise CalendarError(f"the calendar address redirects more than {MAX_REDIRECTS} times")


async def _one(
    http: httpx.AsyncClient,
    guard: Guard,
    method: str,
    target: Pinned,
    auth: tuple[str, str] | None,
    headers: dict[str, str] | None,
    content: bytes | None,
) -> Answer:
    async with http.stream(
        method,
        target.url,
        auth=auth,
        headers={**(headers or {}), "Host": target.host},
        content=content,
        extensions={"sni_hostname": target.sni},
    ) as response:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > guard.max_bytes:
                raise CalendarError(
                    f"the calendar is larger than {guard.max_bytes:,} bytes, the most Tandem reads"
                )
        return Answer(response.status_code, response.headers, bytes(body))
