"""Scorer throughput: statements per second of the fine-tuned classifier, float32, bfloat16 and dynamic int8.

    python -m benchmarks.scoring [--repeat 3] [--model models/escalation]

Scores every statement of the labelled corpus (13,227 texts of 4 to 56 words) in
batches, as ingest does, and prints the median rate of several runs, with the
held-out macro-F1 of each variant so the speed is never bought with accuracy
unseen.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from tracker.score.corpus import load_corpus, split
from tracker.score.model import TransformerScorer, ensure_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    folder = args.model or ensure_model()
    corpus = load_corpus()
    texts = [e.text for e in corpus]
    test = split(corpus, "test")
    labels = np.array([e.level for e in test])
    print(f"statements {len(texts)}, model {folder}")
    for precision, quantize in (("float32", False), ("bfloat16", False), ("float32", True)):
        t = time.perf_counter()
        scorer = TransformerScorer(folder, quantize=quantize, precision=precision)
        load = time.perf_counter() - t
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            scorer.score(texts)
            runs.append(time.perf_counter() - t)
        rate = len(texts) / statistics.median(runs)
        f1 = f1_score(labels, scorer.probabilities([e.text for e in test]).argmax(axis=1), average="macro")
        print(f"{scorer.name:24} load {load:.2f} s   {rate:7.0f} statements/s   held-out macro-F1 {f1:.3f}")


if __name__ == "__main__":
    main()
