"""`tracker eval`: the classifier's held-out metrics, beside the TF-IDF baseline's, and the instrument tags'.

Everything here reads the test split only; nothing is fitted on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..models import LABELS
from ..score.corpus import INSTRUMENTS, Example
from ..score.probabilities import ESCALATION_WEIGHTS, log_loss, softmax


@dataclass(frozen=True)
class MarginInterval:
    """A model's macro-F1 minus the baseline's on the same statements, with a paired bootstrap interval.

    Why: on 467 statements a macro-F1 moves by about 1.5 points with the sample, so a margin read
    as one number says more than it knows (validation and test, drawn alike, gave 9.6 and 4.3).
    """

    margin: float
    low: float
    high: float
    resamples: int


@dataclass
class ClassifierMetrics:
    name: str
    macro_f1: float
    precision: list[float]
    recall: list[float]
    confusion: list[list[int]]
    macro_mae: float
    spearman: float
    ece: float
    ece_uncalibrated: float | None = None
    log_loss: float = 0.0
    log_loss_uncalibrated: float | None = None
    extra: dict = field(default_factory=dict)
    predictions: tuple[int, ...] = ()  # the level predicted for each test statement, in order
    margin: MarginInterval | None = None  # macro-F1 above the TF-IDF baseline's, when measured


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE: |accuracy - confidence| averaged over equal-width confidence bins, weighted by size."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def macro_mae(labels: np.ndarray, predictions: np.ndarray) -> float:
    """Mean absolute error of the level, averaged over the gold classes (so each level counts the same)."""
    errors = [np.abs(predictions[labels == k] - k).mean() for k in range(len(LABELS)) if (labels == k).any()]
    return float(np.mean(errors))


def _macro_f1_rows(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Macro-F1 of each row of (resamples, statements) arrays, over every level (an absent one scores 0),
    as scikit-learn's f1_score(average="macro", labels=all levels, zero_division=0) computes it."""
    scores = np.zeros(labels.shape[0])
    for k in range(len(LABELS)):
        gold, predicted = labels == k, predictions == k
        tp = (gold & predicted).sum(axis=1)
        wrong = (gold ^ predicted).sum(axis=1)  # false positives plus false negatives
        denominator = 2 * tp + wrong
        scores += np.divide(2 * tp, denominator, out=np.zeros(len(scores)), where=denominator > 0)
    return scores / len(LABELS)


