"""The officials registry: a data file (tracker/data/officials.yaml), extended by users' own files.

Each official has a canonical id, a full name, aliases and a list of roles with
tenure dates; the extractor links speakers to it and asks which role a person
held on the day an article was published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..text import fold
from .roles import descriptor_key

REQUIRED = ("id", "name", "country", "roles")


@dataclass(frozen=True)
class Role:
    role: str
    organisation: str | None
    start: date | None
    end: date | None
    titles: tuple[str, ...] = ()
    descriptors: tuple[str, ...] = ()

    def covers(self, day: date | None) -> bool:
        if day is None:
            return self.end is None
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Official:
    id: str
    name: str
    country: str
    aliases: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    family_name: str | None = None  # from the file; else derived from the name

    def role_at(self, day: date | None) -> Role | None:
        """The role held on `day` (the latest role when day is None and one is open)."""
        for role in sorted(self.roles, key=lambda r: r.start or date.min, reverse=True):
            if role.covers(day):
                return role
        return None

    @property
    def surname(self) -> str:
        """The family name wires use alone: given in the file, else by the naming order of the country."""
        if self.family_name:
            return self.family_name
        return family_name(self.name, self.country)


FAMILY_FIRST = {"CN", "KR", "TW", "HK", "VN"}
PARTICLES = {"von", "van", "der", "den", "de", "la", "del", "di", "da", "du", "le"}


def family_name(name: str, country: str | None) -> str:
    """'Lee Jae-myung' -> 'Lee'; 'Ursula von der Leyen' -> 'von der Leyen'; 'Scott Bessent' -> 'Bessent'."""
    words = name.split()
    if len(words) == 1:
        return name
    if country in FAMILY_FIRST:
        return words[0]
    for i, word in enumerate(words[1:], start=1):
        if word.casefold() in PARTICLES:
            return " ".join(words[i:])
    return words[-1]


def _date(value: Any, where: str) -> date | None:
    if value in (None, "", "null"):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as e:
        raise ConfigError(f"{where}: not an ISO date: {value!r}") from e


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v)


def parse_registry(data: Any, source: str) -> list[Official]:
    if not isinstance(data, dict) or not isinstance(data.get("officials"), list):
        raise ConfigError(f"{source}: expected a mapping with an 'officials:' list")
    officials = []
    for number, item in enumerate(data["officials"], start=1):
        where = f"{source}: official #{number}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be a mapping")
        missing = [key for key in REQUIRED if not item.get(key)]
        if missing:
            raise ConfigError(f"{where} ({item.get('id') or item.get('name') or '?'}): missing {', '.join(missing)}")
        roles = []
        for role in item["roles"]:
            if not isinstance(role, dict) or not role.get("role"):
                raise ConfigError(f"{where} ({item['id']}): every role needs a 'role'")
            roles.append(
                Role(
                    role=str(role["role"]),
                    organisation=role.get("organisation"),
                    start=_date(role.get("start"), f"{where} ({item['id']})"),
                    end=_date(role.get("end"), f"{where} ({item['id']})"),
                    titles=_strings(role.get("titles")),
                    descriptors=_strings(role.get("descriptors")),
                )
            )
        officials.append(
            Official(
                id=str(item["id"]),
                name=str(item["name"]),
                country=str(item["country"]).upper(),
                aliases=_strings(item.get("aliases")),
                roles=tuple(roles),
                family_name=item.get("surname"),
            )
        )
    return officials


@dataclass
class Registry:
    """Officials by id, with lookups by full name and by unambiguous alias."""

    officials: dict[str, Official] = field(default_factory=dict)
    _by_name: dict[str, Official] = field(default_factory=dict)
    _by_alias: dict[str, list[Official]] = field(default_factory=dict)

    def add(self, official: Official) -> None:
        """Add or replace (same id) an official; later files override earlier ones."""
        self.officials[official.id] = official
        self._index()

    def _index(self) -> None:
        self._by_name = {}
        self._by_alias = {}
        for official in self.officials.values():
            self._by_name[fold(official.name)] = official
            for alias in official.aliases:
                owners = self._by_alias.setdefault(fold(alias), [])
                if official not in owners:
                    owners.append(official)

    def by_name(self, text: str) -> Official | None:
        """The official whose full name, or whose only-one-owner alias, is `text`."""
        key = fold(text)
        if key in self._by_name:
            return self._by_name[key]
        owners = self._by_alias.get(key, [])
        return owners[0] if len(owners) == 1 else None

    def by_surname(self, surname: str) -> list[Official]:
        key = fold(surname)
        return [o for o in self.officials.values() if fold(o.surname) == key]

    def names_and_aliases(self) -> list[tuple[str, Official]]:
        """Every surface form the matcher should find: full names, and aliases with one owner."""
        forms = [(o.name, o) for o in self.officials.values()]
        for key, owners in self._by_alias.items():
            if len(owners) == 1:
                owner = owners[0]
                forms += [(alias, owner) for alias in owner.aliases if fold(alias) == key]
        return forms

    def with_descriptor(self, phrase: str, day: date | None) -> list[Official]:
        """Officials whose role on `day` a description names ("Japan's top currency diplomat").

        Compared as (country, words): "the European Union's trade chief" matches the
        descriptor "EU trade chief"; titles count as descriptions too.
        """
        country, rest = descriptor_key(phrase)
        found = []
        for official in self.officials.values():
            role = official.role_at(day)
            if role is None:
                continue
            for text in (*role.descriptors, *role.titles):
                d_country, d_rest = descriptor_key(text)
                if (
                    d_rest == rest
                    and (country is None or country == official.country)
                    and (d_country in (None, country) or country is None)
                ):
                    found.append(official)
                    break
        return found

    def __len__(self) -> int:
        return len(self.officials)


BUNDLED = "officials.yaml"


def bundled_registry_path() -> Path:
    return Path(str(resources.files("tracker") / "data" / BUNDLED))


def load_registry(extra: list[Path] | tuple[Path, ...] = ()) -> Registry:
    """The bundled registry, then each extra file in order (same id: the later entry wins)."""
    registry = Registry()
    for path in (bundled_registry_path(), *extra):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ConfigError(f"{path}: officials file not found") from e
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from e
        for official in parse_registry(data, str(path)):
            registry.officials[official.id] = official
    registry._index()
    return registry
