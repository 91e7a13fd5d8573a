"""JSON lines in and out for `tracker extract` and `tracker score`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import IO, Any

from .errors import TrackerError
from .models import ArticleInput, Score, Statement


class InputError(TrackerError):
    """A line of JSON input is not what the command expects."""


def read_objects(stream: IO[str], name: str = "<stdin>") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; InputError names the line that is not a JSON object."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{name}:{number}: not valid JSON: {e.msg}") from e
        if not isinstance(value, dict):
            raise InputError(f"{name}:{number}: expected a JSON object, got {type(value).__name__}")
        if not isinstance(value.get("text"), str):
            raise InputError(f"{name}:{number}: missing the string field 'text'")
        yield number, value


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def article_input(obj: dict[str, Any]) -> ArticleInput:
    """The contract's input object; `kind` ("news"/"speech") and `author` are optional extensions."""
    kind = obj.get("kind", "news")
    if kind not in ("news", "speech"):
        kind = "news"
    return ArticleInput(
        text=obj["text"],
        id=None if obj.get("id") is None else str(obj["id"]),
        title=obj.get("title"),
        published=obj.get("published"),
        url=obj.get("url"),
        feed_kind=kind,
        author=obj.get("author"),
    )


def statement_object(article_id: str | None, statement: Statement) -> dict[str, Any]:
    """A statement in the contract's field order."""
    return {
        "article_id": article_id,
        "speaker": statement.speaker,
        "official_id": statement.official_id,
        "official": statement.official,
        "role": statement.role,
        "country": statement.country,
        "kind": statement.kind,
        "text": statement.text,
        "start": statement.start,
        "end": statement.end,
    }


def score_fields(score: Score) -> dict[str, Any]:
    fields = asdict(score)
    return {
        "level": fields["level"],
        "label": fields["label"],
        "escalation": fields["escalation"],
        "probs": fields["probs"],
        "instruments": fields["instruments"],
        "model": fields["model"],
        "model_version": fields["model_version"],
    }


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def extract_objects(
    objects: Iterable[dict[str, Any]], extractor: Any, batch_size: int = 32
) -> Iterator[dict[str, Any]]:
    """Contract input objects in, one contract statement object per statement out (streaming, batched)."""
    for batch in batched(objects, batch_size):
        per_article = extractor.extract([article_input(obj) for obj in batch])
        for obj, statements in zip(batch, per_article, strict=True):
            article_id = None if obj.get("id") is None else str(obj["id"])
            for statement in statements:
                yield statement_object(article_id, statement)


def score_objects(objects: Iterable[dict[str, Any]], scorer: Any, batch_size: int = 64) -> Iterator[dict[str, Any]]:
    """Objects with a `text` field in, the same objects with the score fields added out."""
    for batch in batched(objects, batch_size):
        for obj, score in zip(batch, scorer.score([obj["text"] for obj in batch]), strict=True):
            yield {**obj, **score_fields(score)}
