"""The fine-tuned classifier's forward pass in plain torch, for scoring without importing transformers.

`transformers` trains the model and writes it (config.json, model.safetensors, tokenizer.json).
Scoring only needs BERT's inference forward, a few dozen lines of torch; importing transformers'
modelling stack for it cost 3.5 of the 4.3 CPU seconds a scoring worker needed to start, on
every ingest and every `tracker score`. This module reads the same files with `safetensors`
and `tokenizers` (both already installed with transformers) and computes the same logits:
`tests/test_score.py` holds it to transformers' own forward.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 (torch's own convention)


class _Attention(nn.Module):
    def __init__(self, hidden: int, heads: int, eps: float):
        super().__init__()
        self.heads = heads
        self.self = nn.ModuleDict({name: nn.Linear(hidden, hidden) for name in ("query", "key", "value")})
        self.output = nn.ModuleDict({"dense": nn.Linear(hidden, hidden), "LayerNorm": nn.LayerNorm(hidden, eps=eps)})

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape

        def heads(name: str) -> torch.Tensor:
            return self.self[name](x).view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        context = F.scaled_dot_product_attention(heads("query"), heads("key"), heads("value"), attn_mask=keep)
        context = context.transpose(1, 2).reshape(batch, length, hidden)
        return self.output["LayerNorm"](self.output["dense"](context) + x)


class _Layer(nn.Module):
    def __init__(self, hidden: int, intermediate: int, heads: int, eps: float):
        super().__init__()
        self.attention = _Attention(hidden, heads, eps)
        self.intermediate = nn.ModuleDict({"dense": nn.Linear(hidden, intermediate)})
        self.output = nn.ModuleDict({"dense": nn.Linear(intermediate, hidden), "LayerNorm": nn.LayerNorm(hidden, eps=eps)})

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.attention(x, keep)
        return self.output["LayerNorm"](self.output["dense"](F.gelu(self.intermediate["dense"](x))) + x)


class _Bert(nn.Module):
    def __init__(self, config: dict[str, Any]):
        super().__init__()
        hidden, eps = config["hidden_size"], config["layer_norm_eps"]
        self.embeddings = nn.ModuleDict({
            "word_embeddings": nn.Embedding(config["vocab_size"], hidden),
            "position_embeddings": nn.Embedding(config["max_position_embeddings"], hidden),
            "token_type_embeddings": nn.Embedding(config["type_vocab_size"], hidden),
            "LayerNorm": nn.LayerNorm(hidden, eps=eps),
        })
        self.encoder = nn.ModuleDict({"layer": nn.ModuleList(
            _Layer(hidden, config["intermediate_size"], config["num_attention_heads"], eps)
            for _ in range(config["num_hidden_layers"])
        )})

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        e = self.embeddings
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = e["word_embeddings"](input_ids) + e["position_embeddings"](positions) + e["token_type_embeddings"].weight[0]
        x = e["LayerNorm"](x)
        keep = attention_mask.bool()[:, None, None, :]  # attend to real tokens only
        for layer in self.encoder["layer"]:
            x = layer(x, keep)
        return x


class EscalationEncoder(nn.Module):
    """BertForSequenceClassification's inference forward with tracker's mean pooling (train.forward_logits)."""

    def __init__(self, config: dict[str, Any]):
        super().__init__()
        self.bert = _Bert(config)
        self.classifier = nn.Linear(config["hidden_size"], len(config["id2label"]))

    @classmethod
    def load(cls, folder: Path) -> EscalationEncoder:
        from safetensors.torch import load_file

        model = cls(json.loads((folder / "config.json").read_text(encoding="utf-8")))
        weights = {k: v for k, v in load_file(str(folder / "model.safetensors")).items() if not k.startswith("bert.pooler.")}
        model.load_state_dict(weights)
        return model.eval()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.bert(input_ids, attention_mask)
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.classifier(pooled)


class FastTokenizer:
    """tokenizer.json through the `tokenizers` library: the ids transformers' tokenizer gives."""

    def __init__(self, folder: Path, max_length: int):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        self.pad_id = self.tokenizer.token_to_id("[PAD]")

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]

    def pad(self, rows: Sequence[Sequence[int]], multiple: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(input_ids, attention_mask), rows padded to the longest, rounded up to `multiple`."""
        length = -(-max(len(r) for r in rows) // multiple) * multiple
        ids = torch.full((len(rows), length), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), length), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = 1
        return ids, mask
