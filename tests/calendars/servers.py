"""Real calendar servers on loopback for the tests: Radicale (CalDAV, with passwords) and a
plain HTTP server for ICS feeds and redirects."""

from __future__ import annotations

import contextlib
import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import httpx

from tests.support import free_port


@dataclass(frozen=True)
class Radicale:
    url: str

    def calendar(self, user: str, password: str, name: str) -> str:
        """A new calendar collection of ``user``: its URL."""
        url = f"{self.url}/{user}/{name}/"
        made = httpx.request("MKCALENDAR", url, auth=(user, password))
        assert made.status_code == 201, made.text
        return url

    def put(self, calendar_url: str, user: str, password: str, uid: str, ics: str) -> None:
        saved = httpx.put(
            f"{calendar_url}{uid}.ics",
            content=ics.encode(),
            auth=(user, password),
            headers={"Content-Type": "text/calendar; charset=utf-8"},
        )
        assert saved.status_code in (201, 204), saved.text

    def delete(self, calendar_url: str, user: str, password: str, uid: str) -> None:
        gone = httpx.delete(f"{calendar_url}{uid}.ics", auth=(user, password))
        assert gone.status_code in (200, 204), gone.text

    def get(self, calendar_url: str, user: str, password: str, uid: str) -> str:
        """The object as the server keeps it now."""
        found = httpx.get(f"{calendar_url}{uid}.ics", auth=(user, password))
        assert found.status_code == 200, found.text
        return found.text


@contextlib.contextmanager
def radicale(folder: Path, users: dict[str, str], port: int | None = None) -> Iterator[Radicale]:
    """``users``: name → password (htpasswd, plain). The same folder and port again is the same
    server back after an outage."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "htpasswd").write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "radicale",
            "--server-hosts", f"127.0.0.1:{port}",
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(folder / "htpasswd"),
            "--auth-htpasswd-encryption", "plain",
            # Radicale waits a second after a wrong password by default: the tests try some.
            "--auth-delay", "0",
            "--rights-type", "owner_only",
            "--storage-filesystem-folder", str(folder / "collections"),
            "--logging-level", "warning",
        ],
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(url, timeout=1)
                break
            time.sleep(0.1)
        yield Radicale(url)
    finally:
        process.terminate()
        process.wait(10)


class _Files(http.server.SimpleHTTPRequestHandler):
    """Files from the folder; ``/redirect?to=URL`` answers 302 to URL. Every answer's path
    and status are kept in ``ANSWERED`` (tests read what the clients asked)."""

    answered: ClassVar[list[tuple[str, int]]] = []

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        type(self).answered.append((self.path, int(code) if str(code).isdigit() else 0))

    def do_GET(self) -> None:
        if self.path.startswith("/redirect?to="):
            self.send_response(302)
            self.send_header("Location", self.path.split("=", 1)[1])
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *_args: object) -> None:
        pass


ANSWERED = _Files.answered


@contextlib.contextmanager
def file_server(folder: Path) -> Iterator[str]:
    """An HTTP server of ``folder`` on loopback: its base URL."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: _Files(*a, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
