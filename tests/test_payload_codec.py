"""Temporal histories hold no personal data in clear (issue 8 item 7); the codec endpoint opens
them for ``ops.history.view`` only (SPEC A4, O1), for the Temporal CLI and UI alike."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.worker import Replayer

from tandem.settings import Settings
from tandem.store import web_sessions
from tandem.usecases.payload_codec import (
    KEYS_FILE,
    EncryptionCodec,
    PayloadKeyError,
    PayloadKeys,
    payload_keys,
    sealing,
)
from tandem.workflows.meeting import MeetingWorkflow, workflow_id
from tests.support import DATA_CONVERTER, PAYLOAD_KEYS, TEMPORAL, Stack, at

NAME = "Salary review with Dana Whitfield"
DESCRIPTION = "Dana asked to talk about the offer from Northwind"
LOCATION = "Room 4.12, Harbour House"
GUEST = "dana.whitfield@private-mail.example"
SECRETS = (NAME, DESCRIPTION, LOCATION, GUEST)
UI_ORIGIN = "http://127.0.0.1:8233"
ZEROS = f"k1:{base64.urlsafe_b64encode(bytes(32)).decode()}"


async def _show(stack: Stack, workflow: str, *extra: str) -> tuple[int, str]:
    """``temporal workflow show`` as an operator types it."""
    process = await asyncio.create_subprocess_exec(
        TEMPORAL, "workflow", "show",
        "--address", stack.client.service_client.config.target_host,
        "--namespace", stack.settings.temporal_namespace,
        "--workflow-id", workflow, "--output", "json", *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode(errors="replace")


def _readable(shown: str) -> str:
    """Everything an operator can read in the JSON: payload data is base64 there."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.append(node)
            with contextlib.suppress(ValueError):
                found.append(base64.b64decode(node, validate=True).decode(errors="replace"))

    walk(json.loads(shown))
    return "\n".join(found)


async def _private_meeting(stack: Stack) -> tuple[dict, dict]:
    """A 1:1 with a guest, a reschedule, and a refused clash quoting the meeting's name."""
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(
        sup, agent, name=NAME, description=DESCRIPTION, location=LOCATION, starts_at=at(days=3)
    )
    invited = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/guests", json={"email": GUEST}, headers=sup.auth
    )
    assert invited.status_code == 200, invited.text
    moved = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reschedule",
        json={"starts_at": at(days=4), "reason": f"{NAME} moved"},
        headers=sup.auth,
    )
    assert moved.status_code == 200, moved.text
    clash = await stack.create_meeting(
        sup,
        kind="one_to_one",
        name="Another",
        participant_ids=[agent.id],
        starts_at=moved.json()["starts_at"],
        duration_minutes=30,
    )
    assert clash.status_code == 409 and NAME in clash.text, clash.text
    return meeting, clash.json()


async def test_a4_temporal_workflow_show_has_no_name_description_location_or_guest(
    stack: Stack,
) -> None:
    meeting, _ = await _private_meeting(stack)
    code, shown = await _show(stack, workflow_id(meeting["id"]))
    assert code == 0, shown
    readable = _readable(shown)
    assert "binary/encrypted" in readable  # it is the history, sealed
    for secret in SECRETS:
        assert secret not in readable

    ops, agent = await stack.person("ops"), await stack.person("agent")
    codec = ("--codec-endpoint", f"{stack.base_url}/codec")
    code, opened = await _show(
        stack, workflow_id(meeting["id"]), *codec, "--codec-auth", ops.auth["Authorization"]
    )
    assert code == 0, opened
    for secret in SECRETS:
        assert secret in _readable(opened)
    # The CLI retries a refusal until its deadline, then gives up showing nothing.
    code, refused = await _show(
        stack, workflow_id(meeting["id"]), *codec, "--codec-auth", agent.auth["Authorization"]
    )
    assert code != 0 and NAME not in refused


def _wire(payload: Payload) -> dict:
    text = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return {
        "metadata": {k: text(v) for k, v in payload.metadata.items()},
        "data": text(payload.data),
    }


async def _seal(*values: object) -> list[dict]:
    return [_wire(p) for p in await DATA_CONVERTER.encode(list(values))]


