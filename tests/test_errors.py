"""Errors are RFC 9457 problem documents, compared whole; nothing a client sends gets a 500."""

import base64
from typing import Any

import httpx
import pytest

from app.cursors import sign

pytestmark = pytest.mark.anyio


def bad(parameter: str, detail: str, summary: str | None = None) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": summary or f"Invalid request parameters: {parameter}",
        "errors": [{"parameter": parameter, "detail": detail}],
    }


def sort_error(detail: str) -> dict[str, Any]:
    return bad("sort", detail, f"Invalid query parameter 'sort': {detail}")


CURSOR_ERROR = bad(
    "cursor",
    "not a cursor issued by this list; start again without it",
    "Invalid query parameter 'cursor': not a cursor issued by this list; start again without it",
)

QUOTE_PARAMETERS = (
    "format, fields, limit, cursor, sort, count, stream, facet, q, said_on__gte, said_on__gt, said_on__lte, "
    "said_on__lt, said_on__year, article, speaker, speaker__in, kind, mentions, event"
)
NOT_A_SLUG = (
    "not an id: an id is a slug, lowercase letters, digits and single hyphens (at most 100 characters), "
    "e.g. `antony-blinken`"
)


def no_such(parameter: str, detail: str) -> dict[str, Any]:
    """A filter naming an id that does not exist: a 400 with the closest ids that do (app/references.py)."""
    return bad(parameter, detail, f"Invalid query parameter {parameter!r}: {detail}")


NOT_ISSUED = "it was not issued by this list, or the server's key has changed since; start again without it"


def no_page(detail: str = NOT_ISSUED) -> dict[str, Any]:
    """A cursor of the documented form that this list, in this order, never issued: like an unknown id."""
    return {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"There is no page at this cursor: {detail}",
        "errors": [{"parameter": "cursor", "detail": detail}],
    }


