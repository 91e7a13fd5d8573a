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
    model_f1, bf16_f1, int8_f1, tfidf_f1 = _row(out, "macro-F1")
    model_rho = _row(out, "Spearman(escalation, level)")[0]
    model_ece = _row(out, "ECE (as used)")[0]
    loss_before = _row(out, "log-loss before scaling")[0]
    loss = _row(out, "log-loss (as used)")[0]
    tags_p, tags_r = (float(v) for v in re.search(r"precision (\d\.\d+), recall (\d\.\d+)", out).groups())
    # beats the baseline clearly: the target is 10 points (0.103 measured on the build machine); 8 here
    # leave room for a model trained on another CPU
    assert model_f1 >= tfidf_f1 + 0.08
    assert int8_f1 > tfidf_f1
    assert abs(bf16_f1 - model_f1) <= 0.01  # bfloat16, the default where the CPU has it, keeps the float32 figure
    assert model_f1 >= pinned["macro_f1"] - pinned["tolerance"]
    assert model_rho >= pinned["spearman"] - pinned["tolerance"]
    assert model_ece <= max(pinned["ece"] + pinned["tolerance"], 0.05)
    assert loss <= loss_before  # the temperature fitted on validation helps on the held-out test too
    assert tags_p >= pinned["instrument_precision"] - pinned["tolerance"]
    assert tags_r >= pinned["instrument_recall"] - pinned["tolerance"]
    for heading in ("deescalate precision / recall", "macro MAE of the level", "confusion matrix, minilm-escalation"):
        assert heading in out
