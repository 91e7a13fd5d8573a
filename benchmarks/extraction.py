"""Extraction throughput: articles per second, and the share of it that is spaCy's own parse.

    python -m benchmarks.extraction [--repeat 3]

Runs the extractor over the bundled demo corpus and the extraction gold set,
then a plain `nlp.pipe` over the same texts with the same model, and prints both.
"""

from __future__ import annotations

import argparse
import statistics
import time

import spacy

from tracker.demo.corpus import load_corpus
from tracker.evaluate.extraction import load_gold
from tracker.extract.pipeline import EXCLUDED, MODEL, SpacyExtractor
from tracker.models import ArticleInput
from tracker.paths import extraction_gold_dir


def articles() -> list[ArticleInput]:
    found = [g.article for g in load_gold(extraction_gold_dir())]
    for feed in load_corpus():
        for a in feed.articles:
            found.append(
                ArticleInput(
                    text=a.body.replace("\n\n", "\n"),
                    title=a.title,
                    published=a.published.isoformat(),
                    feed_kind=feed.kind,
                    author=a.author,
                )
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    items = articles()
    texts = [a.text for a in items]
    started = time.perf_counter()
    extractor = SpacyExtractor()
    load_seconds = time.perf_counter() - started
    nlp = spacy.load(MODEL)  # the full model, NER included: the reference the issue names
    reduced = spacy.load(MODEL, exclude=list(EXCLUDED))
    extract_runs, parse_runs, reduced_runs = [], [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        statements = sum(len(s) for s in extractor.extract(items))
        extract_runs.append(time.perf_counter() - t)
        t = time.perf_counter()
        for _doc in nlp.pipe(texts, batch_size=16):
            pass
        parse_runs.append(time.perf_counter() - t)
        t = time.perf_counter()
        for _doc in reduced.pipe(texts, batch_size=16):
            pass
        reduced_runs.append(time.perf_counter() - t)
    extract_s, parse_s = statistics.median(extract_runs), statistics.median(parse_runs)
    reduced_s = statistics.median(reduced_runs)
    words = sum(len(t.split()) for t in texts)
    print(f"articles                 {len(items)} ({words} words), {statements} statements")
    print(f"extractor load           {load_seconds:.2f} s")
    print(
        f"extraction               {len(items) / extract_s:.1f} articles/s  (median of {args.repeat}: {extract_s:.2f} s)"
    )
    print(f"plain nlp.pipe (full)    {len(items) / parse_s:.1f} articles/s  ({parse_s:.2f} s)")
    print(f"spaCy parse share        {reduced_s / extract_s:.0%} of extraction time (the same pipes, without NER and lemmatizer)")


if __name__ == "__main__":
    main()
