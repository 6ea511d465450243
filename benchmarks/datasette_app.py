"""Datasette as an ASGI app, so that uvicorn serves it with exactly the flags it serves our API with.

``BENCH_DB`` names the SQLite file; it is opened immutable (read-only, no change detection), Datasette's
fastest mode and the one that matches our read-only API. Run from ``.venv-bench`` (``make bench`` does).
"""

import os

from datasette.app import Datasette

# Datasette stops any SQL query after 1 s by default and answers 400: at 1M quotes under load, (a) and the
# searches can take longer, and a fast refusal would count as a served request. With the same 10 s as wrk's
# timeout it does the whole work, as our API does. Everything else is Datasette's default.
SETTINGS = {"sql_time_limit_ms": 10_000, "max_csv_mb": 0}  # no cap on a streamed CSV (default 100 MB): a whole export


def create() -> object:
    return Datasette(immutables=[os.environ["BENCH_DB"]], settings=SETTINGS).app()


# benchmarks/search.py: the raw FTS5 query a Datasette user would save for full-text search, as a canned query
# (``/<db>/search.json?q=...``): no SQL to parse or check per request, Datasette's fastest way to serve it.
SEARCH_SQL = "select rowid, * from search_index where search_index match :q limit 50"


def create_with_search() -> object:
    path = os.environ["BENCH_DB"]
    name = os.path.splitext(os.path.basename(path))[0]
    metadata = {"databases": {name: {"queries": {"search": {"sql": SEARCH_SQL}}}}}
    return Datasette(immutables=[path], settings=SETTINGS, metadata=metadata).app()
