"""The learned instrument tagger: character n-grams and the lexicon's own matches, one logistic
regression per tag (LABELS.md), fitted on the train split with C chosen on validation.

Why: the lexicon (`instruments.py`) finds 64 % of the gold tags on validation at 79 % precision.
The statements point at their levers in more ways than a list of terms can hold ("our dollar
paper", "the levy on cars"). Character 2-5-grams of the words reach the variants; the lexicon's
nine matches, given as features, keep what a maintained term knows, and a term a user adds
weighs in without retraining. On validation: precision 0.875, recall 0.757 (docs/design.md 14).

Fitted with scikit-learn at training time and written as plain arrays (`instruments.npz`, no
pickle); applied here with numpy, so the scoring worker never imports scikit-learn.
`tests/test_score.py` holds it to scikit-learn's probabilities.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .corpus import INSTRUMENTS, Example
from .instruments import InstrumentTagger
from .lexical import load_arrays, save_arrays

FILE_NAME = "instruments.npz"
NGRAMS = (2, 5)  # character n-grams within words, padded with a space each side (scikit-learn's char_wb)
CANDIDATE_C = (3.0, 10.0, 30.0)
WORD_CACHE = 200_000  # words whose n-gram ids are kept; past it the cache starts again
_WHITESPACE = re.compile(r"\s\s+")  # scikit-learn's own normalisation before char_wb


def word_ngrams(word: str) -> list[str]:
    """The n-grams TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS) takes from one lower-cased word."""
    padded = f" {word} "
    grams = []
    for n in range(NGRAMS[0], NGRAMS[1] + 1):
        if len(padded) <= n:
            grams.append(padded)  # a word no longer than n counts once, whole
            break
        grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


def words(text: str) -> list[str]:
    """The words char_wb cuts n-grams from: lower-cased, split on white space."""
    return _WHITESPACE.sub(" ", text.lower()).split()


def lexicon_features(lexicon: InstrumentTagger, texts: Sequence[str]) -> np.ndarray:
    """One column per tag: 1 where the lexicon tags the statement."""
    found = [set(lexicon.tags(text)) for text in texts]
    return np.array([[float(tag in tags) for tag in INSTRUMENTS] for tags in found]).reshape(len(texts), len(INSTRUMENTS))


def _train_features(train: Sequence[Example], lexicon: InstrumentTagger):
    import scipy.sparse as sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [e.text for e in train]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, min_df=2, sublinear_tf=True)
    return vectorizer, sparse.hstack([vectorizer.fit_transform(texts), lexicon_features(lexicon, texts)]).tocsr()


def _regressions(features, train: Sequence[Example], c: float) -> list:
    from sklearn.linear_model import LogisticRegression

    regressions = []
    for tag in INSTRUMENTS:
        gold = np.array([tag in e.instruments for e in train], dtype=int)
        # a tag the train split never (or always) gives has nothing to learn from: the lexicon decides it
        regressions.append(None if gold.min() == gold.max() else LogisticRegression(C=c, max_iter=3000).fit(features, gold))
    return regressions


LEXICON_DECIDES = 10.0  # a tag left to the lexicon: probability sigmoid(10) where it matches, sigmoid(-10) elsewhere


def _weights(regressions: Sequence, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) rows of the fitted regressions; a tag without one follows the lexicon's match."""
    coef, intercept = np.zeros((len(INSTRUMENTS), width)), np.zeros(len(INSTRUMENTS))
    for j, regression in enumerate(regressions):
        if regression is None:
            coef[j, width - len(INSTRUMENTS) + j], intercept[j] = 2 * LEXICON_DECIDES, -LEXICON_DECIDES
        else:
            coef[j], intercept[j] = regression.coef_[0], regression.intercept_[0]
    return coef, intercept


def fit_sklearn(train: Sequence[Example], c: float, lexicon: InstrumentTagger):
    """(vectorizer, one LogisticRegression per tag, None for a tag left to the lexicon) fitted on train:
    the recipe InstrumentModel stores."""
    vectorizer, features = _train_features(train, lexicon)
    return vectorizer, _regressions(features, train, c)


