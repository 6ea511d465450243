"""Successful responses: JSON serialized once, straight from the dicts the routers build.

The routers declare their response models for the OpenAPI document, but return these responses so that FastAPI
does not validate and re-serialize every body through them; the tests (schema conformance in the fuzz suite and
the shape tests) hold the bodies to those models instead.
"""

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response

JSON = "application/json"


def json_response(content: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), media_type=JSON, headers=headers)
