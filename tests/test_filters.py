"""Every filter of every list, as a table: query string -> the exact set of ids it returns."""

from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

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

# The three small articles of the test corpus (tests/seeds/), written for the traps of a second publisher.
LATER_QUOTES = {  # all said in June to September 2023
    "lindqvist-clean-power",
    "lindqvist-review-every-six-months",
    "sadykova-algebra-before-twelve",
    "tanabe-trains-on-time",
}
UNDATED_LATER_QUOTE = "sadykova-algebra-before-twelve"  # no earliest day: it may have been said any time before
LATER_PLEDGES = {
    "eu-solar-kyrgyzstan-2023-06-14",  # EUR 12.5 million
    "japan-300m-yen-uzbekistan-rail",  # JPY 300 million
    "us-1-5m-kazakh-maths-fund",  # USD 1.5 million
    "us-2m-uzbekistan-signalling",  # USD 2 million, not dated: any day up to 2023-07-03
}
LATER_EVENTS = {
    "a-fund-first-grants-2023-10",
    "eu-kyrgyzstan-solar-signing-2023-06-14",
    "kazakh-maths-olympiad-2023-08",
    "tanabe-visit-tashkent-2023",
    "us-delegation-visits-kyrgyz-solar-sites",
}
LATER_ARTICLES = {
    "rz-2023-06-14-eu-solar-kyrgyzstan",
    "ss-2023-09-18-kazakh-maths-fund",
    "tl-2023-07-03-japan-uzbekistan-rail",
}