CASES = [
    ("/v1/quotes?limit=0", bad("limit", "Input should be greater than or equal to 1")),
    ("/v1/quotes?limit=201", bad("limit", "Input should be less than or equal to 200")),
    ("/v1/quotes?limit=-5", bad("limit", "Input should be greater than or equal to 1")),
    (
        "/v1/quotes?limit=ten",
        bad("limit", "Input should be a valid integer, unable to parse string as an integer"),
    ),
    ("/v1/quotes?colour=red", bad("colour", f"unknown parameter; valid parameters: {QUOTE_PARAMETERS}")),
    (
        "/v1/quotes?spaeker=x",
        bad("spaeker", f"unknown parameter; did you mean `speaker`? valid parameters: {QUOTE_PARAMETERS}"),
    ),
    (
        "/v1/search?q=x&tpye=quote",
        bad("tpye", "unknown parameter; did you mean `type`? valid parameters: q, type, limit"),
    ),
    ("/v1?x=1", bad("x", "unknown parameter; this route takes no query parameters")),
    ("/v1/quotes?speaker=blinken", no_such("speaker", "there is no entity `blinken`; did you mean `antony-blinken`?")),
    (
        "/v1/quotes?speaker__in=antony-blinkin,lavrov",
        no_such("speaker__in", "there is no entity `antony-blinkin`; did you mean `antony-blinken`?"),
    ),
    (
        "/v1/pledges?recipient=kyrgyzztan",
        no_such("recipient", "there is no entity `kyrgyzztan`; did you mean `kyrgyzstan`?"),
    ),
    ("/v1/events?location=x", no_such("location", "there is no entity `x`; see /v1/entities for the ids that exist")),
    ("/v1/quotes?event=zzz", no_such("event", "there is no event `zzz`; see /v1/events for the ids that exist")),
    (
        "/v1/entities?article=mt-2023-02-28-blinken",
        no_such(
            "article",
            "there is no article `mt-2023-02-28-blinken`; did you mean `mt-2023-02-28-blinken-central-asia`?",
        ),
    ),
    (
        "/v1/pledges?amount__gte=10000000",
        bad(
            "amount__gte",
            "Value error, amounts in different currencies do not compare: give `currency` too (e.g. currency=USD), "
            "or compare what they were worth in US dollars with usd__gte, usd__gt, usd__lte or usd__lt",
        ),
    ),
    (
        "/v1/entities?type=planet",
        bad("type", "Input should be 'person', 'country', 'organization', 'place' or 'group'"),
    ),
    (
        "/v1/events?type__in=meeting,party",
        bad(
            "type__in",
            "Input should be 'meeting', 'visit', 'trip', 'press_conference', 'statement', 'vote', 'study', 'sanctions_decision', 'war', 'anniversary' or 'announcement'",
        ),
    ),
    (
        "/v1/events?type__in=",
        bad(
            "type__in",
            "Input should be 'meeting', 'visit', 'trip', 'press_conference', 'statement', 'vote', 'study', 'sanctions_decision', 'war', 'anniversary' or 'announcement'",
        ),
    ),
    ("/v1/quotes?speaker__in=a,,b", bad("speaker__in", NOT_A_SLUG)),
    ("/v1/quotes?speaker=Antony%20Blinken", bad("speaker", NOT_A_SLUG)),
    ("/v1/quotes/Antony%20Blinken", bad("quote_id", NOT_A_SLUG)),  # the same 400 in a path as in a filter
    ("/v1/mentions/A", bad("mention_id", NOT_A_SLUG)),
    ("/v1/articles/X/annotations", bad("article_id", NOT_A_SLUG)),
    (
        "/v1/entities?country_code=kz",
        bad("country_code", "not a country code: two capital letters (ISO 3166-1 alpha-2), e.g. `KZ`"),
    ),
    ("/v1/pledges?currency=usd", bad("currency", "not a currency code: three capital letters (ISO 4217), e.g. `USD`")),
    ("/v1/articles?language=EN", bad("language", "not a language code: two lowercase letters (ISO 639-1), e.g. `en`")),
    (
        "/v1/quotes?said_on__gte=2023-02-30",
        bad("said_on__gte", "Input should be a valid date or datetime, day value is outside expected range"),
    ),
    (
        "/v1/quotes?said_on__gte=yesterday",
        bad("said_on__gte", "Input should be a date written YYYY-MM-DD"),
    ),
    ("/v1/quotes?said_on__gte=0", bad("said_on__gte", "Input should be a date written YYYY-MM-DD")),
    ("/v1/quotes?said_on__gte=2023-02-28T00:00Z", bad("said_on__gte", "Input should be a date written YYYY-MM-DD")),
    (
        "/v1/pledges?amount__gte=lots",
        bad("amount__gte", "Input should be a valid number, unable to parse string as a number"),
    ),
    ("/v1/quotes?count=maybe", bad("count", "Input should be a valid boolean, unable to interpret input")),
    ("/v1/quotes?q=", bad("q", "String should have at least 1 character")),
    ("/v1/quotes?q=" + "a" * 201, bad("q", "String should have at most 200 characters")),
    ("/v1/search", bad("q", "Field required")),
    ("/v1/search?q=" + "a" * 201, bad("q", "String should have at most 200 characters")),
    (
        "/v1/search?q=x&type=planet",
        bad("type", "Input should be 'article', 'entity', 'quote', 'pledge' or 'event'"),
    ),
    ("/v1/search?q=x&limit=51", bad("limit", "Input should be less than or equal to 50")),
    (
        "/v1/quotes?sort=colour",
        sort_error("unknown sort key 'colour'; use one of: id, kind, said_on, speaker"),
    ),
    (
        "/v1/quotes?sort=name;DROP TABLE quote",
        sort_error("unknown sort key 'name;DROP TABLE quote'; use one of: id, kind, said_on, speaker"),
    ),
    ("/v1/quotes?sort=said_on,-said_on", sort_error("sort key 'said_on' given twice")),
    ("/v1/quotes?sort=", bad("sort", "String should have at least 1 character")),
    (
        "/v1/quotes?sort=said_on,,id",
        sort_error("unknown sort key ''; use one of: id, kind, said_on, speaker"),
    ),
    ("/v1/quotes?cursor=abc", CURSOR_ERROR),
    ("/v1/quotes?cursor=" + "%FF" * 3, CURSOR_ERROR),
    ("/v1/quotes?cursor=eyJ4Ijp9.0000", CURSOR_ERROR),
    (
        "/v1/quotes/no-such-quote",
        {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "There is no quote 'no-such-quote'.",
        },
    ),
    (
        "/v1/entities/no-such-entity",
        {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "There is no entity 'no-such-entity'.",
        },
    ),
    (
        "/v1/pledges/x",
        {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "There is no pledge 'x'."},
    ),
    (
        "/v1/events/x",
        {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "There is no event 'x'."},
    ),
    (
        "/v1/articles/x",
        {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "There is no article 'x'."},
    ),
    (
        "/v2/quotes",
        {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "There is nothing at /v2/quotes.",
        },
    ),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
async def test_error_body(client: httpx.AsyncClient, url: str, expected: dict[str, Any]) -> None:
    response = await client.get(url)
    assert response.status_code == expected["status"]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == expected


async def test_several_bad_parameters_are_all_reported(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/quotes?limit=0&kind=shouted&colour=red")
    assert response.status_code == 400
    assert {e["parameter"] for e in response.json()["errors"]} == {"limit", "kind", "colour"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("url", ["/v1/quotes", "/v1/quotes/diplomat-tread-very-carefully", "/v1/search"])
async def test_writes_are_not_allowed(client: httpx.AsyncClient, method: str, url: str) -> None:
    response = await client.request(method, url)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json() == {
        "type": "about:blank",
        "title": "Method Not Allowed",
        "status": 405,
        "detail": f"{method} is not allowed here; this API is read-only.",
    }


async def test_a_cursor_from_another_list_is_not_found(client: httpx.AsyncClient) -> None:
    cursor = (await client.get("/v1/events?limit=1")).json()["next_cursor"]
    response = await client.get(f"/v1/quotes?cursor={cursor}")
    assert response.status_code == 404
    assert response.json() == no_page()


async def test_a_tampered_cursor_is_not_found_a_malformed_one_is_refused(client: httpx.AsyncClient) -> None:
    cursor = (await client.get("/v1/quotes?limit=1")).json()["next_cursor"]
    body, signature = cursor.split(".")
    for tampered in (body[:-2] + "AA." + signature, body + "." + signature[::-1], body[:-4] + "." + signature):
        response = await client.get("/v1/quotes", params={"cursor": tampered})
        assert (response.status_code, response.json()) == (404, no_page()), tampered
    for malformed in (cursor[:-1], cursor[:10], body[:-1] + "." + signature, cursor.upper(), cursor + "="):
        response = await client.get("/v1/quotes", params={"cursor": malformed})
        assert (response.status_code, response.json()) == (400, CURSOR_ERROR), malformed


async def test_a_cursor_only_resumes_its_own_sort(client: httpx.AsyncClient) -> None:
    cursor = (await client.get("/v1/quotes?limit=1&sort=kind")).json()["next_cursor"]
    response = await client.get(f"/v1/quotes?cursor={cursor}&sort=speaker")
    assert response.status_code == 404
    assert response.json() == no_page("the cursor is a position in the order `sort=kind,id`; keep `sort` as it was")


def signed(resource: str, payload: bytes) -> str:
    """A cursor signed with the server's key but carrying whatever payload a client forges."""
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + sign(resource, payload)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe\xfd\xfc",
        b"[1]",
        b'["said_on,id", null]',
        b'["said_on,id", [1]]',
        b'["said_on,id", [1, 2]]',
        b'["said_on,id", ["bad", "x"]]',
        b'["said_on,id", ["2023-02-28", [1]]]',
        b'["said_on,id", ["2023-02-28", "x", "extra"]]',
        b'{"a": 1}',
    ],
)
async def test_a_signed_cursor_of_the_wrong_shape_is_not_found(client: httpx.AsyncClient, payload: bytes) -> None:
    response = await client.get("/v1/quotes", params={"cursor": signed("quotes", payload)})
    assert response.status_code == 404
    assert response.json() == no_page()


async def test_a_signed_cursor_with_an_out_of_range_integer_is_not_found(client: httpx.AsyncClient) -> None:
    payload = b'["-mentions,-id", [%d, "x"]]' % 2**70
    response = await client.get("/v1/entities", params={"sort": "-mentions", "cursor": signed("entities", payload)})
    assert response.status_code == 404
    assert response.json() == no_page()


@pytest.mark.parametrize("cursor", [".%E2%80%9C", "abc.%C3%A9", "%00.%00", "é"])
async def test_a_cursor_with_non_ascii_characters_is_refused(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get(f"/v1/events?cursor={cursor}")
    assert response.status_code == 400
    assert response.json() == CURSOR_ERROR


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
async def test_amounts_must_be_finite(client: httpx.AsyncClient, value: str) -> None:
    response = await client.get(f"/v1/pledges?amount__gte={value}")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"parameter": "amount__gte", "detail": "Input should be a finite number"}]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/v1/quotes?speaker=antony-blinken&speaker=nobody", "speaker"),
        ("/v1/quotes?limit=1&limit=3", "limit"),
        ("/v1/search?q=a&q=b", "q"),
        ("/v1/entities/kazakhstan?x=1&x=2", None),
    ],
)
async def test_a_single_valued_parameter_given_twice_is_refused(
    client: httpx.AsyncClient, url: str, parameter: str | None
) -> None:
    response = await client.get(url)
    assert response.status_code == 400
    if parameter:
        assert response.json()["errors"] == [
            {"parameter": parameter, "detail": "given more than once; give it once (list parameters take a,b)"}
        ]
    else:  # an unknown parameter is reported as unknown, however often it is given
        assert response.json()["errors"][0]["detail"] == "unknown parameter; valid parameters: format, fields"


