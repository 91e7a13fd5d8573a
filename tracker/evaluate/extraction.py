"""`tracker eval extraction`: statement precision, recall and F1 on the held-out gold articles.

A predicted statement matches a gold one when their spans overlap by at least
half of the longer of the two and the speaker is the same person (compared by
canonical name, accents and case folded). Speaker accuracy is measured on the
pairs whose spans match, whoever the speaker.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ConfigError
from ..extract.registry import fold
from ..models import ArticleInput, Statement

MARK = re.compile(
    r"⟦(?P<speaker>[^|⟧]+)\|(?P<official>official|nonofficial)\|(?P<kind>direct|reported|speech)⟧(?P<text>.*?)⟦/⟧"
)


@dataclass(frozen=True)
class GoldStatement:
    speaker: str
    official: bool
    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class GoldArticle:
    id: str
    split: str
    article: ArticleInput
    statements: tuple[GoldStatement, ...]


def strip_marks(marked: str) -> tuple[str, list[GoldStatement]]:
    """Clean text and the gold statements whose offsets point into it."""
    out: list[str] = []
    gold: list[GoldStatement] = []
    position = 0
    length = 0
    for match in MARK.finditer(marked):
        before = marked[position : match.start()]
        out.append(before)
        length += len(before)
        text = match.group("text")
        gold.append(
            GoldStatement(
                speaker=match.group("speaker").strip(),
                official=match.group("official") == "official",
                kind=match.group("kind"),
                start=length,
                end=length + len(text),
                text=text,
            )
        )
        out.append(text)
        length += len(text)
        position = match.end()
    out.append(marked[position:])
    clean = "".join(out)
    if "⟦" in clean or "⟧" in clean:
        raise ConfigError(
            "gold text has a malformed mark: " + clean[max(0, clean.find("⟦") - 40) : clean.find("⟦") + 40]
        )
    return clean, gold


def load_gold(folder: Path, split: str | None = None) -> list[GoldArticle]:
    if not folder.is_dir():
        raise ConfigError(f"{folder}: gold folder not found")
    articles = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if split is not None and data.get("split") != split:
            continue
        text, gold = strip_marks(str(data["text"]).strip("\n"))
        article = ArticleInput(
            text=text,
            id=str(data.get("id") or path.stem),
            title=data.get("title"),
            published=data.get("published"),
            feed_kind="speech" if data.get("kind") == "speech" else "news",
            author=data.get("author"),
        )
        articles.append(
            GoldArticle(
                id=article.id or path.stem, split=str(data.get("split")), article=article, statements=tuple(gold)
            )
        )
    return articles


def overlap_share(a_start: int, a_end: int, b_start: int, b_end: int) -> float:
    shared = min(a_end, b_end) - max(a_start, b_start)
    return max(0, shared) / max(1, max(a_end - a_start, b_end - b_start))


@dataclass
class ExtractionScores:
    gold: int = 0
    predicted: int = 0
    matched: int = 0  # span and speaker
    span_matched: int = 0  # span only
    speaker_correct: int = 0  # among span matches
    official_correct: int = 0  # among span matches
    kind_correct: int = 0  # among span matches
    recall_by_kind: Counter = field(default_factory=Counter)
    gold_by_kind: Counter = field(default_factory=Counter)
    misses: list[tuple[str, GoldStatement]] = field(default_factory=list)
    false_alarms: list[tuple[str, Statement]] = field(default_factory=list)
    wrong_speaker: list[tuple[str, GoldStatement, Statement]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_correct / self.span_matched if self.span_matched else 0.0

    @property
    def official_accuracy(self) -> float:
        return self.official_correct / self.span_matched if self.span_matched else 0.0


def score_article(
    scores: ExtractionScores,
    article_id: str,
    gold: list[GoldStatement],
    predicted: list[Statement],
    threshold: float = 0.5,
) -> None:
    scores.gold += len(gold)
    scores.predicted += len(predicted)
    for g in gold:
        scores.gold_by_kind[g.kind] += 1
    # span pairs, best overlap first, one-to-one
    pairs = sorted(
        (
            (overlap_share(g.start, g.end, p.start, p.end), gi, pi)
            for gi, g in enumerate(gold)
            for pi, p in enumerate(predicted)
        ),
        reverse=True,
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    matched_gold: set[int] = set()
    matched_pred: set[int] = set()
    for share, gi, pi in pairs:
        if share < threshold or gi in used_gold or pi in used_pred:
            continue
        used_gold.add(gi)
        used_pred.add(pi)
        g, p = gold[gi], predicted[pi]
        scores.span_matched += 1
        same = fold(g.speaker) == fold(p.speaker)
        scores.official_correct += g.official == p.official
        scores.kind_correct += g.kind == p.kind
        if same:
            scores.speaker_correct += 1
            scores.matched += 1
            scores.recall_by_kind[g.kind] += 1
            matched_gold.add(gi)
            matched_pred.add(pi)
        else:
            scores.wrong_speaker.append((article_id, g, p))
    scores.misses += [(article_id, g) for gi, g in enumerate(gold) if gi not in used_gold]
    scores.false_alarms += [(article_id, p) for pi, p in enumerate(predicted) if pi not in used_pred]


def evaluate_extraction(extractor, articles: list[GoldArticle]) -> ExtractionScores:
    scores = ExtractionScores()
    predictions = extractor.extract([a.article for a in articles])
    for article, predicted in zip(articles, predictions, strict=True):
        score_article(scores, article.id, list(article.statements), predicted)
    return scores


def report(scores: ExtractionScores, split: str, n_articles: int, verbose: bool = False) -> str:
    lines = [
        f"extraction on the {split} split: {n_articles} articles, {scores.gold} gold statements, {scores.predicted} predicted",
        f"  precision        {scores.precision:.3f}",
        f"  recall           {scores.recall:.3f}",
        f"  F1               {scores.f1:.3f}",
        f"  speaker accuracy {scores.speaker_accuracy:.3f}  (on {scores.span_matched} span matches)",
        f"  official flag    {scores.official_accuracy:.3f}",
        "  recall by kind   "
        + ", ".join(
            f"{kind} {scores.recall_by_kind[kind] / n:.3f} ({n})" for kind, n in sorted(scores.gold_by_kind.items())
        ),
    ]
    if verbose:
        lines.append("misses:")
        lines += [f"  {aid}: [{g.speaker}|{g.kind}] {g.text[:100]}" for aid, g in scores.misses]
        lines.append("false alarms:")
        lines += [f"  {aid}: [{p.speaker}|{p.kind}] {p.text[:100]}" for aid, p in scores.false_alarms]
        lines.append("wrong speaker:")
        lines += [
            f"  {aid}: gold {g.speaker} / predicted {p.speaker}: {g.text[:80]}" for aid, g, p in scores.wrong_speaker
        ]
    return "\n".join(lines)
