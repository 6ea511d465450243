"""Datasette as an ASGI app, so that uvicorn serves it with exactly the flags it serves our API with.

``BENCH_DB`` names the SQLite file; it is opened immutable (read-only, no change detection), Datasette's
fastest mode and the one that matches our read-only API. Run from ``.venv-bench`` (``make bench`` does). The
database has one canned query, ``search`` (``/<db>/search.json?q=...``): the raw FTS5 query a Datasette user
would save to search the same index our ``/v1/search`` reads, with no count, ranking or snippets.
"""

import os
from pathlib import Path

from datasette.app import Datasette

# Datasette stops any SQL query after 1 s by default and answers 400: at 1M quotes under load, (a) and the
# searches can take longer, and a fast refusal would count as a served request. With the same 10 s as wrk's
# timeout it does the whole work, as our API does. Everything else is Datasette's default.
SETTINGS = {"sql_time_limit_ms": 10_000, "max_csv_mb": 0}  # no cap on a streamed CSV (default 100 MB): a whole export


SEARCH = "select rowid, * from search_index where search_index match :q limit 50"


def create() -> object:
    path = os.environ["BENCH_DB"]
    metadata = {"databases": {Path(path).stem: {"queries": {"search": {"sql": SEARCH}}}}}
    return Datasette(immutables=[path], settings=SETTINGS, metadata=metadata).app()
