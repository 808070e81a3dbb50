"""Answers serialised once, straight from the model to JSON bytes.

A route that returns a model with ``response_model`` set has FastAPI validate it again (in the
thread pool, for a plain ``def`` route), turn it into plain Python objects and encode those with
``json``. A read route that builds its model from the database's own columns returns
:func:`json_response` instead; ``response_model`` still describes the answer in the OpenAPI
document.
"""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response


class JsonResponse(Response):
    media_type = "application/json"


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    return JsonResponse(model.__pydantic_serializer__.to_json(model), status_code=status_code)
