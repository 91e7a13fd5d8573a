"""The spaCy extractor: quotes, reported speech, speakers, officials, speech items."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.extract.pipeline import SpacyExtractor
from tracker.models import ArticleInput

DAY = "2025-05-09T06:00:00Z"


@pytest.fixture(scope="module")
def extractor() -> SpacyExtractor:
    return SpacyExtractor()


def run(extractor, text, **fields):
    fields.setdefault("published", DAY)
    statements = extractor.extract([ArticleInput(text=text, **fields)])[0]
    for s in statements:
        assert text[s.start : s.end] == s.text
    return [(s.speaker, s.kind, s.text) for s in statements], statements


@pytest.mark.parametrize(
    "text, expected",
    [
        ('"We are ready to talk," Katsunobu Kato said.', [("Katsunobu Kato", "direct", "We are ready to talk,")]),
        (
            "“We are ready to talk,” said Katsunobu Kato, the finance minister.",
            [("Katsunobu Kato", "direct", "We are ready to talk,")],
        ),
        ('Scott Bessent said: "Japan is a close ally."', [("Scott Bessent", "direct", "Japan is a close ally.")]),
        ('Scott Bessent said "Japan is a close ally."', [("Scott Bessent", "direct", "Japan is a close ally.")]),
        (
            '"We will not be rushed," Mark Carney said, "and we will not be pushed around."',
            [
                ("Mark Carney", "direct", "We will not be rushed,"),
                ("Mark Carney", "direct", "and we will not be pushed around."),
            ],
        ),
        (
            "\"It's Japan's call, and we don't comment,\" Katsunobu Kato said.",
            [("Katsunobu Kato", "direct", "It's Japan's call, and we don't comment,")],
        ),
    ],
)
def test_direct_quote_patterns(extractor, text, expected):
    assert run(extractor, text)[0] == expected


def test_floating_follow_on_and_multi_paragraph_quotes(extractor):
    text = (
        "“Our holdings are a card,” Katsunobu Kato said on Friday.\n"
        "“We would rather not play it.”\n"
        "Markets fell.\n"
        "“This is the first part of a long answer.\n"
        "“And this is the second part,” Scott Bessent said."
    )
    found, _ = run(extractor, text)
    assert found == [
        ("Katsunobu Kato", "direct", "Our holdings are a card,"),
        ("Katsunobu Kato", "direct", "We would rather not play it."),
        ("Scott Bessent", "direct", "This is the first part of a long answer."),
        ("Scott Bessent", "direct", "And this is the second part,"),
    ]


@pytest.mark.parametrize(
    "sentence, speaker, clause",
    [
        ("Katsunobu Kato said that Tokyo would respond calmly.", "Katsunobu Kato", "Tokyo would respond calmly"),
        ("Katsunobu Kato said Tokyo would respond calmly.", "Katsunobu Kato", "Tokyo would respond calmly"),
        ("Scott Bessent warned that tariffs could rise further.", "Scott Bessent", "tariffs could rise further"),
        ("Scott Bessent told reporters the talks were going well.", "Scott Bessent", "the talks were going well"),
        ("According to Scott Bessent, the talks were going well.", "Scott Bessent", "the talks were going well"),
        (
            "Mark Carney acknowledged that the negotiations would take months.",
            "Mark Carney",
            "the negotiations would take months",
        ),
        (
            "Jerome Powell signalled that the central bank was in no hurry to move.",
            "Jerome Powell",
            "the central bank was in no hurry to move",
        ),
        (
            "Mark Carney insisted that Canada would keep its countermeasures.",
            "Mark Carney",
            "Canada would keep its countermeasures",
        ),
        ("Mark Carney vowed that Canada would defend its workers.", "Mark Carney", "Canada would defend its workers"),
        ("Piyush Goyal pledged that exporters would get support.", "Piyush Goyal", "exporters would get support"),
        (
            "Kazuo Ueda reiterated that policy would stay accommodative.",
            "Kazuo Ueda",
            "policy would stay accommodative",
        ),
        (
            "Christine Lagarde cautioned that tariffs would weigh on growth.",
            "Christine Lagarde",
            "tariffs would weigh on growth",
        ),
        ("Rachel Reeves stressed that Britain wanted open markets.", "Rachel Reeves", "Britain wanted open markets"),
        (
            "Tokyo would respond calmly to any move, Katsunobu Kato said.",
            "Katsunobu Kato",
            "Tokyo would respond calmly to any move",
        ),
        ("He Lifeng urged Washington to drop the tariffs.", "He Lifeng", "Washington to drop the tariffs"),
    ],
)
def test_reported_speech(extractor, sentence, speaker, clause):
    found, statements = run(extractor, sentence)
    assert found == [(speaker, "reported", clause)]
    assert statements[0].official


def test_reported_clause_stops_before_the_journalists_frame(extractor):
    found, _ = run(extractor, "Katsunobu Kato said Tokyo would not rush into a deal, as the yen held steady.")
    assert found == [("Katsunobu Kato", "reported", "Tokyo would not rush into a deal")]


@pytest.mark.parametrize(
    "text",
    [
        'Canadian goods were spared from the so-called "reciprocal" tariffs on Tuesday.',
        'The ministry published a report titled "Trade in Turbulent Times" on Monday.',
        'Officials have used the word "urgency" for months.',
        'Traders called it a "Sell America" moment as the dollar slid.',
        "The so-called “reciprocal tariffs, which took effect in April, still stand.",
    ],
)
def test_scare_quotes_titles_and_terms_are_not_statements(extractor, text):
    assert run(extractor, text)[0] == []


def test_speakers_through_appositives_relatives_titles_pronouns_and_descriptions(extractor):
    text = (
        "TOKYO, May 9 - Japan's finance minister said on Friday that the holdings were a card Tokyo could play.\n"
        "Katsunobu Kato, who met Scott Bessent last month, said the remarks were not a threat.\n"
        '"We are watching markets closely," he said.\n'
        "Treasury Secretary Scott Bessent told reporters that Washington was not worried.\n"
        '"Japan is a friend," the Treasury chief added.\n'
        "Japan's top currency diplomat said the yen moves were too rapid.\n"
        '"Tokyo will not sell," said Mina Kurosawa, chief strategist at Harbor Securities.\n'
        '"The market knows it," she said.'
    )
    found, statements = run(extractor, text)
    assert [(speaker, kind) for speaker, kind, _ in found] == [
        ("Katsunobu Kato", "reported"),
        ("Katsunobu Kato", "reported"),
        ("Katsunobu Kato", "direct"),
        ("Scott Bessent", "reported"),
        ("Scott Bessent", "direct"),
        ("Atsushi Mimura", "reported"),
        ("Mina Kurosawa", "direct"),
        ("Mina Kurosawa", "direct"),
    ]
    by_speaker = {s.speaker: s for s in statements}
    kato = by_speaker["Katsunobu Kato"]
    assert (kato.official, kato.official_id, kato.country, kato.role) == (
        True,
        "katsunobu-kato",
        "JP",
        "Minister of Finance",
    )
    assert by_speaker["Mina Kurosawa"].official is False and by_speaker["Mina Kurosawa"].official_id is None


def test_tenure_decides_who_holds_an_office(extractor):
    text = "Japan's finance minister said on Tuesday that Tokyo would watch the yen closely."
    assert run(extractor, text, published="2025-05-06T00:00:00Z")[0][0][0] == "Katsunobu Kato"
    assert run(extractor, text, published="2025-12-02T00:00:00Z")[0][0][0] == "Satsuki Katayama"


def test_officials_outside_the_registry_and_analysts(extractor):
    text = (
        "Deputy Finance Minister Jane Doe said the ministry would respond calmly.\n"
        '"Volatility will stay high," said Omar Haddad, an economist at Cedar Capital.\n'
        '"We are not going anywhere," said Lena Park, chief executive of Park Robotics.\n'
        "Former trade minister Tom Hale said the deal was weak."
    )
    _, statements = run(extractor, text)
    flags = {s.speaker: (s.official, s.role) for s in statements}
    assert flags["Jane Doe"] == (True, "Deputy Finance Minister")
    assert flags["Omar Haddad"][0] is False and "economist" in flags["Omar Haddad"][1]
    assert flags["Lena Park"][0] is False
    assert flags["Tom Hale"][0] is False


def test_anonymous_and_institutional_speakers_give_no_statement(extractor):
    text = (
        "A senior official said the talks would resume next week.\n"
        "China's commerce ministry said it would take firm countermeasures.\n"
        "Beijing said the tariffs were unacceptable."
    )
    assert run(extractor, text)[0] == []


def test_speech_item_with_turn_labels_drops_questions(extractor):
    text = (
        "Minister Kato: Good morning. I have one announcement today.\n"
        "Q: Will Japan sell its Treasury holdings?\n"
        "Minister Kato: We have no intention of doing so. Our holdings are managed for liquidity.\n"
        "Reporter (Nikkei): And the yen?\n"
        "Minister Kato: I will refrain from commenting on levels."
    )
    found, statements = run(
        extractor,
        text,
        feed_kind="speech",
        author="Ministry of Finance, Japan",
        title="Press conference by Finance Minister Katsunobu Kato",
    )
    assert {speaker for speaker, _, _ in found} == {"Katsunobu Kato"}
    texts = [t for _, _, t in found]
    assert "We have no intention of doing so." in texts and "I will refrain from commenting on levels." in texts
    assert not any("Treasury holdings?" in t or "yen?" in t for t in texts)
    assert all(s.kind == "speech" and s.official for s in statements)


def test_speech_item_attributed_by_author_or_title(extractor):
    text = "Thank you all for coming. Tariffs are a tool, and we will use them when needed.\n(Applause)"
    by_author, _ = run(extractor, text, feed_kind="speech", author="Jamieson Greer")
    by_title, _ = run(
        extractor, text, feed_kind="speech", title="Remarks by Treasury Secretary Scott Bessent at the Economic Club"
    )
    assert [s for s, _, _ in by_author] == ["Jamieson Greer", "Jamieson Greer"]
    assert [s for s, _, _ in by_title] == ["Scott Bessent", "Scott Bessent"]
    assert all("Applause" not in t for _, _, t in by_author)


def test_unbalanced_quote_marks_never_crash_and_spans_stay_exact(extractor):
    rng = random.Random(7)
    pieces = [
        '"',
        "“",
        "”",
        "'",
        "’",
        "Kato said",
        " we will respond",
        ", ",
        ". ",
        "\n",
        "Bessent told reporters that",
        " the yen",
        " so-called ",
        "“Yes,” he said. ",
        '"No',
        "Q: ",
        "Minister Kato: ",
    ]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(150)]
    articles = [ArticleInput(text=t, published=DAY, feed_kind=rng.choice(["news", "speech"])) for t in texts]
    for text, statements in zip(texts, extractor.extract(articles), strict=True):
        for s in statements:
            assert text[s.start : s.end] == s.text and s.start < s.end


def test_extract_command_gives_the_contract_json(workdir):
    text = (
        "TOKYO, May 9 - “Our holdings are one of our cards,” Finance Minister Katsunobu Kato said on Friday.\n"
        "“We will consider every option,” he added.\n"
        '"It is a warning shot," said Mina Kurosawa, chief FX strategist at Harbor Securities.'
    )
    result = CliRunner().invoke(cli, ["extract"], input=json.dumps({"id": "a1", "text": text, "published": DAY}) + "\n")
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["speaker"], r["official"], r["official_id"], r["kind"]) for r in rows] == [
        ("Katsunobu Kato", True, "katsunobu-kato", "direct"),
        ("Katsunobu Kato", True, "katsunobu-kato", "direct"),
        ("Mina Kurosawa", False, None, "direct"),
    ]
    assert all(text[r["start"] : r["end"]] == r["text"] and r["article_id"] == "a1" for r in rows)
    assert rows[0]["role"] == "Minister of Finance" and rows[0]["country"] == "JP"