@dataclass(frozen=True)
class InstrumentModel:
    vocabulary: dict[str, int]
    idf: np.ndarray  # (ngrams,)
    coef: np.ndarray  # (tags, ngrams + tags): the n-grams' weights, then the lexicon matches'
    intercept: np.ndarray  # (tags,)
    c: float
    # the vocabulary ids of each word's n-grams: words recur, so they are looked up once per model
    _word_cache: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def fit(cls, train: Sequence[Example], validation: Sequence[Example], lexicon: InstrumentTagger) -> tuple[InstrumentModel, dict]:
        """The model whose C gives the best validation F1 over all tags, and its validation figures."""
        vectorizer, features = _train_features(train, lexicon)
        vocabulary = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        best = None
        for c in CANDIDATE_C:
            coef, intercept = _weights(_regressions(features, train, c), features.shape[1])
            model = cls(vocabulary=vocabulary, idf=idf, coef=coef, intercept=intercept, c=c)
            figures = tag_figures(validation, model.tags_many([e.text for e in validation], lexicon))
            if best is None or figures["f1"] > best[1]["f1"]:
                best = (model, figures)
        assert best is not None
        return best

    def save(self, folder: Path) -> None:
        save_arrays(folder / FILE_NAME, self.vocabulary, idf=self.idf, coef=self.coef, intercept=self.intercept, c=np.array(self.c))

    @classmethod
    def load(cls, folder: Path) -> InstrumentModel:
        vocabulary, data = load_arrays(folder / FILE_NAME)
        model = cls(vocabulary=vocabulary, idf=data["idf"], coef=data["coef"], intercept=data["intercept"], c=float(data["c"]))
        ngrams, tags = len(model.idf), len(INSTRUMENTS)
        if len(vocabulary) != ngrams or model.coef.shape != (tags, ngrams + tags) or model.intercept.shape != (tags,):
            raise ValueError(f"{FILE_NAME} does not hold a tagger for the {tags} tags of this version")
        return model

    def _word_ids(self, word: str) -> list[int]:
        """The vocabulary ids of a word's n-grams, repeats kept."""
        ids = self._word_cache.get(word)
        if ids is None:
            if len(self._word_cache) >= WORD_CACHE:
                self._word_cache.clear()
            ids = self._word_cache[word] = [i for i in map(self.vocabulary.get, word_ngrams(word)) if i is not None]
        return ids

    def probabilities(self, texts: Sequence[str], lexicon: InstrumentTagger) -> np.ndarray:
        """(texts, tags): the probability that each statement invokes each instrument."""
        return 0.5 * (1.0 + np.tanh(self.decisions(texts, lexicon) / 2.0))  # the logistic function, without overflow

    def decisions(self, texts: Sequence[str], lexicon: InstrumentTagger) -> np.ndarray:
        """(texts, tags): each regression's decision value (its log-odds)."""
        n = len(self.idf)
        decision = np.tile(self.intercept, (len(texts), 1)) + lexicon_features(lexicon, texts) @ self.coef[:, n:].T
        rows, ids = [], []
        for row, text in enumerate(texts):
            found = [i for word in words(text) for i in self._word_ids(word)]
            rows += [row] * len(found)
            ids += found
        if ids:
            # sublinear TF-IDF of every (statement, n-gram), L2-normalised per statement, times each tag's weight
            pairs, counts = np.unique(np.array(rows, dtype=np.int64) * n + np.array(ids, dtype=np.int64), return_counts=True)
            row_of, id_of = pairs // n, pairs % n
            values = (1.0 + np.log(counts)) * self.idf[id_of]
            values /= np.sqrt(np.bincount(row_of, values**2, minlength=len(texts)))[row_of]
            for j in range(len(INSTRUMENTS)):
                decision[:, j] += np.bincount(row_of, values * self.coef[j, id_of], minlength=len(texts))
        return decision

    def tags_many(self, texts: Sequence[str], lexicon: InstrumentTagger) -> list[list[str]]:
        # a positive decision, as scikit-learn's predict: a probability above one half
        return [[tag for tag, d in zip(INSTRUMENTS, row, strict=True) if d > 0] for row in self.decisions(texts, lexicon)]


def tag_figures(examples: Sequence[Example], predicted: Sequence[Sequence[str]]) -> dict:
    """Precision, recall and F1 over every (statement, tag) pair, as `tracker eval` counts them."""
    from ..evaluate.classifier import instrument_metrics

    metrics = instrument_metrics(examples, predicted)
    return {"precision": round(metrics.precision, 4), "recall": round(metrics.recall, 4), "f1": round(metrics.f1, 4)}


class LearnedTagger:
    """The tagger of a model trained with `learned_instruments` (its card says so): `tags(text)` like the lexicon's."""

    def __init__(self, model: InstrumentModel, lexicon: InstrumentTagger | None = None):
        self.model = model
        self.lexicon = lexicon or InstrumentTagger()

    def tags(self, text: str) -> list[str]:
        return self.model.tags_many([text], self.lexicon)[0]

    def tags_many(self, texts: Sequence[str]) -> list[list[str]]:
        return self.model.tags_many(texts, self.lexicon) if texts else []
