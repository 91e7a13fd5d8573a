"""The classifier quality gate: the model CI trains from scratch beats the TF-IDF baseline on the held-out test."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from tracker.cli import cli
from tracker.paths import models_dir


def _row(output: str, name: str) -> list[float]:
    line = next(line for line in output.splitlines() if line.startswith(name))
    return [float(v) for v in re.findall(r"\d+\.\d+", line)]


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
    # 10 points (measured on the build machine with the fifth data round and TF-IDF teachers: 4.4 for the
    # scorer, 3.9 for its transformer alone; models/MODEL_CARD.md); 3 and 2 here leave room for a model
    # trained on another CPU
    assert model_f1 >= tfidf_f1 + 0.03 and alone_f1 >= tfidf_f1 + 0.02
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
