"""Calendar passwords sealed at rest (SPEC K1): Fernet, with the key from the settings or, on
one machine, a key file in the data folder made on first use (readable by its owner only)."""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken

from tandem.settings import Settings

KEY_FILE = "calendar.key"


class SealError(Exception):
    """A password sealed with a key this process does not have."""


def _key(settings: Settings) -> bytes:
    if settings.calendar_key is not None:
        return settings.calendar_key.get_secret_value().encode()
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


def seal(settings: Settings, password: str) -> bytes:
    return Fernet(_key(settings)).encrypt(password.encode())


def unseal(settings: Settings, sealed: bytes) -> str:
    try:
        return Fernet(_key(settings)).decrypt(sealed).decode()
    except InvalidToken:
        raise SealError("the calendar's password was sealed with another calendar key") from None
