"""Temporal payloads sealed with AES-GCM, so histories hold no personal data in clear (issue 8).

Meeting names, descriptions, guest addresses and locations travel as workflow, activity and
update inputs and results, and as summaries; through this codec the Temporal server, its
database and its UI only ever hold ciphertext. Failure messages are sealed too (they quote
clashes by name). Each payload names the key that sealed it, so keys rotate: the first key
seals, every listed key opens. Payloads without our encoding (histories recorded before
encryption) pass through as they are, which keeps old histories replaying.

Keys come from ``TANDEM_PAYLOAD_KEYS`` (``id:base64key`` entries, comma-separated, newest
first) or, without it, from ``<data dir>/payload-keys``, generated on first use; ``tandem keys
rotate`` adds a new first key there. Every process of one deployment needs the same keys.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from tandem.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12
KEYS_FILE = "payload-keys"


class PayloadKeyError(ValueError):
    """Keys that cannot be used, or a payload sealed with a key this process lacks."""


@dataclass(frozen=True)
class PayloadKeys:
    current: str
    secrets: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str) -> PayloadKeys:
        """``id:base64key`` entries separated by commas or new lines; the first one seals."""
        entries = [e.strip() for e in text.replace("\n", ",").split(",") if e.strip()]
        if not entries:
            raise PayloadKeyError("no payload keys given")
        found: dict[str, bytes] = {}
        for entry in entries:
            key_id, _, encoded = entry.partition(":")
            try:
                secret = base64.urlsafe_b64decode(encoded)
            except (binascii.Error, ValueError):
                secret = b""
            if not key_id or len(secret) != 32:
                raise PayloadKeyError(f"payload key {key_id!r} is not id:<32 bytes, base64>")
            if key_id in found:
                raise PayloadKeyError(f"payload key id {key_id!r} is listed twice")
            found[key_id] = secret
        return cls(current=next(iter(found)), secrets=found)

    def render(self) -> str:
        ordered = [self.current, *(k for k in self.secrets if k != self.current)]
        lines = (f"{k}:{base64.urlsafe_b64encode(self.secrets[k]).decode()}\n" for k in ordered)
        return "".join(lines)

    def rotated(self) -> PayloadKeys:
        """A new key first; the old ones stay to open what they sealed."""
        key_id = f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
        return PayloadKeys(key_id, {key_id: AESGCM.generate_key(256), **self.secrets})

    @classmethod
    def generated(cls) -> PayloadKeys:
        return cls("", {}).rotated()


def _keys_file(settings: Settings) -> Path:
    return settings.data_dir / KEYS_FILE


def write_keys_file(path: Path, keys: PayloadKeys, *, replace: bool) -> bool:
    """Write the keys readable by the owner only; without ``replace`` an existing file wins
    (the worker and the API may both start first). True if this call wrote the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keys.render())
    try:
        if replace:
            draft.replace(path)
            return True
        try:
            os.link(draft, path)  # atomic: a reader never sees a half-written file
            return True
        except FileExistsError:
            return False
    finally:
        draft.unlink(missing_ok=True)


def payload_keys(settings: Settings) -> PayloadKeys | None:
    """The deployment's keys, or None when encryption is switched off."""
    if not settings.payload_encryption:
        return None
    if settings.payload_keys is not None:
        return PayloadKeys.parse(settings.payload_keys.get_secret_value())
    path = _keys_file(settings)
    if not path.exists():
        write_keys_file(path, PayloadKeys.generated(), replace=False)
    return PayloadKeys.parse(path.read_text())


def rotate_keys_file(settings: Settings) -> PayloadKeys:
    """Put a new sealing key first in the data folder's key file (processes read it at start)."""
    current = payload_keys(settings) or PayloadKeys.generated()
    rotated = current.rotated()
    write_keys_file(_keys_file(settings), rotated, replace=True)
    return rotated


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: PayloadKeys) -> None:
        self._current = keys.current
        self._current_id = keys.current.encode()
        self._ciphers = {key_id: AESGCM(secret) for key_id, secret in keys.secrets.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._current]
        sealed = []
        for payload in payloads:
            nonce = secrets.token_bytes(_NONCE_BYTES)
            # The key id is authenticated too: a payload cannot be relabelled to another key.
            data = cipher.encrypt(nonce, payload.SerializeToString(), self._current_id)
            metadata = {"encoding": ENCODING, KEY_ID: self._current_id}
            sealed.append(Payload(metadata=metadata, data=nonce + data))
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        opened = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                opened.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID, b"")
            cipher = self._ciphers.get(key_id.decode(errors="replace"))
            if cipher is None:
                raise PayloadKeyError(
                    f"payload sealed with key {key_id.decode(errors='replace')!r}, "
                    "which is not among this process's payload keys"
                )
            nonce, data = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
            try:
                sealed = cipher.decrypt(nonce, data, key_id)
            except InvalidTag:
                raise PayloadKeyError("payload is damaged or was not sealed by Tandem") from None
            plain = Payload()
            plain.ParseFromString(sealed)
            opened.append(plain)
        return opened


def sealing(keys: PayloadKeys | None) -> DataConverter:
    """The one data converter (pydantic JSON), sealed with ``keys`` when there are any."""
    if keys is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    return sealing(payload_keys(settings))
