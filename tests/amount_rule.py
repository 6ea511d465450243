"""The rules between query parameters that OpenAPI 3.1 cannot state, for the Schemathesis runs.

An amount bound (``amount__gte`` and friends) compares amounts of one currency, so the API refuses it without
``currency`` (a 400 that names ``currency`` and ``usd__*``): 300 million yen is not more than 25 million dollars.
A request drawn from the document alone may carry the one without the other; ``with_currency`` gives it a
currency, as a client reading the parameter's description would. Facets (``facet``) come only with JSON, so a
``format=csv``/``ndjson`` request with them is a 400 too: ``follow_rules`` drops the facets, as that client would.
tests/test_fuzz.py applies ``follow_rules`` to every case; tests/schemathesis_hooks.py registers it for the live
CLI run (``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``).
"""

from typing import Any

AMOUNT_BOUNDS = ("amount__gte", "amount__gt", "amount__lte", "amount__lt")


def with_currency(query: dict[str, Any] | None) -> dict[str, Any] | None:
    if query and "currency" not in query and any(bound in query for bound in AMOUNT_BOUNDS):
        return {**query, "currency": "USD"}
    return query


def follow_rules(query: dict[str, Any] | None) -> dict[str, Any] | None:
    query = with_currency(query)
    if query and "facet" in query and query.get("format") in ("csv", "ndjson"):
        return {name: value for name, value in query.items() if name != "facet"}
    return query
