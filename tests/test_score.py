"""The scoring stage: the fine-tuned classifier, calibration, instruments, `tracker score`, `tracker rescore`."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, replace

import numpy as np
import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.evaluate.classifier import expected_calibration_error, macro_mae
from tracker.ingest import ingest
from tracker.models import LABELS
from tracker.score.baseline import TfidfBaseline
from tracker.score.corpus import INSTRUMENTS, data_hash, load_corpus, split
from tracker.score.instruments import InstrumentTagger, lexicon_path
from tracker.score.lexical import C_GRID as LEXICAL_C_GRID
from tracker.score.lexical import LexicalModel, mix
from tracker.score.model import TransformerScorer, softmax
from tracker.score.tagger import InstrumentModel, LearnedTagger, fit_sklearn, lexicon_features, tag_figures
from tracker.score.train import (
    LEXICAL_WEIGHTS,
    TEMPERATURE_RANGE,
    TrainConfig,
    TrainingError,
    fit_temperature,
    model_dir,
)

from .conftest import KATO_PARAGRAPHS, Item, feed_reply, page, rss, write_feeds
from .httpserver import Reply


@pytest.fixture(scope="module")
def scorer(escalation_model) -> TransformerScorer:
    return TransformerScorer(escalation_model, precision="float32")


def test_treasury_threat_scores_as_threat_with_its_instrument(workdir):
    line = json.dumps({"text": "If Washington goes ahead, we are ready to sell part of our Treasury holdings."})
    result = CliRunner().invoke(cli, ["score"], input=line + "\n")
    assert result.exit_code == 0, result.stderr
    scored = json.loads(result.stdout)
    assert scored["level"] == 3 and scored["label"] == "threat"
    assert "treasury_holdings" in scored["instruments"]


def test_scores_follow_labels_md(scorer):
    texts = [
        "We had a constructive meeting and expect an agreement soon.",
        "Talks will resume in Washington next week.",
        "The tariffs are unacceptable and must be removed.",
        "If they escalate, we will respond with countermeasures of our own.",
    ]
    scores = scorer.score(texts)
    for score in scores:
        assert abs(sum(score.probs.values()) - 1) < 1e-3
        expected = sum(k * score.probs[label] for k, label in enumerate(LABELS)) / 3
        assert abs(score.escalation - expected) < 1e-3
        assert score.label == LABELS[score.level] and score.model == "minilm-escalation"
    assert [s.level for s in scores] == [0, 1, 2, 3]
    assert scores[0].escalation < scores[1].escalation < scores[2].escalation < scores[3].escalation


def test_a_text_scores_the_same_alone_and_in_a_batch(scorer):
    texts = ["We will not use our holdings as a weapon.", "Short.", "A much longer statement about export licences " * 5]
    together = scorer.probabilities(texts)
    alone = np.vstack([scorer.probabilities([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_bfloat16_scores_stay_within_a_hair_of_float32_and_of_themselves(scorer, escalation_model):
    """bfloat16 rounds differently with the padding of a batch: the same level, probabilities within 0.01."""
    bf16 = TransformerScorer(escalation_model, precision="bfloat16")
    texts = ["We will not use our holdings as a weapon.", "Short.", "A much longer statement about export licences " * 5]
    together = bf16.probabilities(texts)
    alone = np.vstack([bf16.probabilities([t]) for t in texts])
    exact = scorer.probabilities(texts)
    assert np.allclose(together, alone, atol=0.01) and np.allclose(together, exact, atol=0.02)
    assert (together.argmax(axis=1) == exact.argmax(axis=1)).all()


def test_model_card_records_data_hyperparameters_and_temperature(escalation_model):
    card = json.loads((escalation_model / "card.json").read_text())
    assert card["data_hash"] == data_hash(load_corpus())
    weight = card["hyperparameters"]["lexical_weight"]  # chosen on validation, recorded as used
    assert weight in LEXICAL_WEIGHTS and str(card["lexical_weight_losses"][f"{weight:g}"]) == str(min(card["lexical_weight_losses"].values()))
    assert card["hyperparameters"] == asdict(replace(TrainConfig(), lexical_weight=weight)) and card["temperature"] > 0
    assert [t["kind"] for t in card["teachers"]] == [TrainConfig().teachers] * 2 and f"-kd{TrainConfig().distill_weight:g}-" in card["version"]
    assert card["examples"]["test"] >= 400 and len(card["history"]) == card["hyperparameters"]["epochs"]
    assert (escalation_model / "tokenizer.json").exists() and (escalation_model / "model.safetensors").exists()
    assert escalation_model == model_dir()
    tagger = card["instrument_tagger"]  # the learned tagger's C and validation figures, beside the lexicon's
    assert tagger["c"] in (3.0, 10.0, 30.0) and (escalation_model / "instruments.npz").exists()
    assert tagger["validation"]["f1"] > tagger["lexicon_validation"]["f1"]


def test_lexical_model_gives_scikit_learns_probabilities_after_saving_and_loading(tmp_path):
    """Scored with numpy from plain arrays, the lexical model must be the pipeline it was fitted as."""
    corpus = load_corpus()
    train_part, validation = split(corpus, "train")[:400], split(corpus, "validation")[:100]
    baseline = TfidfBaseline(c_grid=LEXICAL_C_GRID).fit(train_part, validation)
    LexicalModel.fit(train_part, validation, seed=13).save(tmp_path)
    loaded = LexicalModel.load(tmp_path)
    assert loaded.c == baseline.c
    texts = [e.text for e in split(corpus, "test")[:200]] + ["", "!!!", "Tariffs, TARIFFS and tariffs: retaliation."]
    assert np.allclose(np.exp(loaded.log_probabilities(texts)), baseline.probabilities(texts), atol=1e-9)


def test_scorer_mixes_in_the_lexical_model_its_card_names(scorer, escalation_model, tmp_path):
    assert scorer.lexical_weight == scorer.card["hyperparameters"]["lexical_weight"] > 0
    assert f"-lex{scorer.lexical_weight:g}-h" in scorer.version
    texts = ["We will not use our holdings as a weapon.", "Tariffs go up on Friday unless they move."]
    expected = mix(scorer.transformer_logits(texts), scorer.lexical.log_probabilities(texts), scorer.lexical_weight)
    assert np.allclose(scorer.logits(texts), expected)
    assert not np.allclose(scorer.logits(texts), scorer.transformer_logits(texts))
    # a model folder that lost its lexical half is refused with what to do, not scored by half a model
    for item in escalation_model.iterdir():
        if item.name != "lexical.npz":
            (tmp_path / item.name).symlink_to(item)
    with pytest.raises(TrainingError, match="lexical.npz.*run `tracker train`"):
        TransformerScorer(tmp_path)


def test_learned_tagger_gives_scikit_learns_probabilities_after_saving_and_loading(tmp_path):
    """Applied with numpy from plain arrays, the instrument tagger must be the regressions it was fitted as."""
    import scipy.sparse as sparse

    corpus = load_corpus()
    train_part, validation = split(corpus, "train")[:800], split(corpus, "validation")[:150]
    lexicon = InstrumentTagger()
    model, figures = InstrumentModel.fit(train_part, validation, lexicon)
    model.save(tmp_path)
    loaded = InstrumentModel.load(tmp_path)
    vectorizer, regressions = fit_sklearn(train_part, loaded.c, lexicon)
    assert None not in regressions  # every tag learnt (the slice has each), so every one is compared
    # short words, runs of white space, capitals and punctuation: where character n-grams could differ
    texts = [e.text for e in split(corpus, "test")[:200]] + ["", "!!!", "I  a\tU.S.  TREASURIES,\n tariffs", "ab abc abcd",
                                                         "İstanbul's Straße\u00a0tariffs\u2028and ÉNERGIE"]
    features = sparse.hstack([vectorizer.transform(texts), lexicon_features(lexicon, texts)]).tocsr()
    expected = np.stack([r.predict_proba(features)[:, 1] for r in regressions], axis=1)
    assert np.allclose(loaded.probabilities(texts, lexicon), expected, rtol=0, atol=1e-9)
    assert figures == tag_figures(validation, loaded.tags_many([e.text for e in validation], lexicon))


def test_a_tag_the_train_split_never_gives_is_left_to_the_lexicon():
    corpus = load_corpus()
    train_part = [replace(e, instruments=tuple(t for t in e.instruments if t != "sanctions")) for e in split(corpus, "train")[:400]]
    lexicon = InstrumentTagger()
    model, _ = InstrumentModel.fit(train_part, split(corpus, "validation")[:100], lexicon)
    texts = ["Washington announced new sanctions on three of our banks.", "We are ready to sell our Treasury holdings."]
    assert ["sanctions" in tags for tags in lexicon.tags_many(texts)] == [True, False]
    assert ["sanctions" in tags for tags in model.tags_many(texts, lexicon)] == [True, False]


def test_scorer_tags_with_the_learned_tagger_its_card_names(scorer, escalation_model, tmp_path):
    assert scorer.card["hyperparameters"]["learned_instruments"] and isinstance(scorer.tagger, LearnedTagger)
    texts = ["If the levy on our cars stays, we will answer in kind.", "Talks resume next week.",
             "We are ready to sell part of our Treasury holdings."]
    assert [s.instruments for s in scorer.score(texts)] == scorer.tagger.tags_many(texts)
    assert [s.instruments for s in scorer.score(texts)] == [["tariffs"], [], ["treasury_holdings"]]
    # a model folder that lost its tagger is refused with what to do, not tagged by another tagger
    for item in escalation_model.iterdir():
        if item.name != "instruments.npz":
            (tmp_path / item.name).symlink_to(item)
    with pytest.raises(TrainingError, match="instruments.npz.*run `tracker train`"):
        TransformerScorer(tmp_path)


def test_a_term_added_to_the_lexicon_weighs_in_the_learned_tagger(scorer, tmp_path):
    """The lexicon's matches are features of the learned tagger: a user's new term raises the odds of
    its tag by the weight learnt for the lexicon's match (here enough to tag it), with no retraining."""
    text = "The quorvex stays in place until they move."
    assert scorer.tagger.tags(text) == []
    lexicon = tmp_path / "instruments.yaml"
    original = lexicon_path().read_text(encoding="utf-8")
    lexicon.write_text(original.replace("tariffs:\n  terms:\n", "tariffs:\n  terms:\n    - quorvex\n"), encoding="utf-8")
    assert InstrumentTagger(lexicon).tags(text) == ["tariffs"]
    model, tariffs = scorer.tagger.model, INSTRUMENTS.index("tariffs")
    before = model.decisions([text], InstrumentTagger())[0]
    after = model.decisions([text], InstrumentTagger(lexicon))[0]
    learnt = model.coef[:, len(model.idf) + tariffs]  # what the lexicon's tariffs match weighs in each tag's odds
    assert after - before == pytest.approx(learnt) and learnt[tariffs] > 1.0
    assert LearnedTagger(model, InstrumentTagger(lexicon)).tags(text) == ["tariffs"]


