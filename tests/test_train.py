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
    corpus = load_corpus()
    train_part = [e for e in split(corpus, "train")][:48]
    validation = [e for e in split(corpus, "validation")][:16]
    return train_part + validation


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
    models = tmp_path / "models"
    (models / "data").mkdir(parents=True)
    with (models / "data" / "escalation.jsonl").open("w") as handle:
        for e in _small_corpus():
            handle.write(json.dumps({"id": e.id, "text": e.text, "level": e.level, "instruments": list(e.instruments), "split": e.split}) + "\n")
    monkeypatch.setenv("TRACKER_MODELS", str(models))
    assert os.environ["TRACKER_MODELS"] == str(models)
    result = CliRunner().invoke(cli, ["score"], input='{"text": "We will impose tariffs on Friday."}\n')
    assert result.exit_code == 0, result.output
    assert "no trained escalation model" in result.stderr and "training it now" in result.stderr
    epochs = TrainConfig().epochs
    assert f"epoch {epochs}/{epochs}" in result.stderr
    assert json.loads(result.stdout)["label"] in ("deescalate", "neutral", "pressure", "threat")
    assert (models / "escalation" / "card.json").exists()
