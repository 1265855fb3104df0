"""What use cases need, built once per process (by the API app or a CLI command)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tandem.settings import Settings
from tandem.store.db import Database
from tandem.usecases.temporal import MeetingGateway, PlanGateway, SeriesGateway
from tandem.usecases.wfm_cache import WfmCache


@dataclass
class Services:
    settings: Settings
    db: Database
    meetings: MeetingGateway
    series: SeriesGateway
    plans: PlanGateway
    wfm: WfmCache = field(default_factory=WfmCache)
