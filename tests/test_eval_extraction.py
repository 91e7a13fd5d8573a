"""The extraction quality gate: held-out figures meet the targets and do not fall below the pinned baseline."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from tracker.cli import cli
from tracker.evaluate.extraction import load_gold, overlap_share, strip_marks
from tracker.paths import extraction_gold_dir, models_dir


def test_gold_set_is_split_and_well_formed():
    dev = load_gold(extraction_gold_dir(), "dev")
    test = load_gold(extraction_gold_dir(), "test")
    assert len(dev) + len(test) >= 25 and len(test) >= 10
    assert not {a.id for a in dev} & {a.id for a in test}
    for article in dev + test:
        for g in article.statements:
            assert article.article.text[g.start : g.end] == g.text
    kinds = {g.kind for a in test for g in a.statements}
    assert kinds == {"direct", "reported", "speech"}
    assert {g.official for a in test for g in a.statements} == {True, False}


def test_marks_parse_into_offsets_of_the_clean_text():
    text, gold = strip_marks('"⟦Jane Roe|official|direct⟧We act,⟦/⟧" Jane Roe said.')
    assert text == '"We act," Jane Roe said.' and (gold[0].start, gold[0].end, gold[0].official) == (1, 8, True)
    assert overlap_share(0, 10, 5, 10) == 0.5 and overlap_share(0, 10, 10, 20) == 0.0


def test_held_out_figures_meet_the_targets_and_the_pinned_baseline():
    baseline = json.loads((models_dir() / "extraction" / "baseline.json").read_text())
    result = CliRunner().invoke(cli, ["eval", "extraction"])
    assert result.exit_code == 0, result.output
    figures = {
        name: float(value) for name, value in re.findall(r"^\s+(F1|speaker accuracy)\s+([0-9.]+)", result.stdout, re.M)
    }
    assert figures["F1"] >= baseline["targets"]["f1"]
    assert figures["speaker accuracy"] >= baseline["targets"]["speaker_accuracy"]
    assert figures["F1"] >= baseline["f1"] - baseline["tolerance"]
    assert figures["speaker accuracy"] >= baseline["speaker_accuracy"] - baseline["tolerance"]