def test_an_old_model_folder_tags_with_the_lexicon_and_a_broken_tagger_file_is_refused(escalation_model, tmp_path):
    old, broken = tmp_path / "old", tmp_path / "broken"
    for folder in (old, broken):
        folder.mkdir()
        for item in escalation_model.iterdir():
            if item.name not in ("card.json", "instruments.npz"):
                (folder / item.name).symlink_to(item)
    card = json.loads((escalation_model / "card.json").read_text())
    (broken / "card.json").write_text(json.dumps(card))
    (broken / "instruments.npz").write_bytes((escalation_model / "instruments.npz").read_bytes()[:1000])
    with pytest.raises(TrainingError, match="instruments.npz.*run `tracker train`"):
        TransformerScorer(broken)
    del card["hyperparameters"]["learned_instruments"]  # as a model trained before the learned tagger
    (old / "card.json").write_text(json.dumps(card))
    scorer = TransformerScorer(old, precision="float32")
    assert isinstance(scorer.tagger, InstrumentTagger)
    assert scorer.score(["New duties of 25% on steel take effect on Friday."])[0].instruments == ["tariffs"]


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 4)) * 2
    labels = np.array([rng.choice(4, p=p) for p in softmax(true_logits)])
    assert abs(fit_temperature(true_logits * 3.0, labels) - 3.0) < 0.3


