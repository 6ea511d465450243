"""Datasette as an ASGI app, so that uvicorn serves it with exactly the flags it serves our API with.

``BENCH_DB`` names the SQLite file; it is opened immutable (read-only, no change detection), Datasette's
fastest mode and the one that matches our read-only API. Run from ``.venv-bench`` (``make bench`` does).
"""

import os

from datasette.app import Datasette


def create() -> object:
    return Datasette(immutables=[os.environ["BENCH_DB"]]).app()
