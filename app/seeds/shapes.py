"""The seed shapes curators write (format: ``seeds/README.md``), validated with ``extra="forbid"``."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.models import (
    MAX_LABEL_LENGTH,
    DatePrecision,
    EntityType,
    EventStatus,
    EventType,
    PledgeStatus,
    QuoteKind,
)

# --- Seed shapes (what curators write) ---------------------------------------------------------------------


NonBlank = Annotated[str, StringConstraints(pattern=r"\S")]
Label = Annotated[str, StringConstraints(pattern=r"\S", max_length=MAX_LABEL_LENGTH)]  # a name or title: a sort key


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RefIn(_Strict):
    text: str
    prefix: str = ""
    suffix: str = ""


Ref = str | RefIn


class DateIn(_Strict):
    # YAML reads an unquoted year (`value: 2022`) as a number; it is still the year.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    value: str | None = None
    precision: DatePrecision | None = None
    earliest: str | None = None
    latest: str | None = None
    text: Ref | None = None
    inferred: bool = False
    basis: str | None = None
    relative: str | None = None  # "later this year": value, bounds and basis from app.dates.relative's rules


class AffiliationIn(_Strict):
    role: str
    organization: str | None = None


class EntityIn(_Strict):
    id: str
    type: EntityType
    name: Label
    aliases: list[NonBlank] = []
    description: str
    country_code: str | None = None
    affiliations: list[AffiliationIn] = []


class MentionOverrideIn(_Strict):
    entity: str | None
    text: str
    prefix: str = ""
    suffix: str = ""


class PublisherIn(_Strict):
    entity: str
    text: Ref | None = None


class BodyIn(_Strict):
    start: Ref
    end: Ref


class ArticleIn(_Strict):
    id: str
    draft: bool = False  # written by `article-facts new`: a curator still has to review it
    sha256: str
    language: str
    url: str | None = None
    title: Ref
    publisher: PublisherIn
    published_on: DateIn
    body: BodyIn
    entities: list[dict[str, Any]] = []  # validated one by one as EntityIn, for their line numbers
    aliases: dict[str, list[NonBlank]] = {}  # entity id -> more aliases, matched in this article only
    mentions: list[MentionOverrideIn] = []


class QuoteIn(_Strict):
    id: str
    draft: bool = False
    speaker: str
    kind: QuoteKind
    text: Ref
    attribution: Ref | None = None
    said_on: DateIn
    event: str | None = None
    mentions: list[str] = []
    evidence: list[Ref] = []


class AmountIn(_Strict):
    text: Ref
    amount_minor: int = Field(ge=0, lt=2**63)  # a signed 64-bit column
    currency: str


class PledgeIn(_Strict):
    id: str
    draft: bool = False
    donor: str
    announced_by: str | None = None
    recipients: list[str] = []
    amount: AmountIn | None = None
    purpose: Ref | None = None
    initiatives: list[Ref] = []
    status: PledgeStatus
    announced_on: DateIn
    evidence: list[Ref] = []


class ParticipantIn(_Strict):
    entity: str
    role: str


class EventIn(_Strict):
    id: str
    draft: bool = False
    type: EventType
    title: Label
    description: str
    date: DateIn
    status: EventStatus
    location: str | None = None
    participants: list[ParticipantIn] = []
    evidence: list[Ref]
