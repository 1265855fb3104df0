"""``tandem reassign`` at a terminal (SPEC M10): the bulk job, its progress and its outcome."""

from __future__ import annotations

import json

from tests.support import Stack, api_command, at


async def test_m10_tandem_reassign_moves_everything_and_shows_progress(stack: Stack) -> None:
    sam, alex = await stack.person("supervisor"), await stack.person("supervisor")
    agent = await stack.person("agent", name="Kim Agent")
    meeting = await stack.one_to_one(sam, agent, name="Kim weekly", starts_at=at(days=2))
    series = await stack.series(sam, await stack.person("agent"), name="Lee 1:1s")

    code, out, err = await api_command(
        stack, sam, "reassign", sam.id, alex.id, "--reason", "Sam moves to nights"
    )
    assert code == 0, err
    assert err.rstrip().endswith("] 2/2") and "[" + "#" * 30 + "]" in err
    assert out.startswith("reassignment ") and "2 moved, 0 not" in out
    assert f"moved    meeting  Kim weekly [{meeting['id']}]" in out
    assert f"moved    series   Lee 1:1s [{series['id']}]" in out
    moved = await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=alex.auth)
    assert moved.json()["facilitator_id"] == alex.id

    # Nothing left to move: an empty job, and JSON when asked.
    code, out, err = await api_command(
        stack, sam, "reassign", sam.id, alex.id, "--reason", "again", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["total"] == 0

    # A refusal is the API's message, exit status 2.
    code, out, err = await api_command(stack, alex, "reassign", sam.id, alex.id, "--reason", "grab")
    assert code == 2 and "only ops (or admins)" in err and "(from_user_id)" in err
