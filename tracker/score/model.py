"""The fine-tuned classifier behind the scoring seam: batched, calibrated inference on CPU."""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import sys
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..models import LABELS, Score
from ..options import SCORER_PRECISIONS
from . import escalation
from .instruments import InstrumentTagger
from .lexical import FILE_NAME as LEXICAL_FILE
from .lexical import LexicalModel, mix
from .probabilities import softmax
from .tagger import FILE_NAME as INSTRUMENTS_FILE
from .tagger import InstrumentModel, LearnedTagger
from .train import PAD_MULTIPLE, TrainingError, batched_logits, model_dir, train

log = logging.getLogger(__name__)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc: nothing to trim
        return None


def release_freed_memory() -> None:
    """Hand freed heap back to the OS. Batches of ever-changing shapes otherwise fragment glibc's
    heap: the scoring process grew from 0.6 to 1.0 GB over 4,000 articles, and stays flat with this."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX); elsewhere torch
    emulates it and it is slower than float32."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str) -> str:
    """'auto' is bfloat16 where the CPU has it (twice as fast, the same predictions on the
    held-out test, benchmarks/README.md), else float32."""
    if precision not in SCORER_PRECISIONS:
        raise ValueError(f"unknown scorer precision {precision!r} (one of {', '.join(SCORER_PRECISIONS)})")
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision


class TransformerScorer:
    """Loads the model once; `score(texts)` gives calibrated probabilities, level, escalation, instruments."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        quantize: bool = False,
        precision: str = "auto",
        threads: int = 2,
        batch_size: int = 64,
    ):
        import torch

        from .encoder import EscalationEncoder, FastTokenizer

        folder = folder or model_dir()
        try:
            self.card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise TrainingError(f"no trained model in {folder} (run `tracker train`)") from e
        if self.card["hyperparameters"].get("pooling", "cls") != "mean":
            raise TrainingError(f"the model in {folder} pools its [CLS] token, which tracker no longer scores with; run `tracker train`")
        torch.set_num_threads(threads)
        self.max_length = int(self.card["hyperparameters"]["max_length"])
        self.tokenizer = FastTokenizer(folder, self.max_length)
        self._blank_ids = self.tokenizer.ids([""])[0]  # [CLS] [SEP]: fills a batch's spare rows
        model = EscalationEncoder.load(folder)
        self.precision = "int8" if quantize else resolve_precision(precision)
        if quantize:
            with warnings.catch_warnings():  # torch's own deprecation notice, nothing the user can act on
                warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor", category=UserWarning)
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        elif self.precision == "bfloat16":
            model = model.to(torch.bfloat16)
        self.model = model
        self.temperature = float(self.card["temperature"])
        self.transformer_temperature = float(self.card.get("transformer_temperature", self.temperature))
        self.lexical_weight = float(self.card["hyperparameters"].get("lexical_weight", 0.0))
        self.lexical = None
        if self.lexical_weight:
            try:
                self.lexical = LexicalModel.load(folder)
            except (OSError, EOFError, zipfile.BadZipFile, KeyError, ValueError) as e:  # missing, empty, cut short
                raise TrainingError(f"the model in {folder} lacks a readable {LEXICAL_FILE} (run `tracker train`)") from e
        self.batch_size = batch_size
        self.name = self.card["name"] + {"int8": "-int8", "bfloat16": "-bf16"}.get(self.precision, "")
        self.version = self.card["version"]
        self.tagger = self._tagger(folder)

    def _tagger(self, folder: Path) -> InstrumentTagger | LearnedTagger:
        """The learned tagger the model was trained with, else the lexicon alone (a model trained without it)."""
        if not self.card["hyperparameters"].get("learned_instruments", False):
            return InstrumentTagger()
        try:
            return LearnedTagger(InstrumentModel.load(folder))
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, ValueError) as e:  # missing, empty, cut short
            raise TrainingError(f"the model in {folder} lacks a readable {INSTRUMENTS_FILE} (run `tracker train`)") from e

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """The scorer's logits: the transformer's, mixed with the lexical model's log-probabilities."""
        transformer = self.transformer_logits(texts)
        if self.lexical is None:
            return transformer
        return mix(transformer, self.lexical.log_probabilities(texts), self.lexical_weight)

    def transformer_logits(self, texts: Sequence[str]) -> np.ndarray:
        try:
            return batched_logits(
                self.tokenizer.ids(texts), self._blank_ids,
                lambda rows: self.tokenizer.pad(rows, PAD_MULTIPLE), lambda inputs: self.model(*inputs), self.batch_size,
            )
        finally:
            release_freed_memory()

    def probabilities(self, texts: Sequence[str], *, calibrated: bool = True) -> np.ndarray:
        return softmax(self.logits(texts), self.temperature if calibrated else 1.0)

    def score(self, texts: Sequence[str]) -> list[Score]:
        if not texts:
            return []
        probs = self.probabilities(texts)
        scores = []
        for tags, row in zip(self.tagger.tags_many(texts), probs, strict=True):
            p = {label: round(float(v), 4) for label, v in zip(LABELS, row, strict=True)}
            level = int(row.argmax())
            scores.append(
                Score(
                    level=level, label=LABELS[level], escalation=round(escalation(dict(zip(LABELS, map(float, row), strict=True))), 4),
                    probs=p, instruments=tags, model=self.name, model_version=self.version,
                )
            )
        return scores


def ensure_model(folder: Path | None = None) -> Path:
    """The trained model's folder; trains it first (saying so, with progress) when it is missing."""
    folder = folder or model_dir()
    if (folder / "card.json").exists():
        return folder
    print(
        f"tracker: no trained escalation model in {folder}; training it now from models/data "
        "(10 to 20 minutes on 2 cores, once)",
        file=sys.stderr,
    )
    return train(output=folder, progress=True, report=lambda line: print("tracker: " + line, file=sys.stderr))
