"""The methods a path supports, for the ``Allow`` header of a 405 (RFC 9110 §15.5.6).

The router answers 405 from the first route whose path matches, naming only that route's methods;
FastAPI makes one route per method, so ``OPTIONS /v1/meetings/{id}`` would say ``Allow: GET``
although PATCH and DELETE are there too. This names every method of the path's routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.routing import compile_path

try:  # FastAPI >= 0.13x keeps included routers whole; this lists the routes they hold.
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI flattens them into app.routes
    iter_route_contexts = None


@lru_cache(maxsize=1024)
def _pattern(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


def _routes(app: Any) -> Iterator[tuple[str, set[str]]]:
    routes = app.router.routes
    for route in iter_route_contexts(routes) if iter_route_contexts else routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and methods:
            yield path, methods


def allowed_methods(request: Request) -> str:
    """``.../attachments/documents`` also fits ``.../attachments/{attachment_id}``: the resource
    is the most literal path that fits (fewest parameters), as the document describes it."""
    path = request.url.path
    fitting: dict[str, set[str]] = {}
    for template, methods in _routes(request.app):
        if _pattern(template).match(path):
            fitting.setdefault(template, set()).update(methods)
    if not fitting:
        return ""
    fewest = min(template.count("{") for template in fitting)
    chosen = set().union(*(m for t, m in fitting.items() if t.count("{") == fewest))
    return ", ".join(sorted(chosen))
