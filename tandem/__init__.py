"""Tandem: scheduling engine for 1:1s and coaching, on Temporal.

Time zone data comes from the pinned ``tzdata`` package only, never the host's files: Python
reads /usr/share/zoneinfo first, and hosts disagree with each other and with the package
(America/Vancouver in December 2026 is -08:00 in one, -07:00 in the other). The API, workers,
CLI and tests must agree on every occurrence, so the search path is emptied as soon as any
``tandem`` module is imported; zoneinfo then loads every zone from ``tzdata``.
"""

import zoneinfo

import tzdata  # noqa: F401  (fail here, clearly, if the package is missing: no zone would load)

# Inside Temporal's workflow sandbox this module is imported again, but zoneinfo is shared
# with the host process (already emptied there), and resetting it is not allowed: skip it.
if zoneinfo.TZPATH:
    zoneinfo.reset_tzpath([])
    # Zones something loaded before this import came from the host's files.
    zoneinfo.ZoneInfo.clear_cache()
