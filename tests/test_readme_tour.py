"""The README's tour of the API runs as written (issue 7, item 6).

A real ``tandem up --demo`` (on free ports, in a scratch data folder), then every ``sh`` block of
the README's "A tour of the API" section, in order, in one bash with ``set -euo pipefail``: a
command that fails (curl ``-f``: any 4xx or 5xx) stops the tour and fails the test, naming the
block. The tour's own first block reads ``API`` and ``TANDEM_DATA_DIR`` when they are set, as they
are here; nothing else is changed. Needs jq and GNU date, as the README says.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import eventually, free_port, is_ready

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SECTION = "## A tour of the API"


def tour_blocks(readme: str) -> list[str]:
    """The ``sh`` blocks of the tour section, in order."""
    section = readme.split(SECTION, 1)[1]
    section = re.split(r"^## ", section, maxsplit=1, flags=re.M)[0]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.M | re.S)


def tour_script(blocks: list[str]) -> str:
    """One script: each block announced on stderr first, so a failure says which one it was."""
    parts = ["set -euo pipefail"]
    for number, block in enumerate(blocks, 1):
        parts.append(f"echo '--- tour block {number}' >&2\n{block}")
    parts.append("echo '--- tour done' >&2")
    return "\n".join(parts)


def test_the_tour_has_blocks_and_no_placeholders() -> None:
    blocks = tour_blocks(README.read_text())
    assert len(blocks) >= 8
    for block in blocks:
        assert '"..."' not in block and "<token>" not in block, block


@pytest.mark.skipif(not (shutil.which("jq") and shutil.which("curl")), reason="needs jq and curl")
@pytest.mark.timeout(420)
async def test_the_readme_tour_runs_against_tandem_up_demo(tmp_path: Path) -> None:
    api, temporal, ui = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    up = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tandem.cli.main", "up", "--demo", "--data-dir", str(tmp_path),
        "--api-port", str(api), "--temporal-port", str(temporal), "--ui-port", str(ui),
        "--worker-metrics-port", str(free_port()),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{api}"
    try:
        await eventually(lambda: is_ready(url), within=120, every=0.5)
        # The demo's 1:1 series are started just after the API answers; the tour expects them.
        await asyncio.sleep(2)
        script = tour_script(tour_blocks(README.read_text()))
        tour = await asyncio.create_subprocess_exec(
            "bash", "-c", script,
            cwd=ROOT, env={**env, "API": url, "TANDEM_DATA_DIR": str(tmp_path)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(tour.communicate(), 300)
        log = err.decode()
        assert tour.returncode == 0, f"{log[-4000:]}\n--- stdout:\n{out.decode()[-2000:]}"
        assert log.rstrip().endswith("--- tour done")

        # The settings example changes Sam's working week; it does not wipe it.
        people = json.loads((tmp_path / "demo-tokens.json").read_text())
        sam = next(p for p in people if p["email"] == "sam@demo.tandem")
        async with httpx.AsyncClient(base_url=url) as http:
            me = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {sam['token']}"})
        assert len(me.json()["settings"]["working_hours"]) == 5
    finally:
        up.send_signal(signal.SIGINT)
        await asyncio.wait_for(up.wait(), 60)