async def test_list_parameters_may_repeat(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/search?q=kazakhstan&type=quote&type=event")
    assert response.status_code == 200
    assert {hit["type"] for hit in response.json()["data"]} == {"quote", "event"}


@pytest.mark.parametrize(
    "payload", [b"[" * 1500, b'["said_on,id", ["2023-02-28", "a\\u0000b"]]'], ids=["deeply nested", "NUL in a value"]
)
async def test_a_signed_cursor_too_deep_or_with_a_nul_is_not_found(client: httpx.AsyncClient, payload: bytes) -> None:
    response = await client.get("/v1/quotes", params={"cursor": signed("quotes", payload)})
    assert response.status_code == 404
    assert response.json() == no_page()


async def test_an_empty_cursor_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/quotes?cursor=")
    assert response.status_code == 400
    assert response.json() == CURSOR_ERROR


async def test_an_id_that_exists_but_matches_nothing_is_an_empty_page(client: httpx.AsyncClient) -> None:
    """Kazakhstan gave no pledge: an empty list, not an error (the id exists)."""
    response = await client.get("/v1/pledges?donor=kazakhstan")
    assert (response.status_code, response.json()["data"]) == (200, [])


async def test_an_unknown_id_is_refused_in_a_stream_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/quotes?speaker=blinken&stream=true&format=ndjson")
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "speaker"


async def test_ids_are_checked_only_when_the_page_is_empty(client: httpx.AsyncClient) -> None:
    """A page with items proves its ids exist, so it costs no look-up (docs/api.md#errors): one unknown id among
    known ones in an `__in` list is then not reported, and the page holds the known ones' items."""
    response = await client.get("/v1/quotes?speaker__in=kassym-jomart-tokayev,lavrov")
    assert response.status_code == 200
    assert {q["speaker"]["id"] for q in response.json()["data"]} == {"kassym-jomart-tokayev"}