def test_temperature_fit_on_a_small_separable_set_stays_in_range():
    """Every validation statement right: the likelihood grows as the temperature falls to 0, and an
    unguarded fit ran off to 1e-17, scores of exactly 0 or 1 that no longer rank anything."""
    labels = np.arange(16) % 4
    logits = np.random.default_rng(0).normal(size=(16, 4))
    logits[np.arange(16), labels] += 5.0
    temperature = fit_temperature(logits, labels)
    assert TEMPERATURE_RANGE[0] <= temperature < 1.0


def test_calibration_error_and_mae_measures():
    labels = np.array([0, 1, 2, 3])
    perfect = np.eye(4)
    assert expected_calibration_error(perfect, labels) == 0.0
    overconfident = np.array([[0.0, 1.0, 0.0, 0.0]] * 4)
    assert expected_calibration_error(overconfident, labels) == pytest.approx(0.75)
    assert macro_mae(labels, np.array([1, 1, 2, 1])) == pytest.approx((1 + 0 + 0 + 2) / 4)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("We are ready to sell part of our Treasury holdings.", {"treasury_holdings"}),
        ("New duties of 25% on steel take effect on Friday.", {"tariffs"}),
        ("Licences for rare-earth magnets will be reviewed case by case.", {"export_controls", "critical_minerals"}),
        ("The yen's moves have been too rapid.", {"currency"}),
        ("We will buy more American LNG.", {"energy"}),
        ("Talks resume next week.", set()),
    ],
)
def test_instrument_lexicon(text, expected):
    assert set(InstrumentTagger().tags(text)) == expected


