"""The officials registry: a data file users extend without touching code."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.errors import ConfigError
from tracker.extract.registry import family_name, load_registry, parse_registry
from tracker.text import fold

REQUIRED_COUNTRIES = {"US", "JP", "CN", "EU", "CA", "MX", "KR", "GB", "DE", "FR", "IN"}


def test_bundled_registry_is_complete_and_consistent():
    registry = load_registry()
    officials = list(registry.officials.values())
    assert len(officials) >= 60
    assert {o.country for o in officials} >= REQUIRED_COUNTRIES
    for o in officials:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", o.id), o.id
        assert o.name and o.roles and len(o.country) == 2
        for role in o.roles:
            assert role.role and (role.start is None or role.end is None or role.start <= role.end), o.id
    owners: dict[str, set[str]] = {}
    for o in officials:
        for alias in o.aliases:
            owners.setdefault(fold(alias), set()).add(o.id)
    assert not {a: ids for a, ids in owners.items() if len(ids) > 1}
    central_banks = [
        o
        for o in officials
        if any("bank" in (r.organisation or "").lower() or "reserve" in (r.organisation or "").lower() for r in o.roles)
    ]
    assert len(central_banks) >= 6


def test_lookups_by_name_alias_accents_and_tenure():
    registry = load_registry()
    assert registry.by_name("Kato").id == "katsunobu-kato"
    assert registry.by_name("Sefcovic").name == "Maroš Šefčovič"
    kato = registry.officials["katsunobu-kato"]
    assert kato.role_at(date(2025, 5, 9)).role == "Minister of Finance"
    assert kato.role_at(date(2026, 3, 1)) is None
    assert [o.id for o in registry.with_descriptor("Japan's finance minister", date(2025, 12, 1))] == [
        "satsuki-katayama"
    ]
    assert family_name("Lee Jae-myung", "KR") == "Lee"
    assert family_name("Ursula von der Leyen", "EU") == "von der Leyen"


def test_a_broken_registry_file_is_a_config_error():
    with pytest.raises(ConfigError, match="missing roles"):
        parse_registry({"officials": [{"id": "x", "name": "X Y", "country": "US"}]}, "mine.yaml")
    with pytest.raises(ConfigError, match="not an ISO date"):
        parse_registry(
            {"officials": [{"id": "x", "name": "X Y", "country": "US", "roles": [{"role": "r", "start": "May"}]}]}, "m"
        )


def test_users_extend_the_registry_with_their_own_file(workdir):
    (workdir / "my-officials.yaml").write_text(
        "officials:\n"
        "  - id: ana-ruiz\n"
        "    name: Ana Ruiz\n"
        "    aliases: [Ruiz]\n"
        "    country: CL\n"
        "    roles:\n"
        "      - role: Minister of Finance\n"
        "        organisation: Ministry of Finance of Chile\n"
        "        start: 2025-01-01\n"
        "        end: null\n",
        encoding="utf-8",
    )
    (workdir / "tracker.toml").write_text('[tracker]\nofficials = "my-officials.yaml"\n')
    article = {
        "text": '"Copper is not a weapon," Ana Ruiz said.\n"We trade with everyone," Ruiz added.',
        "published": "2025-06-01",
    }
    result = CliRunner().invoke(cli, ["extract"], input=json.dumps(article))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["speaker"], r["official_id"], r["official"], r["country"]) for r in rows] == [
        ("Ana Ruiz", "ana-ruiz", True, "CL")
    ] * 2
