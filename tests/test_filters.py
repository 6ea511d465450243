"""Every filter of every list, as a table: query string -> the exact set of ids it returns."""

import httpx
import pytest

from tests.conftest import ARTICLE_ID

pytestmark = pytest.mark.anyio

ALL_QUOTES = {
    "blinken-backs-central-asian-sovereignty",
    "blinken-promises-help-to-reduce-reliance-on-russia",
    "blinken-reaffirms-support-for-kazakhstan",
    "blinken-welcomes-tokayev-reforms",
    "diplomat-nation-does-not-back-invasion",
    "diplomat-reticence-not-to-provoke-russia",
    "diplomat-tread-very-carefully",
    "ebrd-study-export-spike",
    "ebrd-study-sanctions-evasion",
    "kazakhstan-calls-for-diplomatic-resolution",
    "peskov-central-asia-top-priority",
    "russia-justifies-war-russian-speakers",
    "tokayev-appreciation-for-us-support",
    "tokayev-reliable-partnerships-with-us",
    "tokayev-three-messages-from-biden",
    "us-doubts-russia-diplomacy-on-ukraine",
    "us-officials-uzbekistan-kazakhstan-most-open",
}
TOKAYEV_QUOTES = {
    "tokayev-appreciation-for-us-support",
    "tokayev-reliable-partnerships-with-us",
    "tokayev-three-messages-from-biden",
}
# Quotes that may have been said before the publication day: open-ended or war-long date ranges.
UNDATED_QUOTES = {
    "diplomat-nation-does-not-back-invasion",
    "diplomat-reticence-not-to-provoke-russia",
    "diplomat-tread-very-carefully",
    "ebrd-study-export-spike",
    "ebrd-study-sanctions-evasion",
    "kazakhstan-calls-for-diplomatic-resolution",
    "russia-justifies-war-russian-speakers",
    "us-doubts-russia-diplomacy-on-ukraine",
    "us-officials-uzbekistan-kazakhstan-most-open",
}