def test_rescore_gives_every_statement_the_current_models_score(server, options, scorer):
    server.routes["/a/1.html"] = Reply(body=page("Kato on holdings", KATO_PARAGRAPHS))
    server.routes["/a.xml"] = feed_reply(rss([Item("Kato on holdings", "/a/1.html", guid="a-1")], server))
    write_feeds(options.feeds, [("Wire A", server.url("/a.xml"))])
    ingest(options, scorer=scorer)
    with sqlite3.connect(options.db) as conn:  # as if an older model had scored them
        conn.execute("UPDATE scores SET model_version = 'older'")
        n = conn.execute("SELECT count(*) FROM statements").fetchone()[0]
    result = CliRunner().invoke(cli, ["rescore", "--db", str(options.db)])
    assert result.exit_code == 0, result.stderr
    assert f"rescored {n} statements" in result.stderr
    with sqlite3.connect(options.db) as conn:
        versions = {r[0] for r in conn.execute("SELECT model_version FROM timeline")}
        kept = conn.execute("SELECT count(*) FROM scores WHERE current = 0 AND model_version = 'older'").fetchone()[0]
    assert versions == {scorer.version} and kept == n
    again = CliRunner().invoke(cli, ["rescore", "--db", str(options.db)])
    assert "rescored 0 statements" in again.stderr


def test_scorer_precision_is_chosen_by_option_and_a_bad_value_is_a_usage_error(workdir, escalation_model):
    from tracker.score.model import resolve_precision

    assert resolve_precision("float32") == "float32"
    assert resolve_precision("auto") in ("float32", "bfloat16")
    bf16 = TransformerScorer(escalation_model, precision="bfloat16")
    assert bf16.name.endswith("-bf16") and bf16.precision == "bfloat16"
    text = "If Washington goes ahead, we are ready to sell part of our Treasury holdings."
    assert bf16.score([text])[0].level == 3
    (workdir / "tracker.toml").write_text('[tracker]\nscorer_precision = "float16"\n')
    bad = CliRunner().invoke(cli, ["score"], input=json.dumps({"text": text}) + "\n")
    assert bad.exit_code == 2 and "'scorer_precision' must be one of auto, float32, bfloat16" in bad.stderr
    (workdir / "tracker.toml").write_text('[tracker]\nscorer_precision = "float32"\n')
    good = CliRunner().invoke(cli, ["score"], input=json.dumps({"text": text}) + "\n")
    assert good.exit_code == 0 and json.loads(good.stdout)["model"] == "minilm-escalation"


def test_scoring_forward_matches_the_transformers_model_it_was_trained_as(escalation_model):
    """The scorer's own torch forward (no transformers import) gives transformers' ids and logits."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from tracker.score.train import logits_for

    texts = [e.text for e in load_corpus()][:300] + ["", "Šefčovič said: “we will respond in kind.”", "word " * 300]
    tokenizer = AutoTokenizer.from_pretrained(escalation_model)
    reference = logits_for(AutoModelForSequenceClassification.from_pretrained(escalation_model), tokenizer, texts, 96)
    scorer = TransformerScorer(escalation_model, precision="float32")
    assert scorer.tokenizer.ids(texts) == tokenizer(texts, truncation=True, max_length=96)["input_ids"]
    assert np.allclose(scorer.transformer_logits(texts), reference, atol=1e-4)


def test_batches_are_planned_to_spare_padding():
    from tracker.score.train import plan_batches

    lengths = [20] * 40 + [90] * 3 + [12] * 30
    batches = plan_batches(lengths, batch_size=64)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 64 for b in batches)
    long = next(b for b in batches if 40 in b)
    assert {40, 41, 42} <= set(long) and len(long) <= 8  # not 64 rows padded to 96 tokens
    assert plan_batches([]) == []
