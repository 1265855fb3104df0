"""What request handlers need, built once per process and shared through ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from tandem.api.temporal import MeetingGateway, PlanGateway, SeriesGateway
from tandem.api.wfm_cache import WfmCache
from tandem.settings import Settings
from tandem.store.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    meetings: MeetingGateway
    series: SeriesGateway
    plans: PlanGateway
    wfm: WfmCache = field(default_factory=WfmCache)


def services(request: Request) -> Services:
    return request.app.state.services


Svc = Annotated[Services, Depends(services)]
