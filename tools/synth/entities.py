"""The entities the articles talk about: every country, then generated places, organizations, publishers,
groups and people (with aliases and affiliations), each with its Zipf-like share of the draws."""

import random
import unicodedata
from itertools import accumulate

import pycountry

from app.models import EntityType
from tools.synth.vocabulary import _SYLLABLES, FIRST_NAMES, LAST_NAMES, ORG_KINDS, PUBLISHER_KINDS, ROLES


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def _zipf_cum(n: int) -> list[float]:
    """Cumulative weights 1/rank, for ``random.choices``: the first few take a large share."""
    return list(accumulate(1 / rank for rank in range(1, n + 1)))


class _Entities:
    """The entities, drawn first from the seed (the articles draw from them after): ``_Generator``'s base."""

    def __init__(self, rng: random.Random, quotes: int) -> None:
        self.rng = rng
        self.quotes = quotes
        self.entities: dict[str, tuple[EntityType, str, str, str | None]] = {}  # id -> type, name, description, country
        self.aliases: list[tuple[str, str]] = []
        self.affiliations: list[tuple[str, str, str | None]] = []
        self._make_entities()

    # Entities --------------------------------------------------------------------------------------------------

    def _add_entity(self, type_: EntityType, name: str, description: str, country: str | None = None) -> str:
        base = entity_id = slug(name)
        n = 2
        while entity_id in self.entities:
            entity_id = f"{base}-{n}"
            n += 1
        self.entities[entity_id] = (type_, name, description, country)
        return entity_id

    def _make_entities(self) -> None:
        rng = self.rng
        self.countries = []
        for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
            name = getattr(country, "common_name", None) or country.name
            self.countries.append(self._add_entity("country", name, f"Country ({country.alpha_2}).", country.alpha_2))
        rng.shuffle(self.countries)  # which countries are in the news most is down to the seed
        country_codes = [self.entities[c][3] for c in self.countries]

        def pseudo_name() -> str:
            return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()

        self.places = [
            self._add_entity("place", pseudo_name() + rng.choice(("", " City", "abad", "grad")), "A city.")
            for _ in range(max(10, self.quotes // 2000))
        ]
        self.organizations = []
        for i in range(max(10, self.quotes // 1000)):
            code = country_codes[i % len(country_codes)]
            country_name = self.entities[self.countries[i % len(self.countries)]][1]
            kind = ORG_KINDS[i % len(ORG_KINDS)]
            self.organizations.append(
                self._add_entity("organization", f"{kind} of {country_name}", f"The {kind.lower()}.", code)
            )
        self.publishers = [
            self._add_entity(
                "organization", f"The {pseudo_name()} {rng.choice(PUBLISHER_KINDS)}", "A news publisher.", None
            )
            for _ in range(max(3, self.quotes // 20_000))
        ]
        self.groups = [
            self._add_entity("group", f"{pseudo_name()} Alliance", "A group of states.", None)
            for _ in range(max(3, self.quotes // 50_000))
        ]
        self.persons = []
        firsts, lasts = len(FIRST_NAMES), len(LAST_NAMES)
        for i in range(max(30, self.quotes // 40)):
            first, last = FIRST_NAMES[i % firsts], LAST_NAMES[(i + i // firsts) % lasts]  # all pairs, then initials
            middle = f" {chr(65 + (i // (firsts * lasts)) % 26)}." if i >= firsts * lasts else ""
            name = f"{first}{middle} {last}"
            role = ROLES[i % len(ROLES)]
            person = self._add_entity("person", name, f"A {role}.", rng.choice(country_codes))
            self.persons.append(person)
            self.aliases.append((person, last))
            if i % 2 == 0:
                self.affiliations.append((person, role, rng.choice(self.organizations)))
        rng.shuffle(self.persons)  # rank in the Zipf draw, not alphabetical order, makes a speaker busy
        self.person_cum = _zipf_cum(len(self.persons))
        self.named = self.countries[:60] + self.organizations[:200] + self.groups  # what quotes talk about
        self.named_cum = _zipf_cum(len(self.named))
        self.place_cum = _zipf_cum(len(self.places))
        self.country_cum = _zipf_cum(len(self.countries))

    def name(self, entity_id: str) -> str:
        return self.entities[entity_id][1]
