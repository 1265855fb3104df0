"""What input the request models accept (issue 7): text people can read, and times as ISO-8601.

Request models are strict (``"duration_minutes": "30"`` or ``true`` is refused, not coerced). JSON
has no date-time, date or enum type, so those fields are read from their string form (the
``Strict(False)`` below) but never from a number: ``1700000000`` or ``"0.5"`` is not a time.

Text: no NUL or other control characters (a line break only where several lines are meant), no
bidirectional overrides or isolates (they make text read differently from what it is: "Trojan
Source"), and not only characters that show nothing (zero-width spaces, byte-order marks, ...).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Strict

BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _not_a_number(written_as: str) -> BeforeValidator:
    """Lax parsing reads numbers (and numeric strings) as Unix times; refuse them."""

    def check(value: Any) -> Any:
        if isinstance(value, bool | int | float) or (
            isinstance(value, str) and _NUMBER.fullmatch(value)
        ):
            raise ValueError(f"give {written_as}, not a number")
        return value

    return BeforeValidator(check)


Instant = Annotated[
    AwareDatetime, Strict(False), _not_a_number("an ISO-8601 date-time with a UTC offset")
]
"""An aware date-time written as ISO-8601 (``2031-01-07T10:00:00Z``), in JSON or a query."""
Day = Annotated[date, Strict(False), _not_a_number("an ISO-8601 date (YYYY-MM-DD)")]
"""A calendar date written as ISO-8601 (``2031-01-31``)."""
E = TypeVar("E")
Choice = Annotated[E, Strict(False)]
"""An enum member given by its value (``Choice[MeetingKind]`` reads ``"coaching"``)."""


def _invisible(char: str) -> bool:
    # Cf: format characters (zero-width space and joiners, word joiner, BOM, soft hyphen...);
    # Mn/Me alone combine with nothing; Zs and friends are blanks.
    return char.isspace() or unicodedata.category(char) in ("Cf", "Cc", "Mn", "Me")


def _text_rules(value: str, *, one_line: bool) -> str:
    for char in value:
        if char == "\x00":
            raise ValueError("must not contain NUL characters")
        if char in "\r\n":
            if one_line:
                raise ValueError("must be one line (no line breaks)")
        elif char != "\t" and unicodedata.category(char) == "Cc":
            raise ValueError(f"must not contain the control character U+{ord(char):04X}")
        if char in BIDI_CONTROLS:
            raise ValueError(
                f"must not contain the bidirectional control character U+{ord(char):04X}"
            )
    # Blank is for the field's own rules (strip, min_length); invisible-but-not-blank is not text.
    if value.strip() and all(_invisible(char) for char in value):
        raise ValueError("must contain visible characters, not only invisible ones")
    return value


def one_line(value: str) -> str:
    return _text_rules(value, one_line=True)


def lines(value: str) -> str:
    return _text_rules(value, one_line=False)


OneLine = AfterValidator(one_line)
"""For names, titles, places: one line of readable text."""
Lines = AfterValidator(lines)
"""For descriptions, reasons, notes: several lines allowed."""


def readable_line(text: str, limit: int = 200) -> str:
    """``text`` made one line that passes :func:`one_line`: for names that arrive from outside
    (an uploaded file's name) and for old values going into a header. Blanks of any kind become
    one space; control, format (zero-width, bidi) characters go."""
    kept = (" " if char.isspace() else char for char in text)
    visible = "".join(c for c in kept if unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(visible.split())[:limit].strip()