CASES = [
    # quotes
    ("quotes", "", ALL_QUOTES | LATER_QUOTES),
    ("quotes", f"article={ARTICLE_ID}", ALL_QUOTES),
    ("quotes", "speaker=united-kingdom", set()),  # an id that exists; one that does not is a 400 (test_errors.py)
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
            "lindqvist-clean-power",
            "sadykova-algebra-before-twelve",
            "tanabe-trains-on-time",
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
    ("quotes", "said_on__lte=2023-02-27", UNDATED_QUOTES | {UNDATED_LATER_QUOTE}),
    ("quotes", "said_on__gte=2023-02-28", ALL_QUOTES | LATER_QUOTES),
    ("quotes", "said_on__gte=2023-03-01", LATER_QUOTES),
    ("quotes", "said_on__gt=2023-02-27&said_on__lt=2023-02-28", UNDATED_QUOTES | {UNDATED_LATER_QUOTE}),
    ("quotes", "said_on__gt=2023-02-28", LATER_QUOTES),
    ("quotes", "said_on__gte=2023-02-28&said_on__lte=2023-02-28", ALL_QUOTES | {UNDATED_LATER_QUOTE}),
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
            *LATER_PLEDGES,
        },
    ),
    (
        "pledges",
        "currency=USD",
        {
            "us-25m-central-asia-2022-09",
            "us-25m-central-asia-2023-02-28",
            "us-1-5m-kazakh-maths-fund",
            "us-2m-uzbekistan-signalling",
        },
    ),
    # Amounts compare within one currency (a bound without `currency` is a 400, tests/test_errors.py) ...
    ("pledges", "currency=USD&amount__gte=25000000", {"us-25m-central-asia-2022-09", "us-25m-central-asia-2023-02-28"}),
    ("pledges", "currency=USD&amount__gte=25000000.01", set()),
    ("pledges", "currency=USD&amount__lte=24999999", {"us-1-5m-kazakh-maths-fund", "us-2m-uzbekistan-signalling"}),
    ("pledges", "currency=JPY&amount__gte=25000000", {"japan-300m-yen-uzbekistan-rail"}),
    # ... and across currencies by what they were worth in US dollars when announced: 300 million yen was
    # USD 2,071,921.93 (2023-07-03), 12.5 million euros USD 13,511,250 (2023-06-14).
    (
        "pledges",
        "usd__gte=10000000",
        {"us-25m-central-asia-2022-09", "us-25m-central-asia-2023-02-28", "eu-solar-kyrgyzstan-2023-06-14"},
    ),
    ("pledges", "usd__gt=2000000&usd__lt=3000000", {"japan-300m-yen-uzbekistan-rail"}),
    ("pledges", "usd__lte=2000000", {"us-1-5m-kazakh-maths-fund", "us-2m-uzbekistan-signalling"}),
    (
        "pledges",
        "announced_on__lte=2022-12-31",
        {"us-25m-central-asia-2022-09", "western-weapons-for-ukraine", "us-2m-uzbekistan-signalling"},
    ),
    (
        "pledges",
        "announced_on__gte=2022-09-30&announced_on__lte=2022-09-30",
        {"us-25m-central-asia-2022-09", "western-weapons-for-ukraine", "us-2m-uzbekistan-signalling"},
    ),
    ("pledges", "q=migrant", {"us-25m-central-asia-2023-02-28"}),
    (
        "pledges",
        "currency=USD&amount__gt=24999999.99&amount__lt=25000000.01",
        {"us-25m-central-asia-2022-09", "us-25m-central-asia-2023-02-28"},
    ),
    ("pledges", "currency=USD&amount__gt=25000000", set()),
    ("pledges", "currency=EUR&amount__lt=25000000", {"eu-solar-kyrgyzstan-2023-06-14"}),
    ("pledges", "announced_on__lt=2022-09-01", {"western-weapons-for-ukraine", "us-2m-uzbekistan-signalling"}),
    ("pledges", "announced_on__gt=2023-02-28", LATER_PLEDGES),
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
            "tanabe-visit-tashkent-2023",
            "us-delegation-visits-kyrgyz-solar-sites",
        },
    ),
    ("events", "participant=sergei-lavrov", {"g20-foreign-ministers-new-delhi-2023-03"}),
    ("events", "location=astana", {"astana-news-conference-2023-02-28", "c5-plus-1-ministerial-2023-02-28"}),
    (
        "events",
        "status=planned",
        {
            "blinken-uzbekistan-visit-2023-03",
            "g20-foreign-ministers-new-delhi-2023-03",
            "a-fund-first-grants-2023-10",
            "tanabe-visit-tashkent-2023",
        },
    ),
    (
        "events",
        "date__gte=2023-03-01",
        {
            "blinken-central-asia-trip-2023",
            "blinken-uzbekistan-visit-2023-03",
            "g20-foreign-ministers-new-delhi-2023-03",
            *LATER_EVENTS,
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
    ("events", "date__gt=2023-03-01", {"g20-foreign-ministers-new-delhi-2023-03", *LATER_EVENTS}),
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
            "aigerim-sadykova",
            "hiroshi-tanabe",
            "marta-lindqvist",
        },
    ),
    (
        "entities",
        "country_code=KZ",
        {
            "akorda",
            "astana",
            "kassym-jomart-tokayev",
            "kazakhstan",
            "a-fund",
            "aigerim-sadykova",
            "steppe-science-review",
        },
    ),
    ("entities", "country_code__in=IN,CN", {"china", "new-delhi", "xi-jinping"}),
    (
        "entities",
        "type__in=place,group",
        {"akorda", "astana", "central-asia", "moscow", "new-delhi", "the-west", "us-officials"},
    ),
    ("entities", "q=kremlin", {"dmitry-peskov", "kremlin"}),
    ("entities", "q=Kazakh&type=country", {"kazakhstan"}),
    ("entities", f"article={ARTICLE_ID}&type=person&country_code=JP", set()),
    # articles
    ("articles", "publisher=the-moscow-times", {ARTICLE_ID}),
    ("articles", "language=en", {ARTICLE_ID, *LATER_ARTICLES}),
    ("articles", "language=fr", set()),
    ("articles", "published_on__gte=2023-02-28&published_on__lte=2023-02-28", {ARTICLE_ID}),
    ("articles", "published_on__gte=2023-03-01", LATER_ARTICLES),
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
    entities = (await client.get("/v1/entities?limit=200")).json()["data"]
    mentioned_in: dict[str, set[str]] = {}
    for entity in entities:
        detail = (await client.get(entity["url"])).json()
        for mention in detail["mentions"]:
            mentioned_in.setdefault(mention["article"], set()).add(entity["id"])
    articles = (await client.get("/v1/articles?limit=200")).json()["data"]
    assert len(articles) > 1
    for article in articles:
        listed = (await client.get(f"/v1/entities?limit=200&article={article['id']}")).json()["data"]
        assert {e["id"] for e in listed} == mentioned_in[article["id"]], article["id"]


DATED = {"articles": "published_on", "quotes": "said_on", "pledges": "announced_on", "events": "date"}


async def test_each_kind_stores_its_longest_date_range(client: httpx.AsyncClient, app: FastAPI) -> None:
    """What lets ``said_on__gte`` seek the sort index (params.LaterEnd) is the longest range of each kind with a
    known first day: a shorter one would lose the facts dated by a wider range (the undated quotes above span a
    year). The open-started ones (no earliest day) are found apart, and do not count: theirs reach back to year 1.
    """
    with app.state.database.engine().connect() as connection:
        stored = dict(connection.execute(text("SELECT name, days FROM date_span")).all())
    expected = {}
    for name, field in DATED.items():
        items = (await client.get(f"/v1/{name}?limit=200")).json()["data"]
        # An unbounded later end (null) is stored as 9999-12-31.
        ranges = [(i[field]["earliest"], i[field]["latest"] or "9999-12-31") for i in items if i[field]["earliest"]]
        spans = [date.fromisoformat(latest) - date.fromisoformat(earliest) for earliest, latest in ranges]
        expected[f"{name.removesuffix('s')}.{field}"] = max((span.days for span in spans), default=0)
    assert stored == expected
    assert expected["quote.said_on"] > 300
    assert any(
        item["said_on"]["earliest"] is None for item in (await client.get("/v1/quotes?limit=200")).json()["data"]
    )
