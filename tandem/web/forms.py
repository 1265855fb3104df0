"""Reading HTML form values into the use cases' request models.

Browsers send ``datetime-local`` values without an offset: they mean the viewer's own wall
clock, so they are read in the viewer's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from tandem.domain.times import zone


def local_datetime(value: str | None, timezone: str) -> datetime | None:
    """``2026-12-08T09:30`` in ``timezone`` as an aware datetime (None when empty or malformed:
    the request model then names the field)."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    return naive if naive.tzinfo else naive.replace(tzinfo=zone(timezone))


def text(form: Mapping[str, Any], name: str) -> str:
    """A text field, trimmed (``""`` when absent, or when it is a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional_text(form: Mapping[str, Any], name: str) -> str | None:
    """A text field left blank is no value at all."""
    return text(form, name) or None


M = TypeVar("M", bound=BaseModel)


def from_form(model: type[M], data: Mapping[str, Any]) -> M:
    """``data`` (form fields: strings, or values read from them) as the API's request model.

    The request models are strict for JSON clients (``"30"`` is not a number there); a form has
    nothing but strings, so here the model converts them (``"30"`` minutes, ``"on"`` for a
    checkbox), with every other rule (lengths, text, ranges) the same as for the API.
    """
    return model.model_validate(data, strict=False)
