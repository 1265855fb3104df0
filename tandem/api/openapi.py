"""The OpenAPI document, finished the API's way: one error shape everywhere, and request bodies
that routes read themselves documented with resolvable references.

FastAPI documents a 422 as its own ``HTTPValidationError`` (``{"detail": [...]}``) unless a route
declares a 422 itself; every router here declares one (tandem.api.responses.errors), and
:func:`install` replaces whatever is left over with ``ErrorOut`` and drops FastAPI's schemas, so
the document never shows a shape the API does not send.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from tandem.api.responses import ErrorOut, errors

REF = "#/components/schemas/"
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")

# Component schemas of request bodies documented through ``openapi_extra`` (see request_body).
_EXTRA: dict[str, dict[str, Any]] = {}


def _register(name: str, schema: dict[str, Any]) -> None:
    known = _EXTRA.setdefault(name, schema)
    if known != schema:
        raise ValueError(f"two different schemas are both called {name!r}")


def request_body(model: type[BaseModel], media_type: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` for a route that reads and validates its body itself: ``model``'s schema
    with its ``$defs`` hoisted into ``components/schemas``, where its ``$ref``s point."""
    schema = model.model_json_schema(ref_template=REF + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        _register(name, definition)
    _register(model.__name__, schema)
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": {"$ref": REF + model.__name__}}},
        }
    }


def _rewrite(node: Any, old: str, new: str) -> None:
    if isinstance(node, dict):
        if node.get("$ref") == old:
            node["$ref"] = new
        for value in node.values():
            _rewrite(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _rewrite(value, old, new)


def finish(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the hoisted request schemas and put ``ErrorOut`` wherever FastAPI put its own 422."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in _EXTRA.items():
        if name in components and components[name] != definition:
            raise ValueError(f"component {name!r} is defined twice, differently")
        components[name] = definition
    if "ErrorOut" not in components:
        error = ErrorOut.model_json_schema(ref_template=REF + "{model}", mode="serialization")
        components.update(error.pop("$defs", {}))
        components["ErrorOut"] = error
    _rewrite(schema["paths"], REF + "HTTPValidationError", REF + "ErrorOut")
    # Any body may be unreadable (400) or over its cap (413, tandem.api.limits), on any route.
    for operations in schema["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                for code, entry in errors(400, 413).items():
                    operation["responses"].setdefault(str(code), _response(entry))
    for name in _FASTAPI_422:
        components.pop(name, None)
    return schema


def _response(entry: dict[str, Any]) -> dict[str, Any]:
    """A ``responses=`` entry (with ``model``) as an OpenAPI response object."""
    return {
        "description": entry["description"],
        "content": {"application/json": {"schema": {"$ref": REF + entry["model"].__name__}}},
    }


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