CASES = [
    # quotes
    ("quotes", "", ALL_QUOTES),
    ("quotes", f"article={ARTICLE_ID}", ALL_QUOTES),
    ("quotes", "article=no-such-article", set()),
    ("quotes", "speaker=kassym-jomart-tokayev", TOKAYEV_QUOTES),
    (
        "quotes",
        "speaker__in=ebrd,dmitry-peskov",
        {"ebrd-study-export-spike", "ebrd-study-sanctions-evasion", "peskov-central-asia-top-priority"},
    ),
    (
        "quotes",
        "speaker__in=ebrd&speaker__in=dmitry-peskov",
        {"ebrd-study-export-spike", "ebrd-study-sanctions-evasion", "peskov-central-asia-top-priority"},
    ),
    (
        "quotes",
        "kind=direct",
        {
            "blinken-reaffirms-support-for-kazakhstan",
            "diplomat-tread-very-carefully",
            "tokayev-reliable-partnerships-with-us",
        },
    ),
    ("quotes", "kind=partial&speaker=antony-blinken", {"blinken-backs-central-asian-sovereignty"}),
    ("quotes", "mentions=joe-biden", {"tokayev-three-messages-from-biden"}),
    (
        "quotes",
        "mentions=russia",
        {
            "blinken-promises-help-to-reduce-reliance-on-russia",
            "blinken-reaffirms-support-for-kazakhstan",
            "diplomat-reticence-not-to-provoke-russia",
            "ebrd-study-sanctions-evasion",
            "peskov-central-asia-top-priority",
            "us-doubts-russia-diplomacy-on-ukraine",
        },
    ),
    ("quotes", "event=blinken-tokayev-meeting-2023-02-28", TOKAYEV_QUOTES),
    ("quotes", "said_on__lte=2023-02-27", UNDATED_QUOTES),
    ("quotes", "said_on__gte=2023-02-28", ALL_QUOTES),
    ("quotes", "said_on__gte=2023-03-01", set()),
    ("quotes", "said_on__gt=2023-02-27&said_on__lt=2023-02-28", UNDATED_QUOTES),
    ("quotes", "said_on__gt=2023-02-28", set()),
    ("quotes", "said_on__gte=2023-02-28&said_on__lte=2023-02-28", ALL_QUOTES),
    ("quotes", "q=reticence", {"diplomat-reticence-not-to-provoke-russia"}),
    ("quotes", "q=TREAD", {"diplomat-tread-very-carefully"}),
    ("quotes", "q=partner", {"tokayev-reliable-partnerships-with-us"}),
    ("quotes", "q=zzzz", set()),
    # pledges
    ("pledges", "donor=the-west", {"western-weapons-for-ukraine"}),
    (
        "pledges",
        "recipient=kazakhstan",
        {
            "us-25m-central-asia-2022-09",
            "us-25m-central-asia-2023-02-28",
            "us-support-central-asian-sovereignty",
            "us-support-kazakhstan-self-determination",
        },
    ),
    (
        "pledges",
        "announced_by=antony-blinken",
        {
            "us-25m-central-asia-2023-02-28",
            "us-support-central-asian-sovereignty",
            "us-support-kazakhstan-self-determination",
        },
    ),
    (
        "pledges",
        "status=reaffirmed",
        {"us-support-central-asian-sovereignty", "us-support-kazakhstan-self-determination"},
    ),
    (
        "pledges",
        "status__in=new,reaffirmed",
        {
            "us-25m-central-asia-2023-02-28",
            "us-support-central-asian-sovereignty",
            "us-support-kazakhstan-self-determination",
        },
    ),
    ("pledges", "currency=USD", {"us-25m-central-asia-2022-09", "us-25m-central-asia-2023-02-28"}),
    ("pledges", "amount__gte=25000000", {"us-25m-central-asia-2022-09", "us-25m-central-asia-2023-02-28"}),
    ("pledges", "amount__gte=25000000.01", set()),
    ("pledges", "amount__lte=24999999", set()),
    (
        "pledges",
        "announced_on__lte=2022-12-31",
        {"us-25m-central-asia-2022-09", "western-weapons-for-ukraine"},
    ),
    (
        "pledges",
        "announced_on__gte=2022-09-30&announced_on__lte=2022-09-30",
        {"us-25m-central-asia-2022-09", "western-weapons-for-ukraine"},
    ),
    ("pledges", "q=migrant", {"us-25m-central-asia-2023-02-28"}),
    (
        "pledges",
        "amount__gt=24999999.99&amount__lt=25000000.01",
        {"us-25m-central-asia-2022-09", "us-25m-central-asia-2023-02-28"},
    ),
    ("pledges", "amount__gt=25000000", set()),
    ("pledges", "amount__lt=25000000", set()),
    ("pledges", "announced_on__lt=2022-09-01", {"western-weapons-for-ukraine"}),
    ("pledges", "announced_on__gt=2023-02-28", set()),
    # events
    (
        "events",
        "type=meeting",
        {
            "blinken-tokayev-meeting-2023-02-28",
            "c5-plus-1-ministerial-2023-02-28",
            "g20-foreign-ministers-new-delhi-2023-03",
        },
    ),
    (
        "events",
        "type__in=trip,visit",
        {
            "blinken-central-asia-trip-2023",
            "blinken-uzbekistan-visit-2023-03",
            "xi-central-asia-trip-2022-09",
        },
    ),
    ("events", "participant=sergei-lavrov", {"g20-foreign-ministers-new-delhi-2023-03"}),
    ("events", "location=astana", {"astana-news-conference-2023-02-28", "c5-plus-1-ministerial-2023-02-28"}),
    (
        "events",
        "status=planned",
        {"blinken-uzbekistan-visit-2023-03", "g20-foreign-ministers-new-delhi-2023-03"},
    ),
    (
        "events",
        "date__gte=2023-03-01",
        {
            "blinken-central-asia-trip-2023",
            "blinken-uzbekistan-visit-2023-03",
            "g20-foreign-ministers-new-delhi-2023-03",
        },
    ),
    (
        "events",
        "date__lte=2022-12-31",
        {
            "ebrd-study-eurasian-trade-flows",
            "russia-invasion-of-ukraine-2022",
            "us-central-asia-25m-announcement-2022-09",
            "us-cpc-sanctions-exemption",
            "western-sanctions-on-russia-2022",
            "xi-central-asia-trip-2022-09",
        },
    ),
    (
        "events",
        "date__gte=2023-02-24&date__lte=2023-02-24",
        {
            "ebrd-study-eurasian-trade-flows",
            "invasion-first-anniversary-2023-02-24",
            "us-cpc-sanctions-exemption",
            "western-sanctions-on-russia-2022",
        },
    ),
    ("events", "type=vote&status=occurred", {"unga-vote-es-11-6-2023-02-23"}),
    ("events", "date__gt=2023-03-01", {"g20-foreign-ministers-new-delhi-2023-03"}),
    (
        "events",
        "date__gt=2023-02-23&date__lt=2023-02-24",
        {"ebrd-study-eurasian-trade-flows", "us-cpc-sanctions-exemption", "western-sanctions-on-russia-2022"},
    ),
    # entities
    (
        "entities",
        "type=person",
        {
            "antony-blinken",
            "dmitry-peskov",
            "joe-biden",
            "kassym-jomart-tokayev",
            "sergei-lavrov",
            "unnamed-central-asian-diplomat",
            "vladimir-putin",
            "xi-jinping",
        },
    ),
    ("entities", "country_code=KZ", {"akorda", "astana", "kassym-jomart-tokayev", "kazakhstan"}),
    ("entities", "country_code__in=IN,CN", {"china", "new-delhi", "xi-jinping"}),
    (
        "entities",
        "type__in=place,group",
        {"akorda", "astana", "central-asia", "moscow", "new-delhi", "the-west", "us-officials"},
    ),
    ("entities", "q=kremlin", {"dmitry-peskov", "kremlin"}),
    ("entities", "q=Kazakh&type=country", {"kazakhstan"}),
    ("entities", "article=no-such-article", set()),
    # articles
    ("articles", "publisher=the-moscow-times", {ARTICLE_ID}),
    ("articles", "language=en", {ARTICLE_ID}),
    ("articles", "language=fr", set()),
    ("articles", "published_on__gte=2023-02-28&published_on__lte=2023-02-28", {ARTICLE_ID}),
    ("articles", "published_on__gte=2023-03-01", set()),
    ("articles", "published_on__gt=2023-02-27&published_on__lt=2023-03-01", {ARTICLE_ID}),
    ("articles", "published_on__lt=2023-02-28", set()),
    ("articles", "q=tokayev", {ARTICLE_ID}),
]


@pytest.mark.parametrize(("resource", "query", "expected"), CASES)
async def test_filter(client: httpx.AsyncClient, resource: str, query: str, expected: set[str]) -> None:
    response = await client.get(f"/v1/{resource}?{query}&limit=200&count=true")
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [item["id"] for item in body["data"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert body["total"] == len(expected)
    assert body["next_cursor"] is None


async def test_entities_in_article_are_the_ones_mentioned(client: httpx.AsyncClient) -> None:
    everything = (await client.get("/v1/entities?limit=200")).json()["data"]
    in_article = (await client.get(f"/v1/entities?limit=200&article={ARTICLE_ID}")).json()["data"]
    assert {e["id"] for e in in_article} == {e["id"] for e in everything if e["counts"]["mentions"] > 0}