async def test_o1_the_codec_endpoint_opens_payloads_for_ops_history_view_only(stack: Stack) -> None:
    payloads = await _seal(NAME)
    ops, agent = await stack.person("ops"), await stack.person("supervisor")
    url = "/codec/decode"
    anonymous = await stack.http.post(url, json={"payloads": payloads})
    assert anonymous.status_code == 401
    refused = await stack.http.post(url, json={"payloads": payloads}, headers=agent.auth)
    assert refused.status_code == 403 and "ops.history.view" in refused.text
    opened = await stack.http.post(url, json={"payloads": payloads}, headers=ops.auth)
    assert opened.status_code == 200, opened.text
    [plain] = opened.json()["payloads"]
    assert json.loads(base64.b64decode(plain["data"])) == NAME
    assert base64.b64decode(plain["metadata"]["encoding"]) == b"json/plain"

    damaged = {**payloads[0], "data": base64.b64encode(b"x" * 40).decode()}
    bad = await stack.http.post(url, json={"payloads": [damaged]}, headers=ops.auth)
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"]["details"]["field"] == "payloads"
    not_base64 = await stack.http.post(url, json={"payloads": [{"data": "%%%"}]}, headers=ops.auth)
    assert not_base64.status_code == 422 and "payloads.0.data" in not_base64.text

    # What the CLI would send to seal comes back sealed, and opens again.
    sealed = await stack.http.post(
        "/codec/encode", json={"payloads": opened.json()["payloads"]}, headers=ops.auth
    )
    assert sealed.status_code == 200 and NAME.encode() not in base64.b64decode(
        sealed.json()["payloads"][0]["data"]
    )


async def test_o1_the_temporal_ui_opens_payloads_with_the_web_sign_in_of_ops(stack: Stack) -> None:
    """The UI (another origin) calls with the browser's cookies: CORS for its origin, on /codec
    only."""
    ops, agent = await stack.person("ops"), await stack.person("agent")
    now = datetime.now(UTC)
    cookie = {
        who.id: await stack.db.write(
            lambda s, who=who: web_sessions.start_session(s, who.id, now, timedelta(days=1))
        )
        for who in (ops, agent)
    }
    payloads = await _seal(GUEST)
    preflight = await stack.http.options(
        "/codec/decode",
        headers={
            "Origin": UI_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
    assert preflight.headers["access-control-allow-credentials"] == "true"

    def as_browser(user_id: str) -> dict[str, str]:
        return {"Origin": UI_ORIGIN, "Cookie": f"tandem_session={cookie[user_id]}"}

    opened = await stack.http.post(
        "/codec/decode", json={"payloads": payloads}, headers=as_browser(ops.id)
    )
    assert opened.status_code == 200, opened.text
    assert opened.headers["access-control-allow-origin"] == UI_ORIGIN
    assert GUEST in base64.b64decode(opened.json()["payloads"][0]["data"]).decode()
    refused = await stack.http.post(
        "/codec/decode", json={"payloads": payloads}, headers=as_browser(agent.id)
    )
    assert refused.status_code == 403
    assert refused.headers["access-control-allow-origin"] == UI_ORIGIN  # the UI can say why

    elsewhere = await stack.http.options(
        "/codec/decode",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in elsewhere.headers
    api = await stack.http.get("/v1/users/me", headers={**ops.auth, "Origin": UI_ORIGIN})
    assert "access-control-allow-origin" not in api.headers


async def test_a_rotated_key_still_replays_and_opens_what_the_old_key_sealed(stack: Stack) -> None:
    meeting, _ = await _private_meeting(stack)
    history = await stack.client.get_workflow_handle(workflow_id(meeting["id"])).fetch_history()
    rotated = PAYLOAD_KEYS.rotated()
    replayed = await Replayer(
        workflows=[MeetingWorkflow], data_converter=sealing(rotated)
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None

    without_old = PayloadKeys(rotated.current, {rotated.current: rotated.secrets[rotated.current]})
    failed = await Replayer(
        workflows=[MeetingWorkflow], data_converter=sealing(without_old)
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert failed.replay_failure is not None

    [fresh] = await EncryptionCodec(rotated).encode(
        DATA_CONVERTER.payload_converter.to_payloads([NAME])
    )
    assert fresh.metadata["encryption-key-id"] == rotated.current.encode()
    with pytest.raises(PayloadKeyError, match=rotated.current):
        await EncryptionCodec(PAYLOAD_KEYS).decode([fresh])


def test_keys_are_made_once_per_data_folder_owner_only_and_rotate_in_place(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = payload_keys(settings)
    assert first is not None and payload_keys(settings) == first
    assert stat.S_IMODE(os.stat(tmp_path / KEYS_FILE).st_mode) == 0o600
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    said = subprocess.run(
        [sys.executable, "-m", "tandem.cli.main", "keys", "rotate", "--data-dir", str(tmp_path)],
        env=environment, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rotated = payload_keys(settings)
    assert rotated is not None and rotated.current in said
    assert stat.S_IMODE(os.stat(tmp_path / KEYS_FILE).st_mode) == 0o600
    assert rotated.current != first.current
    assert rotated.secrets[first.current] == first.secrets[first.current]
    assert payload_keys(settings.model_copy(update={"payload_encryption": False})) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no-colon",
        "k1:c2hvcnQ=",
        ",".join([f"k1:{base64.urlsafe_b64encode(bytes(32)).decode()}"] * 2),
    ],
)
def test_unusable_payload_keys_are_refused_naming_the_problem(text: str) -> None:
    with pytest.raises(PayloadKeyError):
        PayloadKeys.parse(text)
