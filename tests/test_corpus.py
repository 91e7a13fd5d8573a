"""The labelled escalation corpus meets its data card: size, balance, hard cases, a clean split."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tracker.models import LABELS
from tracker.score.corpus import INSTRUMENTS, data_hash, load_corpus, near_duplicate_pairs, read_jsonl, split


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_size_and_balance(corpus):
    assert len(corpus) >= 2400
    assert min(Counter(e.level for e in corpus).values()) >= 500
    assert len(split(corpus, "test")) >= 400
    assert {e.split for e in corpus} == {"train", "validation", "test"}
    for name in ("train", "validation", "test"):
        assert set(Counter(e.level for e in split(corpus, name))) == {0, 1, 2, 3}
    assert len({e.id for e in corpus}) == len(corpus)


def test_labels_and_tags_follow_labels_md(corpus):
    assert all(e.label == LABELS[e.level] for e in corpus)
    assert all(set(e.instruments) <= set(INSTRUMENTS) for e in corpus)
    assert set(INSTRUMENTS) == {t for e in corpus for t in e.instruments}


def test_hard_boundaries_are_taught_at_every_level(corpus):
    phenomena = Counter((e.phenomenon, e.level) for e in corpus)
    for phenomenon in ("negation", "conditional", "keyword_trap", "describe_lever", "euphemism", "mixed"):
        assert sum(n for (p, _), n in phenomena.items() if p == phenomenon) >= 100, phenomenon
    trap = re.compile(r"\b(retaliat\w*|escalat\w*)\b", re.I)
    levels_with_trap_words = {e.level for e in corpus if trap.search(e.text)}
    assert levels_with_trap_words == {0, 1, 2, 3}
    hard = sum(e.phenomenon not in ("plain", "data") for e in corpus)
    assert hard / len(corpus) >= 0.35


def test_few_templates_and_varied_forms(corpus):
    assert sum(e.template for e in corpus) <= 0.05 * len(corpus)
    forms = Counter(e.form for e in corpus)
    assert set(forms) == {"quote", "reported", "speech"} and min(forms.values()) >= 500
    assert len({e.country for e in corpus}) >= 15


def test_no_near_duplicates_across_splits(corpus):
    texts = [e.text for e in corpus]
    held_out = [i for i, e in enumerate(corpus) if e.split != "train"]  # a crossing pair has a member here
    crossing = [(i, j, v) for i, j, v in near_duplicate_pairs(texts, among=held_out) if corpus[i].split != corpus[j].split]
    assert crossing == []


def test_near_duplicate_detection_finds_small_edits():
    texts = [
        "We will respond with countermeasures if Washington raises the tariffs again.",
        "We will respond with countermeasures if Washington raises its tariffs again.",
        "The central bank does not target the exchange rate.",
    ]
    assert [(i, j) for i, j, _ in near_duplicate_pairs(texts)] == [(0, 1)]
    assert [(i, j) for i, j, _ in near_duplicate_pairs(texts, among=[1])] == [(0, 1)]
    assert [(i, j) for i, j, _ in near_duplicate_pairs(texts, among=[2])] == []


def test_data_hash_is_stable(corpus):
    assert data_hash(corpus) == data_hash(list(reversed(corpus)))
    assert len(data_hash(corpus)) == 16


def test_labels_are_the_adjudicated_ones(corpus):
    """Every statement was labelled twice, the second time blind; the corpus holds the level both
    annotators gave or, where they differed, the adjudicator's (models/data/README.md)."""
    readings = {r["id"]: r for r in read_jsonl(Path(__file__).parents[1] / "models" / "data" / "second-annotation.jsonl")}
    assert sorted(readings) == sorted(e.id for e in corpus)
    for e in corpus:
        reading = readings[e.id]
        assert reading["split"] == e.split
        if reading["first"] == reading["second"]:
            assert e.level == reading["first"] and "adjudicated" not in reading, e.id
        else:
            assert e.level == reading["adjudicated"] and reading["why"], e.id
    agreement = sum(r["first"] == r["second"] for r in readings.values()) / len(readings)
    assert agreement > 0.9
