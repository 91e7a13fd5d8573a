"""Logits to probabilities and probabilities to the escalation score, for every model and measure.

One definition for the scorer, its lexical model, training's validation figures and `tracker eval`.
"""

from __future__ import annotations

import numpy as np

from ..models import LABELS

# LABELS.md: escalation = (0*p0 + 1*p1 + 2*p2 + 3*p3) / 3
ESCALATION_WEIGHTS = np.arange(len(LABELS)) / (len(LABELS) - 1)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return np.exp(log_softmax(logits / temperature))


def log_loss(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the gold level: what temperature scaling minimises, and a steadier
    gauge of calibration than a 15-bin ECE on a few hundred statements."""
    return float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0)).mean())
