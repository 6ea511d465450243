"""Schemathesis against the app's own OpenAPI document: every operation, every check, valid and invalid input.

The stateless run draws, for each operation, the documented examples, the coverage phase's boundary values and
at least 100 fuzzed requests (positive and negative), all from a fixed seed and derandomized, so a run is
repeatable. The stateful run walks the OpenAPI links (list -> item, item -> the entities and events it embeds,
entity -> lists filtered by it, list -> next page) and checks every step the same way.

The database is built at import because Schemathesis needs the schema, examples included, when it collects the
tests (its fixture-based loader does not support this pytest version).
"""

import tempfile
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput

from app.loader import load
from app.main import create_app
from app.openapi import operation_id
from app.resources import RESOURCES
from tests.amount_rule import follow_rules
from tests.conftest import SEEDS
from tests.id_rule import existing_ids, with_existing_ids

CONFIG = {
    "seed": 20230228,
    # positive and negative data, 100 fuzzed examples per operation, the same ones every run, no example database
    "generation": {"mode": "all", "max-examples": 100, "deterministic": True, "database": "none"},
    # every check, with the expectations the live run shares (tests/schemathesis.toml)
    "checks": {"enabled": True, **tomllib.loads((Path(__file__).parent / "schemathesis.toml").read_text())["checks"]},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
}

_DIRECTORY = tempfile.TemporaryDirectory(prefix="article-facts-fuzz-")
DB = Path(_DIRECTORY.name) / "facts.sqlite3"
load(SEEDS, DB)
APP = create_app(DB)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=SchemathesisConfig.from_dict(CONFIG))


IDS = existing_ids(DB)


@schema.hook
def map_case(_context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    """The rules the OpenAPI document cannot state: an amount bound gets its currency, CSV or NDJSON no facets
    (tests/amount_rule.py), and a filter on an id names one that exists (tests/id_rule.py)."""
    case.query = with_existing_ids(case.operation.path, follow_rules(case.query), IDS)
    return case


@schema.parametrize()
def test_every_operation(case: schemathesis.Case) -> None:
    case.call_and_validate()


class Walk(schema.as_state_machine()):  # type: ignore[misc]
    """The stateful run. A valid step that follows a link sends what the link says, as a client following it
    would (randomly drawn filters besides would mostly make the linked page empty, and the walk would end
    there). Steps are counted so the test can show that the links were really followed."""

    steps: ClassVar[Counter[tuple[str, int, bool]]] = Counter()

    def step(self, input: StepInput) -> StepOutput:
        case = input.case
        if case.meta is not None and case.meta.generation.mode.is_positive and input.transition is not None:
            linked = {name for location, name in input.applied_parameters if location == "query"}
            case.query = {name: value for name, value in (case.query or {}).items() if name in linked}
        return super().step(input)  # type: ignore[no-any-return]

    def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
        super().after_call(response, case)
        self.steps[case.operation.label, response.status_code, "cursor" in (case.query or {})] += 1


def test_stateful_walk_through_the_links() -> None:
    Walk.steps.clear()
    Walk.run(
        settings=hypothesis.settings(
            max_examples=40,
            stateful_step_count=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
    # A detail answers 200 only for a real id, which a link supplies (a drawn id is a 404).
    reached = {label for (label, status, _), _ in Walk.steps.items() if status == 200}
    details = {f"GET /v1/{name}/{{{single}_id}}" for name, single in DETAILS.items()}
    assert len(details & reached) >= 3, Walk.steps
    assert sum(Walk.steps.values()) >= 150, Walk.steps


DETAILS = {resource.name: resource.kind for resource in RESOURCES}


def _resolve(expression: str, request: httpx.Request, body: Any) -> Any:
    """An OpenAPI runtime expression, the two kinds the document uses: ``$response.body#/a/0/b`` and
    ``$request.query.name``. None when it does not resolve (an empty page, a parameter not given)."""
    if expression.startswith("$request.query."):
        return request.url.params.get(expression.removeprefix("$request.query."))
    value = body
    for part in expression.removeprefix("$response.body#/").split("/"):
        if isinstance(value, list):
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        if value is None:
            return None
    return value


async def _follow(
    client: httpx.AsyncClient, response: httpx.Response, operation: dict[str, Any]
) -> dict[str, httpx.Response]:
    """Every link of ``operation``'s 200 that resolves against ``response``: link name -> the linked response."""
    followed = {}
    for name, link in operation["responses"]["200"].get("links", {}).items():
        path, target = OPERATIONS[link["operationId"]]
        values = {key: _resolve(expr, response.request, response.json()) for key, expr in link["parameters"].items()}
        in_path = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        if values.get("cursor", "") is None or any(values[key] is None for key in in_path):
            continue  # the last page; an item without that embed
        for key in in_path:
            path = path.replace("{" + key + "}", str(values.pop(key)))
        followed[name] = await client.get(path, params={k: v for k, v in values.items() if v is not None})
    return followed


OPERATIONS = {op["operationId"]: (path, op) for path, ops in APP.openapi()["paths"].items() for op in ops.values()}


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(DETAILS))
async def test_every_declared_link_leads_somewhere(name: str) -> None:
    """The links of a list, of its first item and of what that embeds, followed by hand: 200 every time. Pages
    of one item, so that ``NextPage`` has a page to lead to (the stateful run seldom draws one)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://testserver") as client:
        first = await client.get(f"/v1/{name}", params={"limit": 1})
        links = await _follow(client, first, OPERATIONS[operation_id(f"list_{name}")][1])
        item = links["FirstItem"]
        links |= await _follow(client, item, OPERATIONS[operation_id(f"read_{DETAILS[name]}")][1])
    statuses = {link: response.status_code for link, response in links.items()}
    assert set(statuses.values()) == {200}, statuses
    if name != "articles":  # one article: no next page
        assert "NextPage" in statuses
