"""Request checks shared by the slot finder and the team planner (W2, W3)."""

from dataclasses import dataclass

from tandem.solver.minutes import GRID_MINUTES, HORIZON_MINUTES, ceil_to_grid
from tandem.solver.schedule import Span

MAX_DURATION_MINUTES = 60


class InvalidQuery(ValueError):
    """The request itself is malformed, as opposed to simply having no free time."""


@dataclass(frozen=True, slots=True)
class Grid:
    """15-minute cells ``[origin + 15 i, origin + 15 (i + 1))`` for ``i < cells``.

    ``origin`` is a multiple of 15 since the epoch, so cells line up with staffing intervals and a
    slot of ``d`` cells starting at cell ``i`` is exactly the union of cells ``i .. i + d - 1``.
    """

    origin: int
    cells: int

    def start_count(self, duration_cells: int) -> int:
        return max(0, self.cells - duration_cells + 1)


def check_duration(duration: int) -> int:
    """The duration in grid cells, or InvalidQuery."""
    if duration <= 0 or duration > MAX_DURATION_MINUTES or duration % GRID_MINUTES:
        raise InvalidQuery(
            f"duration must be a multiple of {GRID_MINUTES} minutes between {GRID_MINUTES} and "
            f"{MAX_DURATION_MINUTES}, got {duration}"
        )
    return duration // GRID_MINUTES


def check_window(window: Span) -> None:
    if window.end < window.start:
        raise InvalidQuery(f"window ends ({window.end}) before it starts ({window.start})")


def clip_window(window: Span, now: int) -> Span:
    """The part of ``window`` inside ``[now, now + 6 weeks]``; InvalidQuery if there is none."""
    check_window(window)
    start = max(window.start, now)
    end = min(window.end, now + HORIZON_MINUTES)
    if end <= start:
        raise InvalidQuery("window has no time inside [now, now + 6 weeks]")
    return Span(start, end)


def grid_for(clipped: Span) -> Grid:
    origin = ceil_to_grid(clipped.start)
    return Grid(origin, max(0, (clipped.end - origin) // GRID_MINUTES))
