"""The labelled escalation corpus: loading, checking, and the fixed train / validation / test split.

models/data/escalation.jsonl holds one statement per line with its level, label,
instruments and split. The split was drawn once (`build_corpus`), with near-
duplicates kept together in one split, and is never redrawn: the held-out test
split is never used for training, tuning or calibration.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..models import LABELS
from ..paths import models_dir

INSTRUMENTS = (
    "treasury_holdings", "tariffs", "currency", "export_controls", "sanctions",
    "critical_minerals", "market_access", "energy", "investment",
)
SPLITS = ("train", "validation", "test")
NEAR_DUPLICATE = 0.8  # cosine of character 4-gram TF-IDF vectors


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    level: int
    instruments: tuple[str, ...]
    split: str
    country: str | None = None
    form: str | None = None
    phenomenon: str | None = None
    template: bool = False
    group: str | None = None  # the contrastive set the statement was written in (`set`), if any

    @property
    def group_key(self) -> str:
        """What keeps a contrastive set together when the train split is halved (its `set`, else the id)."""
        return self.group or self.id

    @property
    def label(self) -> str:
        return LABELS[self.level]


def corpus_path() -> Path:
    return models_dir() / "data" / "escalation.jsonl"


def _example(row: dict, where: str) -> Example:
    try:
        level = int(row["level"])
        text = str(row["text"]).strip()
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(f"{where}: needs 'text' and an integer 'level'") from e
    if level not in range(4):
        raise ConfigError(f"{where}: level must be 0..3, got {level}")
    if "label" in row and row["label"] != LABELS[level]:
        raise ConfigError(f"{where}: label {row['label']!r} does not match level {level}")
    unknown = [t for t in row.get("instruments", []) if t not in INSTRUMENTS]
    if unknown:
        raise ConfigError(f"{where}: unknown instrument tags {unknown}")
    split = row.get("split", "train")
    if split not in SPLITS:
        raise ConfigError(f"{where}: split must be one of {', '.join(SPLITS)}")
    return Example(
        id=str(row.get("id") or hashlib.sha1(text.encode()).hexdigest()[:12]), text=text, level=level,
        instruments=tuple(row.get("instruments", [])), split=split, country=row.get("country"),
        form=row.get("form"), phenomenon=row.get("phenomenon"), template=bool(row.get("template", False)),
        group=row.get("set"),
    )


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: corpus not found") from e
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ConfigError(f"{path}:{number}: not valid JSON: {e.msg}") from e
    return rows


def load_corpus(path: Path | None = None) -> list[Example]:
    path = path or corpus_path()
    return [_example(row, f"{path}:{i}") for i, row in enumerate(read_jsonl(path), start=1)]


def split(examples: Iterable[Example], name: str) -> list[Example]:
    return [e for e in examples if e.split == name]


def data_hash(examples: Sequence[Example]) -> str:
    """A hash of the corpus as trained on (text, level, instruments, split), for the model card."""
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda e: e.id):
        digest.update(json.dumps([e.id, e.text, e.level, list(e.instruments), e.split]).encode())
    return digest.hexdigest()[:16]


def near_duplicate_pairs(
    texts: Sequence[str], threshold: float = NEAR_DUPLICATE, *, among: Sequence[int] | None = None
) -> list[tuple[int, int, float]]:
    """Index pairs (i < j) whose character 4-gram TF-IDF cosine reaches threshold.

    With `among`, only the pairs with at least one member in it: the held-out rows against the
    whole corpus is a fourteenth of the all-pairs product (the test that no near-duplicate
    crosses the splits took 30 seconds).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), lowercase=True).fit_transform(texts)
    rows = list(range(len(texts))) if among is None else sorted(set(among))
    similarity = (matrix[rows] @ matrix.T).tocoo()
    pairs: dict[tuple[int, int], float] = {}
    for r, j, v in zip(similarity.row, similarity.col, similarity.data, strict=True):
        i = rows[r]
        if i != j and v >= threshold:
            pairs.setdefault((min(i, int(j)), max(i, int(j))), float(v))
    return [(i, j, v) for (i, j), v in sorted(pairs.items())]


def build_corpus(rows: list[dict], seed: int = 20251125, shares: tuple[float, float] = (0.15, 0.15)) -> list[dict]:
    """Deduplicate exact copies, group near-duplicates, and draw a split stratified by level.

    Used once to write models/data/escalation.jsonl; the split is then fixed.
    """
    seen: set[str] = set()
    unique = []
    for row in rows:
        key = " ".join(row["text"].casefold().split())
        if key not in seen:
            seen.add(key)
            unique.append(row)
    parent = list(range(len(unique)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, _ in near_duplicate_pairs([r["text"] for r in unique]):
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(unique)):
        groups.setdefault(find(i), []).append(i)
    rng = random.Random(seed)
    by_level: dict[int, list[list[int]]] = {}
    for members in groups.values():
        level = Counter(int(unique[m]["level"]) for m in members).most_common(1)[0][0]
        by_level.setdefault(level, []).append(members)
    test_share, validation_share = shares
    for level in sorted(by_level):
        level_groups = by_level[level]
        rng.shuffle(level_groups)
        total = sum(len(g) for g in level_groups)
        placed = {"test": 0, "validation": 0}
        for members in level_groups:
            if placed["test"] < test_share * total:
                name = "test"
            elif placed["validation"] < validation_share * total:
                name = "validation"
            else:
                name = "train"
            if name in placed:
                placed[name] += len(members)
            for m in members:
                unique[m]["split"] = name
    for number, row in enumerate(unique, start=1):
        row["id"] = f"esc-{number:04d}"
        row["label"] = LABELS[int(row["level"])]
    return unique
