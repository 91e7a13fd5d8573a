"""Cross-fitted distillation study, on the validation split only (MODEL_CARD.md, "What was tried").

Two teachers, each trained on half of the train split (grouped by contrastive set), label the other
half with their calibrated probabilities; the student trains with the normal recipe, its cross-entropy
replaced by (1 - alpha) x the smoothed hard loss + alpha x the soft cross-entropy against those
probabilities. A study, not part of `tracker train`: it patches the training loop from outside.

    python models/experiments/distil_study.py [alpha] [output folder]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import torch

import tracker.score.train as training
from tracker.score.corpus import corpus_path, load_corpus, read_jsonl, split
from tracker.score.model import TransformerScorer


def main() -> None:
    alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/tmp/distil")
    out.mkdir(parents=True, exist_ok=True)
    examples = load_corpus()
    # Example does not carry the contrastive `set`; the corpus rows do
    set_of = {row["id"]: row.get("set") or row["id"] for row in read_jsonl(corpus_path())}
    train_set = split(examples, "train")
    groups = sorted({set_of[e.id] for e in train_set})
    random.Random(7).shuffle(groups)
    first = set(groups[: len(groups) // 2])
    held = [e for e in examples if e.split != "train"]
    half_a = [e for e in train_set if set_of[e.id] in first]
    half_b = [e for e in train_set if set_of[e.id] not in first]
    soft = {}
    for name, teach, label in (("a", half_a, half_b), ("b", half_b, half_a)):
        folder = out / f"teacher-{name}"
        if not (folder / "card.json").exists():
            training.train(training.TrainConfig(epochs=6, lexical_weight=0.0), output=folder, corpus=teach + held, progress=False, report=print)
        probs = TransformerScorer(folder, precision="float32").probabilities([e.text for e in label])
        soft.update({e.id: p for e, p in zip(label, probs, strict=True)})
    targets = torch.tensor(np.stack([soft[e.id] for e in train_set]), dtype=torch.float32)

    current: dict[str, list[int]] = {}
    plain_batches, plain_ce = training._batches, torch.nn.functional.cross_entropy

    class Recorded(list):
        def __iter__(self):
            for batch in list.__iter__(self):
                current["batch"] = batch
                yield batch

    def batches(lengths, size, rng):
        return Recorded(plain_batches(lengths, size, rng))

    def cross_entropy(logits, target, *args, label_smoothing=None, **kwargs):
        if label_smoothing is None:  # temperature fitting and everything else: unchanged
            return plain_ce(logits, target, *args, **kwargs)
        hard = plain_ce(logits, target, label_smoothing=label_smoothing)
        q = targets[current["batch"]]
        return (1 - alpha) * hard + alpha * -(q * torch.log_softmax(logits, -1)).sum(-1).mean()

    training._batches = batches
    torch.nn.functional.cross_entropy = cross_entropy
    training.train(training.TrainConfig(), output=out / f"student-{alpha:g}", corpus=examples, progress=False, report=print)


if __name__ == "__main__":
    main()
