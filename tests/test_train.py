"""Fine-tuning is seeded and reproducible, and the first command that needs a model builds it."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from tracker.cli import cli
from tracker.score.corpus import load_corpus, split
from tracker.score.model import TransformerScorer
from tracker.score.train import TrainConfig, train


def _small_corpus():
    """12 training and 4 validation statements of each level (the corpus file is ordered by level)."""
    corpus = load_corpus()

    def per_level(name: str, n: int) -> list:
        return [e for level in range(4) for e in [e for e in split(corpus, name) if e.level == level][:n]]

    return per_level("train", 12) + per_level("validation", 4)


def _small_models_folder(tmp_path, monkeypatch):
    """A models/ folder holding only the small corpus, made the one tracker reads (TRACKER_MODELS)."""
    models = tmp_path / "models"
    (models / "data").mkdir(parents=True)
    with (models / "data" / "escalation.jsonl").open("w") as handle:
        for e in _small_corpus():
            handle.write(json.dumps({"id": e.id, "text": e.text, "level": e.level, "instruments": list(e.instruments), "split": e.split}) + "\n")
    monkeypatch.setenv("TRACKER_MODELS", str(models))
    return models


def test_training_twice_with_one_seed_gives_the_same_model(tmp_path):
    config = TrainConfig(epochs=1, batch_size=8)
    texts = ["We will respond with countermeasures.", "Talks resume next week."]
    first = TransformerScorer(train(config, output=tmp_path / "a", corpus=_small_corpus(), progress=False))
    second = TransformerScorer(train(config, output=tmp_path / "b", corpus=_small_corpus(), progress=False))
    assert first.card["history"] == second.card["history"]
    assert first.card["temperature"] == second.card["temperature"]
    assert (first.logits(texts) == second.logits(texts)).all()
    assert not (tmp_path / "a.partial").exists()


def test_first_command_that_needs_the_model_builds_it(tmp_path, monkeypatch, workdir):
    models = _small_models_folder(tmp_path, monkeypatch)
    assert os.environ["TRACKER_MODELS"] == str(models)
    result = CliRunner().invoke(cli, ["score"], input='{"text": "We will impose tariffs on Friday."}\n')
    assert result.exit_code == 0, result.output
    assert "no trained escalation model" in result.stderr and "training it now" in result.stderr
    epochs = TrainConfig().epochs
    assert f"epoch {epochs}/{epochs}" in result.stderr
    assert json.loads(result.stdout)["label"] in ("deescalate", "neutral", "pressure", "threat")
    assert (models / "escalation" / "card.json").exists()


def test_train_command_can_leave_the_lexical_model_out(tmp_path, monkeypatch, workdir):
    models = _small_models_folder(tmp_path, monkeypatch)
    refused = CliRunner().invoke(cli, ["train", "--epochs", "1", "--lexical-weight", "1"])
    assert refused.exit_code == 2 and "lexical-weight" in refused.stderr
    result = CliRunner().invoke(cli, ["train", "--epochs", "1", "--lexical-weight", "0"])
    assert result.exit_code == 0, result.output
    folder = models / "escalation"
    scorer = TransformerScorer(folder)
    assert scorer.lexical is None and not (folder / "lexical.npz").exists() and "-lex" not in scorer.version
    texts = ["We will impose tariffs on Friday.", "Talks resume next week."]
    assert (scorer.logits(texts) == scorer.transformer_logits(texts)).all()
