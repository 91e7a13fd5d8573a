"""The classifier quality gate: the model CI trains from scratch beats the TF-IDF baseline on the held-out test."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import f1_score

from tracker.cli import cli
from tracker.evaluate.classifier import margin_interval
from tracker.paths import models_dir


def _row(output: str, name: str) -> list[float]:
    line = next(line for line in output.splitlines() if line.startswith(name))
    return [float(v) for v in re.findall(r"-?\d+\.\d+", line)]


def _predictions(labels: np.ndarray, right: float, rng: np.random.Generator) -> np.ndarray:
    """Predictions that are right on about `right` of the statements and a random other level elsewhere."""
    wrong = rng.random(len(labels)) >= right
    return np.where(wrong, (labels + rng.integers(1, 4, len(labels))) % 4, labels)


def test_the_margin_is_scikit_learns_macro_f1_difference_and_its_interval_brackets_it():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 467)
    model, baseline = _predictions(labels, 0.87, rng), _predictions(labels, 0.82, rng)
    interval = margin_interval(labels, model, baseline)
    expected = f1_score(labels, model, average="macro") - f1_score(labels, baseline, average="macro")
    assert interval.margin == pytest.approx(expected, abs=1e-12)
    assert interval.low < interval.margin < interval.high
    # about 1.5 points of standard error each side on 467 statements: the interval is points wide, not tenths
    assert 0.03 < interval.high - interval.low < 0.12
    assert margin_interval(labels, model, baseline) == interval  # seeded: the same figures every run


def test_the_interval_shrinks_with_more_statements_and_is_nil_between_equal_predictions():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 4, 4000)
    model, baseline = _predictions(labels, 0.9, rng), _predictions(labels, 0.6, rng)
    large, small = margin_interval(labels, model, baseline), margin_interval(labels[:200], model[:200], baseline[:200])
    assert large.high - large.low < (small.high - small.low) / 2
    assert large.low > 0.25  # thirty points better is told apart from nothing
    same = margin_interval(labels, model, model)
    assert (same.margin, same.low, same.high) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        margin_interval(labels, model[:-1], baseline)


def test_held_out_metrics_beat_the_baseline_and_hold_the_pinned_figures(escalation_model):
    pinned = json.loads((models_dir() / "escalation-baseline.json").read_text())
    result = CliRunner().invoke(cli, ["eval"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    model_f1, bf16_f1, int8_f1, alone_f1, tfidf_f1 = _row(out, "macro-F1")
    model_rho, _, _, alone_rho, _ = _row(out, "Spearman(escalation, level)")
    model_ece = _row(out, "ECE (as used)")[0]
    loss_before, _, _, alone_loss_before = _row(out, "log-loss before scaling")
    loss, _, _, alone_loss, _ = _row(out, "log-loss (as used)")
    # the scorer's tagger (the learned one), then the lexicon alone
    taggers = re.findall(r"precision (\d\.\d+), recall (\d\.\d+)", out)
    assert len(taggers) == 2, out
    (tags_p, tags_r), (lexicon_p, lexicon_r) = ((float(p), float(r)) for p, r in taggers)
    # beats the baseline clearly, and not only through the lexical model mixed into it: the target is
    # 10 points (measured on the build machine with the fifth data round and TF-IDF teachers: 4.3 for the
    # scorer, 3.9 for its transformer alone; models/MODEL_CARD.md); 3 and 2 here leave room for a model
    # trained on another CPU
    assert model_f1 >= tfidf_f1 + 0.03 and alone_f1 >= tfidf_f1 + 0.02
    # each model's margin over the baseline, in points, with its paired bootstrap interval around it
    points, intervals = _row(out, "  points above TF-IDF"), _row(out, "  95 % interval")
    assert len(points) == 4 and len(intervals) == 8, out
    assert points[0] == pytest.approx(100 * (model_f1 - tfidf_f1), abs=0.11)
    assert points[3] == pytest.approx(100 * (alone_f1 - tfidf_f1), abs=0.11)
    for point, (low, high) in zip(points, zip(intervals[::2], intervals[1::2], strict=True), strict=True):
        assert low < point < high
    # the lexical model mixed in does not cost ranking or probabilities beyond the rounding of another
    # CPU's model (its weight is chosen on validation; with lexical teachers the student has learnt most
    # of what it adds: on the build machine the same Spearman, 0.855, and log-loss 0.424 against 0.425)
    assert model_rho >= alone_rho - 0.005 and loss <= alone_loss + 0.005
    assert int8_f1 > tfidf_f1
    assert abs(bf16_f1 - model_f1) <= 0.01  # bfloat16, the default where the CPU has it, keeps the float32 figure
    assert model_f1 >= pinned["macro_f1"] - pinned["tolerance"]
    assert model_rho >= pinned["spearman"] - pinned["tolerance"]
    assert model_ece <= max(pinned["ece"] + pinned["tolerance"], 0.05)
    # the temperature fitted on validation helps the transformer on the held-out test too (and the mix:
    # 0.439 to 0.424 on the build machine); a mix that needed little of it must at least not be hurt
    assert alone_loss <= alone_loss_before and loss <= loss_before + 0.005
    assert tags_p >= pinned["instrument_precision"] - pinned["tolerance"]
    assert tags_r >= pinned["instrument_recall"] - pinned["tolerance"]
    # the learned tagger finds clearly more of the gold tags than the lexicon it builds on, and more precisely
    assert tags_r >= lexicon_r + 0.05 and tags_p > lexicon_p
    assert "instrument tags (learned tagger: character n-grams and the lexicon)" in out
    for heading in ("deescalate precision / recall", "macro MAE of the level", "confusion matrix, minilm-escalation"):
        assert heading in out