def margin_interval(
    labels: np.ndarray, predictions: np.ndarray, baseline: np.ndarray, *, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> MarginInterval:
    """Macro-F1 of `predictions` minus that of `baseline`, with the percentile interval of the difference
    over `resamples` resamplings of the statements (the same draw for both: a paired bootstrap)."""
    labels, predictions, baseline = (np.asarray(a) for a in (labels, predictions, baseline))
    if not len(labels) == len(predictions) == len(baseline) or not len(labels):
        raise ValueError("labels and both predictions need the same, non-zero length")
    margin = float(_macro_f1_rows(labels[None], predictions[None])[0] - _macro_f1_rows(labels[None], baseline[None])[0])
    draws = np.random.default_rng(seed).integers(0, len(labels), size=(resamples, len(labels)))
    differences = _macro_f1_rows(labels[draws], predictions[draws]) - _macro_f1_rows(labels[draws], baseline[draws])
    low, high = np.quantile(differences, [(1 - level) / 2, (1 + level) / 2])
    return MarginInterval(margin=margin, low=float(low), high=float(high), resamples=resamples)


def classifier_metrics(name: str, labels: np.ndarray, probs: np.ndarray, uncalibrated: np.ndarray | None = None) -> ClassifierMetrics:
    from scipy.stats import spearmanr
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    predictions = probs.argmax(axis=1)
    precision, recall, _, _ = precision_recall_fscore_support(labels, predictions, labels=list(range(len(LABELS))), zero_division=0)
    escalation = probs @ ESCALATION_WEIGHTS
    return ClassifierMetrics(
        name=name,
        macro_f1=float(f1_score(labels, predictions, average="macro", labels=list(range(len(LABELS))), zero_division=0)),
        precision=[float(p) for p in precision],
        recall=[float(r) for r in recall],
        confusion=confusion_matrix(labels, predictions, labels=list(range(len(LABELS)))).tolist(),
        macro_mae=macro_mae(labels, predictions),
        spearman=float(spearmanr(escalation, labels).statistic),
        ece=expected_calibration_error(probs, labels),
        ece_uncalibrated=None if uncalibrated is None else expected_calibration_error(uncalibrated, labels),
        log_loss=log_loss(probs, labels),
        log_loss_uncalibrated=None if uncalibrated is None else log_loss(uncalibrated, labels),
        predictions=tuple(int(p) for p in predictions),
    )


@dataclass
class TagMetrics:
    precision: float
    recall: float
    per_tag: dict[str, tuple[float, float, int]]

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / (self.precision + self.recall) if self.precision + self.recall else 0.0


def instrument_metrics(examples: Sequence[Example], predicted: Sequence[Sequence[str]]) -> TagMetrics:
    tp = fp = fn = 0
    per_tag = {}
    for tag in INSTRUMENTS:
        t_tp = t_fp = t_fn = 0
        for example, tags in zip(examples, predicted, strict=True):
            gold, pred = tag in example.instruments, tag in tags
            t_tp += gold and pred
            t_fp += pred and not gold
            t_fn += gold and not pred
        per_tag[tag] = (t_tp / max(1, t_tp + t_fp), t_tp / max(1, t_tp + t_fn), t_tp + t_fn)
        tp, fp, fn = tp + t_tp, fp + t_fp, fn + t_fn
    return TagMetrics(precision=tp / max(1, tp + fp), recall=tp / max(1, tp + fn), per_tag=per_tag)


def report(models: Sequence[ClassifierMetrics], tags: Sequence[tuple[str, TagMetrics]], n: int) -> str:
    width = max(len(m.name) for m in models) + 2
    lines = [f"escalation classifier on the held-out test split ({n} statements)", ""]
    header = "".ljust(30) + "".join(m.name.rjust(width + 4) for m in models)
    lines.append(header)

    def row(label: str, values: Sequence[str]) -> None:
        lines.append(label.ljust(30) + "".join(v.rjust(width + 4) for v in values))

    row("macro-F1", [f"{m.macro_f1:.3f}" for m in models])
    if any(m.margin for m in models):
        row("  points above TF-IDF", [f"{100 * m.margin.margin:.1f}" if m.margin else "-" for m in models])
        row("  95 % interval", [f"{100 * m.margin.low:.1f} to {100 * m.margin.high:.1f}" if m.margin else "-" for m in models])
    for k, label in enumerate(LABELS):
        row(f"  {label} precision / recall", [f"{m.precision[k]:.2f} / {m.recall[k]:.2f}" for m in models])
    row("macro MAE of the level", [f"{m.macro_mae:.3f}" for m in models])
    row("Spearman(escalation, level)", [f"{m.spearman:.3f}" for m in models])
    row("ECE before scaling", [f"{m.ece_uncalibrated:.3f}" if m.ece_uncalibrated is not None else "-" for m in models])
    row("ECE (as used)", [f"{m.ece:.3f}" for m in models])
    row("log-loss before scaling", [f"{m.log_loss_uncalibrated:.3f}" if m.log_loss_uncalibrated is not None else "-" for m in models])
    row("log-loss (as used)", [f"{m.log_loss:.3f}" for m in models])
    resamples = next((m.margin.resamples for m in models if m.margin), None)
    if resamples:
        lines += ["", f"(points above TF-IDF: the difference of macro-F1; its interval from {resamples:,} paired bootstrap resamplings of the statements)"]
    for m in models:
        lines += ["", f"confusion matrix, {m.name} (rows gold, columns predicted: {', '.join(LABELS)})"]
        lines += ["  " + " ".join(f"{v:5d}" for v in r) + f"   {LABELS[i]}" for i, r in enumerate(m.confusion)]
    for name, metrics in tags:
        lines += ["", f"instrument tags ({name}): precision {metrics.precision:.3f}, recall {metrics.recall:.3f}"]
        for tag, (p, r, support) in metrics.per_tag.items():
            lines.append(f"  {tag:18} precision {p:.2f}  recall {r:.2f}  ({support} gold)")
    return "\n".join(lines)


def evaluate_classifier() -> tuple[list[ClassifierMetrics], list[tuple[str, TagMetrics]], int]:
    """Held-out metrics of the scorer in float32, bfloat16 (what 'auto' scores with where the CPU has it)
    and int8, of its transformer alone (no lexical model mixed in), and of the TF-IDF baseline; and of
    the scorer's instrument tags (first), beside the lexicon's alone when the scorer has the learned tagger."""
    from ..score.baseline import TfidfBaseline
    from ..score.corpus import load_corpus, split
    from ..score.instruments import InstrumentTagger
    from ..score.model import TransformerScorer, ensure_model

    examples = load_corpus()
    test = split(examples, "test")
    labels = np.array([e.level for e in test])
    texts = [e.text for e in test]
    folder = ensure_model()
    results, alone = [], None
    for precision, quantize in (("float32", False), ("bfloat16", False), ("float32", True)):
        scorer = TransformerScorer(folder, quantize=quantize, precision=precision)
        logits = scorer.logits(texts)
        results.append(classifier_metrics(scorer.name, labels, softmax(logits, scorer.temperature), uncalibrated=softmax(logits, 1.0)))
        if alone is None and scorer.lexical is not None:  # the float32 transformer without the lexical model, to show what each brings
            transformer = scorer.transformer_logits(texts)
            alone = classifier_metrics(f"{scorer.name}-alone", labels, softmax(transformer, scorer.transformer_temperature),
                                       uncalibrated=softmax(transformer, 1.0))
    if alone is not None:
        results.append(alone)
    # Fitted afresh, not reused from the lexical model mixed into the scorer: the baseline searches a wider
    # C grid (tracker/score/baseline.py), so it is tuned as well as the same splits allow.
    baseline_probs = TfidfBaseline().fit(split(examples, "train"), split(examples, "validation")).probabilities(texts)
    baseline = classifier_metrics("tfidf-logreg", labels, baseline_probs)
    for metrics in results:  # paired with the baseline's predictions on the same statements
        metrics.margin = margin_interval(labels, np.array(metrics.predictions), np.array(baseline.predictions))
    results.append(baseline)
    tagged = instrument_metrics(test, scorer.tagger.tags_many(texts))
    if isinstance(scorer.tagger, InstrumentTagger):
        tags = [("lexicon", tagged)]
    else:
        tags = [("learned tagger: character n-grams and the lexicon", tagged),
                ("lexicon alone", instrument_metrics(test, InstrumentTagger().tags_many(texts)))]
    return results, tags, len(test)
