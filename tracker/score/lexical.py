"""The lexical second opinion mixed into the transformer's: TF-IDF words and bigrams + logistic regression.

Why: the transformer's costly mistakes are confident errors across two levels, and they are the
same statements whatever its seed or recipe (models/MODEL_CARD.md); the lexical model makes other
mistakes (15 of the transformer's 26 such errors on validation). Adding its log-probabilities at
weight 0.4 lifted the validation Spearman from 0.834 to 0.855 for 0.2 points of macro-F1, where
averaging four transformers reached 0.848 at four times the scoring cost.

Fitted with scikit-learn at training time (the baseline's own recipe, `baseline.TfidfBaseline`) and
written as plain arrays (`lexical.npz`: no pickle); scored here with numpy and one regex, so the
scoring worker never imports scikit-learn (a second of start-up). `tests/test_score.py` holds these
probabilities to scikit-learn's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..models import LABELS
from .corpus import Example
from .probabilities import log_softmax

FILE_NAME = "lexical.npz"
# The lexical model's and the TF-IDF teachers' C grid: the baseline's up to 20. The baseline's wider
# grid (to 200) gave the student no gain on validation (Spearman 0.887 against 0.890, log-loss 0.411
# against 0.415) for about 100 s more training, so the model's recipe kept this one.
C_GRID = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
# TfidfVectorizer's defaults, which the baseline uses: lower-cased, tokens of two or more word characters
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def save_arrays(path: Path, vocabulary: dict[str, int], **arrays: np.ndarray) -> None:
    """A fitted model's vocabulary and arrays as one compressed .npz (plain arrays, no pickle)."""
    terms = np.empty(len(vocabulary), dtype=object)
    for term, i in vocabulary.items():
        terms[i] = term
    np.savez_compressed(path, terms=terms.astype(str), **arrays)


def load_arrays(path: Path) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """What `save_arrays` wrote: (vocabulary, the other arrays by name)."""
    with np.load(path, allow_pickle=False) as data:
        return {term: i for i, term in enumerate(data["terms"].tolist())}, {k: data[k] for k in data.files if k != "terms"}


def mix(transformer_logits: np.ndarray, lexical_log_probs: np.ndarray, weight: float) -> np.ndarray:
    """The scorer's logits: a weighted geometric mean of the two models' probabilities, in log space
    (softmax of the result, at temperature 1, is that mean renormalised)."""
    if weight == 0.0:
        return transformer_logits
    return (1.0 - weight) * log_softmax(transformer_logits) + weight * lexical_log_probs


@dataclass(frozen=True)
class LexicalModel:
    vocabulary: dict[str, int]
    idf: np.ndarray  # (features,)
    coef: np.ndarray  # (levels, features)
    intercept: np.ndarray  # (levels,)
    c: float  # the inverse regularisation chosen on validation

    @classmethod
    def fit(cls, train: Sequence[Example], validation: Sequence[Example], seed: int) -> LexicalModel:
        from .baseline import TfidfBaseline

        baseline = TfidfBaseline(seed=seed, c_grid=C_GRID).fit(train, validation)
        assert baseline.pipeline is not None and baseline.c is not None
        vectorizer, regression = baseline.pipeline[0], baseline.pipeline[-1]
        if list(regression.classes_) != list(range(len(LABELS))):
            raise ValueError("the lexical model needs every level in the training split")
        return cls(
            vocabulary={term: int(i) for term, i in vectorizer.vocabulary_.items()},
            idf=np.asarray(vectorizer.idf_, dtype=np.float64),
            coef=np.asarray(regression.coef_, dtype=np.float64),
            intercept=np.asarray(regression.intercept_, dtype=np.float64),
            c=float(baseline.c),
        )

    def save(self, folder: Path) -> None:
        save_arrays(folder / FILE_NAME, self.vocabulary, idf=self.idf, coef=self.coef, intercept=self.intercept, c=np.array(self.c))

    @classmethod
    def load(cls, folder: Path) -> LexicalModel:
        vocabulary, data = load_arrays(folder / FILE_NAME)
        return cls(vocabulary=vocabulary, idf=data["idf"], coef=data["coef"], intercept=data["intercept"], c=float(data["c"]))

    def _features(self, text: str) -> tuple[list[int], np.ndarray]:
        """The statement's sublinear TF-IDF vector, L2-normalised, as (feature ids, values)."""
        tokens = _TOKEN.findall(text.lower())
        grams = Counter(tokens)
        grams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
        ids, values = [], []
        for gram, count in grams.items():
            i = self.vocabulary.get(gram)
            if i is not None:
                ids.append(i)
                values.append((1.0 + math.log(count)) * self.idf[i])
        weights = np.asarray(values, dtype=np.float64)
        norm = float(np.sqrt((weights**2).sum()))
        return ids, weights / norm if norm else weights

    def log_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        decision = np.tile(self.intercept, (len(texts), 1))
        for row, text in enumerate(texts):
            ids, weights = self._features(text)
            if ids:
                decision[row] += self.coef[:, ids] @ weights
        return log_softmax(decision)
