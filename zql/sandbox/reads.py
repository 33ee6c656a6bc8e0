"""The read paths public Zephyr clients use beyond search (more follow in the next commit)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zql.sandbox import fields
from zql.sandbox.api import ApiError, Context, RouteTable
from zql.schema import ENTITIES, Schema, SchemaError

__all__ = ["routes"]


def routes(ctx: Context) -> RouteTable:
    """The routes of this module (see :func:`zql.sandbox.app.create_app`)."""

    async def custom_fields(request: Request) -> Response:
        raw = request.path_params["entity"]
        try:
            entity = Schema.entity_name(raw)
        except SchemaError:
            raise ApiError(400, f"unknown entity {raw!r}; one of {', '.join(ENTITIES)}") \
                from None
        return JSONResponse(fields.definitions(entity))

    return [("GET", "/field/entity/{entity}", custom_fields)]
