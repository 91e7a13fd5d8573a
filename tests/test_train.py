"""Fine-tuning is seeded and reproducible, and the first command that needs a model builds it."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.score.corpus import load_corpus, split
from tracker.score.model import TransformerScorer
from tracker.score.train import (
    LEXICAL_WEIGHTS,
    TEACHER_KINDS,
    TrainConfig,
    TrainingError,
    choose_lexical_weight,
    cross_fitted_halves,
    model_version,
    train,
)


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


def test_cross_fitted_halves_keep_each_contrastive_set_with_one_teacher():
    train_set = split(load_corpus(), "train")
    first, second = cross_fitted_halves(train_set)
    assert sorted(e.id for e in first + second) == sorted(e.id for e in train_set)
    assert not {e.group_key for e in first} & {e.group_key for e in second}
    assert sum(e.group is not None for e in train_set) > 8000  # the contrastive rounds carry their `set`
    assert abs(len(first) - len(second)) < 0.1 * len(train_set)


def test_distilled_model_card_names_its_teachers_and_the_chosen_lexical_weight(tmp_path):
    config = TrainConfig(epochs=1, batch_size=8)
    card = TransformerScorer(train(config, output=tmp_path / "kd", corpus=_small_corpus(), progress=False)).card
    assert [t["trained_on"] + t["labelled"] for t in card["teachers"]] == [48, 48]
    assert card["teachers"][0]["trained_on"] == card["teachers"][1]["labelled"]
    assert [t["kind"] for t in card["teachers"]] == ["lexical", "lexical"] and all(t["c"] > 0 for t in card["teachers"])
    assert "-kd0.5-" in card["version"]
    assert card["hyperparameters"]["lexical_weight"] in LEXICAL_WEIGHTS
    assert min(card["lexical_weight_losses"], key=card["lexical_weight_losses"].get) == f"{card['hyperparameters']['lexical_weight']:g}"
    plain = TransformerScorer(train(TrainConfig(epochs=1, batch_size=8, distill_weight=0.0, lexical_weight=0.3),
                                    output=tmp_path / "plain", corpus=_small_corpus(), progress=False)).card
    assert plain["teachers"] == [] and "-kd" not in plain["version"] and "-lex0.3-h" in plain["version"]
    assert plain["lexical_weight_losses"] is None


def test_train_command_can_fine_tune_transformer_teachers(tmp_path, monkeypatch, workdir):
    models = _small_models_folder(tmp_path, monkeypatch)
    refused = CliRunner().invoke(cli, ["train", "--epochs", "1", "--teachers", "forest"])
    assert refused.exit_code == 2 and "'forest' is not one of 'lexical', 'transformer'" in refused.stderr
    # the CLI lists its choices without importing training at start-up: they must be the library's
    assert tuple(next(p for p in cli.commands["train"].params if p.name == "teachers").type.choices) == TEACHER_KINDS
    result = CliRunner().invoke(cli, ["train", "--epochs", "1", "--teachers", "transformer", "--lexical-weight", "0"])
    assert result.exit_code == 0, result.output
    card = TransformerScorer(models / "escalation").card
    assert [t["kind"] for t in card["teachers"]] == ["transformer", "transformer"]
    assert all(1 <= t["best_epoch"] <= TrainConfig().teacher_epochs and t["temperature"] > 0 for t in card["teachers"])
    assert "fine-tuning: epoch 1/1" in result.stderr and f"teacher 2/2: epoch {TrainConfig().teacher_epochs}/" in result.stderr


def test_an_unknown_teacher_kind_is_refused_before_training(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before the configuration was checked")

    monkeypatch.setattr("tracker.score.train.fine_tune", no_training)
    monkeypatch.setattr("tracker.score.train.LexicalModel.fit", no_training)
    with pytest.raises(TrainingError, match="teachers must be one of lexical, transformer"):
        train(TrainConfig(teachers="forest"), output=tmp_path / "never", corpus=_small_corpus(), progress=False)
    assert not (tmp_path / "never").exists() and not (tmp_path / "never.partial").exists()


def test_lexical_weight_follows_how_much_the_lexical_model_knows():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 600)
    transformer = rng.normal(size=(600, 4))
    transformer[np.arange(600), labels] += 1.5
    informed = np.log(np.full((600, 4), 0.02))
    informed[np.arange(600), labels] = np.log(0.94)
    noise = np.log(rng.dirichlet(np.ones(4), 600))
    assert choose_lexical_weight(transformer, informed, labels)[0] == max(LEXICAL_WEIGHTS)
    assert choose_lexical_weight(transformer, noise, labels)[0] == min(LEXICAL_WEIGHTS)


def test_two_recipes_never_share_a_model_version():
    chosen = TrainConfig(lexical_weight=0.1)
    version = model_version("ba1c2c7b0000", chosen, 8)
    assert version.startswith("ba1c2c7b-s1-e8-kd0.5-lex0.1-h")
    assert version == model_version("ba1c2c7b0000", TrainConfig(lexical_weight=0.1), 8)
    # the same epoch kept, distillation and lexical weight: only the hash tells these apart
    assert version != model_version("ba1c2c7b0000", TrainConfig(lexical_weight=0.1, epochs=10, teacher_epochs=5), 8)
    assert version != model_version("ba1c2c7b0000", TrainConfig(lexical_weight=0.1, teachers="transformer"), 8)
    assert "-kd" not in model_version("ba1c2c7b0000", TrainConfig(lexical_weight=0.0, distill_weight=0.0), 8)
